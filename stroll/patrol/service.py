"""The stroll itself: start (buddy rule), pause, resume, end, what the stroll
screen shows live, the end summary, tallies."""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

from stroll.domain import Stroll, ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain.patrol_rules import RuleWarning
from stroll.domain.taxonomy import TALLIES
from stroll.patrol.base import StrollAlreadyActive, StrollEnded, _iso
from stroll.patrol.street import StreetRecords
from stroll.patrol.track import TrackRecorder
from stroll.store import RecordNotFound, Transaction


class StrollStarted(NamedTuple):
    stroll: Stroll
    warnings: list[RuleWarning]


class PatrolService(TrackRecorder, StreetRecords):
    """A device's patrol actions. ``clock`` returns the current time (an aware
    datetime; tests pass a fake). One service per device database."""

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
        with self.store.transaction() as tx:
            running = self.store.local_strolls()
            if running:
                raise StrollAlreadyActive(running[0]["id"])
            tx.save(stroll)
            tx.put_patrol_state({"stroll_id": stroll.id, "started_t": now.timestamp()})
        return StrollStarted(stroll, warnings)

    def pause(self, stroll_id: str | None = None) -> Stroll:
        """Stop recording the track (sealing what is buffered); the clock stops."""
        return self._switch(stroll_id, "paused", self._pausing)

    def resume(self, stroll_id: str | None = None) -> Stroll:
        return self._switch(stroll_id, "active", self._resuming)

    def _switch(self, stroll_id: str | None, status: str,
                change: Callable[[Transaction, dict, float], dict]) -> Stroll:
        """Move the stroll to ``status`` (paused or active), ``change`` updating its
        patrol state and saying what else the stroll record gets; nothing happens if
        it is there already. An ended stroll stays ended."""
        sid = self._stroll_id(stroll_id)
        now_t = self._now().timestamp()
        with self.store.transaction() as tx:
            stroll, st = self._load(sid)
            if stroll["status"] == "ended":
                raise StrollEnded(sid)
            if stroll["status"] == status:
                return Stroll(**stroll)
            fields = change(tx, st, now_t)
            rec = tx.update("stroll", sid, status=status, **fields)
            tx.put_patrol_state(st)
        return rec

    def _pausing(self, tx: Transaction, st: dict, now_t: float) -> dict:
        self._seal_buffer(tx, st)
        self._close_segment(st)
        st["paused_since"] = now_t
        return {"distance_m": round(st["distance_m"], 1)}

    @staticmethod
    def _resuming(tx: Transaction, st: dict, now_t: float) -> dict:
        if st["paused_since"] is not None:
            st["paused_s"] += max(0.0, now_t - st["paused_since"])
        st["paused_since"] = None
        return {}

    def end_stroll(self, stroll_id: str | None = None) -> dict:
        """End the stroll: seal the track, record distance and end time; returns the
        summary. Ending an ended stroll again just returns its summary."""
        sid = self._stroll_id(stroll_id)
        now = self._now()
        with self.store.transaction() as tx:
            stroll, st = self._load(sid)
            if stroll["status"] != "ended":
                self._seal_buffer(tx, st)
                self._close_segment(st)
                self._resuming(tx, st, now.timestamp())
                st["ended_t"] = now.timestamp()
                tx.update("stroll", sid, status="ended", ended_at=_iso(now),
                          distance_m=round(st["distance_m"], 1))
                tx.put_patrol_state(st)
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

    # ---- tallies -------------------------------------------------------------------

    def tally(self, kind: str, delta: int = 1, stroll_id: str | None = None) -> dict:
        """Count one more greeting, escort, clean-up or referral (``delta=-1`` undoes)."""
        sid = self._stroll_id(stroll_id)
        with self.store.transaction() as tx:
            stroll = self.store.get("stroll", sid)
            if stroll is None:
                raise RecordNotFound("stroll", sid)
            if stroll["status"] == "ended":
                raise StrollEnded(sid)
            tallies = rules.add_tally(stroll["tallies"], kind, delta)
            tx.update("stroll", sid, tallies=tallies)
        return tallies

