"""Shifts tab: the week's shifts to sign up for (``state.shifts``, a ``ShiftBoard``:
stroll/state/shifts.py).

At the top, a card for each change someone else made to the person's sign-ups (a
place that opened up, a shift cancelled or moved), until "OK"; then the filters
(neighborhood, day, short-staffed first) and the shifts, by day. Each card says the
time, the meeting point, the places left and what the shift is short of, what the
person's own sign-up stands at, and signs up with one tap; a tap on the card opens
the shift's screen (stroll/ui/shift_detail.py).
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import flet as ft

from stroll.domain.records import parse_time
from stroll.domain.signup_changes import SignupChange
from stroll.state import AppState
from stroll.ui.my_shifts import MyShiftsEntry
from stroll.state.shifts import ShiftBoard, ShiftCard
from stroll.ui.theme import GAP
from stroll.ui.widgets import button_style, chip, chips, info_line, note, section_title, tab_list

WARN_FG, WARN_BG = ft.Colors.BROWN_800, ft.Colors.AMBER_100   # what a shift is short of
# what the person's sign-up stands at: (icon, color)
STATUS_LOOK = {"requested": (ft.Icons.HOURGLASS_TOP, ft.Colors.BLUE_GREY_700),
               "confirmed": (ft.Icons.CHECK_CIRCLE, ft.Colors.GREEN_800),
               "waitlisted": (ft.Icons.PENDING_OUTLINED, ft.Colors.AMBER_900),
               "refused": (ft.Icons.BLOCK, ft.Colors.RED_700),
               "cancelled": (ft.Icons.EVENT_BUSY, ft.Colors.ON_SURFACE_VARIANT)}


def local_time(state: AppState, when: str):
    return parse_time(when).astimezone(state.now().tzinfo)


def say(state: AppState, key_params: tuple[str, dict]) -> str:
    """A (catalog key, parameters) of the state in words; a language's code is said
    by its name."""
    key, params = key_params
    tr = state.tr
    if "language" in params:
        params = {**params, "language": tr.t(f"spoken.{params['language']}")
                  if tr.has(f"spoken.{params['language']}") else params["language"]}
    return tr.t(key, **params)


def pill(text: str, identifier: str, *, fg, bg, icon=None) -> ft.Control:
    """A short fact on a tinted ground; the text wraps rather than being cut."""
    row: list[ft.Control] = [ft.Text(text, size=13, color=fg, weight=ft.FontWeight.W_500)]
    if icon is not None:
        row.insert(0, ft.Icon(icon, size=16, color=fg))
    return ft.Semantics(identifier=identifier, content=ft.Container(
        ft.Row(row, spacing=4, tight=True, wrap=True), bgcolor=bg, border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4)))


def places(state: AppState, card: ShiftCard) -> ft.Control:
    key, _ = card.places
    if key == "shifts.spots":
        fg, bg = ft.Colors.ON_SECONDARY_CONTAINER, ft.Colors.SECONDARY_CONTAINER
    else:
        fg, bg = ft.Colors.ON_ERROR_CONTAINER, ft.Colors.ERROR_CONTAINER
    return pill(say(state, card.places), f"shift-places-{card.id}", fg=fg, bg=bg)


def facts(state: AppState, card: ShiftCard, *, flags: bool = True) -> ft.Control:
    """The places left and (``flags``) what the shift is short of, as pills that wrap."""
    items = [places(state, card)]
    if flags:
        items += [pill(say(state, flag), f"shift-flag-{card.id}-{i}", fg=WARN_FG, bg=WARN_BG,
                       icon=ft.Icons.WARNING_AMBER_ROUNDED)
                  for i, flag in enumerate(card.flags)]
    return ft.Semantics(identifier=f"shift-facts-{card.id}", container=True,
                        content=ft.Row(items, wrap=True, spacing=6, run_spacing=6))


def my_status(state: AppState, card: ShiftCard, identifier: str) -> Optional[ft.Control]:
    """What the person's sign-up stands at, and the server's reason where it says more."""
    if card.mine is None:
        return None
    icon, color = STATUS_LOOK.get(card.status, STATUS_LOOK["requested"])
    lines: list[ft.Control] = [ft.Row([
        ft.Icon(icon, size=20, color=color),
        ft.Text(say(state, card.mine), color=color, weight=ft.FontWeight.W_600, expand=True)],
        spacing=6, vertical_alignment=ft.CrossAxisAlignment.START)]
    if card.reason:
        lines.append(ft.Text(state.tr.t(card.reason), size=13, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Semantics(identifier=identifier, container=True, live_region=True,
                        content=ft.Column(lines, spacing=2))


def action(state: AppState, board: ShiftBoard, card: ShiftCard, identifier: str,
           *, big: bool = False) -> Optional[ft.Control]:
    """Sign up (again), or what stops it: nobody signed in on this phone (the More
    tab signs in). None while the person holds or waits for a place."""
    tr = state.tr
    style = button_style(56 if big else 48)
    if not card.can_sign_up:
        return None
    if not board.signed_in:
        return ft.Semantics(identifier=f"{identifier}-sign-in", button=True, content=ft.OutlinedButton(
            tr.t("shifts.sign_in_needed"), icon=ft.Icons.LOGIN, width=float("inf"), style=style,
            on_click=lambda _: state.select_tab("more")))
    label = tr.t("shifts.sign_up_again" if card.signup else "shifts.sign_up")
    return ft.Semantics(identifier=identifier, button=True, content=ft.FilledButton(
        label, icon=ft.Icons.EVENT_AVAILABLE, width=float("inf"), style=style,
        on_click=lambda _, sid=card.id: board.sign_up(sid)))


def shift_card(state: AppState, board: ShiftBoard, card: ShiftCard, *,
               with_day: bool = False) -> ft.Control:
    tr = state.tr
    s = card.shift
    start, end = local_time(state, s["starts_at"]), local_time(state, s["ends_at"])
    when = tr.time_range(start, end)
    if with_day:  # (not under the day's heading)
        when = tr.t("shifts.when", day=day_name(state, start.date()), time=when)
    hood = state.neighborhood_name(s["neighborhood_id"])
    rows: list[ft.Control] = [
        ft.Row([ft.Text(tr.place(s, "title"), weight=ft.FontWeight.W_600, expand=True),
                ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT)],
               vertical_alignment=ft.CrossAxisAlignment.START),
        info_line(ft.Icons.SCHEDULE, when),
        info_line(ft.Icons.PLACE_OUTLINED, s.get("meeting_point") or hood),
    ]
    if s.get("meeting_point") and hood:
        rows.append(info_line(ft.Icons.LOCATION_CITY, hood))
    rows.append(facts(state, card))
    status = my_status(state, card, f"shift-status-{card.id}")
    if status is not None:
        rows.append(status)
    body: list[ft.Control] = [ft.Semantics(
        identifier=f"shift-open-{card.id}", button=True, container=True, content=ft.Container(
            ft.Column(rows, spacing=6), padding=ft.Padding.only(left=12, right=8, top=12, bottom=8),
            ink=True, border_radius=12, on_click=lambda _, sid=card.id: state.open_shift(sid)))]
    button = action(state, board, card, f"shift-sign-up-{card.id}")
    if button is not None:
        body.append(ft.Container(button, padding=ft.Padding.only(left=12, right=12, bottom=12)))
    return ft.Semantics(identifier=f"shift-{card.id}", container=True, content=ft.Card(
        ft.Column(body, spacing=0), margin=0, key=f"shift-{card.id}-{card.status}"))


# ---- changes someone else made ------------------------------------------------------------


def news_text(state: AppState, change: SignupChange) -> str:
    tr = state.tr
    when = tr.day_time(local_time(state, change.starts_at)) if change.starts_at else None
    if change.shift is None:
        return tr.t("shifts.news.gone", when=when) if when else tr.t("shifts.news.gone_no_time")
    title = tr.place(change.shift, "title")
    if change.kind == "moved":
        before = tr.day_time(local_time(state, change.was_starts_at)) if change.was_starts_at else ""
        return tr.t("shifts.news.moved", shift=title, when=when, before=before)
    if change.kind == "deleted":
        return tr.t("shifts.news.gone", when=when)
    return tr.t(f"shifts.news.{change.kind}", shift=title, when=when)


def news_card(state: AppState, board: ShiftBoard, change: SignupChange) -> ft.Control:
    """One change, prominent, until "OK"."""
    good = change.kind in ("promoted", "by_coordinator")
    fg = ft.Colors.ON_PRIMARY_CONTAINER if good else ft.Colors.ON_ERROR_CONTAINER
    bg = ft.Colors.PRIMARY_CONTAINER if good else ft.Colors.ERROR_CONTAINER
    icon = ft.Icons.CELEBRATION_OUTLINED if good else ft.Icons.NOTIFICATION_IMPORTANT_OUTLINED
    sid = change.signup_id
    return ft.Semantics(identifier=f"shift-news-{sid}", container=True, live_region=True,
                        content=ft.Container(ft.Column([
        ft.Row([ft.Icon(icon, color=fg),
                ft.Text(news_text(state, change), color=fg, weight=ft.FontWeight.W_600,
                        expand=True)], spacing=10, vertical_alignment=ft.CrossAxisAlignment.START),
        ft.Row([ft.Semantics(identifier=f"shift-news-ok-{sid}", button=True, content=ft.FilledButton(
            state.tr.t("shifts.news.ok"), style=button_style(),
            on_click=lambda _: board.acknowledge(sid)))], alignment=ft.MainAxisAlignment.END),
    ], spacing=8), bgcolor=bg, border_radius=12, padding=12))


# ---- the filters ----------------------------------------------------------------------------


def day_name(state: AppState, d: date) -> str:
    tr = state.tr
    offset = (d - state.now().date()).days
    return {0: tr.t("shifts.today"), 1: tr.t("shifts.tomorrow")}.get(offset) or tr.day(d)


def _chosen(state: AppState, board: ShiftBoard) -> str:
    """What the neighborhood and day filters keep, said on their button."""
    tr = state.tr
    where = tr.place(state.neighborhood(board.neighborhood_id)) if board.neighborhood_id else None
    when = day_name(state, board.day) if board.day else None
    if where and when:
        return tr.t("shifts.filter.both", place=where, day=when)
    return where or when or tr.t("shifts.filter.choose")


def filters(state: AppState, board: ShiftBoard) -> list[ft.Control]:
    """Short-staffed first (a chip), and a button that opens the neighborhood and day
    chips (folded: a week of days would push the shifts off the screen); the button
    says what they keep."""
    tr = state.tr
    if not board.cards:
        return []
    active = board.neighborhood_id is not None or board.day is not None
    toggle = ft.Semantics(identifier="shifts-filter-toggle", button=True, expanded=board.filters_open,
                          content=ft.OutlinedButton(
        _chosen(state, board), icon=ft.Icons.EXPAND_LESS if board.filters_open
        else ft.Icons.FILTER_LIST, style=button_style(
            bgcolor=ft.Colors.SECONDARY_CONTAINER if active else None),
        on_click=lambda _: board.toggle_filters()))
    out: list[ft.Control] = [ft.Row([
        chip("shifts-short-first", tr.t("shifts.short_first"), board.short_first,
             board.toggle_short_first), toggle],
        wrap=True, spacing=8, run_spacing=4, vertical_alignment=ft.CrossAxisAlignment.CENTER)]
    if board.filters_open:
        hoods = [n for n in state.neighborhoods if n["id"] in board.neighborhood_ids()]
        out.append(chips([chip("shifts-hood-all", tr.t("shifts.filter.all_places"),
                               board.neighborhood_id is None,
                               lambda: board.choose_neighborhood(None))]
                         + [chip(f"shifts-hood-{n['id']}", tr.place(n),
                                 board.neighborhood_id == n["id"],
                                 lambda nid=n["id"]: board.choose_neighborhood(nid))
                            for n in hoods]))
        out.append(chips([chip("shifts-day-all", tr.t("shifts.filter.any_day"), board.day is None,
                               lambda: board.choose_day(None))]
                         + [chip(f"shifts-day-{d.isoformat()}", day_name(state, d),
                                 board.day == d, lambda d=d: board.choose_day(d))
                            for d in board.days()]))
    return [ft.Semantics(identifier="shifts-filters", container=True,
                         content=ft.Column(out, spacing=2))]


# ---- the tab --------------------------------------------------------------------------------


@ft.component
def ShiftList(state: AppState, board: ShiftBoard):
    tr = state.tr
    today = state.now().date()
    controls: list[ft.Control] = [news_card(state, board, c) for c in board.news]
    # the day's shift and the way into My shifts (stroll/ui/my_shifts.py)
    controls.append(MyShiftsEntry(state, state.my_shifts))
    controls += filters(state, board)
    sections = board.sections()
    for kind, day, cards in sections:
        if kind == "day":
            controls.append(section_title(tr.day_label(day, today), f"day-{day.isoformat()}"))
        else:
            controls.append(section_title(tr.t(f"shifts.section.{kind}"), f"shifts-{kind}"))
        controls += [shift_card(state, board, c, with_day=kind != "day") for c in cards]
    if not sections:
        controls.append(note(tr.t("shifts.none_match" if board.cards else "shifts.empty")))
    if state.load_error:
        controls.insert(0, ft.Text(tr.t("error.store", error=state.load_error),
                                   color=ft.Colors.ERROR))
    controls.append(ft.Container(height=GAP))
    return tab_list(controls, "shifts-tab")


@ft.component
def ShiftsTab(state: AppState):
    return ShiftList(state, state.shifts)  # the board: its changes re-render the list


__all__ = ["ShiftsTab", "ShiftList", "shift_card", "my_status", "action", "facts", "news_text",
           "local_time", "say", "day_name"]
