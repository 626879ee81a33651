"""More tab: who is signed in, the member's calendar link, language, server address,
device name, map tiles, about."""
from __future__ import annotations

import flet as ft

from stroll.i18n import font_fallbacks, language_choices
from stroll.state import AppState
from stroll.ui.sign_in import SignInCard, busy_button
from stroll.ui.theme import MIN_TOUCH
from stroll.ui.widgets import error_text, note, section_title, tab_list


def language_picker(state: AppState) -> ft.Control:
    """Every language named in its own script and font."""
    radios = [
        ft.Semantics(identifier=f"lang-{c.code}", content=ft.Container(
            ft.Radio(value=c.code, label=c.name,
                     label_style=ft.TextStyle(size=16, font_family=c.font_family,
                                              font_family_fallback=font_fallbacks(c.code))),
            height=MIN_TOUCH, alignment=ft.Alignment.CENTER_LEFT))
        for c in language_choices()]
    return ft.RadioGroup(value=state.language, content=ft.Column(radios, spacing=0),
                         on_change=lambda e: state.set_language(e.control.value))


def settings_form(state: AppState) -> list[ft.Control]:
    tr = state.tr
    fields = [
        ft.Semantics(identifier="server-url", content=ft.TextField(
            label=tr.t("more.server"), hint_text=tr.t("more.server_hint"),
            value=state.draft_server_url, keyboard_type=ft.KeyboardType.URL,
            prefix_icon=ft.Icons.DNS_OUTLINED,
            on_change=lambda e: state.edit_server_url(e.control.value))),
        ft.Semantics(identifier="device-name", content=ft.TextField(
            label=tr.t("more.device"), hint_text=tr.t("more.device_hint"),
            value=state.draft_device_name, prefix_icon=ft.Icons.PHONE_ANDROID,
            on_change=lambda e: state.edit_device_name(e.control.value))),
        ft.Semantics(identifier="tile-url", content=ft.TextField(
            label=tr.t("more.tiles"), value=state.draft_tile_url,
            keyboard_type=ft.KeyboardType.URL, prefix_icon=ft.Icons.MAP_OUTLINED,
            on_change=lambda e: state.edit_tile_url(e.control.value))),
        ft.Semantics(identifier="mbtiles-path", content=ft.TextField(
            label=tr.t("more.mbtiles"), value=state.draft_mbtiles_path,
            prefix_icon=ft.Icons.LAYERS_OUTLINED,
            on_change=lambda e: state.edit_mbtiles_path(e.control.value))),
    ]
    if state.settings_error:
        fields.append(ft.Text(tr.t(state.settings_error), color=ft.Colors.ERROR))
    save = ft.Row([
        ft.Semantics(identifier="save-settings", content=ft.FilledButton(
            tr.t("more.save"), icon=ft.Icons.SAVE_OUTLINED, height=MIN_TOUCH,
            on_click=lambda _: state.save_settings())),
        ft.Text(tr.t(state.settings_message), color=ft.Colors.PRIMARY)
        if state.settings_message else ft.Container(),
    ], spacing=12)
    return fields + [save]


@ft.component
def CalendarCard(state: AppState):
    """"Shifts in your calendar": the member's calendar link (a secret address a
    calendar app subscribes to), to copy, and to stop (stroll/state/calendar_link.py)."""
    tr = state.tr
    url = state.calendar_url
    rows: list[ft.Control] = [note(tr.t("calendar.intro"))]
    if url:
        async def copy(_):
            await ft.Clipboard().set(url)
            state.calendar_copied()
        rows += [
            # selectable text has no text of its own for a screen reader: the label says it
            ft.Semantics(identifier="calendar-url", label=url,
                         content=ft.Text(url, selectable=True)),
            note(tr.t("calendar.private")),
            ft.Row([
                ft.Semantics(identifier="calendar-copy", button=True, content=ft.FilledButton(
                    tr.t("calendar.copy"), icon=ft.Icons.COPY, height=MIN_TOUCH,
                    disabled=state.calendar_busy, on_click=copy)),
                busy_button("calendar-stop", tr.t("calendar.stop"), tr.t("calendar.stopping"),
                            ft.Icons.LINK_OFF, state.calendar_busy, state.stop_calendar_link,
                            filled=False, wide=True)], wrap=True, spacing=8, run_spacing=8)]
    else:
        rows.append(busy_button("calendar-make", tr.t("calendar.make"),
                                tr.t("calendar.making"), ft.Icons.EVENT_AVAILABLE,
                                state.calendar_busy, state.calendar_link))
    if state.calendar_error:
        rows.append(error_text(tr.t(state.calendar_error), "calendar-error"))
    elif state.calendar_message:
        rows.append(ft.Semantics(identifier="calendar-note", live_region=True, content=ft.Text(
            tr.t(state.calendar_message), color=ft.Colors.PRIMARY)))
    return ft.Semantics(identifier="calendar-card", container=True, content=ft.Column(
        [section_title(tr.t("calendar.card"), "more-calendar"), *rows],
        spacing=8, tight=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH))


@ft.component
def MoreTab(state: AppState):
    tr = state.tr
    signed_in = [ft.Divider(), CalendarCard(state)] if state.account.signed_in else []
    controls: list[ft.Control] = [
        SignInCard(state, state.account),
        *signed_in,
        ft.Divider(),
        section_title(tr.t("more.language"), "more-language"),
        language_picker(state),
        ft.Divider(),
        *settings_form(state),
        ft.Divider(),
        section_title(tr.t("more.about"), "more-about"),
        note(tr.t("more.about_text", version=state.version)),
    ]
    return tab_list(controls, "more-tab")
