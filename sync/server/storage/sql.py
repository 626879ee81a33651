"""The SQL of the server's storage, written once for both backends, and the storage
built on it (``SQLStorage``).

Statements are written with ``?`` placeholders; ``Dialect.sql`` hands them to
psycopg as ``%s``. What SQLite and PostgreSQL spell differently is a field of a
``Dialect`` (column types, the id list of a lookup, the pull page's aggregate, the
cursor lock), so every statement, the schema included, stands here once. A backend
module keeps only what truly differs: its connections, SQLite's file write lock
and upsert, PostgreSQL's COPY and advisory migration lock.

Pull pages are built by the database as JSON text (``PULL_LINE``), so the server
neither decodes nor re-encodes a record to serve it, and both backends answer the
same bytes. What a role pulls (``rules.READ``) becomes each pull's column and
condition here (``pull_scope``).

Size: longer than most modules on purpose: every statement of the server's database
stands here once, beside the storage that runs it, so a change to the schema or a
query is read and reviewed in one place for both backends.
"""
from __future__ import annotations

import json
from abc import abstractmethod
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterator

from stroll.domain.records import CheckIn, FollowUp

from ...protocol import MAX_PAGE_BYTES
from ..rules import READ, carries_survivor_fields, reads
from ..merge import AppliedRow, Key, RecordWrite, StoredRecord, stored_record
from ..signups import SignupRow
from .base import (ConsoleAccount, ConsoleSession, Device, LoginTaken, PullRow, Storage,
                   StorageUnavailable, WriteTx)
from .push import GroupCommit

# ---- the schema ------------------------------------------------------------------------

_SCHEMA_0001 = """
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        member_id TEXT,
        role TEXT NOT NULL,
        last_seq {bigint} NOT NULL DEFAULT 0,
        app_version TEXT,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE records (
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        data TEXT,
        data_public TEXT,
        deleted {boolean} NOT NULL DEFAULT {false},
        cursor {bigint} NOT NULL UNIQUE,
        device_id TEXT,
        device_time TEXT,
        received_at TEXT NOT NULL,
        {record_key} (id, type)
    );
    CREATE TABLE applied (
        device_id TEXT NOT NULL,
        seq {bigint} NOT NULL,
        status TEXT NOT NULL,
        result TEXT,
        PRIMARY KEY (device_id, seq)
    ){applied_options};
    CREATE TABLE signups (
        id TEXT PRIMARY KEY,
        shift_id TEXT NOT NULL,
        member_id TEXT,
        status TEXT NOT NULL,
        position {bigint} NOT NULL
    );
    CREATE INDEX signups_shift ON signups (shift_id, status);
    CREATE TABLE sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cursor {bigint} NOT NULL
    );
    INSERT INTO sync_state (id, cursor) VALUES (1, 0)
"""

# Members sign in by invite; records know their author and who they concern.
_SCHEMA_0002 = """
    ALTER TABLE records ADD COLUMN owner TEXT;
    ALTER TABLE records ADD COLUMN audience TEXT;
    ALTER TABLE records ADD COLUMN data_coarse TEXT;
    ALTER TABLE records ADD COLUMN survivor {boolean} NOT NULL DEFAULT {false};
    UPDATE records SET survivor = COALESCE(data_public IS NOT NULL AND data <> data_public,
                                           {false});
    ALTER TABLE devices ADD COLUMN expires_at TEXT;
    CREATE INDEX devices_member ON devices (member_id);
    CREATE TABLE invites (
        code_hash TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        device_id TEXT
    );
    CREATE INDEX invites_member ON invites (member_id);
    CREATE TABLE audit (
        id {serial},
        at TEXT NOT NULL,
        member_id TEXT,
        device_id TEXT,
        action TEXT NOT NULL,
        detail TEXT
    )
"""

# The console: members who set a password (by redeeming an invite) and their sessions;
# the program's records listed by type.
_SCHEMA_0003 = """
    CREATE TABLE console_accounts (
        member_id TEXT PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        lang TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX console_sessions_member ON console_sessions (member_id);
    CREATE INDEX records_type ON records (type, deleted)
"""

# A member's sign-ups (a member is on one shift at a time).
_SCHEMA_0004 = """
    CREATE INDEX signups_member ON signups (member_id, status)
"""

# A member's calendar feed: the secret of its address kept only as a hash, one a member.
_SCHEMA_0005 = """
    CREATE TABLE calendar_feeds (
        member_id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    )
"""

# The console's maps: a stroll's track chunks found without reading every chunk.
_SCHEMA_0006 = """
    CREATE INDEX records_track_stroll ON records ({chunk_stroll}) WHERE type = 'track_chunk'
"""

MIGRATIONS: list[tuple[str, str]] = [("0001_devices_records_applied_signups", _SCHEMA_0001),
                                     ("0002_members_invites_owners_audit", _SCHEMA_0002),
                                     ("0003_console_accounts_sessions", _SCHEMA_0003),
                                     ("0004_signups_member", _SCHEMA_0004),
                                     ("0005_calendar_feeds", _SCHEMA_0005),
                                     ("0006_track_chunks_by_stroll", _SCHEMA_0006)]

