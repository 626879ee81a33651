"""A push, applied with group commit: ``GroupCommit.push``, the same for both backends.

The push algorithm (sequence checks, per-record merge, sign-up decisions, cursor
assignment) lives here once; a backend supplies the write transaction
(``write_transaction`` -> ``base.WriteTx``) and the reads ``device_last_seq`` and
``applied_results``.

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

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

from ...protocol import PushEntry, PushResult
from ..merge import AppliedRow, BatchMerger, duplicate_result, keys_of, prepare, result_json
from ..rules import Actor
from .base import DeviceNotFound, PushOutcome, SequenceGap

_GROUP_ENTRIES = 4000  # most entries applied in one group transaction


@dataclass
class _PushJob:
    device_id: str | None      # None: a write of the server's own (no seqs, no log)
    entries: list[PushEntry]
    prepared: dict
    now: datetime
    actor: Actor
    outcome: PushOutcome | None = None
    error: Exception | None = None
    done: bool = False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class GroupCommit:
    """``push`` for a storage (mixed in before ``base.Storage``): pushes queue on a
    mutex of this process, and whoever holds it applies every push waiting by then."""

    def __init__(self) -> None:
        self._push_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: deque[_PushJob] = deque()

    def push(self, device_id: str, entries: list[PushEntry], now: datetime | None = None,
             *, last_seq_hint: int | None = None, actor: Actor) -> PushOutcome:
        """``base.Storage.push``: queued, then applied with the pushes waiting with it."""
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
        return self._run(_PushJob(device_id, entries, pre, now, actor))

    def write_as(self, actor: Actor, entries: list[PushEntry],
                 now: datetime | None = None) -> list[PushResult]:
        """``base.Storage.write_as``: entries the server writes itself (the command
        line, the member API) through the same rules, merge and cursor as a push.
        Each entry needs a seq of its own (the entries are prepared by seq: two with
        one seq would write one's data as the other's)."""
        if len({e.seq for e in entries}) != len(entries):
            raise ValueError("write_as: two entries share a seq; number them 1, 2, 3...")
        job = _PushJob(None, entries, prepare(entries), now or utcnow(), actor)
        return self._run(job).results

    def _run(self, job: "_PushJob") -> PushOutcome:
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
                                 load_signups=tx.load_signups,
                                 load_member_signups=tx.load_member_signups,
                                 now=now, position=cursor)
            applied: list[tuple[str, AppliedRow]] = []
            last_seqs: dict[str, int] = {}
            wrote = False
            for job in jobs:
                dev = job.device_id
                merger.device_id, merger.actor = dev, job.actor
                if dev is None:
                    job.outcome = PushOutcome(0, [merger.apply(e, job.prepared.get(e.seq))
                                                  for e in job.entries])
                    wrote = True
                    continue
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
                for e in new:
                    r = merger.apply(e, job.prepared.get(e.seq))
                    results.append(r)
                    applied.append((dev, AppliedRow(e.seq, r.status, result_json(r))))
                last_seqs[dev] = new[-1].seq
                job.outcome = PushOutcome(new[-1].seq, results)
            if not last_seqs and not wrote:
                return  # nothing new: no write (the transaction only read)
            merger.settle()  # waitlist places, shifts' rosters
            writes = list(merger.writes.values())
            for i, w in enumerate(writes, 1):
                w.cursor = cursor + i
            tx.write(records=writes, signups=list(merger.signup_writes.values()),
                     applied=applied, last_seqs=last_seqs, cursor=cursor + len(writes),
                     received_at=now.isoformat(timespec="milliseconds"))
