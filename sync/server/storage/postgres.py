"""PostgreSQL backend (psycopg 3), for several stateless server processes.

Connections come from a small pool (``pool.Pool``), autocommit for reads and an
explicit transaction for each push. A push holds the row lock of the single
``sync_state`` counter row from its start to its commit (``SELECT ... FOR
UPDATE``): see ``push`` for why that keeps pulls from skipping changes. New
rows are written with COPY and changed ones with one pipelined ``executemany``, so
a push of 2,000 records is a handful of round trips, not 2,000. The statements are
``sql``'s, shared with SQLite.

A URL may carry a schema: ``postgresql://u@h/db?options=-csearch_path%3Dmyschema``.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg import pq

from . import sql
from .base import StorageUnavailable
from .pool import Pool
from .sql import SQLStorage, SQLWriteTx, record_row

_MIGRATION_LOCK = 0x5354524F  # any constant; held while migrating ("STRO")


class _Tx(SQLWriteTx):
    # New rows go in with COPY (one stream, no per-row round trip, no Python-side
    # array escaping); rows that exist are updated with one pipelined executemany.
    def write_records(self, cur, records, received_at):
        new = [w for w in records if not w.exists]
        old = [w for w in records if w.exists]
        if new:
            with cur.copy(sql.COPY_RECORDS) as cp:
                for w in new:
                    cp.write_row(record_row(w, received_at))
        if old:
            cur.executemany(self.d.sql(sql.UPDATE_RECORDS), [
                (w.data, w.data_public, w.data_coarse, w.survivor, w.deleted, w.cursor,
                 w.device_id, w.device_time, received_at, w.owner, w.audience, w.id, w.type)
                for w in old])

    def write_applied(self, cur, applied):
        if applied:
            with cur.copy(sql.COPY_APPLIED) as cp:
                for device_id, a in applied:
                    cp.write_row((device_id, a.seq, a.status, a.result))


class PostgresStorage(SQLStorage):
    name = "postgres"
    dialect = sql.POSTGRES
    write_tx = _Tx

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

    def _unavailable(self, error):
        if isinstance(error, psycopg.OperationalError):
            return StorageUnavailable(f"PostgreSQL failed: {error}")
        return None

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        with self._conn() as c, c.transaction():
            yield c

    @contextmanager
    def _migration(self) -> Iterator[psycopg.Connection]:
        """One transaction, holding an advisory lock: processes migrate one at a time."""
        with self._transaction() as c:
            c.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            yield c

    def _single_write(self):
        return self._conn()  # autocommit


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:
        return "the configured URL"
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items() if k in ("host", "port", "dbname", "user"))
