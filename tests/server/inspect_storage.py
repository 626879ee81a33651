"""What a server storage holds, for tests: its rows looked at through the storage's
own statements (``sync.server.storage.sql``) and ``Storage.query``. Not part of the
server: it answers devices through pushes and pulls only.

Functions take a storage; ``Inspector`` wraps one with the same names as methods
(for helpers that are handed "something to inspect")."""
from __future__ import annotations

import json

from sync.server.merge import AppliedRow, stored_record
from sync.server.signups import SignupRow
from sync.server.storage import Storage, sql


def get_record(storage: Storage, rtype: str, rid: str) -> dict | None:
    """``{"type", "id", "data", "data_public", "deleted", "cursor", "device_time",
    "received_at"}`` with ``data`` decoded, or None."""
    rows = storage.query(sql.RECORD, (rtype, rid))
    if not rows:
        return None
    d = dict(zip(sql.RECORD_FIELDS, rows[0]))
    # as the server reads them: the whole record (fields at their default are not stored)
    d["data"] = stored_record(rtype, d["data"]) if d["data"] else None
    d["data_public"] = json.loads(d["data_public"]) if d["data_public"] else None
    d["deleted"] = bool(d["deleted"])
    return d


def count_records(storage: Storage, rtype: str | None = None) -> int:
    if rtype:
        return storage.query(sql.COUNT_RECORDS_OF_TYPE, (rtype,))[0][0]
    return storage.query(sql.COUNT_RECORDS)[0][0]


def applied_log(storage: Storage, device_id: str) -> list[AppliedRow]:
    return [AppliedRow(*r) for r in storage.query(sql.APPLIED_LOG, (device_id,))]


def signups_of(storage: Storage, shift_id: str) -> list[SignupRow]:
    return [SignupRow(*r) for r in storage.query(sql.SIGNUPS_OF, (shift_id,))]


def last_cursor(storage: Storage) -> int:
    return storage.query(sql.CURSOR)[0][0]


class Inspector:
    """A storage and the functions above as its methods; ``close`` closes the storage."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def get_record(self, rtype: str, rid: str) -> dict | None:
        return get_record(self.storage, rtype, rid)

    def count_records(self, rtype: str | None = None) -> int:
        return count_records(self.storage, rtype)

    def applied_log(self, device_id: str) -> list[AppliedRow]:
        return applied_log(self.storage, device_id)

    def signups_of(self, shift_id: str) -> list[SignupRow]:
        return signups_of(self.storage, shift_id)

    def last_cursor(self) -> int:
        return last_cursor(self.storage)

    def close(self) -> None:
        self.storage.close()
