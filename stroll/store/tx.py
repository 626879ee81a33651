"""Writes inside one transaction: the object ``Store.transaction()`` hands out.

Everything written through one ``Transaction`` (records, their outbox entries, the
patrol's buffer rows and state) commits together or not at all. Callers never see
the SQLite connection; they call these methods:

    with store.transaction() as tx:
        tx.save(record)
        tx.update("stroll", stroll_id, status="paused")
        tx.put_patrol_state(state)

Reads through the store inside the ``with`` block see what was written so far.
A ``Transaction`` is good only inside its ``with`` block.
"""
from __future__ import annotations

import dataclasses
import json
import sqlite3
from typing import Any, Callable, Iterable

from stroll.domain import Record, record_class
from stroll.domain.disclosure import filled
from stroll.domain.geo import Fix
from stroll.store.atrest import SENSITIVE, Sealer
from stroll.store.errors import RecordNotFound, StoreError

PATROL_STATE_COLS = ("stroll_id", "started_t", "ended_t", "paused_s", "paused_since",
                     "distance_m", "points", "next_seq", "anchor_lat", "anchor_lon",
                     "last_lat", "last_lon", "last_t", "last_accuracy")
# what the person last saw of one of their sign-ups (device-local, migration 0007)
SIGNUP_SEEN_COLS = ("signup_id", "status", "reason_code", "starts_at", "ends_at", "seen_at")


# ---- rows: records as they are stored (lists and dicts as JSON, booleans as 0/1,
# sensitive fields sealed by the store's ``Sealer``: see ``stroll.store.atrest``) ----

def _to_row(cls: type[Record], data: dict, sealer: Sealer | None = None) -> dict:
    row = {}
    for f in dataclasses.fields(cls):
        v = data.get(f.name)
        row[f.name] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
    return sealer.seal_fields(cls.TYPE, row["id"], row) if sealer else row


_KINDS: dict[type, tuple[tuple[str, str], ...]] = {}


def _kinds(cls: type[Record]) -> tuple[tuple[str, str], ...]:
    """Each field's name and how its column is read back ("list", "dict", "bool" or
    ""), worked out once a record class (a screen may read hundreds of rows)."""
    kinds = _KINDS.get(cls)
    if kinds is None:
        def kind(t: str) -> str:
            return t if t in ("list", "dict") else "bool" if "bool" in t else ""
        kinds = _KINDS[cls] = tuple((f.name, kind(str(f.type))) for f in dataclasses.fields(cls))
    return kinds


def _from_row(cls: type[Record], row: dict, sealer: Sealer | None = None) -> dict:
    if sealer and cls.TYPE in SENSITIVE:
        row = sealer.open_fields(cls.TYPE, row["id"], dict(row))
    out = {}
    get = row.get
    for name, kind in _kinds(cls):
        v = get(name)
        if kind == "bool":
            v = None if v is None else bool(v)
        elif kind:
            v = json.loads(v) if v and v not in ("[]", "{}") else [] if kind == "list" else {}
        out[name] = v
    return out


def get_row(conn: sqlite3.Connection, cls: type[Record], record_id: str,
            sealer: Sealer) -> dict | None:
    cur = conn.execute(f"SELECT * FROM [{cls.TYPE}] WHERE id = ?", (record_id,))
    row = cur.fetchone()
    if row is None:
        return None
    return _from_row(cls, dict(zip([c[0] for c in cur.description], row)), sealer)


def upsert_row(conn: sqlite3.Connection, cls: type[Record], data: dict,
               sealer: Sealer) -> None:
    row = _to_row(cls, data, sealer)
    cols = list(row)
    conn.execute(
        f"INSERT OR REPLACE INTO [{cls.TYPE}] ({', '.join(f'[{c}]' for c in cols)}) "
        f"VALUES ({', '.join('?' for _ in cols)})", [row[c] for c in cols])


def put_setting(conn: sqlite3.Connection, key: str, value: Any, sealer: Sealer) -> None:
    conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)",
                 (key, sealer.seal_setting(key, json.dumps(value, ensure_ascii=False))))


def read_setting(conn: sqlite3.Connection, key: str, sealer: Sealer) -> str | None:
    """The setting's JSON text (opened when sealed), or None when it is not set."""
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return sealer.open_setting(key, row[0]) if row else None


def pending_payloads(conn: sqlite3.Connection, sealer: Sealer, rtype: str, rid: str,
                     ops: tuple[str, ...]) -> list[tuple[int, str, dict]]:
    """(seq, op, data) of the record's pending outbox entries with one of ``ops``, in
    seq order, their data opened."""
    return [(seq, op, sealer.open_fields(rtype, rid, json.loads(payload)))
            for seq, op, payload in conn.execute(
                "SELECT seq, op, payload FROM outbox WHERE record_type = ? AND record_id = ? "
                f"AND state = 'pending' AND op IN ({', '.join('?' for _ in ops)}) "
                "ORDER BY seq", (rtype, rid, *ops))]


# ---- the transaction ---------------------------------------------------------------

