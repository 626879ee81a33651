"""The GPS track of a running stroll: ingest, the odometer, sealing track chunks,
the track for the map (see the package docstring for how it is kept)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from stroll.domain import TrackChunk
from stroll.domain.geo import (Fix, LatLon, Odometer, decode_track, encode_track,
                               filter_jitter, simplify)
from stroll.patrol.base import PatrolCore, _iso_t
from stroll.store import Transaction


@dataclass(frozen=True)
class IngestResult:
    """What ``add_fixes`` did: ``status`` is the stroll's (nothing is recorded unless
    ``active``); ``kept`` fixes passed the jitter filter and are committed."""
    received: int
    kept: int
    sealed: int          # track chunks sealed by this call
    buffered: int        # kept fixes waiting in the buffer for the next chunk
    distance_m: float
    status: str


class TrackRecorder(PatrolCore):
    """The track part of ``PatrolService``."""

    @staticmethod
    def _odometer(st: dict) -> Odometer:
        anchor = last = None
        if st["anchor_lat"] is not None:
            anchor = (st["anchor_lat"], st["anchor_lon"])
            last = (st["last_lat"], st["last_lon"])
        return Odometer(st["distance_m"], anchor, last)

    @classmethod
    def _close_segment(cls, st: dict) -> None:
        odo = cls._odometer(st)
        st.update(distance_m=odo.close(), anchor_lat=None, anchor_lon=None)

    # ---- GPS track ------------------------------------------------------------------

    def add_fixes(self, stroll_id: str, fixes: Iterable[Fix]) -> IngestResult:
        """Record positions from the GPS stream (``Fix`` or ``(lat, lon, t, accuracy)``).
        Nothing is recorded while the stroll is paused or ended (late fixes are
        ignored, not an error). Every kept fix is committed before this returns."""
        fixes = [f if isinstance(f, Fix) else Fix(*f) for f in fixes]
        n = self.chunk_points
        with self.store.transaction() as tx:
            stroll, st = self._load(stroll_id)
            if stroll["status"] != "active":
                return IngestResult(len(fixes), 0, 0, self.store.gps_buffer_count(stroll_id),
                                    self._odometer(st).total_m, stroll["status"])
            last = None
            if st["last_t"] is not None:
                last = Fix(st["last_lat"], st["last_lon"], st["last_t"], st["last_accuracy"])
            kept = filter_jitter(fixes, last=last, **self.jitter)
            buffered = self.store.gps_buffer_count(stroll_id)
            if not kept:
                return IngestResult(len(fixes), 0, 0, buffered, self._odometer(st).total_m,
                                    "active")
            odo = self._odometer(st)
            odo.add(kept)
            sealed = 0
            if buffered + len(kept) >= n:
                pending = self.store.gps_buffer(stroll_id) + kept
                full = len(pending) // n * n
                for i in range(0, full, n):
                    self._save_chunk(tx, st, pending[i:i + n])
                    sealed += 1
                tx.gps_buffer_clear(stroll_id)
                rest = pending[full:]
            else:
                rest = kept
            tx.gps_buffer_add(stroll_id, rest)
            tail, anchor = kept[-1], odo.anchor
            st.update(distance_m=odo.metres, points=st["points"] + len(kept),
                      anchor_lat=anchor[0], anchor_lon=anchor[1], last_lat=tail.lat,
                      last_lon=tail.lon, last_t=tail.t, last_accuracy=tail.accuracy)
            tx.put_patrol_state(st)
            buffered = len(rest) if sealed else buffered + len(kept)
        return IngestResult(len(fixes), len(kept), sealed, buffered, odo.total_m, "active")

    def _save_chunk(self, tx: Transaction, st: dict, fixes: list[Fix]) -> TrackChunk:
        chunk = TrackChunk(stroll_id=st["stroll_id"], seq=st["next_seq"],
                           points=encode_track(fixes), point_count=len(fixes),
                           started_at=_iso_t(fixes[0].t), ended_at=_iso_t(fixes[-1].t))
        tx.save(chunk)
        st["next_seq"] += 1
        return chunk

    def _seal_buffer(self, tx: Transaction, st: dict) -> int:
        buf = self.store.gps_buffer(st["stroll_id"])
        if not buf:
            return 0
        self._save_chunk(tx, st, buf)
        tx.gps_buffer_clear(st["stroll_id"])
        return 1

    def track(self, stroll_id: str) -> list[Fix]:
        """Every recorded fix of the stroll, in order: sealed chunks, then the buffer.
        (Chunk points carry the track encoding's resolution: 1e-5 degree, 1 s.)"""
        chunks, buf = self.store.track_parts(stroll_id)
        out: list[Fix] = []
        for c in chunks:
            out.extend(decode_track(c["points"]))
        out.extend(buf)
        return out

    def display_track(self, stroll_id: str) -> list[LatLon]:
        """The walked track simplified for the map (``display_tolerance_m``). Sealed
        chunks never change, so each is simplified once and remembered; a live
        refresh only simplifies the few buffered fixes."""
        chunks, buf = self.store.track_parts(stroll_id)
        tol = self.display_tolerance_m
        with self._display_lock:
            cached_for, cache = self._display_cache
            if cached_for != stroll_id:
                cache = {}
                self._display_cache = (stroll_id, cache)
        out: list[LatLon] = []
        for c in chunks:
            pts = cache.get(c["id"])
            if pts is None:
                pts = simplify([(f.lat, f.lon) for f in decode_track(c["points"])], tol)
                cache[c["id"]] = pts
            out.extend(pts)
        out.extend(simplify([(f.lat, f.lon) for f in buf], tol))
        return out
