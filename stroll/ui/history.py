"""A past stroll, and the incidents left to complete.

``PastStrollView(state)`` is the screen a recent stroll opens (``state.history``, a
``History``: stroll/state/history.py): when and where, who walked, distance and time,
the walked track on the map, tallies, its check-ins and its incidents. Each incident
row says "Details complete" or "Needs details" (and what is still to answer) and opens
the full incident form (``state.complete_incident``), with or without a stroll
running. ``needing_section(state)`` is the Patrol tab's list of the incidents still
needing details across strolls.
"""
from __future__ import annotations

import flet as ft
import flet_map as fm

from stroll.domain import taxonomy as tx
from stroll.domain.labels import MapLabel
from stroll.domain.patrol_rules import FORM_NOT_SAVED
from stroll.domain.records import parse_time
from stroll.state import AppState
from stroll.state.history import History
from stroll.ui.live import PLACE_COLOR, ROUTE_COLOR, STREET_COLOR, TRACK_COLOR, figure
from stroll.ui.map_layers import place_markers, tile_layers, use_names
from stroll.ui.map_tab import fit_camera
from stroll.ui.theme import GAP
from stroll.ui.widgets import icon_text, note, screen, section_title

MAP_HEIGHT = 220
DONE_COLOR = ft.Colors.GREEN_800
TODO_COLOR = ft.Colors.AMBER_900
_CHECK_IN_ICONS = {"all_good": (ft.Icons.CHECK_CIRCLE_OUTLINE, ft.Colors.GREEN_800),
                   "concern": (ft.Icons.ERROR_OUTLINE, ft.Colors.AMBER_900),
                   "needs_follow_up": (ft.Icons.FLAG_OUTLINED, ft.Colors.RED_700)}


def _local(state: AppState, when: str):
    return parse_time(when).astimezone(state.now().tzinfo)


# ---- an incident: whether its details are complete ------------------------------------------


def _harms(state: AppState, inc: dict) -> str:
    tr = state.tr
    return ", ".join(tr.t(f"harm_types.{c}") if tr.has(f"harm_types.{c}") else c
                     for c in inc.get("harm_types") or [])


def details_status(state: AppState, inc: dict, identifier: str) -> ft.Control:
    """"Details complete" (green tick) or "Needs details" (amber), in words."""
    tr = state.tr
    done = bool(inc.get("complete"))
    color = DONE_COLOR if done else TODO_COLOR
    return ft.Semantics(identifier=identifier, content=ft.Row([
        ft.Icon(ft.Icons.TASK_ALT if done else ft.Icons.PENDING_OUTLINED, size=18, color=color),
        ft.Text(tr.t("history.complete" if done else "history.needs_details"), size=13,
                color=color, weight=ft.FontWeight.W_600)], spacing=4, tight=True))


def _still_to_answer(state: AppState, inc: dict) -> str:
    tr = state.tr
    fields = [tr.t(f"incident.{f}") for f in inc.get("missing") or ()
              if f != FORM_NOT_SAVED and tr.has(f"incident.{f}")]
    if not fields:
        return tr.t("history.quick_only") if inc.get("missing") else ""
    return tr.t("history.still_to_answer", fields=", ".join(fields))


