"""The check-in screens: the businesses nearby, one business and its visits, adding one.

``CheckIn`` holds the ``StrollCore`` (stroll/state/core.py): the team's position
orders the list, goes with the visit, and places a business added on the spot; a
visit made without GPS makes the business the team's position.

A check-in whose GPS position is far from the business (stroll/domain/plausibility.py)
is held as ``pending_warning`` (catalog key, params) until the person answers:
``confirm_check_in`` saves it with the status they tapped, ``dismiss_warning`` drops it.
"Save and check in" on a new business saves the business and the visit together, with
the status chosen on that form (``new_merchant_status``, "all good" unless changed).
"""
from __future__ import annotations

import logging
from typing import Optional

import flet as ft

from stroll.domain import ValidationError
from stroll.domain import plausibility
from stroll.domain import taxonomy as tx
from stroll.domain.errors import StrollError
from stroll.domain.place_names import PlaceName
from stroll.state.core import StrollCore, copied
from stroll.state.drafts import ADD_MERCHANT, CHECK_IN
from stroll.state.errors import error_key

log = logging.getLogger("stroll.state.check_in")

MERCHANT_CATEGORIES = tx.MERCHANT_CATEGORIES


@ft.observable
class FormNotice:
    """The fields of a refused form the person has changed since the refusal: their
    errors go at once. Its own observable, so that only the errors redraw (not the
    form being typed into)."""

    def __init__(self):
        self.answered: frozenset = frozenset()


