"""The running stroll's sensors: the GPS stream and the one-second clock.

``LiveSensors`` runs the stroll's GPS stream (flet-geolocator) and its one-second
clock while ``walk.tracking`` is true, for the whole session: the stream keeps
recording while the team looks at a tab or a check-in. It only hands positions,
errors and ticks to the ``RunningStroll`` (stroll/state/running.py); the rules are there.

When the start form opens (``StartForm.locate`` changes) and no stroll is tracked, it
asks the phone once for where it is (``get_current_position``), so that a start far
from the chosen neighborhood can be questioned; no answer in ``LOCATE_TIMEOUT_S``, no
question. When a volunteer checks in to a shift (``MyShifts.locate`` changes), it asks
for one position too and hands it to ``MyShifts.located`` (None when none comes in
``CHECK_IN_TIMEOUT_S``: the check-in then asks to go ahead without one).

Standing still, the stream goes quiet: a browser's ``watchPosition`` calls back only
when the position changes, and the platforms' distance filters (``distance_filter``;
0 here, so Android's fused provider keeps its 5 s interval) hold updates until the
phone moves. Silence is therefore not a lost signal: the state keeps "GPS ok" while
the last fix is recent enough to use (stroll/state/core.py, ``GPS_SILENT_S``) and
says "lost" after a stream error or a longer silence.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Optional

import flet as ft
import flet_geolocator as fg

from stroll.domain.records import parse_time
from stroll.state import RunningStroll, StartForm
from stroll.state.my_shifts import MyShifts

log = logging.getLogger("stroll.ui.sensors")

LOCATE_TIMEOUT_S = 20.0
CHECK_IN_TIMEOUT_S = 15.0


def _epoch(stamp: Any) -> Optional[float]:
    """A geolocator timestamp (datetime, epoch ms or s, ISO text) as epoch seconds."""
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    if isinstance(stamp, (int, float)) and stamp > 0:
        return stamp / 1000.0 if stamp > 1e11 else float(stamp)
    if isinstance(stamp, str) and stamp:
        try:
            return parse_time(stamp).timestamp()
        except (TypeError, ValueError):
            return None
    return None


class LiveSensors:
    """One session's GPS stream and one-second clock, on while ``walk.tracking``."""

    def __init__(self, page: ft.Page, walk: RunningStroll, start: Optional[StartForm] = None,
                 shifts: Optional[MyShifts] = None):
        self.page = page
        self.walk = walk
        self._geo: Optional[fg.Geolocator] = None
        self._tasks: list = []
        self._locating = None
        self._suspended = False
        # an observable keeps its listeners weakly: hold the bound methods here
        self._listener = self._changed
        self._start_listener = self._start_changed
        self._unsubscribe = walk.subscribe(self._listener)
        self._unsubscribe_start = start.subscribe(self._start_listener) if start else None
        self._shifts = shifts
        self._shifts_listener = self._shifts_changed
        self._unsubscribe_shifts = shifts.subscribe(self._shifts_listener) if shifts else None
        self._changed(walk, "tracking")

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def _changed(self, _sender, field: Optional[str]) -> None:
        if field not in ("tracking", None):
            return
        if self.walk.tracking and not self._tasks and not self._suspended:
            self._tasks = [self.page.run_task(self._clock), self.page.run_task(self._gps)]
        elif not self.walk.tracking and self._tasks:
            self._stop()

    def _cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    def _stop(self) -> None:
        self._cancel()
        self._detach()

    def suspend(self) -> None:
        """The browser went away (the session waits for it): rest the clock and the GPS
        stream. The stream's handlers go without a message: there is no one to send it to."""
        self._suspended = True
        self._cancel()
        if self._geo is not None:
            self._geo.on_position_change = None
            self._geo.on_error = None

    def resume(self) -> None:
        """The browser is back: clock and GPS again if a stroll is being tracked."""
        self._suspended = False
        self._changed(self.walk, "tracking")

    def close(self) -> None:
        """The session ends."""
        self._unsubscribe()
        if self._unsubscribe_start:
            self._unsubscribe_start()
        if self._unsubscribe_shifts:
            self._unsubscribe_shifts()
        self._cancel()

    # ---- one position for the start form ------------------------------------------------

    def _start_changed(self, _sender, field: Optional[str]) -> None:
        if field != "locate" or self._suspended or self._tasks or self._locating:
            return  # the stream already hands positions over, or a request is out
        self._locating = self.page.run_task(self._locate_once)

    def _geolocator(self) -> fg.Geolocator:
        if self._geo is None:
            self._geo = fg.Geolocator(configuration=fg.GeolocatorConfiguration(
                accuracy=fg.GeolocatorPositionAccuracy.BEST, distance_filter=0))
        return self._geo

    async def _locate_once(self) -> None:
        try:
            p = await asyncio.wait_for(self._geolocator().get_current_position(),
                                       LOCATE_TIMEOUT_S)
            if p is not None and not self.walk.tracking:
                self.walk.on_position(p.latitude, p.longitude, _epoch(p.timestamp), p.accuracy)
        except Exception as e:  # no permission, no fix, no answer: no question asked
            log.info("no position for the start form: %s", e)
        finally:
            self._locating = None

    # ---- one position for a shift's check-in ------------------------------------------

    def _shifts_changed(self, _sender, field: Optional[str]) -> None:
        if field == "locate" and self._shifts is not None and self._shifts.locating:
            self.page.run_task(self._locate_for_check_in)

    async def _locate_for_check_in(self) -> None:
        fix = None
        try:
            p = await asyncio.wait_for(self._geolocator().get_current_position(),
                                       CHECK_IN_TIMEOUT_S)
            if p is not None and p.latitude is not None and p.longitude is not None:
                fix = (p.latitude, p.longitude, p.accuracy)
        except Exception as e:  # no permission, no fix, no answer: asked without one
            log.info("no position for the check-in: %s", e)
        if fix is None and self.walk.tracking:  # the stroll's own stream may have one
            fix = self.walk.core.gps_position()
        self._shifts.located(fix)

    async def _clock(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                self.walk.tick()
            except Exception:  # the clock must keep going; the state reports its own errors
                log.exception("stroll tick failed")

    async def _gps(self) -> None:
        self._geolocator()
        try:
            status = await self._geo.request_permission()
        except Exception as e:  # no answer or no location service: the stream says more
            log.info("location permission request failed: %s", e)
            status = None
        if status in (fg.GeolocatorPermissionStatus.DENIED,
                      fg.GeolocatorPermissionStatus.DENIED_FOREVER):
            self.walk.on_gps_denied()
            return
        if not self.walk.tracking:
            return
        self._geo.on_position_change = self._on_position
        self._geo.on_error = self._on_error
        self._geo.update()

    def _detach(self) -> None:
        geo = self._geo
        if geo is None or geo.on_position_change is None:
            return
        geo.on_position_change = None
        geo.on_error = None
        try:
            geo.update()  # no handlers: the client stops the stream
        except Exception as e:
            log.info("could not stop the GPS stream: %s", e)

    def _on_position(self, e: fg.GeolocatorPositionChangeEvent) -> None:
        p = e.position
        self.walk.on_position(p.latitude, p.longitude, _epoch(p.timestamp), p.accuracy)

    def _on_error(self, e: ft.ControlEvent) -> None:
        self.walk.on_gps_error(str(e.data or ""))


__all__ = ["LiveSensors"]
