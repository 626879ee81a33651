"""What every part of the patrol service shares: its errors, the clock, and
reading a stroll with its device-local state from the store."""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable

from stroll.domain import Stroll, StrollError
from stroll.domain.errors import TemplatedError
from stroll.domain import patrol_rules as rules
from stroll.domain.geo import LatLon
from stroll.store import RecordNotFound, Store

Clock = Callable[[], datetime]


# ---- errors ------------------------------------------------------------------------

class PatrolError(StrollError):
    code = "patrol_error"


class NoActiveStroll(PatrolError):
    code = "no_active_stroll"

    def __init__(self):
        super().__init__("no stroll is running on this device: start one first")


class _StrollError(PatrolError, TemplatedError):
    """A patrol action refused because of where stroll ``stroll_id`` stands."""
    FIELDS = ("stroll_id",)


class StrollAlreadyActive(_StrollError, code="stroll_already_active", message=(
        "stroll {stroll_id} is still running on this device: end it before starting "
        "another")):
    """Only one stroll runs on a device at a time."""


class StrollEnded(_StrollError, code="stroll_ended", message=(
        "stroll {stroll_id} has ended: nothing more can be recorded on it")):
    """An ended stroll takes no more fixes, check-ins or tallies."""


class StrollNotOnThisDevice(_StrollError, code="stroll_not_on_this_device", message=(
        "stroll {stroll_id} was not started on this device, so its track cannot be "
        "recorded here")):
    """A track is recorded only by the device that started the stroll."""


def _system_clock() -> datetime:
    return datetime.now().astimezone()


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _iso_t(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


# ---- the service's common part -----------------------------------------------------

class PatrolCore:
    """The service's store, clock and settings, and the running stroll as read from
    the store. ``PatrolService`` is this plus its track and street parts."""

    def __init__(self, store: Store, clock: Clock | None = None, *,
                 chunk_points: int = rules.CHUNK_POINTS, jitter: dict | None = None,
                 display_tolerance_m: float = 3.0):
        if chunk_points < 1:
            raise ValueError("chunk_points must be at least 1")
        self.store = store
        self.clock = clock or _system_clock
        self.chunk_points = chunk_points
        self.jitter = dict(jitter or {})
        self.display_tolerance_m = display_tolerance_m
        self._display_lock = threading.Lock()
        self._display_cache: tuple[str, dict[str, list[LatLon]]] = ("", {})

    def _now(self) -> datetime:
        now = self.clock()
        return now if now.tzinfo else now.astimezone()

    def active_stroll(self) -> Stroll | None:
        """The stroll running (or paused) on this device, read from the store."""
        running = self.store.local_strolls()
        return Stroll(**running[0]) if running else None

    def _stroll_id(self, stroll_id: str | None) -> str:
        if stroll_id:
            return stroll_id
        running = self.store.local_strolls()
        if not running:
            raise NoActiveStroll()
        return running[0]["id"]

    def _load(self, stroll_id: str) -> tuple[dict, dict]:
        stroll = self.store.get("stroll", stroll_id)
        if stroll is None:
            raise RecordNotFound("stroll", stroll_id)
        state = self.store.patrol_state(stroll_id)
        if state is None:
            raise StrollNotOnThisDevice(stroll_id)
        return stroll, state
