"""The running stroll's screen: live numbers, GPS, the track, pause/resume, tallies, end.

``RunningStroll`` holds the ``StrollCore`` (stroll/state/core.py) and adds what only
the live screen and the summary need: whether the GPS stream should run
(``tracking``), the end confirmation, the summary of the stroll just ended, and the
actions on them.

GPS: the UI's position stream calls ``on_position`` once per position. Each fix is
handed to ``PatrolService.add_fixes`` at once (one local SQLite commit, ~1 ms); a fix
that cannot be written (disk full, a locked file) stays queued and goes with the next
one, so none is lost while the app runs. ``on_gps_error`` says whether location is
denied or just not available; without GPS the team keeps working with a position set
by hand (a tap on the map, or the merchant they check in with).
"""
from __future__ import annotations

from typing import Optional

import flet as ft

from stroll.domain import ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain import taxonomy as tx
from stroll.domain.errors import StrollError
from stroll.domain.geo import Fix
from stroll.domain.place_names import PlaceName
from stroll.patrol import NoActiveStroll, StrollEnded
from stroll.state.core import (FIX_FRESH_S, GPS_DENIED, GPS_LOST, GPS_OFF, GPS_OK,
                               GPS_SILENT_S, GPS_UNAVAILABLE, GPS_WAITING, StrollCore)

TRACK_REFRESH_S = 2.0        # the map's track is re-read at most this often
MAX_QUEUED_FIXES = 50_000    # fixes kept in memory while the store refuses them


