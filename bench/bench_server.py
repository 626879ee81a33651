"""Benchmark: the sync server under load, over loopback, on both backends.

For each backend a real ``stroll-server`` process (``python -m sync.server.cli``)
is started on a free port, and with ``requests``:

- push:  N incident-sized records (all fields, ~1 KB of JSON each) in batches of
         ``--batch`` (one transaction a batch), from ``--push-clients`` ambassadors'
         devices at once (every entry checked against the write rules);
- pull:  all of them back, pages of 5,000, as a coordinator (full records, the pull
         written to the audit log), and the bytes an incident takes in a page for a
         coordinator and for an ambassador who was not there (the coarse view);
- crowd: ``--devices`` ambassadors' devices sync at once (push a small batch, then
         pull what is new in their scope), at most ``--concurrency`` in flight
         (threads); per-request latency.

Devices sign in with invites made on the server's database (``bench/enroll.py``).
``--server-repo DIR`` measures another checkout's server too, back to back in the same
run (e.g. ``git worktree add --detach /tmp/before <commit>``), and prints this
checkout's figures as ratios of it.

Baseline in the same run: writing (json.dumps + executemany, one transaction a
batch) and reading (SELECT + json.loads) the same records in-process with the
standard library's sqlite3: the floor the server adds to.

    .venv/bin/python bench/bench_server.py                       # both backends
    .venv/bin/python bench/bench_server.py --backend sqlite --records 10000
    .venv/bin/python bench/bench_server.py --workers 2           # two server processes
    .venv/bin/python bench/bench_server.py --server-repo /tmp/before   # against a commit

Targets: push >= 20,000 records/s, pull >= 50,000 records/s, crowd p99 < 500 ms with
no errors. Exit status 1 if one is missed. PostgreSQL: ``--pg-url`` (default
postgresql://postgres@127.0.0.1:5432/test); the run uses a fresh schema, dropped after.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stroll.domain import CheckIn, Incident, new_id  # noqa: E402
from tests.support import ServerProcess  # noqa: E402

from enroll import Enroller  # noqa: E402

TARGET_PUSH = 20_000
TARGET_PULL = 50_000
TARGET_P99_MS = 500


# ---- data --------------------------------------------------------------------------------


def make_incident(i: int) -> dict:
    t = datetime(2026, 11, 21, 19, 0, tzinfo=timezone(timedelta(hours=-8))) + \
        timedelta(minutes=i)
    return Incident(
        occurred_at=t.isoformat(), harm_types=["verbal_harassment", "shunning"],
        motivations=["race", "language"], site_type="street", lat=37.7941 + i * 1e-6,
        lon=-122.4078, cross_streets="Stockton St & Jackson St", reporter_role="witness",
        affected_age_band="75_plus", affected_language="yue", needs_interpreter=True,
        survivor_name="(withheld)", narrative="An elder was yelled at and followed for half "
        "a block outside the bakery; the team walked with her to the bus stop.",
        narrative_language="en", actions_taken=["checked_on_person", "escorted"],
        consent_contact=True, contact_channel="phone", contact_value="415-555-0100",
        contact_language="yue", referral_needs=["mental_health"]).to_dict()


def make_check_in(i: int) -> dict:
    return CheckIn(merchant_id=new_id(), status="all_good", note="quiet afternoon",
                   at="2026-11-21T15:00:00-08:00", language="yue",
                   lat=37.7941, lon=-122.4078).to_dict()


def entries_of(records: list[tuple[str, dict]], first_seq: int) -> list[dict]:
    return [{"seq": first_seq + i, "type": t, "id": d["id"], "op": "upsert", "data": d,
             "device_time": "2026-11-21T19:02:11-08:00"} for i, (t, d) in enumerate(records)]


# ---- a server process ------------------------------------------------------------------------


class Server(ServerProcess):
    """``stroll-server`` with ``workers`` processes, started at once, and the CPU
    time its processes use."""

    def __init__(self, url: str, workers: int, log: Path, repo: Path = ROOT):
        self.legacy = not (repo / "sync" / "server" / "members.py").exists()
        super().__init__(url, log, workers=workers, timeout=60, root=repo,
                         env=Enroller.server_env(self.legacy))
        self.start()
        self.devices = Enroller(self.base, url, self.legacy)

    def stop(self) -> None:
        self.devices.close()
        super().stop()

    def cpu_by_process(self) -> dict[int, float]:
        """CPU time (user + system) each process of the server used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        out: dict[int, float] = {}
        pids = [self.proc.pid]
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            pids += [int(x) for x in kids.split()]
        except OSError:
            pass
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return out

    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_process().values())


