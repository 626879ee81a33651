"""A real ``stroll-server`` process on loopback (both backends): the command line,
the protocol over real HTTP, concurrent sign-ups, and SIGKILL in the middle of a
push."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, Api, ServerProcess, _Database, entry, server_env
from inspect_storage import applied_log, count_records, get_record, last_cursor
from server_records import incident, shift, signup
from sync import protocol as p
from sync.server.storage import open_storage


def run_cli(*args: str, env: dict | None = None, timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "sync.server.cli", *args], cwd=ROOT,
                          env=env or server_env(), capture_output=True, text=True,
                          timeout=timeout)


# ---- the command line --------------------------------------------------------------------


def test_stroll_server_help_describes_its_options():
    r = run_cli("--help")
    assert r.returncode == 0, r.stderr
    for words in ("stroll-server", "--port", "--host", "--database-url", "--workers",
                  "SYNC_DATABASE_URL", "postgresql://", "sqlite:///", "/docs"):
        assert words in r.stdout
    script = Path(sys.executable).with_name("stroll-server")
    if script.exists():  # once the project is pip-installed
        r = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "--database-url" in r.stdout


@pytest.mark.parametrize("args, env, words", [
    ((), {"SYNC_PORT": "eighty"}, "SYNC_PORT"),
    (("--port", "70000"), {}, "--port"),
    (("--database-url", "mysql://db/x"), {}, "must start with sqlite:/// or postgresql://"),
    ((), {"SYNC_MAX_BATCH": "0"}, "SYNC_MAX_BATCH"),
])
def test_bad_settings_stop_the_server_with_a_clear_message(args, env, words):
    r = run_cli(*args, "--check", env=server_env(**env))
    assert r.returncode == 2
    assert words in r.stderr and "Traceback" not in r.stderr


def test_an_unreachable_postgres_is_reported_clearly():
    r = run_cli("--check", "--database-url",
                "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert r.returncode == 1
    assert "cannot connect to PostgreSQL" in r.stderr and "Traceback" not in r.stderr


def test_stroll_server_on_a_given_port_answers_health(tmp_path):
    from tests.support import free_port
    port = free_port()
    server = ServerProcess(f"sqlite:///{tmp_path / 'db' / 'sync.db'}", tmp_path / "log",
                           port=port).wait_ready()
    try:
        r = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert r.json()["ok"] is True and r.json()["backend"] == "sqlite"
        assert (tmp_path / "db" / "sync.db").exists()
    finally:
        server.stop()
    # SIGTERM: uvicorn shuts down cleanly, then re-raises the signal (exit -15)
    assert server.proc.returncode in (0, -15)
    assert "Traceback" not in (tmp_path / "log").read_text()


# ---- the protocol over real HTTP -------------------------------------------------------------


def test_health_over_loopback_names_the_backend(live):
    body = requests.get(live.base + "/health", timeout=5).json()
    assert body["ok"] and body["backend"] in ("sqlite", "postgres")


def inc_entry(seq):
    d = incident()
    return entry(seq, "incident", d["id"], "upsert", d)


def test_push_twice_over_http_applies_once(live):
    dev = live.enroll()
    batch = [inc_entry(1), inc_entry(2), inc_entry(3)]
    first, again = live.push(dev, batch), live.push(dev, batch)
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    ids = {e["id"] for e in batch}
    assert ids <= {c["id"] for c in live.pull_all(dev)}
    s = open_storage(live.database_url, migrate=False)
    try:
        assert [a.seq for a in applied_log(s, dev.device_id)] == [1, 2, 3]
        assert all(get_record(s, "incident", i) for i in ids)
    finally:
        s.close()


def test_gap_duplicates_and_reordered_requests_over_http(live):
    dev = live.enroll()
    b1, b2 = [inc_entry(1), inc_entry(2)], [inc_entry(3), inc_entry(4)]
    r = live.push_raw(dev, b2)  # the second request arrives first
    assert r.status_code == 409 and r.json()["error"]["details"]["expected"] == 1
    assert [x["status"] for x in live.push(dev, b1)["results"]] == ["applied"] * 2
    assert [x["status"] for x in live.push(dev, b1[1:] + b2)["results"]] == \
        ["duplicate", "applied", "applied"]
    assert live.push(dev, b1)["acked_through"] == 4


def test_bad_input_over_http_is_one_error_shape(live):
    dev = live.enroll()
    h = dev.headers()
    r = requests.post(live.base + "/v1/sync/push", data=b"{nope", headers=h, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    r = requests.get(live.base + "/v1/sync/pull", headers={**h, p.HEADER_PROTOCOL: "99"},
                     timeout=10)
    assert r.status_code == 426 and "Update the app" in r.json()["error"]["message"]
    r = requests.get(live.base + "/nowhere", timeout=10)
    assert r.status_code == 404 and set(r.json()["error"]) == {"code", "message", "details"}


def test_concurrent_signups_never_exceed_capacity(live):
    """Many volunteers tap "sign up" for the same shift at the same moment."""
    coord = live.enroll("coordinator")
    sh = shift(capacity=3)
    live.send(coord, ("shift", "upsert", sh))
    devices = [live.enroll() for _ in range(24)]
    barrier = threading.Barrier(len(devices))
    decisions: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def tap(dev):
        su = signup(sh["id"], dev.member_id)
        with requests.Session() as http:
            api = Api(http, live.base)
            barrier.wait()
            try:
                out = api.send(dev, ("signup", "upsert", su))
                with lock:
                    decisions.append(out["results"][0]["decision"]["status"])
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))

    threads = [threading.Thread(target=tap, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(decisions).count("confirmed") == 3
    assert decisions.count("waitlisted") == 3 and decisions.count("refused") == 18
    pulled = [c["data"] for c in live.pull_all(coord)
              if c["type"] == "signup" and c["data"]["shift_id"] == sh["id"]]
    assert sum(1 for d in pulled if d["status"] == "confirmed") == 3


# ---- SIGKILL in the middle of a push -------------------------------------------------------------


class PushProbe:
    """Asks, as often as it can, whether a push transaction holds the cursor lock (is
    mid-batch), on one connection it keeps: a poll costs well under a millisecond, so
    a batch's transaction is seen even on a loaded machine."""

    def __init__(self, database_url: str):
        self.sqlite = database_url.startswith("sqlite")
        if self.sqlite:
            import sqlite3
            self.conn = sqlite3.connect(database_url[len("sqlite:///"):], timeout=0,
                                        isolation_level=None)
        else:
            import psycopg
            self.conn = psycopg.connect(database_url)

    def push_open(self) -> bool:
        if self.sqlite:
            import sqlite3
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError as e:
                assert "locked" in str(e) or "busy" in str(e), e
                return True
        import psycopg
        try:
            self.conn.execute("SELECT cursor FROM sync_state WHERE id = 1 FOR UPDATE NOWAIT")
            return False
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db(request, tmp_path):
    db = _Database(request.param, tmp_path)
    yield db.url
    db.drop()


