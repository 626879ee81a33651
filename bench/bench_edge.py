"""Benchmark: the sync server with idle and half-open connections at its edge.

A real ``stroll-server`` process (``python -m sync.server.cli``, SQLite) is started on a
free port. Then, for each crowd of ``--idle`` connections held open at once:

- none:       the baseline, no other connection;
- silent:     connected, never a byte sent;
- half head:  sent half a request's headers (``GET /health HTTP/1.1``, one header);
- half body:  sent a push's headers and the first bytes of its 100 KB body,

it times ``GET /health`` and a real push (a device enrolled by :func:`enroll_device`,
10 check-ins a push), each ``--repeat`` times on a fresh connection, as a phone would
come in while the crowd is there; and how long the server keeps the crowd open
(``--hold`` seconds at most). Last, a 20 MB header: how fast it is refused and how many
bytes the server read of it (``/proc/<pid>/io``).

    .venv/bin/python bench/bench_edge.py
    .venv/bin/python bench/bench_edge.py --server-repo /work/main   # another checkout's server
    .venv/bin/python bench/bench_edge.py --idle 900 --workers 2
    .venv/bin/python bench/bench_edge.py --set SYNC_BODY_TIMEOUT=10  # see half bodies go

Target: ``/health`` and a push answer in < 1 s (the slowest of ``--repeat``) with the
crowd open. Exit status 1 if one is missed.
"""
from __future__ import annotations

import argparse
import os
import select
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stroll.domain import CheckIn, new_id  # noqa: E402
from tests.support import ServerProcess  # noqa: E402

from enroll import Enroller  # noqa: E402

TARGET_S = 1.0
APP_VERSION = "bench-edge"


# ---- the device: enrollment and a push ------------------------------------------------


def enroll_device(server: "Server") -> tuple[str, dict]:
    """A device signed in with an invite (``bench/enroll.py``; a server from before
    invites enrolls it the way it did then): its id and the headers of its requests."""
    enroller = Enroller(server.base, server.database_url, server.legacy)
    try:
        with requests.Session() as http:
            return enroller.enroll(http, "ambassador")
    finally:
        enroller.close()


class Device:
    def __init__(self, server: "Server"):
        self.base = server.base
        self.device_id, self.headers = enroll_device(server)
        self.seq = 0

    def push(self, n: int = 10) -> requests.Response:
        """``n`` check-ins as the device's next seqs, on a fresh connection."""
        entries = []
        for _ in range(n):
            self.seq += 1
            d = CheckIn(merchant_id=new_id(), status="all_good", note="quiet afternoon",
                        at="2026-11-21T15:00:00-08:00", language="yue",
                        lat=37.7941, lon=-122.4078).to_dict()
            entries.append({"seq": self.seq, "type": "check_in", "id": d["id"],
                            "op": "upsert", "data": d,
                            "device_time": "2026-11-21T15:00:00-08:00"})
        body = {"protocol": 1, "app_version": APP_VERSION, "device_id": self.device_id,
                "entries": entries}
        r = requests.post(self.base + "/v1/sync/push", json=body, headers=self.headers,
                          timeout=60)
        if r.status_code != 200:
            self.seq -= n
        return r


# ---- the crowds ------------------------------------------------------------------------------


HALF_HEAD = b"GET /health HTTP/1.1\r\nHost: bench\r\n"


def half_body(headers: dict) -> bytes:
    """A push's headers (with the device's token) and the first bytes of its 100 KB body."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST /v1/sync/push HTTP/1.1\r\nHost: bench\r\n{lines}"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            '{"protocol": 1, "entries": [').encode()


def open_crowd(port: int, n: int, first: bytes) -> tuple[list[socket.socket], float]:
    """``n`` connections that sent ``first``, and when they were open (monotonic)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if first:
            s.sendall(first)
        socks.append(s)
    opened = time.monotonic()
    time.sleep(0.3)  # the server accepts them all before the clock
    return socks, opened


def readable(socks: list[socket.socket], timeout: float) -> list[socket.socket]:
    """Those of ``socks`` with something to read (or closed); poll, not select: more
    than 1,024 descriptors."""
    poll = select.poll()
    by_fd = {s.fileno(): s for s in socks}
    for fd in by_fd:
        poll.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return [by_fd[fd] for fd, _ in poll.poll(timeout * 1000)]