@ft.observable
class RunningStroll:
    """The live screen's and the summary's data and actions."""

    def __init__(self, core: StrollCore):
        self._core = core
        self.tracking = False                 # the GPS stream should run
        self.summary: Optional[dict] = None
        self.confirm_end = False
        # ---- GPS bookkeeping (private: no re-render)
        self._queue: list[Fix] = []
        self._track_read = 0.0
        self._track_dirty = False

    @property
    def core(self) -> StrollCore:
        return self._core

    # ---- the stroll that runs ----------------------------------------------------------

    def restore(self) -> bool:
        """Pick up the stroll running on this device (after a restart). True if any."""
        try:
            running = self._core.service.active_stroll()
        except StrollError as e:
            self._core.fail(e)
            return False
        if running is None:
            return False
        self.enter(running.to_dict())
        return True

    def enter(self, stroll: dict) -> None:
        """Show ``stroll`` (just started, or found running) on the live screen."""
        core, track = self._core, self._core.track
        if stroll["id"] != core.stroll_id:
            self._queue = []  # fixes not yet written belong to the stroll they came in
        core.stroll = stroll
        self.summary = None
        self.confirm_end = False
        core.error = None
        nid = stroll["neighborhood_id"]
        core.neighborhood_id = nid
        route = core.store.get("route", stroll["route_id"]) if stroll.get("route_id") else None
        track.route = [tuple(p) for p in route["path"]] if route else []
        track.path = []
        try:
            track.streets = [[tuple(p) for p in r["path"]] for r in core.store.routes(nid)
                             if r["id"] != stroll.get("route_id") and r.get("path")]
            track.places = [(m["lat"], m["lon"], PlaceName.of(m))
                            for m in core.store.merchants(nid) if m.get("lat") is not None]
        except StrollError as e:
            core.fail(e)
        hood = core.store.get("neighborhood", nid)
        first = track.route[0] if track.route else (
            (hood["center_lat"], hood["center_lon"]) if hood else None)
        track.center = first
        core.refresh()
        self._read_track(force=True)
        if core.fix_fresh():
            core.live.gps = GPS_OK
        elif core.live.gps not in (GPS_DENIED, GPS_UNAVAILABLE):
            core.live.gps = GPS_WAITING   # not "off" (the last stroll's end) nor stale "ok"
        self.tracking = True

    def _read_track(self, force: bool = False) -> None:
        sid = self._core.stroll_id
        if sid is None:
            return
        now = self._core.monotonic()
        if not force and now - self._track_read < TRACK_REFRESH_S:
            self._track_dirty = True
            return
        try:
            self._core.track.path = [tuple(p) for p in self._core.service.display_track(sid)]
        except StrollError as e:
            self._core.fail(e)
            return
        self._track_read = now
        self._track_dirty = False

    def tick(self) -> None:
        """Once a second from the UI: the clock, a stale GPS fix, a late track redraw."""
        core = self._core
        if core.stroll is None:
            return
        if core.live.status == "active":
            core.live.duration_s = core.running_duration()
        age = core.fix_age()
        if core.live.gps == GPS_OK and age is not None:
            # standing still, the stream is silent: "ok" until the fix is too old to
            # use (stroll/state/core.py, GPS_SILENT_S), saying how old it is
            if age > GPS_SILENT_S:
                core.live.gps = GPS_LOST
                core.live.quiet_s = None
            else:
                quiet = int(age) if age > FIX_FRESH_S else None
                if quiet != core.live.quiet_s:
                    core.live.quiet_s = quiet
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
        core, live = self._core, self._core.live
        acc = float(accuracy) if accuracy is not None else 0.0
        core.take_fix(float(lat), float(lon), acc)
        live.gps = GPS_OK
        live.gps_detail = ""
        live.quiet_s = None
        live.accuracy_m = acc if acc > 0 else None
        if core.stroll is None:
            return
        self._queue.append(Fix(float(lat), float(lon), float(t) if t else core.wall(), acc))
        self._flush()

    def _flush(self) -> None:
        core = self._core
        sid = core.stroll_id
        if sid is None or not self._queue:
            return
        try:
            res = core.service.add_fixes(sid, self._queue)
        except (NoActiveStroll, StrollEnded):
            self._queue = []
            return
        except StrollError as e:
            if len(self._queue) > MAX_QUEUED_FIXES:
                self._queue = self._queue[-MAX_QUEUED_FIXES:]
            if core.error is None:
                core.fail(e)
            return
        self._queue = []
        if core.error and core.error[0] == "error.storage":
            core.error = None
        core.live.distance_m = res.distance_m
        if res.kept:
            core.live.points += res.kept
            self._read_track()

    def on_gps_error(self, message: str) -> None:
        """The stream failed: permission refused, or location not available."""
        text = str(message or "")
        live = self._core.live
        if "permission" in text.lower() or "denied" in text.lower():
            self.on_gps_denied()
        elif live.gps != GPS_OK or not self._core.fix_fresh():
            # a browser reports a failure between good fixes now and then: only say
            # "not available" when there is no recent fix
            live.gps = GPS_UNAVAILABLE if self._core.fix_age() is None else GPS_LOST
            live.quiet_s = None
        live.gps_detail = text

    def on_gps_denied(self) -> None:
        """Location refused: no GPS position is "where we are" any more (a fix from
        before must not block setting the place by hand)."""
        self._core.live.gps = GPS_DENIED
        self._core.forget_fix()

    def set_position(self, lat: float, lon: float) -> bool:
        """The team says where it is (a tap on the map) when GPS cannot. Ignored while
        GPS has a fresh fix."""
        core = self._core
        if core.position_source() == "gps" and core.fix_fresh():
            return False
        try:
            place = rules.as_latlon((lat, lon), "check_in", "position")
        except ValidationError as e:
            core.fail(e)
            return False
        core.set_manual(place)
        core.notice = ("live.position_set", {})
        return True

    # ---- pause, tallies, end -----------------------------------------------------------

    def pause(self) -> None:
        self._act(self._core.service.pause)

    def resume(self) -> None:
        self._act(self._core.service.resume)

    def _act(self, action) -> None:
        try:
            action(self._core.stroll_id)
        except StrollError as e:
            self._core.fail(e)
        self._core.refresh()

    def tally(self, kind: str, delta: int = 1) -> None:
        try:
            counts = self._core.service.tally(kind, delta, self._core.stroll_id)
            self._core.tallies = {k: counts.get(k, 0) for k in tx.TALLIES}
        except ValidationError:
            return  # below zero: nothing to undo
        except StrollError as e:
            self._core.fail(e)

    def ask_end(self) -> None:
        self.confirm_end = True

    def cancel_end(self) -> None:
        self.confirm_end = False

    def end(self) -> bool:
        """End the stroll: seal its track; the summary says what waits to sync."""
        core = self._core
        self.confirm_end = False
        if self._queue:
            self._flush()
        try:
            summary = core.service.end_stroll(core.stroll_id)
        except StrollError as e:
            core.fail(e)
            return False
        self.summary = summary
        core.stroll = None
        self.tracking = False
        core.live.status = "ended"
        core.live.gps = GPS_OFF
        core.notice = None
        return True

    def summary_incidents(self) -> list[dict]:
        if not self.summary:
            return []
        try:
            return self._core.store.stroll_incidents(self.summary["stroll_id"])
        except StrollError:
            return []

    def close_summary(self) -> None:
        self.summary = None
        self._core.live.status = None

    def pending_count(self) -> int:
        try:
            return self._core.store.pending_count()
        except StrollError:
            return 0


__all__ = ["RunningStroll", "TRACK_REFRESH_S", "MAX_QUEUED_FIXES"]
