"""A shift's screen, opened from its card on the Shifts tab (``state.shifts``, a
``ShiftBoard``: stroll/state/shifts.py).

The meeting point on the offline map (a pin; the route drawn when the shift has one),
when, where to meet, the route's name, the places left, what the shift is short of,
who else is going (their first names reach the phone only once the person is
confirmed on the shift; before, how many), what the person's sign-up stands at, and
the action pinned below: sign up, cancel (after a question), or sign in first.
"""
from __future__ import annotations

import flet as ft
import flet_map as fm

from stroll.state import AppState
from stroll.state.shifts import ShiftBoard, ShiftCard
from stroll.ui.live import ROUTE_COLOR
from stroll.ui.map_layers import tile_layers
from stroll.ui.map_tab import fit_camera
from stroll.ui.shifts_tab import WARN_FG, action, facts, local_time, my_status, say
from stroll.ui.widgets import (button_style, icon_text, info_line, note, screen, scroll_list,
                               section_title)

MAP_HEIGHT = 200
PIN = 40                   # the meeting point's pin, its tip on the point
PIN_COLOR = ft.Colors.RED_700


def _ll(p) -> fm.MapLatitudeLongitude:
    return fm.MapLatitudeLongitude(p[0], p[1])


def meeting_map(state: AppState, card: ShiftCard, route: dict | None) -> ft.Control | None:
    """The meeting point (a pin) and the route on the offline map; None when the shift
    has neither on the map."""
    s = card.shift
    meet = (s["meeting_lat"], s["meeting_lon"]) \
        if s.get("meeting_lat") is not None and s.get("meeting_lon") is not None else None
    path = [tuple(p) for p in (route or {}).get("path") or []]
    points = path + ([meet] if meet else [])
    if not points:
        return None
    if len(points) > 1:
        (lat, lon), zoom = fit_camera(points, width=340, height=MAP_HEIGHT - 60)
    else:
        (lat, lon), zoom = points[0], 17.0
    layers: list = tile_layers(state)
    if len(path) > 1:
        layers.append(fm.PolylineLayer(polylines=[fm.PolylineMarker(
            coordinates=[_ll(p) for p in path], color=ROUTE_COLOR, stroke_width=4,
            stroke_pattern=fm.DashedStrokePattern(segments=[10, 6]))]))
    if meet:
        layers.append(fm.MarkerLayer(markers=[fm.Marker(
            coordinates=_ll(meet), width=PIN, height=PIN, alignment=ft.Alignment.TOP_CENTER,
            content=ft.Semantics(identifier="shift-map-pin", content=ft.Icon(
                ft.Icons.LOCATION_ON, size=PIN, color=PIN_COLOR)))]))
    return ft.Semantics(identifier="shift-map", container=True, content=ft.Container(
        fm.Map(key=f"shift-map-{card.id}", layers=layers,
               initial_center=fm.MapLatitudeLongitude(lat, lon), initial_zoom=zoom,
               min_zoom=12, max_zoom=19, bgcolor=ft.Colors.GREY_200, expand=True),
        height=MAP_HEIGHT))


def going(state: AppState, board: ShiftBoard, card: ShiftCard) -> list[ft.Control]:
    """Who else is going: first names for a confirmed member, else how many."""
    tr = state.tr
    team = board.detail.team if board.detail else None
    if team is not None:
        if not team:
            return [note(tr.t("shifts.detail.only_you"))]
        return [icon_text(ft.Icons.PERSON_OUTLINE, tr.t("summary.lead", name=p["name"])
                          if p.get("lead") else p["name"]) for p in team]
    count = card.staffing.confirmed
    if not count:
        return [note(tr.t("shifts.detail.nobody"))]
    return [info_line(ft.Icons.GROUP_OUTLINED, tr.t("shifts.detail.going_count", count=count)),
            note(tr.t("shifts.detail.names_hidden"))]


