"""The device's SQLite store: the only module on the device that touches SQLite.

One file per device (WAL mode, ``synchronous=FULL``: a committed record survives
the process being killed and the phone losing power). The schema is built by
sqlite-utils migrations with named steps that never change once shipped.

Every local write and its outbox entry commit in one transaction. The outbox is
the device's half of the sync protocol: entries carry a per-device sequence
number (``seq``), are sent in order, and are deleted only once the server has
acknowledged them. A record the server rejects stays in the outbox, marked
``rejected`` with the server's reason, so nothing is ever dropped silently.

Survivor details are sealed at rest (``atrest``: the sensitive fields in the record
tables and in outbox entries, and the sync token, AES-GCM with a key from a key
provider, by default ``<db>.key`` beside the file); callers write and read plaintext.
``purge_sensitive`` and ``wipe_member_data`` blank survivor details the device no
longer needs or may no longer hold (``protect``).

The package: this module is ``Store`` (opening the file, transactions, writes,
settings, the outbox); ``tx`` the ``Transaction`` every write goes through;
``queries`` the named questions callers ask; ``drafts`` the forms' unsaved drafts; ``migrations`` the frozen schema
steps; ``atrest`` sealing and the key; ``protect`` the passes that seal or blank
survivor data across the file; ``errors`` the failures. Above the store nobody
writes SQL or holds the SQLite connection.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlite_utils import Database

from stroll.domain import Record, from_dict, now_iso, record_class
from stroll.store import protect
from stroll.store.atrest import (MARKER, KeyFile, KeyProvider, StaticKey, key_path,
                                 open_sealer)
from stroll.store.errors import (DatabaseCorrupt, DatabaseUnreadable, KeyMismatch,
                                 KeyMissing, RecordNotFound, StoreError, StoreFailure)
from stroll.store.drafts import Drafts
from stroll.store.migrations import migrations
from stroll.store.queries import Queries
from stroll.store.tx import Transaction, get_row, put_setting, read_setting


def _owner_only(path: Path) -> None:
    """Read and write for this user only (survivor data lives in the file): a file
    made readable by others (copied, or created by an older version) is tightened."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if p.exists() and p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        except OSError:  # not ours to change (another user's file): reading still works
            pass


