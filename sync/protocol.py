"""The sync wire contract (docs/SYNC.md) as plain data: pure Python, no I/O, no framework.

Both sides build and read messages with these classes: the device (``sync/client.py``,
``sync/plan.py``) and the server (``sync/server/``). ``from_dict`` checks a decoded
JSON body and raises a ``ProtocolError`` subclass naming the offending
field (``entries[3].seq: must be an integer``); ``to_dict`` gives the JSON-ready
dict. The error codes and their HTTP statuses are part of the contract, so they
live here too: ``ERROR_CODES`` is the one code -> status table, and every error
the server answers is a ``CodedError`` that carries its code.

Size: longer than most modules on purpose: it is the whole wire contract in one place
(limits, error table, every message with its checks), read beside docs/SYNC.md,
and both sides must import the same one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from stroll.domain import RECORD_TYPES, StrollError
from stroll.domain.ids import ID_PATTERN, is_uuid

_CANONICAL_ID = ID_PATTERN.match  # a record id as new_id() writes it (checked per entry)

# ---- versions, headers, limits ------------------------------------------------------

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS: frozenset[int] = frozenset({1})

HEADER_PROTOCOL = "X-Stroll-Protocol"
HEADER_APP = "X-Stroll-App"
HEADER_AUTH = "Authorization"
AUTH_SCHEME = "Bearer"

MAX_BATCH_ENTRIES = 2000           # entries in one push
MAX_BODY_BYTES = 8 * 1024 * 1024   # bytes of one request body
DEFAULT_PULL_LIMIT = 500           # changes in one pull page when the device sends no limit
MAX_CURSOR = 2**63 - 1             # cursors are 64-bit signed integers on both backends
MAX_PULL_LIMIT = 5000              # largest page a device may ask for
MAX_PAGE_BYTES = 4 * 1024 * 1024   # a pull page stops after the change that passes this

OPS = ("upsert", "patch", "delete")
PULL_OPS = ("upsert", "delete")
RESULT_STATUSES = ("applied", "duplicate", "rejected")
DECISIONS = ("confirmed", "waitlisted", "refused")
ROLES = ("volunteer", "ambassador", "coordinator", "admin")
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed
INVITE_LENGTH = 12                                   # ~59 bits, shown as XXXX-XXXX-XXXX

# Every error code the server answers with (``ErrorBody.code``) and its HTTP status:
# the one table of both (docs/SYNC.md). The server maps an error to its status here, at
# the edge; its errors carry only a code. The first code of a status is the generic
# one, answered for an HTTP error that comes with a status only (``code_for_status``).
ERROR_CODES = {
    "bad_request": 400,
    "malformed_json": 400,        # body is not JSON
    "invalid_header": 400,        # a required header is missing or not readable
    "auth_required": 401,         # no token, or one the server does not know
    "token_expired": 401,         # the token was not used for too long: sign in again
    "device_revoked": 401,        # a coordinator revoked the device or its member
    "forbidden": 403,             # authenticated, but not allowed to do this
    "invite_invalid": 403,        # unknown, used or expired invite code
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "request_timeout": 408,       # headers or body not in within the server's deadline
    "sequence_gap": 409,          # details.expected = the seq the server wants next
    "body_too_large": 413,
    "batch_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_message": 422,       # JSON, but not the message the endpoint takes
    "unknown_record_type": 422,
    "unsupported_protocol": 426,  # message is shown to the user as is
    "too_many_requests": 429,
    "headers_too_large": 431,     # request line + headers over the size or count limit
    "internal_error": 500,
    "storage_error": 500,         # the database refused what the server asked of it
    "unavailable": 503,           # e.g. the database is unreachable: retry later
}


def status_of(code: str) -> int:
    """The HTTP status of an error code; a code outside the table is a bad request."""
    return ERROR_CODES.get(code, 400)


def code_for_status(status: int) -> str:
    """The generic code of an HTTP status (the first of the table), or ``http_<status>``."""
    return next((c for c, s in ERROR_CODES.items() if s == status), f"http_{status}")


# ---- errors -------------------------------------------------------------------------


class CodedError(StrollError):
    """A failure the server answers as an ``ErrorBody``: ``code`` (a key of
    ``ERROR_CODES``), the message, ``details``. A subclass names its code in its
    header, ``class Forbidden(CodedError, code="forbidden")``, and never a status:
    ``status`` is read from the table (the server maps at its edge with ``status_of``)."""

    code = "internal_error"
    status = ERROR_CODES["internal_error"]

    def __init_subclass__(cls, code: str | None = None, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        cls.status = status_of(cls.code)

    def __init__(self, message: str, **details: Any):
        self.details = details
        super().__init__(message)


class ProtocolError(CodedError, code="invalid_message"):
    """A message breaks the wire contract. ``field`` names where (``entries[3].seq``)."""

    def __init__(self, message: str, *, field: str | None = None,
                 details: dict[str, Any] | None = None):
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message, **(details or {}))
        if field is not None:
            self.details.setdefault("field", field)


class InvalidMessage(ProtocolError):
    """JSON, but not the message the endpoint takes (wrong type, missing field)."""


class MalformedJSON(ProtocolError, code="malformed_json"):
    """The body is not JSON."""


class InvalidHeader(ProtocolError, code="invalid_header"):
    """A required header is missing or not readable."""


class UnknownTypeInMessage(ProtocolError, code="unknown_record_type"):
    """A message names a record type outside ``stroll.domain.RECORD_TYPES`` (the
    domain's own lookup failure is ``stroll.domain.UnknownRecordType``)."""


class BatchTooLarge(ProtocolError, code="batch_too_large"):
    """A push with more than ``MAX_BATCH_ENTRIES`` entries."""


class BodyTooLarge(ProtocolError, code="body_too_large"):
    """A request body over the server's limit (``MAX_BODY_BYTES``)."""


class UnsupportedProtocol(ProtocolError, code="unsupported_protocol"):
    """The request speaks a protocol version this side does not."""

    def __init__(self, received: Any):
        self.received = received
        supported = sorted(SUPPORTED_PROTOCOLS)
        super().__init__(
            f"This app speaks sync protocol {received!r}, which this server does not support "
            f"(it supports {', '.join(map(str, supported))}). Update the app or ask a "
            "coordinator to update the server.",
            details={"received": received, "supported": supported})


# ---- validation helpers -------------------------------------------------------------


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidMessage(f"must be an object, got {_kind(value)}", field=where)
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _int(d: dict, key: str, where: str, *, minimum: int | None = None,
         required: bool = True, default: int | None = None) -> int | None:
    if key not in d or d[key] is None:
        if required:
            raise InvalidMessage("is required", field=where)
        return default
    v = d[key]
    if not isinstance(v, int) or isinstance(v, bool):
        raise InvalidMessage(f"must be an integer, got {_kind(v)}", field=where)
    if minimum is not None and v < minimum:
        raise InvalidMessage(f"must be at least {minimum}, got {v}", field=where)
    return v


def _str(d: dict, key: str, where: str, *, required: bool = True,
         choices: tuple[str, ...] | None = None, max_len: int = 200,
         nul: bool = False) -> str | None:
    """A text field; a NUL character in it is refused unless ``nul`` (free text the
    other side wrote: an error's message)."""
    if key not in d or d[key] is None:
        if required:
            raise InvalidMessage("is required", field=where)
        return None
    v = d[key]
    if not isinstance(v, str):
        raise InvalidMessage(f"must be a string, got {_kind(v)}", field=where)
    if required and not v:
        raise InvalidMessage("must not be empty", field=where)
    if len(v) > max_len:
        raise InvalidMessage(f"is longer than {max_len} characters", field=where)
    if not nul and "\x00" in v:
        raise InvalidMessage("holds a NUL character", field=where)
    if choices is not None and v not in choices:
        raise InvalidMessage(f"must be one of {', '.join(choices)}, got {v!r}", field=where)
    return v


def _unknown_keys(d: dict, allowed: set[str], where: str) -> None:
    extra = sorted(k for k in d if k not in allowed)
    if extra:
        prefix = f"{where}." if where else ""
        raise InvalidMessage("is not a field of this message", field=f"{prefix}{extra[0]}")


def _record_type(d: dict, where: str) -> str:
    rtype = _str(d, "type", f"{where}.type", max_len=64)
    if rtype not in RECORD_TYPES:
        raise UnknownTypeInMessage(
            f"unknown record type {rtype!r} (known: {', '.join(sorted(RECORD_TYPES))})",
            field=f"{where}.type")
    return rtype


def check_protocol(value: Any, field: str = HEADER_PROTOCOL) -> int:
    """The protocol version a request claims, checked: raises UnsupportedProtocol.

    For the header (default) accepts its text (``"1"``); missing or unreadable
    raises InvalidHeader. For a body field (``field="protocol"``) the value must be
    an integer."""
    header = field == HEADER_PROTOCOL
    if header and (value is None or (isinstance(value, str) and not value.strip())):
        raise InvalidHeader(f"header {HEADER_PROTOCOL} is required (this server speaks "
                            f"protocol {PROTOCOL_VERSION})", field=HEADER_PROTOCOL)
    if header and isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise InvalidHeader(f"must be a whole number, got {value!r}",
                                field=HEADER_PROTOCOL) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMessage(f"must be an integer, got {_kind(value)}", field=field)
    if value not in SUPPORTED_PROTOCOLS:
        raise UnsupportedProtocol(value)
    return value


# ---- messages -----------------------------------------------------------------------

Op = Literal["upsert", "patch", "delete"]


@dataclass
class EnrollRequest:
    """``POST /v1/devices``: a device signs in as the member an invite was made for."""
    device_name: str
    invite_code: str

    def to_dict(self) -> dict:
        return {"device_name": self.device_name, "invite_code": self.invite_code}

    @classmethod
    def from_dict(cls, data: Any) -> "EnrollRequest":
        d = _obj(data, "body")
        _unknown_keys(d, {"device_name", "invite_code"}, "")
        return cls(device_name=_str(d, "device_name", "device_name"),
                   invite_code=_str(d, "invite_code", "invite_code", max_len=64))


def normalize_invite_code(code: str) -> str:
    """An invite code as the server keeps it: upper case, without the spaces and
    hyphens people type between its groups."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_invite_code(code: str) -> str:
    """``XXXX-XXXX-XXXX``: how an invite code is shown."""
    code = normalize_invite_code(code)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


@dataclass
class EnrollResponse:
    device_id: str
    token: str
    role: str
    member_id: str
    member_name: str = ""
    expires_at: Optional[str] = None

    def to_dict(self) -> dict:
        return {"device_id": self.device_id, "token": self.token, "role": self.role,
                "member_id": self.member_id, "member_name": self.member_name,
                "expires_at": self.expires_at}

    @classmethod
    def from_dict(cls, data: Any) -> "EnrollResponse":
        d = _obj(data, "body")
        return cls(device_id=_str(d, "device_id", "device_id"),
                   token=_str(d, "token", "token", max_len=500),
                   role=_str(d, "role", "role", choices=ROLES),
                   member_id=_str(d, "member_id", "member_id"),
                   member_name=_str(d, "member_name", "member_name", required=False,
                                    max_len=2000) or "",
                   expires_at=_str(d, "expires_at", "expires_at", required=False))


@dataclass
class PushEntry:
    """One outbox entry. ``data`` is the whole record (upsert), the changed fields
    (patch) or ignored (delete)."""
    seq: int
    type: str
    id: str
    op: Op = "upsert"
    data: dict = field(default_factory=dict)
    device_time: Optional[str] = None

    def to_dict(self) -> dict:
        return {"seq": self.seq, "type": self.type, "id": self.id, "op": self.op,
                "data": self.data, "device_time": self.device_time}

    @classmethod
    def from_dict(cls, data: Any, where: str = "entry") -> "PushEntry":
        e = cls._fast(data)
        return e if e is not None else cls._checked(data, where)

    @classmethod
    def _fast(cls, d: Any) -> "PushEntry | None":
        """The common, well-formed entry with a handful of type checks; None when
        anything is off (``_checked`` then names the field)."""
        if d.__class__ is not dict:
            return None
        seq, rtype, rid, op = d.get("seq"), d.get("type"), d.get("id"), d.get("op")
        body, device_time = d.get("data"), d.get("device_time")
        if (seq.__class__ is int and seq >= 1 and rtype.__class__ is str and rtype in RECORD_TYPES
                and rid.__class__ is str and _CANONICAL_ID(rid) is not None
                and (op == "upsert" or op == "patch" or op == "delete")
                and body.__class__ is dict
                and (device_time is None
                     or (device_time.__class__ is str and len(device_time) <= 64
                         and "\x00" not in device_time))
                and d.keys() <= _ENTRY_KEYS):
            return cls(seq, rtype, rid, op, body, device_time)
        return None

    @classmethod
    def _checked(cls, data: Any, where: str) -> "PushEntry":
        d = _obj(data, where)
        _unknown_keys(d, _ENTRY_KEYS, where)
        seq = _int(d, "seq", f"{where}.seq", minimum=1)
        rtype = _record_type(d, where)
        rid = _str(d, "id", f"{where}.id", max_len=64)
        if not is_uuid(rid):
            raise InvalidMessage(f"must be a UUID in canonical form (lower-case hex, "
                                 f"8-4-4-4-12 with hyphens), got {rid!r}", field=f"{where}.id")
        op = _str(d, "op", f"{where}.op", choices=OPS)
        body = d.get("data")
        if body is None:
            if op != "delete":
                raise InvalidMessage(f"is required for op {op!r}", field=f"{where}.data")
            body = {}
        elif not isinstance(body, dict):
            raise InvalidMessage(f"must be an object, got {_kind(body)}", field=f"{where}.data")
        device_time = _str(d, "device_time", f"{where}.device_time", required=False,
                           max_len=64)
        return cls(seq=seq, type=rtype, id=rid, op=op, data=body, device_time=device_time)


_ENTRY_KEYS = frozenset({"seq", "type", "id", "op", "data", "device_time"})


@dataclass
class PushRequest:
    device_id: str
    entries: list[PushEntry]
    app_version: Optional[str] = None
    protocol: int = PROTOCOL_VERSION

    def to_dict(self) -> dict:
        return {"protocol": self.protocol, "app_version": self.app_version,
                "device_id": self.device_id, "entries": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, data: Any, *, max_entries: int = MAX_BATCH_ENTRIES) -> "PushRequest":
        d = _obj(data, "body")
        _unknown_keys(d, {"protocol", "app_version", "device_id", "entries"}, "")
        protocol = check_protocol(d.get("protocol", PROTOCOL_VERSION), "protocol")
        app_version = _str(d, "app_version", "app_version", required=False, max_len=64)
        device_id = _str(d, "device_id", "device_id", max_len=64)
        raw = d.get("entries")
        if not isinstance(raw, list):
            raise InvalidMessage(f"must be a list, got {_kind(raw)}" if raw is not None
                                 else "is required", field="entries")
        if len(raw) > max_entries:
            raise BatchTooLarge(
                f"{len(raw)} entries in one push; the most this server takes is {max_entries}: "
                "send them in smaller batches",
                field="entries", details={"max_entries": max_entries, "received": len(raw)})
        entries = []
        fast, checked = PushEntry._fast, PushEntry._checked
        expected = None
        for i, item in enumerate(raw):
            e = fast(item) or checked(item, f"entries[{i}]")
            if e.seq != expected and expected is not None:
                raise InvalidMessage(
                    f"must be {expected} (one more than entries[{i - 1}].seq): seqs in a "
                    f"push are consecutive, got {e.seq}", field=f"entries[{i}].seq")
            entries.append(e)
            expected = e.seq + 1
        return cls(device_id=device_id, entries=entries, app_version=app_version,
                   protocol=protocol)


@dataclass
class Decision:
    """The server's answer to a contended request (a shift sign-up): the status, an
    English sentence (``reason``), the reason as a code a phone says in its person's
    language (``code``, ``stroll.domain.taxonomy.SIGNUP_REASONS``) and, when
    waitlisted, the place on the waitlist (``position``, 1 = next)."""
    status: Literal["confirmed", "waitlisted", "refused"]
    reason: str = ""
    code: str | None = None
    position: int | None = None

    def to_dict(self) -> dict:
        out: dict = {"status": self.status, "reason": self.reason}
        if self.code is not None:
            out["code"] = self.code
        if self.position is not None:
            out["position"] = self.position
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "decision") -> "Decision":
        d = _obj(data, where)
        position = d.get("position")
        if position is not None and (not isinstance(position, int)
                                     or isinstance(position, bool) or position < 1):
            raise InvalidMessage("must be a whole number >= 1", field=f"{where}.position")
        return cls(status=_str(d, "status", f"{where}.status", choices=DECISIONS),
                   reason=_str(d, "reason", f"{where}.reason", required=False,
                               max_len=2000, nul=True) or "",
                   code=_str(d, "code", f"{where}.code", required=False, max_len=64),
                   position=position)


@dataclass
class ErrorBody:
    """The one error shape: ``{"error": {"code", "message", "details"}}``."""
    code: str
    message: str
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message,
                          "details": self.details}}

    @classmethod
    def from_dict(cls, data: Any) -> "ErrorBody":
        d = _obj(data, "body")
        err = _obj(d.get("error"), "error")
        details = err.get("details") or {}
        if not isinstance(details, dict):
            raise InvalidMessage(f"must be an object, got {_kind(details)}",
                                 field="error.details")
        return cls(code=_str(err, "code", "error.code", max_len=100),
                   message=_str(err, "message", "error.message", max_len=100_000,
                                nul=True),
                   details=details)


@dataclass
class PushResult:
    seq: int
    status: Literal["applied", "duplicate", "rejected"]
    error: Optional[ErrorBody] = None       # why it was rejected
    decision: Optional[Decision] = None     # for contended records (sign-ups)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"seq": self.seq, "status": self.status}
        if self.error is not None:
            out["error"] = self.error.to_dict()["error"]
        if self.decision is not None:
            out["decision"] = self.decision.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "result") -> "PushResult":
        d = _obj(data, where)
        seq = _int(d, "seq", f"{where}.seq", minimum=1)
        status = _str(d, "status", f"{where}.status", choices=RESULT_STATUSES)
        error = None
        if d.get("error") is not None:
            error = ErrorBody.from_dict({"error": d["error"]})
        decision = None
        if d.get("decision") is not None:
            decision = Decision.from_dict(d["decision"], f"{where}.decision")
        return cls(seq=seq, status=status, error=error, decision=decision)


@dataclass
class PushResponse:
    acked_through: int
    results: list[PushResult]
    server_time: str

    def to_dict(self) -> dict:
        return {"acked_through": self.acked_through,
                "results": [r.to_dict() for r in self.results],
                "server_time": self.server_time}

    @classmethod
    def from_dict(cls, data: Any) -> "PushResponse":
        d = _obj(data, "body")
        acked = _int(d, "acked_through", "acked_through", minimum=0)
        raw = d.get("results")
        if not isinstance(raw, list):
            raise InvalidMessage(f"must be a list, got {_kind(raw)}", field="results")
        return cls(acked_through=acked,
                   results=[PushResult.from_dict(r, f"results[{i}]") for i, r in enumerate(raw)],
                   server_time=_str(d, "server_time", "server_time", max_len=64))


@dataclass
class PullChange:
    cursor: int
    type: str
    id: str
    op: Literal["upsert", "delete"]
    data: Optional[dict] = None   # None for a delete (tombstone)

    def to_dict(self) -> dict:
        return {"cursor": self.cursor, "type": self.type, "id": self.id, "op": self.op,
                "data": self.data}

    @classmethod
    def from_dict(cls, data: Any, where: str = "change") -> "PullChange":
        d = _obj(data, where)
        cursor = _int(d, "cursor", f"{where}.cursor", minimum=1)
        rtype = _record_type(d, where)
        rid = _str(d, "id", f"{where}.id", max_len=64)
        if not is_uuid(rid):
            raise InvalidMessage(f"must be a UUID in canonical form (lower-case hex, "
                                 f"8-4-4-4-12 with hyphens), got {rid!r}", field=f"{where}.id")
        op = _str(d, "op", f"{where}.op", choices=PULL_OPS)
        body = d.get("data")
        if op == "upsert" and not isinstance(body, dict):
            raise InvalidMessage(f"must be an object, got {_kind(body)}", field=f"{where}.data")
        return cls(cursor=cursor, type=rtype, id=rid, op=op,
                   data=body if isinstance(body, dict) else None)


@dataclass
class PullResponse:
    changes: list[PullChange]
    next_cursor: int
    has_more: bool = False

    def to_dict(self) -> dict:
        return {"changes": [c.to_dict() for c in self.changes],
                "next_cursor": self.next_cursor, "has_more": self.has_more}

    @classmethod
    def from_dict(cls, data: Any) -> "PullResponse":
        d = _obj(data, "body")
        raw = d.get("changes")
        if not isinstance(raw, list):
            raise InvalidMessage(f"must be a list, got {_kind(raw)}", field="changes")
        changes = [PullChange.from_dict(c, f"changes[{i}]") for i, c in enumerate(raw)]
        next_cursor = _int(d, "next_cursor", "next_cursor", minimum=0)
        has_more = d.get("has_more", False)
        if not isinstance(has_more, bool):
            raise InvalidMessage(f"must be true or false, got {_kind(has_more)}",
                                 field="has_more")
        prev = None
        for i, c in enumerate(changes):
            if prev is not None and c.cursor <= prev:
                raise InvalidMessage(f"must be greater than changes[{i - 1}].cursor ({prev})",
                                     field=f"changes[{i}].cursor")
            prev = c.cursor
        if prev is not None and next_cursor < prev:
            raise InvalidMessage(f"must be at least the last change's cursor ({prev})",
                                 field="next_cursor")
        return cls(changes=changes, next_cursor=next_cursor, has_more=has_more)


def parse_pull_query(after: Any, limit: Any) -> tuple[int, int]:
    """``after`` and ``limit`` of ``GET /v1/sync/pull`` (query text or ints), checked."""
    def num(value, name, default):
        if value is None or value == "":
            return default
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise InvalidMessage(f"must be a whole number, got {value!r}",
                                     field=name) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidMessage(f"must be an integer, got {_kind(value)}", field=name)
        return value
    a = num(after, "after", 0)
    n = num(limit, "limit", DEFAULT_PULL_LIMIT)
    if not 0 <= a <= MAX_CURSOR:
        raise InvalidMessage(f"must be between 0 and {MAX_CURSOR}, got {a}", field="after")
    if not 1 <= n <= MAX_PULL_LIMIT:
        raise InvalidMessage(f"must be between 1 and {MAX_PULL_LIMIT}, got {n}", field="limit")
    return a, n


def request_headers(app_version: str, token: str | None = None) -> dict[str, str]:
    """The headers every request carries (see docs/SYNC.md, Every request)."""
    headers = {HEADER_PROTOCOL: str(PROTOCOL_VERSION), HEADER_APP: app_version}
    if token:
        headers[HEADER_AUTH] = f"{AUTH_SCHEME} {token}"
    return headers


__all__ = [
    "PROTOCOL_VERSION", "SUPPORTED_PROTOCOLS", "HEADER_PROTOCOL", "HEADER_APP", "HEADER_AUTH",
"AUTH_SCHEME", "MAX_BATCH_ENTRIES", "MAX_BODY_BYTES",
    "DEFAULT_PULL_LIMIT", "MAX_PULL_LIMIT", "OPS", "PULL_OPS", "RESULT_STATUSES",
    "DECISIONS", "ROLES", "ERROR_CODES", "status_of", "code_for_status",
    "CodedError", "ProtocolError", "InvalidMessage", "MalformedJSON", "InvalidHeader",
    "UnknownTypeInMessage", "BatchTooLarge", "BodyTooLarge", "UnsupportedProtocol",
    "check_protocol", "parse_pull_query", "request_headers",
    "EnrollRequest", "EnrollResponse", "PushEntry", "PushRequest", "Decision", "ErrorBody",
    "PushResult", "PushResponse", "PullChange", "PullResponse",
]
