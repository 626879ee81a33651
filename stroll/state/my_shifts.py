"""My shifts: the signed-in member's sign-ups, checking in and out, and their hours.

``MyShifts`` (``AppState.my_shifts``) is what the My shifts screen and the day's
reminder (at the top of the Patrol and Shifts tabs) show, for the member this device
is signed in as (the ``sync.member_id`` setting):

- ``upcoming``: sign-ups of shifts not over yet that still hold or wait for a place
  (requested, confirmed, waitlisted), soonest first; ``past``: confirmed sign-ups of
  shifts that are over, newest first. Each is an entry (``entry``) with its status as
  a catalog key and the values its sentence takes.
- ``today``: the next shift of the day the member is confirmed or waitlisted on (the
  reminder), or None.
- ``hours``: ``stroll.domain.volunteering.hours`` per month and per year in the
  device's time zone (service-hour letters), with the check-ins waiting for a
  coordinator's approval.

Checking in: from half an hour before the start to the end
(``volunteering.check_in_verdict``). ``check_in`` asks the screen for one GPS reading
(``locate`` is bumped; stroll/ui/sensors.py answers with ``located``); near the meeting
point the check-in is written at once; far from it, or with no position, ``question``
holds it until ``confirm_check_in`` ("Check in anyway": written with ``check_in_far``,
it counts once a coordinator approves it). ``check_out`` ends the shift's time. Every
write is a patch of the sign-up through the outbox, then a sync is nudged.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, tzinfo
from typing import Callable, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flet as ft
from dateutil import tz as dateutil_tz

from stroll.domain import volunteering as vol
from stroll.domain.errors import StrollError
from stroll.domain.records import parse_time

log = logging.getLogger("stroll.state.my_shifts")

SETTING_MEMBER_ID = "sync.member_id"   # who this device is signed in as

ACTIVE = ("requested", "confirmed", "waitlisted")   # a sign-up that holds or waits
REMINDED = ("confirmed", "waitlisted")              # what the day's reminder shows

Fix = tuple  # (lat, lon, accuracy metres or None)


def device_zone() -> tzinfo:
    """The device's time zone with its daylight-saving rules (the program's: hours are
    totalled by its months): the zone the system names (``TZ``, ``/etc/localtime``) as
    a ``ZoneInfo``, else dateutil's reading of the C library's (slower to convert to)."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            link = os.readlink("/etc/localtime")
            name = link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else ""
        except OSError:
            name = ""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return dateutil_tz.tzlocal()


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def status_of(signup: dict, shift: dict, now: datetime) -> tuple[str, dict]:
    """A sign-up's status as a catalog key and the values its sentence takes (``at``: a
    local datetime, ``position``: a waitlist place, ``hours``: hours served)."""
    tz = now.tzinfo
    status = signup.get("status")
    if status == "requested":
        return "myshifts.status.requested", {}
    if status == "waitlisted":
        pos = signup.get("waitlist_position")
        return ("myshifts.status.waitlisted", {"position": pos}) if pos \
            else ("myshifts.status.waitlisted_plain", {})
    if status != "confirmed":
        return f"myshifts.status.{status}", {}
    ended = parse_time(shift["ends_at"]) <= now
    if not signup.get("checked_in_at"):
        return ("myshifts.status.no_check_in" if ended else "myshifts.status.confirmed"), {}
    if signup.get("check_in_far") and not signup.get("check_in_approved_by"):
        return "myshifts.status.waiting_approval", {
            "at": parse_time(signup["checked_in_at"]).astimezone(tz)}
    if ended or signup.get("checked_out_at"):
        span = vol.served(signup, shift)
        return "myshifts.status.served", {"hours": span.total_seconds() / 3600 if span else 0.0}
    return "myshifts.status.checked_in", {
        "at": parse_time(signup["checked_in_at"]).astimezone(tz)}


