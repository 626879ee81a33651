"""The server's storage interface: ``Storage`` (one per server process), the
``WriteTx`` a push runs in, the rows they hand out and the storage errors.

One module owns the server's database: every other server module asks a
``Storage``. The SQL both backends share, and the storage built on it, is
``sql.SQLStorage``; the push with group commit is ``push.GroupCommit``; the
connection pool is ``pool.Pool``. How cursors are assigned so that pulls never
skip a change is told in ``push``.

Storage errors carry a protocol error code (``sync.protocol.ERROR_CODES``), never
an HTTP status: the server maps the code to its status at the edge.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

from ...protocol import CodedError, PushEntry, PushResult
from ..rules import Actor
from ..merge import AppliedRow, Key, RecordWrite, StoredRecord
from ..signups import SignupRow

# ---- errors -----------------------------------------------------------------------------


class StorageError(CodedError, code="storage_error"):
    """The database refused what the server asked of it, or cannot be opened."""


class StorageUnavailable(StorageError, code="unavailable"):
    """The database cannot be reached or has no free connection: retry later."""


class SequenceGap(StorageError, code="sequence_gap"):
    """A push does not start at the device's last applied seq + 1 (nothing applied)."""

    def __init__(self, device_id: str, expected: int, got: int):
        self.device_id = device_id
        self.expected = expected
        self.got = got
        super().__init__(
            f"device {device_id}: push starts at seq {got} but the server has applied "
            f"through {expected - 1}; resend from seq {expected}",
            expected=expected, received=got)


class DeviceNotFound(StorageError, code="auth_required"):
    """A push from a device that is not enrolled, or was revoked."""

    def __init__(self, device_id: str):
        super().__init__(f"device {device_id} is not enrolled (or was revoked): enroll again")


class LoginTaken(StorageError, code="invalid_message"):
    """A console sign-in name another member already uses."""

    def __init__(self, login: str):
        self.login = login
        super().__init__(f"the sign-in name {login!r} is taken by another member",
                         field="login")


# ---- rows -------------------------------------------------------------------------------


@dataclass
class ConsoleAccount:
    """A member who may sign in to the console: a sign-in name, an argon2 hash of
    their password, the language their pages are in."""
    member_id: str
    login: str
    password_hash: str
    lang: str


@dataclass
class ConsoleSession:
    """A signed-in console session (the cookie's token is kept only as a hash)."""
    member_id: str
    csrf: str
    expires_at: str
    login: str
    lang: str


@dataclass
class Device:
    """An enrolled device. ``role`` is its member's role as the server holds it now
    (None when the member record is missing or deleted: the device may do nothing);
    ``enrolled_role`` the role it was signed in with (what it holds was pulled in)."""
    id: str
    name: str
    member_id: str | None
    role: str | None
    last_seq: int
    created_at: str
    revoked: bool = False
    expires_at: str | None = None
    enrolled_role: str | None = None


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
    def load_member_signups(self, member_id: str) -> list[SignupRow]: ...

    @abstractmethod
    def write(self, *, records: list[RecordWrite], signups: list[SignupRow],
              applied: list[tuple[str, AppliedRow]], last_seqs: dict[str, int], cursor: int,
              received_at: str) -> None:
        """Write a group's changes: records (with their cursors), the sign-up index,
        the applied log (device id, row), each device's new last seq, the counter."""


