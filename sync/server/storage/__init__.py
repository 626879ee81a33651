"""Server storage: one interface (``base.Storage``), two backends (SQLite, PostgreSQL)
on one set of statements (``sql``), the push with group commit (``push``), a
connection pool per process (``pool``)."""
from __future__ import annotations

from .base import (ConsoleAccount, ConsoleSession, Device, DeviceNotFound, LoginTaken,
                   PullRow, PushOutcome, SequenceGap, Storage, StorageError,
                   StorageUnavailable)


def open_storage(url: str, *, pool_size: int = 10, sqlite_synchronous: str = "FULL",
                 migrate: bool = True) -> Storage:
    """The backend for ``url`` (``sqlite:///...`` or ``postgresql://...``), migrated."""
    if url.startswith("sqlite:"):
        from .sqlite import SQLiteStorage
        storage: Storage = SQLiteStorage(url, pool_size=pool_size, synchronous=sqlite_synchronous)
    elif url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStorage
        storage = PostgresStorage(url, pool_size=pool_size)
    else:
        raise StorageError(f"unsupported database URL {url.split(':', 1)[0]!r}: use "
                           "sqlite:////path/to/file.db or postgresql://user@host/dbname")
    if migrate:
        try:
            storage.migrate()
        except BaseException:
            storage.close()
            raise
    return storage


__all__ = ["open_storage", "Storage", "Device", "DeviceNotFound", "PullRow", "PushOutcome",
           "SequenceGap", "StorageError", "StorageUnavailable", "ConsoleAccount",
           "ConsoleSession", "LoginTaken"]
