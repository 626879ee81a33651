"""Fixtures for sync tests: a real server process on loopback (SQLite or PostgreSQL
backend), a fault-injecting proxy in front of it, and device stores in tmp_path."""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from faultproxy import FaultProxy  # noqa: E402

from tests.support import ServerProcess  # noqa: E402

PG_ADMIN_URL = os.environ.get("STROLL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# ---- databases ------------------------------------------------------------------------


_PG: dict[str, str | None] = {}


def _pg_reachable() -> str | None:
    if "why" in _PG:
        return _PG["why"]
    _PG["why"] = _pg_problem()
    return _PG["why"]


def _pg_problem() -> str | None:
    try:
        import psycopg
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(e).__name__}: {e}"


def _skip_or_fail_pg(why: str):
    msg = f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({why})"
    if os.environ.get("CI") == "true":
        pytest.fail(msg + "; CI=true requires it")
    pytest.skip(msg)


class Database:
    """A fresh database for one backend: a SQLite file, or a new schema in PostgreSQL
    (as tests/server does), dropped after."""

    def __init__(self, backend: str, tmp: Path):
        self.backend = backend
        self.schema: str | None = None
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / ('server-' + secrets.token_hex(4) + '.db')}"
        else:
            why = _pg_reachable()
            if why:
                _skip_or_fail_pg(why)
            self.schema = "sync_" + secrets.token_hex(8)
            _pg_admin(f"CREATE SCHEMA {self.schema}")
            sep = "&" if "?" in PG_ADMIN_URL else "?"
            self.url = f"{PG_ADMIN_URL}{sep}options=-csearch_path%3D{self.schema}"

    def drop(self) -> None:
        if self.schema:
            try:
                _pg_admin(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass


def _pg_admin(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory):
    """One server process per test module and backend (tests use their own devices)."""
    tmp = tmp_path_factory.mktemp(f"server-{backend}")
    db = Database(backend, tmp)
    srv = ServerProcess(db.url, tmp / "server.log").start()
    srv.db = db
    srv.storage = _inspector(db.url)
    srv.invite = _inviter(srv.storage)
    yield srv
    srv.storage.close()
    srv.stop()
    db.drop()


def _inviter(inspector):
    """``invite(role) -> code``: a new member of ``role`` and their invite, made on the
    server's database as ``stroll-server admin create`` makes them."""
    from datetime import timedelta

    from sync.server import members
    from sync.server.rules import SERVER

    def invite(role: str = "coordinator") -> str:
        _, inv = members.create_member(inspector.storage, SERVER,
                                       {"name": f"{role} member", "role": role},
                                       timedelta(hours=1))
        return inv.code
    return invite


def _inspector(url: str):
    """The server's own storage module, opened beside the running server, to look at
    what it holds (records rows, device_time, received_at)."""
    from sync.server.storage import open_storage
    server_tests = str(ROOT / "tests" / "server")  # the server tests' storage inspector
    if server_tests not in sys.path:
        sys.path.append(server_tests)
    from inspect_storage import Inspector
    return Inspector(open_storage(url, pool_size=2))


@pytest.fixture
def fresh_server(backend, tmp_path):
    """A server of its own (for tests that kill it)."""
    db = Database(backend, tmp_path)
    srv = ServerProcess(db.url, tmp_path / "server.log").start()
    srv.db = db
    srv.storage = _inspector(db.url)
    srv.invite = _inviter(srv.storage)
    yield srv
    srv.storage.close()
    srv.stop()
    db.drop()


@pytest.fixture
def proxy(server):
    p = FaultProxy(server.port, on_kill=server.kill)
    p.storage = server.storage
    p.invite = server.invite
    yield p
    p.close()
