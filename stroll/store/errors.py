"""What can go wrong with the device database, each failure a class named after it.

The three failures about the file itself carry its ``path`` and a message that says
what happened and what the user can do; ``RecordNotFound`` names the type and id.
"""
from __future__ import annotations

from pathlib import Path

from stroll.domain import StrollError
from stroll.domain.errors import TemplatedError


class StoreError(StrollError):
    code = "store_error"


class _DatabaseFileError(StoreError, TemplatedError):
    """A failure of the database file at ``path``; ``message`` is filled in with the
    path and the detail (what SQLite or the file system said)."""
    FIELDS = ("path", "detail")


class DatabaseCorrupt(_DatabaseFileError, code="database_corrupt", message=(
        "The stroll database at {path} is damaged ({detail}). It was left untouched: keep "
        "a copy and ask a coordinator to recover it, or start with another file (--db PATH "
        "or STROLL_DB_PATH).")):
    """Not a SQLite database, or a damaged one: never written to."""


class DatabaseUnreadable(_DatabaseFileError, code="database_unreadable", message=(
        "The stroll database at {path} cannot be opened ({detail}). Check that the file "
        "and its folder exist and can be read and written by this user.")):
    """Missing, not a file, or no permission."""


class StoreFailure(_DatabaseFileError, code="store_failure", message=(
        "The stroll database at {path} could not be read or written ({detail}). Nothing "
        "was changed by this action; try again, and if it repeats, free some space or "
        "restart the app.")):
    """A read or write that SQLite refused (disk full, closed file, I/O error)."""


class _StoreKeyError(StoreError, TemplatedError):
    """The key of the sealed survivor details (``stroll.store.atrest``) does not do:
    ``path`` is the database, ``key`` where its key lives (in words)."""
    FIELDS = ("path", "key")


class KeyMissing(_StoreKeyError, code="store_key_missing", message=(
        "The stroll database at {path} holds encrypted survivor details, but its key "
        "({key}) is missing. Nothing was read or changed. Put back the key that was made "
        "with this database (restore it from the same backup as the database); without "
        "it those details cannot be read. To start afresh instead, move the database away "
        "and open a new one (--db PATH or STROLL_DB_PATH).")):
    """Sealed values in the file, no key: never a silently empty field."""


class KeyMismatch(_StoreKeyError, code="store_key_mismatch", message=(
        "The key ({key}) does not open the encrypted survivor details in the stroll "
        "database at {path}: it belongs to another database, or it is damaged. Nothing "
        "was changed. Put back the key that was made with this database.")):
    """A key that fails to open the sealed values (another database's, or damaged)."""


class RecordNotFound(StoreError):
    code = "record_not_found"

    def __init__(self, record_type: str, record_id: str):
        super().__init__(f"no {record_type} with id {record_id}")


__all__ = ["StoreError", "DatabaseCorrupt", "DatabaseUnreadable", "StoreFailure",
           "KeyMissing", "KeyMismatch", "RecordNotFound"]
