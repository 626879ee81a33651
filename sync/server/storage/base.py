"""The server's storage interface, shared by the SQLite and PostgreSQL backends.

One module owns the server's database: every other server module asks a
``Storage``. The push algorithm (sequence checks, per-record merge, sign-up
decisions, cursor assignment) lives here once, in ``Storage.push``; a backend
supplies the SQL primitives (``WriteTx``) and the reads.

Cursor assignment (why pulls never skip a change)
-------------------------------------------------
Every change a push makes gets the next number of one counter (``sync_state``,
a single row), and the record row keeps the cursor of its latest change. A push
transaction takes the counter's lock first and holds it until it commits:
``BEGIN IMMEDIATE`` on SQLite (one writer at a time), ``SELECT ... FOR UPDATE`` of
the counter row on PostgreSQL. So push transactions commit in cursor order, even
with several server processes on one PostgreSQL: a reader that sees cursor N
committed also sees everything below N, and ``WHERE cursor > after`` never skips
a change that commits later with a lower number (the trap of a plain SEQUENCE,
whose numbers are handed out at insert time but become visible in commit order).
The price is that pushes are serialized on the database; each push writes its
whole batch with a few bulk statements, so the lock is held for milliseconds, and
validating new records (the costly part) happens before the lock. Pushes that
arrive together in one process are applied as a group in one transaction (group
commit: one commit and one fsync for many small pushes), each with its own outcome.
The same lock makes the shift-capacity count race-free (sign-ups are counted in
the same transaction that records the decision). Within a process a mutex
queues pushes before they borrow a connection, so waiting pushes do not hold
pool connections the pulls need.
"""
from __future__ import annotations

import queue
import threading
from collections import deque
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from stroll.domain import StrollError

from ...protocol import PushEntry, PushResult
from ..merge import (AppliedRow, BatchMerger, Key, RecordWrite, SignupRow, StoredRecord,
                     duplicate_result, keys_of, prepare, result_json)

# ---- errors -----------------------------------------------------------------------------


class StorageError(StrollError):
    code = "storage_error"
    status = 500


class StorageUnavailable(StorageError):
    """The database cannot be reached or has no free connection: retry later."""
    code = "unavailable"
    status = 503


class SequenceGap(StorageError):
    code = "sequence_gap"
    status = 409

    def __init__(self, device_id: str, expected: int, got: int):
        self.device_id = device_id
        self.expected = expected
        self.got = got
        self.details = {"expected": expected, "received": got}
        super().__init__(
            f"device {device_id}: push starts at seq {got} but the server has applied "
            f"through {expected - 1}; resend from seq {expected}")


class DeviceNotFound(StorageError):
    code = "auth_required"
    status = 401

    def __init__(self, device_id: str):
        self.details = {}
        super().__init__(f"device {device_id} is not enrolled (or was revoked): enroll again")


# ---- rows -------------------------------------------------------------------------------


@dataclass
class Device:
    id: str
    name: str
    member_id: str | None
    role: str
    last_seq: int
    created_at: str
    revoked: bool = False


@dataclass
class PushOutcome:
    acked_through: int
    results: list[PushResult]


@dataclass
class PullRow:
    cursor: int
    type: str
    id: str
    deleted: bool
    data: str | None  # JSON text, already scoped


def page_json(changes: bytes | None, count: int, last: int | None, after: int,
              more: bool) -> bytes:
    """The pull answer around ``changes`` (the changes' JSON joined by commas)."""
    return b"".join((b'{"changes":[', changes or b"", b'],"next_cursor":',
                     str(last if count else after).encode(),
                     b',"has_more":true}' if more else b',"has_more":false}'))


# ---- a small connection pool -----------------------------------------------------------


class Pool:
    """At most ``size`` connections, reused LIFO. ``reset(conn)`` returns whether a
    returned connection is fit for reuse (else it is closed). psycopg_pool is not a
    dependency of the project, and this is all the server needs."""

    def __init__(self, connect: Callable[[], Any], size: int, *,
                 reset: Callable[[Any], bool], timeout: float = 30.0, what: str = "database"):
        self._connect = connect
        self._reset = reset
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._size = size
        self._timeout = timeout
        self._what = what
        self._all: set = set()
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if self._closed:
            raise StorageUnavailable(f"the {self._what} connection pool is closed")
        if not self._slots.acquire(timeout=self._timeout):
            raise StorageUnavailable(
                f"all {self._size} {self._what} connections stayed busy for "
                f"{self._timeout:.0f} s; retry later")
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
                with self._lock:
                    self._all.add(conn)
            healthy = False
            try:
                yield conn
            finally:
                try:
                    healthy = not self._closed and self._reset(conn)
                except Exception:
                    healthy = False
                if healthy:
                    self._idle.put(conn)
                else:
                    self._discard(conn)
        finally:
            self._slots.release()

    def _discard(self, conn) -> None:
        with self._lock:
            self._all.discard(conn)
        try:
            conn.close()
        except Exception:
            pass

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conns = list(self._all)
            self._all.clear()
        for c in conns:
            try:
                c.close()
            except Exception:
                pass


