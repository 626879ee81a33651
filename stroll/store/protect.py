"""Passes over the whole database that protect survivor data: sealing what an older
version left in plaintext, blanking survivor details the device no longer needs.

Each runs inside the caller's transaction (``Store`` opens it and, after the commit,
checkpoints the WAL so the old values leave it; the connection has ``secure_delete``
on, so freed space is zeroed). Sealing itself is ``stroll.store.atrest``.
"""
from __future__ import annotations

import dataclasses
import json
import sqlite3

from stroll.domain import record_class
from stroll.store.atrest import MARKER, SECRET_SETTINGS, SENSITIVE, Sealer

# Device roles (the ``sync.role`` setting) that keep survivor details only until the
# server has them: their scope may not read them back, so the device need not keep them.
PURGING_ROLES = frozenset({"volunteer", "ambassador"})

# The settings that make this device a member's enrolled device (dropped by a wipe);
# the cursor goes too, so a device enrolled again pulls what its new scope may see.
IDENTITY_SETTINGS = ("sync.token", "sync.device_id", "sync.role", "sync.seq_offset",
                     "sync.auth_required", "sync.cursor", "sync.calendar_url")


def _nonblank(names: tuple[str, ...]) -> str:
    return " OR ".join(f"([{n}] IS NOT NULL AND [{n}] != '')" for n in names)


def blanks(rtype: str) -> dict[str, object]:
    """The blank value of each sensitive field: its default ("" or None)."""
    fields = {f.name: f for f in dataclasses.fields(record_class(rtype))}
    return {n: fields[n].default for n in SENSITIVE[rtype]}


def seal_plaintext(conn: sqlite3.Connection, sealer: Sealer) -> int:
    """Seal every sensitive value and secret setting of a database that has no marker
    (all its values are plaintext), then write the marker. Returns the values sealed;
    does nothing when another process wrote the marker first."""
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (MARKER,)).fetchone()
    if row:
        sealer.check_marker(row[0])
        return 0
    n = 0
    for rtype, names in SENSITIVE.items():
        cols = ", ".join(f"[{c}]" for c in names)
        sets = ", ".join(f"[{c}] = ?" for c in names)
        for rid, *values in conn.execute(
                f"SELECT id, {cols} FROM [{rtype}] WHERE {_nonblank(names)}").fetchall():
            sealed = [sealer.seal(v, f"{rtype}.{c}/{rid}") for c, v in zip(names, values)]
            n += sum(a != b for a, b in zip(values, sealed))
            conn.execute(f"UPDATE [{rtype}] SET {sets} WHERE id = ?", [*sealed, rid])
    types = list(SENSITIVE)
    for seq, rtype, rid, payload in conn.execute(
            "SELECT seq, record_type, record_id, payload FROM outbox WHERE record_type IN "
            f"({', '.join('?' for _ in types)})", types).fetchall():
        data = json.loads(payload)
        sealed = sealer.seal_fields(rtype, rid, data)
        if sealed is not data:
            n += 1
            conn.execute("UPDATE outbox SET payload = ? WHERE seq = ?",
                         (json.dumps(sealed, ensure_ascii=False), seq))
    for key in sorted(SECRET_SETTINGS):
        row = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        if row and row[0] != "null":
            n += 1
            conn.execute("UPDATE setting SET value = ? WHERE key = ?",
                         (sealer.seal_setting(key, row[0]), key))
    conn.execute("INSERT INTO setting (key, value) VALUES (?, ?)", (MARKER, sealer.marker()))
    return n


# What a coordinator's device keeps: survivor details of a case still open (an incident
# with a follow-up that is not closed, that follow-up and its referrals); the rest only
# until sent.
OPEN_CASES = {
    "incident": "id IN (SELECT incident_id FROM follow_up WHERE status != 'closed')",
    "follow_up": "status != 'closed'",
    "referral": "incident_id IN (SELECT incident_id FROM follow_up WHERE status != 'closed')",
}
KEEPING_CASES_ROLES = frozenset({"coordinator", "admin"})


def blank_records(conn: sqlite3.Connection, *, keep_unsent: bool,
                  keep_open_cases: bool = False,
                  types: tuple[str, ...] | None = None) -> int:
    """Blank the sensitive fields of every record (``keep_unsent``: of every record
    without an outbox entry, pending or rejected, i.e. one the server has, so nothing
    not yet pushed is lost; ``keep_open_cases``: but not of an open case, see
    ``OPEN_CASES``; ``types``: only these record types). Returns the records changed."""
    n = 0
    for rtype, names in SENSITIVE.items():
        if types is not None and rtype not in types:
            continue
        blank = blanks(rtype)
        sets = ", ".join(f"[{c}] = ?" for c in names)
        where = f"({_nonblank(names)})"
        params: list = [blank[c] for c in names]
        if keep_unsent:
            where += " AND id NOT IN (SELECT record_id FROM outbox WHERE record_type = ?)"
            params.append(rtype)
        if keep_open_cases and rtype in OPEN_CASES:
            where += f" AND NOT ({OPEN_CASES[rtype]})"
        n += conn.execute(f"UPDATE [{rtype}] SET {sets} WHERE {where}", params).rowcount
    return n


def blank_outbox(conn: sqlite3.Connection) -> int:
    """Blank the sensitive fields carried by outbox entries (they stay, with the rest of
    their data). Returns the entries changed."""
    n = 0
    types = list(SENSITIVE)
    for seq, rtype, payload in conn.execute(
            "SELECT seq, record_type, payload FROM outbox WHERE record_type IN "
            f"({', '.join('?' for _ in types)})", types).fetchall():
        data = json.loads(payload)
        hit = {k: v for k, v in blanks(rtype).items() if k in data and data[k] != v}
        if hit:
            data.update(hit)
            n += 1
            conn.execute("UPDATE outbox SET payload = ? WHERE seq = ?",
                         (json.dumps(data, ensure_ascii=False), seq))
    return n


def drop_identity(conn: sqlite3.Connection) -> int:
    return conn.executemany("DELETE FROM setting WHERE key = ?",
                            [(k,) for k in IDENTITY_SETTINGS]).rowcount


def drop_drafts(conn: sqlite3.Connection) -> int:
    """Forget every unsaved form (a revoked device: a draft may hold survivor details)."""
    return conn.execute("DELETE FROM draft").rowcount


__all__ = ["PURGING_ROLES", "IDENTITY_SETTINGS", "seal_plaintext", "blank_records",
           "blank_outbox", "drop_identity", "drop_drafts", "blanks"]
