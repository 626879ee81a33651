"""How a push batch changes the server's records: pure Python, no SQL.

``BatchMerger`` takes the batch's entries one by one, in seq order, against the
records as they stand (loaded by the storage backend, and updated in memory as
the batch goes), and produces one ``PushResult`` per entry plus the final state
of every record the batch changed. The storage backend then writes that state in
one transaction. The same code runs for SQLite and PostgreSQL.

Rules (docs/SYNC.md, Merge rules):
- ``append`` records: the first write wins; a later write of the same id is a
  ``duplicate``; a ``patch`` is rejected; a delete leaves a tombstone.
- ``fields`` records: per-field last-writer-wins in receive order. ``patch`` needs
  the record to exist; ``upsert`` replaces the fields it gives.
- the merged record must pass ``stroll.domain`` validation, else the entry is
  ``rejected`` and nothing of it applies.
- sign-ups are commands: the server decides confirmed / waitlisted / refused
  against the shift's capacity (``signups.py``).
- who may write what: ``rules.may_write`` for every entry, before anything of it
  applies (a refusal is a per-entry ``forbidden`` rejection).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

import orjson

from stroll.domain import RECORD_TYPES, StrollError, ValidationError
from stroll.domain.disclosure import coarse_view, enforce, filled, lighter
from stroll.domain.ids import is_uuid

from ..protocol import Decision, ErrorBody, PushEntry, PushResult
from .rules import SERVER, Actor, may_write
from .signups import Rejected, SignupDecisions, SignupRow, _reject

Key = tuple[str, str]  # (record type, record id)

_FIELDS = {t: tuple(f.name for f in dataclasses.fields(c)) for t, c in RECORD_TYPES.items()}
# each type's sensitive fields, in field order (the order they follow in stored JSON)
_SENSITIVE = {t: tuple(n for n in _FIELDS[t] if n in set(c.sensitive_fields()))
              for t, c in RECORD_TYPES.items()}
STROLL_PARTS = ("track_chunk", "check_in", "incident")  # recorded on a stroll: its team's


_std_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(obj) -> str:
    """Compact JSON text (orjson; the standard library for what orjson refuses:
    integers past 64 bits, nesting past 254 levels)."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return _std_dumps(obj)


def loads(text: str | bytes):
    """JSON text the server wrote itself (stored records, applied results)."""
    return orjson.loads(text)


Encoded = tuple[str, "str | None", "str | None"]


def stored_record(rtype: str, text: str | bytes) -> dict:
    """A record's stored JSON (its full view, fields at their default left out) as the
    whole record."""
    return filled(rtype, loads(text), None)


def encode_record(rtype: str, data: dict) -> Encoded:
    """The stored JSON of a record: ``(full, public, coarse)`` (the views of
    ``stroll.domain.disclosure``), each without the fields still at their default
    (``disclosure.lighter``: the device fills them back).

    ``public`` is the record without its sensitive fields, or None when the type has
    no sensitive fields (then it is ``full``); ``coarse`` is an incident's coarse view
    (None for other types). Full and public come from one pass: the full text is the
    public text with the sensitive fields spliced onto its end."""
    pub = lighter(rtype, data)  # (a new dict; survivor fields all kept)
    coarse = coarse_view(rtype, pub)
    coarse_text = None if coarse is None else dumps(coarse)
    sensitive = _SENSITIVE[rtype]
    if not sensitive:
        return dumps(pub), None, coarse_text
    sens = {k: pub.pop(k) for k in sensitive if k in pub}  # then take them out
    public = dumps(pub)
    if not sens:
        return public, public, coarse_text
    tail = dumps(sens)
    full = public[:-1] + ("," if pub else "") + tail[1:]
    return full, public, coarse_text


@dataclass(slots=True)  # thousands a push: lighter to make
class StoredRecord:
    """A record as the server holds it. ``data`` is None for a tombstone."""
    type: str
    id: str
    data: dict | None
    deleted: bool = False
    owner: str | None = None       # the member whose device created it
    audience: str | None = None    # ",id,id,": the members it concerns (rules: "team")