def entry(signup: dict, shift: dict, now: datetime) -> dict:
    """One row of My shifts: the sign-up, its shift, its status and what may be done."""
    key, params = status_of(signup, shift, now)
    confirmed = signup.get("status") == "confirmed"
    checked_in = bool(signup.get("checked_in_at"))
    window = vol.check_in_verdict(shift, now, None).allowed
    start = parse_time(shift["starts_at"]).astimezone(now.tzinfo)
    return {
        "id": signup["id"], "signup": signup, "shift": shift,
        "start": start, "end": parse_time(shift["ends_at"]).astimezone(now.tzinfo),
        "status": key, "params": params,
        "waiting_approval": checked_in and bool(signup.get("check_in_far"))
        and not signup.get("check_in_approved_by"),
        "can_check_in": confirmed and not checked_in and window,
        "can_check_out": confirmed and checked_in and not signup.get("checked_out_at")
        and parse_time(shift["ends_at"]) > now,
        "today": start.date() == now.date(),
    }


def current_signups(pairs: list[tuple[dict, dict]]) -> list[tuple[dict, dict]]:
    """One sign-up a shift: the newest that holds or waits for a place, else the newest
    (a request made again after a cancel is a new sign-up of the same shift)."""
    best: dict[str, tuple[dict, dict]] = {}
    for signup, shift in pairs:
        held = best.get(shift["id"])
        rank = (signup.get("status") in ACTIVE, signup.get("requested_at") or "")
        if held is None or rank >= (held[0].get("status") in ACTIVE,
                                    held[0].get("requested_at") or ""):
            best[shift["id"]] = (signup, shift)
    return list(best.values())