@ft.observable
class CheckIn:
    """The check-in screens' data and actions (the list, a visit, a new business)."""

    checkin_note = copied("_checkin_note")
    new_merchant = copied("_new_merchant")

    def __init__(self, core: StrollCore):
        self._core = core
        # ---- check-in
        self.merchants: list[dict] = []
        self.merchant: Optional[dict] = None
        self.history: list[dict] = []
        self.checkin_language: Optional[str] = None
        self.checkin_field = 0
        self._checkin_note = ""
        self.checkin_error: Optional[str] = None
        self.checkin_draft = core.form_draft(CHECK_IN)
        self.pending_warning: Optional[tuple] = None  # (catalog key, params): far away
        self._warned_status: Optional[str] = None
        # ---- add a merchant
        self.new_merchant_category = "other"
        self.new_merchant_languages: list[str] = []
        self.new_merchant_status = "all_good"
        self.merchant_errors: dict = {}
        self.merchant_notice = FormNotice()
        self._new_merchant = {"name": "", "address": ""}
        self.merchant_draft = core.form_draft(ADD_MERCHANT)

    @property
    def core(self) -> StrollCore:
        return self._core

    # ---- check-ins -------------------------------------------------------------------

    def open_check_in(self) -> None:
        """The neighborhood's merchants, nearest first (by name without a position)."""
        self.checkin_error = None
        try:
            core = self._core
            self.merchants = core.service.merchants_nearby(core.position(), core.neighborhood_id)
        except StrollError as e:
            self._core.fail(e)

    def pick_merchant(self, merchant_id: str) -> None:
        m = next((m for m in self.merchants if m["id"] == merchant_id), None) \
            or self._core.store.get("merchant", merchant_id)
        if m is None:
            raise ValueError(f"unknown merchant {merchant_id!r}")
        self.merchant = m
        self.checkin_language = (m.get("languages") or [None])[0]
        self._checkin_note = ""
        kept = self.checkin_draft.open(merchant_id, self._visit_values(),
                                       stroll_id=self._core.stroll_id)
        if kept is not None:
            self._checkin_note = str(kept["values"].get("note") or "")
            self.checkin_language = kept["values"].get("language", self.checkin_language)
        self.checkin_field += 1
        self.checkin_error = None
        self.dismiss_warning()
        try:
            self.history = self._core.service.merchant_history(merchant_id)
        except StrollError as e:
            self._core.fail(e)
            self.history = []

    def _visit_values(self) -> dict:
        return {"note": self._checkin_note, "language": self.checkin_language}

    def edit_checkin_note(self, value: str) -> None:
        self._checkin_note = value or ""
        self.checkin_draft.change(self._visit_values)

    def choose_checkin_language(self, code: str) -> None:
        self.checkin_language = None if code == self.checkin_language else code
        self.checkin_draft.change(self._visit_values)

    def check_in(self, status: str, *, confirmed: bool = False) -> bool:
        """Record the visit with ``status`` (the second tap). True when saved. Far from
        the business (GPS), it waits for ``confirm_check_in`` unless ``confirmed``."""
        if self.merchant is None:
            return False
        m = self.merchant
        fix = self._core.gps_position()
        warning = None if confirmed or fix is None else \
            plausibility.check_in_distance(fix[:2], m, fix[2])
        if warning is not None:
            self._warned_status = status
            self.pending_warning = (f"warning.{warning.code}", dict(warning.params))
            return False
        self.dismiss_warning()
        try:
            self._core.service.check_in(m["id"], status=status, note=self._checkin_note.strip(),
                                        language=self.checkin_language,
                                        position=self._core.position())
        except StrollError as e:
            self.checkin_error = error_key(e) if isinstance(e, ValidationError) \
                else "error.not_saved"
            self._core.fail(e)
            return False
        self.checkin_draft.saved()
        if self._core.position_source() != "gps" and m.get("lat") is not None:
            # no GPS: standing at the merchant is the best place we know
            self._core.set_manual((m["lat"], m["lon"]))
        # (said in the language the live screen shows)
        self._core.notice = ("check_in.saved", {"name": PlaceName.of(m)})
        try:
            self.history = self._core.service.merchant_history(m["id"])
        except StrollError as e:
            log.warning("could not re-read the visits of %s: %s", m["id"], e)
        self._core.refresh()
        return True

    def confirm_check_in(self) -> bool:
        """"Check in anyway": the visit the warning held, with the status tapped."""
        status = self._warned_status
        if self.pending_warning is None or status is None:
            return False
        return self.check_in(status, confirmed=True)

    def dismiss_warning(self) -> None:
        self.pending_warning = None
        self._warned_status = None

    # ---- add a merchant ----------------------------------------------------------------

    def open_add_merchant(self) -> None:
        self._new_merchant = {"name": "", "address": ""}
        self.new_merchant_category = "other"
        self.new_merchant_languages = []
        self.new_merchant_status = "all_good"
        self._refuse_merchant({})
        kept = self.merchant_draft.open(None, self._merchant_values(),
                                        stroll_id=self._core.stroll_id)
        if kept is not None:
            v = kept["values"]
            self._new_merchant = {k: str(v.get(k) or "") for k in self._new_merchant}
            self.new_merchant_category = v.get("category") or "other"
            self.new_merchant_languages = [c for c in v.get("languages") or []
                                           if isinstance(c, str)]
            if v.get("status") in tx.CHECK_IN_STATUS:
                self.new_merchant_status = v["status"]
        self.checkin_field += 1

    def _merchant_values(self) -> dict:
        return {**self._new_merchant, "category": self.new_merchant_category,
                "languages": list(self.new_merchant_languages), "status": self.new_merchant_status}

    def _refuse_merchant(self, errors: dict) -> None:
        self.merchant_errors = errors
        self.merchant_notice.answered = frozenset()

    def merchant_errors_shown(self) -> dict:
        """The errors of the last refused save the person has not answered yet."""
        answered = self.merchant_notice.answered
        return {k: v for k, v in self.merchant_errors.items() if k not in answered}

    def _answer(self, field: str) -> None:
        notice = self.merchant_notice
        if field in self.merchant_errors and field not in notice.answered:
            notice.answered = notice.answered | {field}

    def edit_new_merchant(self, field: str, value: str) -> None:
        if field not in self._new_merchant:
            raise ValueError(f"unknown merchant field {field!r}")
        self._new_merchant[field] = value or ""
        self.merchant_draft.change(self._merchant_values)
        self._answer(field)

    def choose_new_merchant_category(self, category: str) -> None:
        self.new_merchant_category = category
        self.merchant_draft.change(self._merchant_values)
        self._answer("category")

    def choose_new_merchant_status(self, status: str) -> None:
        """How things are at the new business: the status of the visit saved with it."""
        if status not in tx.CHECK_IN_STATUS:
            raise ValueError(f"unknown check-in status {status!r}")
        self.new_merchant_status = status
        self.merchant_draft.change(self._merchant_values)

    def toggle_new_merchant_language(self, code: str) -> None:
        langs = self.new_merchant_languages
        self.new_merchant_languages = ([c for c in langs if c != code] if code in langs
                                       else [*langs, code])
        self.merchant_draft.change(self._merchant_values)
        self._answer("languages")

    def save_merchant(self) -> bool:
        """"Save and check in": add the merchant where the team stands and record the
        team's visit to it (``new_merchant_status``), both in one transaction."""
        self._refuse_merchant({})
        name = " ".join(self._new_merchant["name"].split())
        if not name:
            self._refuse_merchant({"name": "error.merchant_name"})
            return False
        langs = list(self.new_merchant_languages)
        try:
            rec, _visit = self._core.service.add_merchant_and_check_in(
                name, self._core.position(), status=self.new_merchant_status,
                language=langs[0] if langs else None,
                neighborhood_id=self._core.neighborhood_id,
                category=self.new_merchant_category,
                address=self._new_merchant["address"].strip(), languages=langs)
        except ValidationError as e:
            self._refuse_merchant({"position" if e.field in ("position", "lat", "lon")
                                   else e.field: error_key(e)})
            return False
        except StrollError as e:
            self._core.fail(e)
            return False
        self.merchant_draft.saved()
        self.open_check_in()
        self.pick_merchant(rec.id)
        self._core.notice = ("merchant.added_checked_in", {"name": rec.name})
        self._core.refresh()
        return True


__all__ = ["CheckIn", "FormNotice", "MERCHANT_CATEGORIES"]
