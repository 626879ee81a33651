"""Shifts tab: this week's shifts, grouped by day, with the places left."""
from __future__ import annotations

import flet as ft

from stroll.domain.records import parse_time
from stroll.state import AppState
from stroll.ui.my_shifts import MyShiftsEntry
from stroll.ui.widgets import icon_text, note, section_title, tab_list


def spots(state: AppState, shift: dict) -> ft.Control:
    tr = state.tr
    left = shift.get("spots_left", shift["capacity"])
    if left <= 0:
        text, fg, bg = tr.t("shifts.full"), ft.Colors.ON_ERROR_CONTAINER, ft.Colors.ERROR_CONTAINER
    else:
        text = tr.t("shifts.spots", left=left, count=shift["capacity"])
        fg, bg = ft.Colors.ON_SECONDARY_CONTAINER, ft.Colors.SECONDARY_CONTAINER
    return ft.Container(ft.Text(text, size=13, color=fg, weight=ft.FontWeight.W_500),
                        bgcolor=bg, border_radius=12,
                        padding=ft.Padding.symmetric(horizontal=10, vertical=4))


def shift_card(state: AppState, shift: dict) -> ft.Control:
    tr = state.tr
    tz = state.now().tzinfo
    start = parse_time(shift["starts_at"]).astimezone(tz)
    end = parse_time(shift["ends_at"]).astimezone(tz)
    rows = [
        ft.Text(tr.place(shift, "title"), weight=ft.FontWeight.W_600),
        icon_text(ft.Icons.SCHEDULE, tr.time_range(start, end)),
        icon_text(ft.Icons.PLACE_OUTLINED, shift.get("meeting_point")
                  or state.neighborhood_name(shift["neighborhood_id"])),
        ft.Row([ft.Text(state.neighborhood_name(shift["neighborhood_id"]), size=13,
                        color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
                spots(state, shift)]),
    ]
    return ft.Semantics(identifier=f"shift-{shift['id']}", container=True, content=ft.Card(
        ft.Container(ft.Column(rows, spacing=4), padding=12), margin=0))


@ft.component
def ShiftsTab(state: AppState):
    tr = state.tr
    today = state.now().date()
    controls: list[ft.Control] = []
    for day, shifts in state.shifts_by_day():
        controls.append(section_title(tr.day_label(day, today), f"day-{day.isoformat()}"))
        controls += [shift_card(state, s) for s in shifts]
    if not controls:
        controls.append(note(tr.t("shifts.empty")))
    # the day's shift and the way into My shifts first (stroll/ui/my_shifts.py)
    controls.insert(0, MyShiftsEntry(state, state.my_shifts))
    return tab_list(controls, "shifts-tab")
