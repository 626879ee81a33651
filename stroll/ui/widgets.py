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


# A chip's look: its label (labelLarge: 14 px, 20 px a line) whole on as many lines as it
# needs, inside a 40 px tall face for one line; with the band above and below that also
# takes the tap, one line is 48 px (MIN_TOUCH). tests/e2e/text_fit.py reads these to
# tell a cut label from a whole one.
CHIP_LABEL_STYLE = ft.TextThemeStyle.LABEL_LARGE
CHIP_PADDING = (16, 9)    # px inside the face, (left and right, top and bottom)
CHIP_BORDER = 1
CHIP_BAND = 4             # px above and below the face that take the tap too
CHIP_CHECK = 18           # the check mark of a chosen chip, and 6 px after it
CHIP_CHECK_GAP = 6


def chip(identifier: str, label: str, selected: bool, on_select) -> ft.Control:
    """A choice chip whose label is never cut: it wraps onto a second line (the chip
    grows) in a language whose words are long. A plain Container in the Wrap of
    ``chips``, not Material's Chip: that one decides its height from the label laid
    out a little wider than it then draws it, so a label just too long for one line
    was cut mid-word with its second line clipped."""
    color = ft.Colors.ON_SECONDARY_CONTAINER if selected else ft.Colors.ON_SURFACE_VARIANT
    if selected:  # the check mark, then the label in what is left of the line
        label_control: ft.Control = ft.Row(
            [ft.Icon(ft.Icons.CHECK, size=CHIP_CHECK, color=color),
             ft.Text(label, theme_style=CHIP_LABEL_STYLE, color=color, expand=True,
                     expand_loose=True)],
            spacing=CHIP_CHECK_GAP, tight=True)
    else:
        label_control = ft.Text(label, theme_style=CHIP_LABEL_STYLE, color=color)
    face = ft.Container(
        label_control, padding=ft.Padding.symmetric(horizontal=CHIP_PADDING[0],
                                                    vertical=CHIP_PADDING[1]),
        border_radius=8,
        bgcolor=ft.Colors.SECONDARY_CONTAINER if selected else None,
        border=ft.Border.all(CHIP_BORDER, ft.Colors.SECONDARY_CONTAINER if selected
                             else ft.Colors.OUTLINE_VARIANT))
    return ft.Semantics(identifier=identifier, checked=selected, content=ft.Container(
        face, padding=ft.Padding.symmetric(vertical=CHIP_BAND),
        on_click=lambda _: on_select()))


def chips(items: list[ft.Control]) -> ft.Control:
    """Chips that wrap onto the next line (no sideways scrolling on a phone); the
    chips' own tap bands make the 8 px between two lines."""
    return ft.Row(items, wrap=True, spacing=8, run_spacing=0)


def button_style(height: int = MIN_TOUCH, **style) -> ft.ButtonStyle:
    """A button ``height`` px tall with a one-line label that grows when its label
    wraps (a fixed height would cut the second line): the label's 20 px line and the
    padding that makes up the rest."""
    return ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=16,
                                                       vertical=(height - 20) / 2), **style)


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
    """A full-width button, 56 px tall for a one-line label (taller when it wraps)."""
    style = button_style(56, bgcolor=color) if color else button_style(56)
    return ft.Semantics(identifier=identifier, button=True, content=ft.FilledButton(
        text, icon=icon, width=float("inf"), on_click=lambda _: on_click(), style=style))
