"""Incident screens: the quick log (under 30 seconds) and the full survivor-centered form.

Quick: harm type(s), what the team did, optional cross streets and note; the time is
now and the place is the team's position (kept to the nearest block). Full form: every
field of ``INCIDENT_FIELDS`` in sections; fields only coordinators may read carry a lock.

How each field is answered (chips, a switch, typing) is ``FIELD_KINDS``, read off the
``Incident`` record. Chips and switches change the draft through ``state.patrol.report``
(``IncidentForms``: a re-render of the body); typing only updates the draft (no
re-render per keystroke). Text fields are keyed by the incident (and ``quick_field``
for the quick log), so opening another one starts blank.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import flet as ft

from stroll.domain import taxonomy as tx
from stroll.domain.records import Incident, parse_time
from stroll.state import AppState, IncidentForms
from stroll.state.incident_fields import (CONTACT_FIELDS, FIELD_CHOICES, FIELD_KINDS, FLAG,
                                          INCIDENT_FIELDS, MULTI, SINGLE, TEXT)
from stroll.ui.widgets import (big_button, button_style, chip, chips, error_text, info_line, note,
                               save_footer, screen, scroll_list, section_title)

# The harms a team meets most on the street: shown first on the quick log.
COMMON_HARMS = ("verbal_harassment", "physical_assault", "coughed_spat_on", "theft_robbery",
                "vandalism", "gender_based_harassment", "shunning", "other_safety_concern")

# Catalog list of each closed list's labels (``<list>.<code>``).
_LABELS = {
    "harm_types": "harm_types", "motivations": "motivations", "actions_taken": "actions",
    "referral_needs": "referrals", "site_type": "site_types", "reporter_role": "reporter_roles",
    "affected_age_band": "age_bands", "affected_language": "spoken",
    "narrative_language": "spoken", "police_involved": "police",
    "contact_channel": "contact_channels", "contact_language": "spoken",
    "location_precision": "precision",
}

SENSITIVE = frozenset(Incident.sensitive_fields())

# The form's sections, in order: (catalog key of the title, fields).
SECTIONS = (
    ("incident.section_what", ("harm_types", "harm_other", "motivations", "site_type")),
    ("incident.section_where", ("time_approximate", "cross_streets", "location_precision")),
    ("incident.section_who", ("reporter_role", "affected_age_band", "affected_language",
                              "needs_interpreter", "survivor_name")),
    ("incident.section_story", ("narrative", "narrative_language")),
    ("incident.section_harm", ("injuries", "injuries_note", "police_involved",
                               "actions_taken", "actions_note")),
    ("incident.section_consent", ("consent_contact", *CONTACT_FIELDS, "share_with_partner",
                                  "include_in_aggregate", "publish_anonymized",
                                  "referral_needs")),
)
assert sorted(f for _, fs in SECTIONS for f in fs) == sorted(INCIDENT_FIELDS), \
    "every incident field has its place in a section"

_MULTILINE = ("narrative", "injuries_note", "actions_note", "harm_other")


def _label(state: AppState, field: str, code: str) -> str:
    key = f"{_LABELS[field]}.{code}"
    return state.tr.t(key) if state.tr.has(key) else code


def _when(state: AppState) -> ft.Control:
    tr, begun = state.tr, state.patrol.report.quick_begun
    if begun and begun.get("occurred_at"):  # a log taken back from its draft
        at = datetime.fromisoformat(begun["occurred_at"])
        return info_line(ft.Icons.SCHEDULE, tr.t("quick.when_begun", time=tr.when(
            at, state.now())), "quick-when")
    return info_line(ft.Icons.SCHEDULE, tr.t("quick.when", time=tr.time(state.now())),
                     "quick-when")


def _where(state: AppState) -> ft.Control:
    tr, src = state.tr, state.patrol.core.position_source()
    begun = state.patrol.report.quick_begun
    if begun and begun.get("position"):
        return info_line(ft.Icons.MY_LOCATION, tr.t("quick.where_begun"), "quick-where")
    if src is None:
        return info_line(ft.Icons.LOCATION_OFF_OUTLINED, tr.t("quick.where_none"),
                         "quick-where", color=ft.Colors.ERROR)
    return info_line(ft.Icons.MY_LOCATION,
                     tr.t("quick.where_gps" if src == "gps" else "quick.where_manual"),
                     "quick-where")


# ---- quick incident -------------------------------------------------------------------


@ft.component
def QuickIncidentBody(state: AppState, report: IncidentForms):
    tr = state.tr
    errs = report.quick_errors or {}
    text = report.quick_text
    rev = report.quick_field
    rare_chosen = any(c not in COMMON_HARMS for c in report.quick_harms)
    more, set_more = ft.use_state(False)
    show_all = more or rare_chosen

    def err(field: str) -> list[ft.Control]:
        return [error_text(tr.t(errs[field]), f"quick-error-{field}")] if errs.get(field) else []

    harms = [*COMMON_HARMS, *[c for c in tx.HARM_TYPES if c not in COMMON_HARMS]] if show_all \
        else list(COMMON_HARMS)
    harm_chips = [chip(f"quick-harm-{c}", tr.t(f"harm_types.{c}"), c in report.quick_harms,
                       lambda c=c: report.toggle_quick_harm(c)) for c in harms]
    if not show_all:
        harm_chips.append(ft.Semantics(identifier="quick-more-harms", button=True,
                                       content=ft.TextButton(
                                           tr.t("quick.more_harms"), icon=ft.Icons.EXPAND_MORE,
                                           style=button_style(),
                                           on_click=lambda _: set_more(True))))
    no_place = report.core.position_source() is None
    cross = [
        ft.Semantics(identifier="quick-cross-streets", content=ft.TextField(
            key=f"quick-cross-streets-{rev}",
            label=tr.t("quick.cross_streets_needed" if no_place else "quick.cross_streets"),
            hint_text=tr.t("quick.cross_streets_hint"), value=text.get("cross_streets", ""),
            on_change=lambda e: report.edit_quick("cross_streets", e.control.value))),
        *err("cross_streets"), *err("location"),
    ]
    controls: list[ft.Control] = [
        note(tr.t("quick.intro")),
        _when(state),
        _where(state),
        # without a position the cross streets are the place: ask for them first
        *(cross if no_place else []),
        section_title(tr.t("quick.harm")),
        *err("harm_types"),
        chips(harm_chips),
        section_title(tr.t("quick.actions")),
        *err("actions_taken"),
        chips([chip(f"quick-action-{c}", tr.t(f"actions.{c}"), c in report.quick_actions,
                    lambda c=c: report.toggle_quick_action(c)) for c in tx.ACTIONS_TAKEN]),
        ft.Container(height=4),
        *([] if no_place else cross),
        ft.Semantics(identifier="quick-note", content=ft.TextField(
            key=f"quick-note-{rev}", label=tr.t("quick.note"), value=text.get("note", ""),
            prefix_icon=ft.Icons.LOCK_OUTLINE, multiline=True, min_lines=2, max_lines=5,
            on_change=lambda e: report.edit_quick("note", e.control.value))),
        *[error_text(tr.t(v), f"quick-error-{k}") for k, v in errs.items()
          if k not in ("harm_types", "actions_taken", "cross_streets", "location")],
    ]
    save = big_button("quick-save", tr.t("quick.save"), ft.Icons.SAVE_OUTLINED,
                      state.save_quick_incident)
    first = next(iter(errs.values()), None)
    return scroll_list(controls, "quick-incident-body", footer=save_footer(
        save, tr.t(first) if first else None, "quick-error-summary"))


def QuickIncidentView(state: AppState) -> ft.View:
    return screen("/incident", state.tr.t("quick.title"), "quick-incident",
                  QuickIncidentBody(state, state.patrol.report))


# ---- the full form -----------------------------------------------------------------------


def _private_mark(state: AppState) -> ft.Control:
    return ft.Row([ft.Icon(ft.Icons.LOCK_OUTLINE, size=16, color=ft.Colors.TERTIARY),
                   ft.Text(state.tr.t("incident.private"), size=13, color=ft.Colors.TERTIARY,
                           expand=True)], spacing=6)


def _title(state: AppState, field: str) -> ft.Control:
    text = ft.Text(state.tr.t(f"incident.{field}"), weight=ft.FontWeight.W_600)
    if field not in SENSITIVE:
        return text
    return ft.Row([ft.Icon(ft.Icons.LOCK_OUTLINE, size=18, color=ft.Colors.TERTIARY), text],
                  spacing=6, tight=True)


def _field(state: AppState, report: IncidentForms, field: str, draft: dict,
           err: Callable[[str], list]) -> list[ft.Control]:
    """The control(s) of one field: title, chips/switch/text, its error."""
    tr = state.tr
    ident = f"incident-{field}"
    kind = FIELD_KINDS[field]
    if kind == MULTI:
        chosen = list(draft.get(field) or [])
        codes = list(FIELD_CHOICES[field])
        if field == "harm_types":
            codes = [*COMMON_HARMS, *[c for c in codes if c not in COMMON_HARMS]]
        body = [_title(state, field), ft.Semantics(identifier=ident, container=True, content=chips([
            chip(f"{ident}-{c}", _label(state, field, c), c in chosen,
                 lambda c=c: report.incident_toggle(field, c))
            for c in codes]))]
    elif kind == SINGLE:
        codes = list(FIELD_CHOICES[field])
        if field in ("affected_language", "narrative_language", "contact_language"):
            codes = _languages_first(codes, draft)
        body = [_title(state, field), ft.Semantics(identifier=ident, container=True, content=chips([
            chip(f"{ident}-{c}", _label(state, field, c), draft.get(field) == c,
                 lambda c=c: report.incident_choose(field, c))
            for c in codes]))]
    elif kind == FLAG:
        body = [ft.Semantics(identifier=ident, content=ft.Container(
            ft.Switch(label=tr.t(f"incident.{field}"), value=bool(draft.get(field)),
                      on_change=lambda e: report.incident_flag(field, bool(e.control.value))),
            padding=ft.Padding.symmetric(vertical=4), alignment=ft.Alignment.CENTER_LEFT))]
    elif kind == TEXT:
        multiline = field in _MULTILINE
        body = [ft.Semantics(identifier=ident, content=ft.TextField(
            key=f"{ident}-{report.incident_id}", label=tr.t(f"incident.{field}"),
            value=draft.get(field) or "", multiline=multiline,
            min_lines=3 if field == "narrative" else 1, max_lines=8 if multiline else 1,
            prefix_icon=ft.Icons.LOCK_OUTLINE if field in SENSITIVE else None,
            keyboard_type=ft.KeyboardType.MULTILINE if multiline else ft.KeyboardType.TEXT,
            on_change=lambda e: report.incident_text(field, e.control.value)))]
    else:  # pragma: no cover - every field is one of the kinds above
        body = []
    if field in SENSITIVE and field not in CONTACT_FIELDS:
        body.append(_private_mark(state))
    # one block per field, keyed so that "Show" next to the save button can scroll to it
    return [ft.Column([*body, *err(field)], spacing=8, key=ft.ScrollKey(f"field-{field}"),
                      horizontal_alignment=ft.CrossAxisAlignment.STRETCH)]


def _languages_first(codes: list[str], draft: dict) -> list[str]:
    """The languages already named in the form first (less scrolling through chips)."""
    seen = [draft.get(f) for f in ("affected_language", "narrative_language",
                                   "contact_language")]
    first = [c for c in dict.fromkeys(seen) if c in codes]
    return first + [c for c in codes if c not in first]


def _place(state: AppState, report: IncidentForms, draft: dict) -> list[ft.Control]:
    tr = state.tr
    inc = report.incident
    precision = tr.t(f"precision.{draft.get('location_precision') or 'block'}")
    if "lat" in report.incident_patch():
        line = tr.t("incident.place_new", precision=precision)
        icon = ft.Icons.MY_LOCATION
    elif inc.get("lat") is not None:
        line, icon = tr.t("incident.place_set", precision=precision), ft.Icons.PLACE_OUTLINED
    else:
        line, icon = tr.t("incident.place_none"), ft.Icons.LOCATION_OFF_OUTLINED
    return [
        info_line(icon, line, "incident-place"),
        ft.Semantics(identifier="incident-use-position", button=True, content=ft.OutlinedButton(
            tr.t("incident.use_position"), icon=ft.Icons.MY_LOCATION, style=button_style(),
            on_click=lambda _: report.incident_use_position())),
    ]


@ft.component
def IncidentFormBody(state: AppState, report: IncidentForms):
    tr = state.tr
    draft = report.incident_draft
    errs = report.incident_errors or {}

    def err(field: str) -> list[ft.Control]:
        return [error_text(tr.t(errs[field]), f"incident-error-{field}")] \
            if errs.get(field) else []

    controls: list[ft.Control] = []
    occurred = report.incident.get("occurred_at")
    if occurred:
        try:
            when = tr.when(parse_time(occurred), state.now())
            controls.append(info_line(ft.Icons.SCHEDULE, tr.t("incident.occurred", when=when),
                                      "incident-occurred"))
        except (TypeError, ValueError):
            pass
    consent = bool(draft.get("consent_contact"))
    for title_key, fields in SECTIONS:
        sid = title_key.split("_", 1)[1]
        section: list[ft.Control] = [section_title(tr.t(title_key), f"incident-section-{sid}")]
        for field in fields:
            if field == "harm_other" and "other_safety_concern" not in (draft.get("harm_types")
                                                                        or []) \
                    and not (draft.get("harm_other") or "").strip() and not errs.get(field):
                continue  # only asked when "Other safety concern" is chosen
            if field in CONTACT_FIELDS and not consent:
                if field == CONTACT_FIELDS[0]:
                    section.append(note(tr.t("incident.no_consent")))
                continue
            if field == CONTACT_FIELDS[0]:
                section.append(_private_mark(state))
            if field == "location_precision":
                section += _place(state, report, draft)
            section += _field(state, report, field, draft, err)
        controls.append(ft.Column(section, spacing=8,
                                  horizontal_alignment=ft.CrossAxisAlignment.STRETCH))
    save = big_button("incident-save", tr.t("incident.save"), ft.Icons.SAVE_OUTLINED,
                      state.save_incident_form)
    scroller = ft.Ref[ft.Column]()
    k = next((k for k in errs if k != "form"), None)
    if errs.get("form"):
        footer = save_footer(save, tr.t(errs["form"]), "incident-error-form")
    elif k:
        # the field may be far up the form: say next to the button what stops the save,
        # and offer to scroll to it
        async def show(_, key=f"field-{k}"):
            if scroller.current is not None:
                await scroller.current.scroll_to(scroll_key=key, duration=300)
        footer = ft.Column([
            ft.Row([ft.Container(error_text(tr.t(errs[k]), "incident-error-summary"),
                                 expand=True),
                    ft.Semantics(identifier="incident-error-show", button=True,
                                 content=ft.TextButton(tr.t("incident.show_field"),
                                                       style=button_style(), on_click=show))],
                   vertical_alignment=ft.CrossAxisAlignment.CENTER),
            save], spacing=4, tight=True)
    else:
        footer = save
    return scroll_list(controls, "incident-form-body", footer=footer, ref=scroller)


def IncidentFormView(state: AppState) -> ft.View:
    return screen("/incident-form", state.tr.t("incident.title"), "incident-form",
                  IncidentFormBody(state, state.patrol.report))


__all__ = ["QuickIncidentView", "IncidentFormView", "SECTIONS", "COMMON_HARMS"]
