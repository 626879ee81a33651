"""Merchant check-in screens: the nearby list, the two-tap check-in, adding a business.

Tap 1 picks the business in the list (``state.pick_merchant``); tap 2 is one of the
three big status buttons on its screen, which saves the visit (``state.check_in``).
The optional note and language sit above the buttons, the visit history below.

Each ``*View(state)`` returns an ``ft.View`` for the shell's screen stack. What they
show comes from ``state.patrol.visit`` (``CheckIn``, an observable of its own): the
body is a component that receives it, so a change there re-renders the body.
"""
from __future__ import annotations

from typing import Optional

import flet as ft

from stroll.domain import taxonomy as tx
from stroll.domain.records import parse_time
from stroll.state import MERCHANT_CATEGORIES, AppState, CheckIn, FormNotice
from stroll.ui.theme import GAP
from stroll.ui.widgets import (big_button, button_style, chip, chips, error_text, field_label,
                               icon_text, info_line, note, save_footer, screen, scroll_list,
                               section_title)

# The three answers of a check-in: colour and icon of each big button.
_STATUS_LOOK = {
    "all_good": (ft.Colors.GREEN_700, ft.Icons.CHECK_CIRCLE_OUTLINE),
    "concern": (ft.Colors.AMBER_800, ft.Icons.REPORT_PROBLEM_OUTLINED),
    "needs_follow_up": (ft.Colors.RED_700, ft.Icons.FLAG_OUTLINED),
}


# ---- small shared pieces (also used by stroll/ui/incident.py) ---------------------------


def distance_text(state: AppState, metres: Optional[float]) -> str:
    """How far a place is: to 5 m under 100 m, to 10 m under a kilometre, then km."""
    if metres is None:
        return ""
    if metres < 1000:
        step = 5 if metres < 100 else 10
        metres = round(metres / step) * step
    return state.tr.distance(metres)


def warning_dialog(state: AppState, warning: Optional[tuple], identifier: str,
                   confirm_label: str, on_confirm, on_cancel) -> Optional[ft.AlertDialog]:
    """A plausibility warning (catalog key, params with ``distance_m`` and ``name``) as
    a question with one tap to go on; None when there is none."""
    if warning is None:
        return None
    key, params = warning
    tr = state.tr
    text = tr.t(key, **{**params, "distance": distance_text(state, params.get("distance_m"))})
    return ft.AlertDialog(
        modal=True,
        icon=ft.Icon(ft.Icons.WRONG_LOCATION_OUTLINED, color=ft.Colors.AMBER_900),
        content=ft.Semantics(identifier=identifier, container=True, live_region=True,
                             content=ft.Text(text, size=16)),
        actions=[
            ft.Semantics(identifier=f"{identifier}-cancel", button=True, content=ft.TextButton(
                tr.t("warning.not_now"), style=button_style(), on_click=lambda _: on_cancel())),
            ft.Semantics(identifier=f"{identifier}-confirm", button=True, content=ft.FilledButton(
                confirm_label, style=button_style(), on_click=lambda _: on_confirm())),
        ],
        on_dismiss=lambda _: on_cancel(),
    )


def _when(state: AppState, iso: Optional[str]) -> str:
    if not iso:
        return ""
    try:
        return state.tr.when(parse_time(iso), state.now())
    except (TypeError, ValueError):
        return ""


def category_label(state: AppState, category: Optional[str]) -> str:
    """The category in the person's language; a free-text category as it was typed."""
    cat = category or "other"
    key = f"merchant_category.{cat}"
    return state.tr.t(key) if state.tr.has(key) else cat[:1].upper() + cat[1:]


def language_order(first: list[str]) -> list[str]:
    """The merchant's own languages first, then the other spoken languages."""
    own = [c for c in first if c in tx.SPOKEN_LANGUAGES]
    return own + [c for c in tx.SPOKEN_LANGUAGES if c not in own]


# ---- 1. the list of nearby businesses ---------------------------------------------------


def _merchant_row(state: AppState, m: dict) -> ft.Control:
    tr = state.tr
    facts: list[ft.Control] = [icon_text(ft.Icons.STOREFRONT_OUTLINED,
                                         category_label(state, m.get("category")))]
    dist = distance_text(state, m.get("distance_m"))
    if dist:
        facts.append(icon_text(ft.Icons.NEAR_ME_OUTLINED, dist))
    last = _when(state, m.get("last_visit_at"))
    lines: list[ft.Control] = [
        ft.Text(tr.place(m), weight=ft.FontWeight.W_600, size=16),
        ft.Row(facts, spacing=16, wrap=True, run_spacing=2),
    ]
    if last:
        lines.append(icon_text(ft.Icons.HISTORY, tr.t("check_in.last_visit", when=last)))
    if m.get("address"):
        lines.append(ft.Text(m["address"], size=13, color=ft.Colors.ON_SURFACE_VARIANT,
                             max_lines=1, overflow=ft.TextOverflow.ELLIPSIS))
    return ft.Semantics(identifier=f"merchant-{m['id']}", button=True, content=ft.Card(
        ft.Container(
            ft.Row([ft.Column(lines, spacing=4, expand=True),
                    ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT)],
                   vertical_alignment=ft.CrossAxisAlignment.CENTER),
            padding=12, ink=True,
            on_click=lambda _, mid=m["id"]: state.pick_merchant(mid)),
        margin=0))


