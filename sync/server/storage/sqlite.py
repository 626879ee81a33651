"""SQLite backend: one file, WAL, one writer at a time (``BEGIN IMMEDIATE``).

Writers of several server processes queue on an OS lock of a file beside the
database (``<file>.write-lock``) before ``BEGIN IMMEDIATE``: the kernel wakes the
next writer the moment the lock is free, where SQLite's own busy wait sleeps in
steps of up to 100 ms and leaves the database idle meanwhile.

Durability: ``synchronous=FULL`` by default, so a push the server acknowledged
survives a crash of the process or of the machine. A push is one transaction:
if the process is killed mid-batch, SQLite's journal rolls the batch back.

The statements are ``sql``'s, shared with PostgreSQL; what is SQLite's own here is
the connection, the write lock and writing records with one upsert.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows has no fcntl: there SQLite's busy wait alone queues writers
    fcntl = None

from . import sql
from .base import StorageError, StorageUnavailable
from .pool import Pool
from .sql import SQLStorage, SQLWriteTx, record_row


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (SQLAlchemy style)."""
    if not url.startswith("sqlite:///"):
        raise StorageError(f"not a SQLite URL: {url!r} (use sqlite:////absolute/path.db)")
    rest = url[len("sqlite:///"):]
    if not rest or rest == ":memory:":
        raise StorageError("the server needs a SQLite file, not an in-memory database")
    return Path(rest).expanduser()


class _Tx(SQLWriteTx):
    def write_records(self, cur, records, received_at):
        cur.executemany(sql.UPSERT_RECORDS, [record_row(w, received_at) for w in records])

    def write_applied(self, cur, applied):
        cur.executemany(sql.INSERT_APPLIED, [(d, a.seq, a.status, a.result) for d, a in applied])


class SQLiteStorage(SQLStorage):
    name = "sqlite"
    dialect = sql.SQLITE
    write_tx = _Tx

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

    def _unavailable(self, error):
        e = str(error)
        if isinstance(error, sqlite3.OperationalError) and (
                "locked" in e or "busy" in e or "unable to open" in e):
            return StorageUnavailable(f"the server database is busy: {e}")
        return None

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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: the writers' queue lock, then ``BEGIN IMMEDIATE``."""
        with self._conn() as conn, self._writer():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
