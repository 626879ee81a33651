"""The patrol on the phone: a stroll, its GPS track, merchant check-ins, incidents,
tallies. Plain Python over the device Store; no Flet, no network.

The UI's state layer calls these actions. Each action is one store transaction
together with its outbox entries: when an action returns, what it recorded has
been committed (synchronous=FULL) and waits in the outbox for sync.

GPS track. ``add_fixes`` filters the position stream (``geo.filter_jitter``,
continuing from the last kept fix, which lives in the store so a restart
continues where the killed app stopped), commits every kept fix at once to the
device-local ``gps_buffer`` table, and every ``chunk_points`` fixes (and on pause
and end) seals them into an append-only ``TrackChunk`` record with its outbox
entry, in the same transaction that deletes the sealed buffer rows. The distance
walked is kept incrementally (``geo.Odometer``: counted between anchor fixes
>= 10 m apart, so GPS zig-zag is not counted as walking) in ``patrol_state``; a
pause ends the segment, so the way covered while paused is not counted.

The running stroll is read from the store every time (``active_stroll``), never
kept only in memory: kill the app mid-stroll, start it again, and the stroll is
still running with its track intact.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, NamedTuple, Sequence

from stroll.domain import CheckIn, Incident, Merchant, Stroll, StrollError, TrackChunk
from stroll.domain import ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain.geo import (Fix, LatLon, Odometer, decode_track, encode_track,
                               filter_jitter, simplify)
from stroll.domain.patrol_rules import RuleWarning
from stroll.domain.records import parse_time
from stroll.domain.taxonomy import TALLIES
from stroll.store import RecordNotFound, Store

Clock = Callable[[], datetime]


# ---- errors ------------------------------------------------------------------------

class PatrolError(StrollError):
    code = "patrol_error"


class NoActiveStroll(PatrolError):
    code = "no_active_stroll"

    def __init__(self):
        super().__init__("no stroll is running on this device: start one first")


class StrollAlreadyActive(PatrolError):
    code = "stroll_already_active"

    def __init__(self, stroll_id: str):
        self.stroll_id = stroll_id
        super().__init__(f"stroll {stroll_id} is still running on this device: "
                         "end it before starting another")


class StrollEnded(PatrolError):
    code = "stroll_ended"

    def __init__(self, stroll_id: str):
        self.stroll_id = stroll_id
        super().__init__(f"stroll {stroll_id} has ended: nothing more can be recorded on it")


class StrollNotOnThisDevice(PatrolError):
    code = "stroll_not_on_this_device"

    def __init__(self, stroll_id: str):
        self.stroll_id = stroll_id
        super().__init__(f"stroll {stroll_id} was not started on this device, so its "
                         "track cannot be recorded here")


# ---- results ---------------------------------------------------------------------

class StrollStarted(NamedTuple):
    stroll: Stroll
    warnings: list[RuleWarning]


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


def _system_clock() -> datetime:
    return datetime.now().astimezone()


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _iso_t(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


# ---- the service ------------------------------------------------------------------

class PatrolService:
    """A device's patrol actions. ``clock`` returns the current time (an aware
    datetime; tests pass a fake). One service per device database."""

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

    # ---- time -------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self.clock()
        return now if now.tzinfo else now.astimezone()

    # ---- the stroll ------------------------------------------------------------------

    def start_stroll(self, neighborhood_id: str, route_id: str | None = None,
                     shift_id: str | None = None, team: Sequence[dict] = (),
                     notes: str = "") -> StrollStarted:
        """Start a stroll for the whole team. Buddy rule: at least 2 people
        (``ValidationError`` on ``team``); no trained lead is a warning."""
        ids = [p.get("member_id") for p in team if isinstance(p, dict) and p.get("member_id")]
        members = {m: self.store.get("member", m) for m in ids}
        team_n, warnings = rules.check_team(list(team), {k: v for k, v in members.items() if v})
        if self.store.get("neighborhood", neighborhood_id) is None:
            raise ValidationError("stroll", "neighborhood_id",
                                  f"unknown neighborhood {neighborhood_id}")
        now = self._now()
        stroll = Stroll(neighborhood_id=neighborhood_id, route_id=route_id, shift_id=shift_id,
                        team=team_n, started_at=_iso(now), status="active", notes=notes)
        with self.store.transaction() as conn:
            running = self.store.local_strolls()
            if running:
                raise StrollAlreadyActive(running[0]["id"])
            self.store.save_in(conn, stroll)
            self.store.put_patrol_state(conn, {"stroll_id": stroll.id,
                                               "started_t": now.timestamp()})
        return StrollStarted(stroll, warnings)

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

    def pause(self, stroll_id: str | None = None) -> Stroll:
        """Stop recording the track (sealing what is buffered); the clock stops."""
        sid = self._stroll_id(stroll_id)
        now_t = self._now().timestamp()
        with self.store.transaction() as conn:
            stroll, st = self._load(sid)
            if stroll["status"] == "ended":
                raise StrollEnded(sid)
            if stroll["status"] == "paused":
                return Stroll(**stroll)
            self._seal_buffer(conn, st)
            self._close_segment(st)
            st["paused_since"] = now_t
            rec = self.store.update_in(conn, "stroll", sid, status="paused",
                                       distance_m=round(st["distance_m"], 1))
            self.store.put_patrol_state(conn, st)
        return rec

    def resume(self, stroll_id: str | None = None) -> Stroll:
        sid = self._stroll_id(stroll_id)
        now_t = self._now().timestamp()
        with self.store.transaction() as conn:
            stroll, st = self._load(sid)
            if stroll["status"] == "ended":
                raise StrollEnded(sid)
            if stroll["status"] == "active":
                return Stroll(**stroll)
            if st["paused_since"] is not None:
                st["paused_s"] += max(0.0, now_t - st["paused_since"])
            st["paused_since"] = None
            rec = self.store.update_in(conn, "stroll", sid, status="active")
            self.store.put_patrol_state(conn, st)
        return rec

    def end_stroll(self, stroll_id: str | None = None) -> dict:
        """End the stroll: seal the track, record distance and end time; returns the
        summary. Ending an ended stroll again just returns its summary."""
        sid = self._stroll_id(stroll_id)
        now = self._now()
        with self.store.transaction() as conn:
            stroll, st = self._load(sid)
            if stroll["status"] != "ended":
                self._seal_buffer(conn, st)
                self._close_segment(st)
                if st["paused_since"] is not None:
                    st["paused_s"] += max(0.0, now.timestamp() - st["paused_since"])
                    st["paused_since"] = None
                st["ended_t"] = now.timestamp()
                self.store.update_in(conn, "stroll", sid, status="ended", ended_at=_iso(now),
                                     distance_m=round(st["distance_m"], 1))
                self.store.put_patrol_state(conn, st)
        return self.summary(sid)

    def live(self, stroll_id: str | None = None) -> dict:
        """What the stroll screen shows live: status, distance, time on patrol."""
        sid = self._stroll_id(stroll_id)
        stroll, st = self._load(sid)
        return {"stroll_id": sid, "status": stroll["status"],
                "distance_m": self._odometer(st).total_m, "duration_s": self._duration(st),
                "points": st["points"], "tallies": stroll["tallies"]}

    def _duration(self, st: dict) -> float:
        end_t = st["ended_t"] if st["ended_t"] is not None else self._now().timestamp()
        return rules.active_seconds(st["started_t"], end_t, st["paused_s"], st["paused_since"])

    def summary(self, stroll_id: str | None = None) -> dict:
        sid = self._stroll_id(stroll_id)
        stroll, st = self._load(sid)
        end_t = st["ended_t"] if st["ended_t"] is not None else self._now().timestamp()
        return {
            "stroll_id": sid,
            "status": stroll["status"],
            "neighborhood_id": stroll["neighborhood_id"],
            "started_at": stroll["started_at"],
            "ended_at": stroll["ended_at"],
            "distance_m": round(self._odometer(st).total_m, 1),
            "duration_s": round(self._duration(st)),
            "elapsed_s": round(max(0.0, end_t - st["started_t"])),
            "check_ins": self.store.stroll_count("check_in", sid),
            "incidents": self.store.stroll_count("incident", sid),
            "tallies": {k: stroll["tallies"].get(k, 0) for k in TALLIES},
            "team": stroll["team"],
            "track_points": st["points"],
            "track_chunks": self.store.stroll_count("track_chunk", sid),
            "outbox_pending": self.store.pending_count(),
        }

    # ---- GPS track ------------------------------------------------------------------

    def add_fixes(self, stroll_id: str, fixes: Iterable[Fix]) -> IngestResult:
        """Record positions from the GPS stream (``Fix`` or ``(lat, lon, t, accuracy)``).
        Nothing is recorded while the stroll is paused or ended (late fixes are
        ignored, not an error). Every kept fix is committed before this returns."""
        fixes = [f if isinstance(f, Fix) else Fix(*f) for f in fixes]
        n = self.chunk_points
        with self.store.transaction() as conn:
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
                    self._save_chunk(conn, st, pending[i:i + n])
                    sealed += 1
                self.store.gps_buffer_clear(conn, stroll_id)
                rest = pending[full:]
            else:
                rest = kept
            self.store.gps_buffer_add(conn, stroll_id, rest)
            tail, anchor = kept[-1], odo.anchor
            st.update(distance_m=odo.metres, points=st["points"] + len(kept),
                      anchor_lat=anchor[0], anchor_lon=anchor[1], last_lat=tail.lat,
                      last_lon=tail.lon, last_t=tail.t, last_accuracy=tail.accuracy)
            self.store.put_patrol_state(conn, st)
            buffered = len(rest) if sealed else buffered + len(kept)
        return IngestResult(len(fixes), len(kept), sealed, buffered, odo.total_m, "active")

    def _save_chunk(self, conn, st: dict, fixes: list[Fix]) -> TrackChunk:
        chunk = TrackChunk(stroll_id=st["stroll_id"], seq=st["next_seq"],
                           points=encode_track(fixes), point_count=len(fixes),
                           started_at=_iso_t(fixes[0].t), ended_at=_iso_t(fixes[-1].t))
        self.store.save_in(conn, chunk)
        st["next_seq"] += 1
        return chunk

    def _seal_buffer(self, conn, st: dict) -> int:
        buf = self.store.gps_buffer(st["stroll_id"])
        if not buf:
            return 0
        self._save_chunk(conn, st, buf)
        self.store.gps_buffer_clear(conn, st["stroll_id"])
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

    # ---- merchants -----------------------------------------------------------------

    def merchants_nearby(self, position: Any = None,
                         neighborhood_id: str | None = None) -> list[dict]:
        """The neighborhood's merchants nearest first (``distance_m``); by name when
        there is no position (location off). Each carries ``last_visit_at`` (None: never
        checked in with)."""
        if neighborhood_id is None:
            running = self.active_stroll()
            neighborhood_id = running.neighborhood_id if running else None
        place = rules.as_latlon(position, "check_in", "position")
        merchants = self.store.merchants(neighborhood_id)
        last = self.store.last_visits(m["id"] for m in merchants)
        for m in merchants:
            m["last_visit_at"] = last.get(m["id"])
        return rules.merchants_by_distance(merchants, place)

    def check_in(self, merchant_id: str, status: str = "all_good", note: str = "",
                 language: str | None = None, position: Any = None) -> CheckIn:
        """Record a visit to a merchant (linked to the running stroll, if any)."""
        if self.store.get("merchant", merchant_id) is None:
            raise RecordNotFound("merchant", merchant_id)
        place = rules.as_latlon(position, "check_in", "position")
        running = self.active_stroll()
        rec = CheckIn(merchant_id=merchant_id, stroll_id=running.id if running else None,
                      status=status, note=note, language=language, at=_iso(self._now()),
                      lat=place[0] if place else None, lon=place[1] if place else None)
        return self.store.save(rec)

    def add_merchant(self, name: str, position: Any, *, neighborhood_id: str | None = None,
                     category: str = "other", address: str = "",
                     languages: Sequence[str] = (), contact_name: str = "",
                     notes: str = "") -> Merchant:
        """Add a merchant met on the street (position: GPS or a point on the map)."""
        place = rules.as_latlon(position, "merchant", "position")
        if place is None:
            raise ValidationError("merchant", "position",
                                  "a merchant needs a position: GPS or a point on the map")
        if neighborhood_id is None:
            running = self.active_stroll()
            if running is None:
                raise ValidationError("merchant", "neighborhood_id", "is required")
            neighborhood_id = running.neighborhood_id
        rec = Merchant(neighborhood_id=neighborhood_id, name=name.strip(), category=category,
                       address=address, lat=place[0], lon=place[1], languages=list(languages),
                       contact_name=contact_name, notes=notes, created_at=_iso(self._now()))
        return self.store.save(rec)

    def merchant_history(self, merchant_id: str) -> list[dict]:
        """The merchant's check-ins, newest first."""
        visits = self.store.merchant_check_ins(merchant_id)
        return sorted(visits, key=lambda v: parse_time(v["at"]), reverse=True)

    # ---- incidents -------------------------------------------------------------------

    def quick_incident(self, harm_types: str | Sequence[str], position: Any = None,
                       actions_taken: str | Sequence[str] = (), note: str = "", *,
                       cross_streets: str = "", precision: str = "block",
                       site_type: str | None = None, occurred_at: str | None = None,
                       time_approximate: bool = False,
                       reported_by: str | None = None) -> Incident:
        """The essentials in seconds: harm type(s), the place (GPS fix, a point on
        the map, or cross streets), time now, what the team did. The note goes to
        the narrative (sensitive). The position is stored at ``precision`` (default
        ``block``: consent for more is asked in the full form), never finer."""
        place = rules.as_latlon(position)
        harms, actions = rules.check_quick_incident(harm_types, place, cross_streets,
                                                    actions_taken)
        rules.check_place_detail(precision, cross_streets)
        if place is not None:
            place = rules.apply_precision(place[0], place[1], precision)
        now = _iso(self._now())
        running = self.active_stroll()
        rec = Incident(stroll_id=running.id if running else None,
                       neighborhood_id=running.neighborhood_id if running else None,
                       occurred_at=occurred_at or now, time_approximate=time_approximate,
                       harm_types=harms, site_type=site_type,
                       lat=place[0] if place else None, lon=place[1] if place else None,
                       location_precision=precision, cross_streets=cross_streets.strip(),
                       actions_taken=actions, narrative=note, quick=True,
                       reported_by=reported_by, reported_at=now)
        return self.store.save(rec)

    def complete_incident(self, incident_id: str, **fields: Any) -> Incident:
        """Fill in or edit the full survivor-centered form. The outbox carries a
        per-field patch. Choosing less location precision coarsens the stored
        position and scrubs it from outbox entries not yet sent; more precision
        needs a new position."""
        if "id" in fields:
            raise ValidationError("incident", "id", "cannot be changed", incident_id)
        with self.store.transaction() as conn:
            current = self.store.get("incident", incident_id)
            if current is None:
                raise RecordNotFound("incident", incident_id)
            changes = dict(fields)
            changes["quick"] = False
            old_prec = current["location_precision"]
            prec = changes.get("location_precision", old_prec)
            new_place = "lat" in changes or "lon" in changes
            if not new_place and rules.is_coarser(old_prec, prec) and current["lat"] is not None:
                raise ValidationError("incident", "location_precision",
                                      "a more precise location needs a new position",
                                      incident_id)
            lat = changes.get("lat", current["lat"])
            lon = changes.get("lon", current["lon"])
            coarsened = False
            if lat is not None and lon is not None:
                place = rules.as_latlon((lat, lon))
                snapped = rules.apply_precision(place[0], place[1], prec)
                if new_place or snapped != (current["lat"], current["lon"]):
                    changes["lat"], changes["lon"] = snapped
                coarsened = rules.is_coarser(prec, old_prec)
            rules.check_place_detail(prec, changes.get("cross_streets", current["cross_streets"]))
            rec = self.store.update_in(conn, "incident", incident_id, **changes)
            if coarsened:
                self.store.redact_pending(conn, "incident", incident_id,
                                          {"lat": rec.lat, "lon": rec.lon})
        return rec

    # ---- tallies -------------------------------------------------------------------

    def tally(self, kind: str, delta: int = 1, stroll_id: str | None = None) -> dict:
        """Count one more greeting, escort, clean-up or referral (``delta=-1`` undoes)."""
        sid = self._stroll_id(stroll_id)
        with self.store.transaction() as conn:
            stroll = self.store.get("stroll", sid)
            if stroll is None:
                raise RecordNotFound("stroll", sid)
            if stroll["status"] == "ended":
                raise StrollEnded(sid)
            tallies = rules.add_tally(stroll["tallies"], kind, delta)
            self.store.update_in(conn, "stroll", sid, tallies=tallies)
        return tallies


__all__ = ["PatrolService", "StrollStarted", "IngestResult", "PatrolError", "NoActiveStroll",
           "StrollAlreadyActive", "StrollEnded", "StrollNotOnThisDevice", "RuleWarning"]
