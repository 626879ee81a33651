"""Patrol tab: start a stroll, the recent strolls, the neighborhoods."""
from __future__ import annotations

from datetime import datetime

import flet as ft

from stroll.state import AppState
from stroll.ui.theme import MIN_TOUCH
from stroll.ui.widgets import icon_text, note, section_title, tab_list


def stroll_card(state: AppState, s: dict) -> ft.Control:
    tr = state.tr
    started = datetime.fromisoformat(s["started_at"])
    return ft.Semantics(identifier=f"stroll-{s['id']}", container=True, content=ft.Card(
        ft.Container(
            ft.Column([
                ft.Text(tr.day_time(started), weight=ft.FontWeight.W_600),
                ft.Text(state.neighborhood_name(s["neighborhood_id"])
                        or s.get("neighborhood_name")),
                ft.Row([icon_text(ft.Icons.STRAIGHTEN, tr.km(s.get("distance_m"))),
                        icon_text(ft.Icons.GROUP, tr.t("patrol.team", count=s.get("team_size", 0)))],
                       spacing=16),
            ], spacing=4),
            padding=12),
        margin=0))


@ft.component
def PatrolTab(state: AppState):
    tr = state.tr
    counts = state.route_counts()
    controls: list[ft.Control] = [
        ft.Semantics(identifier="start-stroll", button=True, content=ft.FilledButton(
            # with a stroll running on this phone, the same button goes back to it
            tr.t("patrol.back_to_stroll" if state.patrol.core.stroll else "patrol.start"),
            icon=ft.Icons.DIRECTIONS_WALK, height=56,
            width=float("inf"), on_click=lambda _: state.open_new_stroll())),
        section_title(tr.t("patrol.recent"), "recent-strolls"),
    ]
    if state.strolls:
        controls += [stroll_card(state, s) for s in state.strolls]
    else:
        controls.append(note(tr.t("patrol.empty")))
    controls.append(section_title(tr.t("patrol.neighborhoods"), "neighborhoods"))
    controls += [
        ft.ListTile(title=ft.Text(tr.place(n)), subtitle=ft.Text(n.get("city", "")),
                    trailing=ft.Text(tr.t("patrol.routes", count=counts.get(n["id"], 0))),
                    leading=ft.Icon(ft.Icons.LOCATION_CITY), min_height=MIN_TOUCH,
                    content_padding=ft.Padding.symmetric(horizontal=4))
        for n in state.neighborhoods
    ]
    if state.load_error:
        controls.insert(0, ft.Text(tr.t("error.store", error=state.load_error),
                                   color=ft.Colors.ERROR))
    return tab_list(controls, "patrol-tab")
