"""SQLite backend: one file, WAL, one writer at a time (``BEGIN IMMEDIATE``).

Writers of several server processes queue on an OS lock of a file beside the
database (``<file>.write-lock``) before ``BEGIN IMMEDIATE``: the kernel wakes the
next writer the moment the lock is free, where SQLite's own busy wait sleeps in
steps of up to 100 ms and leaves the database idle meanwhile.

Durability: ``synchronous=FULL`` by default, so a push the server acknowledged
survives a crash of the process or of the machine. A push is one transaction:
if the process is killed mid-batch, SQLite's journal rolls the batch back.
"""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows has no fcntl: there SQLite's busy wait alone queues writers
    fcntl = None

from ..merge import AppliedRow, Key, SignupRow, StoredRecord, loads
from .base import (Device, Pool, PullRow, Storage, StorageError, StorageUnavailable,
                   WriteTx, page_json)

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_devices_records_applied_signups", """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            member_id TEXT,
            role TEXT NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            app_version TEXT,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE records (
            type TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT,
            data_public TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            cursor INTEGER NOT NULL UNIQUE,
            device_id TEXT,
            device_time TEXT,
            received_at TEXT NOT NULL,
            UNIQUE (id, type)
        );
        CREATE TABLE applied (
            device_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            status TEXT NOT NULL,
            result TEXT,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE signups (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL,
            member_id TEXT,
            status TEXT NOT NULL,
            position INTEGER NOT NULL
        );
        CREATE INDEX signups_shift ON signups (shift_id, status);
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            cursor INTEGER NOT NULL
        );
        INSERT INTO sync_state (id, cursor) VALUES (1, 0);
    """),
]


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (SQLAlchemy style)."""
    if not url.startswith("sqlite:///"):
        raise StorageError(f"not a SQLite URL: {url!r} (use sqlite:////absolute/path.db)")
    rest = url[len("sqlite:///"):]
    if not rest or rest == ":memory:":
        raise StorageError("the server needs a SQLite file, not an in-memory database")
    return Path(rest).expanduser()


# One change of a pull page as JSON, built by the database (docs/SYNC.md, Pull); ids
# are UUIDs and types come from the closed list, so neither needs escaping.
_PULL_LINE = (
    "CASE WHEN deleted THEN '{{\"cursor\":' || cursor || ',\"type\":\"' || type || "
    "'\",\"id\":\"' || id || '\",\"op\":\"delete\",\"data\":null}}' "
    "ELSE '{{\"cursor\":' || cursor || ',\"type\":\"' || type || "
    "'\",\"id\":\"' || id || '\",\"op\":\"upsert\",\"data\":' || {col} || '}}' END")