class Transaction:
    """One open SQLite transaction of a Store (see the module docstring). ``clock``
    gives the device time stamped on each outbox entry; ``sealer`` seals the sensitive
    fields and secret settings it writes."""

    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], str], sealer: Sealer):
        self._conn = conn
        self._clock = clock
        self._sealer = sealer
        self._open = True

    def _live(self) -> sqlite3.Connection:
        if not self._open or not self._conn.in_transaction:
            raise StoreError("this write must run inside Store.transaction()")
        return self._conn

    def _close(self) -> None:
        self._open = False

    def _outbox(self, rtype: str, rid: str, op: str, payload: dict) -> int:
        payload = self._sealer.seal_fields(rtype, rid, payload)
        cur = self._live().execute(
            "INSERT INTO outbox (record_type, record_id, op, payload, device_time) "
            "VALUES (?, ?, ?, ?, ?)",
            (rtype, rid, op, json.dumps(payload, ensure_ascii=False), self._clock()))
        return cur.lastrowid

    # ---- records (each with its outbox entry) ----------------------------------------

    def save(self, record: Record, *, outbox: bool = True) -> Record:
        """Validate and write a whole record (outbox: an ``upsert`` of all fields)."""
        conn = self._live()
        record.validate()
        data = record.to_dict()
        upsert_row(conn, type(record), data, self._sealer)
        if outbox:
            self._outbox(record.TYPE, record.id, "upsert", data)
        return record

    def update(self, record_type: str, record_id: str, **changes: Any) -> Record:
        """Change some fields of a record (outbox: a ``patch`` of the changed fields)."""
        conn = self._live()
        cls = record_class(record_type)
        current = get_row(conn, cls, record_id, self._sealer)
        if current is None:
            raise RecordNotFound(record_type, record_id)
        rec = cls.from_dict({**current, **changes})
        data = rec.to_dict()
        changed = {k: data[k] for k in changes if current.get(k) != data[k]}
        if changed:
            upsert_row(conn, cls, data, self._sealer)
            self._outbox(record_type, record_id, "patch", changed)
        return rec

    def delete(self, record_type: str, record_id: str) -> None:
        cls = record_class(record_type)
        self._live().execute(f"DELETE FROM [{cls.TYPE}] WHERE id = ?", (record_id,))
        self._outbox(record_type, record_id, "delete", {"id": record_id})

    def redact_pending(self, record_type: str, record_id: str, values: dict) -> int:
        """Overwrite ``values`` in the record's outbox entries not yet sent (e.g. a
        location coarsened after the survivor chose less precision), so a detail the
        person withdrew never leaves the device. Returns the entries changed."""
        conn = self._live()
        changed = 0
        for seq, _op, data in pending_payloads(conn, self._sealer, record_type, record_id,
                                               ("upsert", "patch")):
            hit = {k: v for k, v in values.items() if k in data and data[k] != v}
            if hit:
                data.update(hit)
                data = self._sealer.seal_fields(record_type, record_id, data)
                conn.execute("UPDATE outbox SET payload = ? WHERE seq = ?",
                             (json.dumps(data, ensure_ascii=False), seq))
                changed += 1
        return changed

    # ---- a pulled change from the server ------------------------------------------

    def apply_remote(self, change: dict) -> bool:
        """Apply one pulled change (see ``Store.apply_remote``); False when it was
        skipped because the record's delete here is not yet sent."""
        conn = self._live()
        cls = record_class(change["type"])
        rid = change["id"]
        pending = [(op, data) for _seq, op, data in pending_payloads(
            conn, self._sealer, cls.TYPE, rid, ("upsert", "patch", "delete"))]
        if change.get("op") == "delete":
            conn.execute(f"DELETE FROM [{cls.TYPE}] WHERE id = ?", (rid,))
            return True
        if pending and pending[-1][0] == "delete":
            return False
        # a pulled view leaves out fields at their default and survivor fields this
        # scope does not receive (those stay as they are here)
        data = filled(cls.TYPE, change.get("data") or {},
                      get_row(conn, cls, rid, self._sealer))
        data["id"] = rid
        for _op, payload in pending:
            data.update(payload)
        upsert_row(conn, cls, data, self._sealer)
        return True

    def set_setting(self, key: str, value: Any) -> None:
        put_setting(self._live(), key, value, self._sealer)

    # ---- the running stroll's device-local state (never synced, no outbox) ----------

    def put_patrol_state(self, state: dict) -> None:
        cols = [c for c in PATROL_STATE_COLS if c in state]
        self._live().execute(
            f"INSERT OR REPLACE INTO patrol_state ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})", [state[c] for c in cols])

    def put_signup_seen(self, seen: dict) -> None:
        """Keep what the person now saw of one of their sign-ups (``SIGNUP_SEEN_COLS``;
        device-local, no outbox): a change they did not make shows until then."""
        self._live().execute(
            f"INSERT OR REPLACE INTO signup_seen ({', '.join(SIGNUP_SEEN_COLS)}) "
            f"VALUES ({', '.join('?' for _ in SIGNUP_SEEN_COLS)})",
            [seen.get(c) for c in SIGNUP_SEEN_COLS[:-1]] + [seen.get("seen_at") or self._clock()])

    def gps_buffer_add(self, stroll_id: str, fixes: Iterable[Fix]) -> None:
        self._live().executemany(
            "INSERT INTO gps_buffer (stroll_id, lat, lon, t, accuracy) VALUES (?, ?, ?, ?, ?)",
            [(stroll_id, f.lat, f.lon, f.t, f.accuracy) for f in fixes])

    def gps_buffer_clear(self, stroll_id: str) -> int:
        return self._live().execute("DELETE FROM gps_buffer WHERE stroll_id = ?",
                                    (stroll_id,)).rowcount


__all__ = ["Transaction", "PATROL_STATE_COLS", "SIGNUP_SEEN_COLS"]