class Storage(ABC):
    """The server's database. Thread-safe; one instance per server process."""

    name: str = ""

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
                      token_hash: str, app_version: str | None, created_at: str,
                      expires_at: str | None = None) -> Device: ...

    @abstractmethod
    def device_by_token_hash(self, token_hash: str) -> Device | None:
        """The device of a token, revoked or not (the caller tells them apart)."""

    @abstractmethod
    def device_by_id(self, device_id: str) -> Device | None: ...

    @abstractmethod
    def devices(self) -> list[Device]: ...

    @abstractmethod
    def revoke_device(self, device_id: str, at: str) -> bool: ...

    @abstractmethod
    def revoke_member_devices(self, member_id: str, at: str) -> int: ...

    @abstractmethod
    def extend_device(self, device_id: str, expires_at: str) -> None:
        """Move a device token's expiry (a token in use is refreshed silently)."""

    # ---- members, invites, audit ----------------------------------------------------------
    @abstractmethod
    def member_record(self, member_id: str) -> dict | None:
        """The member's record as stored, or None (unknown or deleted)."""

    @abstractmethod
    def create_invite(self, *, code_hash: str, member_id: str, created_by: str | None,
                      created_at: str, expires_at: str) -> None: ...

    @abstractmethod
    def invite(self, code_hash: str) -> tuple | None:
        """``(member_id, expires_at, used_at)`` of an invite, or None."""

    @abstractmethod
    def redeem_invite(self, *, code_hash: str, now: str, device_id: str, name: str,
                      token_hash: str, app_version: str | None,
                      expires_at: str) -> Device | None:
        """Take an unused, unexpired invite and enroll a device as its member, in one
        transaction; None when the invite cannot be taken (unknown, used, expired)."""

    @abstractmethod
    def drop_member_invites(self, member_id: str, at: str) -> int:
        """Expire the member's unused invites now; how many."""

    @abstractmethod
    def add_audit(self, *, at: str, member_id: str | None, device_id: str | None,
                  action: str, detail: str) -> None:
        """Append one line to the audit log (it is never changed or shortened)."""

    @abstractmethod
    def audit(self, after: int = 0, limit: int = 500) -> list[tuple]:
        """Audit lines after id ``after``: ``(id, at, member_id, device_id, action, detail)``."""

    @abstractmethod
    def revoke_member_sessions(self, member_id: str) -> int:
        """End every console session of a member; how many."""

    # ---- the console ----------------------------------------------------------------------
    @abstractmethod
    def console_account(self, *, login: str | None = None,
                        member_id: str | None = None) -> ConsoleAccount | None: ...

    @abstractmethod
    def redeem_invite_for_console(self, *, code_hash: str, now: str, login: str,
                                  password_hash: str, lang: str) -> str | None:
        """Take an unused, unexpired invite and give its member a console sign-in
        (replacing an earlier one, ending its sessions), in one transaction; the
        member's id, or None when the invite cannot be taken. LoginTaken when another
        member signs in with ``login``."""

    @abstractmethod
    def set_console_password_hash(self, member_id: str, password_hash: str) -> None: ...

    @abstractmethod
    def set_console_lang(self, member_id: str, lang: str) -> None: ...

    @abstractmethod
    def create_console_session(self, *, token_hash: str, member_id: str, csrf: str,
                               created_at: str, expires_at: str) -> None:
        """A new session (expired sessions are dropped on the way)."""

    @abstractmethod
    def console_session(self, token_hash: str) -> ConsoleSession | None: ...

    @abstractmethod
    def extend_console_session(self, token_hash: str, expires_at: str) -> None: ...

    @abstractmethod
    def drop_console_session(self, token_hash: str) -> None: ...

    @abstractmethod
    def records_of_type(self, rtype: str) -> list[dict]:
        """Every live record of a type, as stored (full view)."""

    def count_records(self, rtypes: list[str]) -> dict[str, int]:
        """How many live records of each type (the console's home page)."""
        return {rtype: len(self.records_of_type(rtype)) for rtype in rtypes}

    @abstractmethod
    def live_record(self, rtype: str, record_id: str) -> dict | None: ...

    @abstractmethod
    def records_where(self, rtype: str, field_name: str, value: str) -> list[dict]:
        """The live records of a type whose top-level field ``field_name`` is ``value``
        (text), e.g. the track chunks of one stroll."""

    @abstractmethod
    def records_on_days(self, rtype: str, field_name: str, first_day: date,
                        last_day: date) -> list[dict]:
        """The live records of a type whose time field ``field_name`` is written with a
        date from ``first_day`` to ``last_day`` (its own offset's date: widen the days
        by one each side and compare the times to keep an exact period)."""

    @abstractmethod
    def cursor(self) -> int:
        """The cursor of the latest committed write: what the records hold is unchanged
        while it stands (a page may keep what it worked out until it moves)."""

    @abstractmethod
    def track_chunks_of(self, stroll_ids: list[str]) -> list[dict]:
        """The live track chunks of these strolls (any order)."""

    @abstractmethod
    def active_signups(self, shift_id: str | None = None) -> list[tuple[str, str, str, str]]:
        """``(shift_id, signup_id, member_id, status)`` of the confirmed and waitlisted
        sign-ups (of one shift, or all), in order of arrival."""

    # ---- the console's dashboard (counted by the database; sql.py DASHBOARD_*) ------------
    # Each counts by neighborhood (the record's id; None: none known) and by bucket of
    # time: bucket i runs from ``edges[i]`` to ``edges[i + 1]`` (ISO instants; the range
    # is ``edges[0]`` to ``edges[-1]``). ``now``: an ISO instant. ``neighborhood_id``:
    # one neighborhood's records only.
    @abstractmethod
    def dashboard_strolls(self, edges: list[str], now: str, neighborhood_id: str | None = None
                          ) -> list[tuple[str | None, int, int, float, float]]:
        """``(neighborhood, bucket, strolls, metres walked, seconds on patrol)`` of the
        strolls started in the range (an unended stroll adds no time)."""

    @abstractmethod
    def dashboard_service(self, edges: list[str], now: str, neighborhood_id: str | None = None
                          ) -> list[tuple[str | None, int, int, float]]:
        """``(neighborhood, bucket, sign-ups served, seconds served)`` by the check-in's
        time, as ``stroll.domain.volunteering.hours`` counts a volunteer's hours."""

    @abstractmethod
    def dashboard_check_ins(self, edges: list[str], now: str, neighborhood_id: str | None = None
                            ) -> list[tuple[str | None, int, str, int]]:
        """``(neighborhood, bucket, status, check-ins)``: merchant check-ins, where the
        merchant is."""

    @abstractmethod
    def dashboard_incidents(self, edges: list[str], now: str, neighborhood_id: str | None = None
                            ) -> list[tuple[str | None, int, str | None, int]]:
        """``(neighborhood, bucket, harm type, incidents)`` of the incidents that may be
        counted (``include_in_aggregate``); harm type None: every incident once."""

    @abstractmethod
    def dashboard_follow_ups(self, edges: list[str], now: str, neighborhood_id: str | None = None
                             ) -> list[tuple[str, bool, int]]:
        """``(status, next action date passed, follow-ups)`` of the incidents counted
        in the range (of the neighborhood)."""

    # ---- calendar feeds (docs/SYNC.md, Calendar feed) -------------------------------------
    @abstractmethod
    def set_calendar_feed(self, member_id: str, token_hash: str, created_at: str) -> None:
        """Make or replace the member's feed: the address of the one before stops working."""

    @abstractmethod
    def calendar_feed_member(self, token_hash: str) -> str | None:
        """The member whose feed the token's hash names, or None (no such feed, or the
        member record was deleted)."""

    @abstractmethod
    def drop_calendar_feed(self, member_id: str) -> bool:
        """Stop the member's feed; whether there was one."""

    @abstractmethod
    def member_shifts(self, member_id: str) -> list[tuple[dict, dict]]:
        """``(sign-up, shift)`` records of the member's confirmed and waitlisted
        sign-ups whose shift lives, in order of arrival."""

    # ---- sync ---------------------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def write_transaction(self) -> Iterator[WriteTx]: ...

    @abstractmethod
    def push(self, device_id: str, entries: list[PushEntry], now: datetime | None = None,
             *, last_seq_hint: int | None = None, actor: Actor) -> PushOutcome:
        """Apply one push batch in one transaction (docs/SYNC.md, Push).

        Raises SequenceGap (nothing applied) when the first new entry is not the
        device's last applied seq + 1, DeviceNotFound for an unknown device.
        ``last_seq_hint``: the device's last seq as read a moment ago (by the auth
        lookup), saving a query; it can only be behind, and is checked again under
        the lock. ``actor``: whom the device acts for (its member and role): every
        entry is checked against ``sync.server.rules.may_write``."""

    @abstractmethod
    def write_as(self, actor: Actor, entries: list[PushEntry],
                 now: datetime | None = None) -> list[PushResult]:
        """Entries the server writes itself (the command line, the member API) through
        the same rules, merge and cursor as a push; one result an entry."""

    @abstractmethod
    def pull(self, after: int, limit: int, *, reader: Actor) -> tuple[list[PullRow], bool]:
        """Changes with cursor > ``after`` in cursor order, at most ``limit``, and
        whether more wait: those ``reader`` may see, as its role sees them
        (``sync.server.rules.READ``)."""

    @abstractmethod
    def pull_page(self, after: int, limit: int, *, reader: Actor,
                  survivors: list | None = None) -> bytes:
        """Like ``pull``, but the whole answer of ``GET /v1/sync/pull`` as JSON bytes
        (docs/SYNC.md, Pull): the changes are joined by the database (one value, not a
        row a change), so the server neither decodes nor re-encodes a record.
        ``survivors`` (for the audit log): gets ``"cursor:type:id,..."`` of the page's
        records that hold survivor fields, when the page holds any and the reader's
        role reads them."""

    @abstractmethod
    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows of one read statement of ``sql`` (written with ``?`` placeholders,
        adapted to the backend), on a connection of the pool."""