class _Tx(WriteTx):
    def __init__(self, conn: sqlite3.Connection):
        self.c = conn

    def lock_cursor(self) -> int:
        # BEGIN IMMEDIATE already holds the database's write lock.
        return self.c.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0]

    def device_last_seq(self, device_id):
        return _last_seq(self.c, device_id)

    def applied_results(self, device_id, seqs):
        return _applied(self.c, device_id, seqs)

    def load_records(self, keys: list[Key]) -> dict[Key, StoredRecord]:
        out: dict[Key, StoredRecord] = {}
        wanted = set(keys)
        ids = json.dumps(sorted({k[1] for k in keys}))
        for rtype, rid, data, deleted in self.c.execute(
                "SELECT type, id, data, deleted FROM records "
                "WHERE id IN (SELECT value FROM json_each(?))", (ids,)):
            if (rtype, rid) in wanted:
                out[(rtype, rid)] = StoredRecord(rtype, rid, loads(data) if data else None,
                                                 bool(deleted))
        return out

    def load_signups(self, shift_id):
        return [SignupRow(*r) for r in self.c.execute(
            "SELECT id, shift_id, member_id, status, position FROM signups "
            "WHERE shift_id = ? AND status IN ('confirmed', 'waitlisted')", (shift_id,))]

    def write(self, *, records, signups, applied, last_seqs, cursor, received_at):
        c = self.c
        c.executemany(
            "INSERT INTO records (type, id, data, data_public, deleted, cursor, device_id, "
            "device_time, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id, type) DO UPDATE SET data = excluded.data, "
            "data_public = excluded.data_public, deleted = excluded.deleted, "
            "cursor = excluded.cursor, device_id = excluded.device_id, "
            "device_time = excluded.device_time, received_at = excluded.received_at",
            [(w.type, w.id, w.data, w.data_public, int(w.deleted), w.cursor, w.device_id,
              w.device_time, received_at) for w in records])
        if signups:
            c.executemany(
                "INSERT INTO signups (id, shift_id, member_id, status, position) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "status = excluded.status, member_id = excluded.member_id",
                [(s.id, s.shift_id, s.member_id, s.status, s.position) for s in signups])
        c.executemany("INSERT INTO applied (device_id, seq, status, result) VALUES (?, ?, ?, ?)",
                      [(d, a.seq, a.status, a.result) for d, a in applied])
        c.executemany("UPDATE devices SET last_seq = ? WHERE id = ?",
                      [(seq, d) for d, seq in last_seqs.items()])
        c.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (cursor,))


def _last_seq(conn, device_id):
    row = conn.execute("SELECT last_seq FROM devices WHERE id = ? AND revoked_at IS NULL",
                       (device_id,)).fetchone()
    return row[0] if row else None


def _applied(conn, device_id, seqs):
    if not seqs:
        return {}
    return dict(conn.execute(
        "SELECT seq, result FROM applied WHERE device_id = ? AND seq BETWEEN ? AND ?",
        (device_id, min(seqs), max(seqs))).fetchall())