@dataclass(slots=True)  # thousands a push: lighter to make
class RecordWrite:
    """The final state of one record changed by a batch."""
    type: str
    id: str
    data: str | None           # full JSON text; None for a tombstone
    data_public: str | None    # JSON text without sensitive fields, or None (= data)
    data_coarse: str | None    # an incident's coarse view, or None
    deleted: bool
    device_time: str | None
    owner: str | None = None
    audience: str | None = None
    cursor: int = 0            # assigned by the backend, in write order
    exists: bool = False       # the database already has a row for it (else: a new row)
    device_id: str | None = None  # the device whose push wrote it last

    @property
    def survivor(self) -> bool:
        """It holds survivor fields: its full and public views differ."""
        return self.data_public is not None and self.data_public != self.data


@dataclass(slots=True)  # thousands a push: lighter to make
class AppliedRow:
    seq: int
    status: str
    result: str | None         # JSON of {"error": ..., "decision": ...}, when any


@dataclass
class Prepared:
    """An upsert validated on its own, before the write lock: the answer for a record
    the server does not have yet (the common case), so the costly part of a push runs
    outside the serialized section. A record that exists is merged and validated
    again under the lock."""
    data: dict | None = None
    encoded: Encoded | None = None
    error: Exception | None = None


def prepare(entries: Iterable[PushEntry]) -> dict[int, Prepared]:
    out: dict[int, Prepared] = {}
    for e in entries:
        cls = RECORD_TYPES.get(e.type)
        if cls is None or e.op != "upsert" or not isinstance(e.data, dict) \
                or e.data.get("id", e.id) != e.id:
            continue
        d = dict(e.data)
        d["id"] = e.id
        try:
            rec = cls.from_dict(d)
            data = enforce(e.type, BatchMerger._as_dict(e.type, rec))
            out[e.seq] = Prepared(data, None if e.type == "signup"
                                  else encode_record(e.type, data))
        except (StrollError, TypeError, ValueError, RecursionError) as err:
            out[e.seq] = Prepared(error=err)
    return out