class Store(Queries, Drafts):
    """The device database. Thread-safe: one connection guarded by a lock.

    ``keys`` gives the key that seals survivor details (default: ``KeyFile`` at
    ``<db>.key``). A database holding sealed values whose key is missing raises
    ``KeyMissing``, a wrong key ``KeyMismatch``; neither writes anything."""

    def __init__(self, path: str | os.PathLike, *, synchronous: str = "FULL",
                 keys: KeyProvider | None = None):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self._tx: Transaction | None = None
        self._synchronous = synchronous
        self._conn = self._connect(synchronous)
        self.db = Database(self._conn)
        try:
            marker = self._get_key(keys or KeyFile(key_path(self.path)))
            migrations.apply(self.db)
            if marker is None:
                self._seal_plaintext()
        except sqlite3.DatabaseError as e:
            self._conn.close()
            raise DatabaseCorrupt(self.path, str(e)) from None
        except BaseException:
            self._conn.close()
            raise

    def _get_key(self, keys: KeyProvider) -> str | None:
        """Get the key before anything is written (one is made for a database that
        never sealed anything); returns the marker setting (None: nothing sealed yet)."""
        marker = None
        if self.db["setting"].exists():
            row = self._conn.execute("SELECT value FROM setting WHERE key = ?",
                                     (MARKER,)).fetchone()
            marker = row[0] if row else None
        try:
            self._sealer = open_sealer(keys, self.path, marker)
        except OSError as e:
            raise DatabaseUnreadable(self.path, f"its key: {e.strerror or e}") from None
        return marker

    def _seal_plaintext(self) -> None:
        """Seal what an older version left in plaintext, once, in one transaction."""
        with self.transaction():
            sealed = protect.seal_plaintext(self._conn, self._sealer)
        if sealed:
            self._erase_freed()

    def _erase_freed(self) -> None:
        """Move every page out of the WAL into the file and empty the WAL, so values
        just overwritten (zeroed where they were: ``secure_delete``) leave both files.
        Another connection reading at this moment leaves part of the WAL in place
        until its next checkpoint."""
        with self._guarded():
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        path = self.path
        if path.exists():
            if not path.is_file():
                raise DatabaseUnreadable(path, "it is not a file")
            if not os.access(path, os.R_OK | os.W_OK):
                raise DatabaseUnreadable(path, "no permission to read and write it")
            with open(path, "rb") as fh:
                head = fh.read(16)
            if head and head != b"SQLite format 3\x00":
                raise DatabaseCorrupt(path, "it is not a SQLite database")
        else:
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                # created for this user only; SQLite gives its -wal and -shm files the
                # same permissions
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as e:
                raise DatabaseUnreadable(path, e.strerror or str(e)) from None
        _owner_only(path)
        try:
            conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")  # freed space zeroed, not left readable
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise DatabaseCorrupt(path, str(e)) from None
        except OSError as e:  # pragma: no cover - platform specific
            raise DatabaseUnreadable(path, str(e)) from None
        if ok != "ok":
            conn.close()
            raise DatabaseCorrupt(path, ok)
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """Hold the lock; turn a SQLite failure (disk full, closed file, I/O error)
        into a StoreError that says what happened, never a raw traceback."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as e:
                raise StoreFailure(self.path, e) from e

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One SQLite transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on error;
        every write inside goes through the ``Transaction`` it yields. Called inside
        another one (same thread), it joins the outer transaction: the same
        ``Transaction``, committed or rolled back with the outer one."""
        with self._guarded():
            if self._conn.in_transaction:
                yield self._tx or Transaction(self._conn, now_iso, self._sealer)
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._tx = tx = Transaction(self._conn, now_iso, self._sealer)
            try:
                yield tx
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            finally:
                tx._close()
                self._tx = None
            self._conn.execute("COMMIT")

    # ---- writes (each with its outbox entry, in one transaction) -------------------

    def save(self, record: Record, *, outbox: bool = True) -> Record:
        """Validate and write a whole record, with its outbox entry, in one transaction."""
        return self.save_many([record], outbox=outbox)[0]

    def save_many(self, records: Iterable[Record], *, outbox: bool = True) -> list[Record]:
        records = list(records)
        with self.transaction() as tx:
            for rec in records:
                tx.save(rec, outbox=outbox)
        return records

    def update(self, record_type: str, record_id: str, **changes: Any) -> Record:
        """Change some fields of a record. The outbox carries only the changed fields,
        so the server can merge concurrent edits field by field."""
        with self.transaction() as tx:
            return tx.update(record_type, record_id, **changes)

    def delete(self, record_type: str, record_id: str) -> None:
        with self.transaction() as tx:
            tx.delete(record_type, record_id)

    def mark_signups_seen(self, seen: Iterable[dict]) -> None:
        """Keep what the person saw of their sign-ups (``Transaction.put_signup_seen``),
        in one transaction."""
        with self.transaction() as tx:
            for row in seen:
                tx.put_signup_seen(row)

    # ---- reads (more in queries.py) ----------------------------------------------------

    def get(self, record_type: str, record_id: str) -> dict | None:
        with self._guarded():
            return get_row(self._conn, record_class(record_type), record_id, self._sealer)

    def load(self, record_type: str, record_id: str) -> Record:
        data = self.get(record_type, record_id)
        if data is None:
            raise RecordNotFound(record_type, record_id)
        return record_class(record_type)(**data)

    # ---- settings ----------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._guarded():
            text = read_setting(self._conn, key, self._sealer)
        return json.loads(text) if text is not None else default

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting (JSON); one named in ``atrest.SECRET_SETTINGS`` is sealed."""
        with self._guarded():
            put_setting(self._conn, key, value, self._sealer)

    # ---- outbox and sync bookkeeping ---------------------------------------------------

    def pending_count(self) -> int:
        with self._guarded():
            return self._conn.execute(
                "SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]

    def outbox_entries(self, limit: int = 500, state: str = "pending") -> list[dict]:
        with self._guarded():
            cur = self._conn.execute(
                "SELECT seq, record_type, record_id, op, payload, device_time, attempts, error "
                "FROM outbox WHERE state = ? ORDER BY seq LIMIT ?", (state, limit))
            cols = [c[0] for c in cur.description]
            out = []
            for row in cur.fetchall():
                e = dict(zip(cols, row))
                e["payload"] = self._sealer.open_fields(e["record_type"], e["record_id"],
                                                        json.loads(e["payload"]))
                out.append(e)
            return out

    def acknowledge(self, acked: Iterable[int], rejected: dict[int, str] | None = None) -> None:
        """Drop entries the server applied; keep rejected ones, marked, with the reason."""
        with self.transaction():
            self._conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in acked])
            for seq, reason in (rejected or {}).items():
                self._conn.execute(
                    "UPDATE outbox SET state = 'rejected', error = ? WHERE seq = ?", (reason, seq))

    def note_attempt(self, seqs: Iterable[int]) -> None:
        with self.transaction():
            self._conn.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?",
                                   [(s,) for s in seqs])

    def sync_status(self) -> dict:
        with self._guarded():
            pending, rejected = self._conn.execute(
                "SELECT sum(state = 'pending'), sum(state = 'rejected') FROM outbox").fetchone()
        return {"pending": pending or 0, "rejected": rejected or 0,
                "last_synced_at": self.get_setting("sync.last_synced_at"),
                "last_error": self.get_setting("sync.last_error"),
                "last_error_code": self.get_setting("sync.last_error_code")}

    def apply_remote(self, changes: list[dict], cursor: Any) -> int:
        """Apply one pulled page and move the cursor, in one transaction.

        Each change is ``{"type", "id", "op": "upsert"|"delete", "data"}``.
        - A record with local edits still in the outbox keeps those edited fields on
          top of the server's version until they are pushed (the server merges them).
        - A record deleted here with the delete not yet pushed stays deleted.
        - A field absent from the server's data is at its default, except a survivor
          field: that one this device's scope does not receive, and it keeps what it
          had (``stroll.domain.disclosure.filled``).
        """
        with self.transaction() as tx:
            applied = sum(tx.apply_remote(ch) for ch in changes)
            tx.set_setting("sync.cursor", cursor)
        return applied


    # ---- survivor details the device no longer needs -------------------------------

    def purge_sensitive(self) -> int:
        """Blank the survivor details this device no longer needs, of records the
        server has (every record with no outbox entry: a pending or rejected entry
        keeps the record whole, so nothing not yet pushed is lost), by the device's
        role (the ``sync.role`` setting): a volunteer's or ambassador's device every
        one; a coordinator's or admin's those of incidents, follow-ups and referrals
        that are not an open case (``protect.OPEN_CASES``). No outbox entry is written: the server
        keeps its values. A purged record is changed afterwards with ``update`` (a
        patch of the changed fields), never saved whole again. A device with no role
        yet keeps everything. Returns the records blanked."""
        with self.transaction():
            role = self.get_setting("sync.role")
            if role in protect.PURGING_ROLES:
                n = protect.blank_records(self._conn, keep_unsent=True)
            elif role in protect.KEEPING_CASES_ROLES:
                n = protect.blank_records(self._conn, keep_unsent=True, keep_open_cases=True,
                                          types=tuple(protect.OPEN_CASES))
            else:
                return 0
        if n:
            self._erase_freed()
        return n

    def wipe_member_data(self) -> dict[str, int]:
        """The server revoked this device: blank every sensitive field of every record
        and of every outbox entry (survivor details not yet pushed are lost: this
        device may no longer hold them; the rest of those entries stays), and drop
        the token and the device's sync identity (``protect.IDENTITY_SETTINGS``), and
        every unsaved draft (a form's draft may hold survivor details).
        Returns what changed: ``records``, ``outbox_entries``, ``settings``, ``drafts``."""
        with self.transaction():
            out = {"records": protect.blank_records(self._conn, keep_unsent=False),
                   "outbox_entries": protect.blank_outbox(self._conn),
                   "settings": protect.drop_identity(self._conn),
                   "drafts": protect.drop_drafts(self._conn)}
        self._erase_freed()
        return out


def open_store(path: str | os.PathLike) -> Store:
    return Store(path)


__all__ = ["Store", "Transaction", "StoreError", "StoreFailure", "DatabaseCorrupt",
           "DatabaseUnreadable", "KeyMissing", "KeyMismatch", "KeyFile", "KeyProvider",
           "StaticKey", "RecordNotFound", "migrations", "open_store", "from_dict"]
