"""My shifts: the member's sign-ups, checking in and out, the hours; the day's reminder.

``MyShiftsView(state)`` is the screen (``state.my_shifts``, a ``MyShifts``:
stroll/state/my_shifts.py): upcoming sign-ups with their status (confirmed,
waitlisted #n, requested), "Check in" while the window is open and "Check out" once
checked in; the hours per year and month (what service-hour letters need) with the
check-ins still waiting for a coordinator's approval; the past shifts. A check-in away
from the meeting point, or with no position, is asked about first (a dialog).

``ShiftReminder(state, my)`` is the day's next shift at the top of the Patrol tab;
``MyShiftsEntry(state, my)`` the same reminder and the way into My shifts at the top
of the Shifts tab.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import flet as ft

from stroll.state import AppState
from stroll.state.my_shifts import MyShifts
from stroll.ui.widgets import (button_style, error_text, info_line, note, screen, scroll_list,
                               section_title)

OK_COLOR = ft.Colors.GREEN_800
WAIT_COLOR = ft.Colors.AMBER_900
MUTED_COLOR = ft.Colors.ON_SURFACE_VARIANT

# status -> (icon, color)
_STATUS_LOOK = {
    "myshifts.status.requested": (ft.Icons.HOURGLASS_TOP, WAIT_COLOR),
    "myshifts.status.waitlisted": (ft.Icons.FORMAT_LIST_NUMBERED, WAIT_COLOR),
    "myshifts.status.waitlisted_plain": (ft.Icons.FORMAT_LIST_NUMBERED, WAIT_COLOR),
    "myshifts.status.confirmed": (ft.Icons.CHECK_CIRCLE_OUTLINE, OK_COLOR),
    "myshifts.status.checked_in": (ft.Icons.HOW_TO_REG, OK_COLOR),
    "myshifts.status.waiting_approval": (ft.Icons.PENDING_OUTLINED, WAIT_COLOR),
    "myshifts.status.served": (ft.Icons.TASK_ALT, OK_COLOR),
    "myshifts.status.no_check_in": (ft.Icons.REMOVE_CIRCLE_OUTLINE, MUTED_COLOR),
}


def status_text(state: AppState, e: dict) -> str:
    """The entry's status in the person's language."""
    tr, p = state.tr, e["params"]
    values = {}
    if "at" in p:
        values["time"] = tr.time(p["at"]) if p["at"].date() == e["start"].date() \
            else tr.day_time(p["at"])
    if "position" in p:
        values["position"] = p["position"]
    if "hours" in p:
        values["hours"] = tr.hours(p["hours"])
    return tr.t(e["status"], **values)


def status_line(state: AppState, e: dict, identifier: str) -> ft.Control:
    icon, color = _STATUS_LOOK.get(e["status"], (ft.Icons.INFO_OUTLINE, MUTED_COLOR))
    return ft.Semantics(identifier=identifier, content=ft.Row([
        ft.Icon(icon, size=18, color=color),
        ft.Text(status_text(state, e), size=14, color=color, weight=ft.FontWeight.W_600,
                expand=True)], spacing=6, vertical_alignment=ft.CrossAxisAlignment.START))


def _when(state: AppState, e: dict) -> str:
    tr = state.tr
    return tr.t("myshifts.when", day=tr.day_label(e["start"].date(), state.now().date()),
                time=tr.time_range(e["start"], e["end"]))


def _meeting_point(state: AppState, shift: dict) -> str:
    return shift.get("meeting_point") or state.neighborhood_name(shift["neighborhood_id"])


def _actions(state: AppState, my: MyShifts, e: dict, *, reminder: bool) -> list[ft.Control]:
    """Check in / Check out (and, on the screen, start the shift's stroll)."""
    tr, sid = state.tr, e["id"]
    busy = my.locating == sid
    at = "reminder-" if reminder else ""   # the tab below a screen keeps its controls
    out: list[ft.Control] = []
    if e["can_check_in"]:
        on_click = (lambda _: state.check_in_to_shift(sid)) if reminder \
            else (lambda _: my.check_in(sid))
        out.append(ft.Semantics(identifier=f"{at}check-in-{sid}", button=True,
                                content=ft.FilledButton(
            tr.t("myshifts.locating" if busy else "myshifts.check_in"),
            icon=ft.Icons.MY_LOCATION, disabled=busy, style=button_style(),
            on_click=on_click)))
    if e["can_check_out"]:
        out.append(ft.Semantics(identifier=f"{at}check-out-{sid}", button=True,
                                content=ft.OutlinedButton(
            tr.t("myshifts.check_out"), icon=ft.Icons.LOGOUT, style=button_style(),
            on_click=lambda _: my.check_out(sid))))
    if not reminder and e["today"] and e["can_check_out"]:  # checked in, not out yet
        out.append(ft.Semantics(identifier=f"start-from-{sid}", button=True,
                                content=ft.TextButton(
            tr.t("myshifts.start_stroll"), icon=ft.Icons.DIRECTIONS_WALK, style=button_style(),
            on_click=lambda _: state.start_stroll_for_shift(e["shift"]["id"]))))
    return out


def shift_entry(state: AppState, my: MyShifts, e: dict) -> ft.Control:
    """One of the member's shifts: title, when, where, status, what may be done now."""
    tr, shift = state.tr, e["shift"]
    rows: list[ft.Control] = [
        ft.Text(tr.place(shift, "title"), weight=ft.FontWeight.W_600),
        info_line(ft.Icons.SCHEDULE, _when(state, e)),
        info_line(ft.Icons.PLACE_OUTLINED, _meeting_point(state, shift)),
        status_line(state, e, f"myshift-status-{e['id']}"),
    ]
    actions = _actions(state, my, e, reminder=False)
    if actions:
        rows.append(ft.Row(actions, wrap=True, spacing=8, run_spacing=8))
    return ft.Semantics(identifier=f"myshift-{e['id']}", container=True, content=ft.Card(
        ft.Container(ft.Column(rows, spacing=6), padding=12), margin=0))


def hours_table(state: AppState, my: MyShifts) -> list[ft.Control]:
    """Hours per year, and per month under each year, newest first; then the check-ins
    still waiting for a coordinator's approval."""
    tr, h = state.tr, my.hours
    out: list[ft.Control] = [note(tr.t("myshifts.hours_hint"))]
    if not h.by_year:
        out.append(ft.Semantics(identifier="hours-empty", content=note(
            tr.t("myshifts.hours_empty"))))
    rows: list[ft.Control] = []
    for year, total in h.by_year.items():
        rows.append(ft.Semantics(identifier=f"hours-year-{year}", content=ft.Container(ft.Row([
            ft.Text(year, weight=ft.FontWeight.W_700, expand=True),
            ft.Text(tr.hours(total), weight=ft.FontWeight.W_700)]),
            padding=ft.Padding.only(top=8, bottom=2),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)))))
        for month, value in h.by_month.items():
            if not month.startswith(f"{year}-"):
                continue
            rows.append(ft.Semantics(identifier=f"hours-month-{month}", content=ft.Container(
                ft.Row([ft.Text(tr.month(date(int(year), int(month[5:]), 1)), expand=True),
                        ft.Text(tr.hours(value))]),
                padding=ft.Padding.only(left=16, top=2, bottom=2))))
    if rows:
        out.append(ft.Semantics(identifier="hours-table", container=True,
                                content=ft.Column(rows, spacing=2)))
    if h.waiting_approval:
        out.append(info_line(ft.Icons.PENDING_OUTLINED,
                             tr.t("myshifts.waiting_count", count=h.waiting_approval),
                             "hours-waiting", color=WAIT_COLOR))
    return out


