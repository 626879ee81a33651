"""Drafts: what a form holds is kept in the device store as it is typed.

A person on patrol is interrupted all the time. Every form (the start form, a visit's
note, adding a business, the quick incident, the full incident form) holds a
``FormDraft``: when the form opens, a draft left earlier is handed back to it; each
change writes the form's values to the store (``Store.put_draft``: sealed, never
synced, durable through a kill); saving the form or discarding the draft forgets
it. A form whose values are what it opened with keeps no draft.

``DRAFT_SCREENS`` says which pushed screen shows which form, so that Back on a form
with changes can ask "Keep draft / Discard" (``AppState.close_screen``), and the
Patrol tab lists the drafts left (``draft_list``) until they are saved or discarded.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Callable, Optional

from stroll.domain.errors import StrollError

log = logging.getLogger("stroll.state.drafts")

# The forms, each with its draft key: the form's name, or "<form>:<what it is about>".
NEW_STROLL = "new_stroll"
CHECK_IN = "check_in"            # check_in:<merchant id>
ADD_MERCHANT = "add_merchant"
QUICK_INCIDENT = "quick_incident"
INCIDENT = "incident"            # incident:<incident id>
FORMS = (NEW_STROLL, CHECK_IN, ADD_MERCHANT, QUICK_INCIDENT, INCIDENT)

# The pushed screen (stroll.state.app.SCREENS) that shows each form.
DRAFT_SCREENS = {"new_stroll": NEW_STROLL, "merchant": CHECK_IN, "add_merchant": ADD_MERCHANT,
                 "incident": QUICK_INCIDENT, "incident_form": INCIDENT}


def draft_key(form: str, about: Optional[str] = None) -> str:
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r} (forms: {', '.join(FORMS)})")
    return f"{form}:{about}" if about else form


def split_key(key: str) -> tuple[str, Optional[str]]:
    """``(form, what it is about)`` of a draft key."""
    form, _, about = key.partition(":")
    return form, about or None


class FormDraft:
    """One form's draft: what it opened with, and its values kept as they change.

    The form calls ``open`` when it opens (its values then, and a stored draft to
    take back, if one was left), ``change`` after every edit, ``saved`` once the
    form is saved. A failure to write a draft is logged, never shown: the form goes
    on working and the person's typing stays on screen."""

    def __init__(self, store, form: str, now: Callable[[], datetime]):
        self._store = store
        self._form = form
        self._now = now
        self._key: Optional[str] = None
        self._pristine: Any = None
        self._stroll_id: Optional[str] = None
        self._context: Optional[dict] = None
        self._kept = False               # a draft of this form is in the store
        # taps and keystrokes are handled concurrently: each change reads the form's
        # values under this lock, after its own edit, so the last write holds them all
        self._lock = threading.Lock()

    @property
    def key(self) -> Optional[str]:
        """The open form's draft key (None: the form is not open)."""
        return self._key

    @property
    def kept(self) -> bool:
        """The form holds changes kept as a draft (Back asks before leaving it)."""
        return self._kept

    def open(self, about: Optional[str], values: dict, *, stroll_id: Optional[str] = None,
             context: Optional[dict] = None) -> Optional[dict]:
        """The form opened showing ``values``, with ``context`` (what the form knew
        then and goes with its values, e.g. when and where an incident was begun).
        Returns the draft left for it, if any: ``{"values": ..., "context": ...}``
        (the context it was kept with becomes the form's again)."""
        self._key = draft_key(self._form, about)
        self._pristine = values
        self._stroll_id = stroll_id
        self._context = context
        try:
            found = self._store.draft(self._key)
        except StrollError as e:
            log.warning("could not read the draft %s: %s", self._key, e)
            found = None
        if not (isinstance(found, dict) and isinstance(found.get("values"), dict)):
            found = None
        self._kept = found is not None
        if found is not None:
            self._context = found.get("context")
        return found

    @property
    def context(self) -> Optional[dict]:
        return self._context

    def change(self, values: Callable[[], dict],
               context: Optional[Callable[[], dict]] = None) -> None:
        """Keep the form's values, read by ``values()`` (none kept when they are what
        it opened with); ``context()``: the form's context now."""
        with self._lock:
            self._write(values(), context() if context else None)

    def _write(self, values: dict, context: Optional[dict]) -> None:
        if self._key is None:
            return
        if context is not None:
            self._context = context
        try:
            if values == self._pristine:
                if self._kept:
                    self._store.discard_draft(self._key)
                self._kept = False
                return
            self._store.put_draft(self._key, self._form,
                                  {"values": values, "context": self._context},
                                  stroll_id=self._stroll_id, at=self._now().isoformat())
            self._kept = True
        except StrollError as e:
            log.warning("could not keep the draft %s: %s", self._key, e)

    def saved(self, values: Optional[dict] = None) -> None:
        """The form was saved: its draft is no longer needed (``values``: what the
        form shows now, if it stays open: the values a change is measured from)."""
        self.discard()
        if values is not None:
            self._pristine = values

    def discard(self) -> None:
        """Forget the draft (the person chose Discard, or the form was saved)."""
        if self._key is not None and self._kept:
            try:
                self._store.discard_draft(self._key)
            except StrollError as e:
                log.warning("could not discard the draft %s: %s", self._key, e)
        self._kept = False

    def close(self) -> None:
        """The form left the screen (its draft, if any, stays in the store)."""
        self._key = None
        self._kept = False


