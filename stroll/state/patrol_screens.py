"""The patrol screens' state: one observable per screen family around a shared core.

``PatrolState`` builds them for one session and holds them together:

- ``core``: ``StrollCore`` (stroll/state/core.py): the patrol service and its store,
  the stroll that runs, its numbers and map, where the team is, notices and errors;
- ``start``: ``StartForm`` (stroll/state/start_form.py): the start form;
- ``walk``: ``RunningStroll`` (stroll/state/running.py): the live screen (GPS, track,
  pause/resume, tallies, end) and the summary;
- ``visit``: ``CheckIn`` (stroll/state/check_in.py): check-ins, adding a business;
- ``report``: ``IncidentForms`` (stroll/state/incident.py): the quick log and the
  full incident form.

Each family is a Flet observable holding the core; a screen's components receive the
observables they show, so a change re-renders only what shows it. None needs a Flet
page: tests/state/ drive them against a real Store.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Callable, Optional

from stroll.patrol import PatrolService
from stroll.state.check_in import CheckIn
from stroll.state.core import StrollCore
from stroll.state.drafts import DRAFT_SCREENS, FormDraft
from stroll.state.incident import IncidentForms
from stroll.state.running import RunningStroll
from stroll.state.start_form import StartForm


class PatrolState:
    """The patrol screens' observables for one session, sharing one ``StrollCore``."""

    def __init__(self, service: PatrolService, *,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self.core = StrollCore(service, now=now, monotonic=monotonic, wall=wall)
        self.walk = RunningStroll(self.core)
        self.start = StartForm(self.core, self.walk)
        self.visit = CheckIn(self.core)
        self.report = IncidentForms(self.core)
        self._drafts = {"new_stroll": self.start.draft, "check_in": self.visit.checkin_draft,
                        "add_merchant": self.visit.merchant_draft,
                        "quick_incident": self.report.quick_draft,
                        "incident": self.report.form_draft}

    def form_draft(self, screen: Optional[str]) -> Optional[FormDraft]:
        """The draft of the form ``screen`` shows (None: that screen has no form)."""
        form = DRAFT_SCREENS.get(screen or "")
        return self._drafts[form] if form else None


__all__ = ["PatrolState"]