def cancel_dialog(state: AppState, board: ShiftBoard, card: ShiftCard) -> ft.AlertDialog:
    tr = state.tr
    s = card.shift
    when = tr.day_time(local_time(state, s["starts_at"]))
    return ft.AlertDialog(
        modal=True,
        title=ft.Text(tr.t("shifts.cancel_title")),
        content=ft.Semantics(identifier="shift-cancel-question", container=True, content=ft.Text(
            tr.t("shifts.cancel_body", shift=tr.place(s, "title"), when=when))),
        actions=[
            ft.Semantics(identifier="shift-cancel-no", button=True, content=ft.TextButton(
                tr.t("shifts.cancel_no"), style=button_style(),
                on_click=lambda _: board.keep_place())),
            ft.Semantics(identifier="shift-cancel-yes", button=True, content=ft.FilledButton(
                tr.t("shifts.cancel_yes"), style=button_style(bgcolor=ft.Colors.RED_700),
                on_click=lambda _: board.cancel())),
        ],
        on_dismiss=lambda _: board.keep_place(),
    )


def _footer(state: AppState, board: ShiftBoard, card: ShiftCard) -> ft.Control | None:
    if card.can_cancel:
        return ft.Semantics(identifier="shift-cancel", button=True, content=ft.OutlinedButton(
            state.tr.t("shifts.cancel"), icon=ft.Icons.EVENT_BUSY, width=float("inf"),
            style=button_style(56, color=ft.Colors.RED_700),
            on_click=lambda _: board.ask_cancel()))
    return action(state, board, card, "shift-sign-up", big=True)


@ft.component
def ShiftDetailBody(state: AppState, board: ShiftBoard):
    tr = state.tr
    card = board.opened()
    ft.use_dialog(cancel_dialog(state, board, card)
                  if card is not None and board.confirm_cancel else None)
    if card is None:
        return ft.Container(note(tr.t("shifts.detail.gone")), padding=16)
    s = card.shift
    route = board.detail.route if board.detail else None
    start, end = local_time(state, s["starts_at"]), local_time(state, s["ends_at"])
    hood = state.neighborhood_name(s["neighborhood_id"])
    controls: list[ft.Control] = []
    status = my_status(state, card, "shift-detail-status")
    if status is not None:
        controls.append(status)
    controls += [
        ft.Semantics(identifier="shift-detail-when", content=info_line(
            ft.Icons.SCHEDULE, tr.t("shifts.when", day=tr.day(start.date()),
                                    time=tr.time_range(start, end)))),
        ft.Semantics(identifier="shift-detail-meeting", content=info_line(
            ft.Icons.PLACE_OUTLINED, s.get("meeting_point") or tr.t("shifts.detail.meeting"))),
        info_line(ft.Icons.LOCATION_CITY, hood),
    ]
    if route:
        controls.append(ft.Semantics(identifier="shift-detail-route", content=info_line(
            ft.Icons.ROUTE, tr.t("shifts.detail.route", route=tr.place(route)))))
    controls.append(facts(state, card, flags=False))  # what it is short of: listed below
    controls += [section_title(tr.t("shifts.detail.needed"), "shift-detail-needed")]
    controls += [info_line(ft.Icons.WARNING_AMBER_ROUNDED, say(state, f),
                           color=WARN_FG) for f in card.flags] \
        or [note(tr.t("shifts.detail.staffed"))]
    controls.append(section_title(tr.t("shifts.detail.going"), "shift-detail-going"))
    controls.append(ft.Semantics(identifier="shift-detail-team", container=True,
                                 content=ft.Column(going(state, board, card), spacing=6)))
    the_map = meeting_map(state, card, route)
    if the_map is None:
        controls.insert(0, note(tr.t("shifts.detail.not_on_map")))
    body = scroll_list(controls, "shift-detail-body", footer=_footer(state, board, card))
    return body if the_map is None else ft.Column([the_map, body], spacing=0, expand=True)


def ShiftDetailView(state: AppState) -> ft.View:
    card = state.shifts.opened()
    title = state.tr.place(card.shift, "title") if card else state.tr.t("shifts.detail.title")
    return screen("/shift", title, "shift-detail", ShiftDetailBody(state, state.shifts))


__all__ = ["ShiftDetailView", "ShiftDetailBody", "meeting_map"]
