"""The device's SQLite store: the only module on the device that touches SQLite.

One file per device (WAL mode, ``synchronous=FULL``: a committed record survives
the process being killed and the phone losing power). The schema is built by
sqlite-utils migrations with named steps that never change once shipped.

Every local write and its outbox entry commit in one transaction. The outbox is
the device's half of the sync protocol: entries carry a per-device sequence
number (``seq``), are sent in order, and are deleted only once the server has
acknowledged them. A record the server rejects stays in the outbox, marked
``rejected`` with the server's reason, so nothing is ever dropped silently.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from stroll.domain import RECORD_TYPES, Record, StrollError, from_dict, now_iso, record_class
from stroll.domain.geo import Fix
from stroll.domain.records import parse_time

# ---- errors ----------------------------------------------------------------------


class StoreError(StrollError):
    code = "store_error"


class DatabaseCorrupt(StoreError):
    code = "database_corrupt"

    def __init__(self, path: Path, detail: str):
        self.path = path
        super().__init__(
            f"The stroll database at {path} is damaged ({detail}). It was left untouched: "
            "keep a copy and ask a coordinator to recover it, or start with another file "
            "(--db PATH or STROLL_DB_PATH).")


class DatabaseUnreadable(StoreError):
    code = "database_unreadable"

    def __init__(self, path: Path, detail: str):
        self.path = path
        super().__init__(
            f"The stroll database at {path} cannot be opened ({detail}). Check that the "
            "file and its folder exist and can be read and written by this user.")


class StoreFailure(StoreError):
    code = "store_failure"

    def __init__(self, path: Path, error: Exception):
        self.path = path
        super().__init__(f"The stroll database at {path} could not be read or written "
                         f"({error}). Nothing was changed by this action; try again, and "
                         "if it repeats, free some space or restart the app.")


class RecordNotFound(StoreError):
    code = "record_not_found"

    def __init__(self, record_type: str, record_id: str):
        super().__init__(f"no {record_type} with id {record_id}")


# ---- schema ----------------------------------------------------------------------

migrations = Migrations("stroll-device")


def _columns(cls: type[Record]) -> dict[str, type]:
    cols: dict[str, type] = {}
    for f in dataclasses.fields(cls):
        t = str(f.type)
        cols[f.name] = (float if "float" in t else int if ("int" in t or "bool" in t) else str)
    return cols


@migrations(name="0001_records_outbox_settings")
def _m0001(db: Database) -> None:
    for rtype, cls in RECORD_TYPES.items():
        db[rtype].create(_columns(cls), pk="id", not_null={"id"})
    db.execute("""
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record_type TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('upsert', 'patch', 'delete')),
            payload TEXT NOT NULL,
            device_time TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""")
    db["outbox"].create_index(["record_type", "record_id"])
    db["setting"].create({"key": str, "value": str}, pk="key")
    db["track_chunk"].create_index(["stroll_id", "seq"])
    db["check_in"].create_index(["merchant_id"])
    db["check_in"].create_index(["stroll_id"])
    db["incident"].create_index(["stroll_id"])
    db["shift"].create_index(["starts_at"])
    db["signup"].create_index(["shift_id"])


@migrations(name="0002_gps_buffer")
def _m0002(db: Database) -> None:
    """Device-local patrol tables, never synced (no outbox entries): the GPS fixes of
    a running stroll not yet sealed into a track_chunk, and the stroll's odometer,
    pause clock and last kept fix (see the patrol section of Store)."""
    db.execute("""
        CREATE TABLE gps_buffer (
            id INTEGER PRIMARY KEY,
            stroll_id TEXT NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            t REAL NOT NULL,
            accuracy REAL NOT NULL
        )""")
    db.execute("CREATE INDEX gps_buffer_stroll ON gps_buffer (stroll_id, id)")
    db.execute("""
        CREATE TABLE patrol_state (
            stroll_id TEXT PRIMARY KEY,
            started_t REAL NOT NULL,
            ended_t REAL,
            paused_s REAL NOT NULL DEFAULT 0,
            paused_since REAL,
            distance_m REAL NOT NULL DEFAULT 0,
            points INTEGER NOT NULL DEFAULT 0,
            next_seq INTEGER NOT NULL DEFAULT 0,
            anchor_lat REAL,
            anchor_lon REAL,
            last_lat REAL,
            last_lon REAL,
            last_t REAL,
            last_accuracy REAL
        )""")


def _to_row(cls: type[Record], data: dict) -> dict:
    row = {}
    for f in dataclasses.fields(cls):
        v = data.get(f.name)
        row[f.name] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
    return row


def _from_row(cls: type[Record], row: dict) -> dict:
    out = {}
    for f in dataclasses.fields(cls):
        v = row.get(f.name)
        t = str(f.type)
        if t in ("list", "dict"):
            v = json.loads(v) if v else ([] if t == "list" else {})
        elif "bool" in t and v is not None:
            v = bool(v)
        out[f.name] = v
    return out


# ---- the store -------------------------------------------------------------------


class Store:
    """The device database. Thread-safe: one connection guarded by a lock."""

    def __init__(self, path: str | os.PathLike, *, synchronous: str = "FULL"):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self._conn = self._connect(synchronous)
        self.db = Database(self._conn)
        try:
            migrations.apply(self.db)
        except sqlite3.DatabaseError as e:
            self._conn.close()
            raise DatabaseCorrupt(self.path, str(e)) from None

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
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DatabaseUnreadable(path, e.strerror or str(e)) from None
        try:
            conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on error.
        Called inside another one (same thread), it joins the outer transaction."""
        with self._guarded():
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ---- writes (each with its outbox entry, in one transaction) -------------------

    def _outbox(self, conn, rtype: str, rid: str, op: str, payload: dict) -> int:
        cur = conn.execute(
            "INSERT INTO outbox (record_type, record_id, op, payload, device_time) "
            "VALUES (?, ?, ?, ?, ?)",
            (rtype, rid, op, json.dumps(payload, ensure_ascii=False), now_iso()))
        return cur.lastrowid

    def _upsert_row(self, conn, cls: type[Record], data: dict) -> None:
        row = _to_row(cls, data)
        cols = list(row)
        conn.execute(
            f"INSERT OR REPLACE INTO [{cls.TYPE}] ({', '.join(f'[{c}]' for c in cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})", [row[c] for c in cols])

    def save(self, record: Record, *, outbox: bool = True) -> Record:
        """Validate and write a whole record, with its outbox entry, in one transaction."""
        return self.save_many([record], outbox=outbox)[0]

    def save_many(self, records: Iterable[Record], *, outbox: bool = True) -> list[Record]:
        records = list(records)
        with self.transaction() as conn:
            for rec in records:
                self.save_in(conn, rec, outbox=outbox)
        return records

    def update(self, record_type: str, record_id: str, **changes: Any) -> Record:
        """Change some fields of a record. The outbox carries only the changed fields,
        so the server can merge concurrent edits field by field."""
        with self.transaction() as conn:
            return self.update_in(conn, record_type, record_id, **changes)

    def delete(self, record_type: str, record_id: str) -> None:
        cls = record_class(record_type)
        with self.transaction() as conn:
            conn.execute(f"DELETE FROM [{cls.TYPE}] WHERE id = ?", (record_id,))
            self._outbox(conn, record_type, record_id, "delete", {"id": record_id})

    # ---- reads -------------------------------------------------------------------------

    def _get(self, conn, cls: type[Record], record_id: str) -> dict | None:
        cur = conn.execute(f"SELECT * FROM [{cls.TYPE}] WHERE id = ?", (record_id,))
        row = cur.fetchone()
        if row is None:
            return None
        return _from_row(cls, dict(zip([c[0] for c in cur.description], row)))

    def get(self, record_type: str, record_id: str) -> dict | None:
        with self._guarded():
            return self._get(self._conn, record_class(record_type), record_id)

    def load(self, record_type: str, record_id: str) -> Record:
        data = self.get(record_type, record_id)
        if data is None:
            raise RecordNotFound(record_type, record_id)
        return record_class(record_type)(**data)

    def list(self, record_type: str, where: str | None = None, params: Any = None,
             order_by: str | None = None, limit: int | None = None) -> list[dict]:
        cls = record_class(record_type)
        with self._guarded():
            rows = self.db[cls.TYPE].rows_where(where, params or [], order_by=order_by,
                                                limit=limit)
            return [_from_row(cls, r) for r in rows]

    def count(self, record_type: str, where: str | None = None, params: Any = None) -> int:
        cls = record_class(record_type)
        with self._guarded():
            sql = f"SELECT count(*) FROM [{cls.TYPE}]" + (f" WHERE {where}" if where else "")
            return self._conn.execute(sql, params or []).fetchone()[0]

    # ---- settings ----------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._guarded():
            row = self._conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with self._guarded():
            self._conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                               (key, json.dumps(value, ensure_ascii=False)))

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
                e["payload"] = json.loads(e["payload"])
                out.append(e)
            return out

    def acknowledge(self, acked: Iterable[int], rejected: dict[int, str] | None = None) -> None:
        """Drop entries the server applied; keep rejected ones, marked, with the reason."""
        with self.transaction() as conn:
            conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in acked])
            for seq, reason in (rejected or {}).items():
                conn.execute("UPDATE outbox SET state = 'rejected', error = ? WHERE seq = ?",
                             (reason, seq))

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
        - A field absent from the server's data was not sent to this device (its scope
          may not see sensitive fields): the device keeps what it already had.
        """
        applied = 0
        with self.transaction() as conn:
            for ch in changes:
                cls = record_class(ch["type"])
                rid = ch["id"]
                pending = [(op, json.loads(payload)) for op, payload in conn.execute(
                    "SELECT op, payload FROM outbox WHERE record_type = ? AND record_id = ? "
                    "AND state = 'pending' ORDER BY seq", (cls.TYPE, rid))]
                if ch.get("op") == "delete":
                    conn.execute(f"DELETE FROM [{cls.TYPE}] WHERE id = ?", (rid,))
                    applied += 1
                    continue
                if pending and pending[-1][0] == "delete":
                    continue
                data = self._get(conn, cls, rid) or {}
                data.update(ch.get("data") or {})
                for _op, payload in pending:
                    data.update(payload)
                self._upsert_row(conn, cls, data)
                applied += 1
            conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                         ("sync.cursor", json.dumps(cursor)))
        return applied

    # ---- queries for the screens ------------------------------------------------------

    def neighborhoods(self) -> list[dict]:
        return self.list("neighborhood", order_by="name")

    def routes(self, neighborhood_id: str | None = None) -> list[dict]:
        if neighborhood_id:
            return self.list("route", "neighborhood_id = ?", [neighborhood_id], order_by="name")
        return self.list("route", order_by="name")

    def merchants(self, neighborhood_id: str | None = None) -> list[dict]:
        if neighborhood_id:
            return self.list("merchant", "neighborhood_id = ?", [neighborhood_id],
                             order_by="name")
        return self.list("merchant", order_by="name")

    def last_visits(self, merchant_ids: Iterable[str]) -> dict[str, str]:
        """When each merchant was last checked in with: {merchant_id: at}."""
        ids = list(merchant_ids)
        if not ids:
            return {}
        with self._guarded():
            rows = self._conn.execute(
                f"SELECT merchant_id, max(\"at\") FROM check_in WHERE merchant_id IN "
                f"({', '.join('?' * len(ids))}) GROUP BY merchant_id", ids).fetchall()
        return {mid: at for mid, at in rows if at}

    def members(self, neighborhood_id: str | None = None) -> list[dict]:
        if neighborhood_id:
            return self.list("member", "neighborhood_id = ?", [neighborhood_id], order_by="name")
        return self.list("member", order_by="name")

    def upcoming_shifts(self, now: datetime | None = None, days: int = 7) -> list[dict]:
        """Shifts that end after ``now`` and start within ``days``, each with
        ``confirmed`` (count of confirmed sign-ups) and ``spots_left``."""
        now = (now or datetime.now()).astimezone()
        horizon = now + timedelta(days=days)
        shifts = [s for s in self.list("shift", order_by="starts_at")
                  if parse_time(s["ends_at"]) > now and parse_time(s["starts_at"]) < horizon]
        with self._guarded():
            counts = dict(self._conn.execute(
                "SELECT shift_id, count(*) FROM signup WHERE status = 'confirmed' "
                "GROUP BY shift_id").fetchall())
        for s in shifts:
            s["confirmed"] = counts.get(s["id"], 0)
            s["spots_left"] = max(0, s["capacity"] - s["confirmed"])
        return shifts

    def confirmed_signups(self, shift_id: str) -> list[dict]:
        """The shift's confirmed sign-ups (the server's decision as last pulled)."""
        return self.list("signup", "shift_id = ? AND status = 'confirmed'", [shift_id])

    def stroll_incidents(self, stroll_id: str) -> list[dict]:
        """The stroll's incidents, oldest report first."""
        return sorted(self.list("incident", "stroll_id = ?", [stroll_id]),
                      key=lambda i: i["reported_at"] or "")

    def stroll_count(self, record_type: str, stroll_id: str) -> int:
        """How many ``record_type`` records (check-ins, incidents, track chunks) belong
        to the stroll."""
        return self.count(record_type, "stroll_id = ?", [stroll_id])

    def merchant_check_ins(self, merchant_id: str) -> list[dict]:
        """Every check-in with the merchant (any order)."""
        return self.list("check_in", "merchant_id = ?", [merchant_id])

    def recent_strolls(self, limit: int = 10) -> list[dict]:
        strolls = self.list("stroll", order_by="started_at DESC", limit=limit)
        names = {n["id"]: n["name"] for n in self.neighborhoods()}
        for s in strolls:
            s["team_size"] = len(s["team"])
            s["neighborhood_name"] = names.get(s["neighborhood_id"], "")
        return strolls

    # ---- patrol (GPS buffer) ----
    # A running stroll's device-local working state (tables of migration
    # 0002_gps_buffer, never synced, no outbox): ``gps_buffer`` holds the kept GPS
    # fixes not yet sealed into a track_chunk, each committed as it arrives so a
    # killed app loses none; ``patrol_state`` holds the odometer (distance counted
    # and its anchor fix), pause clock, last kept fix and next chunk number, and
    # marks the strolls started on this device.
    # The methods taking ``conn`` write inside a ``transaction()`` the caller holds,
    # so one patrol action (records, their outbox entries, buffer rows, state)
    # commits as one. Reads use the same connection: inside the caller's
    # transaction they see its writes.

    _PATROL_STATE_COLS = ("stroll_id", "started_t", "ended_t", "paused_s", "paused_since",
                          "distance_m", "points", "next_seq", "anchor_lat", "anchor_lon",
                          "last_lat", "last_lon", "last_t", "last_accuracy")

    @staticmethod
    def _in_tx(conn: sqlite3.Connection) -> None:
        if not conn.in_transaction:
            raise StoreError("this write must run inside Store.transaction()")

    def save_in(self, conn: sqlite3.Connection, record: Record, *,
                outbox: bool = True) -> Record:
        """``save`` inside the caller's transaction."""
        self._in_tx(conn)
        record.validate()
        data = record.to_dict()
        self._upsert_row(conn, type(record), data)
        if outbox:
            self._outbox(conn, record.TYPE, record.id, "upsert", data)
        return record

    def update_in(self, conn: sqlite3.Connection, record_type: str, record_id: str,
                  **changes: Any) -> Record:
        """``update`` inside the caller's transaction (outbox: a patch of the changed fields)."""
        self._in_tx(conn)
        cls = record_class(record_type)
        current = self._get(conn, cls, record_id)
        if current is None:
            raise RecordNotFound(record_type, record_id)
        rec = cls.from_dict({**current, **changes})
        data = rec.to_dict()
        changed = {k: data[k] for k in changes if current.get(k) != data[k]}
        if changed:
            self._upsert_row(conn, cls, data)
            self._outbox(conn, record_type, record_id, "patch", changed)
        return rec

    def redact_pending(self, conn: sqlite3.Connection, record_type: str, record_id: str,
                       values: dict) -> int:
        """Overwrite ``values`` in the record's outbox entries not yet sent (e.g. a
        location coarsened after the survivor chose less precision), so a detail the
        person withdrew never leaves the device. Returns the entries changed."""
        self._in_tx(conn)
        changed = 0
        rows = conn.execute(
            "SELECT seq, payload FROM outbox WHERE record_type = ? AND record_id = ? "
            "AND state = 'pending' AND op IN ('upsert', 'patch')",
            (record_type, record_id)).fetchall()
        for seq, payload in rows:
            data = json.loads(payload)
            hit = {k: v for k, v in values.items() if k in data and data[k] != v}
            if hit:
                data.update(hit)
                conn.execute("UPDATE outbox SET payload = ? WHERE seq = ?",
                             (json.dumps(data, ensure_ascii=False), seq))
                changed += 1
        return changed

    def patrol_state(self, stroll_id: str) -> dict | None:
        with self._guarded():
            row = self._conn.execute(
                f"SELECT {', '.join(self._PATROL_STATE_COLS)} FROM patrol_state "
                "WHERE stroll_id = ?", (stroll_id,)).fetchone()
        return dict(zip(self._PATROL_STATE_COLS, row)) if row else None

    def put_patrol_state(self, conn: sqlite3.Connection, state: dict) -> None:
        self._in_tx(conn)
        cols = [c for c in self._PATROL_STATE_COLS if c in state]
        conn.execute(
            f"INSERT OR REPLACE INTO patrol_state ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})", [state[c] for c in cols])

    def local_strolls(self, statuses: tuple[str, ...] = ("active", "paused")) -> list[dict]:
        """Strolls started on this device (they have a patrol_state row) with one of
        ``statuses``, newest first. Strolls of other devices pulled by sync are not
        among them."""
        cls = record_class("stroll")
        with self._guarded():
            cur = self._conn.execute(
                "SELECT s.* FROM stroll s JOIN patrol_state p ON p.stroll_id = s.id "
                f"WHERE s.status IN ({', '.join('?' for _ in statuses)}) "
                "ORDER BY s.started_at DESC", list(statuses))
            cols = [c[0] for c in cur.description]
            return [_from_row(cls, dict(zip(cols, r))) for r in cur.fetchall()]

    def gps_buffer(self, stroll_id: str) -> list[Fix]:
        with self._guarded():
            return [Fix(*r) for r in self._conn.execute(
                "SELECT lat, lon, t, accuracy FROM gps_buffer WHERE stroll_id = ? ORDER BY id",
                (stroll_id,))]

    def gps_buffer_count(self, stroll_id: str) -> int:
        with self._guarded():
            return self._conn.execute("SELECT count(*) FROM gps_buffer WHERE stroll_id = ?",
                                      (stroll_id,)).fetchone()[0]

    def gps_buffer_add(self, conn: sqlite3.Connection, stroll_id: str,
                       fixes: Iterable[Fix]) -> None:
        self._in_tx(conn)
        conn.executemany(
            "INSERT INTO gps_buffer (stroll_id, lat, lon, t, accuracy) VALUES (?, ?, ?, ?, ?)",
            [(stroll_id, f.lat, f.lon, f.t, f.accuracy) for f in fixes])

    def gps_buffer_clear(self, conn: sqlite3.Connection, stroll_id: str) -> int:
        self._in_tx(conn)
        return conn.execute("DELETE FROM gps_buffer WHERE stroll_id = ?", (stroll_id,)).rowcount

    def track_parts(self, stroll_id: str) -> tuple[list[dict], list[Fix]]:
        """A stroll's sealed track chunks (by seq) and its buffered fixes, read
        together so a chunk sealed meanwhile is neither missed nor counted twice."""
        with self._guarded():
            chunks = self.list("track_chunk", "stroll_id = ?", [stroll_id], order_by="seq")
            return chunks, self.gps_buffer(stroll_id)


def open_store(path: str | os.PathLike) -> Store:
    return Store(path)


def default_db_path() -> Path:
    """The user's data folder (XDG on Linux; the app's data dir on a phone)."""
    base = os.environ.get("FLET_APP_STORAGE_DATA") or os.environ.get("XDG_DATA_HOME") \
        or str(Path.home() / ".local" / "share")
    return Path(base) / "stroll" / "stroll.db"


__all__ = ["Store", "StoreError", "StoreFailure", "DatabaseCorrupt", "DatabaseUnreadable",
           "RecordNotFound",
           "migrations", "open_store", "default_db_path", "from_dict"]
