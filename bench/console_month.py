"""Benchmark: the console's maps, coverage and dashboard for a month of a 30-person
program, served by a real ``stroll-server`` over loopback, on both backends.

For each backend a month is written with ``bench/program_month.py`` (``--points``,
default 1,000,000 GPS points in ~660 strolls, 3,000 check-ins, 300 incidents),
``stroll-server`` starts on a free loopback port, a coordinator signs in, and each page
is fetched ``--runs`` times (after one untimed warm-up) for the whole month and every
neighborhood:

- coverage: its page (figures, tables), which matches every track of the month to the
  planned routes, and its map's document (the frame), which the server answers from
  what the page worked out while no record changed: targets < 3 s and < 5 MB of HTML
  for the two together (issue 13); and the page again once a record has changed (a
  push between two looks: worked out afresh);
- where the teams walked: its page and its map (the newest 100 tracks, simplified);
- the dashboard of the month (counted by the database): target < 1 s;
- in-process, the coverage's parts: reading the month's track chunks, decoding them,
  matching them to the routes' pieces.

A time is from the request to the answer's last byte; the server's resident memory
is sampled during each request (peak over before).

    .venv/bin/python bench/console_month.py                       # both backends
    .venv/bin/python bench/console_month.py --backend sqlite --points 200000

Exit status 1 when coverage or the dashboard misses a target.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from console_pages import sign_in  # noqa: E402
from exports import PeakRss, download  # noqa: E402
from program_month import fill_month, run_each_backend  # noqa: E402
from sync import protocol as p  # noqa: E402
from sync.server import coverage as cov  # noqa: E402
from sync.server import members  # noqa: E402
from sync.server.console.mapdata import MapFilter, Period  # noqa: E402
from sync.server.rules import SERVER  # noqa: E402
from sync.server.storage import open_storage  # noqa: E402
from tests.support import ServerProcess  # noqa: E402

TARGET_S, TARGET_MB = 3.0, 5.0
MONTH = date(2026, 10, 1)
RANGE = "from=2026-10-01&to=2026-10-31&neighborhood="
PAGES = {"coverage page": "/console/coverage", "coverage map": "/console/coverage/frame",
         "walked page": "/console/map", "walked map": "/console/map/frame",
         "dashboard": "/console/dashboard"}
TARGET_DASHBOARD_S = 1.0
ZONE = ZoneInfo("America/Los_Angeles")
TOUCHED = "01890000-0000-7000-8000-00000000b0b0"


def parts(store) -> dict[str, float]:
    """The coverage of the month in-process, timed by part (seconds)."""
    f = MapFilter(MONTH, date(2026, 10, 31))
    period = Period(store, ZONE, f)
    t0 = time.perf_counter()
    strolls = period.strolls()
    chunks = store.track_chunks_of([s["id"] for _w, s in strolls])
    t1 = time.perf_counter()
    tracks = cov.decode_many([c["points"] for c in chunks])
    t2 = time.perf_counter()
    matcher = cov.Matcher(cov.route_segments(period.routes()))
    walked = len(matcher.walked_all(tracks))   # (chunks as tracks: the same work)
    t3 = time.perf_counter()
    return {"read": t1 - t0, "decode": t2 - t1, "match": t3 - t2,
            "points": sum(len(t) for t in tracks), "walks": walked}


def touch(store, n: int) -> None:
    """A record written, as a phone's push would between two looks: the cursor moves
    and the coverage is worked out afresh."""
    now = datetime.now(timezone.utc)
    data = {"id": TOUCHED, "name": "Bench partner", "notes": f"look {n}"}
    store.write_as(SERVER, [p.PushEntry(1, "partner", TOUCHED, "upsert", data,
                                        members.iso(now))], now)


def fetch(http, server, path: str, runs: int, before=None) -> dict:
    link = f"{server.base}{path}?{RANGE}"
    times, peaks, size = [], [], 0
    for k in range(runs):
        if before:
            before(k)
        with PeakRss(server.proc.pid) as mem:
            took, size = download(http, link)
        times.append(took)
        peaks.append((mem.peak - mem.before) / 1024)
    return {"s": times, "bytes": size, "rss_mb": max(peaks)}


def run_backend(url: str, tmp: Path, name: str, points: int, runs: int) -> dict:
    store = open_storage(url, pool_size=2, sqlite_synchronous="NORMAL")
    server = None
    try:
        t0 = time.perf_counter()
        counts = fill_month(store, month_start=MONTH, points=points)
        filled = time.perf_counter() - t0
        _member, invite = members.create_member(
            store, SERVER, {"name": "Bench Coordinator", "role": "coordinator"},
            timedelta(hours=2))
        inproc = [parts(store) for _ in range(runs)]
        print(f"[{name}] month written in {filled:.1f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()), file=sys.stderr,
              flush=True)
        server = ServerProcess(url, tmp / f"{name}.log", timeout=60).start()
        out: dict = {"counts": counts, "fill_s": filled, "pages": {}, "parts": inproc}
        with requests.Session() as http:
            sign_in(http, server.base, invite.code)
            for path in PAGES.values():
                download(http, f"{server.base}{path}?{RANGE}")            # warm-up
            looks = []
            for k in range(runs):   # a look: a record changed, the page, then its map
                touch(store, k)
                page = fetch(http, server, PAGES["coverage page"], 1)
                frame = fetch(http, server, PAGES["coverage map"], 1)
                looks.append((page, frame))
            for label, i in (("coverage page", 0), ("coverage map", 1)):
                out["pages"][label] = {"s": [look[i]["s"][0] for look in looks],
                                       "bytes": looks[0][i]["bytes"],
                                       "rss_mb": max(look[i]["rss_mb"] for look in looks)}
            for label in ("walked page", "walked map", "dashboard"):
                out["pages"][label] = fetch(http, server, PAGES[label], runs)
            for label, f in out["pages"].items():
                print(f"[{name}] {label}: {statistics.median(f['s']):.2f} s, "
                      f"{f['bytes'] / 1e6:.2f} MB", file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.stop()
        store.close()
    return out


def main(argv=None) -> int:
    load_before = os.getloadavg()[0]
    args, results = run_each_backend(__doc__, run_backend, runs_help="timed fetches a page",
                                     argv=argv)

    ok = True
    for backend, res in results.items():
        c = res["counts"]
        print()
        print(f"{backend}: a month of {c['points']:,} GPS points in {c['stroll']:,} strolls "
              f"({c['track_chunk']:,} chunks), {c['check_in']:,} check-ins, "
              f"{c['incident']:,} incidents; {args.runs} timed fetches a page, median (max)")
        head = f"{'page':16}{'seconds':>16}{'MB':>8}{'server RSS +MB':>16}"
        print(head)
        print("-" * len(head))
        for label, f in res["pages"].items():
            print(f"{label:16}{statistics.median(f['s']):>9.2f} ({max(f['s']):.2f})"
                  f"{f['bytes'] / 1e6:>8.2f}{f['rss_mb']:>16.1f}")
        part = {k: statistics.median(r[k] for r in res["parts"]) for k in ("read", "decode",
                                                                            "match")}
        pts = res["parts"][0]["points"]
        print(f"coverage in-process: read chunks {part['read']:.2f} s, decode "
              f"{part['decode']:.2f} s ({pts / part['decode'] / 1e6:.1f} M points/s), "
              f"match {part['match']:.2f} s "
              f"({res['parts'][0]['walks']:,} pieces walked)")
        both_s = sum(statistics.median(res["pages"][k]["s"]) for k in ("coverage page",
                                                                        "coverage map"))
        both_mb = sum(res["pages"][k]["bytes"] for k in ("coverage page",
                                                         "coverage map")) / 1e6
        met = both_s < TARGET_S and both_mb < TARGET_MB
        ok &= met
        print(f"target: coverage (page + map) < {TARGET_S:.0f} s and < {TARGET_MB:.0f} MB: "
              f"{'meets' if met else 'MISSES'} ({both_s:.2f} s, {both_mb:.2f} MB)")
        dash = statistics.median(res["pages"]["dashboard"]["s"])
        ok &= dash < TARGET_DASHBOARD_S
        print(f"target: the dashboard < {TARGET_DASHBOARD_S:.0f} s: "
              f"{'meets' if dash < TARGET_DASHBOARD_S else 'MISSES'} ({dash:.2f} s)")
    print(f"\nload average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs (other work on this machine slows every figure)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
