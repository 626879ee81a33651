"""Small building blocks shared by the tabs and screens (plain functions returning
controls)."""
from __future__ import annotations

from typing import Optional

import flet as ft

from stroll.ui.theme import GAP, MIN_TOUCH


def section_title(text: str, identifier: str | None = None) -> ft.Control:
    title = ft.Text(text, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600)
    content = ft.Container(title, padding=ft.Padding.only(top=GAP, bottom=4))
    if identifier:
        return ft.Semantics(identifier=identifier, header=True, content=content)
    return content


def icon_text(icon, text: str, *, color=None, size: int = 14) -> ft.Control:
    return ft.Row([ft.Icon(icon, size=size + 4, color=color or ft.Colors.ON_SURFACE_VARIANT),
                   ft.Text(text, size=size, color=color)],
                  spacing=4, tight=True)


def note(text: str) -> ft.Control:
    return ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT)


def tab_list(controls: list[ft.Control], identifier: str) -> ft.Control:
    return ft.Semantics(identifier=identifier, container=True, expand=True, content=ft.ListView(
        controls, expand=True, spacing=8, padding=ft.Padding.symmetric(horizontal=16, vertical=8)))


def screen(route: str, title: str, identifier: str, body: ft.Control) -> ft.View:
    """A pushed screen: title in the app bar, the body filling the rest."""
    return ft.View(
        key=identifier,  # a different screen at the same depth is a new view, not a patch
        route=route,
        appbar=ft.AppBar(title=ft.Semantics(identifier="screen-title", header=True,
                                            content=ft.Text(title, max_lines=1,
                                                            overflow=ft.TextOverflow.ELLIPSIS))),
        padding=0,
        controls=[ft.Semantics(key=identifier, identifier=identifier, container=True,
                               expand=True, content=body)],
    )


def scroll_list(controls: list[ft.Control], identifier: str,
                footer: Optional[ft.Control] = None, ref: Optional[ft.Ref] = None
                ) -> ft.Control:
    """The screen's content, scrolling; ``footer`` (the save button) stays in view below.
    A Column, not a ListView: every field is built, so ``scroll_to`` finds any of them
    (``ref`` gets the scrolling column)."""
    body = ft.Semantics(identifier=identifier, container=True, expand=True, content=ft.Column(
        [ft.Container(ft.Column(controls, spacing=8, tight=True,
                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                      padding=ft.Padding.only(left=16, right=16, top=8, bottom=24))],
        ref=ref, scroll=ft.ScrollMode.AUTO, expand=True, spacing=0,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH))
    if footer is None:
        return body
    return ft.Column([body, ft.Container(
        footer, padding=ft.Padding.only(left=16, right=16, top=8, bottom=12),
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)))],
        spacing=0, expand=True)


def chip(identifier: str, label: str, selected: bool, on_select) -> ft.Control:
    """A choice chip, 48 px tall (touch target)."""
    return ft.Semantics(identifier=identifier, content=ft.Chip(
        label=ft.Text(label), selected=selected, height=MIN_TOUCH,
        on_select=lambda _: on_select()))


def chips(items: list[ft.Control]) -> ft.Control:
    """Chips that wrap onto the next line (no sideways scrolling on a phone)."""
    return ft.Row(items, wrap=True, spacing=8, run_spacing=4)


def error_text(text: str, identifier: str) -> ft.Control:
    return ft.Semantics(identifier=identifier, live_region=True, content=ft.Row(
        [ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ERROR, size=18),
         ft.Text(text, color=ft.Colors.ERROR, expand=True)],
        spacing=6, vertical_alignment=ft.CrossAxisAlignment.START))


def save_footer(save: ft.Control, error: Optional[str], identifier: str) -> ft.Control:
    """The save button, with what stops the save right above it (the field itself may
    be scrolled out of sight)."""
    if not error:
        return save
    return ft.Column([error_text(error, identifier), save], spacing=8, tight=True)


def info_line(icon, text: str, identifier: str | None = None, *, color=None) -> ft.Control:
    """An icon and a sentence that wraps (``widgets.icon_text`` is for short labels)."""
    row = ft.Row([ft.Icon(icon, size=20, color=color or ft.Colors.ON_SURFACE_VARIANT),
                  ft.Text(text, color=color, expand=True)],
                 spacing=8, vertical_alignment=ft.CrossAxisAlignment.START)
    return ft.Semantics(identifier=identifier, content=row) if identifier else row


def field_label(text: str) -> ft.Control:
    return ft.Text(text, weight=ft.FontWeight.W_600)


def big_button(identifier: str, text: str, icon, on_click, *, color=None) -> ft.Control:
    return ft.Semantics(identifier=identifier, button=True, content=ft.FilledButton(
        text, icon=icon, height=56, width=float("inf"), on_click=lambda _: on_click(),
        style=ft.ButtonStyle(bgcolor=color) if color else None))
