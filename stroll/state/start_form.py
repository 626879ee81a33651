"""The start form: neighborhood, route, today's shift, the team and who leads.

``StartForm`` holds the ``StrollCore`` (stroll/state/core.py) and the
``RunningStroll`` it hands a started stroll to. The rules (the buddy rule, the
warnings about who leads) are the patrol service's and ``patrol_rules``'; here is
what the form shows and the taps that change it. What the form holds is kept as a
draft in the device store as it changes (stroll/state/drafts.py) until the stroll starts.

Begin while the phone's GPS puts the team far from the chosen neighborhood
(stroll/domain/plausibility.py) holds the start as ``pending_warning`` (catalog key,
params): ``confirm_begin`` starts it anyway, ``dismiss_warning`` drops the question.
The position comes from the GPS (the screen asks the phone for one when the form
opens: ``locate``, which the sensors watch); without one, no warning.
"""
from __future__ import annotations

from typing import Optional

import flet as ft

from stroll.domain import ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain import plausibility
from stroll.domain.errors import StrollError
from stroll.domain.records import parse_time
from stroll.patrol import StrollAlreadyActive
from stroll.state.core import StrollCore, copied
from stroll.state.drafts import NEW_STROLL
from stroll.state.errors import error_key
from stroll.state.running import RunningStroll


_BLANK = {"route_id": None, "shift_id": None, "team_ids": [], "guests": [], "lead": None,
          "guest_name": ""}


