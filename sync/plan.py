"""What a device sends, and what the server's answer to a push means: plain values only.

Pure: no I/O, no threads, no clock. The engine (``sync/engine.py``) reads the outbox,
asks ``next_batch`` which of its rows to send and in what wire form, sends the batch,
and hands the answer to ``after_answer`` (a ``PushResponse``) or the refusal to
``after_refusal`` (the HTTP status, error code and details of a 4xx). Each returns one
decision, a small frozen dataclass the engine applies to the store:

- ``Acknowledge``: these seqs are done, these are refused (with the server's reason).
- ``ResendFrom``: 409 ``sequence_gap``; the server already has the entries below
  ``seq`` (an earlier answer was lost): acknowledge them, send again from ``seq``.
- ``Shrink``: 413; the server takes smaller batches: send again with ``limits``.
- ``NothingAcknowledged``: a 200 that settles none of the batch: retry later.
- ``ServerLost``: the server wants entries this phone no longer keeps.
- ``BatchRefused``: any other refusal: the whole batch stays queued.

Outbox rows are the store's dicts (``seq``, ``record_type``, ``record_id``, ``op``,
``payload``, ``device_time``); seqs in a decision are this phone's outbox numbering,
``Batch.entries`` carry the wire numbering (outbox seq minus ``Batch.offset``: a new
device id starts at 1 with the phone's next pending entry).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Union

from sync.protocol import ERROR_CODES, MAX_BATCH_ENTRIES, MAX_BODY_BYTES, PushEntry, PushResponse

# Bytes counted for an entry besides its payload (seq, type, id, op, device_time, JSON).
ENTRY_OVERHEAD = 200
# Consecutive sequence gaps one round resends from before it gives up.
MAX_GAP_RETRIES = 3


def meant_status(status: int, code: str | None) -> int:
    """The status an answer means: the protocol's own for a code it knows
    (``protocol.ERROR_CODES``), else the HTTP status (a proxy's 502 has no code)."""
    return ERROR_CODES.get(code or "", status)


# ---- what to send ------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The most entries, and payload bytes, one push carries."""

    entries: int
    bytes: int

    @classmethod
    def of(cls, entries: int, max_bytes: int) -> "Limits":
        """The engine's settings, kept within what the protocol allows."""
        return cls(max(1, min(entries, MAX_BATCH_ENTRIES)),
                   max(1, min(max_bytes, MAX_BODY_BYTES // 2)))

    def halved(self, sent: int) -> "Limits":
        """Half of a batch of ``sent`` entries that was too large, half the bytes."""
        return Limits(max(1, sent // 2), max(1, self.bytes // 2))


@dataclass(frozen=True)
class Batch:
    """One push: the outbox ``seqs`` and their ``entries`` in wire form."""

    offset: int
    seqs: tuple[int, ...]
    entries: tuple[PushEntry, ...]

    def record_id(self, seq: int) -> str:
        return self.entries[self.seqs.index(seq)].id


def first_offset(first_pending_seq: int) -> int:
    """The offset of a device id that has sent nothing yet: its seq 1 is this entry."""
    return first_pending_seq - 1


def entry_size(row: dict) -> int:
    return len(json.dumps(row["payload"], ensure_ascii=False).encode("utf-8")) + ENTRY_OVERHEAD


def to_entry(row: dict, offset: int) -> PushEntry:
    return PushEntry(seq=row["seq"] - offset, type=row["record_type"], id=row["record_id"],
                     op=row["op"], data=row["payload"], device_time=row["device_time"])


def next_batch(rows: list[dict], offset: int, limits: Limits) -> Batch | None:
    """The first rows (oldest first) that fit ``limits``: at least one, however large;
    None when there is nothing to send."""
    size, chosen = 0, []
    for row in rows[:limits.entries]:
        size += entry_size(row)
        if chosen and size > limits.bytes:
            break
        chosen.append(row)
    if not chosen:
        return None
    return Batch(offset, tuple(r["seq"] for r in chosen),
                 tuple(to_entry(r, offset) for r in chosen))


# ---- what an answer means ------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledge:
    """The server settled part of the batch: ``acked`` are done; ``refused`` are
    (seq, the server's reason) and stay in the outbox as rejected. ``decisions`` are
    (record id, the server's decision as a dict) for contended records."""

    acked: tuple[int, ...]
    refused: tuple[tuple[int, str], ...] = ()
    applied: int = 0
    duplicate: int = 0
    decisions: tuple[tuple[str, dict], ...] = ()


@dataclass(frozen=True)
class NothingAcknowledged:
    """A 200 that settles none of the entries sent: retry later, nothing is lost."""


@dataclass(frozen=True)
class ResendFrom:
    """409 ``sequence_gap``: acknowledge ``acked`` (the server has them from a push whose
    answer was lost) and send again from outbox seq ``seq``."""

    seq: int
    acked: tuple[int, ...]


@dataclass(frozen=True)
class Shrink:
    """413: the server takes smaller batches; send again within ``limits``."""

    limits: Limits


@dataclass(frozen=True)
class ServerLost:
    """The server wants wire seq ``expected`` on, below ``first`` (the first entry this
    phone still keeps): it lost entries it had confirmed, or keeps asking again."""

    expected: int
    first: int
    details: dict


@dataclass(frozen=True)
class BatchRefused:
    """The server refused the batch and will refuse it again: keep it, say why."""

    status: int
    code: str | None
    message: str | None
    details: dict


Decision = Union[Acknowledge, NothingAcknowledged, ResendFrom, Shrink, ServerLost, BatchRefused]


def after_answer(batch: Batch, answer: PushResponse) -> Acknowledge | NothingAcknowledged:
    """A 200: each result settles its entry (rejected ones are refused, and so are
    duplicates of an entry refused before; applied and other duplicates acknowledged);
    ``acked_through`` acknowledges the rest it covers."""
    sent = set(batch.seqs)
    acked: list[int] = []
    refused: list[tuple[int, str]] = []
    decisions: list[tuple[str, dict]] = []
    seen: set[int] = set()
    for r in answer.results:
        seq = r.seq + batch.offset
        if seq not in sent:
            continue
        seen.add(seq)
        if r.status == "rejected" or (r.status == "duplicate" and r.error is not None):
            # a duplicate with an error: refused the first time (that answer was lost)
            refused.append((seq, r.error.message if r.error is not None else r.status))
            continue
        acked.append(seq)
        if r.decision is not None:
            decisions.append((batch.record_id(seq), r.decision.to_dict()))
    acked += [s for s in batch.seqs if s not in seen and s - batch.offset <= answer.acked_through]
    if not acked and not refused:
        return NothingAcknowledged()
    return Acknowledge(tuple(acked), tuple(refused),
                       applied=sum(1 for r in answer.results if r.status == "applied"),
                       duplicate=sum(1 for r in answer.results if r.status == "duplicate"),
                       decisions=tuple(decisions))


def after_refusal(batch: Batch, limits: Limits, *, status: int, code: str | None = None,
                  message: str | None = None, details: dict | None = None,
                  gap_retries: int = 0) -> ResendFrom | Shrink | ServerLost | BatchRefused:
    """A 4xx other than 401/426 (those stop the round before a plan is asked).
    ``gap_retries`` counts the sequence gaps met since the last answered push."""
    details = details or {}
    expected = details.get("expected")
    if (code == "sequence_gap" and isinstance(expected, int)
            and not isinstance(expected, bool)):
        first = batch.seqs[0] - batch.offset
        if expected <= first or gap_retries > MAX_GAP_RETRIES:
            return ServerLost(expected, first, details)
        resend = expected + batch.offset
        return ResendFrom(resend, tuple(s for s in batch.seqs if s < resend))
    if meant_status(status, code) == 413 and len(batch.seqs) > 1:
        return Shrink(limits.halved(len(batch.seqs)))
    return BatchRefused(status, code, message, details)


__all__ = ["Limits", "Batch", "first_offset", "entry_size", "to_entry", "next_batch",
           "meant_status", "after_answer", "after_refusal", "Decision", "Acknowledge",
           "NothingAcknowledged", "ResendFrom", "Shrink", "ServerLost", "BatchRefused",
           "ENTRY_OVERHEAD", "MAX_GAP_RETRIES"]