@dataclass
class BatchMerger(SignupDecisions):
    """Applies entries in order; see the module docstring."""
    records: dict[Key, StoredRecord]                      # loaded before the batch
    load_records: Callable[[list[Key]], dict[Key, StoredRecord]]
    load_signups: Callable[[str], list[SignupRow]]        # active sign-ups of a shift
    load_member_signups: Callable[[str], list[SignupRow]]  # active sign-ups of a member
    now: datetime
    position: int                                         # the cursor before the batch
    device_id: str | None = None                          # the device being applied
    actor: Actor = SERVER                                 # whom that device acts for
    writes: dict[Key, RecordWrite] = field(default_factory=dict)
    signup_writes: dict[str, SignupRow] = field(default_factory=dict)
    _signups: dict[str, dict[str, SignupRow]] = field(default_factory=dict)
    _member_rows: dict[str, dict[str, SignupRow]] = field(default_factory=dict)
    _unsettled: dict[str, None] = field(default_factory=dict)  # shifts to settle
    _arrivals: int = 0
    _in_db: set = field(default_factory=set)
    _pre: Prepared | None = None

    def __post_init__(self):
        self._in_db = {k for k, v in self.records.items() if v is not None}

    @property
    def now_iso(self) -> str:
        return self.now.isoformat(timespec="seconds")

    # ---- state -----------------------------------------------------------------------

    def _get(self, key: Key) -> StoredRecord | None:
        if key not in self.records:
            loaded = self.load_records([key])
            self.records.update(loaded)
            self._in_db.update(loaded)
            self.records.setdefault(key, None)
        return self.records[key]

    def _prefetch(self, keys: list[Key]) -> None:
        """Load the records of ``keys`` not loaded yet, in one query."""
        missing = [k for k in keys if k not in self.records]
        if missing:
            loaded = self.load_records(missing)
            self.records.update(loaded)
            self._in_db.update(loaded)
            for k in missing:
                self.records.setdefault(k, None)

    def _put(self, rtype: str, rid: str, data: dict | None, device_time: str | None,
             encoded: Encoded | None = None, *, server: bool = False) -> None:
        """Write a record's new state (``server``: one the server keeps itself, a
        shift's roster or team: no author, no device)."""
        key = (rtype, rid)
        before = self.records.get(key)
        owner = None if server else before.owner if before is not None \
            else self.actor.member_id
        if data is None:  # a tombstone keeps whom the record concerned
            full = public = coarse = None
            audience = before.audience if before is not None else None
        else:
            full, public, coarse = encoded or encode_record(rtype, data)
            audience = self._audience(rtype, data, owner)
        self.records[key] = StoredRecord(rtype, rid, data, data is None, owner, audience)
        self.writes.pop(key, None)  # re-insert: the write order is the order of last change
        self.writes[key] = RecordWrite(rtype, rid, full, public, coarse, data is None,
                                       device_time, owner, audience,
                                       exists=key in self._in_db,
                                       device_id=None if server else self.device_id)

    def _audience(self, rtype: str, data: dict, owner: str | None) -> str | None:
        """``,id,id,`` of the members a record concerns: its author, the member it is
        about (a member, a sign-up) and, for a stroll and what was recorded on it, the
        stroll's team."""
        if rtype in STROLL_PARTS and not data.get("stroll_id"):  # (most of a push)
            return f",{owner}," if owner else None
        ids = {owner} if owner else set()
        if rtype == "member":
            ids.add(data["id"])
        elif rtype == "signup":
            ids.add(data.get("member_id"))
        elif rtype == "shift_team":  # its confirmed members
            ids.update(m.get("member_id") for m in data.get("going") or ()
                       if isinstance(m, dict))
        elif rtype == "stroll":
            ids.update(m.get("member_id") for m in data.get("team") or ()
                       if isinstance(m, dict))
        elif rtype in STROLL_PARTS and is_uuid(data.get("stroll_id") or ""):
            stroll = self._get(("stroll", data["stroll_id"]))
            if stroll is not None and stroll.audience:
                ids.update(stroll.audience.strip(",").split(","))
        ids.discard(None)
        ids.discard("")
        return "," + ",".join(sorted(ids)) + "," if ids else None

    # ---- entries ---------------------------------------------------------------------

    def apply(self, entry: PushEntry, prepared: Prepared | None = None) -> PushResult:
        """The result of one entry. ``prepared``: its upsert validated beforehand."""
        self._pre = prepared
        try:
            status, decision = self._apply(entry)
        except Rejected as r:
            return PushResult(entry.seq, "rejected", error=r.error)
        except ValidationError as e:
            return PushResult(entry.seq, "rejected",
                              error=ErrorBody(e.code, str(e), e.as_dict()))
        except StrollError as e:  # any other rule of the domain
            return PushResult(entry.seq, "rejected", error=ErrorBody(e.code, str(e), {}))
        except (TypeError, ValueError, RecursionError) as e:  # what the domain's checks
            # did not expect (RecursionError: data nested too deeply to encode)
            return PushResult(entry.seq, "rejected", error=ErrorBody(
                "invalid_record", f"{entry.type} {entry.id}: {e}",
                {"record_type": entry.type, "record_id": entry.id}))
        return PushResult(entry.seq, status, decision=decision)

    def _apply(self, e: PushEntry) -> tuple[str, Decision | None]:
        cls = RECORD_TYPES[e.type]  # the protocol refused a push with an unknown type
        pre = self._pre
        if pre is None or pre.error is not None:  # (a prepared record passed both checks)
            if not is_uuid(e.id):
                raise _reject("invalid_record", f"{e.type}.id: must be a UUID, got {e.id!r}",
                              record_type=e.type, field="id", record_id=e.id)
            if e.data is None:
                e.data = {}
            given_id = e.data.get("id", e.id)
            if given_id != e.id:
                raise _reject("invalid_record",
                              f"{e.type}.id (id {e.id}): data.id {given_id!r} is not the "
                              "entry's id", record_type=e.type, field="id", record_id=e.id)
        key = (e.type, e.id)
        cur = self._get(key)
        live = cur is not None and not cur.deleted
        refused = may_write(e.type, self.actor, exists=cur is not None,
                            owner=cur.owner if cur is not None else None,
                            data=e.data if e.op != "delete" else None,
                            before=cur.data if live else None)
        if refused:
            raise _reject("forbidden", f"{e.type} {e.id}: {refused}",
                          record_type=e.type, record_id=e.id)

        if e.op == "delete":
            if not live and cur is not None:
                return "applied", None  # already a tombstone: nothing changes
            if e.type == "signup" and live:
                self._free_place(cur.data)
            self._put(e.type, e.id, None, e.device_time)
            if e.type == "shift" and live:
                self._shift_changed(e.id, cur.data, None)
            return "applied", None

        if cls.MERGE == "append":
            if e.op == "patch":
                raise _reject("append_only",
                              f"{e.type} {e.id}: {e.type} records are written once; "
                              "a patch is not allowed", record_type=e.type, record_id=e.id)
            if cur is not None:
                return "duplicate", None
            pre = self._prepared(e)
            self._put(e.type, e.id, pre.data, e.device_time, pre.encoded)
            return "applied", None

        if e.op == "patch":
            if not live:
                raise _reject("not_found",
                              f"{e.type} {e.id}: cannot patch a record the server "
                              f"{'deleted' if cur else 'does not have'}",
                              record_type=e.type, record_id=e.id)
            merged = {**cur.data, **e.data, "id": e.id}
        elif not live:  # a new record: validated before the lock
            pre = self._prepared(e)
            decision = self._signup(pre.data, None) if e.type == "signup" else None
            self._put(e.type, e.id, pre.data, e.device_time, pre.encoded)
            return "applied", decision
        else:
            merged = {**cur.data, **e.data, "id": e.id}
        rec = cls.from_dict(merged)
        data = enforce(e.type, self._as_dict(e.type, rec))
        decision = None
        if e.type == "signup":
            decision = self._signup(data, cur.data)
        self._put(e.type, e.id, data, e.device_time)
        if e.type == "shift" and live:
            self._shift_changed(e.id, cur.data, data)
        return "applied", decision

    def _prepared(self, e: PushEntry) -> Prepared:
        pre, self._pre = self._pre, None
        if pre is None:
            pre = prepare([e]).get(e.seq)
        if pre.error is not None:
            raise pre.error
        return pre

    @staticmethod
    def _as_dict(rtype: str, rec) -> dict:
        """The record's fields, shallow (dataclasses.asdict deep-copies every list and
        costs more than validating). A dataclass keeps its fields in ``__dict__``, in
        field order; anything else there means the shortcut does not hold."""
        d = rec.__dict__.copy()
        names = _FIELDS[rtype]
        if len(d) != len(names):
            d = {name: getattr(rec, name) for name in names}
        return d


def result_json(result: PushResult) -> str | None:
    """What the applied log keeps of a result, to answer a duplicate the same way."""
    out = {}
    if result.error is not None:
        out["error"] = result.error.to_dict()["error"]
    if result.decision is not None:
        out["decision"] = result.decision.to_dict()
    return dumps(out) if out else None


def duplicate_result(seq: int, stored: str | None) -> PushResult:
    """A result for an entry applied before: status ``duplicate`` plus its original
    error or decision."""
    res = PushResult(seq, "duplicate")
    if stored:
        d = loads(stored)
        if d.get("error"):
            res.error = ErrorBody.from_dict({"error": d["error"]})
        if d.get("decision"):
            res.decision = Decision.from_dict(d["decision"])
    return res


def keys_of(entries: Iterable[PushEntry]) -> list[Key]:
    """The records a batch writes, and the strolls its parts belong to (whose team
    they concern): loaded together before the batch."""
    seen: dict[Key, None] = {}
    for e in entries:
        seen[(e.type, e.id)] = None
        if e.type in STROLL_PARTS and isinstance(e.data, dict):
            sid = e.data.get("stroll_id")
            if isinstance(sid, str) and is_uuid(sid):
                seen[("stroll", sid)] = None
    return list(seen)