@ft.component
def CheckInBody(state: AppState, visit: CheckIn):
    tr = state.tr
    controls: list[ft.Control] = []
    if visit.core.position_source() is None:
        controls.append(info_line(ft.Icons.LOCATION_OFF_OUTLINED, tr.t("check_in.by_name"),
                                  "check-in-by-name"))
    else:
        controls.append(note(tr.t("check_in.nearest")))
    controls.append(ft.Semantics(identifier="add-merchant", button=True, content=ft.OutlinedButton(
        tr.t("check_in.add"), icon=ft.Icons.ADD_BUSINESS_OUTLINED, style=button_style(),
        width=float("inf"), on_click=lambda _: state.open_add_merchant())))
    if visit.checkin_error:
        controls.append(error_text(tr.t(visit.checkin_error), "check-in-error"))
    if visit.merchants:
        controls += [_merchant_row(state, m) for m in visit.merchants]
    else:
        controls.append(note(tr.t("check_in.empty")))
    return scroll_list(controls, "check-in-list")


def CheckInView(state: AppState) -> ft.View:
    return screen("/check-in", state.tr.t("check_in.title"), "check-in",
                  CheckInBody(state, state.patrol.visit))


# ---- 2. one business: the check-in itself -------------------------------------------------


def _history_row(state: AppState, v: dict) -> ft.Control:
    tr = state.tr
    color, icon = _STATUS_LOOK.get(v.get("status"), (ft.Colors.ON_SURFACE_VARIANT, ft.Icons.CIRCLE))
    status = v.get("status") or ""
    label = tr.t(f"check_in_status.{status}") if tr.has(f"check_in_status.{status}") else status
    lines: list[ft.Control] = [ft.Row([
        ft.Text(_when(state, v.get("at")), weight=ft.FontWeight.W_600),
        ft.Text(label, color=color)], spacing=12, wrap=True)]
    if v.get("language") and tr.has(f"spoken.{v['language']}"):
        lines.append(ft.Text(tr.t(f"spoken.{v['language']}"), size=13,
                             color=ft.Colors.ON_SURFACE_VARIANT))
    if v.get("note"):
        lines.append(ft.Text(v["note"], size=14))
    return ft.Row([ft.Icon(icon, color=color, size=20), ft.Column(lines, spacing=2, expand=True)],
                  spacing=10, vertical_alignment=ft.CrossAxisAlignment.START)


@ft.component
def MerchantBody(state: AppState, visit: CheckIn):
    tr = state.tr
    ft.use_dialog(warning_dialog(state, visit.pending_warning, "check-in-warning",
                                 tr.t("warning.check_in_anyway"), state.confirm_check_in,
                                 visit.dismiss_warning))
    m = visit.merchant or {}
    facts: list[ft.Control] = [icon_text(ft.Icons.STOREFRONT_OUTLINED,
                                         category_label(state, m.get("category")))]
    if m.get("address"):
        facts.append(info_line(ft.Icons.PLACE_OUTLINED, m["address"]))
    langs = language_order(list(m.get("languages") or []))
    controls: list[ft.Control] = [
        *facts,
        ft.Semantics(identifier="check-in-note", content=ft.TextField(
            key=f"check-in-note-{visit.checkin_field}",
            label=tr.t("check_in.note"), hint_text=tr.t("check_in.note_hint"),
            value=visit.checkin_note, multiline=True, min_lines=1, max_lines=4,
            on_change=lambda e: visit.edit_checkin_note(e.control.value))),
        field_label(tr.t("check_in.language")),
        chips([chip(f"check-in-lang-{code}", tr.t(f"spoken.{code}"),
                    visit.checkin_language == code,
                    lambda code=code: visit.choose_checkin_language(code))
               for code in langs]),
        ft.Container(height=4),
        section_title(tr.t("check_in.how"), "check-in-how"),
    ]
    if visit.checkin_error:
        controls.append(error_text(tr.t(visit.checkin_error), "check-in-error"))
    for status in tx.CHECK_IN_STATUS:
        color, icon = _STATUS_LOOK[status]
        controls.append(big_button(f"check-in-{status}", tr.t(f"check_in_status.{status}"),
                                   icon, lambda s=status: state.check_in(s), color=color))
    controls.append(section_title(tr.t("check_in.history"), "merchant-history-title"))
    history = [_history_row(state, v) for v in visit.history]
    controls.append(ft.Semantics(identifier="merchant-history", container=True, content=ft.Column(
        history or [note(tr.t("check_in.no_history"))], spacing=GAP)))
    return scroll_list(controls, "merchant-body")


