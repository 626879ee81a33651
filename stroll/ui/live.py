"""The running stroll: distance, time, GPS status, the map, tallies, check-in, incident, end.

``LiveView(state)`` returns the screen. What changes every second (distance, time, GPS
status: ``core.live``, a ``LiveNumbers``) and with every fix (the map: ``core.track``)
is rendered by components of their own, so a tick re-renders only the numbers. The
GPS stream and the clock that feed them are ``LiveSensors`` (stroll/ui/sensors.py).
"""
from __future__ import annotations

import asyncio
import logging

import flet as ft
import flet_map as fm

from stroll.domain import taxonomy as tx
from stroll.domain.geo import local_distance_m
from stroll.domain.labels import MapLabel
from stroll.domain.patrol_rules import incident_complete
from stroll.domain.records import parse_time
from stroll.state import (GPS_DENIED, GPS_LOST, GPS_OK, GPS_UNAVAILABLE, GPS_WAITING, ONLINE,
                          SYNCING, AppState, LiveNumbers, RunningStroll, StrollCore, TrackView)
from stroll.ui.map_layers import STREET_ZOOM, place_markers, recentre, tile_layers, use_names
from stroll.ui.map_tab import fit_camera
from stroll.ui.theme import GAP, MIN_TOUCH
from stroll.ui.widgets import button_style, note, screen, section_title

log = logging.getLogger("stroll.ui.live")

TRACK_COLOR = "#1F6F5C"     # jade: the walked track
ROUTE_COLOR = "#1565C0"     # blue, dashed: the planned route
STREET_COLOR = "#B0BEC5"    # light grey: the neighborhood's other routes (real streets)
PLACE_COLOR = "#546E7A"     # the businesses, as named dots
MAP_HEIGHT = 250
NOTICE_SHOWN_S = 8.0        # a notice hides itself after this; errors stay until dismissed


# ---- the numbers -------------------------------------------------------------------------