MIGRATIONS_TABLE = ("CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
MIGRATIONS_DONE = "SELECT name FROM schema_migrations"
MIGRATION_APPLIED = "INSERT INTO schema_migrations VALUES (?, ?)"

# ---- devices ---------------------------------------------------------------------------

CREATE_DEVICE = ("INSERT INTO devices (id, name, token_hash, member_id, role, last_seq, "
                 "app_version, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)")
# a device with its member's record as it stands now (the role is the member's)
DEVICE_COLUMNS = ("d.id, d.name, d.member_id, d.last_seq, d.created_at, d.expires_at, "
                  "d.revoked_at, d.role, m.data, m.deleted")
DEVICE_BY_TOKEN = (f"SELECT {DEVICE_COLUMNS} FROM devices d LEFT JOIN records m "
                   "ON m.id = d.member_id AND m.type = 'member' WHERE d.token_hash = ?")
DEVICE_BY_ID = (f"SELECT {DEVICE_COLUMNS} FROM devices d LEFT JOIN records m "
                "ON m.id = d.member_id AND m.type = 'member' WHERE d.id = ?")
DEVICES = (f"SELECT {DEVICE_COLUMNS} FROM devices d LEFT JOIN records m "
           "ON m.id = d.member_id AND m.type = 'member' ORDER BY d.created_at, d.id")
REVOKE_DEVICE = "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
REVOKE_MEMBER_DEVICES = ("UPDATE devices SET revoked_at = ? WHERE member_id = ? "
                         "AND revoked_at IS NULL")
EXTEND_DEVICE = "UPDATE devices SET expires_at = ? WHERE id = ? AND revoked_at IS NULL"

# ---- invites and the audit log ---------------------------------------------------------

CREATE_INVITE = ("INSERT INTO invites (code_hash, member_id, created_by, created_at, "
                 "expires_at) VALUES (?, ?, ?, ?, ?)")
INVITE = "SELECT member_id, expires_at, used_at FROM invites WHERE code_hash = ?"
# taken once: the row changes only while unused and unexpired
TAKE_INVITE = ("UPDATE invites SET used_at = ?, device_id = ? WHERE code_hash = ? "
               "AND used_at IS NULL AND expires_at > ?")
DROP_MEMBER_INVITES = ("UPDATE invites SET expires_at = ? WHERE member_id = ? "
                       "AND used_at IS NULL AND expires_at > ?")
MEMBER_RECORD = "SELECT data, deleted FROM records WHERE type = 'member' AND id = ?"
ADD_AUDIT = ("INSERT INTO audit (at, member_id, device_id, action, detail) "
             "VALUES (?, ?, ?, ?, ?)")
AUDIT = ("SELECT id, at, member_id, device_id, action, detail FROM audit WHERE id > ? "
         "ORDER BY id LIMIT ?")
LAST_SEQ = "SELECT last_seq FROM devices WHERE id = ? AND revoked_at IS NULL"
APPLIED_RESULTS = "SELECT seq, result FROM applied WHERE device_id = ? AND seq BETWEEN ? AND ?"

# ---- the console ------------------------------------------------------------------------

ACCOUNT_COLUMNS = "member_id, login, password_hash, lang"
ACCOUNT_BY_LOGIN = f"SELECT {ACCOUNT_COLUMNS} FROM console_accounts WHERE login = ?"
ACCOUNT_OF = f"SELECT {ACCOUNT_COLUMNS} FROM console_accounts WHERE member_id = ?"
DROP_ACCOUNT = "DELETE FROM console_accounts WHERE member_id = ?"
ADD_ACCOUNT = ("INSERT INTO console_accounts (member_id, login, password_hash, lang, "
               "created_at) VALUES (?, ?, ?, ?, ?)")
SET_PASSWORD = "UPDATE console_accounts SET password_hash = ? WHERE member_id = ?"
SET_LANG = "UPDATE console_accounts SET lang = ? WHERE member_id = ?"
ADD_SESSION = ("INSERT INTO console_sessions (token_hash, member_id, csrf, created_at, "
               "expires_at) VALUES (?, ?, ?, ?, ?)")
SESSION = ("SELECT s.member_id, s.csrf, s.expires_at, a.login, a.lang FROM console_sessions s "
           "JOIN console_accounts a ON a.member_id = s.member_id WHERE s.token_hash = ?")
EXTEND_SESSION = "UPDATE console_sessions SET expires_at = ? WHERE token_hash = ?"
DROP_SESSION = "DELETE FROM console_sessions WHERE token_hash = ?"
DROP_MEMBER_SESSIONS = "DELETE FROM console_sessions WHERE member_id = ?"
DROP_EXPIRED_SESSIONS = "DELETE FROM console_sessions WHERE expires_at <= ?"
RECORDS_OF_TYPE = "SELECT data FROM records WHERE type = ? AND NOT deleted"
LIVE_RECORD = "SELECT data FROM records WHERE type = ? AND id = ? AND NOT deleted"
RECORDS_WHERE = "SELECT data FROM records WHERE type = ? AND NOT deleted AND {field} = ?"
# records whose time field falls on days first..last (its date as written: the caller
# widens the days by one each side for offsets, then compares exact times)
RECORDS_ON_DAYS = ("SELECT data FROM records WHERE type = ? AND NOT deleted "
                   "AND substr({field}, 1, 10) BETWEEN ? AND ?")
TRACK_CHUNKS_OF = ("SELECT data FROM records WHERE type = 'track_chunk' AND NOT deleted "
                   "AND {chunk_stroll} {in_list}")
COUNT_LIVE_RECORDS = ("SELECT type, count(*) FROM records WHERE type IN ({types}) "
                      "AND NOT deleted AND data IS NOT NULL GROUP BY type")
# ---- calendar feeds ---------------------------------------------------------------------

SET_CALENDAR_FEED = ("INSERT INTO calendar_feeds (member_id, token_hash, created_at) "
                     "VALUES (?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET "
                     "token_hash = excluded.token_hash, created_at = excluded.created_at")
# the feed's member, while the member record lives
CALENDAR_FEED_MEMBER = ("SELECT f.member_id FROM calendar_feeds f JOIN records m "
                        "ON m.type = 'member' AND m.id = f.member_id "
                        "WHERE f.token_hash = ? AND NOT m.deleted AND m.data IS NOT NULL")
DROP_CALENDAR_FEED = "DELETE FROM calendar_feeds WHERE member_id = ?"
# a member's confirmed and waitlisted sign-ups with their shifts (both live), in order
# of arrival
MEMBER_SHIFTS = ("SELECT su.data, sh.data FROM signups s "
                 "JOIN records su ON su.type = 'signup' AND su.id = s.id "
                 "JOIN records sh ON sh.type = 'shift' AND sh.id = s.shift_id "
                 "WHERE s.member_id = ? AND s.status IN ('confirmed', 'waitlisted') "
                 "AND NOT su.deleted AND su.data IS NOT NULL "
                 "AND NOT sh.deleted AND sh.data IS NOT NULL ORDER BY s.position")
ACTIVE_SIGNUPS_ALL = ("SELECT shift_id, id, member_id, status FROM signups "
                      "WHERE status IN ('confirmed', 'waitlisted') ORDER BY position")

# ---- a push ----------------------------------------------------------------------------

CURSOR = "SELECT cursor FROM sync_state WHERE id = 1"
LOAD_RECORDS = ("SELECT type, id, data, deleted, owner, audience FROM records "
                "WHERE {ids_in}")
ACTIVE_SIGNUPS = ("SELECT id, shift_id, member_id, status, position FROM signups "
                  "WHERE shift_id = ? AND status IN ('confirmed', 'waitlisted')")
MEMBER_SIGNUPS = ("SELECT id, shift_id, member_id, status, position FROM signups "
                  "WHERE member_id = ? AND status IN ('confirmed', 'waitlisted')")
RECORD_COLUMNS = ("type, id, data, data_public, data_coarse, deleted, cursor, device_id, "
                  "device_time, received_at, owner, audience, survivor")
UPSERT_RECORDS = (f"INSERT INTO records ({RECORD_COLUMNS}) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (id, type) DO UPDATE SET data = excluded.data, "
                  "data_public = excluded.data_public, data_coarse = excluded.data_coarse, "
                  "survivor = excluded.survivor, deleted = excluded.deleted, "
                  "cursor = excluded.cursor, device_id = excluded.device_id, "
                  "device_time = excluded.device_time, received_at = excluded.received_at, "
                  "owner = excluded.owner, audience = excluded.audience")
COPY_RECORDS = f"COPY records ({RECORD_COLUMNS}) FROM STDIN"
UPDATE_RECORDS = ("UPDATE records SET data = ?, data_public = ?, data_coarse = ?, "
                  "survivor = ?, deleted = ?, cursor = ?, device_id = ?, device_time = ?, "
                  "received_at = ?, owner = ?, audience = ? WHERE id = ? AND type = ?")
UPSERT_SIGNUPS = ("INSERT INTO signups (id, shift_id, member_id, status, position) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                  "status = excluded.status, member_id = excluded.member_id")
INSERT_APPLIED = "INSERT INTO applied (device_id, seq, status, result) VALUES (?, ?, ?, ?)"
COPY_APPLIED = "COPY applied (device_id, seq, status, result) FROM STDIN"
SET_LAST_SEQ = "UPDATE devices SET last_seq = ? WHERE id = ?"
SET_CURSOR = "UPDATE sync_state SET cursor = ? WHERE id = 1"

# ---- a pull ----------------------------------------------------------------------------

# One change of a pull page as JSON, built by the database (docs/SYNC.md, Pull); ids
# are UUIDs and types come from the closed list, so neither needs escaping.
PULL_LINE = (
    "CASE WHEN deleted THEN '{{\"cursor\":' || cursor || ',\"type\":\"' || type || "
    "'\",\"id\":\"' || id || '\",\"op\":\"delete\",\"data\":null}}' "
    "ELSE '{{\"cursor\":' || cursor || ',\"type\":\"' || type || "
    "'\",\"id\":\"' || id || '\",\"op\":\"upsert\",\"data\":' || {col} || '}}' END")
PULL_ROWS = ("SELECT cursor, type, id, deleted, {col} FROM records "
             "WHERE cursor > ?{scope} ORDER BY cursor LIMIT ?")
# The subquery hands its rows to the aggregate in cursor order (pinned by
# test_pull_pages_in_cursor_order_without_gaps_or_repeats).
# ``{survivors}``: "cursor:type:id" of the page's records that hold survivor fields, for
# the audit log of a role that reads them (else NULL)
PULL_PAGE = ("SELECT count(*), max(cursor), {changes}, {survivors} FROM "
             "(SELECT cursor, type, id, survivor, {line} AS line FROM records "
             "WHERE cursor > ?{scope} ORDER BY cursor LIMIT ?) AS page")
MORE_AFTER = "SELECT EXISTS (SELECT 1 FROM records WHERE cursor > ?{scope})"

# What a role pulls (sync.server.rules.READ) as SQL: the column of each view, and the
# records of the member's team (``audience`` holds ",id,id,": whom a record concerns).
VIEW_COLUMN = {"full": "data", "public": "coalesce(data_public, data)",
               "coarse": "coalesce(data_coarse, data_public, data)"}
ON_TEAM = "audience LIKE ?"


@dataclass(frozen=True)
class PullScope:
    """A role's pull: ``column`` (its data) and ``where`` (which records), each with
    ``?`` for the member's team pattern, ``column_params`` and ``where_params`` times."""
    column: str
    where: str
    column_params: int
    where_params: int

    def params(self, member_id: str | None, after: int, limit: int) -> tuple:
        """The parameters of a page (or rows) statement."""
        team = _team(member_id)
        return ((team,) * self.column_params + (after,) + (team,) * self.where_params
                + (limit,))

    def more_params(self, member_id: str | None, after: int) -> tuple:
        """The parameters of ``MORE_AFTER``."""
        return (after,) + (_team(member_id),) * self.where_params


def _team(member_id: str | None) -> str:
    return f"%,{member_id},%" if member_id else ""


def _types(types: list[str]) -> str:
    return "(" + ", ".join(f"'{t}'" for t in types) + ")"


@lru_cache(maxsize=None)
def pull_scope(role: str) -> PullScope:
    by_view: dict[str, list[str]] = {}
    mixed: list[tuple[str, tuple]] = []
    everyone, team = [], []
    for rtype in READ:
        rules = reads(rtype, role)
        if not rules:
            continue
        (everyone if any(w == "all" for w, _ in rules) else team).append(rtype)
        if len({v for _, v in rules}) == 1:
            by_view.setdefault(rules[0][1], []).append(rtype)
        else:
            mixed.append((rtype, rules))
    n_col = 0
    if not mixed and len(by_view) == 1:
        column = VIEW_COLUMN[next(iter(by_view))]
    else:
        cases = []
        for rtype, rules in mixed:
            for whose, view in rules:
                cond = f"type = '{rtype}'" + (f" AND {ON_TEAM}" if whose == "team" else "")
                n_col += whose == "team"
                cases.append(f"WHEN {cond} THEN {VIEW_COLUMN[view]}")
        for view, types in by_view.items():
            cases.append(f"WHEN type IN {_types(types)} THEN {VIEW_COLUMN[view]}")
        column = "CASE " + " ".join(cases) + " END"
    if not team and len(everyone) == len(READ):
        return PullScope(column, "", n_col, 0)
    parts = [f"type IN {_types(everyone)}"] if everyone else []
    if team:
        parts.append(f"(type IN {_types(team)} AND {ON_TEAM})")
    return PullScope(column, " AND (" + " OR ".join(parts) + ")", n_col, int(bool(team)))


# ---- reads for looking at what the server holds (tests, tools) -------------------------

RECORD_FIELDS = ("type", "id", "data", "data_public", "deleted", "cursor", "device_time",
                 "received_at")
RECORD = f"SELECT {', '.join(RECORD_FIELDS)} FROM records WHERE type = ? AND id = ?"
COUNT_RECORDS = "SELECT count(*) FROM records"
COUNT_RECORDS_OF_TYPE = "SELECT count(*) FROM records WHERE type = ?"
APPLIED_LOG = "SELECT seq, status, result FROM applied WHERE device_id = ? ORDER BY seq"
SIGNUPS_OF = ("SELECT id, shift_id, member_id, status, position FROM signups "
              "WHERE shift_id = ? ORDER BY position")



# ---- the console's dashboard: figures counted by the database ----------------------------
# Each statement counts one kind of record by neighborhood and by bucket of time (the
# buckets' edges are parameters: the weeks of the program's own time zone), so a month
# of a program is a few dozen rows, whatever its size. Times are compared as instants
# (``Dialect.instant``), whatever offset a phone wrote them with. Track chunks are never
# read: a stroll's distance is its ``distance_m``. An incident counts only when its
# ``include_in_aggregate`` consent is given.
# A record is stored without its fields at their default (``merge.encode_record``): a
# field left out reads as its default here too (``coalesce``, ``{check_in_status}``).
# ``{j}`` fields are filled by ``dashboard_sql`` below: ``{j[r.neighborhood_id]}`` is a
# record's top-level JSON field as text, ``{n[..]}`` as a number, ``{t[..]}`` as an
# instant, ``{bucket[..]}`` the bucket of an instant, ``{since}`` / ``{until}`` the
# range's ends, ``{hood}`` the neighborhood condition (or nothing). The records a
# statement counts are ``{live[stroll]}``: the live records of a type, their data read
# as JSON once a row (``Dialect.live_of``); a record looked up by id beside them (a
# check-in's merchant) is a plain indexed join on ``records``, its fields ``@m.name``.
DASHBOARD_STROLLS = (
    "SELECT hood, bucket, count(*), sum(metres), sum(seconds) FROM ("
    "SELECT {j[r.neighborhood_id]} AS hood, {bucket[r.started_at]} AS bucket, "
    "coalesce({n[r.distance_m]}, 0) AS metres, "
    "CASE WHEN {j[r.ended_at]} IS NULL THEN 0 "
    "ELSE {seconds[r.started_at:r.ended_at]} END AS seconds "
    "FROM {live[stroll]} r WHERE {t[r.started_at]} >= {since} AND {t[r.started_at]} < {until}"
    "{hood[r.neighborhood_id]}) AS x GROUP BY hood, bucket")
# a volunteer's hours as ``stroll.domain.volunteering.hours`` counts them: a confirmed
# sign-up checked in (away from the meeting point: once approved), to the check-out or
# the shift's end, at most 12 hours; not checked out: once the shift is over
DASHBOARD_SERVICE = (
    "SELECT hood, bucket, count(*), "
    "sum(CASE WHEN s < 0 THEN 0 WHEN s > 43200 THEN 43200 ELSE s END) FROM ("
    "SELECT {j[@sh.neighborhood_id]} AS hood, {bucket[su.checked_in_at]} AS bucket, "
    "{seconds[su.checked_in_at:su.checked_out_at|@sh.ends_at]} AS s "
    "FROM {live[signup]} su JOIN records sh ON sh.type = 'shift' AND sh.id = {j[su.shift_id]} "
    "WHERE NOT sh.deleted AND sh.data IS NOT NULL "
    "AND {j[su.status]} = 'confirmed' AND {j[su.checked_in_at]} IS NOT NULL "
    "AND ({j[su.check_in_approved_by]} IS NOT NULL OR NOT {flag[su.check_in_far]}) "
    "AND ({j[su.checked_out_at]} IS NOT NULL OR {t[@sh.ends_at]} <= {now}) "
    "AND {t[su.checked_in_at]} >= {since} AND {t[su.checked_in_at]} < {until}"
    "{hood[@sh.neighborhood_id]}) AS x GROUP BY hood, bucket")
# merchant check-ins: where the merchant is, by status
DASHBOARD_CHECK_INS = (
    "SELECT hood, bucket, status, count(*) FROM ("
    "SELECT {j[@m.neighborhood_id]} AS hood, {bucket[c.at]} AS bucket, "
    "coalesce({j[c.status]}, {check_in_status}) AS status "
    "FROM {live[check_in]} c LEFT JOIN records m ON m.type = 'merchant' "
    "AND m.id = {j[c.merchant_id]} "
    "WHERE {t[c.at]} >= {since} AND {t[c.at]} < {until}{hood[@m.neighborhood_id]}"
    ") AS x GROUP BY hood, bucket, status")
# incidents (harm '' : each incident once) and their harm types (an incident may have
# several); the neighborhood is the incident's, else its stroll's
_INCIDENTS_FROM = (
    "FROM {live[incident]} r LEFT JOIN records s ON s.type = 'stroll' "
    "AND s.id = {j[r.stroll_id]}{each} "
    "WHERE {flag_true[r.include_in_aggregate]} "
    "AND {t[r.occurred_at]} >= {since} AND {t[r.occurred_at]} < {until}"
    "{hood[r.neighborhood_id|@s.neighborhood_id]}")
DASHBOARD_INCIDENTS = (
    "SELECT hood, bucket, harm, count(*) FROM ("
    "SELECT {j[r.neighborhood_id|@s.neighborhood_id]} AS hood, "
    "{bucket[r.occurred_at]} AS bucket, '' AS harm " + _INCIDENTS_FROM.replace(
        "{each}", "") + " UNION ALL "
    "SELECT {j[r.neighborhood_id|@s.neighborhood_id]}, {bucket[r.occurred_at]}, "
    "h.value " + _INCIDENTS_FROM.replace("{each}", ", {harm_each}") +
    ") AS x GROUP BY hood, bucket, harm")
# the follow-ups of the range's incidents (counted ones), by status, and whether the
# next action's date has passed; each side read once (MATERIALIZED: however the
# database joins them, neither is read again for each row of the other)
DASHBOARD_FOLLOW_UPS = (
    "WITH counted AS MATERIALIZED (SELECT r.id AS id " + _INCIDENTS_FROM.replace(
        "{each}", "") + "), "
    "follow AS MATERIALIZED (SELECT {j[f.incident_id]} AS incident_id, "
    "coalesce({j[f.status]}, {follow_up_status}) AS status, "
    "CASE WHEN {j[f.next_action_date]} IS NOT NULL AND {t[f.next_action_date]} < {now} "
    "THEN 1 ELSE 0 END AS passed FROM {live[follow_up]} f) "
    "SELECT follow.status, follow.passed, count(*) FROM follow "
    "JOIN counted ON counted.id = follow.incident_id GROUP BY follow.status, follow.passed")

# ---- the two dialects ------------------------------------------------------------------


@lru_cache(maxsize=None)
def _format_style(statement: str) -> str:
    if "%" in statement:
        raise ValueError(f"a statement with a literal % needs escaping for psycopg: "
                         f"{statement[:80]}")
    return statement.replace("?", "%s")


@dataclass(frozen=True)
class Dialect:
    """How one database spells what the statements above leave open."""
    name: str
    qmark: bool                 # placeholders stay ``?`` (else ``%s``)
    bigint: str                 # column type of seqs, cursors, positions
    boolean: str                # column type of ``records.deleted``
    false: str
    record_key: str             # how ``records`` keys (id, type)
    applied_options: str        # after ``CREATE TABLE applied (...)``
    serial: str                 # an append-only log's id column
    lock_cursor: str            # read the counter and hold its lock to commit
    ids_in: str                 # ``id`` in one parameter holding many ids ...
    ids_param: Callable[[list[str]], str]  # ... made from the ids like so
    page_changes: str           # a page's lines joined by newlines in cursor order, as bytes
    page_survivors: str         # "cursor:type:id" of a page's survivor records, joined
    page_options: dict = field(default_factory=dict)  # execute() options of a page
    json_field: str = ""        # a record's top-level JSON field named by a parameter
    chunk_stroll: str = ""      # a track chunk's stroll_id (as its index is written)
    in_list: str = ""           # "<expression> IN" the values of one parameter (ids_param)
    # the dashboard's statements (``dashboard_sql``): JSON ``{data}``'s field ``{f}``
    # as text, as a number, as a flag (``{d}``: when absent); a text as an instant; the
    # seconds from one instant to another; the elements of a JSON list as rows ``value``
    json_text_of: str = ""
    json_number_of: str = ""
    json_flag_of: str = ""
    flag_literals: tuple = ("0", "1")
    instant_of: str = ""
    seconds_of: str = ""
    each_of: str = ""
    live_of: str = ""           # the live records of type ``{rtype}``: ``id``, ``data``
    looked_up: str = ""         # the data of a record ``{a}`` joined from ``records``

    def sql(self, statement: str) -> str:
        """``statement`` with this database's placeholders."""
        return statement if self.qmark else _format_style(statement)

    def schema(self, script: str) -> list[str]:
        """The statements of a migration script, in this dialect."""
        text = script.format(bigint=self.bigint, boolean=self.boolean, false=self.false,
                             record_key=self.record_key, serial=self.serial,
                             chunk_stroll=self.chunk_stroll,
                             applied_options=self.applied_options)
        return [s.strip() for s in text.split(";") if s.strip()]


SQLITE = Dialect(
    name="sqlite", qmark=True, bigint="INTEGER", boolean="INTEGER", false="0",
    record_key="UNIQUE", applied_options=" WITHOUT ROWID",
    serial="INTEGER PRIMARY KEY AUTOINCREMENT",
    lock_cursor=CURSOR,  # BEGIN IMMEDIATE already holds the database's write lock
    ids_in="id IN (SELECT value FROM json_each(?))", ids_param=json.dumps,
    page_changes="CAST(group_concat(line, char(10)) AS BLOB)",
    page_survivors="group_concat(CASE WHEN survivor THEN cursor || ':' || type || ':' || id "
                   "END, ',')",
    json_field="json_extract(data, '$.' || ?)",
    chunk_stroll="json_extract(data, '$.stroll_id')",
    in_list="IN (SELECT value FROM json_each(?))",
    json_text_of="json_extract({data}, '$.{f}')",
    json_number_of="json_extract({data}, '$.{f}')",
    json_flag_of="(coalesce(json_extract({data}, '$.{f}'), {d}) <> 0)",
    looked_up="{a}.data",
    instant_of="julianday({x})",
    seconds_of="((julianday({b}) - julianday({a})) * 86400.0)",
    each_of="json_each({data}, '$.{f}') AS {alias}",
    live_of="(SELECT id, data FROM records WHERE type = '{rtype}' AND NOT deleted "
            "AND data IS NOT NULL)")

POSTGRES = Dialect(
    name="postgres", qmark=False, bigint="BIGINT", boolean="BOOLEAN", false="false",
    record_key="PRIMARY KEY", applied_options="",
    serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    lock_cursor=CURSOR + " FOR UPDATE",  # held to commit: pushes commit in cursor order
    # the ids as one comma-joined text (ids are UUIDs: no comma in them), split by the
    # database: cheaper than adapting a Python list of thousands to an array
    ids_in="id = ANY(string_to_array(?, ','))", ids_param=",".join,
    # binary: the page arrives as one bytea, bytes as they are (no text decode)
    page_changes="convert_to(string_agg(line, E'\\n' ORDER BY cursor), 'UTF8')",
    page_survivors="string_agg(CASE WHEN survivor THEN cursor || ':' || type || ':' || id "
                   "END, ',')",
    page_options={"binary": True},
    json_field="(data::jsonb ->> ?)",
    chunk_stroll="(data::jsonb ->> 'stroll_id')",
    in_list="= ANY(string_to_array(?, ','))",
    # each row's text parsed once (OFFSET 0: not folded into the outer statement,
    # which would parse it again for every field read)
    json_text_of="({data} ->> '{f}')",
    json_number_of="CAST({data} ->> '{f}' AS double precision)",
    json_flag_of="coalesce(CAST({data} ->> '{f}' AS boolean), {d})",
    looked_up="CAST({a}.data AS jsonb)",
    flag_literals=("false", "true"),
    instant_of="CAST({x} AS timestamptz)",
    seconds_of="CAST(extract(epoch FROM CAST({b} AS timestamptz) - "
               "CAST({a} AS timestamptz)) AS double precision)",
    each_of="jsonb_array_elements_text({data} -> '{f}') AS {alias}(value)",
    live_of="(SELECT id, CAST(data AS jsonb) AS data FROM records WHERE type = '{rtype}' "
            "AND NOT deleted AND data IS NOT NULL OFFSET 0)")


class _Fields:
    """A kind of field of a dashboard statement (``{j[r.status]}``...), rendered by
    ``render`` as the statement names it (parameters are collected in that order)."""

    def __init__(self, render: Callable[[str], str]):
        self.render = render

    def __getitem__(self, spec: str) -> str:
        return self.render(spec)


def dashboard_sql(d: Dialect, statement: str, edges: list[str], now: str,
                  neighborhood_id: str | None) -> tuple[str, list]:
    """A dashboard statement in dialect ``d`` and its parameters: the records from
    ``edges[0]`` to ``edges[-1]`` (ISO instants), each in bucket i when it falls from
    ``edges[i]`` (the first bucket from the start) to ``edges[i + 1]``; ``now`` (an ISO
    instant); one neighborhood's records, or (None) every one's."""
    params: list = []

    def data(ref: str) -> tuple[str, str]:  # "r.name" / "@m.name": (its JSON, name)
        alias, name = ref.split(".")
        if alias.startswith("@"):
            return d.looked_up.format(a=alias[1:]), name
        return f"{alias}.data", name

    def text(ref: str) -> str:
        json_of, name = data(ref)
        return d.json_text_of.format(data=json_of, f=name)

    def either(spec: str) -> str:  # "r.a|s.b": the first that is there
        parts = [text(ref) for ref in spec.split("|")]
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"

    def instant(spec: str) -> str:
        return d.instant_of.format(x=either(spec))

    def param_instant(value: str) -> str:
        params.append(value)
        return d.instant_of.format(x="?")

    def bucket(spec: str) -> str:
        inner = edges[1:-1]
        if not inner:
            return "0"
        at = instant(spec)
        cases = " ".join(f"WHEN {at} < {param_instant(e)} THEN {i}"
                         for i, e in enumerate(inner))
        return f"CASE {cases} ELSE {len(inner)} END"

    def seconds(spec: str) -> str:
        start, end = spec.split(":")
        return d.seconds_of.format(a=either(start), b=either(end))

    def flag(default: bool) -> Callable[[str], str]:
        def render(ref: str) -> str:
            json_of, name = data(ref)
            return d.json_flag_of.format(data=json_of, f=name,
                                         d=d.flag_literals[int(default)])
        return render

    def number(ref: str) -> str:
        json_of, name = data(ref)
        return d.json_number_of.format(data=json_of, f=name)

    def hood(spec: str) -> str:
        if neighborhood_id is None:
            return ""
        params.append(neighborhood_id)
        return f" AND {either(spec)} = ?"

    class Once:  # a parameter named where the statement names it
        def __init__(self, value: str):
            self.value = value

        def __format__(self, _spec: str) -> str:
            return param_instant(self.value)

    sql = statement.format(
        j=_Fields(either), n=_Fields(number), t=_Fields(instant),
        bucket=_Fields(bucket), seconds=_Fields(seconds),
        flag=_Fields(flag(False)), flag_true=_Fields(flag(True)),
        hood=_Fields(hood), since=Once(edges[0]), until=Once(edges[-1]), now=Once(now),
        harm_each=d.each_of.format(data="r.data", f="harm_types", alias="h"),
        check_in_status=f"'{CheckIn.status}'", follow_up_status=f"'{FollowUp.status}'",
        live=_Fields(lambda rtype: d.live_of.format(rtype=rtype)))
    return sql, params


def cut_page(changes: bytes, max_bytes: int) -> tuple[bytes, int | None]:
    """``changes`` (lines joined by newlines: no line holds a raw newline, JSON escapes
    it) cut after the last line that ends within ``max_bytes`` (the first line at
    least), joined by commas; and the cursor of the last line kept when a cut was made
    (None: every line kept)."""
    cut = None
    if len(changes) > max_bytes:
        end = changes.rfind(b"\n", 0, max_bytes + 1)
        if end <= 0:
            end = changes.find(b"\n")
        if end > 0:
            changes = changes[:end]
            last = changes[changes.rfind(b"\n") + 1:]  # '{"cursor":N,...'
            cut = int(last[10:last.index(b",")])
    return changes.replace(b"\n", b","), cut


def page_json(changes: bytes | None, next_cursor: int, more: bool) -> bytes:
    """The pull answer around ``changes`` (the changes' JSON joined by commas)."""
    return b"".join((b'{"changes":[', changes or b"", b'],"next_cursor":',
                     str(next_cursor).encode(),
                     b',"has_more":true}' if more else b',"has_more":false}'))


def record_row(w: RecordWrite, received_at: str) -> tuple:
    """A record write as the values of ``RECORD_COLUMNS``."""
    return (w.type, w.id, w.data, w.data_public, w.data_coarse, w.deleted, w.cursor,
            w.device_id, w.device_time, received_at, w.owner, w.audience, w.survivor)


# ---- the storage on these statements ---------------------------------------------------


def _device(row: tuple) -> Device:
    """A device row of ``DEVICE_COLUMNS``: its role is its member's role now (None when
    the device has no member record, or the member was deleted)."""
    (did, name, member_id, last_seq, created_at, expires_at, revoked_at, enrolled_role,
     mdata, mdel) = row
    role = None
    if mdata and not mdel:
        role = stored_record("member", mdata)["role"]
    return Device(did, name, member_id, role, last_seq, created_at, revoked=bool(revoked_at),
                  expires_at=expires_at, enrolled_role=enrolled_role)


def _last_seq(d: Dialect, conn, device_id: str) -> int | None:
    row = conn.execute(d.sql(LAST_SEQ), (device_id,)).fetchone()
    return row[0] if row else None


def _applied(d: Dialect, conn, device_id: str, seqs: list[int]) -> dict[int, str | None]:
    if not seqs:
        return {}
    return dict(conn.execute(d.sql(APPLIED_RESULTS),
                             (device_id, min(seqs), max(seqs))).fetchall())


class SQLWriteTx(WriteTx):
    """A push's write transaction on one connection. A backend adds how it writes
    records (``write_records``) and the applied log (``write_applied``)."""

    def __init__(self, dialect: Dialect, conn):
        self.d = dialect
        self.c = conn

    def lock_cursor(self) -> int:
        return self.c.execute(self.d.sql(self.d.lock_cursor)).fetchone()[0]

    def device_last_seq(self, device_id):
        return _last_seq(self.d, self.c, device_id)

    def applied_results(self, device_id, seqs):
        return _applied(self.d, self.c, device_id, seqs)

    def load_records(self, keys: list[Key]) -> dict[Key, StoredRecord]:
        out: dict[Key, StoredRecord] = {}
        wanted = set(keys)
        ids = self.d.ids_param(sorted({k[1] for k in keys}))
        for rtype, rid, data, deleted, owner, audience in self.c.execute(
                self.d.sql(LOAD_RECORDS.format(ids_in=self.d.ids_in)), (ids,)):
            if (rtype, rid) in wanted:
                out[(rtype, rid)] = StoredRecord(rtype, rid,
                                                 stored_record(rtype, data) if data else None,
                                                 bool(deleted), owner, audience)
        return out

    def load_signups(self, shift_id):
        return [SignupRow(*r) for r in self.c.execute(self.d.sql(ACTIVE_SIGNUPS),
                                                      (shift_id,))]

    def load_member_signups(self, member_id):
        return [SignupRow(*r) for r in self.c.execute(self.d.sql(MEMBER_SIGNUPS),
                                                      (member_id,))]

    def write(self, *, records, signups, applied, last_seqs, cursor, received_at):
        q = self.d.sql
        with closing(self.c.cursor()) as cur:
            self.write_records(cur, records, received_at)
            if signups:
                cur.executemany(q(UPSERT_SIGNUPS), [
                    (s.id, s.shift_id, s.member_id, s.status, s.position) for s in signups])
            self.write_applied(cur, applied)
            cur.executemany(q(SET_LAST_SEQ), [(seq, d) for d, seq in last_seqs.items()])
            cur.execute(q(SET_CURSOR), (cursor,))

    @abstractmethod
    def write_records(self, cur, records: list[RecordWrite], received_at: str) -> None: ...

    @abstractmethod
    def write_applied(self, cur, applied: list[tuple[str, AppliedRow]]) -> None: ...


class SQLStorage(GroupCommit, Storage):
    """``Storage`` on the statements of this module. A backend sets ``dialect`` and
    ``write_tx``, keeps its pool in ``_pool``, says which driver errors mean "retry
    later" (``_unavailable``) and how a write transaction is held (``_transaction``:
    one transaction on a connection of ``_conn``, committed at the end)."""

    dialect: Dialect
    write_tx: type[SQLWriteTx]
    max_page_bytes: int = MAX_PAGE_BYTES  # a pull page's changes stop after passing it

    def __init__(self) -> None:
        super().__init__()
        d = self.dialect
        self._scopes: dict[str, tuple[PullScope, str, str, str]] = {}

    def _scope(self, role: str) -> tuple[PullScope, str, str, str]:
        """A role's pull statements: (scope, rows, page, more after)."""
        if role not in self._scopes:
            d, scope = self.dialect, pull_scope(role)
            self._scopes[role] = (
                scope, d.sql(PULL_ROWS.format(col=scope.column, scope=scope.where)),
                d.sql(PULL_PAGE.format(
                    changes=d.page_changes, scope=scope.where,
                    survivors=d.page_survivors if carries_survivor_fields(role) else "NULL",
                    line=PULL_LINE.format(col=scope.column))),
                d.sql(MORE_AFTER.format(scope=scope.where)))
        return self._scopes[role]

    @abstractmethod
    def _unavailable(self, error: Exception) -> StorageUnavailable | None:
        """``error`` of the database driver as StorageUnavailable, or None: not that."""

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """A connection of the pool (autocommit): the driver's errors that mean
        "retry later" come out as StorageUnavailable."""
        with self._pool.connection() as conn:
            try:
                yield conn
            except Exception as e:
                unavailable = self._unavailable(e)
                if unavailable is None:
                    raise
                raise unavailable from None

    @abstractmethod
    @contextmanager
    def _transaction(self) -> Iterator[Any]: ...

    def _migration(self):
        """The transaction a migration runs in (a backend may add a lock)."""
        return self._transaction()

    def _single_write(self):
        """Where one statement that writes runs."""
        return self._transaction()

    # ---- lifecycle ----------------------------------------------------------------------
    def migrate(self) -> None:
        with self._migration() as c:
            c.execute(MIGRATIONS_TABLE)
            done = {r[0] for r in c.execute(MIGRATIONS_DONE)}
            for name, script in MIGRATIONS:
                if name in done:
                    continue
                for statement in self.dialect.schema(script):
                    c.execute(statement)
                c.execute(self.dialect.sql(MIGRATION_APPLIED),
                          (name, datetime.now(timezone.utc).isoformat()))

    def close(self) -> None:
        self._pool.close()

    def ping(self) -> None:
        self.query("SELECT 1")

    def query(self, sql, params=()):
        with self._conn() as c:
            return c.execute(self.dialect.sql(sql), params).fetchall()

    # ---- devices --------------------------------------------------------------------------
    def create_device(self, *, device_id, name, member_id, role, token_hash, app_version,
                      created_at, expires_at=None):
        with self._single_write() as c:
            c.execute(self.dialect.sql(CREATE_DEVICE),
                      (device_id, name, token_hash, member_id, role, app_version, created_at,
                       expires_at))
        return self.device_by_id(device_id)

    def device_by_token_hash(self, token_hash):
        rows = self.query(DEVICE_BY_TOKEN, (token_hash,))
        return _device(rows[0]) if rows else None

    def revoke_device(self, device_id, at):
        with self._single_write() as c:
            n = c.execute(self.dialect.sql(REVOKE_DEVICE), (at, device_id)).rowcount
        return n > 0

    def device_last_seq(self, device_id):
        with self._conn() as c:
            return _last_seq(self.dialect, c, device_id)

    def applied_results(self, device_id, seqs):
        with self._conn() as c:
            return _applied(self.dialect, c, device_id, seqs)

    # ---- sync -------------------------------------------------------------------------------
    @contextmanager
    def write_transaction(self) -> Iterator[WriteTx]:
        with self._transaction() as c:
            yield self.write_tx(self.dialect, c)

    def pull(self, after, limit, *, reader):
        scope, rows_sql, _, _ = self._scope(reader.role)
        with self._conn() as c:
            rows = c.execute(rows_sql, scope.params(reader.member_id, after, limit + 1)
                             ).fetchall()
        more = len(rows) > limit
        return [PullRow(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows[:limit]], more

    def pull_page(self, after, limit, *, reader, survivors=None):
        scope, _, page_sql, more_sql = self._scope(reader.role)
        with self._conn() as c:
            # every change at or below this cursor has committed (pushes commit in
            # cursor order): a short page may move the device's cursor up to it
            done = c.execute(self.dialect.sql(CURSOR)).fetchone()[0]
            count, last, changes, held = c.execute(
                page_sql, scope.params(reader.member_id, after, limit),
                **self.dialect.page_options).fetchone()
            more = count == limit and bool(c.execute(
                more_sql, scope.more_params(reader.member_id, last)).fetchone()[0])
        changes, cut = cut_page(bytes(changes or b""), self.max_page_bytes)
        if survivors is not None and held:
            if cut is not None:  # only what the page kept
                held = ",".join(x for x in held.split(",") if int(x[:x.index(":")]) <= cut)
            if held:
                survivors.append(held)
        if cut is not None:  # bounded by bytes too: the rest comes on the next page
            return page_json(changes, cut, True)
        following = last if count else after
        if not more and done > following:
            following = done
        return page_json(changes, following, more)

    # ---- members, invites, devices, audit -------------------------------------------------
    def member_record(self, member_id):
        rows = self.query(MEMBER_RECORD, (member_id,))
        if not rows or rows[0][1] or not rows[0][0]:
            return None
        return stored_record("member", rows[0][0])

    def create_invite(self, *, code_hash, member_id, created_by, created_at, expires_at):
        with self._single_write() as c:
            c.execute(self.dialect.sql(CREATE_INVITE),
                      (code_hash, member_id, created_by, created_at, expires_at))

    def invite(self, code_hash):
        rows = self.query(INVITE, (code_hash,))
        return rows[0] if rows else None

    def redeem_invite(self, *, code_hash, now, device_id, name, token_hash, app_version,
                      expires_at):
        q = self.dialect.sql
        with self._transaction() as c:
            invited = self._invited(c, code_hash)
            if invited is None:
                return None
            member_id, member = invited
            if c.execute(q(TAKE_INVITE), (now, device_id, code_hash, now)).rowcount != 1:
                return None
            c.execute(q(CREATE_DEVICE), (device_id, name, token_hash, member_id,
                                         member["role"], app_version, now, expires_at))
        return self.device_by_id(device_id)

    def _invited(self, c, code_hash) -> tuple[str, dict] | None:
        """In a transaction: the member an invite code is for and their record, or None
        (no such code, or the member was removed: the invite is left as it was)."""
        q = self.dialect.sql
        rows = c.execute(q(INVITE), (code_hash,)).fetchall()
        if not rows:
            return None
        member = c.execute(q(MEMBER_RECORD), (rows[0][0],)).fetchone()
        if member is None or member[1] or not member[0]:
            return None
        return rows[0][0], stored_record("member", member[0])

    def drop_member_invites(self, member_id, at):
        with self._single_write() as c:
            return c.execute(self.dialect.sql(DROP_MEMBER_INVITES),
                             (at, member_id, at)).rowcount

    def device_by_id(self, device_id):
        rows = self.query(DEVICE_BY_ID, (device_id,))
        return _device(rows[0]) if rows else None

    def devices(self):
        return [_device(r) for r in self.query(DEVICES)]

    def revoke_member_devices(self, member_id, at):
        with self._single_write() as c:
            return c.execute(self.dialect.sql(REVOKE_MEMBER_DEVICES), (at, member_id)).rowcount

    def extend_device(self, device_id, expires_at):
        with self._single_write() as c:
            c.execute(self.dialect.sql(EXTEND_DEVICE), (expires_at, device_id))

    def add_audit(self, *, at, member_id, device_id, action, detail):
        with self._single_write() as c:
            c.execute(self.dialect.sql(ADD_AUDIT), (at, member_id, device_id, action, detail))

    def audit(self, after=0, limit=500):
        return self.query(AUDIT, (after, limit))

    def revoke_member_sessions(self, member_id):
        with self._single_write() as c:
            return c.execute(self.dialect.sql(DROP_MEMBER_SESSIONS), (member_id,)).rowcount

    # ---- the console ----------------------------------------------------------------------
    def console_account(self, *, login=None, member_id=None):
        rows = (self.query(ACCOUNT_BY_LOGIN, (login,)) if login is not None
                else self.query(ACCOUNT_OF, (member_id,)))
        return ConsoleAccount(*rows[0]) if rows else None

    def redeem_invite_for_console(self, *, code_hash, now, login, password_hash, lang):
        q = self.dialect.sql
        with self._transaction() as c:
            invited = self._invited(c, code_hash)
            if invited is None:
                return None
            member_id, _member = invited
            taken = c.execute(q(ACCOUNT_BY_LOGIN), (login,)).fetchone()
            if taken is not None and taken[0] != member_id:
                raise LoginTaken(login)
            if c.execute(q(TAKE_INVITE), (now, None, code_hash, now)).rowcount != 1:
                return None
            # a new invite sets a new password (a forgotten one): every session ends
            c.execute(q(DROP_MEMBER_SESSIONS), (member_id,))
            c.execute(q(DROP_ACCOUNT), (member_id,))
            c.execute(q(ADD_ACCOUNT), (member_id, login, password_hash, lang, now))
        return member_id

    def set_console_password_hash(self, member_id, password_hash):
        with self._single_write() as c:
            c.execute(self.dialect.sql(SET_PASSWORD), (password_hash, member_id))

    def set_console_lang(self, member_id, lang):
        with self._single_write() as c:
            c.execute(self.dialect.sql(SET_LANG), (lang, member_id))

    def create_console_session(self, *, token_hash, member_id, csrf, created_at, expires_at):
        with self._single_write() as c:
            c.execute(self.dialect.sql(DROP_EXPIRED_SESSIONS), (created_at,))
            c.execute(self.dialect.sql(ADD_SESSION),
                      (token_hash, member_id, csrf, created_at, expires_at))

    def console_session(self, token_hash):
        rows = self.query(SESSION, (token_hash,))
        return ConsoleSession(*rows[0]) if rows else None

    def extend_console_session(self, token_hash, expires_at):
        with self._single_write() as c:
            c.execute(self.dialect.sql(EXTEND_SESSION), (expires_at, token_hash))

    def drop_console_session(self, token_hash):
        with self._single_write() as c:
            c.execute(self.dialect.sql(DROP_SESSION), (token_hash,))

    def records_of_type(self, rtype):
        return [stored_record(rtype, r[0]) for r in self.query(RECORDS_OF_TYPE, (rtype,))
                if r[0]]

    def count_records(self, rtypes):
        counts = dict(self.query(COUNT_LIVE_RECORDS.format(
            types=", ".join("?" for _ in rtypes)), tuple(rtypes))) if rtypes else {}
        return {rtype: int(counts.get(rtype, 0)) for rtype in rtypes}

    def live_record(self, rtype, record_id):
        rows = self.query(LIVE_RECORD, (rtype, record_id))
        return stored_record(rtype, rows[0][0]) if rows and rows[0][0] else None

    def active_signups(self, shift_id=None):
        if shift_id is not None:
            return [(r.shift_id, r.id, r.member_id, r.status)
                    for r in (SignupRow(*row) for row in self.query(SIGNUPS_OF, (shift_id,)))
                    if r.status in ("confirmed", "waitlisted")]
        return [tuple(r) for r in self.query(ACTIVE_SIGNUPS_ALL)]

    def records_where(self, rtype, field_name, value):
        statement = RECORDS_WHERE.format(field=self.dialect.json_field)
        return [stored_record(rtype, r[0]) for r in
                self.query(statement, (rtype, field_name, value)) if r[0]]

    def records_on_days(self, rtype, field_name, first_day, last_day):
        statement = RECORDS_ON_DAYS.format(field=self.dialect.json_field)
        return [stored_record(rtype, r[0]) for r in self.query(
            statement, (rtype, field_name, first_day.isoformat(), last_day.isoformat()))
            if r[0]]

    def cursor(self):
        return int(self.query(CURSOR)[0][0])

    def track_chunks_of(self, stroll_ids):
        if not stroll_ids:
            return []
        statement = TRACK_CHUNKS_OF.format(chunk_stroll=self.dialect.chunk_stroll,
                                           in_list=self.dialect.in_list)
        return [stored_record("track_chunk", r[0]) for r in self.query(
            statement, (self.dialect.ids_param(list(stroll_ids)),)) if r[0]]
    # ---- the dashboard --------------------------------------------------------------------
    def _dashboard(self, statement, edges, now, neighborhood_id):
        sql, params = dashboard_sql(self.dialect, statement, edges, now, neighborhood_id)
        return self.query(sql, tuple(params))

    def dashboard_strolls(self, edges, now, neighborhood_id=None):
        return [(h, int(b), int(n), float(m or 0), float(s or 0)) for h, b, n, m, s in
                self._dashboard(DASHBOARD_STROLLS, edges, now, neighborhood_id)]

    def dashboard_service(self, edges, now, neighborhood_id=None):
        return [(h, int(b), int(n), float(s or 0)) for h, b, n, s in
                self._dashboard(DASHBOARD_SERVICE, edges, now, neighborhood_id)]

    def dashboard_check_ins(self, edges, now, neighborhood_id=None):
        return [(h, int(b), status, int(n)) for h, b, status, n in
                self._dashboard(DASHBOARD_CHECK_INS, edges, now, neighborhood_id)]

    def dashboard_incidents(self, edges, now, neighborhood_id=None):
        return [(h, int(b), harm or None, int(n)) for h, b, harm, n in
                self._dashboard(DASHBOARD_INCIDENTS, edges, now, neighborhood_id)]

    def dashboard_follow_ups(self, edges, now, neighborhood_id=None):
        return [(status, bool(passed), int(n)) for status, passed, n in
                self._dashboard(DASHBOARD_FOLLOW_UPS, edges, now, neighborhood_id)]

    # ---- calendar feeds -------------------------------------------------------------------
    def set_calendar_feed(self, member_id, token_hash, created_at):
        with self._single_write() as c:
            c.execute(self.dialect.sql(SET_CALENDAR_FEED), (member_id, token_hash, created_at))

    def calendar_feed_member(self, token_hash):
        rows = self.query(CALENDAR_FEED_MEMBER, (token_hash,))
        return rows[0][0] if rows else None

    def drop_calendar_feed(self, member_id):
        with self._single_write() as c:
            return c.execute(self.dialect.sql(DROP_CALENDAR_FEED), (member_id,)).rowcount > 0

    def member_shifts(self, member_id):
        return [(stored_record("signup", su), stored_record("shift", sh))
                for su, sh in self.query(MEMBER_SHIFTS, (member_id,))]