def still_open(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the server has not closed (readable = closed, or answered
    and then closed)."""
    ready = readable(socks, 0)
    gone = 0
    for s in ready:
        try:
            s.setblocking(False)
            data = s.recv(65536)
            if not data or b"HTTP/1.1" in data:
                gone += 1
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            gone += 1
    return len(socks) - gone


def held_for(socks: list[socket.socket], opened: float, hold: float) -> float | None:
    """Seconds from ``opened`` until the server closed every one of ``socks`` (None:
    not within ``hold`` seconds)."""
    t0 = opened
    pending = list(socks)
    while pending and time.monotonic() - t0 < hold:
        for s in readable(pending, 0.2):
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data or b"HTTP/1.1" in data:
                pending.remove(s)
    return None if pending else time.monotonic() - t0


def timed(fn, repeat: int) -> tuple[list[float], list[int]]:
    took, statuses = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            statuses.append(fn().status_code)
        except requests.RequestException:
            statuses.append(0)
        took.append(time.perf_counter() - t0)
    return took, statuses


def health(base: str):
    return lambda: requests.get(base + "/health", timeout=60)


def bench_20mb_header(server: ServerProcess) -> tuple[float, str, int | None]:
    """Seconds until a 20 MB header is refused, the status line (or the error), and
    the bytes the server process read meanwhile (None where /proc says nothing)."""
    def read_bytes() -> int | None:
        try:
            for line in Path(f"/proc/{server.proc.pid}/io").read_text().splitlines():
                if line.startswith("rchar:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    before = read_bytes()
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    t0 = time.perf_counter()
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nX-Big: " + b"x" * 20_000_000)
        s.sendall(b"\r\n\r\n")
    except OSError:
        pass  # refused and closed before it was all sent
    try:
        answer = s.recv(65536).split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
    except OSError as e:
        answer = f"closed ({e.__class__.__name__})"
    took = time.perf_counter() - t0
    s.close()
    after = read_bytes()
    return took, answer, (after - before if before is not None and after is not None
                          else None)


# ---- main --------------------------------------------------------------------------------------


class Server(ServerProcess):
    """``stroll-server`` of the checkout at ``repo`` (default: this one)."""

    def __init__(self, repo: Path, url: str, log: Path, workers: int, env: dict,
                 nofile: int | None = None):
        self.legacy = not (repo / "sync" / "server" / "members.py").exists()
        super().__init__(url, log, workers=workers, timeout=60,
                         env={**Enroller.server_env(self.legacy), **env})
        self.repo = repo
        self.nofile = nofile

    def launch(self):
        import resource
        import subprocess

        def limit_files():  # the soft limit many systems start a service with
            if self.nofile:
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, hard))
        with open(self.log_path, "ab") as log:
            env = self.environment()
            env["PYTHONPATH"] = str(self.repo)
            self.proc = subprocess.Popen(self.command(), cwd=self.repo, env=env,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=limit_files)
        return self


def fmt(took: list[float]) -> str:
    return f"median {statistics.median(took) * 1000:7.1f} ms  max {max(took) * 1000:7.1f} ms"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idle", type=int, default=300, help="connections in each crowd")
    ap.add_argument("--repeat", type=int, default=5, help="requests timed per crowd")
    ap.add_argument("--hold", type=float, default=15.0,
                    help="seconds to wait for the server to close a crowd")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--server-repo", type=Path, default=ROOT,
                    help="checkout whose server runs (e.g. the one before a change)")
    ap.add_argument("--server-nofile", type=int, metavar="N",
                    help="start the server with this soft limit on open files (e.g. 256, "
                         "a common default; the hard limit stays)")
    ap.add_argument("--set", action="append", default=[], metavar="SYNC_NAME=VALUE",
                    help="a server setting, e.g. --set SYNC_BODY_TIMEOUT=10")
    args = ap.parse_args(argv)

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(args.server_repo.resolve(), f"sqlite:///{tmp}/sync.db",
                        Path(tmp) / "server.log", args.workers,
                        env={"SYNC_SQLITE_SYNCHRONOUS": "NORMAL",
                             **dict(kv.split("=", 1) for kv in args.set)},
                        nofile=args.server_nofile)
        server.start()
        try:
            base = server.base
            device = Device(server)
            device.push()  # warm
            print(f"stroll-server from {server.repo}, {args.workers} process(es) "
                  f"{' '.join(args.set)}"
                  f"{f', open-file limit {args.server_nofile}' if args.server_nofile else ''}, "
                  f"{args.idle} connections a crowd, {args.repeat} requests timed each; "
                  f"target < {TARGET_S * 1000:.0f} ms")
            print(f"{'crowd':10} {'GET /health':34} {'push (10 records)':34} server closed the crowd")
            crowds = {"none": None, "silent": b"", "half head": HALF_HEAD,
                      "half body": half_body(device.headers)}
            for name, first in crowds.items():
                socks, opened = ([], 0.0) if first is None else \
                    open_crowd(server.port, args.idle, first)
                try:
                    h, hs = timed(health(base), args.repeat)
                    ps, pss = timed(device.push, args.repeat)
                    if first is None:
                        closed = "-"
                    else:
                        t = held_for(socks, opened, args.hold)
                        closed = (f"after {t:.1f} s" if t is not None else
                                  f"not within {args.hold:g} s "
                                  f"({still_open(socks)} still open)")
                finally:
                    for s in socks:
                        s.close()
                bad = [s for s in hs + pss if s != 200]
                met = max(h) < TARGET_S and max(ps) < TARGET_S and not bad
                ok &= met
                print(f"{name:10} {fmt(h):34} {fmt(ps):34} {closed}"
                      + ("" if not bad else f"  statuses {sorted(set(hs + pss))}")
                      + ("" if met else "  MISSED"))
                time.sleep(0.5)
            took, answer, read = bench_20mb_header(server)
            print(f"20 MB header: answered {answer!r} after {took * 1000:.0f} ms; the server "
                  f"read {'?' if read is None else f'{read / 1e6:.2f} MB'} of it")
            r = requests.get(base + "/health", timeout=10)
            print(f"GET /health after it all: {r.status_code}")
        finally:
            server.stop()
    print(f"load average: {os.getloadavg()[0]:.1f} (other work on this machine slows "
          f"every figure)")
    print("target met" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