def _gps_line(state: AppState, live: LiveNumbers, track: TrackView) -> ft.Control:
    tr = state.tr
    gps = live.gps
    if gps == GPS_OK:
        icon, color = ft.Icons.GPS_FIXED, ft.Colors.GREEN_800
        if live.quiet_s:  # standing still: the stream is silent, the fix still good
            text = tr.t("live.gps_quiet", s=live.quiet_s)
        else:
            text = (tr.t("live.gps_ok", distance=tr.metres(live.accuracy_m)) if live.accuracy_m
                    else tr.t("live.gps_ok_plain"))
    elif gps == GPS_WAITING:
        icon, color, text = ft.Icons.GPS_NOT_FIXED, ft.Colors.ON_SURFACE_VARIANT, \
            tr.t("live.gps_waiting")
    elif gps == GPS_LOST:
        icon, color, text = ft.Icons.GPS_NOT_FIXED, ft.Colors.AMBER_900, tr.t("live.gps_lost")
    elif gps in (GPS_DENIED, GPS_UNAVAILABLE):
        icon, color = ft.Icons.LOCATION_OFF_OUTLINED, ft.Colors.RED_800
        text = tr.t("live.gps_denied" if gps == GPS_DENIED else "live.gps_unavailable")
    else:
        icon, color, text = ft.Icons.GPS_OFF, ft.Colors.ON_SURFACE_VARIANT, tr.t("live.gps_off")
    lines = [ft.Text(text, color=color, size=14)]
    if track.manual and gps != GPS_OK:
        lines.append(ft.Text(tr.t("live.manual"), size=13, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Semantics(identifier="live-gps", live_region=True, content=ft.Row(
        [ft.Icon(icon, color=color, size=20), ft.Column(lines, spacing=2, expand=True)],
        spacing=8, vertical_alignment=ft.CrossAxisAlignment.START))


def figure(identifier: str, label: str, value: str) -> ft.Control:
    return ft.Column([
        ft.Text(label, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Semantics(identifier=identifier, content=ft.Text(
            value, size=28, weight=ft.FontWeight.W_700, max_lines=1)),
    ], spacing=0, expand=True)


@ft.component
def LiveFigures(state: AppState, walk: RunningStroll, live: LiveNumbers, track: TrackView):
    tr = state.tr
    rows: list[ft.Control] = [
        ft.Row([figure("live-distance", tr.t("live.distance"), tr.km(live.distance_m)),
                figure("live-duration", tr.t("live.duration"), tr.duration(live.duration_s))],
               spacing=GAP),
        _gps_line(state, live, track),
    ]
    if live.status == "paused":  # Resume right here, where the eye is
        rows.append(ft.Semantics(identifier="live-paused", container=True, content=ft.Container(
            ft.Row([ft.Icon(ft.Icons.PAUSE_CIRCLE_OUTLINE, color=ft.Colors.AMBER_900),
                    ft.Text(tr.t("live.paused"), expand=True, weight=ft.FontWeight.W_600),
                    ft.Semantics(identifier="live-resume", button=True, content=ft.FilledButton(
                        tr.t("live.resume"), icon=ft.Icons.PLAY_ARROW, style=button_style(),
                        on_click=lambda _: walk.resume()))],
                   spacing=8),
            bgcolor=ft.Colors.AMBER_50, border_radius=8,
            padding=ft.Padding.only(left=8, right=8, top=4, bottom=4))))
    return ft.Container(ft.Column(rows, spacing=6),
                        padding=ft.Padding.only(left=16, right=16, top=8, bottom=8))


# ---- sync --------------------------------------------------------------------------------

_SYNC_DOT = {ONLINE: ft.Colors.GREEN_600, SYNCING: ft.Colors.GREEN_600}


def sync_chip_text(state: AppState) -> str:
    """What the live screen's sync chip says: what waits to be sent and, when the
    phone is not in touch with the server, why it waits ("Offline · 3 to send")."""
    tr, s = state.tr, state.sync
    connection = tr.t(_SYNC_LABEL.get(s.connection, "sync.problem"))
    if s.pending:
        waiting = tr.t("sync.pending", count=s.pending)
    elif s.rejected:
        waiting = tr.t("sync.rejected", count=s.rejected)
    else:
        return tr.t("sync.all_sent") if s.is_online else connection
    return waiting if s.is_online else tr.t("sync.chip", connection=connection, waiting=waiting)


_SYNC_LABEL = {"online": "sync.online", "syncing": "sync.syncing",
               "connecting": "sync.connecting", "offline": "sync.offline",
               "no_server": "sync.no_server", "error": "sync.problem", "auth": "sync.auth"}


@ft.component
def LiveSyncChip(state: AppState, sync):
    """A small chip under the numbers: pending count, offline, or all sent. A tap
    opens the sync details (the same dialog as the tabs' badge)."""
    problem = sync.rejected or sync.connection in ("error", "auth")
    color = ft.Colors.RED_600 if problem else _SYNC_DOT.get(sync.connection, ft.Colors.GREY_500)
    icon = ft.Icons.CLOUD_DONE_OUTLINED if sync.is_online and not sync.pending else (
        ft.Icons.CLOUD_UPLOAD_OUTLINED if sync.is_online else ft.Icons.CLOUD_OFF_OUTLINED)
    # on the map's top-left corner: no room taken from the screen; 48 px to tap
    return ft.Semantics(identifier="live-sync", button=True, content=ft.Container(
        ft.Row([ft.Icon(icon, size=18, color=color),
                ft.Text(sync_chip_text(state), size=13, weight=ft.FontWeight.W_600)],
               spacing=6, tight=True),
        height=MIN_TOUCH, padding=ft.Padding.symmetric(horizontal=12),
        border_radius=MIN_TOUCH // 2, bgcolor=ft.Colors.SURFACE, ink=True,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        shadow=ft.BoxShadow(blur_radius=4, color=ft.Colors.with_opacity(0.25, ft.Colors.BLACK)),
        on_click=lambda _: state.open_sync_details()))


# ---- the map -------------------------------------------------------------------------------


def _latlon(p) -> fm.MapLatitudeLongitude:
    return fm.MapLatitudeLongitude(p[0], p[1])


def _place_labels(state: AppState, track: TrackView) -> list[MapLabel]:
    """The businesses, those nearest the team first (their names kept first)."""
    here = track.position or track.center
    order = sorted(range(len(track.places)), key=lambda i: local_distance_m(
        here, track.places[i][:2])) if here else range(len(track.places))
    return [MapLabel(i, track.places[i][0], track.places[i][1],
                     state.tr.place(track.places[i][2])) for i in order]


@ft.component
def LiveMap(state: AppState, core: StrollCore, walk: RunningStroll, track: TrackView):
    map_ref = ft.use_ref(None)
    stroll_id = core.stroll_id

    def first_camera():
        points = list(track.route) or ([track.center] if track.center else [])
        if track.position:
            points.append(track.position)
        if not points:
            return (37.7946, -122.4068), 16.0  # never shown: a stroll has a neighborhood
        return fit_camera(points, width=340, height=MAP_HEIGHT - 40)

    (lat, lon), zoom = ft.use_memo(first_camera, dependencies=[stroll_id])

    layers: list = tile_layers(state)
    lines = [fm.PolylineMarker(coordinates=[_latlon(p) for p in street], color=STREET_COLOR,
                               stroke_width=3) for street in track.streets if len(street) > 1]
    if len(track.route) > 1:
        lines.append(fm.PolylineMarker(
            coordinates=[_latlon(p) for p in track.route], color=ROUTE_COLOR, stroke_width=4,
            stroke_pattern=fm.DashedStrokePattern(segments=[10, 6])))
    if len(track.path) > 1:
        lines.append(fm.PolylineMarker(
            coordinates=[_latlon(p) for p in track.path], color=TRACK_COLOR, stroke_width=6,
            border_color=ft.Colors.WHITE, border_stroke_width=1.5))
    layers.append(fm.PolylineLayer(polylines=lines))
    # the businesses: where "here" is when GPS cannot say; named where a name covers
    # no other name, no dot, the team's marker and not the route or the track
    labels = _place_labels(state, track)
    shown, moved = use_names(
        labels, f"live-{stroll_id}", zoom,
        avoid_points=[(*track.position, 15)] if track.position else (),
        avoid_lines=[(track.route, 5), (track.path, 6.5)])
    if labels:
        layers.append(place_markers(labels, shown, color=PLACE_COLOR, identifier="live-map-name"))
    if track.position:
        color = ft.Colors.ORANGE_800 if track.manual else ft.Colors.BLUE_700
        layers.append(fm.MarkerLayer(markers=[fm.Marker(
            coordinates=_latlon(track.position), width=26, height=26,
            content=ft.Container(bgcolor=color, border_radius=13,
                                 border=ft.Border.all(3, ft.Colors.WHITE)))]))

    def tapped(e: fm.MapTapEvent):
        c = e.coordinates
        if c is not None:
            walk.set_position(c.latitude, c.longitude)

    zoom_now = ft.use_ref(zoom)

    async def position_changed(e: fm.MapPositionChangeEvent):
        if e.camera is not None:
            zoom_now.current = float(e.camera.zoom)
        await moved(e)

    the_map = fm.Map(
        key=f"live-map-{stroll_id}",
        layers=layers, initial_center=fm.MapLatitudeLongitude(lat, lon), initial_zoom=zoom,
        min_zoom=12, max_zoom=19, bgcolor=ft.Colors.GREY_200, on_tap=tapped,
        on_position_change=position_changed, expand=True)
    map_ref.current = the_map

    async def show_where_we_are(_=None):
        """Back to the team at street level: the zoom kept if closer than that."""
        if track.position:
            await _move(map_ref.current, track.position,
                        max(zoom_now.current or zoom, STREET_ZOOM))

    async def follow():
        if track.position and not track.manual:  # a place set by hand is where the person
            await _move(map_ref.current, track.position, None)  # just tapped

    ft.use_effect(follow, dependencies=[track.position], cleanup=lambda: None)

    controls: list[ft.Control] = [the_map, ft.Container(LiveSyncChip(state, state.sync),
                                                        left=8, top=8)]
    if track.position:
        controls.append(ft.Container(
            ft.Semantics(identifier="live-center", button=True, label=state.tr.t("live.center"),
                         content=ft.IconButton(ft.Icons.MY_LOCATION, bgcolor=ft.Colors.SURFACE,
                                               on_click=show_where_we_are)),
            right=8, bottom=8))
    return ft.Semantics(identifier="live-map", container=True, content=ft.Container(
        ft.Stack(controls, expand=True), height=MAP_HEIGHT))


async def _move(the_map, point, zoom) -> None:
    try:
        await recentre(the_map, point, zoom)
    except Exception as e:  # the map is not on screen (yet, or any more)
        log.debug("could not move the map: %s", e)


# ---- actions, tallies, incidents ---------------------------------------------------------


def _banner(identifier: str, text: str, *, error: bool, on_dismiss) -> ft.Control:
    fg_color = ft.Colors.ON_ERROR_CONTAINER if error else ft.Colors.ON_SECONDARY_CONTAINER
    box = ft.Container(
        ft.Row([
            ft.Icon(ft.Icons.ERROR_OUTLINE if error else ft.Icons.INFO_OUTLINE, color=fg_color),
            ft.Text(text, color=fg_color, expand=True),
            ft.Semantics(identifier=f"{identifier}-dismiss", button=True, content=ft.IconButton(
                ft.Icons.CLOSE, icon_color=fg_color, on_click=lambda _: on_dismiss())),
        ], spacing=8),
        bgcolor=ft.Colors.ERROR_CONTAINER if error else ft.Colors.SECONDARY_CONTAINER,
        padding=ft.Padding.only(left=12, right=4, top=2, bottom=2))
    return ft.Semantics(identifier=identifier, live_region=True, container=True, content=box)


def _tally(state: AppState, core: StrollCore, walk: RunningStroll, kind: str) -> ft.Control:
    tr = state.tr
    value = int(core.tallies.get(kind, 0))
    return ft.Container(ft.Column([
        ft.Text(tr.t(f"tally.{kind}"), size=13, max_lines=2, text_align=ft.TextAlign.CENTER),
        ft.Row([
            ft.Semantics(identifier=f"tally-{kind}-minus", button=True, label=tr.t("live.less"),
                         content=ft.IconButton(ft.Icons.REMOVE, disabled=value <= 0,
                on_click=lambda _: walk.tally(kind, -1))),
            ft.Semantics(identifier=f"tally-{kind}", content=ft.Text(
                str(value), size=22, weight=ft.FontWeight.W_700, width=44,
                text_align=ft.TextAlign.CENTER)),
            ft.Semantics(identifier=f"tally-{kind}-plus", button=True, label=tr.t("live.more"),
                         content=ft.IconButton(ft.Icons.ADD, style=ft.ButtonStyle(
                    bgcolor=ft.Colors.PRIMARY_CONTAINER),
                on_click=lambda _: walk.tally(kind, 1))),
        ], alignment=ft.MainAxisAlignment.CENTER, spacing=0),
    ], spacing=2, horizontal_alignment=ft.CrossAxisAlignment.CENTER),
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT), border_radius=12, padding=6,
        col={"xs": 6})


def incident_line(state: AppState, i: dict) -> ft.Control:
    """When an incident happened and what harm: one entry in a list."""
    tr = state.tr
    when = ""
    if i.get("occurred_at"):
        when = tr.time(parse_time(i["occurred_at"]).astimezone(state.now().tzinfo))
    harms = ", ".join(tr.t(f"harm_types.{c}") if tr.has(f"harm_types.{c}") else c
                      for c in i.get("harm_types") or [])
    return ft.Column([ft.Text(when, weight=ft.FontWeight.W_600),
                      ft.Text(harms, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS)],
                     spacing=0, expand=True)


def _incident_row(state: AppState, i: dict) -> ft.Control:
    done = incident_complete(i)  # its details complete: it opens to edit them
    return ft.Container(ft.Row([
        ft.Icon(ft.Icons.REPORT_OUTLINED, color=ft.Colors.RED_700),
        incident_line(state, i),
        ft.Semantics(identifier=f"live-incident-{i['id']}", button=True, content=ft.OutlinedButton(
            state.tr.t("history.complete" if done else "live.complete"), style=button_style(),
            icon=ft.Icons.TASK_ALT if done else None,
            on_click=lambda _, iid=i["id"]: state.complete_incident(iid))),
    ], spacing=8), key=f"incident-{i['id']}-{done}", padding=ft.Padding.symmetric(vertical=4))


def end_dialog(state: AppState, walk: RunningStroll) -> ft.AlertDialog:
    tr = state.tr
    return ft.AlertDialog(
        modal=True,
        title=ft.Text(tr.t("live.end_title")),
        content=ft.Semantics(identifier="live-end-confirm", container=True,
                             content=ft.Text(tr.t("live.end_body"))),
        actions=[
            ft.Semantics(identifier="live-end-cancel", button=True, content=ft.TextButton(
                tr.t("live.end_no"), style=button_style(),
                on_click=lambda _: walk.cancel_end())),
            ft.Semantics(identifier="live-end-yes", button=True, content=ft.FilledButton(
                tr.t("live.end_yes"), style=button_style(bgcolor=ft.Colors.RED_700),
                on_click=lambda _: state.end_stroll())),
        ],
        on_dismiss=lambda _: walk.cancel_end(),
    )


def _action(identifier: str, text: str, icon, on_click, *, color=None,
            outlined: bool = False, expand: bool = True) -> ft.Control:
    """A big button, 56 px tall for a one-line label (taller when it wraps)."""
    style = button_style(56, bgcolor=color) if color and not outlined else (
        button_style(56, color=color) if color else button_style(56))
    kind = ft.OutlinedButton if outlined else ft.FilledButton
    return ft.Semantics(identifier=identifier, button=True, expand=expand, content=kind(
        text, icon=icon, width=float("inf"), style=style, on_click=lambda _: on_click()))


@ft.component
def LiveBody(state: AppState, core: StrollCore, walk: RunningStroll):
    tr = state.tr
    ft.use_dialog(end_dialog(state, walk) if walk.confirm_end else None)
    notice = core.notice

    async def hide_notice():
        await asyncio.sleep(NOTICE_SHOWN_S)
        if core.notice is notice and notice is not None:
            core.notice = None

    ft.use_effect(hide_notice, dependencies=[notice], cleanup=lambda: None)

    top: list[ft.Control] = []
    if core.error:
        key, params = core.error
        top.append(_banner("live-error", tr.t(key, **params), error=True,
                           on_dismiss=core.dismiss))
    elif notice:
        key, params = notice
        top.append(_banner("live-notice", tr.t(key, **params), error=False,
                           on_dismiss=core.dismiss))
    top += [LiveFigures(state, walk, core.live, core.track),
            LiveMap(state, core, walk, core.track)]

    paused = core.live.status == "paused"
    rest: list[ft.Control] = [
        ft.Row([
            _action("live-check-in", tr.t("live.check_in"), ft.Icons.STOREFRONT_OUTLINED,
                    state.open_check_in),
            _action("live-incident", tr.t("live.incident"), ft.Icons.REPORT_OUTLINED,
                    state.open_incident, color=ft.Colors.RED_700),
        ], spacing=GAP),
        section_title(tr.t("live.tallies")),
        ft.ResponsiveRow([_tally(state, core, walk, k) for k in tx.TALLIES], spacing=8,
                         run_spacing=8),
        section_title(tr.t("live.incidents")),
        ft.Semantics(identifier="live-incidents", container=True, content=ft.Column(
            [_incident_row(state, i) for i in core.incidents]
            or [note(tr.t("live.no_incidents"))], spacing=0)),
        ft.Container(height=4),
        # one above the other, each across the screen: side by side, "End stroll" took
        # two lines in Vietnamese and Spanish
        *([] if paused else [_action("live-pause", tr.t("live.pause"), ft.Icons.PAUSE,
                                     walk.pause, outlined=True, expand=False)]),
        _action("live-end", tr.t("live.end"), ft.Icons.STOP_CIRCLE_OUTLINED,
                walk.ask_end, color=ft.Colors.RED_700, outlined=True, expand=False),
    ]
    return ft.Column([
        *top,
        ft.Semantics(identifier="live-actions", container=True, expand=True, content=ft.ListView(
            rest, expand=True, spacing=8,
            padding=ft.Padding.only(left=16, right=16, top=8, bottom=24))),
    ], expand=True, spacing=0)


def LiveView(state: AppState) -> ft.View:
    patrol = state.patrol
    title = state.neighborhood_name((patrol.core.stroll or {}).get("neighborhood_id")) \
        or state.tr.t("live.title")
    return screen("/live", title, "live", LiveBody(state, patrol.core, patrol.walk))


__all__ = ["LiveView", "figure", "incident_line"]