def question_dialog(state: AppState, my: MyShifts) -> Optional[ft.AlertDialog]:
    """Away from the meeting point, or no position: check in anyway?"""
    q = my.question
    if q is None:
        return None
    tr = state.tr
    text = tr.t("myshifts.far_question", distance=tr.distance(q["distance_m"])) \
        if q.get("distance_m") is not None else tr.t("myshifts.no_fix_question")
    return ft.AlertDialog(
        title=ft.Text(tr.t("myshifts.question_title")),
        content=ft.Semantics(identifier="check-in-question", content=ft.Text(text)),
        actions=[
            ft.Semantics(identifier="check-in-cancel", button=True, content=ft.TextButton(
                tr.t("myshifts.not_now"), on_click=lambda _: my.dismiss_question())),
            ft.Semantics(identifier="check-in-anyway", button=True, content=ft.FilledButton(
                tr.t("myshifts.check_in_anyway"), on_click=lambda _: my.confirm_check_in())),
        ],
        on_dismiss=lambda _: my.dismiss_question(),
    )


@ft.component
def MyShiftsBody(state: AppState, my: MyShifts):
    tr = state.tr
    ft.use_dialog(question_dialog(state, my))
    controls: list[ft.Control] = []
    if my.error:
        key, params = my.error
        values = {"time": tr.time(params["at"])} if "at" in params else params
        controls.append(error_text(tr.t(key, **values), "my-shifts-error"))
    if my.notice:
        key, params = my.notice
        controls.append(ft.Semantics(identifier="my-shifts-notice", live_region=True,
                                     content=info_line(ft.Icons.CHECK_CIRCLE_OUTLINE,
                                                       tr.t(key, **params), color=OK_COLOR)))
    if my.locating:
        controls.append(ft.Semantics(identifier="my-shifts-locating", content=ft.Row([
            ft.ProgressRing(width=18, height=18, stroke_width=2),
            ft.Text(tr.t("myshifts.locating"), expand=True)], spacing=8)))
    if not my.signed_in:
        controls.append(ft.Semantics(identifier="my-shifts-no-member", content=info_line(
            ft.Icons.LOGIN, tr.t("myshifts.no_member"))))
        return scroll_list(controls, "my-shifts-list")
    controls.append(section_title(tr.t("myshifts.upcoming"), "my-shifts-upcoming"))
    controls += [shift_entry(state, my, e) for e in my.upcoming] or [
        note(tr.t("myshifts.upcoming_empty"))]
    controls.append(section_title(tr.t("myshifts.hours_title"), "my-shifts-hours"))
    controls += hours_table(state, my)
    controls.append(section_title(tr.t("myshifts.past"), "my-shifts-past"))
    controls += [shift_entry(state, my, e) for e in my.past] or [
        note(tr.t("myshifts.past_empty"))]
    return scroll_list(controls, "my-shifts-list")


