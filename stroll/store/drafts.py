"""What a person has typed into a form and not saved yet: the device's drafts.

A draft is one row per open form (``key``: the form and what it is about, e.g.
``incident:<id>`` or ``quick_incident:<stroll id>``), written as it is typed so that
Back, a tab change, a reload, the app being killed or the battery dying lose nothing.
Drafts never sync (no outbox entry): they are this device's until the form is saved
or the person discards them.

A draft may hold survivor details (the full incident form), so its values are sealed
whole (AES-GCM, ``atrest``) like every sensitive field. A draft is written with
``synchronous=NORMAL`` for that one commit: it is in the WAL, so it survives the
process being killed; a power cut may lose the last keystrokes of a draft (never a
saved record: every other commit stays ``FULL``, and the next one makes the drafts
before it durable too). This keeps a keystroke's write well under the 5 ms budget on
a slow phone disk (bench/drafts.py).
"""
from __future__ import annotations

import json
from typing import Any


# The durability of a draft's commit (the store's other commits stay FULL).
DRAFT_SYNCHRONOUS = "NORMAL"


def _where(key: str) -> str:
    return f"draft:{key}"


class Drafts:
    """The drafts of ``Store`` (a mixin: it provides ``_guarded``, ``_conn``,
    ``_sealer`` and ``_synchronous``)."""

    def put_draft(self, key: str, form: str, data: dict, *, stroll_id: str | None = None,
                  at: str) -> None:
        """Keep ``data`` (JSON values) as the draft ``key`` of the form ``form``."""
        sealed = self._sealer.seal(json.dumps(data, ensure_ascii=False), _where(key))
        with self._guarded():
            conn = self._conn
            if conn.in_transaction:  # inside a caller's transaction: its durability
                self._write_draft(key, form, sealed, stroll_id, at)
                return
            conn.execute(f"PRAGMA synchronous={DRAFT_SYNCHRONOUS}")
            try:
                self._write_draft(key, form, sealed, stroll_id, at)
            finally:
                conn.execute(f"PRAGMA synchronous={self._synchronous}")

    def _write_draft(self, key: str, form: str, sealed: str, stroll_id: str | None,
                     at: str) -> None:
        self._conn.execute(
            "INSERT INTO draft (key, form, stroll_id, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET form = excluded.form, "
            "stroll_id = excluded.stroll_id, data = excluded.data, "
            "updated_at = excluded.updated_at",
            (key, form, stroll_id, sealed, at))

    def draft(self, key: str) -> dict | None:
        """The draft ``key``'s data, or None."""
        with self._guarded():
            row = self._conn.execute("SELECT data FROM draft WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._open_draft(key, row[0])

    def drafts(self) -> list[dict]:
        """Every draft, newest first: ``key``, ``form``, ``stroll_id``, ``updated_at``
        and ``data``."""
        with self._guarded():
            rows = self._conn.execute(
                "SELECT key, form, stroll_id, data, updated_at FROM draft "
                "ORDER BY updated_at DESC, key").fetchall()
        return [{"key": k, "form": f, "stroll_id": s, "updated_at": u,
                 "data": self._open_draft(k, d)} for k, f, s, d, u in rows]

    def discard_draft(self, key: str) -> bool:
        """Forget the draft ``key`` (saved, or discarded by the person)."""
        with self._guarded():
            return self._conn.execute("DELETE FROM draft WHERE key = ?", (key,)).rowcount > 0

    def _open_draft(self, key: str, text: str) -> Any:
        return json.loads(self._sealer.open(text, _where(key)))


__all__ = ["Drafts"]
