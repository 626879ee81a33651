"""Kill the app mid-stroll (SIGKILL, a real process) and start it again: the stroll is
still running, its track intact, nothing it reported as recorded is lost."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stroll.domain import Neighborhood
from stroll.domain.geo import Odometer, distance_m, filter_jitter, walk_fixes
from stroll.patrol import PatrolService
from stroll.store import Store

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 20
# Stockton St loop, SF Chinatown (real intersections)
LOOP = [(37.797822, -122.407016), (37.797628, -122.408619), (37.796704, -122.408431),
        (37.795824, -122.408253), (37.794941, -122.408079), (37.79406, -122.407903),
        (37.793178, -122.407727), (37.793315, -122.406643), (37.79338, -122.406129),
        (37.794264, -122.406305), (37.795144, -122.406476), (37.796025, -122.406652),
        (37.797469, -122.406945), (37.797822, -122.407016)]
WALK = dict(step_m=3.0, noise_m=0.8, seed=42)

# The app's patrol loop: ingest the GPS stream one fix at a time, each committed, and
# report on stdout (flushed) only after add_fixes has returned.
CHILD = textwrap.dedent("""
    import json, sys
    from stroll.domain.geo import walk_fixes
    from stroll.patrol import PatrolService
    from stroll.store import Store
    db, start, hood_id, path, walk, chunk = sys.argv[1:7]
    svc = PatrolService(Store(db), chunk_points=int(chunk))
    fixes = walk_fixes([tuple(p) for p in json.loads(path)], **json.loads(walk))
    running = svc.active_stroll()
    if running is None:
        running = svc.start_stroll(hood_id, team=[{"name": "Mei"}, {"name": "Rosa"}]).stroll
    print("stroll", running.id, flush=True)
    for i in range(int(start), len(fixes)):
        r = svc.add_fixes(running.id, [fixes[i]])
        print("fix", i, r.kept, flush=True)
    print("done", flush=True)
    import time
    time.sleep(600)
""")


def run_until_killed(db: Path, start: int, hood_id: str, reports: int) -> tuple[str, list]:
    """Run the child from fix ``start``; SIGKILL it once it reported ``reports`` fixes.
    Returns the stroll id and the (index, kept) pairs it reported."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(start), hood_id, json.dumps(LOOP),
         json.dumps(WALK), str(CHUNK)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    stroll_id, reported = None, []

    def take(line: str) -> list[str]:
        # a line torn by the kill (no newline yet) was not reported
        parts = line.split() if line.endswith("\n") else []
        if len(parts) == 3 and parts[0] == "fix":
            reported.append((int(parts[1]), int(parts[2])))
        return parts

    deadline = time.time() + 90
    try:
        while len(reported) < reports and time.time() < deadline:
            line = proc.stdout.readline()
            parts = take(line)
            if not line or parts[:1] == ["done"]:
                break
            if parts[:1] == ["stroll"]:
                stroll_id = parts[1]
    finally:
        os.kill(proc.pid, signal.SIGKILL)              # mid-walk, maybe mid-transaction
        proc.wait()
    # lines already written before the kill count as reported too
    for line in proc.stdout.read().splitlines(keepends=True):
        take(line)
    assert proc.returncode == -signal.SIGKILL
    assert len(reported) >= reports, proc.stderr.read()[-2000:]
    return stroll_id, reported


def assert_intact(db: Path, stroll_id: str, fixes: list, reported_kept: list[int],
                  next_index: int) -> PatrolService:
    """The store after a kill: healthy, the stroll still running, every reported fix
    present (at most the one being written during the kill more: it joins
    ``reported_kept``), outbox consistent."""
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = Store(db)
    svc = PatrolService(store, chunk_points=CHUNK)
    running = svc.active_stroll()
    assert running is not None and running.id == stroll_id and running.status == "active"

    track = svc.track(stroll_id)
    times = [f.t for f in track]
    assert times == sorted(set(times)), "a fix is duplicated or out of order"
    want = [fixes[i] for i in reported_kept]
    extra = len(track) - len(want)
    assert extra in (0, 1), f"{extra} fixes more than reported"
    if extra:      # committed, killed before it could print: must be the next fix
        assert abs(track[-1].t - fixes[next_index].t) <= 0.5
        reported_kept.append(next_index)        # the next run starts there: it is a duplicate
    for got, w in zip(track, want):
        assert abs(got.t - w.t) <= 0.5
        assert abs(got.lat - w.lat) <= 0.6e-5 and abs(got.lon - w.lon) <= 0.6e-5

    chunks = store.track_chunks(stroll_id)
    state = store.patrol_state(stroll_id)
    assert [c["seq"] for c in chunks] == list(range(len(chunks)))
    assert state["next_seq"] == len(chunks)
    assert len(store.gps_buffer(stroll_id)) < CHUNK
    assert sum(c["point_count"] for c in chunks) + len(store.gps_buffer(stroll_id)) \
        == state["points"] == len(track)

    entries = store.outbox_entries(limit=1_000_000)
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    chunk_entries = [e for e in entries if e["record_type"] == "track_chunk"]
    assert [e["record_id"] for e in chunk_entries] == [c["id"] for c in chunks]
    assert all(e["payload"]["points"] == c["points"] for e, c in zip(chunk_entries, chunks))
    assert [e["record_id"] for e in entries if e["record_type"] == "stroll"][:1] == [stroll_id]
    assert {e["record_type"] for e in entries} <= {"stroll", "track_chunk"}

    # the live distance is the odometer over the stored track
    odo = Odometer()
    odo.add(track)
    assert svc.live()["distance_m"] == pytest.approx(odo.total_m, rel=0.01, abs=1.0)
    return svc


def test_a_stroll_killed_twice_mid_walk_resumes_with_its_track_intact(tmp_path):
    db = tmp_path / "phone.db"
    with Store(db) as store:
        hood = store.save(Neighborhood(name="SF Chinatown", center_lat=37.7945,
                                       center_lon=-122.4065), outbox=False)
    fixes = walk_fixes(LOOP, **WALK)
    assert len(fixes) > 400

    # first run: start the stroll and walk; killed after 150 reported fixes
    stroll_id, first = run_until_killed(db, 0, hood.id, 150)
    kept = [i for i, k in first if k]
    svc = assert_intact(db, stroll_id, fixes, kept, first[-1][0] + 1)
    assert svc.store.count("track_chunk") >= 4                     # several chunks sealed
    svc.store.close()

    # second run: the app starts again, finds the running stroll and walks on
    again, second = run_until_killed(db, first[-1][0] + 1, hood.id, 120)
    assert again == stroll_id
    kept += [i for i, k in second if k]
    svc = assert_intact(db, stroll_id, fixes, kept, second[-1][0] + 1)

    # third start, in this process: walk to the end of the loop and end the stroll
    svc.add_fixes(stroll_id, fixes[second[-1][0] + 1:])
    summary = svc.end_stroll()
    # the whole track is what one uninterrupted walk would have kept
    whole = filter_jitter(fixes)
    track = svc.track(stroll_id)
    assert len(track) == len(whole) == summary["track_points"]
    assert all(abs(a.t - b.t) <= 0.5 and abs(a.lat - b.lat) <= 0.6e-5
               for a, b in zip(track, whole))
    route = sum(distance_m(a, b) for a, b in zip(LOOP, LOOP[1:]))
    assert summary["distance_m"] == pytest.approx(route, rel=0.03)
    assert svc.active_stroll() is None and svc.store.gps_buffer(stroll_id) == []
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    svc.store.close()
