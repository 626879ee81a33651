"""Opening a past stroll with a 5,000-point track, without the browser: from the open
action (``AppState.open_past_stroll``, what a tap on a recent stroll calls) to the state
ready to draw — the stroll and its numbers read, the track's chunks read, decoded and
simplified for the map, its check-ins (with merchant names) and incidents (with whether
their details are complete) — on a fresh store connection each run, so SQLite's page
cache starts empty (the operating system's file cache is warm). Target: < 300 ms.

    .venv/bin/python bench/history.py [--points 5000] [--runs 30] [--dir DIR]

The time from a tap to the map drawn in Chromium is bench/history_browser.py.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stroll.demo import seed  # noqa: E402
from stroll.state import AppState  # noqa: E402
from stroll.state.history import display_path  # noqa: E402
from stroll.store import Store  # noqa: E402
from tests.support.strolls import walk_and_end  # noqa: E402

TARGET_MS = 300.0


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def line(name: str, seconds: list[float]) -> str:
    ms = [v * 1e3 for v in seconds]
    return (f"{name:<44} p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms  "
            f"max {max(ms):7.1f} ms  (n={len(ms)})")


def prepare(folder: Path, points: int) -> tuple[Path, str]:
    db = folder / "device.db"
    with Store(db) as store:
        seed(store, datetime.now().date())
        walked = walk_and_end(store, points=points, grid=True)
    print(f"a stroll of {walked.points:,} recorded GPS points on the street grid "
          f"(sealed in track chunks), 1 check-in, 1 incident; the demo's other strolls beside")
    return db, walked.stroll_id


def measure(db: Path, stroll_id: str, runs: int) -> None:
    opened, track, parts = [], [], []
    drawn = 0
    for _ in range(runs):
        with Store(db) as store:
            app = AppState(store)
            app.load()                           # the Patrol tab as the tap finds it
            t0 = time.perf_counter()
            app.open_past_stroll(stroll_id)      # the tap's action
            opened.append(time.perf_counter() - t0)
            assert app.screens == ("past_stroll",) and app.history.path, app.history.error
            drawn = len(app.history.path)
        with Store(db) as store:                 # the track alone: read, decode, simplify
            t0 = time.perf_counter()
            chunks, buf = store.track_parts(stroll_id)
            t1 = time.perf_counter()
            display_path(chunks, buf)
            t2 = time.perf_counter()
            parts.append(t1 - t0)
            track.append(t2 - t1)
    print(line("open action -> state ready to draw", opened))
    print(line("  of which: track chunks read (SQLite)", parts))
    print(line("  of which: track decoded + simplified", track))
    print(f"points drawn on the map: {drawn:,}; mean open {statistics.mean(opened) * 1e3:.1f} ms")
    p95 = pct(opened, 95) * 1e3
    verdict = "meets" if p95 < TARGET_MS else "MISSES"
    print(f"target < {TARGET_MS:.0f} ms: p95 {p95:.1f} ms {verdict} it")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--dir", type=Path, default=None, help="where the database goes")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        db, stroll_id = prepare(Path(tmp), args.points)
        measure(db, stroll_id, args.runs)


if __name__ == "__main__":
    main()