# ---- the interface -----------------------------------------------------------------------


class WriteTx(ABC):
    """What ``Storage.push`` needs inside its one write transaction."""

    @abstractmethod
    def lock_cursor(self) -> int:
        """Take the cursor lock (held until commit) and return the current cursor."""

    @abstractmethod
    def device_last_seq(self, device_id: str) -> int | None: ...

    @abstractmethod
    def applied_results(self, device_id: str, seqs: list[int]) -> dict[int, str | None]: ...

    @abstractmethod
    def load_records(self, keys: list[Key]) -> dict[Key, StoredRecord]: ...

    @abstractmethod
    def load_signups(self, shift_id: str) -> list[SignupRow]: ...

    @abstractmethod
    def write(self, *, records: list[RecordWrite], signups: list[SignupRow],
              applied: list[tuple[str, AppliedRow]], last_seqs: dict[str, int], cursor: int,
              received_at: str) -> None:
        """Write a group's changes: records (with their cursors), the sign-up index,
        the applied log (device id, row), each device's new last seq, the counter."""


_GROUP_ENTRIES = 4000  # most entries applied in one group transaction


@dataclass
class _PushJob:
    device_id: str
    entries: list[PushEntry]
    prepared: dict
    now: datetime
    outcome: PushOutcome | None = None
    error: Exception | None = None
    done: bool = False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Storage(ABC):
    """The server's database. Thread-safe; one instance per server process."""

    name: str = ""

    def __init__(self) -> None:
        self._push_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: deque[_PushJob] = deque()

    # ---- lifecycle --------------------------------------------------------------------
    @abstractmethod
    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent; safe with several processes)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def ping(self) -> None:
        """Raise StorageUnavailable when the database does not answer."""

    # ---- devices ------------------------------------------------------------------------
    @abstractmethod
    def create_device(self, *, device_id: str, name: str, member_id: str | None, role: str,
                      token_hash: str, app_version: str | None, created_at: str) -> Device: ...

    @abstractmethod
    def device_by_token_hash(self, token_hash: str) -> Device | None: ...

    @abstractmethod
    def revoke_device(self, device_id: str, at: str) -> bool: ...

    @abstractmethod
    def device_last_seq(self, device_id: str) -> int | None: ...

    @abstractmethod
    def applied_results(self, device_id: str, seqs: list[int]) -> dict[int, str | None]: ...

    # ---- sync ---------------------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def write_transaction(self) -> Iterator[WriteTx]: ...

    @abstractmethod
    def pull(self, after: int, limit: int, *, full: bool) -> tuple[list[PullRow], bool]:
        """Changes with cursor > ``after`` in cursor order, at most ``limit``, and
        whether more wait. ``full``: with sensitive fields (coordinator scope)."""

    @abstractmethod
    def pull_page(self, after: int, limit: int, *, full: bool) -> bytes:
        """Like ``pull``, but the whole answer of ``GET /v1/sync/pull`` as JSON bytes
        (docs/SYNC.md, Pull): the changes are joined by the database (one value, not a
        row a change), so the server neither decodes nor re-encodes a record."""

    def push(self, device_id: str, entries: list[PushEntry], now: datetime | None = None,
             *, last_seq_hint: int | None = None) -> PushOutcome:
        """Apply one push batch in one transaction (docs/SYNC.md, Push).

        Raises SequenceGap (nothing applied) when the first new entry is not the
        device's last applied seq + 1, DeviceNotFound for an unknown device.
        ``last_seq_hint``: the device's last seq as read a moment ago (by the auth
        lookup), saving a query; it can only be behind, and is checked again under
        the lock."""
        now = now or utcnow()
        last = last_seq_hint if last_seq_hint is not None else self.device_last_seq(device_id)
        if last is None:
            raise DeviceNotFound(device_id)
        if not entries:
            return PushOutcome(last, [])
        if entries[-1].seq <= last:
            # a retry of a batch already applied (its answer was lost): no write lock
            stored = self.applied_results(device_id, [e.seq for e in entries])
            return PushOutcome(last, [duplicate_result(e.seq, stored.get(e.seq))
                                      for e in entries])
        # The CPU-heavy part (validating new records) runs here, before the lock.
        pre = prepare(e for e in entries if e.seq > last)
        job = _PushJob(device_id, entries, pre, now)
        with self._queue_lock:
            self._queue.append(job)
        # Group commit: whoever holds the push lock applies every push waiting by then
        # in one transaction (one commit, one fsync), each with its own outcome.
        while not job.done:  # (a group is capped: ours may wait for the next one)
            with self._push_lock:
                if job.done:
                    break
                with self._queue_lock:
                    group, size = [], 0
                    while self._queue and (not group or size + len(self._queue[0].entries)
                                           <= _GROUP_ENTRIES):
                        nxt = self._queue.popleft()
                        group.append(nxt)
                        size += len(nxt.entries)
                self._apply_group(group)
        if job.error is not None:
            raise job.error
        return job.outcome

    def _apply_group(self, group: list["_PushJob"]) -> None:
        try:
            self._apply_jobs(group)
        except Exception as e:  # noqa: BLE001 - the database failed the transaction
            if len(group) == 1:
                group[0].error = e
            else:  # apply each alone, so one push cannot fail the others
                for job in group:
                    job.outcome = job.error = None
                    try:
                        self._apply_jobs([job])
                    except Exception as e1:  # noqa: BLE001
                        job.error = e1
        finally:
            for job in group:
                job.done = True

    def _apply_jobs(self, jobs: list["_PushJob"]) -> None:
        now = jobs[0].now
        with self.write_transaction() as tx:
            cursor = tx.lock_cursor()
            keys = keys_of(e for job in jobs for e in job.entries)
            known: dict = dict.fromkeys(keys)  # None: the server has no such record yet
            known.update(tx.load_records(keys))
            merger = BatchMerger(records=known, load_records=tx.load_records,
                                 load_signups=tx.load_signups, now=now, position=cursor)
            applied: list[tuple[str, AppliedRow]] = []
            last_seqs: dict[str, int] = {}
            for job in jobs:
                dev = job.device_id
                last = last_seqs.get(dev)
                if last is None:
                    last = tx.device_last_seq(dev)
                if last is None:
                    job.error = DeviceNotFound(dev)
                    continue
                n_dup = sum(1 for e in job.entries if e.seq <= last)
                dups, new = job.entries[:n_dup], job.entries[n_dup:]
                if not new:
                    stored = tx.applied_results(dev, [e.seq for e in dups])
                    job.outcome = PushOutcome(last, [duplicate_result(e.seq, stored.get(e.seq))
                                                     for e in dups])
                    continue
                if new[0].seq != last + 1:
                    job.error = SequenceGap(dev, expected=last + 1, got=new[0].seq)
                    continue
                results: list[PushResult] = []
                if dups:
                    stored = tx.applied_results(dev, [e.seq for e in dups])
                    results = [duplicate_result(e.seq, stored.get(e.seq)) for e in dups]
                merger.device_id = dev
                for e in new:
                    r = merger.apply(e, job.prepared.get(e.seq))
                    results.append(r)
                    applied.append((dev, AppliedRow(e.seq, r.status, result_json(r))))
                last_seqs[dev] = new[-1].seq
                job.outcome = PushOutcome(new[-1].seq, results)
            if not last_seqs:
                return  # nothing new: no write (the transaction only read)
            writes = list(merger.writes.values())
            for i, w in enumerate(writes, 1):
                w.cursor = cursor + i
            tx.write(records=writes, signups=list(merger.signup_writes.values()),
                     applied=applied, last_seqs=last_seqs, cursor=cursor + len(writes),
                     received_at=now.isoformat(timespec="milliseconds"))

    # ---- inspection (tests, coordinator views) ------------------------------------------
    @abstractmethod
    def get_record(self, rtype: str, rid: str) -> dict | None:
        """``{"type", "id", "data", "data_public", "deleted", "cursor", "device_time",
        "received_at"}`` with ``data`` decoded, or None."""

    @abstractmethod
    def count_records(self, rtype: str | None = None) -> int: ...

    @abstractmethod
    def applied_log(self, device_id: str) -> list[AppliedRow]: ...

    @abstractmethod
    def signups_of(self, shift_id: str) -> list[SignupRow]: ...

    @abstractmethod
    def last_cursor(self) -> int: ...