def MyShiftsView(state: AppState) -> ft.View:
    return screen("/my-shifts", state.tr.t("myshifts.title"), "my-shifts",
                  MyShiftsBody(state, state.my_shifts))


# ---- the day's reminder, and the way into My shifts ----------------------------------------


def reminder_card(state: AppState, my: MyShifts) -> ft.Control:
    """The next shift of the day: title, time, meeting point, status, "Check in"."""
    tr, e = state.tr, my.today
    shift = e["shift"]
    rows: list[ft.Control] = [
        ft.Text(tr.t("myshifts.reminder"), size=13, weight=ft.FontWeight.W_600,
                color=ft.Colors.ON_PRIMARY_CONTAINER),
        ft.Text(tr.place(shift, "title"), weight=ft.FontWeight.W_700,
                theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        info_line(ft.Icons.SCHEDULE, tr.time_range(e["start"], e["end"])),
        info_line(ft.Icons.PLACE_OUTLINED, _meeting_point(state, shift)),
        status_line(state, e, "shift-reminder-status"),
    ]
    actions = _actions(state, my, e, reminder=True)
    if actions:
        rows.append(ft.Row(actions, wrap=True, spacing=8, run_spacing=8))
    return ft.Semantics(identifier="shift-reminder", container=True, content=ft.Card(
        ft.Container(ft.Column(rows, spacing=4), padding=12, ink=True, border_radius=12,
                     on_click=lambda _: state.open_my_shifts()),
        margin=0, bgcolor=ft.Colors.PRIMARY_CONTAINER))


@ft.component
def ShiftReminder(state: AppState, my: MyShifts):
    """The day's next shift (Patrol tab); nothing on a day without one."""
    if my.today is None:
        return ft.Container(visible=False)
    return reminder_card(state, my)


@ft.component
def MyShiftsEntry(state: AppState, my: MyShifts):
    """The top of the Shifts tab: the day's reminder, and the way into My shifts."""
    tr = state.tr
    entry = ft.Semantics(identifier="open-my-shifts", button=True, container=True,
                         content=ft.Card(ft.Container(ft.Row([
                             ft.Icon(ft.Icons.BADGE_OUTLINED, color=ft.Colors.PRIMARY),
                             ft.Column([ft.Text(tr.t("myshifts.title"),
                                                weight=ft.FontWeight.W_600),
                                        ft.Text(tr.t("myshifts.entry_hint"), size=13,
                                                color=MUTED_COLOR)],
                                       spacing=2, expand=True),
                             ft.Icon(ft.Icons.CHEVRON_RIGHT, color=MUTED_COLOR)], spacing=12),
                             padding=12, ink=True, border_radius=12,
                             on_click=lambda _: state.open_my_shifts()), margin=0))
    if my.today is None:
        return entry
    return ft.Column([reminder_card(state, my), entry], spacing=8)


__all__ = ["MyShiftsView", "MyShiftsBody", "ShiftReminder", "MyShiftsEntry", "status_text"]
