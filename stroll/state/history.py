"""Past strolls and incidents left to complete: what the past-stroll screen and the
Patrol tab's "Incidents needing details" list show.

``History`` reads an ended stroll back from the store — its numbers, the walked
track simplified for the map, its check-ins (with the merchant's name) and its
incidents — and keeps, across strolls, the incidents whose details are not complete
yet. Whether an incident is complete is the domain's rule
(``patrol_rules.incident_missing_details``); each incident row carries ``missing``
(what is still to answer) and ``complete``. The full form that completes one is
``IncidentForms`` (stroll/state/incident.py), opened from here by ``AppState``; it
needs no running stroll. No Flet page: tests/state/ drive it against a real Store.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Optional

import flet as ft

from stroll.domain import patrol_rules as rules
from stroll.domain import taxonomy as tx
from stroll.domain.errors import StrollError
from stroll.domain.geo import LatLon, decode_track, simplify
from stroll.domain.records import parse_time
from stroll.patrol import PatrolService, StrollNotOnThisDevice

TRACK_TOLERANCE_M = 3.0     # the walked track on the map: within 3 m of every fix
MAX_DRAWN_POINTS = 1500     # more than a phone's map needs: simplify harder above it
NEEDING_LIMIT = 200         # incidents needing details listed at most

log = logging.getLogger("stroll.state.history")


def display_path(chunks: list[dict], buffered: list, tolerance_m: float = TRACK_TOLERANCE_M,
                 max_points: int = MAX_DRAWN_POINTS) -> list[LatLon]:
    """A stroll's track for the map: its sealed chunks' points (in ``seq`` order) and
    any fixes still buffered, simplified within ``tolerance_m``; a track still longer
    than ``max_points`` is simplified again at twice the tolerance, until it fits."""
    points: list[LatLon] = []
    for c in chunks:
        points.extend((f.lat, f.lon) for f in decode_track(c["points"]))
    points.extend((f.lat, f.lon) for f in buffered)
    path = simplify(points, tolerance_m)
    while len(path) > max_points and tolerance_m < 1000:
        tolerance_m *= 2
        path = simplify(path, tolerance_m)
    return path


def with_details(incident: dict) -> dict:
    """``incident`` with what it still lacks (``missing``) and ``complete``."""
    missing = rules.incident_missing_details(incident)
    return {**incident, "missing": missing, "complete": not missing}


@ft.observable
class History:
    """The past stroll shown, and the incidents left to complete across strolls."""

    def __init__(self, service: PatrolService, *,
                 now: Callable[[], datetime] = lambda: datetime.now().astimezone()):
        self._service = service
        self._store = service.store
        self._now = now
        self.stroll: Optional[dict] = None    # the stroll record, with duration_s
        self.path: list = []                  # the walked track [(lat, lon)], simplified
        self.route: list = []                 # the planned route, if it had one
        self.streets: list = []               # the neighborhood's routes, to orient by
        self.center: Optional[tuple] = None   # the neighborhood's center (no track)
        self.check_ins: list[dict] = []       # oldest first, with merchant_name
        self.incidents: list[dict] = []       # oldest first, with missing and complete
        self.needing: list[dict] = []         # across strolls, newest first
        self.error: Optional[tuple] = None    # (catalog key, params)

    @property
    def stroll_id(self) -> Optional[str]:
        return self.stroll["id"] if self.stroll else None

    # ---- a past stroll ---------------------------------------------------------------

    def open(self, stroll_id: str) -> bool:
        """Read the stroll back: numbers, track, check-ins, incidents. False (and
        ``error``) when it cannot be read."""
        store = self._store
        try:
            stroll = store.get("stroll", stroll_id)
            if stroll is None:
                self.error = ("error.not_found", {})
                return False
            chunks, buffered = store.track_parts(stroll_id)
            path = display_path(chunks, buffered)
            stroll["duration_s"] = self._duration(stroll)
            route = store.get("route", stroll["route_id"]) if stroll.get("route_id") else None
            nid = stroll["neighborhood_id"]
            streets = [[tuple(p) for p in r["path"]] for r in store.routes(nid)
                       if r["id"] != stroll.get("route_id") and len(r.get("path") or []) > 1]
            hood = store.get("neighborhood", nid)
            check_ins = store.stroll_check_ins(stroll_id)
            incidents = [with_details(i) for i in store.stroll_incidents(stroll_id)]
        except (StrollError, ValueError) as e:  # ValueError: a damaged track chunk
            self._fail(e)
            return False
        self.stroll = stroll
        self.path = path
        self.route = [tuple(p) for p in route["path"]] if route else []
        self.streets = streets
        self.center = (hood["center_lat"], hood["center_lon"]) if hood else None
        self.check_ins = check_ins
        self.incidents = incidents
        self.error = None
        return True

    def _duration(self, stroll: dict) -> int:
        """Time on patrol: the device's own count (pauses left out) for a stroll
        walked with this phone, else from its start to its end."""
        try:
            return int(self._service.summary(stroll["id"])["duration_s"])
        except StrollNotOnThisDevice:
            pass
        end = stroll.get("ended_at")
        if not end:
            return 0
        return max(0, int((parse_time(end) - parse_time(stroll["started_at"])).total_seconds()))

    def tallies(self) -> dict[str, int]:
        counts = (self.stroll or {}).get("tallies") or {}
        return {k: int(counts.get(k, 0)) for k in tx.TALLIES}

    def close(self) -> None:
        """Leave the past stroll (its track is not kept in memory)."""
        self.stroll = None
        self.path = []
        self.route = []
        self.streets = []
        self.check_ins = []
        self.incidents = []
        self.error = None

    # ---- incidents needing details, across strolls --------------------------------------

    def load_needing(self) -> None:
        """The incidents of strolls walked with this phone whose details are not
        complete, newest first, each with its stroll's ``stroll_started_at``."""
        try:
            rows = self._store.incidents_missing(rules.DETAIL_FIELDS, limit=NEEDING_LIMIT)
            started: dict[str, str] = {}
            out = []
            for inc in rows:
                inc = with_details(inc)
                if inc["complete"]:
                    continue
                sid = inc.get("stroll_id")
                if sid and sid not in started:
                    s = self._store.get("stroll", sid)
                    started[sid] = s["started_at"] if s else ""
                inc["stroll_started_at"] = started.get(sid or "", "")
                out.append(inc)
        except StrollError as e:  # the tab says the store failed (AppState.load_error)
            log.warning("incidents needing details could not be read: %s", e)
            return
        self.needing = out

    def refresh(self) -> None:
        """After an incident was saved: its row and the list across strolls anew."""
        if self.stroll is not None:
            try:
                self.incidents = [with_details(i)
                                  for i in self._store.stroll_incidents(self.stroll["id"])]
            except StrollError as e:
                self._fail(e)
        self.load_needing()

    def _fail(self, e: Exception) -> None:
        # the store's own words are technical English: the screen says it in the
        # person's language (the details are in the app's log)
        log.warning("past stroll could not be read: %s", e)
        self.error = ("history.unreadable", {})


__all__ = ["History", "display_path", "with_details", "TRACK_TOLERANCE_M", "MAX_DRAWN_POINTS"]
