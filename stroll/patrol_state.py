"""Patrol state for the device UI: what the stroll screens show and the actions they call.

``PatrolState`` sits on top of ``PatrolService`` (stroll/patrol.py), which owns every
rule and every write: the buddy rule, the jitter filter, chunk sealing, location
precision, validation. This module only keeps what the screens show (the start form,
the running stroll's numbers, the merchant list, the incident drafts), calls the
service, and turns its errors into catalog keys the screens translate
(``error_key``). No Flet page, no SQL: tests/test_patrol_state.py drives it against a
real Store.

Three observables, so that what changes every second re-renders only what shows it:
``PatrolState`` (forms, lists, the stroll), ``LiveView`` (distance, duration, GPS
status: ticks every second) and ``TrackView`` (the walked track and the position on
the map: changes with each fix).

GPS: the UI's position stream calls ``on_position`` once per position. Each fix is
handed to ``PatrolService.add_fixes`` at once (one local SQLite commit, ~1 ms); a fix
that cannot be written (disk full, a locked file) stays queued and goes with the next
one, so none is lost while the app runs. ``on_gps_error`` says whether location is
denied or just not available; without GPS the team keeps working with a position set
by hand (a tap on the map, or the merchant they check in with).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Callable, Optional

import flet as ft

from stroll.domain import ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain import taxonomy as tx
from stroll.domain.errors import StrollError
from stroll.domain.geo import Fix
from stroll.domain.records import parse_time
from stroll.patrol import (NoActiveStroll, PatrolService, StrollAlreadyActive, StrollEnded)

log = logging.getLogger("stroll.patrol_state")

# What the GPS status line says.
GPS_OFF = "off"              # no stroll running: the stream is not started
GPS_WAITING = "waiting"      # started, no fix yet
GPS_OK = "ok"                # a recent fix
GPS_LOST = "lost"            # had fixes, none for a while
GPS_DENIED = "denied"        # the person or the phone refused location
GPS_UNAVAILABLE = "unavailable"  # location service off or failing
GPS_STATES = (GPS_OFF, GPS_WAITING, GPS_OK, GPS_LOST, GPS_DENIED, GPS_UNAVAILABLE)

FIX_FRESH_S = 20.0           # a fix younger than this is "now"
POSITION_MAX_AGE_S = 120.0   # a GPS position older than this is not used for records
TRACK_REFRESH_S = 2.0        # the map's track is re-read at most this often
MAX_QUEUED_FIXES = 50_000    # fixes kept in memory while the store refuses them

# The incident form's fields, in the order the form shows them.
INCIDENT_FIELDS = (
    "harm_types", "harm_other", "motivations", "site_type", "time_approximate",
    "cross_streets", "location_precision", "reporter_role", "affected_age_band",
    "affected_language", "needs_interpreter", "survivor_name", "narrative",
    "narrative_language", "injuries", "injuries_note", "police_involved", "actions_taken",
    "actions_note", "consent_contact", "contact_channel", "contact_value", "contact_language",
    "contact_safe_times", "share_with_partner", "include_in_aggregate", "publish_anonymized",
    "referral_needs",
)
INCIDENT_LISTS = {"harm_types": tx.HARM_TYPES, "motivations": tx.MOTIVATIONS,
                  "actions_taken": tx.ACTIONS_TAKEN, "referral_needs": tx.REFERRAL_NEEDS}
INCIDENT_CHOICES = {"site_type": tx.SITE_TYPES, "reporter_role": tx.REPORTER_ROLES,
                    "affected_age_band": tx.AGE_BANDS,
                    "affected_language": tx.SPOKEN_LANGUAGES,
                    "narrative_language": tx.SPOKEN_LANGUAGES,
                    "police_involved": tx.POLICE_INVOLVEMENT,
                    "contact_channel": tx.CONTACT_CHANNELS,
                    "contact_language": tx.SPOKEN_LANGUAGES,
                    "location_precision": tx.LOCATION_PRECISION}
INCIDENT_REQUIRED_CHOICE = ("police_involved", "location_precision")  # never empty
INCIDENT_FLAGS = ("time_approximate", "needs_interpreter", "injuries", "consent_contact",
                  "include_in_aggregate", "publish_anonymized")
INCIDENT_TEXTS = ("harm_other", "cross_streets", "survivor_name", "narrative", "injuries_note",
                  "actions_note", "contact_value", "contact_safe_times", "share_with_partner")
CONTACT_FIELDS = ("contact_channel", "contact_value", "contact_language", "contact_safe_times")

MERCHANT_CATEGORIES = tx.MERCHANT_CATEGORIES


# ---- errors the screens can say --------------------------------------------------------

# (record type, field, words in the reason) -> catalog key. First match wins.
_ERRORS: tuple[tuple[str, str, str, str], ...] = (
    ("stroll", "team", "buddy rule", "error.buddy_rule"),
    ("stroll", "team", "listed twice", "error.team_twice"),
    ("stroll", "team", "no name", "error.team_name"),
    ("stroll", "team", "", "error.team"),
    ("stroll", "neighborhood_id", "", "error.neighborhood"),
    ("incident", "harm_types", "", "error.harm_types"),
    ("incident", "harm_other", "", "error.harm_other"),
    ("incident", "location", "", "error.place"),
    ("incident", "actions_taken", "", "error.actions_taken"),
    ("incident", "contact_channel", "without consent", "error.contact_without_consent"),
    ("incident", "contact_channel", "", "error.contact_channel"),
    ("incident", "cross_streets", "", "error.cross_streets_precision"),
    ("incident", "location_precision", "new position", "error.precision_needs_position"),
    ("merchant", "name", "", "error.merchant_name"),
    ("merchant", "position", "", "error.no_position"),
    ("merchant", "neighborhood_id", "", "error.neighborhood"),
    ("check_in", "position", "", "error.no_position"),
)


def error_key(err: ValidationError) -> str:
    """The catalog key of the sentence that tells a person what to fix."""
    reason = (err.reason or "").lower()
    for rtype, fld, words, key in _ERRORS:
        if err.record_type == rtype and err.field == fld and words in reason:
            return key
    return "error.invalid"


# ---- the observables --------------------------------------------------------------------


@ft.observable
class LiveView:
    """The running stroll's numbers: re-rendered every second."""

    def __init__(self):
        self.status: Optional[str] = None     # active | paused | ended | None
        self.distance_m = 0.0
        self.duration_s = 0
        self.points = 0
        self.gps = GPS_OFF
        self.accuracy_m: Optional[float] = None
        self.gps_detail = ""                  # the platform's own words, for the curious