def incident_row(state: AppState, inc: dict, identifier: str, heading: str) -> ft.Control:
    """One incident: ``heading`` (when), what harm, whether its details are complete;
    a tap opens the full form."""
    lines: list[ft.Control] = [
        ft.Text(heading, weight=ft.FontWeight.W_600),
        ft.Text(_harms(state, inc), max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
        details_status(state, inc, f"{identifier}-status"),
    ]
    rest = _still_to_answer(state, inc)
    if rest:
        lines.append(ft.Text(rest, size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Semantics(identifier=identifier, button=True, container=True, content=ft.Container(
        ft.Row([
            ft.Icon(ft.Icons.REPORT_OUTLINED, color=ft.Colors.RED_700),
            ft.Column(lines, spacing=2, expand=True),
            ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT),
        ], spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        key=f"{identifier}-{inc.get('complete')}", ink=True, border_radius=8,
        padding=ft.Padding.symmetric(vertical=8, horizontal=4),
        on_click=lambda _, iid=inc["id"]: state.complete_incident(iid)))


def needing_section(state: AppState) -> list[ft.Control]:
    """The Patrol tab's "Incidents needing details", with how many: each opens its
    form. Nothing when none needs details."""
    tr, needing = state.tr, state.history.needing
    if not needing:
        return []
    title = ft.Semantics(identifier="needs-details", header=True, content=ft.Container(ft.Row([
        ft.Text(tr.t("history.needing_title"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM,
                weight=ft.FontWeight.W_600, expand=True),
        ft.Semantics(identifier="needs-details-count", content=ft.Container(
            ft.Text(str(len(needing)), weight=ft.FontWeight.W_700,
                    color=ft.Colors.ON_TERTIARY_CONTAINER),
            bgcolor=ft.Colors.TERTIARY_CONTAINER, border_radius=12,
            padding=ft.Padding.symmetric(horizontal=10, vertical=2))),
    ], spacing=8), padding=ft.Padding.only(top=GAP, bottom=4)))
    rows: list[ft.Control] = [title]
    for inc in needing:
        when = inc.get("occurred_at") or inc.get("stroll_started_at")
        heading = tr.t("summary.where", when=tr.day_time(_local(state, when)),
                       neighborhood=state.neighborhood_name(inc.get("neighborhood_id"))) \
            if when else state.neighborhood_name(inc.get("neighborhood_id"))
        rows.append(incident_row(state, inc, f"needs-{inc['id']}", heading))
    return rows


# ---- the map ----------------------------------------------------------------------------------


def _ll(p) -> fm.MapLatitudeLongitude:
    return fm.MapLatitudeLongitude(p[0], p[1])


def _dot(color) -> ft.Control:
    return ft.Container(width=14, height=14, bgcolor=color, border_radius=7,
                        border=ft.Border.all(2, ft.Colors.WHITE))


def _check_in_dot(_label) -> ft.Control:
    return _dot(PLACE_COLOR)


@ft.component
def PastStrollMap(state: AppState, history: History):
    stroll_id = history.stroll_id

    def camera():
        points = list(history.path) or list(history.route) or (
            [history.center] if history.center else [])
        if not points:
            return (37.7946, -122.4068), 16.0
        return fit_camera(points, width=340, height=MAP_HEIGHT - 40)

    (lat, lon), zoom = ft.use_memo(camera, dependencies=[stroll_id])
    layers: list = tile_layers(state)
    lines = [fm.PolylineMarker(coordinates=[_ll(p) for p in s], color=STREET_COLOR,
                               stroke_width=3) for s in history.streets]
    if len(history.route) > 1:
        lines.append(fm.PolylineMarker(
            coordinates=[_ll(p) for p in history.route], color=ROUTE_COLOR, stroke_width=4,
            stroke_pattern=fm.DashedStrokePattern(segments=[10, 6])))
    if len(history.path) > 1:
        lines.append(fm.PolylineMarker(
            coordinates=[_ll(p) for p in history.path], color=TRACK_COLOR, stroke_width=6,
            border_color=ft.Colors.WHITE, border_stroke_width=1.5))
    layers.append(fm.PolylineLayer(polylines=lines))
    ends = []
    if history.path:  # where the walk began (green) and ended (red)
        ends = [(*history.path[0], ft.Colors.GREEN_700), (*history.path[-1], ft.Colors.RED_700)]
    # the businesses checked in with, named where the name covers no other, no dot and
    # not the walked track (at every zoom)
    labels = [MapLabel(v["id"], v["lat"], v["lon"], v.get("merchant_name") or "")
              for v in history.check_ins if v.get("lat") is not None]
    shown, moved = use_names(labels, f"past-{stroll_id}", zoom, dot_px=14,
                             avoid_points=[(a, b, 9) for a, b, _ in ends],
                             avoid_lines=[(history.path, 6.5)])
    if labels:
        layers.append(place_markers(labels, shown, color=PLACE_COLOR, dot=_check_in_dot,
                                    dot_px=14, identifier="past-map-name"))
    if ends:
        layers.append(fm.MarkerLayer(markers=[fm.Marker(
            coordinates=fm.MapLatitudeLongitude(a, b), width=14, height=14,
            content=_dot(color)) for a, b, color in ends]))
    controls: list[ft.Control] = [fm.Map(
        key=f"past-map-{stroll_id}", layers=layers,
        initial_center=fm.MapLatitudeLongitude(lat, lon), initial_zoom=zoom,
        min_zoom=12, max_zoom=19, bgcolor=ft.Colors.GREY_200, on_position_change=moved,
        expand=True)]
    if not history.path:
        controls.append(ft.Container(ft.Text(state.tr.t("history.no_track"), size=12),
                                     bgcolor=ft.Colors.SURFACE, border_radius=6, padding=6,
                                     left=8, bottom=8))
    return ft.Semantics(identifier="past-stroll-map", container=True, content=ft.Container(
        ft.Stack(controls, expand=True), height=MAP_HEIGHT))


# ---- the screen -----------------------------------------------------------------------------


def _check_in_row(state: AppState, visit: dict) -> ft.Control:
    tr = state.tr
    icon, color = _CHECK_IN_ICONS.get(visit.get("status"), _CHECK_IN_ICONS["all_good"])
    status = tr.t(f"check_in_status.{visit['status']}") \
        if tr.has(f"check_in_status.{visit.get('status')}") else str(visit.get("status"))
    return ft.Semantics(identifier=f"past-check-in-{visit['id']}", container=True, content=ft.Row([
        ft.Icon(ft.Icons.STOREFRONT_OUTLINED, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Column([ft.Text(visit.get("merchant_name") or tr.t("history.unknown_business"),
                           weight=ft.FontWeight.W_600, max_lines=2,
                           overflow=ft.TextOverflow.ELLIPSIS),
                   ft.Row([ft.Icon(icon, size=16, color=color),
                           ft.Text(status, size=13, color=color)], spacing=4, tight=True)],
                  spacing=2, expand=True),
        ft.Text(tr.time(_local(state, visit["at"])), size=13),
    ], spacing=10))


def _counted(identifier: str, label: str, count: int) -> ft.Control:
    """A section title with how many it lists."""
    return ft.Semantics(identifier=identifier, container=True, content=ft.Container(ft.Row([
        ft.Text(label, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600,
                expand=True),
        ft.Text(str(count), size=18, weight=ft.FontWeight.W_700)]),
        padding=ft.Padding.only(top=GAP, bottom=4)), key=f"{identifier}-{count}")


@ft.component
def PastStrollBody(state: AppState, history: History):
    tr = state.tr
    s = history.stroll
    if s is None:
        return ft.Container()
    controls: list[ft.Control] = []
    if history.error:
        key, params = history.error
        controls.append(ft.Text(tr.t(key, **params), color=ft.Colors.ERROR))
    controls.append(ft.Semantics(identifier="past-stroll-when", content=note(tr.t(
        "summary.where", when=tr.day_time(_local(state, s["started_at"])),
        neighborhood=state.neighborhood_name(s.get("neighborhood_id"))))))
    if s.get("status") != "ended":
        controls.append(note(tr.t("history.not_ended")))
    controls.append(ft.Row([
        figure("past-stroll-distance", tr.t("summary.distance"), tr.km(s.get("distance_m"))),
        figure("past-stroll-duration", tr.t("summary.duration"),
               tr.duration(s.get("duration_s"))),
    ], spacing=GAP))
    controls.append(section_title(tr.t("summary.team")))
    controls.append(ft.Semantics(identifier="past-stroll-team", container=True, content=ft.Column([
        icon_text(ft.Icons.PERSON_OUTLINE, tr.t("summary.lead", name=p["name"]) if p.get("lead")
                  else p["name"]) for p in s.get("team") or []], spacing=6)))
    controls.append(_counted("past-stroll-incidents", tr.t("summary.incidents"),
                             len(history.incidents)))
    controls += [incident_row(state, i, f"past-incident-{i['id']}",
                              tr.time(_local(state, i["occurred_at"])) if i.get("occurred_at")
                              else "")
                 for i in history.incidents] or [note(tr.t("summary.no_incidents"))]
    controls.append(_counted("past-stroll-check-ins", tr.t("summary.check_ins"),
                             len(history.check_ins)))
    controls += [_check_in_row(state, v) for v in history.check_ins] \
        or [note(tr.t("history.no_check_ins"))]
    controls.append(section_title(tr.t("summary.tallies")))
    tallies = history.tallies()
    controls += [ft.Semantics(identifier=f"past-stroll-tally-{k}", container=True, content=ft.Row(
        [ft.Text(tr.t(f"tally.{k}"), expand=True),
         ft.Text(str(tallies[k]), weight=ft.FontWeight.W_600)])) for k in tx.TALLIES]
    return ft.Column([
        PastStrollMap(state, history),
        ft.ListView(controls, expand=True, spacing=8,
                    padding=ft.Padding.only(left=16, right=16, top=8, bottom=24)),
    ], expand=True, spacing=0)


def PastStrollView(state: AppState) -> ft.View:
    s = state.history.stroll or {}
    title = state.neighborhood_name(s.get("neighborhood_id")) or state.tr.t("history.title")
    return screen("/past-stroll", title, "past-stroll", PastStrollBody(state, state.history))


__all__ = ["PastStrollView", "PastStrollMap", "needing_section", "incident_row", "details_status"]
