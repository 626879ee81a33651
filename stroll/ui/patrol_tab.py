"""Patrol tab: start a stroll, the forms not saved yet, the recent strolls, the
neighborhoods."""
from __future__ import annotations

from datetime import datetime

import flet as ft

from stroll.state import AppState
from stroll.ui.history import needing_section
from stroll.ui.my_shifts import ShiftReminder
from stroll.ui.theme import MIN_TOUCH
from stroll.ui.widgets import icon_text, note, section_title, tab_list


def stroll_card(state: AppState, s: dict) -> ft.Control:
    """A recent stroll; a tap opens it (stroll/ui/history.py)."""
    tr = state.tr
    started = datetime.fromisoformat(s["started_at"])
    return ft.Semantics(identifier=f"stroll-{s['id']}", container=True, button=True,
                        content=ft.Card(
        ft.Container(
            ft.Row([ft.Column([
                ft.Text(tr.day_time(started), weight=ft.FontWeight.W_600),
                ft.Text(state.neighborhood_name(s["neighborhood_id"])
                        or s.get("neighborhood_name")),
                ft.Row([icon_text(ft.Icons.STRAIGHTEN, tr.km(s.get("distance_m"))),
                        icon_text(ft.Icons.GROUP, tr.t("patrol.team", count=s.get("team_size", 0)))],
                       spacing=16, wrap=True),
            ], spacing=4, expand=True),
                ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT)]),
            padding=12, ink=True, border_radius=12,
            on_click=lambda _, sid=s["id"]: state.open_past_stroll(sid)),
        margin=0))


def draft_card(state: AppState, d: dict) -> ft.Control:
    """A form left unsaved: tap to finish it, or discard it."""
    tr = state.tr
    lines = [ft.Text(state.draft_title(d), weight=ft.FontWeight.W_600)]
    detail = state.draft_detail(d)
    if detail:
        lines.append(ft.Text(detail, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS))
    lines.append(ft.Text(tr.t("draft.kept_at", when=tr.when(
        datetime.fromisoformat(d["updated_at"]), state.now())), size=12,
        color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Card(ft.Row([
        ft.Semantics(identifier=f"draft-{d['key']}", button=True, expand=True, content=ft.Container(
            ft.Row([ft.Icon(ft.Icons.EDIT_NOTE, color=ft.Colors.PRIMARY),
                    ft.Column(lines, spacing=2, expand=True)], spacing=12),
            padding=12, ink=True, on_click=lambda _: state.open_draft(d["key"]))),
        ft.Semantics(identifier=f"draft-forget-{d['key']}", button=True, content=ft.IconButton(
            ft.Icons.DELETE_OUTLINE, tooltip=tr.t("draft.forget"),
            on_click=lambda _: state.forget_draft(d["key"]))),
    ], spacing=0), margin=0)


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
    ]
    if state.drafts:  # what was typed and not saved first: it is on no record yet
        controls += [section_title(tr.t("patrol.drafts"), "drafts"),
                     note(tr.t("patrol.drafts_hint")),
                     *(draft_card(state, d) for d in state.drafts)]
    controls += [*needing_section(state), section_title(tr.t("patrol.recent"), "recent-strolls")]
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
    if state.history.error and not state.screens:  # a stroll that could not be opened
        key, params = state.history.error
        controls.insert(1, ft.Text(tr.t(key, **params), color=ft.Colors.ERROR))
    if state.load_error:
        controls.insert(0, ft.Text(tr.t("error.store", error=state.load_error),
                                   color=ft.Colors.ERROR))
    # the day's shift first, if there is one (stroll/ui/my_shifts.py)
    controls.insert(1 if state.load_error else 0, ShiftReminder(state, state.my_shifts))
    return tab_list(controls, "patrol-tab")