@ft.observable
class MyShifts:
    """The member's shifts and hours, and checking in and out."""

    def __init__(self, store, *, now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 tz: Optional[tzinfo] = None, nudge: Callable[[], None] = lambda: None):
        self._store = store
        self._now = now
        self._tz = tz or device_zone()           # the program's: the device's zone
        self._nudge = nudge                      # a sync round soon (the write waits)
        self.member_id: Optional[str] = None
        self.upcoming: list[dict] = []
        self.past: list[dict] = []
        self.today: Optional[dict] = None       # the day's reminder (an entry)
        self.hours: vol.Hours = vol.hours((), self._tz)
        self.locate = 0                         # bumped: the screen asks for one position
        self.locating: Optional[str] = None     # the sign-up whose check-in waits for it
        self.question: Optional[dict] = None    # a check-in away from the meeting point
        self.notice: Optional[tuple] = None     # (catalog key, params): what just happened
        self.error: Optional[tuple] = None      # (catalog key, params): what was refused

    # ---- reading ---------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return bool(self.member_id)

    def load(self) -> None:
        """Read the member's sign-ups and shifts from the store."""
        try:
            self.member_id = self._store.get_setting(SETTING_MEMBER_ID) or None
            pairs = self._store.member_signups(self.member_id) if self.member_id else []
        except StrollError as e:
            log.warning("my shifts not read: %s", e)
            self.error = ("error.store", {"error": str(e)})
            return
        now = self._now()
        upcoming, past = [], []
        for signup, shift in current_signups(pairs):
            status = signup.get("status")
            if parse_time(shift["ends_at"]) > now:
                if status in ACTIVE:
                    upcoming.append(entry(signup, shift, now))
            elif status == "confirmed":
                past.append(entry(signup, shift, now))
        upcoming.sort(key=lambda e: e["start"])
        past.sort(key=lambda e: e["start"], reverse=True)
        self.upcoming, self.past = upcoming, past
        self.today = next((e for e in upcoming if e["today"]
                           and e["signup"]["status"] in REMINDED
                           and not e["signup"].get("checked_out_at")), None)
        self.hours = vol.hours(pairs, self._tz, now)

    def find(self, signup_id: str) -> Optional[dict]:
        return next((e for e in (*self.upcoming, *self.past) if e["id"] == signup_id), None)

    def clear_messages(self) -> None:
        self.notice = self.error = None

    # ---- checking in and out -------------------------------------------------------------

    def check_in(self, signup_id: str) -> bool:
        """"Check in": refused before the window opens or after the shift; otherwise
        the screen is asked for where the phone is (``locate``), answered by
        ``located``. True when the position is being asked for."""
        self.clear_messages()
        self.question = None
        e = self._fresh(signup_id)
        if e is None:
            return False
        if e["signup"].get("status") != "confirmed":
            self.error = ("myshifts.error.not_confirmed", {})
            return False
        if e["signup"].get("checked_in_at"):
            return False
        if not self._window_open(e):
            return False
        self.locating = signup_id
        self.locate += 1
        return True

    def located(self, fix: Optional[Fix]) -> None:
        """The screen's answer: where the phone is (lat, lon, accuracy), or None when
        no position could be had. Near the meeting point the check-in is written;
        otherwise it is asked about (``question``)."""
        sid, self.locating = self.locating, None
        e = self._fresh(sid) if sid else None
        if e is None:
            return
        verdict = vol.check_in_verdict(e["shift"], self._now(), fix)
        if not self._window_open(e, verdict):
            return
        if verdict.needs_approval:
            self.question = {"signup_id": sid, "verdict": verdict.verdict,
                             "distance_m": verdict.distance_m, "fix": fix}
            return
        self._write_check_in(sid, fix, verdict, far=False)

    def confirm_check_in(self) -> bool:
        """"Check in anyway", away from the meeting point or with no position: written
        with ``check_in_far``; its hours count once a coordinator approves it."""
        q, self.question = self.question, None
        e = self._fresh(q["signup_id"]) if q else None
        if e is None:
            return False
        verdict = vol.check_in_verdict(e["shift"], self._now(), q["fix"])
        if not self._window_open(e, verdict):
            return False
        return self._write_check_in(q["signup_id"], q["fix"], verdict, far=True)

    def dismiss_question(self) -> None:
        self.question = None

    def check_out(self, signup_id: str) -> bool:
        """"Check out": the end of the time served on the shift."""
        self.clear_messages()
        e = self._fresh(signup_id)
        if e is None or not e["can_check_out"]:
            return False
        return self._write(signup_id, {"checked_out_at": _iso(self._now())},
                           ("myshifts.checked_out", {}))

    # ---- the writes ----------------------------------------------------------------------

    def _fresh(self, signup_id: str) -> Optional[dict]:
        """The sign-up's entry as the store has it now (another screen may have written)."""
        self.load()
        e = self.find(signup_id)
        if e is None and self.error is None:
            self.error = ("error.not_found", {})
        return e

    def _window_open(self, e: dict, verdict: Optional[vol.CheckInVerdict] = None) -> bool:
        verdict = verdict or vol.check_in_verdict(e["shift"], self._now(), None)
        if verdict.verdict == vol.TOO_EARLY:
            opens = e["start"] - vol.CHECK_IN_OPENS
            self.error = ("myshifts.error.too_early", {"at": opens})
        elif verdict.verdict == vol.OVER:
            self.error = ("myshifts.error.over", {})
        else:
            return True
        return False

    def _write_check_in(self, signup_id: str, fix: Optional[Fix],
                        verdict: vol.CheckInVerdict, *, far: bool) -> bool:
        changes = {"checked_in_at": _iso(self._now()), "check_in_far": far,
                   "check_in_distance_m": verdict.distance_m}
        if fix is not None:
            changes["check_in_lat"], changes["check_in_lon"] = fix[0], fix[1]
        return self._write(signup_id, changes, ("myshifts.checked_in_far" if far
                                                else "myshifts.checked_in", {}))

    def _write(self, signup_id: str, changes: dict, notice: tuple) -> bool:
        try:
            self._store.update("signup", signup_id, **changes)
        except StrollError as e:
            log.warning("sign-up %s not written: %s", signup_id, e)
            self.error = ("error.store", {"error": str(e)})
            return False
        self.load()
        self.notice = notice
        try:
            self._nudge()
        except Exception:  # the write is kept: the next round sends it
            log.exception("sync nudge failed")
        return True


__all__ = ["MyShifts", "device_zone", "entry", "status_of", "current_signups", "ACTIVE", "REMINDED",
           "SETTING_MEMBER_ID"]