def MerchantView(state: AppState) -> ft.View:
    m = state.patrol.visit.merchant or {}
    return screen("/merchant", state.tr.place(m) or state.tr.t("check_in.title"), "merchant",
                  MerchantBody(state, state.patrol.visit))


# ---- 3. add a business where the team stands ---------------------------------------------


@ft.component
def MerchantTextField(state: AppState, visit: CheckIn, notice: FormNotice, field: str,
                      value: str, rev: int,
                      capitalization: Optional[ft.TextCapitalization] = None):
    """A text field of the new business and what the last save said about it; the
    error goes with the first keystroke after it (``notice`` redraws this field and the
    save footer, not the form: a chip tapped next lands where the person sees it)."""
    error = visit.merchant_errors_shown().get(field)
    return ft.Column([  # stretched: as wide as the rest of the form
        ft.Semantics(identifier=f"new-merchant-{field}", content=ft.TextField(
            key=f"new-merchant-{field}-{rev}", label=state.tr.t(f"new_merchant.{field}"),
            value=value, capitalization=capitalization,
            on_change=lambda e: visit.edit_new_merchant(field, e.control.value))),
        *([error_text(state.tr.t(error), f"new-merchant-error-{field}")] if error else []),
    ], spacing=4, tight=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


@ft.component
def MerchantSaveFooter(state: AppState, visit: CheckIn, notice: FormNotice):
    """Save, with the first error the person has not answered yet right above it."""
    first = next(iter(visit.merchant_errors_shown().values()), None)
    save = big_button("new-merchant-save", state.tr.t("new_merchant.save"),
                      ft.Icons.SAVE_OUTLINED, state.save_merchant)
    return save_footer(save, state.tr.t(first) if first else None,
                       "new-merchant-error-summary")


@ft.component
def AddMerchantBody(state: AppState, visit: CheckIn):
    tr = state.tr
    shown = visit.merchant_errors_shown()  # the text fields show their own
    notice = visit.merchant_notice
    draft = visit.new_merchant
    rev = visit.checkin_field

    def err(field: str) -> list[ft.Control]:
        return [error_text(tr.t(shown[field]), f"new-merchant-error-{field}")] \
            if shown.get(field) else []

    src = visit.core.position_source()
    if src is None:
        where = info_line(ft.Icons.LOCATION_OFF_OUTLINED, tr.t("error.no_position"),
                          "new-merchant-where", color=ft.Colors.ERROR)
    else:
        where = info_line(ft.Icons.MY_LOCATION, tr.t("new_merchant.here" if src == "gps"
                                                     else "new_merchant.here_manual"),
                          "new-merchant-where")
    controls: list[ft.Control] = [
        where,
        MerchantTextField(state, visit, notice, "name", draft.get("name", ""), rev,
                          ft.TextCapitalization.WORDS),
        MerchantTextField(state, visit, notice, "address", draft.get("address", ""), rev),
        field_label(tr.t("new_merchant.category")),
        chips([chip(f"new-merchant-category-{c}", tr.t(f"merchant_category.{c}"),
                    visit.new_merchant_category == c,
                    lambda c=c: visit.choose_new_merchant_category(c))
               for c in MERCHANT_CATEGORIES]),
        *err("category"),
        field_label(tr.t("new_merchant.languages")),
        chips([chip(f"new-merchant-lang-{c}", tr.t(f"spoken.{c}"),
                    c in visit.new_merchant_languages,
                    lambda c=c: visit.toggle_new_merchant_language(c))
               for c in tx.SPOKEN_LANGUAGES]),
        *err("languages"),
        field_label(tr.t("new_merchant.how")),  # the visit saved with the business
        chips([chip(f"new-merchant-status-{st}", tr.t(f"check_in_status.{st}"),
                    visit.new_merchant_status == st,
                    lambda st=st: visit.choose_new_merchant_status(st))
               for st in tx.CHECK_IN_STATUS]),
        *err("position"),
        *[error_text(tr.t(v), f"new-merchant-error-{k}") for k, v in shown.items()
          if k not in ("name", "address", "category", "languages", "position")],
    ]
    return scroll_list(controls, "add-merchant-body",
                       footer=MerchantSaveFooter(state, visit, notice))


def AddMerchantView(state: AppState) -> ft.View:
    return screen("/add-merchant", state.tr.t("new_merchant.title"), "add-merchant-form",
                  AddMerchantBody(state, state.patrol.visit))


__all__ = ["CheckInView", "MerchantView", "AddMerchantView"]
