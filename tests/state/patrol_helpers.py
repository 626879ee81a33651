"""What the tests of the patrol screens' state share: the demo's people and places, one
fake clock for the wall, monotonic and service time, and the steps many tests take."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from stroll.demo import demo_id
from stroll.domain.geo import distance_m
from stroll.state import AppState, PatrolState
from stroll.store import Store

ROOT = Path(__file__).resolve().parents[2]
EN = json.loads((ROOT / "assets" / "locales" / "en.json").read_text(encoding="utf-8"))

# A Friday afternoon (local time of this machine, as the demo data uses): the demo has
# the "Evening stroll - Stockton St" shift in SF Chinatown at 17:30 today.
START = datetime(2026, 11, 20, 16, 0, 0).astimezone()

SF = demo_id("neighborhood", "sf-chinatown")
OAK = demo_id("neighborhood", "oakland-chinatown")
MEI = demo_id("member", "sf-mei-ling-chan")             # trained lead
WAI = demo_id("member", "sf-wai-keung-lau")             # trained lead
ROSA = demo_id("member", "sf-rosa-delgado")             # not trained to lead
XIAOYAN = demo_id("member", "sf-xiaoyan-zhou")          # trained lead
STOCKTON_LOOP = demo_id("route", "sf-chinatown-stockton-loop")
FRIDAY_SHIFT = demo_id("shift", "sf-fri-evening-stockton:2026-11-20")

# Stockton St, SF Chinatown, Broadway to Sacramento St (real intersections).
STOCKTON = [(37.797628, -122.408619), (37.796704, -122.408431), (37.795824, -122.408253),
            (37.794941, -122.408079), (37.79406, -122.407903), (37.793178, -122.407727)]


class Clock:
    """The service's clock (aware datetime), the monotonic clock and the wall clock,
    moving together."""

    def __init__(self, start: datetime):
        self.dt = start
        self.mono = 10_000.0

    def now(self) -> datetime:
        return self.dt

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.dt.timestamp()

    def advance(self, seconds: float) -> None:
        self.dt += timedelta(seconds=seconds)
        self.mono += seconds


def new_patrol(svc, clock) -> PatrolState:
    return PatrolState(svc, now=clock.now, monotonic=clock.monotonic, wall=clock.wall)


def new_app(store, svc, clock) -> AppState:
    app = AppState(store, now=clock.now, patrol=svc)
    app.patrol = new_patrol(svc, clock)   # the same state, with the test's clocks
    return app


def outbox(store, record_type=None, op=None):
    return [e for e in store.outbox_entries(limit=100_000)
            if (record_type is None or e["record_type"] == record_type)
            and (op is None or e["op"] == op)]


def payload(entry) -> dict:
    p = entry["payload"]
    return json.loads(p) if isinstance(p, str) else p


def walk(ps, clock, fixes):
    """The GPS stream: each fix arrives when it was taken."""
    prev = fixes[0].t
    for f in fixes:
        clock.advance(f.t - prev)
        prev = f.t
        ps.walk.on_position(f.lat, f.lon, f.t, f.accuracy)


def geodesic_length(path) -> float:
    return sum(distance_m(a, b) for a, b in zip(path, path[1:]))


def begin_in_app(app):
    app.open_new_stroll()
    assert app.screens == ("new_stroll",)
    app.choose_new_stroll_neighborhood(SF)
    app.patrol.start.toggle_member(MEI)
    app.patrol.start.toggle_member(ROSA)
    app.begin_stroll()
    assert app.screens == ("live",), app.patrol.start.start_error


def _hold_write_lock(store: Store):
    """Another connection takes the database's write lock; the store gives up waiting
    after 50 ms (a real SQLITE_BUSY, as when the disk is busy or the file locked)."""
    store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(str(store.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


class Locked:
    """The database's write lock held by another connection for the block."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        self.other = _hold_write_lock(self.store)
        return self

    def __exit__(self, *exc):
        self.other.rollback()
        self.other.close()


def quick_incident(running) -> str:
    running.report.open_quick_incident()
    running.report.toggle_quick_harm("verbal_harassment")
    running.report.toggle_quick_action("checked_on_person")
    running.report.edit_quick("note", "  Man shouting at an elder at the bus stop ")
    iid = running.report.save_quick_incident()
    assert iid, running.report.quick_errors
    return iid

