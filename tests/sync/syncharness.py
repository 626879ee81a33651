"""Devices (a real Store file + SyncClient + SyncEngine) and the invariants every sync
test asserts: zero records lost, zero duplicated, every store converges to the same
records, outboxes empty except rejected entries."""
from __future__ import annotations

import collections
import time
from pathlib import Path

from stroll.domain import RECORD_TYPES
from stroll.store import Store
from sync.client import SyncClient, SyncError, TransientError
from sync.engine import Backoff, SyncEngine


class Device:
    """A device signed in (when given ``invite``, a function role -> invite code made
    on the server) as a new member of ``role``: a coordinator by default, who may
    write and read every record, so every store converges to the server's."""

    def __init__(self, name: str, path: Path, url: str, *, invite=None,
                 role: str = "coordinator", **engine_kw):
        self.name = name
        self.invite = invite
        self.store = Store(path, synchronous="NORMAL")
        self.client = SyncClient(url, timeout=(2, 15))
        engine_kw.setdefault("backoff", Backoff(base=0.05, cap=0.5))
        engine_kw.setdefault("probe_interval", 0.1)
        self.engine = SyncEngine(self.store, self.client, device_name=name, **engine_kw)
        if invite is not None:
            for attempt in range(30):  # (through a faulty proxy, a sign-in may need a retry)
                try:
                    self.engine.sign_in(invite(role))
                    break
                except TransientError:
                    if attempt == 29:
                        raise
                    time.sleep(0.05)

    def sync(self) -> bool:
        """One round; False when it failed for a transient reason."""
        try:
            self.engine.sync_once()
            return True
        except TransientError:
            return False

    def sync_until_done(self, rounds: int = 30) -> None:
        last: Exception | None = None
        for _ in range(rounds):
            try:
                self.engine.sync_once()
                return
            except TransientError as e:
                last = e
                time.sleep(0.05)
        raise AssertionError(f"{self.name} could not finish a sync round: {last}")

    def records(self) -> dict[tuple[str, str], dict]:
        """Every record in the store, minus sensitive fields (scopes strip them)."""
        out = {}
        for rtype, cls in RECORD_TYPES.items():
            hidden = set(cls.sensitive_fields())
            for row in self.store.list(rtype):
                out[(rtype, row["id"])] = {k: v for k, v in row.items() if k not in hidden}
        return out

    def rejected_ids(self) -> set[tuple[str, str]]:
        return {(e["record_type"], e["record_id"])
                for e in self.store.outbox_entries(limit=1_000_000, state="rejected")}

    def close(self) -> None:
        self.engine.stop()
        self.client.close()
        self.store.close()


def full_pull(url: str, token: str) -> list[dict]:
    """Every change the server serves from cursor 0, page by page (small pages)."""
    client = SyncClient(url, token=token)
    out, cursor = [], 0
    try:
        while True:
            page = client.pull(after=cursor, limit=997)
            out.extend(c.to_dict() for c in page.changes)
            if not page.has_more:
                return out
            cursor = page.next_cursor
    finally:
        client.close()


def assert_invariants(devices: list[Device], url: str, tmp: Path, *,
                      created: set[tuple[str, str]] | None = None,
                      deleted: set[tuple[str, str]] | None = None, storage=None) -> dict:
    """Final sync round for every device, then: nothing lost, nothing duplicated, every
    store the same, outboxes empty except rejected entries. Returns the auditor's view."""
    for d in devices:
        d.engine.stop()
    # a fresh device sees the server as it is (signed in first: its member record is
    # one more record every device receives)
    auditor = Device("auditor", tmp / f"auditor-{time.monotonic_ns()}.db", url,
                     invite=devices[0].invite)
    for d in devices:
        d.sync_until_done()
    for d in devices:  # second pass: everyone receives the others' last pushes
        d.sync_until_done()

    for d in devices:
        st = d.store.sync_status()
        assert st["pending"] == 0, f"{d.name}: {st['pending']} entries still pending"
        assert d.store.get_setting("sync.last_error") is None

    try:
        auditor.sync_until_done()
        changes = full_pull(url, auditor.store.get_setting("sync.token"))
        counts = collections.Counter((c["type"], c["id"]) for c in changes)
        dupes = {k: n for k, n in counts.items() if n > 1}
        assert not dupes, f"the server serves records more than once: {list(dupes)[:5]}"
        server = auditor.records()
    finally:
        auditor.close()

    live = {(c["type"], c["id"]) for c in changes if c["op"] == "upsert"}
    assert set(server) == live

    for d in devices:
        mine = d.records()
        local_only = d.rejected_ids() - set(server)
        missing = set(server) - set(mine)
        extra = set(mine) - set(server) - local_only
        assert not missing, f"{d.name} lacks {len(missing)} records, e.g. {sorted(missing)[:3]}"
        assert not extra, f"{d.name} has {len(extra)} records the server lacks: " \
                          f"{sorted(extra)[:3]}"
        # a record with a refused change keeps the refused local edit in view (kept,
        # shown with the server's reason) until the person fixes or discards it
        refused = d.rejected_ids()
        differ = [k for k in server if mine[k] != server[k] and k not in refused]
        assert not differ, (f"{d.name} differs on {len(differ)} records, e.g. {differ[0]}: "
                            f"{mine[differ[0]]} != {server[differ[0]]}")

    if storage is not None:
        # the server's own tables: one row per record (tombstones included), the same
        # set it serves
        assert storage.count_records() == len(counts)
        for key in server:
            row = storage.get_record(*key)
            assert row is not None and not row["deleted"], f"{key} not stored as live"
        for key in deleted or ():
            row = storage.get_record(*key)
            assert row is None or row["deleted"], f"deleted {key} is live on the server"

    if created is not None:
        gone = (created - (deleted or set())) - set(server)
        rejected = set().union(*(d.rejected_ids() for d in devices)) if devices else set()
        lost = gone - rejected
        assert not lost, f"{len(lost)} records lost, e.g. {sorted(lost)[:3]}"
    if deleted:
        back = deleted & set(server)
        assert not back, f"{len(back)} deleted records came back, e.g. {sorted(back)[:3]}"
    return server


def make_devices(n: int, tmp: Path, url: str, **kw) -> list[Device]:
    return [Device(f"phone-{i}", tmp / f"phone-{i}.db", url, **kw) for i in range(n)]


__all__ = ["Device", "assert_invariants", "full_pull", "make_devices", "SyncError"]