def database_cpu_seconds() -> float:
    """CPU time used so far by this machine's PostgreSQL processes (0 when none)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name.startswith("postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


# ---- the measurements -----------------------------------------------------------------------------


def bench_push(server: "Server", records: list[dict], batch: int, clients: int
               ) -> tuple[float, float]:
    """Records per second pushed (the request bodies are encoded before the clock), and
    the CPU seconds this client used while pushing."""
    base = server.base
    shares = [records[i::clients] for i in range(clients)]
    jobs = []
    with requests.Session() as http:
        for share in shares:
            device_id, headers = server.devices.enroll(http, "ambassador")
            bodies = []
            for start in range(0, len(share), batch):
                chunk = [("incident", d) for d in share[start:start + batch]]
                bodies.append(json.dumps({"protocol": 1, "app_version": "bench",
                                          "device_id": device_id,
                                          "entries": entries_of(chunk, start + 1)}).encode())
            jobs.append((headers, bodies))
    errors: list[str] = []

    def run(headers, bodies):
        with requests.Session() as http:
            h = dict(headers, **{"Content-Type": "application/json"})
            for body in bodies:
                r = http.post(base + "/v1/sync/push", data=body, headers=h, timeout=300)
                if r.status_code != 200:
                    errors.append(r.text[:300])
                    return
                res = r.json()["results"]
                bad = [x for x in res if x["status"] != "applied"]
                if bad:
                    errors.append(json.dumps(bad[0])[:300])

    t0, cpu0 = time.perf_counter(), own_cpu_seconds()
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took, cpu = time.perf_counter() - t0, own_cpu_seconds() - cpu0
    if errors:
        raise SystemExit(f"push failed: {errors[0]}")
    return len(records) / took, cpu


def bench_pull(server: "Server", expected: int, role: str = "coordinator"
               ) -> tuple[float, float, float]:
    """Records per second pulled by a device of ``role``: bytes received, and bytes
    received + decoded; and the bytes a pulled incident took in the page."""
    base = server.base
    with requests.Session() as http:
        _, headers = server.devices.enroll(http, role)
        for decode in (False, True):
            after, n, pages = 0, 0, []
            t0 = time.perf_counter()
            while True:
                r = http.get(base + "/v1/sync/pull", params={"after": after, "limit": 5000},
                             headers=headers, timeout=300)
                r.raise_for_status()
                if decode:
                    page = json.loads(r.content)
                    n += len(page["changes"])
                    after, more = page["next_cursor"], page["has_more"]
                else:  # the page's tail says where it ends, without decoding the page
                    tail = r.content[-80:].decode()
                    after = int(tail.split('"next_cursor":')[1].split(",")[0])
                    more = tail.rstrip("}").endswith("true")
                    pages.append(r.content)
                if not more:
                    break
            took = time.perf_counter() - t0
            if decode:
                rate_decoded = n / took
                if n < expected:
                    raise SystemExit(f"pull returned {n} records, expected >= {expected}")
            else:
                rate_raw = sum(c.count(b'"cursor":') for c in pages) / took
                size = sum(len(c) for c in pages) / max(1, sum(c.count(b'"cursor":')
                                                               for c in pages))
    return rate_raw, rate_decoded, size


def make_quick_incident(i: int) -> dict:
    """An incident as the quick path logs it on a corner: harms, place, what was done."""
    return Incident(occurred_at="2026-11-21T19:02:11-08:00", harm_types=["verbal_harassment"],
                    lat=37.7941 + i * 1e-6, lon=-122.4078, location_precision="block",
                    actions_taken=["de_escalated"], narrative="Yelled at outside the bakery.",
                    quick=True, reported_at="2026-11-21T19:02:30-08:00").to_dict()


def bench_quick_bytes(server: "Server", n: int = 200) -> tuple[float, dict[str, float]]:
    """Bytes a quick incident takes pushed (its outbox entry as the device sends it)
    and pulled (its change in a page), by a coordinator and by an ambassador who was
    not there."""
    recs = [("incident", make_quick_incident(i)) for i in range(n)]
    entries = entries_of(recs, 1)
    pushed = sum(len(json.dumps(e, separators=(",", ":"))) for e in entries) / n
    ids = {d["id"] for _, d in recs}
    pulled = {}
    with requests.Session() as http:
        device_id, headers = server.devices.enroll(http, "ambassador")
        r = http.post(server.base + "/v1/sync/push", headers=headers, timeout=60,
                      json={"protocol": 1, "device_id": device_id, "entries": entries})
        r.raise_for_status()
        for role in ("coordinator", "ambassador"):
            _, h = server.devices.enroll(http, role)
            after, sizes = 0, []
            while True:
                page = http.get(server.base + "/v1/sync/pull", headers=h, timeout=60,
                                params={"after": after, "limit": 5000}).json()
                sizes += [len(json.dumps(c, separators=(",", ":"), ensure_ascii=False))
                          for c in page["changes"] if c["id"] in ids]
                after = page["next_cursor"]
                if not page["has_more"]:
                    break
            pulled[role] = sum(sizes) / max(1, len(sizes))
    return pushed, pulled


def bench_crowd(server: "Server", devices: int, concurrency: int, per_device: int) -> dict:
    """``devices`` devices sync at once: push ``per_device`` records, then pull."""
    base = server.base
    with requests.Session() as http:
        _, coord = server.devices.enroll(http, "coordinator")
        after = 0
        while True:  # where the server's changes end now
            page = http.get(base + "/v1/sync/pull", params={"after": after, "limit": 5000},
                            headers=coord).json()
            after = page["next_cursor"]
            if not page["has_more"]:
                break
    # every device synced a moment ago: it pulls what the crowd pushed since
    cursor_of = after
    tokens: list[tuple[str, dict]] = []
    with requests.Session() as http:
        for _ in range(devices):
            tokens.append(server.devices.enroll(http, "ambassador"))
    local = threading.local()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(min(concurrency, devices))

    def session() -> requests.Session:
        if not hasattr(local, "http"):
            local.http = requests.Session()
            try:
                ready.wait(10)  # start the crowd together
            except threading.BrokenBarrierError:
                pass
        return local.http

    bodies = []  # encoded before the clock: the crowd's own CPU goes to HTTP only
    for k, (device_id, _) in enumerate(tokens):
        recs = [("check_in", make_check_in(i)) for i in range(per_device - 1)]
        recs.append(("incident", make_incident(k)))
        bodies.append(json.dumps({"protocol": 1, "app_version": "bench",
                                  "device_id": device_id,
                                  "entries": entries_of(recs, 1)}).encode())

    def sync(k: int) -> None:
        device_id, headers = tokens[k]
        headers = dict(headers, **{"Content-Type": "application/json"})
        http = session()
        for step in ("push", "pull"):
            t0 = time.perf_counter()
            try:
                if step == "push":
                    r = http.post(base + "/v1/sync/push", data=bodies[k], headers=headers,
                                  timeout=30)
                else:
                    r = http.get(base + "/v1/sync/pull",
                                 params={"after": cursor_of, "limit": 500},
                                 headers=headers, timeout=30)
                    r.content  # the whole page received (decoding it is the device's time)
                ok = r.status_code == 200
                if step == "push" and ok:
                    acked = r.json()["acked_through"]
                    ok = acked == per_device
            except requests.RequestException as e:
                ok, r = False, e
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                if not ok:
                    errors.append(f"{step}: {getattr(r, 'status_code', r)}")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(sync, range(devices)))
    took = time.perf_counter() - t0
    lat = sorted(latencies)

    def pct(q):
        return lat[min(len(lat) - 1, int(round(q * (len(lat) - 1))))] * 1000

    return {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": lat[-1] * 1000,
            "requests": len(lat), "errors": len(errors), "first_error": errors[:1],
            "seconds": took, "mean": statistics.mean(lat) * 1000}


def baseline(records: list[dict], batch: int, tmp: Path) -> tuple[float, float, float]:
    """In-process stdlib sqlite3: write (dumps + insert) and read (select, + loads)."""
    path = tmp / "baseline.db"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE records (id TEXT PRIMARY KEY, type TEXT, data TEXT)")
    t0 = time.perf_counter()
    for start in range(0, len(records), batch):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO records VALUES (?, ?, ?)",
                         [(d["id"], "incident", json.dumps(d)) for d in
                          records[start:start + batch]])
        conn.execute("COMMIT")
    write = len(records) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    rows = conn.execute("SELECT id, type, data FROM records ORDER BY rowid").fetchall()
    read = len(rows) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _, _, d in conn.execute("SELECT id, type, data FROM records ORDER BY rowid"):
        json.loads(d)
    read_decoded = len(records) / (time.perf_counter() - t0)
    conn.close()
    return write, read, read_decoded


# ---- main --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--push-clients", type=int, default=2)
    ap.add_argument("--devices", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--per-device", type=int, default=10, help="records each crowd device pushes")
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--server-repo", type=Path, action="append", default=[],
                    help="also measure the server of another checkout (e.g. a worktree of "
                         "the commit before a change), in the same run; repeatable")
    args = ap.parse_args(argv)

    records = [make_incident(i) for i in range(args.records)]
    size = sum(len(json.dumps(r)) for r in records[:100]) / 100
    pushed_entry = sum(len(json.dumps(e)) for e in entries_of(
        [("incident", r) for r in records[:100]], 1)) / 100
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    repos = [("this checkout", ROOT)] + [(str(r), r.resolve()) for r in args.server_repo]
    results = {}
    cpu_note: dict[tuple, float] = {}
    cpu_split: dict[tuple, list[float]] = {}
    split: dict[tuple, list[float]] = {}
    sizes: dict[tuple, dict[str, float]] = {}
    quick: dict[tuple, tuple[float, dict[str, float]]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="stroll-bench-") as tmpdir:
        tmp = Path(tmpdir)
        base_w, base_r, base_rd = baseline(records, args.batch, tmp)
        for backend in backends:
            for label, repo in repos:  # back to back: the same machine, the same minute
                key = (label, backend)
                schema = None
                if backend == "sqlite":
                    url = f"sqlite:///{tmp / (uuid.uuid4().hex[:8] + '.db')}"
                else:
                    import psycopg
                    schema = "bench_" + uuid.uuid4().hex[:10]
                    with psycopg.connect(args.pg_url, autocommit=True) as c:
                        c.execute(f"CREATE SCHEMA {schema}")
                    sep = "&" if "?" in args.pg_url else "?"
                    url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
                server = Server(url, args.workers, tmp / f"{backend}.log", repo)
                try:
                    print(f"[{label}, {backend}] push {args.records} records ...",
                          file=sys.stderr, flush=True)
                    cpu0, db0 = server.cpu_by_process(), database_cpu_seconds()
                    push, client_cpu = bench_push(server, records, args.batch,
                                                  args.push_clients)
                    cpu1 = server.cpu_by_process()
                    # the serving processes' shares: the kernel hands each connection to
                    # one of them, and two busy devices can land on the same one
                    split[key] = sorted((cpu1[p] - cpu0.get(p, 0.0) for p in cpu1
                                         if cpu1[p] - cpu0.get(p, 0.0) > 0.05), reverse=True)
                    push_cpu = sum(cpu1.values()) - sum(cpu0.values())
                    cpu_split[key] = [1e6 * x / args.records for x in (
                        push_cpu, database_cpu_seconds() - db0, client_cpu)]
                    print(f"[{label}, {backend}] pull ...", file=sys.stderr, flush=True)
                    pull_raw, pull_dec, full_size = bench_pull(server, args.records)
                    # a member who was on none of these strolls: the incidents as others see them
                    _, _, other_size = bench_pull(server, args.records, "ambassador")
                    sizes[key] = {"coordinator": full_size, "ambassador": other_size}
                    quick[key] = bench_quick_bytes(server)
                    print(f"[{label}, {backend}] {args.devices} devices ...", file=sys.stderr,
                          flush=True)
                    crowd = bench_crowd(server, args.devices, args.concurrency,
                                        args.per_device)
                finally:
                    server.stop()
                    if schema:
                        import psycopg
                        with psycopg.connect(args.pg_url, autocommit=True) as c:
                            c.execute(f"DROP SCHEMA {schema} CASCADE")
                results[key] = (push, pull_raw, pull_dec, crowd)
                cpu_note[key] = args.records / push_cpu if push_cpu else 0

    print()
    print(f"stroll-server over loopback: {args.records} incident records (~{size:.0f} B of "
          f"JSON each), batches of {args.batch}, {args.push_clients} pushing devices, "
          f"{args.workers} server process(es); crowd: {args.devices} devices x "
          f"(push {args.per_device} + pull), {args.concurrency} at once; {os.cpu_count()} CPUs")
    head = (f"{'':40}{'push rec/s':>12}{'pull rec/s':>12}{'+decode':>10}"
            f"{'crowd p50':>11}{'p95':>8}{'p99':>8}{'max':>8}{'errors':>8}")
    print(head)
    print("-" * len(head))
    ok = True
    for (label, backend), (push, pull_raw, pull_dec, c) in results.items():
        print(f"{label[-28:] + ', ' + backend:40}{push:>12,.0f}{pull_raw:>12,.0f}"
              f"{pull_dec:>10,.0f}{c['p50']:>9.0f}ms{c['p95']:>6.0f}ms{c['p99']:>6.0f}ms"
              f"{c['max']:>6.0f}ms{c['errors']:>8}")
        if label == "this checkout":
            ok &= push >= TARGET_PUSH and pull_raw >= TARGET_PULL and \
                c["p99"] < TARGET_P99_MS and c["errors"] == 0
        if c["errors"]:
            print(f"   first error: {c['first_error']}")
    print(f"{'baseline, in-process sqlite3':40}{base_w:>12,.0f}{base_r:>12,.0f}{base_rd:>10,.0f}")
    print(f"{'target':40}{'>= ' + format(TARGET_PUSH, ','):>12}"
          f"{'>= ' + format(TARGET_PULL, ','):>12}{'':>10}{'':>11}{'':>8}"
          f"{'< ' + str(TARGET_P99_MS) + 'ms':>8}{'':>8}{'0':>8}")
    for (label, backend), r in results.items():
        if label == "this checkout":
            continue
        mine = results[("this checkout", backend)]
        print(f"{backend}: this checkout / {label}: push {mine[0] / r[0]:.2f}x, pull "
              f"{mine[1] / r[1]:.2f}x (+decode {mine[2] / r[2]:.2f}x), crowd p99 "
              f"{mine[3]['p99'] / r[3]['p99']:.2f}x")
    for (label, backend), sz in sizes.items():
        print(f"{label[-28:]}, {backend}: bytes per incident pushed {pushed_entry:.0f}, pulled "
              f"{sz['coordinator']:.0f} by a coordinator, {sz['ambassador']:.0f} by an "
              f"ambassador who was not there")
    for (label, backend), (pushed, pulled) in quick.items():
        print(f"{label[-28:]}, {backend}: bytes per quick incident pushed {pushed:.0f}, "
              f"pulled {pulled['coordinator']:.0f} by a coordinator, "
              f"{pulled['ambassador']:.0f} by an ambassador who was not there")
    for (label, backend), per_cpu in cpu_note.items():
        print(f"push, {label[-28:]}, {backend}: {per_cpu:,.0f} records per CPU-second of the "
              f"server process(es) (excluding the database server)")
    # Where the push's CPU went, per record: on a machine whose cores all of it shares,
    # the cores divided by the sum bounds the push rate whatever the code's concurrency.
    for (label, backend), (srv, db, me) in cpu_split.items():
        total = srv + db + me
        print(f"push, {label[-28:]}, {backend}: CPU per record {srv:.0f} us server + {db:.0f} "
              f"us PostgreSQL + {me:.0f} us bench client = {total:.0f} us; "
              f"{os.cpu_count()} cores bound it at {os.cpu_count() * 1e6 / total:,.0f} "
              f"records/s; CPU s of each server process: "
              f"{' / '.join(f'{x:.2f}' for x in split.get((label, backend), []))}")
    print(f"load average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"(other work on this machine slows every figure)")
    print("targets met" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
