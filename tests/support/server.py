"""A real ``stroll-server`` process on a loopback port, for the tests and the
benchmarks: started as ``python -m sync.server.cli`` from the repository (so the
checkout's code runs, installed or not), ready once ``/health`` answers, killed with
SIGKILL like a crashed machine, restarted on the same port and database, stopped
cleanly; its output goes to a log file whose tail explains a failed start."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer in time; the message ends with the tail
    of its log."""


def log_tail(log_path: Path, n: int = 4000) -> str:
    try:
        return Path(log_path).read_text(errors="replace")[-n:]
    except OSError:
        return ""


def wait_until_answers(url: str, proc: subprocess.Popen, log_path: Path, timeout: float,
                       what: str = "the process") -> requests.Response:
    """Poll ``url`` until it answers 200 and return that answer; raise
    :class:`ServerDidNotStart` with the log's tail if ``proc`` exits first or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(f"{what} exited with {proc.returncode}:\n"
                                    + log_tail(log_path))
        try:
            r = requests.get(url, timeout=1)
            if r.status_code == 200:
                return r
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise ServerDidNotStart(f"{what} did not answer {url} in time:\n" + log_tail(log_path))


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, and SIGKILL if it has not exited within ``timeout`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class ServerProcess:
    """``stroll-server`` on ``127.0.0.1:port`` with the database at ``database_url``.

    ``args`` are extra command-line arguments, ``env`` extra environment variables
    (over this process's environment), ``workers`` the number of server processes.
    Nothing runs until :meth:`start` (or :meth:`launch`, then :meth:`wait_ready`).
    """

    def __init__(self, database_url: str, log_path: Path, *, port: int | None = None,
                 args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 workers: int | None = None, log_level: str = "warning",
                 timeout: float = 30.0, root: Path = ROOT):
        self.root = Path(root)  # the checkout whose server runs (a bench may run another)
        self.database_url = database_url
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.url = self.base = f"http://127.0.0.1:{self.port}"
        self.args = tuple(args)
        if workers is not None:
            self.args += ("--workers", str(workers))
        # tests enroll many devices from one address: rate limits they do not reach
        # (a test of the limits sets its own)
        self.env = {"SYNC_ENROLL_PER_MINUTE": "100000",
                    "SYNC_ENROLL_FAILURES_PER_HOUR": "100000",
                    "SYNC_CALENDAR_PER_MINUTE": "100000", **(env or {})}
        self.log_level = log_level
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "sync.server.cli", "--port", str(self.port),
                "--host", "127.0.0.1", "--database-url", self.database_url,
                "--log-level", self.log_level, *self.args]

    def environment(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.root),
                        self.env.get("PYTHONPATH", os.environ.get("PYTHONPATH"))) if p)
        return env

    def launch(self) -> "ServerProcess":
        """Start the process (appending to the log) without waiting for it."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.root, env=self.environment(),
                                         stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float | None = None) -> "ServerProcess":
        """Wait until ``/health`` answers 200; raise :class:`ServerDidNotStart` (with
        the log's tail) if the process exits first or the time runs out."""
        try:
            wait_until_answers(self.url + "/health", self.proc, self.log_path,
                               timeout or self.timeout, what="stroll-server")
        except ServerDidNotStart:
            self.stop()
            raise
        return self

    def start(self, timeout: float | None = None) -> "ServerProcess":
        return self.launch().wait_ready(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, like a crashed machine."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not exited within 10 s."""
        if self.proc:
            stop_process(self.proc)

    def restart(self, timeout: float = 10.0) -> "ServerProcess":
        """Kill it and start it again on the same port and database; the port may
        linger a moment after a kill, so starting is retried until ``timeout``."""
        self.kill()
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start()
            except ServerDidNotStart:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def log_tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)