class SQLiteStorage(Storage):
    name = "sqlite"

    def __init__(self, url: str, *, pool_size: int = 10, synchronous: str = "FULL"):
        super().__init__()
        self.path = sqlite_path(url)
        self.synchronous = synchronous
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create the folder for the server database "
                               f"{self.path}: {e.strerror or e}") from None
        self._pool = Pool(self._connect, pool_size, reset=self._reset, what="SQLite")

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.DatabaseError as e:
            raise StorageUnavailable(f"cannot open the server database {self.path}: {e}") \
                from None
        return conn

    @staticmethod
    def _reset(conn: sqlite3.Connection) -> bool:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return True

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        with self._pool.connection() as conn:
            try:
                yield conn
            except sqlite3.OperationalError as e:
                if "locked" in str(e) or "busy" in str(e) or "unable to open" in str(e):
                    raise StorageUnavailable(f"the server database is busy: {e}") from None
                raise

    @contextmanager
    def _writer(self) -> Iterator[None]:
        """Hold the writers' queue lock (a file opened per call: the lock is then
        exclusive between threads of one process too). Released on close, also
        when the process dies."""
        if fcntl is None:
            yield
            return
        fd = os.open(f"{self.path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def _tx(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        with self._conn() as conn, self._writer():
            conn.execute(f"BEGIN {mode}")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ---- lifecycle ----------------------------------------------------------------------
    def migrate(self) -> None:
        with self._tx() as c:
            c.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                      "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in c.execute("SELECT name FROM schema_migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for stmt in (s.strip() for s in sql.split(";")):
                    if stmt:
                        c.execute(stmt)
                c.execute("INSERT INTO schema_migrations VALUES (?, ?)",
                          (name, datetime.now(timezone.utc).isoformat()))

    def close(self) -> None:
        self._pool.close()

    def ping(self) -> None:
        with self._conn() as c:
            c.execute("SELECT 1").fetchone()

    # ---- devices --------------------------------------------------------------------------
    def create_device(self, *, device_id, name, member_id, role, token_hash, app_version,
                      created_at):
        with self._tx() as c:
            c.execute("INSERT INTO devices (id, name, token_hash, member_id, role, last_seq, "
                      "app_version, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                      (device_id, name, token_hash, member_id, role, app_version, created_at))
        return Device(device_id, name, member_id, role, 0, created_at)

    def device_by_token_hash(self, token_hash):
        with self._conn() as c:
            row = c.execute("SELECT id, name, member_id, role, last_seq, created_at FROM devices "
                            "WHERE token_hash = ? AND revoked_at IS NULL",
                            (token_hash,)).fetchone()
        return Device(*row) if row else None

    def revoke_device(self, device_id, at):
        with self._tx() as c:
            n = c.execute("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                          (at, device_id)).rowcount
        return n > 0

    def device_last_seq(self, device_id):
        with self._conn() as c:
            return _last_seq(c, device_id)

    def applied_results(self, device_id, seqs):
        with self._conn() as c:
            return _applied(c, device_id, seqs)

    # ---- sync -------------------------------------------------------------------------------
    @contextmanager
    def write_transaction(self) -> Iterator[WriteTx]:
        with self._tx("IMMEDIATE") as c:
            yield _Tx(c)

    def pull(self, after, limit, *, full):
        col = "data" if full else "coalesce(data_public, data)"
        with self._conn() as c:
            rows = c.execute(f"SELECT cursor, type, id, deleted, {col} FROM records "
                             "WHERE cursor > ? ORDER BY cursor LIMIT ?",
                             (after, limit + 1)).fetchall()
        more = len(rows) > limit
        return [PullRow(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows[:limit]], more

    def pull_page(self, after, limit, *, full):
        col = "data" if full else "coalesce(data_public, data)"
        with self._conn() as c:
            # The subquery hands its rows to group_concat in cursor order (pinned by
            # test_pull_pages_in_cursor_order_without_gaps_or_repeats).
            count, last, changes = c.execute(
                f"SELECT count(*), max(cursor), CAST(group_concat(line, ',') AS BLOB) FROM "
                f"(SELECT cursor, {_PULL_LINE.format(col=col)} AS line FROM records "
                "WHERE cursor > ? ORDER BY cursor LIMIT ?)", (after, limit)).fetchone()
            more = count == limit and c.execute(
                "SELECT EXISTS (SELECT 1 FROM records WHERE cursor > ?)", (last,)
            ).fetchone()[0] == 1
        return page_json(changes, count, last, after, more)

    # ---- inspection -----------------------------------------------------------------------
    def get_record(self, rtype, rid):
        with self._conn() as c:
            cur = c.execute("SELECT type, id, data, data_public, deleted, cursor, device_time, "
                            "received_at FROM records WHERE type = ? AND id = ?", (rtype, rid))
            row = cur.fetchone()
            if row is None:
                return None
            d = dict(zip([x[0] for x in cur.description], row))
        d["data"] = json.loads(d["data"]) if d["data"] else None
        d["data_public"] = json.loads(d["data_public"]) if d["data_public"] else None
        d["deleted"] = bool(d["deleted"])
        return d

    def count_records(self, rtype=None):
        with self._conn() as c:
            if rtype:
                return c.execute("SELECT count(*) FROM records WHERE type = ?",
                                 (rtype,)).fetchone()[0]
            return c.execute("SELECT count(*) FROM records").fetchone()[0]

    def applied_log(self, device_id):
        with self._conn() as c:
            return [AppliedRow(*r) for r in c.execute(
                "SELECT seq, status, result FROM applied WHERE device_id = ? ORDER BY seq",
                (device_id,))]

    def signups_of(self, shift_id):
        with self._conn() as c:
            return [SignupRow(*r) for r in c.execute(
                "SELECT id, shift_id, member_id, status, position FROM signups "
                "WHERE shift_id = ? ORDER BY position", (shift_id,))]

    def last_cursor(self):
        with self._conn() as c:
            return c.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0]
