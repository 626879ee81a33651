"""Small building blocks shared by the tabs (plain functions returning controls)."""
from __future__ import annotations

import flet as ft

from stroll.ui.theme import GAP


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
