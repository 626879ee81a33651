"""PostgreSQL backend (psycopg 3), for several stateless server processes.

Connections come from a small pool (``base.Pool``), autocommit for reads and an
explicit transaction for each push. A push holds the row lock of the single
``sync_state`` counter row from its start to its commit (``SELECT ... FOR
UPDATE``): see ``base`` for why that keeps pulls from skipping changes. The
batch is written with one ``INSERT ... SELECT FROM unnest(arrays)`` per table, so
a push of 2,000 records is a handful of round trips, not 2,000.

A URL may carry a schema: ``postgresql://u@h/db?options=-csearch_path%3Dmyschema``.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import psycopg
from psycopg import pq

from ..merge import AppliedRow, Key, SignupRow, StoredRecord, loads
from .base import Device, Pool, PullRow, Storage, StorageUnavailable, WriteTx, page_json

_MIGRATION_LOCK = 0x5354524F  # any constant; held while migrating ("STRO")

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_devices_records_applied_signups", """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            member_id TEXT,
            role TEXT NOT NULL,
            last_seq BIGINT NOT NULL DEFAULT 0,
            app_version TEXT,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE records (
            type TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT,
            data_public TEXT,
            deleted BOOLEAN NOT NULL DEFAULT false,
            cursor BIGINT NOT NULL UNIQUE,
            device_id TEXT,
            device_time TEXT,
            received_at TEXT NOT NULL,
            PRIMARY KEY (id, type)
        );
        CREATE TABLE applied (
            device_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            status TEXT NOT NULL,
            result TEXT,
            PRIMARY KEY (device_id, seq)
        );
        CREATE TABLE signups (
            id TEXT PRIMARY KEY,
            shift_id TEXT NOT NULL,
            member_id TEXT,
            status TEXT NOT NULL,
            position BIGINT NOT NULL
        );
        CREATE INDEX signups_shift ON signups (shift_id, status);
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            cursor BIGINT NOT NULL
        );
        INSERT INTO sync_state (id, cursor) VALUES (1, 0);
    """),
]


# One change of a pull page as JSON, built by the database (docs/SYNC.md, Pull); ids
# are UUIDs and types come from the closed list, so neither needs escaping.
_PULL_LINE = (
    "CASE WHEN deleted THEN '{{\"cursor\":' || cursor || ',\"type\":\"' || type || "
    "'\",\"id\":\"' || id || '\",\"op\":\"delete\",\"data\":null}}' "
    "ELSE '{{\"cursor\":' || cursor || ',\"type\":\"' || type || "
    "'\",\"id\":\"' || id || '\",\"op\":\"upsert\",\"data\":' || {col} || '}}' END")


class _Tx(WriteTx):
    def __init__(self, conn: psycopg.Connection):
        self.c = conn

    def lock_cursor(self) -> int:
        # Held until this transaction commits: pushes commit in cursor order.
        return self.c.execute("SELECT cursor FROM sync_state WHERE id = 1 FOR UPDATE"
                              ).fetchone()[0]

    def device_last_seq(self, device_id):
        return _last_seq(self.c, device_id)

    def applied_results(self, device_id, seqs):
        return _applied(self.c, device_id, seqs)

    def load_records(self, keys: list[Key]) -> dict[Key, StoredRecord]:
        out: dict[Key, StoredRecord] = {}
        wanted = set(keys)
        # the ids as one comma-joined text (ids are UUIDs: no comma in them), split by the
        # database: cheaper than adapting a Python list of thousands to an array
        ids = ",".join(sorted({k[1] for k in keys}))
        for rtype, rid, data, deleted in self.c.execute(
                "SELECT type, id, data, deleted FROM records "
                "WHERE id = ANY(string_to_array(%s, ','))", (ids,)):
            if (rtype, rid) in wanted:
                out[(rtype, rid)] = StoredRecord(rtype, rid, loads(data) if data else None,
                                                 deleted)
        return out

    def load_signups(self, shift_id):
        return [SignupRow(*r) for r in self.c.execute(
            "SELECT id, shift_id, member_id, status, position FROM signups "
            "WHERE shift_id = %s AND status IN ('confirmed', 'waitlisted')", (shift_id,))]

    def write(self, *, records, signups, applied, last_seqs, cursor, received_at):
        # New rows go in with COPY (one stream, no per-row round trip, no Python-side
        # array escaping); rows that exist are updated with one pipelined executemany.
        c = self.c
        new = [w for w in records if not w.exists]
        old = [w for w in records if w.exists]
        with c.cursor() as cur:
            if new:
                with cur.copy("COPY records (type, id, data, data_public, deleted, cursor, "
                              "device_id, device_time, received_at) FROM STDIN") as cp:
                    for w in new:
                        cp.write_row((w.type, w.id, w.data, w.data_public, w.deleted, w.cursor,
                                      w.device_id, w.device_time, received_at))
            if old:
                cur.executemany(
                    "UPDATE records SET data = %s, data_public = %s, deleted = %s, cursor = %s, "
                    "device_id = %s, device_time = %s, received_at = %s "
                    "WHERE id = %s AND type = %s",
                    [(w.data, w.data_public, w.deleted, w.cursor, w.device_id, w.device_time,
                      received_at, w.id, w.type) for w in old])
            if signups:
                cur.executemany(
                    "INSERT INTO signups (id, shift_id, member_id, status, position) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                    "status = excluded.status, member_id = excluded.member_id",
                    [(s.id, s.shift_id, s.member_id, s.status, s.position) for s in signups])
            if applied:
                with cur.copy("COPY applied (device_id, seq, status, result) FROM STDIN") as cp:
                    for device_id, a in applied:
                        cp.write_row((device_id, a.seq, a.status, a.result))
            cur.executemany("UPDATE devices SET last_seq = %s WHERE id = %s",
                            [(seq, d) for d, seq in last_seqs.items()])
            cur.execute("UPDATE sync_state SET cursor = %s WHERE id = 1", (cursor,))


def _last_seq(conn, device_id):
    row = conn.execute("SELECT last_seq FROM devices WHERE id = %s AND revoked_at IS NULL",
                       (device_id,)).fetchone()
    return row[0] if row else None


def _applied(conn, device_id, seqs):
    if not seqs:
        return {}
    return dict(conn.execute(
        "SELECT seq, result FROM applied WHERE device_id = %s AND seq BETWEEN %s AND %s",
        (device_id, min(seqs), max(seqs))).fetchall())


class PostgresStorage(Storage):
    name = "postgres"

    def __init__(self, url: str, *, pool_size: int = 10, connect_timeout: int = 10):
        super().__init__()
        self.url = url
        self._connect_timeout = connect_timeout
        self._pool = Pool(self._connect, pool_size, reset=self._reset, what="PostgreSQL")

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self.url, autocommit=True,
                                   connect_timeout=self._connect_timeout)
        except psycopg.OperationalError as e:
            raise StorageUnavailable(
                f"cannot connect to PostgreSQL ({_safe_url(self.url)}): "
                f"{str(e).strip().splitlines()[0] if str(e).strip() else e}") from None

    @staticmethod
    def _reset(conn: psycopg.Connection) -> bool:
        if conn.closed or conn.broken:
            return False
        status = conn.info.transaction_status
        if status == pq.TransactionStatus.IDLE:
            return True
        if status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
            conn.rollback()
            return True
        return False

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        with self._pool.connection() as conn:
            try:
                yield conn
            except psycopg.OperationalError as e:
                raise StorageUnavailable(f"PostgreSQL failed: {e}") from None

    # ---- lifecycle ----------------------------------------------------------------------
    def migrate(self) -> None:
        with self._conn() as c, c.transaction():
            c.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            c.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                      "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in c.execute("SELECT name FROM schema_migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                c.execute(sql)
                c.execute("INSERT INTO schema_migrations VALUES (%s, %s)",
                          (name, datetime.now(timezone.utc).isoformat()))

    def close(self) -> None:
        self._pool.close()

    def ping(self) -> None:
        with self._conn() as c:
            c.execute("SELECT 1").fetchone()

    # ---- devices --------------------------------------------------------------------------
    def create_device(self, *, device_id, name, member_id, role, token_hash, app_version,
                      created_at):
        with self._conn() as c:
            c.execute("INSERT INTO devices (id, name, token_hash, member_id, role, last_seq, "
                      "app_version, created_at) VALUES (%s, %s, %s, %s, %s, 0, %s, %s)",
                      (device_id, name, token_hash, member_id, role, app_version, created_at))
        return Device(device_id, name, member_id, role, 0, created_at)

    def device_by_token_hash(self, token_hash):
        with self._conn() as c:
            row = c.execute("SELECT id, name, member_id, role, last_seq, created_at FROM devices "
                            "WHERE token_hash = %s AND revoked_at IS NULL",
                            (token_hash,)).fetchone()
        return Device(*row) if row else None

    def revoke_device(self, device_id, at):
        with self._conn() as c:
            n = c.execute("UPDATE devices SET revoked_at = %s "
                          "WHERE id = %s AND revoked_at IS NULL", (at, device_id)).rowcount
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
        with self._conn() as c, c.transaction():
            yield _Tx(c)

    def pull(self, after, limit, *, full):
        col = "data" if full else "coalesce(data_public, data)"
        with self._conn() as c:
            rows = c.execute(f"SELECT cursor, type, id, deleted, {col} FROM records "
                             "WHERE cursor > %s ORDER BY cursor LIMIT %s",
                             (after, limit + 1)).fetchall()
        more = len(rows) > limit
        return [PullRow(*r) for r in rows[:limit]], more

    def pull_page(self, after, limit, *, full):
        col = "data" if full else "coalesce(data_public, data)"
        with self._conn() as c:
            # binary: the page arrives as one bytea, bytes as they are (no text decode)
            count, last, changes = c.execute(
                f"SELECT count(*), max(cursor), "
                f"convert_to(string_agg(line, ',' ORDER BY cursor), 'UTF8') FROM "
                f"(SELECT cursor, {_PULL_LINE.format(col=col)} AS line FROM records "
                "WHERE cursor > %s ORDER BY cursor LIMIT %s) AS page",
                (after, limit), binary=True).fetchone()
            more = count == limit and c.execute(
                "SELECT EXISTS (SELECT 1 FROM records WHERE cursor > %s)", (last,)
            ).fetchone()[0]
        return page_json(changes, count, last, after, more)

    # ---- inspection -----------------------------------------------------------------------
    def get_record(self, rtype, rid):
        with self._conn() as c:
            cur = c.execute("SELECT type, id, data, data_public, deleted, cursor, device_time, "
                            "received_at FROM records WHERE type = %s AND id = %s", (rtype, rid))
            row = cur.fetchone()
            if row is None:
                return None
            d = dict(zip([x.name for x in cur.description], row))
        d["data"] = json.loads(d["data"]) if d["data"] else None
        d["data_public"] = json.loads(d["data_public"]) if d["data_public"] else None
        return d

    def count_records(self, rtype=None):
        with self._conn() as c:
            if rtype:
                return c.execute("SELECT count(*) FROM records WHERE type = %s",
                                 (rtype,)).fetchone()[0]
            return c.execute("SELECT count(*) FROM records").fetchone()[0]

    def applied_log(self, device_id):
        with self._conn() as c:
            return [AppliedRow(*r) for r in c.execute(
                "SELECT seq, status, result FROM applied WHERE device_id = %s ORDER BY seq",
                (device_id,))]

    def signups_of(self, shift_id):
        with self._conn() as c:
            return [SignupRow(*r) for r in c.execute(
                "SELECT id, shift_id, member_id, status, position FROM signups "
                "WHERE shift_id = %s ORDER BY position", (shift_id,))]

    def last_cursor(self):
        with self._conn() as c:
            return c.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0]


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:
        return "the configured URL"
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items() if k in ("host", "port", "dbname", "user"))