def draft_list(store) -> list[dict]:
    """The drafts the Patrol tab lists, newest first: ``key``, ``form``, ``about``,
    ``stroll_id``, ``updated_at`` and ``data``."""
    out = []
    for d in store.drafts():
        form, about = split_key(d["key"])
        if form in FORMS:
            out.append({**d, "form": form, "about": about})
    return out




class DraftActions:
    """What ``AppState`` does with drafts (a base of it: it provides ``patrol``,
    ``screens``, ``screen``, ``store`` and the screen-opening actions): Back on a form
    with changes asks first, the Patrol tab lists the drafts left, and one opens its
    form again."""

    def _init_drafts(self) -> None:
        self.leaving: Optional[str] = None   # the form screen whose Back asks Keep/Discard
        self.drafts: list[dict] = []         # the Patrol tab's list

    def _load_drafts(self) -> None:
        try:
            self.drafts = draft_list(self.store)
        except StrollError as e:
            log.warning("could not list the drafts: %s", e)
            self.drafts = []

    def _asks_before_leaving(self) -> bool:
        """Back on a form holding unsaved changes: ask "Keep draft / Discard" first."""
        draft = self.patrol.form_draft(self.screen)
        if draft is not None and draft.kept and self.leaving != self.screen:
            self.leaving = self.screen
            return True
        return False

    def keep_draft(self) -> None:
        """Leave the form; what it holds stays a draft (shown on the Patrol tab)."""
        self._leave_form()

    def discard_draft(self) -> None:
        """Leave the form and forget what it held."""
        draft = self.patrol.form_draft(self.leaving or self.screen)
        if draft is not None:
            draft.discard()
        if (self.leaving or self.screen) == "new_stroll":
            self.patrol.start.clear()
        self._leave_form()

    def stay_on_form(self) -> None:
        """The question dismissed: back to the form."""
        self.leaving = None

    def _leave_form(self) -> None:
        self.leaving = None
        draft = self.patrol.form_draft(self.screen)
        if draft is not None:
            draft.close()
        self._pop_screen()

    def forget_draft(self, key: str) -> None:
        """Discard a draft from the Patrol tab's list."""
        try:
            self.store.discard_draft(key)
        except StrollError as e:
            log.warning("could not discard the draft %s: %s", key, e)
        if key == NEW_STROLL:
            self.patrol.start.clear()
        self._load_drafts()

    def draft_title(self, d: dict) -> str:
        """What the Patrol tab calls a draft: the form, and for a visit the business."""
        if d["form"] == CHECK_IN:
            try:
                m = self.store.get("merchant", d["about"] or "")
            except StrollError:
                m = None
            return self.tr.t("draft.form.check_in", name=self.tr.place(m))
        return self.tr.t(f"draft.form.{d['form']}")

    def draft_detail(self, d: dict) -> str:
        """One line of what a draft holds (never a survivor's detail: the harms of an
        incident, the size of a team, a business's name, a visit's note)."""
        v = (d.get("data") or {}).get("values") or {}
        form, tr = d["form"], self.tr
        if form in (QUICK_INCIDENT, INCIDENT):
            return ", ".join(tr.t(f"harm_types.{c}") for c in v.get("harm_types") or []
                             if isinstance(c, str))
        if form == NEW_STROLL:
            size = len(v.get("team_ids") or []) + len(v.get("guests") or [])
            return tr.t("patrol.team", count=size) if size else ""
        text = str(v.get("name" if form == ADD_MERCHANT else "note") or "")
        return " ".join(text.split())[:80]

    def open_draft(self, key: str) -> None:
        """Open the form a draft of the Patrol tab's list belongs to: it shows the draft."""
        form, about = split_key(key)
        running = self.patrol.core.stroll is not None
        live = ("live",) if running else ()
        if form == NEW_STROLL:
            self.open_new_stroll()
        elif form == QUICK_INCIDENT:
            self.patrol.report.open_quick_incident()
            self.screens = (*live, "incident")
        elif form == CHECK_IN and about:
            if running:
                self.patrol.visit.open_check_in()
            self.patrol.visit.pick_merchant(about)
            self.screens = (*live, *(("check_in",) if running else ()), "merchant")
        elif form == ADD_MERCHANT:
            if running:
                self.patrol.visit.open_check_in()
            self.patrol.visit.open_add_merchant()
            self.screens = (*live, *(("check_in",) if running else ()), "add_merchant")
        elif form == INCIDENT and about:
            if self.patrol.report.open_incident(about):
                self.screens = (*live, "incident_form")


__all__ = ["FormDraft", "DraftActions", "FORMS", "DRAFT_SCREENS", "NEW_STROLL", "CHECK_IN",
           "ADD_MERCHANT", "QUICK_INCIDENT", "INCIDENT", "draft_key", "split_key", "draft_list"]
