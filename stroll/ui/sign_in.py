"""Signing this phone in: the sign-in screen (a fresh install opens on it; the sync
badge's "Sign in" opens it) and the account card at the top of the More tab.

Both show ``state.account`` (``SignIn``: stroll/state/sign_in.py) and call AppState's
``edit_invite_code`` / ``sign_in`` / ``sign_out`` / ``sign_in_later``; the network
calls run off the page's loop and their answer re-renders these components.
"""
from __future__ import annotations

import flet as ft

from stroll.i18n import font_fallbacks, language_choices
from stroll.state import AppState, SignIn
from stroll.ui.theme import MIN_TOUCH
from stroll.ui.widgets import error_text, info_line, note, screen, scroll_list, section_title


def member_line(state: AppState, account: SignIn) -> str:
    """"Signed in as Mei Chan · Ambassador"."""
    m = account.member or {}
    key = account.role_key()
    role = state.tr.t(key) if key else (m.get("role") or "")
    return state.tr.t("signin.as", name=m.get("name") or "", role=role)


def code_field(state: AppState, account: SignIn, identifier: str) -> ft.Control:
    tr = state.tr
    return ft.Semantics(identifier=identifier, content=ft.TextField(
        label=tr.t("signin.code"), hint_text=tr.t("signin.code_hint"), value=account.invite_code,
        prefix_icon=ft.Icons.KEY_OUTLINED, capitalization=ft.TextCapitalization.CHARACTERS,
        autocorrect=False, enable_suggestions=False, read_only=account.busy,
        on_change=lambda e: state.edit_invite_code(e.control.value),
        on_submit=lambda _: state.sign_in()))


def busy_button(identifier: str, text: str, busy_text: str, icon, busy: bool, on_click,
                 *, filled: bool = True, wide: bool = False) -> ft.Control:
    kind = ft.FilledButton if filled else ft.OutlinedButton
    content = (ft.Row([ft.ProgressRing(width=18, height=18, stroke_width=2),
                       ft.Text(busy_text)], spacing=8, tight=True)
               if busy else ft.Text(text))
    button = ft.Semantics(identifier=identifier, button=True, content=kind(
        content=content, icon=None if busy else icon, height=MIN_TOUCH, disabled=busy,
        on_click=lambda _: on_click()))
    return button if wide else ft.Row([button])


def _message(state: AppState, account: SignIn, identifier: str) -> list[ft.Control]:
    if account.error:
        return [error_text(state.tr.t(account.error), identifier)]
    if account.message:
        return [ft.Semantics(identifier=f"{identifier}-note", live_region=True, content=ft.Text(
            state.tr.t(account.message), color=ft.Colors.PRIMARY))]
    return []


# ---- the More tab's card ------------------------------------------------------------------

@ft.component
def SignInCard(state: AppState, account: SignIn):
    tr = state.tr
    if account.signed_in:
        rows: list[ft.Control] = [
            ft.Semantics(identifier="card-member", content=ft.Row([
                ft.Icon(ft.Icons.VERIFIED_USER_OUTLINED, color=ft.Colors.PRIMARY),
                ft.Text(member_line(state, account), weight=ft.FontWeight.W_600, expand=True)],
                spacing=8)),
            *_message(state, account, "card-error"),
            note(tr.t("signin.switch")),
            busy_button("card-sign-out", tr.t("signin.out"), tr.t("signin.out_busy"),
                         ft.Icons.LOGOUT, account.busy, state.sign_out, filled=False),
        ]
    else:
        rows = [
            info_line(ft.Icons.NO_ACCOUNTS_OUTLINED, tr.t("signin.none"), "card-none"),
            code_field(state, account, "card-code"),
            *_message(state, account, "card-error"),
            busy_button("card-sign-in", tr.t("signin.button"), tr.t("signin.busy"),
                         ft.Icons.LOGIN, account.busy, state.sign_in),
        ]
    return ft.Semantics(identifier="signin-card", container=True, content=ft.Column(
        [section_title(tr.t("signin.card"), "more-account"), *rows],
        spacing=8, tight=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH))


# ---- the sign-in screen -------------------------------------------------------------------

def _languages(state: AppState) -> ft.Control:
    """The app's languages, each in its own script: the first screen may be read by
    someone who reads no English."""
    return ft.Row([ft.Semantics(identifier=f"signin-lang-{c.code}", content=ft.Chip(
        label=ft.Text(c.name, font_family=c.font_family,
                      font_family_fallback=font_fallbacks(c.code)),
        selected=c.code == state.language, show_checkmark=False,
        on_select=lambda _, code=c.code: state.set_language(code)))
        for c in language_choices()], wrap=True, spacing=6, run_spacing=4)


@ft.component
def SignInBody(state: AppState, account: SignIn):
    tr = state.tr
    controls: list[ft.Control] = [
        _languages(state),
        ft.Text(tr.t("signin.intro"), theme_style=ft.TextThemeStyle.BODY_LARGE),
        ft.Semantics(identifier="signin-server", content=ft.TextField(
            label=tr.t("more.server"), hint_text=tr.t("more.server_hint"),
            value=state.draft_server_url, keyboard_type=ft.KeyboardType.URL,
            prefix_icon=ft.Icons.DNS_OUTLINED, autocorrect=False, read_only=account.busy,
            on_change=lambda e: state.edit_server_url(e.control.value))),
        code_field(state, account, "signin-code"),
        *_message(state, account, "signin-error"),
        busy_button("signin-submit", tr.t("signin.button"), tr.t("signin.busy"),
                     ft.Icons.LOGIN, account.busy, state.sign_in, wide=True),
        note(tr.t("signin.switch")) if account.signed_in else ft.Container(),
        ft.Divider(),
        ft.Semantics(identifier="signin-not-now", button=True, content=ft.OutlinedButton(
            tr.t("signin.not_now"), icon=ft.Icons.ARROW_FORWARD, height=MIN_TOUCH,
            disabled=account.busy, on_click=lambda _: state.sign_in_later())),
        note(tr.t("signin.not_now_note")),
    ]
    return scroll_list(controls, "sign-in-form")


def SignInView(state: AppState) -> ft.View:
    view = screen("/sign-in", state.tr.t("signin.title"), "sign-in",
                  SignInBody(state, state.account))
    if state.first_start:  # nothing to go back to: "Not now" goes on to the app
        view.appbar.automatically_imply_leading = False
    return view


__all__ = ["SignInCard", "SignInView", "busy_button", "member_line"]
