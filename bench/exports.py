"""Benchmark: the console's exports of a month, served by a real ``stroll-server`` over
loopback, on both backends.

For each backend a month of a 30-person program is written with
``bench/program_month.py`` (``--points``, default 1,000,000 GPS points in ~660 strolls,
3,000 check-ins, 300 incidents), ``stroll-server`` starts on a free loopback port, a
coordinator redeems an invite at ``/console/redeem`` and downloads, one at a time and
``--runs`` times each (after one untimed warm-up), the month's files:

- the walked tracks as GPX (target: < 5 s for the month, issue 13);
- the map file (GeoJSON: routes, tracks, check-ins, incidents);
- the spreadsheets: strolls, check-ins, incidents, volunteer hours.

A file's time is from the request to its last byte (the client reads the stream as it
comes); its size in MB; points a second for the track files; and the server process's
peak memory during the download over its memory before it (resident set, sampled every
10 ms from /proc): the file is streamed, so it should not grow with the month.

    .venv/bin/python bench/exports.py                       # both backends
    .venv/bin/python bench/exports.py --backend sqlite --points 200000

Exit status 1 when the GPX of the month misses its target.
PostgreSQL: ``--pg-url`` (default postgresql://postgres@127.0.0.1:5432/test); the run
uses a fresh schema, dropped after.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from console_pages import sign_in  # noqa: E402
from program_month import fill_month, run_each_backend  # noqa: E402
from sync.server import members  # noqa: E402
from sync.server.rules import SERVER  # noqa: E402
from sync.server.storage import open_storage  # noqa: E402
from tests.support import ServerProcess  # noqa: E402

TARGET_GPX_S = 5.0
MONTH = date(2026, 10, 1)
RANGE = "from=2026-10-01&to=2026-10-31"
FILES = ("gpx", "geojson", "strolls", "check_ins", "incidents", "hours")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakRss:
    """The highest resident set of process ``pid`` while the block runs (10 ms samples)."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.before = pid, 0, 0
        self._stop = threading.Event()

    def __enter__(self):
        self.before = self.peak = rss_kb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.01)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kb(self.pid))


def download(http: requests.Session, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    size = 0
    with http.get(url, stream=True, timeout=300, allow_redirects=False) as r:
        if r.status_code != 200:
            raise SystemExit(f"GET {url}: {r.status_code} {r.text[:300]}")
        for piece in r.iter_content(chunk_size=1 << 16):
            size += len(piece)
    return time.perf_counter() - t0, size


def run_backend(url: str, tmp: Path, name: str, points: int, runs: int) -> dict:
    store = open_storage(url, pool_size=2, sqlite_synchronous="NORMAL")
    try:
        t0 = time.perf_counter()
        counts = fill_month(store, month_start=MONTH, points=points)
        filled = time.perf_counter() - t0
        _member, invite = members.create_member(
            store, SERVER, {"name": "Bench Coordinator", "role": "coordinator"},
            timedelta(hours=2))
    finally:
        store.close()
    print(f"[{name}] month written in {filled:.1f} s: "
          + ", ".join(f"{v:,} {k}" for k, v in counts.items()), file=sys.stderr, flush=True)
    server = ServerProcess(url, tmp / f"{name}.log", timeout=60).start()
    out: dict = {"counts": counts, "fill_s": filled, "files": {}}
    try:
        with requests.Session() as http:
            sign_in(http, server.base, invite.code)
            for what in FILES:
                link = f"{server.base}/console/exports/file?what={what}&{RANGE}"
                download(http, link)                               # warm-up
                times, peaks, size = [], [], 0
                for _ in range(runs):
                    with PeakRss(server.proc.pid) as mem:
                        took, size = download(http, link)
                    times.append(took)
                    peaks.append((mem.peak - mem.before) / 1024)
                out["files"][what] = {"s": times, "bytes": size, "rss_mb": max(peaks),
                                      "rss_before_mb": mem.before / 1024}
                print(f"[{name}] {what}: {statistics.median(times):.2f} s, "
                      f"{size / 1e6:.1f} MB", file=sys.stderr, flush=True)
    finally:
        server.stop()
    return out


def main(argv=None) -> int:
    load_before = os.getloadavg()[0]
    args, results = run_each_backend(__doc__, run_backend, runs_help="timed downloads a file",
                                     argv=argv)

    ok = True
    for backend, res in results.items():
        c = res["counts"]
        print()
        print(f"{backend}: a month of {c['points']:,} GPS points in {c['stroll']:,} strolls "
              f"({c['track_chunk']:,} chunks), {c['check_in']:,} check-ins, "
              f"{c['incident']:,} incidents; written in {res['fill_s']:.1f} s; "
              f"{args.runs} timed downloads a file, median (max)")
        head = f"{'file':12}{'seconds':>16}{'MB':>9}{'MB/s':>8}{'points/s':>12}{'server RSS +MB':>16}"
        print(head)
        print("-" * len(head))
        for what, f in res["files"].items():
            med = statistics.median(f["s"])
            mb = f["bytes"] / 1e6
            pts = f"{c['points'] / med:,.0f}" if what in ("gpx", "geojson") else ""
            print(f"{what:12}{med:>9.2f} ({max(f['s']):.2f}){mb:>9.2f}{mb / med:>8.1f}"
                  f"{pts:>12}{f['rss_mb']:>16.1f}")
        gpx = statistics.median(res["files"]["gpx"]["s"])
        met = gpx < TARGET_GPX_S
        ok &= met
        print(f"target: the month's GPX < {TARGET_GPX_S:.0f} s: "
              f"{'meets' if met else 'MISSES'} ({gpx:.2f} s); server RSS before the "
              f"downloads {res['files']['gpx']['rss_before_mb']:.0f} MB")
    print(f"\nload average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs (other work on this machine slows every figure)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
