"""Benchmark: a phone back after 7 days offline in a 30-person program catches up.

The phone holds a week of its own work (about 2,000 records and 200,000 GPS points in
track chunks of ~500 points) to send, and the server holds the same amount from the
rest of the program to receive. Timed: one ``SyncEngine.sync_once()`` (push everything
in batches, pull every page) over loopback against a real server process
(``python -m sync.server.cli``), for each backend. Target: < 5 s, and <= 10 bytes a
GPS point on the wire. Baseline in the same run: writing and reading the same records
in a local SQLite store in-process (the floor any sync adds to).

    .venv/bin/python bench/bench_sync.py                 # both backends
    .venv/bin/python bench/bench_sync.py --backend sqlite --records 2000 --points 200000

PostgreSQL: ``--pg-url`` (default postgresql://postgres@127.0.0.1:5432/test); a fresh
database is created for the run and dropped after. Exit status 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stroll.domain import (CheckIn, FollowUp, Incident, Merchant, Stroll,  # noqa: E402
                           TrackChunk)
from stroll.domain.geo import Fix, encode_track  # noqa: E402
from stroll.store import Store  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from tests.support import ServerProcess  # noqa: E402

from enroll import Enroller  # noqa: E402

from stroll.domain import taxonomy  # noqa: E402

REFERRAL = taxonomy.REFERRAL_NEEDS[1]
TARGET_S = 5.0
TARGET_BYTES_PER_POINT = 10.0


# ---- data ---------------------------------------------------------------------------------


def week_of_work(n_records: int, n_points: int, chunk: int, seed: int) -> list:
    """A realistic week for the program: strolls with GPS tracks, merchant check-ins,
    incidents, follow-ups and a few new merchants. Points are walking fixes (~1.4 m/s,
    a fix every 3-5 s, accuracy 4-20 m) along Chinatown streets."""
    rng = random.Random(seed)
    start = datetime.now().astimezone() - timedelta(days=7)
    n_strolls = max(1, n_records * 3 // 100)
    n_incidents = n_records * 17 // 100
    n_followups = n_records * 7 // 100
    n_merchants = n_records * 3 // 100
    n_checkins = n_records - n_strolls - n_incidents - n_followups - n_merchants
    recs: list = []
    strolls = []
    for i in range(n_strolls):
        t = start + timedelta(hours=i * 168 / n_strolls)
        s = Stroll(neighborhood_id="n-sf-chinatown",
                   team=[{"member_id": None, "name": f"Volunteer {i}-{k}", "lead": k == 0}
                         for k in range(3)],
                   started_at=t.isoformat(timespec="seconds"),
                   ended_at=(t + timedelta(hours=2)).isoformat(timespec="seconds"),
                   status="ended", tallies={"greetings": rng.randint(5, 60)},
                   distance_m=rng.uniform(1500, 4000), notes="quiet evening on Grant Ave")
        strolls.append(s)
        recs.append(s)
    for i in range(n_merchants):
        recs.append(Merchant(neighborhood_id="n-sf-chinatown", name=f"Shop {seed}-{i}",
                             lat=37.794 + rng.random() / 200, lon=-122.407 + rng.random() / 200,
                             languages=["yue", "en"], address=f"{800 + i} Grant Ave"))
    for i in range(n_checkins):
        s = strolls[i % n_strolls]
        recs.append(CheckIn(merchant_id=f"merchant-{i % 120}", stroll_id=s.id,
                            status=rng.choice(["all_good", "all_good", "concern"]),
                            note="owner says the block was calm", language="yue",
                            at=s.started_at, lat=37.7946, lon=-122.4068))
    incidents = []
    for i in range(n_incidents):
        s = strolls[i % n_strolls]
        inc = Incident(stroll_id=s.id, neighborhood_id="n-sf-chinatown",
                       occurred_at=s.started_at, harm_types=["verbal_harassment"],
                       motivations=["race"], site_type="street", lat=37.7946, lon=-122.4068,
                       cross_streets="Grant & Jackson", reporter_role="witness",
                       narrative="A man shouted slurs at an elder waiting for the bus.",
                       narrative_language="en", referral_needs=[REFERRAL])
        incidents.append(inc)
        recs.append(inc)
    for i in range(n_followups):
        recs.append(FollowUp(incident_id=incidents[i % max(1, n_incidents)].id
                             if incidents else "x", status="contacted",
                             notes="called back, wants an escort on Thursdays"))
    n_chunks = max(1, n_points // chunk)
    t = start.timestamp()
    for c in range(n_chunks):
        s = strolls[c % n_strolls]
        lat, lon = 37.7946 + rng.uniform(-0.002, 0.002), -122.4068 + rng.uniform(-0.002, 0.002)
        fixes = []
        for _ in range(chunk):
            t += rng.uniform(3, 5)
            lat += rng.uniform(-3e-5, 3e-5)
            lon += rng.uniform(-3e-5, 3e-5)
            fixes.append(Fix(lat, lon, t, rng.choice([4, 5, 6, 8, 10, 12, 16, 20])))
        recs.append(TrackChunk(stroll_id=s.id, seq=c, points=encode_track(fixes),
                               point_count=chunk,
                               started_at=datetime.fromtimestamp(fixes[0].t).astimezone()
                               .isoformat(timespec="seconds"),
                               ended_at=datetime.fromtimestamp(fixes[-1].t).astimezone()
                               .isoformat(timespec="seconds")))
    return recs


# ---- server -------------------------------------------------------------------------------


def pg_database(admin_url: str):
    import psycopg
    name = "stroll_bench_" + secrets.token_hex(5)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


# ---- the run ------------------------------------------------------------------------------


def engine_for(path: Path, server: ServerProcess, name: str) -> SyncEngine:
    """A device signed in as a coordinator of its own (who receives every record)."""
    store = Store(path)
    engine = SyncEngine(store, SyncClient(server.url, timeout=(5, 120)), device_name=name,
                        push_batch=500, push_batch_bytes=2_000_000, pull_limit=2000)
    enroller = Enroller(server.url, server.database_url)
    try:
        engine.sign_in(enroller.invite("coordinator"))
    finally:
        enroller.close()
    return engine


def run_backend(backend: str, args, tmp: Path) -> dict:
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'server-{backend}.db'}"
    else:
        url, drop = pg_database(args.pg_url)
    server = ServerProcess(url, tmp / f"server-{backend}.log").start()
    try:
        # the phone that goes offline for 7 days: enrolled and in sync before the week
        field = engine_for(tmp / f"field-{backend}.db", server, "field phone")
        field.sync_once()

        # the rest of the program's week reaches the server meanwhile
        others = engine_for(tmp / f"others-{backend}.db", server, "the other 29 phones")
        others.store.save_many(week_of_work(args.records, args.points, args.chunk, seed=2))
        t = time.perf_counter()
        others.sync_once()
        preload = time.perf_counter() - t

        mine = week_of_work(args.records, args.points, args.chunk, seed=1)
        field.store.save_many(mine)
        sent0, recv0 = field.client.bytes_sent, field.client.bytes_received
        t = time.perf_counter()
        pushed = field._push_all()
        t_push = time.perf_counter() - t
        t1 = time.perf_counter()
        pulled = field._pull_all()
        t_pull = time.perf_counter() - t1
        total = time.perf_counter() - t
        sent = field.client.bytes_sent - sent0
        received = field.client.bytes_received - recv0
        assert field.store.pending_count() == 0, "entries left in the outbox"
        assert pushed["applied"] == len(mine), pushed
        n_chunks = sum(1 for r in mine if r.TYPE == "track_chunk")
        assert field.store.count("track_chunk") == 2 * n_chunks

        # bytes a GPS point costs on the wire: a phone that sends only its track chunks
        tracker = engine_for(tmp / f"tracker-{backend}.db", server, "tracker")
        tracker.ensure_enrolled()
        chunks = [r for r in week_of_work(args.records // 10, args.points // 4, args.chunk,
                                          seed=3) if r.TYPE == "track_chunk"]
        tracker.store.save_many(chunks)
        s0 = tracker.client.bytes_sent
        tracker._push_all()
        push_bpp = (tracker.client.bytes_sent - s0) / sum(c.point_count for c in chunks)
        pull_chunks = [c.to_dict() for c in field.client.pull(after=0, limit=5000).changes
                       if c.type == "track_chunk"]
        pull_bpp = (sum(len(json.dumps(c, separators=(",", ":"))) for c in pull_chunks)
                    / sum(c["data"]["point_count"] for c in pull_chunks))
        for e in (others, field, tracker):
            e.store.close()
        return {"backend": backend, "preload_s": preload, "push_s": t_push, "pull_s": t_pull,
                "total_s": total, "sent_entries": len(mine), "received_changes": pulled,
                "bytes_sent": sent, "bytes_received": received,
                "push_bytes_per_point": push_bpp, "pull_bytes_per_point": pull_bpp}
    finally:
        server.stop()
        if drop:
            drop()


def baseline(args, tmp: Path) -> dict:
    recs = week_of_work(args.records, args.points, args.chunk, seed=1)
    store = Store(tmp / "baseline.db")
    t = time.perf_counter()
    store.save_many(recs)
    write = time.perf_counter() - t
    t = time.perf_counter()
    n = sum(len(store.list(rtype)) for rtype in {r.TYPE for r in recs})
    read = time.perf_counter() - t
    store.close()
    assert n == len(recs)
    return {"write_s": write, "read_s": read, "records": len(recs)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--records", type=int, default=2000, help="records (not counting chunks)")
    ap.add_argument("--points", type=int, default=200_000, help="GPS points")
    ap.add_argument("--chunk", type=int, default=500, help="points per track chunk")
    ap.add_argument("--pg-url", default=os.environ.get("STROLL_TEST_PG_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    ok = True
    with tempfile.TemporaryDirectory(prefix="stroll-bench-") as d:
        tmp = Path(d)
        base = baseline(args, tmp)
        n_chunks = args.points // args.chunk
        print(f"week offline: {args.records} records + {args.points:,} GPS points in "
              f"{n_chunks} chunks of {args.chunk} to send, the same to receive")
        print(f"baseline, in-process SQLite store: write {base['records']} records "
              f"{base['write_s']:.2f} s, read them {base['read_s']:.2f} s")
        for backend in backends:
            try:
                r = run_backend(backend, args, tmp)
            except Exception as e:  # noqa: BLE001 - e.g. PostgreSQL not running
                if backend == "postgres" and os.environ.get("CI") != "true":
                    print(f"{backend}: skipped ({type(e).__name__}: {e})")
                    continue
                raise
            bpp = max(r["push_bytes_per_point"], r["pull_bytes_per_point"])
            good = r["total_s"] < TARGET_S and bpp <= TARGET_BYTES_PER_POINT
            ok &= good
            print(f"{backend:>8}: caught up in {r['total_s']:.2f} s "
                  f"(push {r['sent_entries']} entries {r['push_s']:.2f} s, "
                  f"pull {r['received_changes']} changes {r['pull_s']:.2f} s) "
                  f"[{'ok' if good else 'MISSED'} < {TARGET_S:.0f} s]")
            print(f"{'':>8}  wire: {r['bytes_sent'] / 1e6:.2f} MB sent, "
                  f"{r['bytes_received'] / 1e6:.2f} MB received; "
                  f"{r['push_bytes_per_point']:.2f} B/point pushed, "
                  f"{r['pull_bytes_per_point']:.2f} B/point pulled "
                  f"(<= {TARGET_BYTES_PER_POINT:.0f}); server preload {r['preload_s']:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