@ft.observable
class StartForm:
    """The start form's data and actions; ``begin`` starts the stroll."""

    guest_name = copied("_guest_name")

    def __init__(self, core: StrollCore, walk: RunningStroll):
        self._core = core
        self._walk = walk
        self.route_id: Optional[str] = None
        self.shift_id: Optional[str] = None
        self.members: list[dict] = []
        self.routes: list[dict] = []
        self.shifts: list[dict] = []
        self.team_ids: list[str] = []
        self.guests: list[str] = []
        self.lead: Optional[str] = None       # member id or "guest:<name>"
        self.guest_field = 0                  # bumped to clear the guest name field
        self._guest_name = ""
        self.warnings: list[str] = []         # catalog keys (warning.<code>)
        self.warning_params: dict = {}        # key -> the values its text takes
        self.start_error: Optional[str] = None
        self.draft = core.form_draft(NEW_STROLL)
        self.pending_warning: Optional[tuple] = None  # (catalog key, params): far away
        self.locate = 0                       # bumped: the screen asks for a GPS position

    # ---- reading ---------------------------------------------------------------------

    @property
    def neighborhood_id(self) -> Optional[str]:
        """The neighborhood chosen (the core's: a stroll found running sets it too)."""
        return self._core.neighborhood_id

    def team(self) -> list[dict]:
        """The team as the stroll record will hold it (members, then guests)."""
        by_id = {m["id"]: m for m in self.members}
        out = [{"member_id": mid, "name": by_id[mid]["name"] if mid in by_id else "",
                "lead": self.lead == mid} for mid in self.team_ids]
        out += [{"member_id": None, "name": g, "lead": self.lead == f"guest:{g}"}
                for g in self.guests]
        return out

    def team_size(self) -> int:
        return len(self.team_ids) + len(self.guests)

    def member(self, member_id: str) -> Optional[dict]:
        return next((m for m in self.members if m["id"] == member_id), None)

    def route(self, route_id: Optional[str]) -> Optional[dict]:
        return next((r for r in self.routes if r["id"] == route_id), None)

    # ---- the form -------------------------------------------------------------------

    def open_start(self, neighborhood_id: Optional[str]) -> None:
        """Open the start form for ``neighborhood_id`` (or keep the one chosen); a form
        left unsaved earlier (a reload, the app killed) comes back as it was."""
        self.start_error = None
        self.pending_warning = None
        self.locate += 1
        blank = self._values() == _BLANK
        kept = self.draft.open(None, _BLANK, context={"neighborhood_id": neighborhood_id})
        if blank and kept is not None:
            neighborhood_id = (kept.get("context") or {}).get("neighborhood_id") or neighborhood_id
        if neighborhood_id and neighborhood_id != self.neighborhood_id:
            self._set_neighborhood(neighborhood_id)
        elif self.neighborhood_id:
            self._load_neighborhood(self.neighborhood_id)
        if blank and kept is not None:
            self._take_back(kept["values"])
        else:
            self._keep()

    def _values(self) -> dict:
        return {"route_id": self.route_id, "shift_id": self.shift_id,
                "team_ids": list(self.team_ids), "guests": list(self.guests),
                "lead": self.lead, "guest_name": self._guest_name}

    def _keep(self) -> None:
        self.draft.change(self._values, lambda: {"neighborhood_id": self.neighborhood_id})

    def _take_back(self, v: dict) -> None:
        """The draft's values, as far as they still hold (a member or route since
        removed is left out)."""
        known = {m["id"] for m in self.members}
        self.route_id = v.get("route_id") if self.route(v.get("route_id")) else None
        self.shift_id = v.get("shift_id") if any(
            s["id"] == v.get("shift_id") for s in self.shifts) else None
        self.team_ids = [m for m in v.get("team_ids") or [] if m in known]
        self.guests = [g for g in v.get("guests") or [] if isinstance(g, str) and g.strip()]
        lead = v.get("lead")
        self.lead = lead if lead in self.team_ids or (
            isinstance(lead, str) and lead.removeprefix("guest:") in self.guests) else None
        self._guest_name = str(v.get("guest_name") or "")
        self.guest_field += 1
        self._update_warnings()

    def choose_neighborhood(self, neighborhood_id: str) -> None:
        self._set_neighborhood(neighborhood_id)
        self._keep()

    def _set_neighborhood(self, neighborhood_id: str) -> None:
        if self._core.store.get("neighborhood", neighborhood_id) is None:
            raise ValueError(f"unknown neighborhood {neighborhood_id!r}")
        if neighborhood_id != self.neighborhood_id:
            self.team_ids = []  # members belong to a neighborhood; guests stay
            if not (self.lead or "").startswith("guest:"):
                self.lead = None
            self.route_id = None
            self.shift_id = None
        self._core.neighborhood_id = neighborhood_id
        self.pending_warning = None
        self._load_neighborhood(neighborhood_id)

    def _load_neighborhood(self, neighborhood_id: str) -> None:
        try:
            self.members = self._core.store.members(neighborhood_id)
            self.routes = self._core.store.routes(neighborhood_id)
            now = self._core.now()
            today = now.date()
            self.shifts = [s for s in self._core.store.upcoming_shifts(now, days=1)
                           if s["neighborhood_id"] == neighborhood_id
                           and parse_time(s["starts_at"]).astimezone(now.tzinfo).date() == today]
        except StrollError as e:
            self._core.fail(e)
        self._update_warnings()

    def choose_route(self, route_id: Optional[str]) -> None:
        self.route_id = route_id if route_id != self.route_id else None
        self._keep()

    def choose_shift(self, shift_id: str) -> None:
        """Link the stroll to one of today's shifts (again: unlink). Linking takes the
        shift's route and adds its confirmed volunteers to the team."""
        if shift_id == self.shift_id:
            self.shift_id = None
            self._keep()
            return
        shift = next((s for s in self.shifts if s["id"] == shift_id), None)
        if shift is None:
            raise ValueError(f"unknown shift {shift_id!r}")
        self.shift_id = shift_id
        if shift.get("route_id"):
            self.route_id = shift["route_id"]
        try:
            # a volunteer's phone holds its own sign-up only; the shift's team (sent to
            # its confirmed members) names the others
            going = [s["member_id"] for s in self._core.store.confirmed_signups(shift_id)]
            going += self._core.store.shift_team_ids(shift_id)
        except StrollError as e:
            self._core.fail(e)
            return
        known = {m["id"] for m in self.members}
        for member_id in going:
            if member_id in known and member_id not in self.team_ids:
                self.team_ids = [*self.team_ids, member_id]
        self._team_changed()

    def toggle_member(self, member_id: str) -> None:
        if member_id in self.team_ids:
            self.team_ids = [m for m in self.team_ids if m != member_id]
            if self.lead == member_id:
                self.lead = None
        else:
            if self.member(member_id) is None:
                raise ValueError(f"unknown member {member_id!r}")
            self.team_ids = [*self.team_ids, member_id]
        self._team_changed()

    def edit_guest_name(self, value: str) -> None:
        self._guest_name = value or ""
        self._keep()

    def add_guest(self) -> None:
        name = " ".join(self._guest_name.split())
        if not name:
            self.start_error = "error.guest_name"
            return
        if name not in self.guests:
            self.guests = [*self.guests, name]
        self._guest_name = ""
        self.guest_field += 1
        self._team_changed()

    def remove_guest(self, name: str) -> None:
        self.guests = [g for g in self.guests if g != name]
        if self.lead == f"guest:{name}":
            self.lead = None
        self._team_changed()

    def set_lead(self, key: str) -> None:
        """Mark who leads (a member id or ``guest:<name>``); again: nobody."""
        self.lead = None if self.lead == key else key
        self._update_warnings()
        self._keep()

    def _team_changed(self) -> None:
        if self.lead is None:  # the first trained member leads unless someone is chosen
            trained = [m for m in self.team_ids if (self.member(m) or {}).get("trained_lead")]
            self.lead = trained[0] if trained else None
        if self.team_size() >= rules.MIN_TEAM and self.start_error in (
                "error.buddy_rule", "error.guest_name"):
            self.start_error = None
        elif self.start_error == "error.guest_name":
            self.start_error = None
        self._update_warnings()
        self._keep()

    def _update_warnings(self) -> None:
        members = {m["id"]: m for m in self.members}
        team = self.team()
        found = rules.team_warnings(team, members) if team else []
        self.warning_params = {f"warning.{w.code}": dict(w.params) for w in found}
        self.warnings = list(self.warning_params)

    def _far_away(self) -> Optional[tuple]:
        """The warning for a start far from the chosen neighborhood (GPS only)."""
        fix = self._core.gps_position()
        hood = self._core.store.get("neighborhood", self.neighborhood_id) if fix else None
        warning = plausibility.start_distance(fix[:2], hood) if hood else None
        return (f"warning.{warning.code}", dict(warning.params)) if warning else None

    def begin(self, *, confirmed: bool = False) -> bool:
        """Start the stroll (buddy rule: the service refuses fewer than 2 people). Far
        from the neighborhood, it waits for ``confirm_begin`` unless ``confirmed``."""
        self.start_error = None
        service = self._core.service
        try:
            running = service.active_stroll() is not None
            if not running and not self.neighborhood_id:
                self.start_error = "error.neighborhood"
                return False
            # the buddy rule's refusal (the service's) speaks before the question
            ask = not (running or confirmed or self.team_size() < rules.MIN_TEAM)
            far = self._far_away() if ask else None
            if far is not None:
                self.pending_warning = far
                return False
            self.pending_warning = None
            started = None if running else service.start_stroll(
                self.neighborhood_id, route_id=self.route_id, shift_id=self.shift_id,
                team=self.team())
        except ValidationError as e:
            self.start_error = error_key(e)
            return False
        except StrollAlreadyActive:
            started = None
        except StrollError as e:
            self._core.fail(e)
            self.start_error = "error.start_failed"
            return False
        if started is None:
            # one stroll at a time on a device (another session started it, or the form
            # was reopened): show it rather than a form error
            self._walk.restore()
            self._core.notice = ("patrol.already_running", {})
            return True
        self._reset_form()
        self.draft.saved(_BLANK)
        self._walk.enter(started.stroll.to_dict())
        self._core.notice = ((f"warning.{started.warnings[0].code}",
                              dict(started.warnings[0].params))
                             if started.warnings else ("live.started", {}))
        return True

    def clear(self) -> None:
        """An empty form (its draft discarded)."""
        self._reset_form()
    def confirm_begin(self) -> bool:
        """"Start anyway": the start the far-away warning held."""
        if self.pending_warning is None:
            return False
        return self.begin(confirmed=True)

    def dismiss_warning(self) -> None:
        self.pending_warning = None

    def _reset_form(self) -> None:
        self.team_ids, self.guests, self.lead = [], [], None
        self.shift_id = None
        self.route_id = None
        self._guest_name = ""
        self.guest_field += 1
        self.warnings = []
        self.warning_params = {}
        self.start_error = None
        self.pending_warning = None


__all__ = ["StartForm"]