def test_sigkill_mid_batch_then_restart_applies_the_batch_all_or_nothing(fresh_db, tmp_path):
    n = 2000
    server = ServerProcess(fresh_db, tmp_path / "server.log").wait_ready()
    http = requests.Session()
    storage = open_storage(fresh_db, pool_size=1)
    api = Api(http, server.base, storage)
    dev = api.enroll()
    start = last_cursor(storage)  # the member record the invite made
    storage.close()
    batch = [inc_entry(i + 1) for i in range(n)]
    body = {"protocol": 1, "device_id": dev.device_id, "entries": batch}

    def send():
        try:
            requests.post(server.base + "/v1/sync/push", json=body, headers=dev.headers(),
                          timeout=60)
        except requests.RequestException:
            pass  # the server died under it: expected

    probe = PushProbe(fresh_db)
    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 30
    caught = False
    try:
        while time.monotonic() < deadline and sender.is_alive():
            if probe.push_open():
                server.kill()  # SIGKILL while the push transaction is open
                caught = True
                break
            time.sleep(0.0005)
    finally:
        probe.close()
    sender.join(60)
    assert caught, "the push finished before the test saw its transaction open"
    assert server.proc.returncode == -9

    server = ServerProcess(fresh_db, tmp_path / "server2.log").wait_ready()
    try:
        s = open_storage(fresh_db, migrate=False)
        try:
            count = count_records(s, "incident")
            last_seq = s.device_last_seq(dev.device_id)
            log = applied_log(s, dev.device_id)
            assert (count, last_seq, len(log)) in ((0, 0, 0), (n, n, n)), \
                (count, last_seq, len(log))
            api = Api(requests.Session(), server.base)
            out = api.push(dev, batch)  # the device resends its unacknowledged batch
            assert out["acked_through"] == n
            assert count_records(s, "incident") == n
            assert len(applied_log(s, dev.device_id)) == n
            assert last_cursor(s) == start + n
        finally:
            s.close()
    finally:
        server.stop()