@ft.observable
class TrackView:
    """The map of the running stroll: walked track, planned route, where we are."""

    def __init__(self):
        self.path: list = []                  # display track [(lat, lon)]
        self.route: list = []                 # planned route [(lat, lon)]
        self.position: Optional[tuple] = None  # (lat, lon), GPS or set by hand
        self.manual = False                   # position set by hand
        self.center: Optional[tuple] = None   # the camera's first center
        # landmarks, so the map makes sense with no tiles (offline) and a place can be
        # tapped by hand: the neighborhood's walked streets and its businesses
        self.streets: list = []               # [[(lat, lon), ...], ...] other routes
        self.places: list = []                # [(lat, lon, name)]


@ft.observable
class FormNotice:
    """The fields of a refused form the person has changed since the refusal: their
    errors go at once. Its own observable, so that only the errors redraw (not the
    form being typed into)."""

    def __init__(self):
        self.answered: frozenset = frozenset()


@ft.observable
class PatrolState:
    """The stroll screens' data and actions (start, live, check-in, incident, end)."""

    def __init__(self, service: PatrolService, *,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self._service = service
        self._store = service.store
        self._now = now
        self._mono = monotonic
        self._wall = wall
        self.live = LiveView()
        self.track = TrackView()
        # ---- start form
        self.neighborhood_id: Optional[str] = None
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
        # ---- the running stroll
        self.stroll: Optional[dict] = None
        self.tracking = False                 # the GPS stream should run
        self.tallies: dict = {}
        self.check_in_count = 0
        self.incidents: list[dict] = []
        self.notice: Optional[tuple] = None   # (catalog key, params)
        self.error: Optional[tuple] = None    # (catalog key, params)
        self.summary: Optional[dict] = None
        self.confirm_end = False
        # ---- check-in
        self.merchants: list[dict] = []
        self.merchant: Optional[dict] = None
        self.history: list[dict] = []
        self.checkin_language: Optional[str] = None
        self.checkin_field = 0
        self._checkin_note = ""
        self.checkin_error: Optional[str] = None
        # ---- add a merchant
        self.new_merchant_category = "other"
        self.new_merchant_languages: list[str] = []
        self.merchant_errors: dict = {}
        self.merchant_notice = FormNotice()
        self._new_merchant = {"name": "", "address": ""}
        # ---- quick incident
        self.quick_harms: list[str] = []
        self.quick_actions: list[str] = []
        self.quick_errors: dict = {}
        self.quick_field = 0
        self._quick = {"cross_streets": "", "note": ""}
        # ---- the full incident form
        self.incident_id: Optional[str] = None
        self.incident_rev = 0                 # bumped when the draft's choices change
        self.incident_errors: dict = {}
        self._incident: dict = {}             # the record as stored
        self._draft: dict = {}                # the form's values
        self._draft_place: Optional[tuple] = None
        # ---- GPS bookkeeping (private: no re-render)
        self._queue: list[Fix] = []
        self._fix: Optional[tuple] = None     # (lat, lon, accuracy, monotonic time)
        self._manual: Optional[tuple] = None
        self._manual_at = 0.0                 # monotonic time the place was set by hand
        self._live_base: tuple = (0.0, 0.0)   # (duration_s from the store, monotonic then)
        self._track_read = 0.0
        self._track_dirty = False

    # ---- reading ---------------------------------------------------------------------

    @property
    def service(self) -> PatrolService:
        return self._service

    @property
    def stroll_id(self) -> Optional[str]:
        return self.stroll["id"] if self.stroll else None

    @property
    def guest_name(self) -> str:
        return self._guest_name

    @property
    def checkin_note(self) -> str:
        return self._checkin_note

    @property
    def new_merchant(self) -> dict:
        return dict(self._new_merchant)

    @property
    def quick_text(self) -> dict:
        return dict(self._quick)

    @property
    def incident_draft(self) -> dict:
        return dict(self._draft)

    @property
    def incident(self) -> dict:
        return dict(self._incident)

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

    def _gps_current(self, max_age_s: float = POSITION_MAX_AGE_S) -> bool:
        """A GPS fix younger than ``max_age_s`` and not older than the place set by
        hand (the team taps the map once GPS is lost: the tap is where they are)."""
        return (self._fix is not None and self._mono() - self._fix[3] <= max_age_s
                and (self._manual is None or self._fix[3] >= self._manual_at))

    def position(self, max_age_s: float = POSITION_MAX_AGE_S) -> Optional[tuple]:
        """Where the team is: a recent GPS fix, else the place set by hand, else None.
        A place set by hand after the last fix wins over that fix."""
        if self._gps_current(max_age_s):
            return (self._fix[0], self._fix[1])
        return self._manual

    def position_source(self) -> Optional[str]:
        """``gps``, ``manual`` or None: where ``position()`` comes from."""
        if self._gps_current():
            return "gps"
        return "manual" if self._manual is not None else None

    def _set_manual(self, place: tuple) -> None:
        self._manual = place
        self._manual_at = self._mono()
        self.track.position = place
        self.track.manual = True

    # ---- errors ----------------------------------------------------------------------

    def _fail(self, e: Exception) -> None:
        """A failure the person should read about, in their language."""
        if isinstance(e, ValidationError):
            self.error = (error_key(e), {})
        else:
            # the store's own words are technical English: logged, not shown
            log.warning("patrol action failed: %s", e)
            self.error = ("error.storage", {})

    def dismiss(self) -> None:
        self.notice = None
        self.error = None

    # ---- start a stroll ----------------------------------------------------------------

    def open_start(self, neighborhood_id: Optional[str]) -> None:
        """Open the start form for ``neighborhood_id`` (or keep the one chosen)."""
        self.start_error = None
        if neighborhood_id and neighborhood_id != self.neighborhood_id:
            self.choose_neighborhood(neighborhood_id)
        elif self.neighborhood_id:
            self._load_neighborhood(self.neighborhood_id)

    def choose_neighborhood(self, neighborhood_id: str) -> None:
        if self._store.get("neighborhood", neighborhood_id) is None:
            raise ValueError(f"unknown neighborhood {neighborhood_id!r}")
        if neighborhood_id != self.neighborhood_id:
            self.team_ids = []  # members belong to a neighborhood; guests stay
            if not (self.lead or "").startswith("guest:"):
                self.lead = None
            self.route_id = None
            self.shift_id = None
        self.neighborhood_id = neighborhood_id
        self._load_neighborhood(neighborhood_id)

    def _load_neighborhood(self, neighborhood_id: str) -> None:
        try:
            self.members = self._store.members(neighborhood_id)
            self.routes = self._store.routes(neighborhood_id)
            now = self._now()
            today = now.date()
            self.shifts = [s for s in self._store.upcoming_shifts(now, days=1)
                           if s["neighborhood_id"] == neighborhood_id
                           and parse_time(s["starts_at"]).astimezone(now.tzinfo).date() == today]
        except StrollError as e:
            self._fail(e)
        self._update_warnings()

    def choose_route(self, route_id: Optional[str]) -> None:
        self.route_id = route_id if route_id != self.route_id else None

    def choose_shift(self, shift_id: str) -> None:
        """Link the stroll to one of today's shifts (again: unlink). Linking takes the
        shift's route and adds its confirmed volunteers to the team."""
        if shift_id == self.shift_id:
            self.shift_id = None
            return
        shift = next((s for s in self.shifts if s["id"] == shift_id), None)
        if shift is None:
            raise ValueError(f"unknown shift {shift_id!r}")
        self.shift_id = shift_id
        if shift.get("route_id"):
            self.route_id = shift["route_id"]
        try:
            signed = self._store.confirmed_signups(shift_id)
        except StrollError as e:
            self._fail(e)
            return
        known = {m["id"] for m in self.members}
        for s in signed:
            if s["member_id"] in known and s["member_id"] not in self.team_ids:
                self.team_ids = [*self.team_ids, s["member_id"]]
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

    def _update_warnings(self) -> None:
        members = {m["id"]: m for m in self.members}
        team = self.team()
        found = rules.team_warnings(team, members) if team else []
        self.warning_params = {f"warning.{w.code}": dict(w.params) for w in found}
        self.warnings = list(self.warning_params)

    def begin(self) -> bool:
        """Start the stroll (buddy rule: the service refuses fewer than 2 people)."""
        self.start_error = None
        try:
            if self._service.active_stroll() is not None:
                # one stroll at a time on a device (another session started it, or the
                # form was reopened): show it rather than a form error
                self.restore()
                self.notice = ("patrol.already_running", {})
                return True
        except StrollError as e:
            self._fail(e)
            self.start_error = "error.start_failed"
            return False
        if not self.neighborhood_id:
            self.start_error = "error.neighborhood"
            return False
        try:
            started = self._service.start_stroll(self.neighborhood_id, route_id=self.route_id,
                                                 shift_id=self.shift_id, team=self.team())
        except ValidationError as e:
            self.start_error = error_key(e)
            return False
        except StrollAlreadyActive:
            self.restore()
            self.notice = ("patrol.already_running", {})
            return True
        except StrollError as e:
            self._fail(e)
            self.start_error = "error.start_failed"
            return False
        self._reset_form()
        self._enter(started.stroll.to_dict())
        self.notice = ((f"warning.{started.warnings[0].code}",
                        dict(started.warnings[0].params))
                       if started.warnings else ("live.started", {}))
        return True

    def _reset_form(self) -> None:
        self.team_ids, self.guests, self.lead = [], [], None
        self.shift_id = None
        self.route_id = None
        self._guest_name = ""
        self.guest_field += 1
        self.warnings = []
        self.warning_params = {}
        self.start_error = None

    # ---- the running stroll -----------------------------------------------------------

    def restore(self) -> bool:
        """Pick up the stroll running on this device (after a restart). True if any."""
        try:
            running = self._service.active_stroll()
        except StrollError as e:
            self._fail(e)
            return False
        if running is None:
            return False
        self._enter(running.to_dict())
        return True

    def _enter(self, stroll: dict) -> None:
        if stroll["id"] != self.stroll_id:
            self._queue = []  # fixes not yet written belong to the stroll they came in
        self.stroll = stroll
        self.summary = None
        self.confirm_end = False
        self.error = None
        nid = stroll["neighborhood_id"]
        if nid != self.neighborhood_id:
            self.neighborhood_id = nid
            self._load_neighborhood(nid)
        route = self._store.get("route", stroll["route_id"]) if stroll.get("route_id") else None
        self.track.route = [tuple(p) for p in route["path"]] if route else []
        self.track.path = []
        self.track.streets = [[tuple(p) for p in r["path"]] for r in self.routes
                              if r["id"] != stroll.get("route_id") and r.get("path")]
        try:
            self.track.places = [(m["lat"], m["lon"], m["name"])
                                 for m in self._store.merchants(nid) if m.get("lat") is not None]
        except StrollError as e:
            self._fail(e)
        hood = self._store.get("neighborhood", nid)
        first = self.track.route[0] if self.track.route else (
            (hood["center_lat"], hood["center_lon"]) if hood else None)
        self.track.center = first
        self._refresh()
        self._read_track(force=True)
        if self._fix is not None and self._mono() - self._fix[3] <= FIX_FRESH_S:
            self.live.gps = GPS_OK
        elif self.live.gps not in (GPS_DENIED, GPS_UNAVAILABLE):
            self.live.gps = GPS_WAITING   # not "off" (the last stroll's end) nor stale "ok"
        self.tracking = True

    def _refresh(self) -> None:
        """Re-read the stroll's numbers, tallies and records from the store."""
        sid = self.stroll_id
        if sid is None:
            return
        try:
            live = self._service.live(sid)
            self.stroll = self._store.get("stroll", sid) or self.stroll
            self.check_in_count = self._store.stroll_count("check_in", sid)
            self.incidents = self._store.stroll_incidents(sid)
        except StrollError as e:
            self._fail(e)
            return
        self.tallies = {k: live["tallies"].get(k, 0) for k in tx.TALLIES}
        self._live_base = (float(live["duration_s"]), self._mono())
        self.live.status = live["status"]
        self.live.distance_m = live["distance_m"]
        self.live.duration_s = int(live["duration_s"])
        self.live.points = live["points"]

    def _read_track(self, force: bool = False) -> None:
        sid = self.stroll_id
        if sid is None:
            return
        now = self._mono()
        if not force and now - self._track_read < TRACK_REFRESH_S:
            self._track_dirty = True
            return
        try:
            self.track.path = [tuple(p) for p in self._service.display_track(sid)]
        except StrollError as e:
            self._fail(e)
            return
        self._track_read = now
        self._track_dirty = False

    def tick(self) -> None:
        """Once a second from the UI: the clock, a stale GPS fix, a late track redraw."""
        if self.stroll is None:
            return
        base, at = self._live_base
        if self.live.status == "active":
            self.live.duration_s = int(base + max(0.0, self._mono() - at))
        if self.live.gps == GPS_OK and self._fix is not None \
                and self._mono() - self._fix[3] > FIX_FRESH_S:
            self.live.gps = GPS_LOST
        if self._track_dirty:
            self._read_track()
        if self._queue:
            self._flush()

    # ---- GPS -----------------------------------------------------------------------------

    def on_position(self, lat: Optional[float], lon: Optional[float], t: Optional[float] = None,
                    accuracy: Optional[float] = None) -> None:
        """One position from the stream (``t`` epoch seconds, ``accuracy`` metres)."""
        if lat is None or lon is None:
            return
        acc = float(accuracy) if accuracy is not None else 0.0
        self._fix = (float(lat), float(lon), acc, self._mono())
        self.live.gps = GPS_OK
        self.live.gps_detail = ""
        self.live.accuracy_m = acc if acc > 0 else None
        self.track.position = (float(lat), float(lon))
        self.track.manual = False
        if self.stroll is None:
            return
        self._queue.append(Fix(float(lat), float(lon), float(t) if t else self._wall(), acc))
        self._flush()

    def _flush(self) -> None:
        sid = self.stroll_id
        if sid is None or not self._queue:
            return
        try:
            res = self._service.add_fixes(sid, self._queue)
        except (NoActiveStroll, StrollEnded):
            self._queue = []
            return
        except StrollError as e:
            if len(self._queue) > MAX_QUEUED_FIXES:
                self._queue = self._queue[-MAX_QUEUED_FIXES:]
            if self.error is None:
                self._fail(e)
            return
        self._queue = []
        if self.error and self.error[0] == "error.storage":
            self.error = None
        self.live.distance_m = res.distance_m
        if res.kept:
            self.live.points += res.kept
            self._read_track()

    def on_gps_error(self, message: str) -> None:
        """The stream failed: permission refused, or location not available."""
        text = str(message or "")
        if "permission" in text.lower() or "denied" in text.lower():
            self.on_gps_denied()
        elif self.live.gps != GPS_OK or self._fix is None \
                or self._mono() - self._fix[3] > FIX_FRESH_S:
            # a browser reports a failure between good fixes now and then: only say
            # "not available" when there is no recent fix
            self.live.gps = GPS_UNAVAILABLE if self._fix is None else GPS_LOST
        self.live.gps_detail = text

    def on_gps_denied(self) -> None:
        """Location refused: no GPS position is "where we are" any more (a fix from
        before must not block setting the place by hand)."""
        self.live.gps = GPS_DENIED
        self._fix = None
        if not self.track.manual:
            self.track.position = None

    def set_position(self, lat: float, lon: float) -> bool:
        """The team says where it is (a tap on the map) when GPS cannot. Ignored while
        GPS has a fresh fix."""
        if self.position_source() == "gps" and self._mono() - self._fix[3] <= FIX_FRESH_S:
            return False
        try:
            place = rules.as_latlon((lat, lon), "check_in", "position")
        except ValidationError as e:
            self._fail(e)
            return False
        self._set_manual(place)
        self.notice = ("live.position_set", {})
        return True

    # ---- pause, tallies, end -----------------------------------------------------------

    def pause(self) -> None:
        try:
            self._service.pause(self.stroll_id)
        except StrollError as e:
            self._fail(e)
        self._refresh()

    def resume(self) -> None:
        try:
            self._service.resume(self.stroll_id)
        except StrollError as e:
            self._fail(e)
        self._refresh()

    def tally(self, kind: str, delta: int = 1) -> None:
        try:
            counts = self._service.tally(kind, delta, self.stroll_id)
            self.tallies = {k: counts.get(k, 0) for k in tx.TALLIES}
        except ValidationError:
            return  # below zero: nothing to undo
        except StrollError as e:
            self._fail(e)

    def ask_end(self) -> None:
        self.confirm_end = True

    def cancel_end(self) -> None:
        self.confirm_end = False

    def end(self) -> bool:
        """End the stroll: seal its track; the summary says what waits to sync."""
        self.confirm_end = False
        if self._queue:
            self._flush()
        try:
            summary = self._service.end_stroll(self.stroll_id)
        except StrollError as e:
            self._fail(e)
            return False
        self.summary = summary
        self.stroll = None
        self.tracking = False
        self.live.status = "ended"
        self.live.gps = GPS_OFF
        self.notice = None
        return True

    def summary_incidents(self) -> list[dict]:
        if not self.summary:
            return []
        try:
            return self._store.stroll_incidents(self.summary["stroll_id"])
        except StrollError:
            return []

    def close_summary(self) -> None:
        self.summary = None
        self.live.status = None

    def pending_count(self) -> int:
        try:
            return self._store.pending_count()
        except StrollError:
            return 0

    # ---- check-ins -------------------------------------------------------------------

    def open_check_in(self) -> None:
        """The neighborhood's merchants, nearest first (by name without a position)."""
        self.checkin_error = None
        try:
            self.merchants = self._service.merchants_nearby(self.position(), self.neighborhood_id)
        except StrollError as e:
            self._fail(e)

    def pick_merchant(self, merchant_id: str) -> None:
        m = next((m for m in self.merchants if m["id"] == merchant_id), None) \
            or self._store.get("merchant", merchant_id)
        if m is None:
            raise ValueError(f"unknown merchant {merchant_id!r}")
        self.merchant = m
        self.checkin_language = (m.get("languages") or [None])[0]
        self._checkin_note = ""
        self.checkin_field += 1
        self.checkin_error = None
        try:
            self.history = self._service.merchant_history(merchant_id)
        except StrollError as e:
            self._fail(e)
            self.history = []

    def edit_checkin_note(self, value: str) -> None:
        self._checkin_note = value or ""

    def choose_checkin_language(self, code: str) -> None:
        self.checkin_language = None if code == self.checkin_language else code

    def check_in(self, status: str) -> bool:
        """Record the visit with ``status`` (the second tap). True when saved."""
        if self.merchant is None:
            return False
        m = self.merchant
        try:
            self._service.check_in(m["id"], status=status, note=self._checkin_note.strip(),
                                   language=self.checkin_language, position=self.position())
        except StrollError as e:
            self.checkin_error = error_key(e) if isinstance(e, ValidationError) \
                else "error.not_saved"
            self._fail(e)
            return False
        if self.position_source() != "gps" and m.get("lat") is not None:
            # no GPS: standing at the merchant is the best place we know
            self._set_manual((m["lat"], m["lon"]))
        self.notice = ("check_in.saved", {"name": m["name"]})
        try:
            self.history = self._service.merchant_history(m["id"])
        except StrollError as e:
            log.warning("could not re-read the visits of %s: %s", m["id"], e)
        self._refresh()
        return True

    # ---- add a merchant ----------------------------------------------------------------

    def open_add_merchant(self) -> None:
        self._new_merchant = {"name": "", "address": ""}
        self.new_merchant_category = "other"
        self.new_merchant_languages = []
        self._refuse_merchant({})
        self.checkin_field += 1

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
        self._answer(field)

    def choose_new_merchant_category(self, category: str) -> None:
        self.new_merchant_category = category
        self._answer("category")

    def toggle_new_merchant_language(self, code: str) -> None:
        langs = self.new_merchant_languages
        self.new_merchant_languages = ([c for c in langs if c != code] if code in langs
                                       else [*langs, code])
        self._answer("languages")

    def save_merchant(self) -> bool:
        """Add the merchant where the team stands; it becomes the one to check in with."""
        self._refuse_merchant({})
        name = " ".join(self._new_merchant["name"].split())
        if not name:
            self._refuse_merchant({"name": "error.merchant_name"})
            return False
        try:
            rec = self._service.add_merchant(
                name, self.position(), neighborhood_id=self.neighborhood_id,
                category=self.new_merchant_category,
                address=self._new_merchant["address"].strip(),
                languages=list(self.new_merchant_languages))
        except ValidationError as e:
            self._refuse_merchant({"position" if e.field in ("position", "lat", "lon")
                                   else e.field: error_key(e)})
            return False
        except StrollError as e:
            self._fail(e)
            return False
        self.open_check_in()
        self.pick_merchant(rec.id)
        self.notice = ("merchant.added", {"name": rec.name})
        return True

    # ---- quick incident ----------------------------------------------------------------

    def open_quick_incident(self) -> None:
        self.quick_harms = []
        self.quick_actions = []
        self.quick_errors = {}
        self._quick = {"cross_streets": "", "note": ""}
        self.quick_field += 1

    def toggle_quick_harm(self, code: str) -> None:
        self.quick_harms = _toggle(self.quick_harms, code)
        self.quick_errors = {k: v for k, v in self.quick_errors.items() if k != "harm_types"}

    def toggle_quick_action(self, code: str) -> None:
        self.quick_actions = _toggle(self.quick_actions, code)
        self.quick_errors = {k: v for k, v in self.quick_errors.items() if k != "actions_taken"}

    def edit_quick(self, field: str, value: str) -> None:
        if field not in self._quick:
            raise ValueError(f"unknown quick incident field {field!r}")
        self._quick[field] = value or ""

    def save_quick_incident(self) -> Optional[str]:
        """Log the essentials (time now, the place at block precision). Returns the
        incident id, or None with ``quick_errors`` saying what is missing."""
        self.quick_errors = {}
        try:
            rec = self._service.quick_incident(
                list(self.quick_harms), self.position(), list(self.quick_actions),
                self._quick["note"].strip(), cross_streets=self._quick["cross_streets"].strip())
        except ValidationError as e:
            self.quick_errors = {e.field: error_key(e)}
            return None
        except StrollError as e:
            self._fail(e)
            return None
        self.notice = ("incident.logged", {})
        self._refresh()
        return rec.id

    # ---- the full incident form ----------------------------------------------------------

    def open_incident(self, incident_id: str) -> bool:
        try:
            rec = self._store.get("incident", incident_id)
        except StrollError as e:
            self._fail(e)
            return False
        if rec is None:
            self.error = ("error.not_found", {})
            return False
        self.incident_id = incident_id
        self._incident = rec
        self._draft = {k: _copy(rec[k]) for k in INCIDENT_FIELDS}
        self._draft_place = None
        self.incident_errors = {}
        self.incident_rev += 1
        return True

    def incident_toggle(self, field: str, code: str) -> None:
        """Add or remove ``code`` in a multi-choice field."""
        if field not in INCIDENT_LISTS:
            raise ValueError(f"{field!r} is not a multi-choice field")
        self._draft[field] = _toggle(self._draft[field], code)
        self._changed(field)

    def incident_choose(self, field: str, code: str) -> None:
        """Choose ``code`` in a single-choice field (again: unset, where allowed)."""
        if field not in INCIDENT_CHOICES:
            raise ValueError(f"{field!r} is not a single-choice field")
        if self._draft[field] == code and field not in INCIDENT_REQUIRED_CHOICE:
            self._draft[field] = None
        else:
            self._draft[field] = code
        self._changed(field)

    def incident_flag(self, field: str, value: bool) -> None:
        if field not in INCIDENT_FLAGS:
            raise ValueError(f"{field!r} is not a yes/no field")
        self._draft[field] = bool(value)
        if field == "consent_contact" and not value:
            # no consent to be contacted: the contact details are not kept
            for f in CONTACT_FIELDS:
                self._draft[f] = "" if f in INCIDENT_TEXTS else None
        self._changed(field)

    def incident_text(self, field: str, value: str) -> None:
        """Typing in a text field (no re-render per keystroke)."""
        if field not in INCIDENT_TEXTS:
            raise ValueError(f"{field!r} is not a text field")
        self._draft[field] = value or ""
        if field in self.incident_errors:
            self.incident_errors = {k: v for k, v in self.incident_errors.items() if k != field}

    def incident_use_position(self) -> bool:
        """Set the incident's place to where the team is now (GPS or set by hand)."""
        place = self.position()
        if place is None:
            self.incident_errors = {**self.incident_errors, "location_precision":
                                    "error.no_position"}
            return False
        self._draft_place = place
        self._changed("location_precision")
        return True

    def _changed(self, field: str) -> None:
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
            rec = self._service.complete_incident(self.incident_id, **self.incident_patch())
        except ValidationError as e:
            fld = e.field if e.field in INCIDENT_FIELDS else (
                "location_precision" if e.field in ("lat", "lon", "location") else "form")
            self.incident_errors = {fld: error_key(e)}
            self.incident_rev += 1
            return False
        except StrollError as e:
            self._fail(e)
            self.incident_errors = {"form": "error.not_saved"}
            return False
        self._incident = rec.to_dict()
        self._draft_place = None
        self.notice = ("incident.saved", {})
        self._refresh()
        return True


def _toggle(items, code: str) -> list[str]:
    items = list(items or [])
    return [c for c in items if c != code] if code in items else [*items, code]


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


__all__ = ["PatrolState", "LiveView", "TrackView", "error_key", "GPS_STATES", "GPS_OFF",
           "GPS_WAITING", "GPS_OK", "GPS_LOST", "GPS_DENIED", "GPS_UNAVAILABLE",
           "INCIDENT_FIELDS", "INCIDENT_LISTS", "INCIDENT_CHOICES", "INCIDENT_FLAGS",
           "INCIDENT_TEXTS", "MERCHANT_CATEGORIES"]
