"""The start form: where, which route and shift, who walks, who leads; then Begin.

Everything it shows and every rule (the buddy rule, the lead warnings) comes from
``state.patrol.start`` (``StartForm``); the form only renders it and calls one action
per tap. Warnings (no trained lead) are shown in the form, under the team, and never
block the start; the buddy rule's message comes back from Begin as
``StartForm.start_error``. A start far from the chosen neighborhood asks first
(``StartForm.pending_warning``, a dialog with "Start anyway").

The pinned footer is one row, the team's size beside Begin (about 80 px at 390x844:
the form keeps the screen), with only the error that stopped Begin above it.
"""
from __future__ import annotations

import flet as ft

from stroll.domain.records import parse_time
from stroll.state import AppState, StartForm, StrollCore
from stroll.ui.check_in import warning_dialog
from stroll.ui.theme import GAP, MIN_TOUCH
from stroll.ui.widgets import (button_style, chip, chips, error_text, note, screen,
                               section_title)

TRAINED = ft.Colors.GREEN_800


def _neighborhoods(state: AppState) -> ft.Control:
    return ft.RadioGroup(
        value=state.new_stroll_neighborhood_id,
        on_change=lambda e: state.choose_new_stroll_neighborhood(e.control.value),
        content=ft.Column([
            ft.Semantics(identifier=f"new-stroll-hood-{n['id']}", content=ft.Container(
                ft.Radio(value=n["id"], label=state.tr.place(n)), height=MIN_TOUCH,
                alignment=ft.Alignment.CENTER_LEFT))
            for n in state.neighborhoods], spacing=0))


def _shift_label(state: AppState, shift: dict) -> str:
    tz = state.now().tzinfo
    start = parse_time(shift["starts_at"]).astimezone(tz)
    end = parse_time(shift["ends_at"]).astimezone(tz)
    return state.tr.t("new_stroll.shift_label", time=state.tr.time_range(start, end),
                      title=state.tr.place(shift, "title"))


def trained_badge(state: AppState) -> ft.Control:
    """"Trained lead": wraps inside its outline rather than running past the row."""
    return ft.Container(
        ft.Row([ft.Icon(ft.Icons.VERIFIED_OUTLINED, size=14, color=TRAINED),
                ft.Text(state.tr.t("new_stroll.trained"), size=12, color=TRAINED,
                        weight=ft.FontWeight.W_600, expand=True, expand_loose=True)],
               spacing=4, tight=True),
        padding=ft.Padding.symmetric(horizontal=8, vertical=2), border_radius=12,
        border=ft.Border.all(1, TRAINED))


