"""Benchmark: the coordinators' console pages, served by a real ``stroll-server``
over loopback, on both backends, for a program of the size the console is for.

For each backend a program is written through ``storage.write_as`` (the server's own
rules, merge and cursor, as ``stroll-server admin`` writes): 3 neighborhoods, 10 routes
(60 points each), 30 members, 300 merchants and 500 shifts (weekly over the coming
months, a few already past), with sign-ups on the first 150 shifts (some full, some
with a waitlist). Then ``stroll-server`` starts on a free loopback port, a coordinator
redeems an invite at ``/console/redeem`` (sign-in name and password, as a person does)
and, with the session cookie, each page is requested ``--warmup`` times, then timed
``--runs`` times, one at a time:

- home, the five lists (neighborhoods, routes, merchants, members, and this week of
  shifts: every shift is read to find the week's, with its staffing), a
  merchant's and a shift's edit forms, the new-shift form;
- a POST of a new merchant (the 303 answer alone; the list it leads to is timed above).
  These posts come last, so the lists are timed at the program's size.

A page's time is the request's wall time on loopback (client and server on this
machine; the client's share is the same for ``GET /health``). Baseline in the same run:
``GET /health``, the server's floor. Each figure is p50 / p95 / max in milliseconds,
and the CPU time the server process spent a request (user + system, over the timed
requests; PostgreSQL's own work not included): on a busy machine the wall times wait
for a core, the CPU time says what the page itself costs.

    .venv/bin/python bench/console_pages.py                  # both backends
    .venv/bin/python bench/console_pages.py --backend sqlite --runs 100

Target (issue 11): every page's p95 < 100 ms on each backend. Exit status 1 if one is
missed. PostgreSQL: ``--pg-url`` (default postgresql://postgres@127.0.0.1:5432/test);
the run uses a fresh schema, dropped after.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stroll.domain import new_id  # noqa: E402
from sync import protocol as p  # noqa: E402
from sync.server import members  # noqa: E402
from sync.server.rules import SERVER  # noqa: E402
from sync.server.storage import open_storage  # noqa: E402
from tests.support import ServerProcess  # noqa: E402

TARGET_P95_MS = 100
HOODS = 3
ROUTES = 10
MEMBERS = 30
MERCHANTS = 300
SHIFTS = 500
SIGNED_UP_SHIFTS = 150
PASSWORD = "bench-password-long-enough"
LANGS = ["en", "yue", "zh-Hant", "cmn", "vi", "es", "tl", "ko", "km"]

# ---- the program --------------------------------------------------------------------------


def _bbox(i: int) -> list[list[float]]:
    south, west = 37.79 - i * 0.05, -122.41 + i * 0.05
    return [[south, west], [south + 0.01, west + 0.01]]


def program(now: datetime) -> list[tuple[str, dict]]:
    """The records of a program, in an order the write rules accept (what a record
    refers to is written before it)."""
    out: list[tuple[str, dict]] = []
    hoods = []
    for i in range(HOODS):
        (s, w), (n, e) = _bbox(i)
        hood = {"id": new_id(), "name": f"Neighborhood {i + 1}", "city": "San Francisco",
                "center_lat": round((s + n) / 2, 6), "center_lon": round((w + e) / 2, 6),
                "bbox": [[s, w], [n, e]],
                "names": {"zh-Hant": f"街區{i + 1}", "zh-Hans": f"街区{i + 1}",
                          "vi": f"Khu phố {i + 1}"}}
        hoods.append(hood)
        out.append(("neighborhood", hood))
    routes = []
    for i in range(ROUTES):
        hood = hoods[i % HOODS]
        lat, lon = hood["center_lat"], hood["center_lon"]
        route = {"id": new_id(), "neighborhood_id": hood["id"], "name": f"Loop {i + 1}",
                 "description": "Along the main street and back by the square.",
                 "path": [[round(lat + k * 1e-4, 6), round(lon + (k % 7) * 1e-4, 6)]
                          for k in range(60)],
                 "names": {"zh-Hant": f"巡邏路線{i + 1}"}}
        routes.append(route)
        out.append(("route", route))
    people = []
    for i in range(MEMBERS - 1):  # the coordinator who signs in is the 30th
        person = {"id": new_id(), "name": f"Member {i + 1:02d}",
                  "role": ("ambassador", "volunteer", "volunteer")[i % 3],
                  "neighborhood_id": hoods[i % HOODS]["id"],
                  "languages": list(dict.fromkeys([LANGS[i % len(LANGS)], "en"][: 1 + i % 2])),
                  "trained_lead": i % 4 == 0}
        people.append(person)
        out.append(("member", person))
    for i in range(MERCHANTS):
        hood = hoods[i % HOODS]
        out.append(("merchant", {
            "id": new_id(), "neighborhood_id": hood["id"], "name": f"Business {i + 1:03d}",
            "category": "shop", "address": f"{100 + i} Grant Ave",
            "lat": round(hood["center_lat"] + (i % 50) * 1e-4, 6),
            "lon": round(hood["center_lon"] + (i % 30) * 1e-4, 6),
            "languages": [LANGS[i % len(LANGS)], LANGS[(i + 3) % len(LANGS)]],
            "contact_name": "Owner", "notes": "Open late on weekends.",
            "created_at": members.iso(now), "names": {"zh-Hant": f"商店{i + 1}"}}))
    shifts = []
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    for i in range(SHIFTS):
        hood = hoods[i % HOODS]
        starts = first + timedelta(hours=7 * i)  # ~3 a day over ~5 months
        shift = {"id": new_id(), "neighborhood_id": hood["id"],
                 "route_id": routes[i % ROUTES]["id"], "title": f"Evening stroll {i + 1}",
                 "starts_at": starts.isoformat(timespec="minutes"),
                 "ends_at": (starts + timedelta(hours=2)).isoformat(timespec="minutes"),
                 "capacity": 4, "needs_lead": True, "meeting_point": "The square",
                 "names": {"zh-Hant": f"晚間巡邏{i + 1}"}}
        shifts.append(shift)
        out.append(("shift", shift))
    for i, shift in enumerate(s for s in shifts[:SIGNED_UP_SHIFTS + 20]
                              if datetime.fromisoformat(s["ends_at"]) > now):
        if i >= SIGNED_UP_SHIFTS:
            break
        for k in range(1 + i % 6):  # 1..6 people: some shifts full, some with a waitlist
            out.append(("signup", {"id": new_id(), "shift_id": shift["id"],
                                   "member_id": people[(i + k) % len(people)]["id"],
                                   "status": "requested",
                                   "requested_at": members.iso(now)}))
    return out


def write_program(url: str) -> tuple[dict, str, int]:
    """Write the program on the database at ``url``; the coordinator member, an invite
    code for them, and how many records were written."""
    now = datetime.now(timezone.utc)
    store = open_storage(url, pool_size=1)
    try:
        records = program(now)
        # each entry of a write its own seq: a write's results (and the records it
        # prepares) are keyed by seq, as a device's push is
        entries = [p.PushEntry(i + 1, rtype, data["id"], "upsert", data, members.iso(now))
                   for i, (rtype, data) in enumerate(records)]
        for start in range(0, len(entries), 500):
            for result in store.write_as(SERVER, entries[start:start + 500], now):
                if result.status != "applied":
                    raise SystemExit(f"writing the program failed: {result}")
        coordinator, invite = members.create_member(
            store, SERVER, {"name": "Bench Coordinator", "role": "coordinator",
                            "languages": ["en", "yue"]}, timedelta(hours=2), now)
        return coordinator, invite.code, len(entries) + 1
    finally:
        store.close()


# ---- the console ---------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    if not m:
        raise SystemExit("no CSRF token on the page")
    return m.group(1)


def sign_in(http: requests.Session, base: str, code: str) -> None:
    """Redeem the invite as a coordinator does: the page, then its form."""
    r = http.get(f"{base}/console/redeem?code={code}", timeout=30)
    r.raise_for_status()
    r = http.post(f"{base}/console/redeem", data={
        "csrf": csrf_of(r.text), "code": code, "login": "bench-coordinator",
        "password": PASSWORD, "password_again": PASSWORD}, allow_redirects=False, timeout=30)
    if r.status_code != 303 or "stroll_console" not in http.cookies:
        raise SystemExit(f"redeeming the invite failed: {r.status_code} {r.text[:300]}")


def ids_on(html: str, kind: str) -> list[str]:
    return re.findall(rf'href="/console/{kind}/([0-9a-f-]{{36}})"', html)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process ``pid`` used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn, warmup: int, runs: int, pid: int) -> tuple[list[float], float]:
    """Each timed request's wall time (ms), and the server's CPU ms a request."""
    for _ in range(warmup):
        fn()
    out = []
    cpu0 = cpu_seconds(pid)
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, (cpu_seconds(pid) - cpu0) * 1000 / runs


def summary(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": statistics.median(ms), "p95": q[94], "max": max(ms)}


def bench_console(base: str, pid: int, code: str, hood_id: str, warmup: int, runs: int
                  ) -> tuple[dict[str, tuple[list[float], float]], dict[str, int]]:
    """Each page's times (ms) and server CPU ms a request, and the rows each list
    showed. ``pid``: the server's process."""
    times: dict[str, tuple[list[float], float]] = {}
    rows: dict[str, int] = {}
    with requests.Session() as http:
        sign_in(http, base, code)

        def get(path: str, expect: int = 200):
            def run():
                r = http.get(base + path, allow_redirects=False, timeout=30)
                if r.status_code != expect:
                    raise SystemExit(f"GET {path}: {r.status_code} {r.text[:300]}")
                return r
            return run

        times["GET /health (floor)"] = timed(get("/health"), warmup, runs, pid)
        times["home"] = timed(get("/console"), warmup, runs, pid)
        for kind in ("neighborhoods", "routes", "merchants", "members", "shifts"):
            html = get(f"/console/{kind}")().text
            # a list's rows; the shifts page is the week: its shift cards
            rows[kind] = html.count('<tr id="row-') + html.count('<a class="shift')
            times[f"list: {kind}"] = timed(get(f"/console/{kind}"), warmup, runs, pid)
        merchants = ids_on(get("/console/merchants")().text, "merchants")
        merchant = merchants[len(merchants) // 2]
        times["edit form: a merchant"] = timed(get(f"/console/merchants/{merchant}"),
                                               warmup, runs, pid)
        shift = ids_on(get("/console/shifts")().text, "shifts")[0]
        times["edit form: a shift"] = timed(get(f"/console/shifts/{shift}"), warmup, runs,
                                            pid)
        times["new form: a shift"] = timed(get("/console/shifts/new"), warmup, runs, pid)
        csrf = csrf_of(get("/console/merchants/new")().text)
        count = [0]

        def post():
            count[0] += 1
            r = http.post(base + "/console/merchants/new", data={
                "csrf": csrf, "name": f"New business {count[0]}",
                "names.zh-Hant": f"新商店{count[0]}", "neighborhood_id": hood_id,
                "address": "1 Stockton St", "lat": "37.7941", "lon": "-122.4078",
                "languages": ["yue", "en"], "contact_name": "Owner", "notes": ""},
                allow_redirects=False, timeout=30)
            if r.status_code != 303:
                raise SystemExit(f"POST a merchant: {r.status_code} {r.text[:300]}")
        times["POST a new merchant"] = timed(post, warmup, runs, pid)
    return times, rows


# ---- main ------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--runs", type=int, default=50, help="timed requests per page")
    ap.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--keep-log", action="store_true", help="print the server log's tail")
    args = ap.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, tuple[list[float], float]]] = {}
    shown: dict[str, dict[str, int]] = {}
    written = 0
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="stroll-console-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for backend in backends:
            schema = None
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'console.db'}"
            else:
                import psycopg
                schema = "bench_" + uuid.uuid4().hex[:10]
                with psycopg.connect(args.pg_url, autocommit=True) as c:
                    c.execute(f"CREATE SCHEMA {schema}")
                sep = "&" if "?" in args.pg_url else "?"
                url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
            server = None
            try:
                print(f"[{backend}] writing the program ...", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                _coordinator, code, written = write_program(url)
                print(f"[{backend}] {written} records written in "
                      f"{time.perf_counter() - t0:.1f} s; starting stroll-server ...",
                      file=sys.stderr, flush=True)
                server = ServerProcess(url, tmp / f"{backend}.log", timeout=60).start()
                store = open_storage(url, pool_size=1)
                try:
                    hood_id = store.records_of_type("neighborhood")[0]["id"]
                finally:
                    store.close()
                print(f"[{backend}] timing the pages ...", file=sys.stderr, flush=True)
                results[backend], shown[backend] = bench_console(
                    server.base, server.proc.pid, code, hood_id, args.warmup, args.runs)
            finally:
                if server is not None:
                    server.stop()
                    if args.keep_log:
                        print(server.log_tail(), file=sys.stderr)
                if schema:
                    import psycopg
                    with psycopg.connect(args.pg_url, autocommit=True) as c:
                        c.execute(f"DROP SCHEMA {schema} CASCADE")

    print()
    print(f"console pages over loopback: {HOODS} neighborhoods, {ROUTES} routes, "
          f"{MEMBERS} members, {MERCHANTS} merchants, {SHIFTS} shifts (sign-ups on "
          f"{SIGNED_UP_SHIFTS}); {args.runs} timed requests a page after {args.warmup} "
          f"warm-up, one at a time; 1 server process; {os.cpu_count()} CPUs")
    for backend, rows in shown.items():
        print(f"{backend}: rows listed " + ", ".join(f"{k} {n}" for k, n in rows.items()))
    ok = True
    for backend, times in results.items():
        head = (f"{backend:28}{'p50':>9}{'p95':>9}{'max':>9}{'server CPU':>12}"
                f"   target p95 < {TARGET_P95_MS} ms")
        print()
        print(head)
        print("-" * len(head))
        for page, (ms, cpu) in times.items():
            s = summary(ms)
            floor = page.startswith("GET /health")
            verdict = "(baseline)" if floor else (
                "PASS" if s["p95"] < TARGET_P95_MS else "FAIL")
            if not floor:
                ok &= s["p95"] < TARGET_P95_MS
            print(f"{page:28}{s['p50']:>7.1f}ms{s['p95']:>7.1f}ms{s['max']:>7.1f}ms"
                  f"{cpu:>10.1f}ms   {verdict}")
    print()
    print(f"load average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"(other work on this machine slows every figure)")
    print("target met on every page" if ok else "a page missed the target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
