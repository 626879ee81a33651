"""New stroll screen: pick the neighborhood. Tracking the walk is a later issue, and
the screen says so rather than pretending."""
from __future__ import annotations

import flet as ft

from stroll.state import AppState
from stroll.ui.theme import MIN_TOUCH
from stroll.ui.widgets import note, section_title


def NewStrollView(state: AppState) -> ft.View:
    tr = state.tr
    choices = ft.RadioGroup(
        value=state.new_stroll_neighborhood_id,
        on_change=lambda e: state.choose_new_stroll_neighborhood(e.control.value),
        content=ft.Column([
            ft.Semantics(identifier=f"new-stroll-hood-{n['id']}", content=ft.Container(
                ft.Radio(value=n["id"], label=n["name"]), height=MIN_TOUCH,
                alignment=ft.Alignment.CENTER_LEFT))
            for n in state.neighborhoods], spacing=0))
    return ft.View(
        route="/new-stroll",
        appbar=ft.AppBar(title=ft.Semantics(identifier="screen-title", header=True,
                                            content=ft.Text(tr.t("new_stroll.title")))),
        padding=ft.Padding.symmetric(horizontal=16, vertical=8),
        controls=[
            ft.Semantics(identifier="new-stroll", container=True, content=ft.Column([
                section_title(tr.t("new_stroll.pick")),
                choices,
                ft.Semantics(identifier="begin-stroll", content=ft.FilledButton(
                    tr.t("new_stroll.begin"), icon=ft.Icons.PLAY_ARROW, height=56,
                    width=float("inf"), disabled=True)),
                note(tr.t("new_stroll.not_yet")),
            ], spacing=12)),
        ],
    )