def _member_row(state: AppState, start: StartForm, m: dict) -> ft.Control:
    """A whole-row toggle: box and name (48 px tall), the trained-lead badge under the
    name, so that a long badge ("Trưởng nhóm đã huấn luyện") never squeezes the name
    onto two lines; a long name wraps whole."""
    on = m["id"] in start.team_ids
    name = ft.Text(m["name"])
    if m.get("trained_lead"):  # name 20 + 2 + badge ~21, padded to about 56 px
        who: ft.Control = ft.Column([name, trained_badge(state)], spacing=2, tight=True,
                                    expand=True)
        pad = 6
    else:                      # name 20, padded to 48 px
        who, pad = ft.Container(name, expand=True), (MIN_TOUCH - 20) // 2
    return ft.Semantics(
        identifier=f"new-stroll-member-{m['id']}", key=f"member-{m['id']}", checked=on,
        content=ft.Container(
            ft.Row([ft.Icon(ft.Icons.CHECK_BOX if on else ft.Icons.CHECK_BOX_OUTLINE_BLANK,
                            color=ft.Colors.PRIMARY if on else ft.Colors.ON_SURFACE_VARIANT),
                    who], spacing=12, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            border_radius=8, ink=True,
            padding=ft.Padding.symmetric(horizontal=8, vertical=pad),
            on_click=lambda _, mid=m["id"]: start.toggle_member(mid)))


def _guest_row(state: AppState, start: StartForm, i: int, name: str) -> ft.Control:
    tr = state.tr
    return ft.Semantics(identifier=f"new-stroll-guest-{i}", container=True, content=ft.Row([
        ft.Icon(ft.Icons.PERSON_OUTLINE, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(name, expand=True),
        ft.Text(tr.t("new_stroll.guest"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Semantics(identifier=f"new-stroll-remove-guest-{i}", button=True,
                     content=ft.IconButton(ft.Icons.CLOSE, tooltip=tr.t(
                         "new_stroll.remove_guest", name=name),
                         on_click=lambda _, g=name: start.remove_guest(g))),
    ], vertical_alignment=ft.CrossAxisAlignment.CENTER))


def _guest_field(state: AppState, start: StartForm) -> ft.Control:
    """The guest's name across the form, "Add guest" under it at the right: side by
    side, a long "Add guest" (es, vi) left the field too narrow for its own label."""
    tr = state.tr
    return ft.Column([
        ft.Semantics(identifier="new-stroll-guest-name", content=ft.TextField(
            key=f"guest-{start.guest_field}", label=tr.t("new_stroll.guest_name"),
            hint_text=tr.t("new_stroll.guest_hint"), value=start.guest_name,
            capitalization=ft.TextCapitalization.WORDS,
            on_change=lambda e: start.edit_guest_name(e.control.value),
            on_submit=lambda _: start.add_guest())),
        ft.Row([ft.Semantics(identifier="new-stroll-add-guest", button=True,
                             content=ft.FilledTonalButton(
                                 tr.t("new_stroll.add_guest"),
                                 icon=ft.Icons.PERSON_ADD_ALT_1_OUTLINED, style=button_style(),
                                 on_click=lambda _: start.add_guest()))],
               alignment=ft.MainAxisAlignment.END),
    ], spacing=4, tight=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def keyed(name: str, items: list[dict], controls: list[ft.Control]) -> ft.Control:
    """Chips for ``items``, rebuilt when the items change: Flutter keeps a reused
    node's old semantics identifier, so a chip must not be reused for another item."""
    ids = "|".join(str(i.get("id") or i.get("member_id") or i.get("name")) for i in items)
    return ft.Container(chips(controls), key=f"{name}-{ids}")


def _lead_key(person: dict) -> str:
    return person["member_id"] or f"guest:{person['name']}"


def warnings_box(state: AppState, start: StartForm) -> ft.Control:
    return ft.Semantics(identifier="new-stroll-warning", live_region=True, content=ft.Container(
        ft.Row([ft.Icon(ft.Icons.WARNING_AMBER_ROUNDED, color=ft.Colors.AMBER_900),
                ft.Column([ft.Text(state.tr.t(w, **start.warning_params.get(w, {})))
                           for w in start.warnings],
                          spacing=4, expand=True)],
               vertical_alignment=ft.CrossAxisAlignment.START),
        bgcolor=ft.Colors.AMBER_50, border=ft.Border.all(1, ft.Colors.AMBER_700),
        border_radius=8, padding=10))


def _footer(state: AppState, start: StartForm, core: StrollCore) -> ft.Control:
    """Begin and the team's size in one row; above it only what stopped Begin."""
    tr = state.tr
    rows: list[ft.Control] = []
    if start.start_error:
        rows.append(error_text(tr.t(start.start_error), "new-stroll-error"))
    elif core.error:
        key, params = core.error
        rows.append(error_text(tr.t(key, **params), "new-stroll-error"))
    rows.append(ft.Row([
        ft.Semantics(identifier="new-stroll-team-size", content=ft.Row([
            ft.Icon(ft.Icons.GROUPS_OUTLINED, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(tr.t("patrol.team", count=start.team_size()), weight=ft.FontWeight.W_600,
                    max_lines=2)], spacing=6, tight=True)),
        ft.Semantics(identifier="begin-stroll", button=True, expand=True,
                     content=ft.FilledButton(tr.t("new_stroll.begin"), icon=ft.Icons.PLAY_ARROW,
                                             width=float("inf"), style=button_style(56),
                                             on_click=lambda _: state.begin_stroll())),
    ], spacing=GAP, vertical_alignment=ft.CrossAxisAlignment.CENTER))
    return ft.Semantics(identifier="new-stroll-footer", container=True, content=ft.Container(
        ft.Column(rows, spacing=6, tight=True),
        padding=ft.Padding.only(left=16, right=16, top=8, bottom=12),
        border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT))))


@ft.component
def StartFormBody(state: AppState, start: StartForm, core: StrollCore):
    tr = state.tr
    ft.use_dialog(warning_dialog(state, start.pending_warning, "new-stroll-far",
                                 tr.t("warning.start_anyway"), state.confirm_begin_stroll,
                                 start.dismiss_warning))
    form: list[ft.Control] = [section_title(tr.t("new_stroll.pick")), _neighborhoods(state)]
    if start.routes:
        form += [section_title(tr.t("new_stroll.route")), keyed("routes", start.routes, [
            chip(f"new-stroll-route-{r['id']}", tr.place(r), r["id"] == start.route_id,
                 lambda rid=r["id"]: start.choose_route(rid)) for r in start.routes])]
    if start.shifts:
        form += [section_title(tr.t("new_stroll.shift")), keyed("shifts", start.shifts, [
            chip(f"new-stroll-shift-{s['id']}", _shift_label(state, s), s["id"] == start.shift_id,
                 lambda sid=s["id"]: start.choose_shift(sid)) for s in start.shifts])]
    form.append(section_title(tr.t("new_stroll.team")))
    form.append(note(tr.t("new_stroll.buddy")))
    if start.members:
        form += [_member_row(state, start, m) for m in start.members]
    else:
        form.append(note(tr.t("new_stroll.no_members")))
    form.append(_guest_field(state, start))
    form += [_guest_row(state, start, i, g) for i, g in enumerate(start.guests)]
    team = start.team()
    if team:
        form += [section_title(tr.t("new_stroll.lead")), keyed("lead", team, [
            chip(f"new-stroll-lead-{_lead_key(p)}", p["name"], p["lead"],
                 lambda k=_lead_key(p): start.set_lead(k)) for p in team])]
    if start.warnings:  # about who leads: beside the choice, not in the pinned footer
        form.append(ft.Container(warnings_box(state, start), padding=ft.Padding.only(top=8)))

    return ft.Column([
        ft.Semantics(identifier="new-stroll-form", container=True, expand=True,
                     content=ft.ListView(form, expand=True, spacing=4, padding=ft.Padding.only(
                         left=16, right=16, top=8, bottom=GAP))),
        _footer(state, start, core),
    ], expand=True, spacing=0)


def NewStrollView(state: AppState) -> ft.View:
    return screen("/new-stroll", state.tr.t("new_stroll.title"), "new-stroll",
                  StartFormBody(state, state.patrol.start, state.patrol.core))


__all__ = ["NewStrollView", "trained_badge"]
