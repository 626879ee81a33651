"""Fixtures of the server tests: a fresh database per test on each backend, the
in-process app, and real ``stroll-server`` processes on loopback.

``backend`` is a database URL: SQLite in tmp_path, or PostgreSQL (database
``test`` at 127.0.0.1:5432) in a fresh schema dropped after the test. Without a
reachable PostgreSQL the postgres cases skip, unless CI=true, where they fail.
"""
from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync import protocol as p  # noqa: E402
from sync.server.storage import open_storage  # noqa: E402
from sync.version import VERSION  # noqa: E402
from tests import support  # noqa: E402
from tests.support import free_port  # noqa: E402,F401 - the tests import it from here
PG_URL = os.environ.get("STROLL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
APP_VERSION = f"{VERSION}-test"

_pg_state: dict[str, Any] = {}


def _pg_problem() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per session)."""
    if "problem" not in _pg_state:
        try:
            import psycopg
            with psycopg.connect(PG_URL, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _pg_state["problem"] = None
        except Exception as e:  # noqa: BLE001 - any failure means: not reachable
            _pg_state["problem"] = f"PostgreSQL not reachable at {PG_URL}: {e}".strip()
    return _pg_state["problem"]


def need_postgres() -> None:
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(problem)


def _pg_admin(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


class _Database:
    """A fresh database for one backend; ``url`` for the server, dropped by ``drop``."""

    def __init__(self, kind: str, tmp: Path):
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{tmp / 'sync.db'}"
            self.schema = None
        else:
            need_postgres()
            self.schema = "t_" + uuid.uuid4().hex[:16]
            _pg_admin(f"CREATE SCHEMA {self.schema}")
            self.url = pg_schema_url(self.schema)

    def drop(self) -> None:
        if self.schema:
            _pg_admin(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path) -> str:
    """The database URL of a fresh, empty database on each backend."""
    db = _Database(request.param, tmp_path)
    yield db.url
    db.drop()


@pytest.fixture
def storage(backend):
    s = open_storage(backend)
    yield s
    s.close()


# ---- a small API helper over any HTTP client ---------------------------------------------


@dataclass
class DeviceAuth:
    device_id: str
    token: str
    role: str
    member_id: str = ""
    seq: int = 0

    def headers(self) -> dict:
        return p.request_headers(APP_VERSION, self.token)


def make_invite(storage, role: str = "volunteer", name: str = "Test member",
                **fields) -> tuple[dict, str]:
    """A new member of ``role`` and their invite code, made the way
    ``stroll-server admin create`` makes them (as the server itself)."""
    from datetime import timedelta

    from sync.server import members
    from sync.server.rules import SERVER
    member, invite = members.create_member(storage, SERVER, {"name": name, "role": role,
                                                             **fields}, timedelta(hours=1))
    return member, invite.code


class Api:
    """Speaks the protocol over a TestClient (in-process) or a requests.Session;
    ``storage`` (the server's database) makes members and their invites."""

    def __init__(self, http, base: str = "", storage=None):
        self.http = http
        self.base = base
        self.storage = storage

    def url(self, path: str) -> str:
        return self.base + path

    def redeem(self, code: str, name: str = "phone"):
        """``POST /v1/devices`` with an invite code: the raw answer."""
        return self.http.post(self.url("/v1/devices"),
                              json={"device_name": name, "invite_code": code},
                              headers=p.request_headers(APP_VERSION))

    def enroll(self, role: str = "volunteer", name: str = "phone", **member_fields
               ) -> DeviceAuth:
        """A device signed in as a new member of ``role``."""
        member, code = make_invite(self.storage, role, **member_fields)
        r = self.redeem(code, name)
        assert r.status_code == 201, r.text
        body = r.json()
        return DeviceAuth(body["device_id"], body["token"], body["role"], body["member_id"])

    def enroll_as(self, member_id: str, name: str = "phone") -> DeviceAuth:
        """Another device of an existing member."""
        from datetime import timedelta

        from sync.server import members
        from sync.server.rules import SERVER
        invite = members.create_invite(self.storage, SERVER, member_id, timedelta(hours=1))
        r = self.redeem(invite.code, name)
        assert r.status_code == 201, r.text
        body = r.json()
        return DeviceAuth(body["device_id"], body["token"], body["role"], body["member_id"])

    def push_raw(self, dev: DeviceAuth, entries: list[dict], **kw):
        body = {"protocol": 1, "app_version": APP_VERSION, "device_id": dev.device_id,
                "entries": entries}
        return self.http.post(self.url("/v1/sync/push"), json=body, headers=dev.headers(), **kw)

    def push(self, dev: DeviceAuth, entries: list[dict]) -> dict:
        r = self.push_raw(dev, entries)
        assert r.status_code == 200, r.text
        return r.json()

    def send(self, dev: DeviceAuth, *records: tuple[str, str, dict] | tuple[str, str, dict, str]
             ) -> dict:
        """Push records as the device's next seqs: (type, op, data[, id])."""
        entries = []
        for rec in records:
            rtype, op, data = rec[:3]
            rid = rec[3] if len(rec) > 3 else data["id"]
            dev.seq += 1
            entries.append(entry(dev.seq, rtype, rid, op, data))
        return self.push(dev, entries)

    def pull(self, dev: DeviceAuth, after: int = 0, limit: int | None = None) -> dict:
        params = {"after": after}
        if limit is not None:
            params["limit"] = limit
        r = self.http.get(self.url("/v1/sync/pull"), params=params, headers=dev.headers())
        assert r.status_code == 200, r.text
        return r.json()

    def pull_all(self, dev: DeviceAuth, limit: int = 1000) -> list[dict]:
        out, after = [], 0
        while True:
            page = self.pull(dev, after, limit)
            out += page["changes"]
            after = page["next_cursor"]
            if not page["has_more"]:
                return out


def entry(seq: int, rtype: str, rid: str, op: str = "upsert", data: dict | None = None,
          device_time: str = "2026-11-21T19:02:11-08:00") -> dict:
    return {"seq": seq, "type": rtype, "id": rid, "op": op, "data": data,
            "device_time": device_time}


@pytest.fixture
def app_settings(backend):
    from sync.server.settings import Settings
    return Settings(database_url=backend, enroll_per_minute=100_000,
                    enroll_failures_per_hour=100_000, calendar_per_minute=100_000)


@pytest.fixture
def client(app_settings):
    """The in-process app on a fresh database (starlette TestClient)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from sync.server.app import create_app
    app = create_app(app_settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.app_storage = app.state.storage
        yield c


@pytest.fixture
def api(client) -> Api:
    return Api(client, storage=client.app_storage)


# ---- real stroll-server processes ------------------------------------------------------------


def server_env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("SYNC_ENROLL_PER_MINUTE", "100000")
    env.setdefault("SYNC_ENROLL_FAILURES_PER_HOUR", "100000")
    env.setdefault("SYNC_CALENDAR_PER_MINUTE", "100000")
    env.update(extra)
    return env


class ServerProcess(support.ServerProcess):
    """``stroll-server`` in a subprocess on a free loopback port, started at once
    (``.wait_ready()`` waits for it), with rate limits the tests do not reach."""

    def __init__(self, database_url: str, log_path: Path, **kw):
        super().__init__(database_url, log_path, **kw)
        self.launch()


@pytest.fixture(scope="module", params=BACKENDS)
def live(request, tmp_path_factory):
    """One real stroll-server per backend for a test module, with its own database.
    Tests enroll their own devices and use fresh record ids, so they can share it."""
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    db = _Database(request.param, tmp)
    server = ServerProcess(db.url, tmp / "server.log").wait_ready()
    session = requests.Session()
    storage = open_storage(db.url, pool_size=2)
    a = Api(session, server.base, storage)
    a.server = server
    a.database_url = db.url
    yield a
    session.close()
    storage.close()
    server.stop()
    db.drop()
