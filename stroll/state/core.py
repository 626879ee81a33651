"""The running stroll's core, shared by the patrol screens' observables.

``PatrolService`` (stroll/patrol/) owns every rule and every write: the buddy rule,
the jitter filter, chunk sealing, location precision, validation. ``StrollCore`` keeps
what every patrol screen needs from it: the service and its store, the clocks, the
stroll that runs, its numbers (``live``: a ``LiveNumbers``) and map (``track``: a
``TrackView``), where the team is (a GPS fix or a place set by hand), the notice or
error the live screen shows, and ``refresh`` (re-read the stroll from the store).
The screen families (start form, running stroll, check-in, incidents) each hold the
core and add their own fields and actions to it.

Three observables here, so that what changes every second re-renders only what shows
it: ``StrollCore`` (the stroll, its tallies and records, notices), ``LiveNumbers``
(distance, duration, GPS status: ticks every second) and ``TrackView`` (the walked
track and the position on the map: changes with each fix).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Callable, Optional

import flet as ft

from stroll.domain import ValidationError
from stroll.domain import taxonomy as tx
from stroll.domain.errors import StrollError
from stroll.patrol import PatrolService
from stroll.state.drafts import FormDraft
from stroll.state.errors import error_key

log = logging.getLogger("stroll.state.patrol")

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
# A position stream says nothing while the phone stands still: a browser's
# watchPosition calls back only when the position changes, the geolocator's distance
# filter (when set) drops updates until the phone has moved that far, and iOS may
# deliver nothing new for a device at rest. Silence is not a lost signal. So "GPS ok"
# stays while the last fix is still good enough for records (GPS_SILENT_S, the same
# age as POSITION_MAX_AGE_S) and the stream has reported no error since it; "lost"
# comes with a stream error after the fix is no longer fresh (running.on_gps_error), or
# after that longer silence. Past FIX_FRESH_S the status line says how old the last
# position is (``LiveNumbers.quiet_s``), so a team that walks on with a silent stream
# sees it.
GPS_SILENT_S = POSITION_MAX_AGE_S


@ft.observable
class LiveNumbers:
    """The running stroll's numbers: re-rendered every second."""

    def __init__(self):
        self.status: Optional[str] = None     # active | paused | ended | None
        self.distance_m = 0.0
        self.duration_s = 0
        self.points = 0
        self.gps = GPS_OFF
        self.accuracy_m: Optional[float] = None
        self.gps_detail = ""                  # the platform's own words, for the curious
        self.quiet_s: Optional[int] = None    # "ok", but no new position for this long


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
        self.places: list = []                # [(lat, lon, PlaceName)]


class copied:
    """A read-only view of a private field, copied so the caller cannot change it in
    place (a draft is only changed through the actions that re-render)."""

    def __init__(self, attr: str):
        self.attr = attr

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return copy_value(getattr(obj, self.attr))


def copy_value(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def toggled(items, code: str) -> list[str]:
    """``items`` with ``code`` added, or removed if it was there."""
    items = list(items or [])
    return [c for c in items if c != code] if code in items else [*items, code]


@ft.observable
class StrollCore:
    """The stroll that runs, where the team is, and what the live screen says about it."""

    def __init__(self, service: PatrolService, *,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self._service = service
        self._store = service.store
        self._now = now
        self._mono = monotonic
        self._wall = wall
        self.live = LiveNumbers()
        self.track = TrackView()
        self.neighborhood_id: Optional[str] = None  # chosen on the start form, or walked in
        self.stroll: Optional[dict] = None
        self.tallies: dict = {}
        self.check_in_count = 0
        self.incidents: list[dict] = []
        self.notice: Optional[tuple] = None   # (catalog key, params)
        self.error: Optional[tuple] = None    # (catalog key, params)
        # ---- where the team is (private: no re-render)
        self._fix: Optional[tuple] = None     # (lat, lon, accuracy, monotonic time)
        self._manual: Optional[tuple] = None
        self._manual_at = 0.0                 # monotonic time the place was set by hand
        self._live_base: tuple = (0.0, 0.0)   # (duration_s from the store, monotonic then)

    # ---- reading ---------------------------------------------------------------------

    @property
    def service(self) -> PatrolService:
        return self._service

    @property
    def store(self):
        return self._store

    def now(self) -> datetime:
        return self._now()

    def monotonic(self) -> float:
        return self._mono()

    def wall(self) -> float:
        return self._wall()

    def form_draft(self, form: str) -> FormDraft:
        """The draft of one of the screens' forms (stroll/state/drafts.py)."""
        return FormDraft(self._store, form, self._now)

    @property
    def stroll_id(self) -> Optional[str]:
        return self.stroll["id"] if self.stroll else None

    # ---- where the team is -----------------------------------------------------------

    def fix_age(self) -> Optional[float]:
        """Seconds since the last GPS fix (None: no fix)."""
        return None if self._fix is None else self._mono() - self._fix[3]

    def fix_fresh(self) -> bool:
        """A GPS fix younger than ``FIX_FRESH_S``: "now"."""
        age = self.fix_age()
        return age is not None and age <= FIX_FRESH_S

    def take_fix(self, lat: float, lon: float, accuracy: float) -> None:
        """A GPS position: where the team is now."""
        self._fix = (lat, lon, accuracy, self._mono())
        self.track.position = (lat, lon)
        self.track.manual = False

    def forget_fix(self) -> None:
        """Location refused: no GPS position is "where we are" any more."""
        self._fix = None
        if not self.track.manual:
            self.track.position = None

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

    def gps_position(self) -> Optional[tuple]:
        """(lat, lon, accuracy metres) of the GPS fix ``position()`` would give; None when
        the position is set by hand or there is none. The plausibility warnings
        (stroll/domain/plausibility.py) use only this: a place set by hand (a tap, the
        last merchant checked in with while GPS was off) is not a measurement."""
        if not self._gps_current():
            return None
        return (self._fix[0], self._fix[1], self._fix[2])

    def position_source(self) -> Optional[str]:
        """``gps``, ``manual`` or None: where ``position()`` comes from."""
        if self._gps_current():
            return "gps"
        return "manual" if self._manual is not None else None

    def set_manual(self, place: tuple) -> None:
        """The place set by hand (a tap on the map, the merchant checked in with)."""
        self._manual = place
        self._manual_at = self._mono()
        self.track.position = place
        self.track.manual = True

    # ---- notices and errors ------------------------------------------------------------

    def fail(self, e: Exception) -> None:
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

    # ---- the stroll's numbers ----------------------------------------------------------

    def refresh(self) -> None:
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
            self.fail(e)
            return
        self.tallies = {k: live["tallies"].get(k, 0) for k in tx.TALLIES}
        self._live_base = (float(live["duration_s"]), self._mono())
        self.live.status = live["status"]
        self.live.distance_m = live["distance_m"]
        self.live.duration_s = int(live["duration_s"])
        self.live.points = live["points"]

    def running_duration(self) -> int:
        """The stroll's duration now: the store's, plus the time since it was read."""
        base, at = self._live_base
        return int(base + max(0.0, self._mono() - at))


__all__ = ["StrollCore", "LiveNumbers", "TrackView", "GPS_STATES", "GPS_OFF", "GPS_WAITING",
           "GPS_OK", "GPS_LOST", "GPS_DENIED", "GPS_UNAVAILABLE", "FIX_FRESH_S",
           "POSITION_MAX_AGE_S", "GPS_SILENT_S"]
