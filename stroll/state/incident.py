"""The incident screens: the quick log (under 30 seconds) and the full form.

``IncidentForms`` holds the ``StrollCore`` (stroll/state/core.py): an incident is
placed where the team is. The quick log keeps the essentials; the full form edits
one stored incident as a draft and saves only the fields it changed. How each field
of the form is answered is read off the ``Incident`` record (stroll/state/incident_fields.py).
Both keep what is typed in the device store as it changes (stroll/state/drafts.py): a
quick incident left unsaved comes back with the time and place it was begun at.
"""
from __future__ import annotations

from typing import Optional

import flet as ft

from stroll.domain import ValidationError
from stroll.domain.errors import StrollError
from stroll.state.core import StrollCore, copied, copy_value, toggled
from stroll.state.drafts import INCIDENT, QUICK_INCIDENT
from stroll.state.errors import error_key
from stroll.state.incident_fields import (ALWAYS_SET, CONTACT_FIELDS, FIELD_KINDS, FLAG,
                                          INCIDENT_FIELDS, MULTI, SINGLE, TEXT)


@ft.observable
class IncidentForms:
    """The quick log's and the full form's data and actions."""

    quick_text = copied("_quick")
    incident_draft = copied("_draft")
    incident = copied("_incident")

    def __init__(self, core: StrollCore):
        self._core = core
        # ---- quick incident
        self.quick_harms: list[str] = []
        self.quick_actions: list[str] = []
        self.quick_errors: dict = {}
        self.quick_field = 0
        self.quick_begun: Optional[dict] = None   # a log taken back: when and where begun
        self._quick = {"cross_streets": "", "note": ""}
        self.quick_draft = core.form_draft(QUICK_INCIDENT)
        # ---- the full incident form
        self.incident_id: Optional[str] = None
        self.incident_rev = 0                 # bumped when the draft's choices change
        self.incident_errors: dict = {}
        self._incident: dict = {}             # the record as stored
        self._draft: dict = {}                # the form's values
        self._draft_place: Optional[tuple] = None
        self.form_draft = core.form_draft(INCIDENT)

    @property
    def core(self) -> StrollCore:
        return self._core

    # ---- quick incident ----------------------------------------------------------------

    def open_quick_incident(self) -> None:
        """A blank quick log, or the one left unsaved (with when and where it was begun)."""
        self.quick_harms = []
        self.quick_actions = []
        self.quick_errors = {}
        self._quick = {"cross_streets": "", "note": ""}
        place = self._core.position()
        kept = self.quick_draft.open(None, self._quick_values(), stroll_id=self._core.stroll_id,
                                     context={"occurred_at": self._core.now().isoformat(),
                                              "position": list(place) if place else None,
                                              "stroll_id": self._core.stroll_id})
        self.quick_begun = self.quick_draft.context if kept is not None else None
        if kept is not None:
            v = kept["values"]
            self.quick_harms = [c for c in v.get("harm_types", []) if isinstance(c, str)]
            self.quick_actions = [c for c in v.get("actions_taken", []) if isinstance(c, str)]
            self._quick = {k: str(v.get(k) or "") for k in self._quick}
        self.quick_field += 1

    def _quick_values(self) -> dict:
        return {"harm_types": list(self.quick_harms), "actions_taken": list(self.quick_actions),
                **self._quick}

    def toggle_quick_harm(self, code: str) -> None:
        self.quick_harms = toggled(self.quick_harms, code)
        self.quick_errors = {k: v for k, v in self.quick_errors.items() if k != "harm_types"}
        self.quick_draft.change(self._quick_values)

    def toggle_quick_action(self, code: str) -> None:
        self.quick_actions = toggled(self.quick_actions, code)
        self.quick_errors = {k: v for k, v in self.quick_errors.items() if k != "actions_taken"}
        self.quick_draft.change(self._quick_values)

    def edit_quick(self, field: str, value: str) -> None:
        if field not in self._quick:
            raise ValueError(f"unknown quick incident field {field!r}")
        self._quick[field] = value or ""
        self.quick_draft.change(self._quick_values)

    def save_quick_incident(self) -> Optional[str]:
        """Log the essentials (time now, the place at block precision). Returns the
        incident id, or None with ``quick_errors`` saying what is missing."""
        self.quick_errors = {}
        # a log taken back from a draft happened when and where it was begun
        begun = self.quick_draft.context if self.quick_draft.kept else None
        place = self._core.position()
        if begun and begun.get("position"):
            place = tuple(begun["position"])
        try:
            rec = self._core.service.quick_incident(
                list(self.quick_harms), place, list(self.quick_actions),
                self._quick["note"].strip(), cross_streets=self._quick["cross_streets"].strip(),
                occurred_at=(begun or {}).get("occurred_at"),
                stroll_id=(begun or {}).get("stroll_id"))
        except ValidationError as e:
            self.quick_errors = {e.field: error_key(e)}
            return None
        except StrollError as e:
            self._core.fail(e)
            return None
        self.quick_draft.saved()
        self._core.notice = ("incident.logged", {})
        self._core.refresh()
        return rec.id

    # ---- the full incident form ----------------------------------------------------------

    def open_incident(self, incident_id: str) -> bool:
        try:
            rec = self._core.store.get("incident", incident_id)
        except StrollError as e:
            self._core.fail(e)
            return False
        if rec is None:
            self._core.error = ("error.not_found", {})
            return False
        self.incident_id = incident_id
        self._incident = rec
        self._draft = {k: copy_value(rec[k]) for k in INCIDENT_FIELDS}
        self._draft_place = None
        kept = self.form_draft.open(incident_id, self._form_values(),
                                    stroll_id=rec.get("stroll_id"))
        if kept is not None:
            self._draft.update({k: v for k, v in kept["values"].items() if k in INCIDENT_FIELDS})
            place = kept["values"].get("place")
            self._draft_place = tuple(place) if place else None
        self.incident_errors = {}
        self.incident_rev += 1
        return True

    def _form_values(self) -> dict:
        return {**self._draft,
                "place": list(self._draft_place) if self._draft_place else None}

    def incident_toggle(self, field: str, code: str) -> None:
        """Add or remove ``code`` in a multi-choice field."""
        if FIELD_KINDS.get(field) != MULTI:
            raise ValueError(f"{field!r} is not a multi-choice field")
        self._draft[field] = toggled(self._draft[field], code)
        self._changed(field)

    def incident_choose(self, field: str, code: str) -> None:
        """Choose ``code`` in a single-choice field (again: unset, where allowed)."""
        if FIELD_KINDS.get(field) != SINGLE:
            raise ValueError(f"{field!r} is not a single-choice field")
        if self._draft[field] == code and field not in ALWAYS_SET:
            self._draft[field] = None
        else:
            self._draft[field] = code
        self._changed(field)

    def incident_flag(self, field: str, value: bool) -> None:
        if FIELD_KINDS.get(field) != FLAG:
            raise ValueError(f"{field!r} is not a yes/no field")
        self._draft[field] = bool(value)
        if field == "consent_contact" and not value:
            # no consent to be contacted: the contact details are not kept
            for f in CONTACT_FIELDS:
                self._draft[f] = "" if FIELD_KINDS[f] == TEXT else None
        self._changed(field)

    def incident_text(self, field: str, value: str) -> None:
        """Typing in a text field (no re-render per keystroke)."""
        if FIELD_KINDS.get(field) != TEXT:
            raise ValueError(f"{field!r} is not a text field")
        self._draft[field] = value or ""
        self.form_draft.change(self._form_values)
        if field in self.incident_errors:
            self.incident_errors = {k: v for k, v in self.incident_errors.items() if k != field}

    def incident_use_position(self) -> bool:
        """Set the incident's place to where the team is now (GPS or set by hand)."""
        place = self._core.position()
        if place is None:
            self.incident_errors = {**self.incident_errors, "location_precision":
                                    "error.no_position"}
            return False
        self._draft_place = place
        self._changed("location_precision")
        return True

    def _changed(self, field: str) -> None:
        self.form_draft.change(self._form_values)
        self.incident_errors = {k: v for k, v in self.incident_errors.items()
                                if k != field and not (field == "consent_contact"
                                                       and k in CONTACT_FIELDS)}
        self.incident_rev += 1

    def incident_patch(self) -> dict:
        """The fields the form changed (what the outbox's patch will carry)."""
        patch = {}
        for k in INCIDENT_FIELDS:
            v = self._draft[k]
            if isinstance(v, str):
                v = v.strip()
            if v != self._incident.get(k):
                patch[k] = v
        if self._draft_place is not None:
            patch["lat"], patch["lon"] = self._draft_place
        return patch

    def save_incident(self) -> bool:
        """Save the form (per-field patch). A refused field gets its message."""
        if self.incident_id is None:
            return False
        self.incident_errors = {}
        try:
            rec = self._core.service.complete_incident(self.incident_id, **self.incident_patch())
        except ValidationError as e:
            fld = e.field if e.field in INCIDENT_FIELDS else (
                "location_precision" if e.field in ("lat", "lon", "location") else "form")
            self.incident_errors = {fld: error_key(e)}
            self.incident_rev += 1
            return False
        except StrollError as e:
            self._core.fail(e)
            self.incident_errors = {"form": "error.not_saved"}
            return False
        self._incident = rec.to_dict()
        self._draft_place = None
        self.form_draft.saved(self._form_values())
        self._core.notice = ("incident.saved", {})
        self._core.refresh()
        return True


__all__ = ["IncidentForms"]
