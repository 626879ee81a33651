"""The device schema, as named sqlite-utils migration steps.

A step never changes once shipped: phones in the field have applied it, and a step
is applied once per database. Each step therefore spells out its own columns instead
of reading them off today's record classes.

The rule: a new record field (or record type) comes with a new named step here, e.g.
``0003_incident_language_note`` doing ``db["incident"].add_column("language_note", str)``.
A test checks that every field of every record in ``RECORD_TYPES`` has a column after
all steps, and names the step to write when one is missing.
"""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("stroll-device")

_TYPES = {"TEXT": str, "REAL": float, "INTEGER": int}

# The record tables as 0001 created them: "id" (TEXT primary key) and then these
# columns, in this order. Lists and dicts are stored as JSON text, booleans as 0/1.
RECORD_TABLES_0001 = {
    "neighborhood": "name TEXT, city TEXT, center_lat REAL, center_lon REAL, bbox TEXT",
    "route": "neighborhood_id TEXT, name TEXT, description TEXT, path TEXT",
    "member": "name TEXT, role TEXT, neighborhood_id TEXT, languages TEXT, "
              "trained_lead INTEGER, phone TEXT",
    "merchant": "neighborhood_id TEXT, name TEXT, category TEXT, address TEXT, lat REAL, "
                "lon REAL, languages TEXT, contact_name TEXT, notes TEXT, created_at TEXT",
    "stroll": "neighborhood_id TEXT, route_id TEXT, shift_id TEXT, team TEXT, "
              "started_at TEXT, ended_at TEXT, status TEXT, tallies TEXT, distance_m REAL, "
              "notes TEXT",
    "track_chunk": "stroll_id TEXT, seq INTEGER, points TEXT, point_count INTEGER, "
                   "started_at TEXT, ended_at TEXT",
    "check_in": "merchant_id TEXT, stroll_id TEXT, status TEXT, note TEXT, language TEXT, "
                "at TEXT, lat REAL, lon REAL",
    "incident": "stroll_id TEXT, neighborhood_id TEXT, occurred_at TEXT, "
                "time_approximate INTEGER, harm_types TEXT, harm_other TEXT, "
                "motivations TEXT, site_type TEXT, lat REAL, lon REAL, "
                "location_precision TEXT, cross_streets TEXT, reporter_role TEXT, "
                "affected_age_band TEXT, affected_language TEXT, needs_interpreter INTEGER, "
                "survivor_name TEXT, narrative TEXT, narrative_language TEXT, "
                "injuries INTEGER, injuries_note TEXT, police_involved TEXT, "
                "actions_taken TEXT, actions_note TEXT, consent_contact INTEGER, "
                "contact_channel TEXT, contact_value TEXT, contact_language TEXT, "
                "contact_safe_times TEXT, share_with_partner TEXT, "
                "include_in_aggregate INTEGER, publish_anonymized INTEGER, "
                "referral_needs TEXT, quick INTEGER, reported_by TEXT, reported_at TEXT",
    "follow_up": "incident_id TEXT, assignee_id TEXT, status TEXT, next_action_date TEXT, "
                 "outcome TEXT, notes TEXT, updated_at TEXT",
    "shift": "neighborhood_id TEXT, route_id TEXT, title TEXT, starts_at TEXT, ends_at TEXT, "
             "capacity INTEGER, needs_lead INTEGER, meeting_point TEXT",
    "signup": "shift_id TEXT, member_id TEXT, status TEXT, requested_at TEXT, "
              "decided_at TEXT, reason TEXT",
}


def _column_types(spec: str) -> dict[str, type]:
    cols: dict[str, type] = {"id": str}
    for part in spec.split(","):
        name, sql_type = part.split()
        cols[name] = _TYPES[sql_type]
    return cols


@migrations(name="0001_records_outbox_settings")
def _m0001(db: Database) -> None:
    for rtype, spec in RECORD_TABLES_0001.items():
        db[rtype].create(_column_types(spec), pk="id", not_null={"id"})
    db.execute("""
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record_type TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('upsert', 'patch', 'delete')),
            payload TEXT NOT NULL,
            device_time TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""")
    db["outbox"].create_index(["record_type", "record_id"])
    db["setting"].create({"key": str, "value": str}, pk="key")
    db["track_chunk"].create_index(["stroll_id", "seq"])
    db["check_in"].create_index(["merchant_id"])
    db["check_in"].create_index(["stroll_id"])
    db["incident"].create_index(["stroll_id"])
    db["shift"].create_index(["starts_at"])
    db["signup"].create_index(["shift_id"])


@migrations(name="0002_gps_buffer")
def _m0002(db: Database) -> None:
    """Device-local patrol tables, never synced (no outbox entries): the GPS fixes of
    a running stroll not yet sealed into a track_chunk, and the stroll's odometer,
    pause clock and last kept fix (see the patrol section of Store)."""
    db.execute("""
        CREATE TABLE gps_buffer (
            id INTEGER PRIMARY KEY,
            stroll_id TEXT NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            t REAL NOT NULL,
            accuracy REAL NOT NULL
        )""")
    db.execute("CREATE INDEX gps_buffer_stroll ON gps_buffer (stroll_id, id)")
    db.execute("""
        CREATE TABLE patrol_state (
            stroll_id TEXT PRIMARY KEY,
            started_t REAL NOT NULL,
            ended_t REAL,
            paused_s REAL NOT NULL DEFAULT 0,
            paused_since REAL,
            distance_m REAL NOT NULL DEFAULT 0,
            points INTEGER NOT NULL DEFAULT 0,
            next_seq INTEGER NOT NULL DEFAULT 0,
            anchor_lat REAL,
            anchor_lon REAL,
            last_lat REAL,
            last_lon REAL,
            last_t REAL,
            last_accuracy REAL
        )""")


@migrations(name="0003_drafts")
def _m0003(db: Database) -> None:
    """Device-local, never synced: what a form holds that is not saved yet (see
    stroll/store/drafts.py). ``data`` is sealed JSON."""
    db.execute("""
        CREATE TABLE draft (
            key TEXT PRIMARY KEY,
            form TEXT NOT NULL,
            stroll_id TEXT,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")


@migrations(name="0004_place_names")
def _m0004(db: Database) -> None:
    """A place's name in other languages (``names``, JSON text: {language: name}) on
    neighborhoods, routes, merchants and shifts; NULL (no other names) on rows from
    before, which read as {}."""
    for rtype in ("neighborhood", "route", "merchant", "shift"):
        db.execute(f'ALTER TABLE "{rtype}" ADD COLUMN "names" TEXT')


@migrations(name="0005_shift_staffing")
def _m0005(db: Database) -> None:
    """A shift's staffing: the smallest group that may walk (``min_group``), the
    languages someone on it must speak (``languages_needed``, JSON text) and the weekly
    series it was planned in (``series_id``); rows from before read as the defaults."""
    db.execute('ALTER TABLE "shift" ADD COLUMN "min_group" INTEGER')
    db.execute('ALTER TABLE "shift" ADD COLUMN "languages_needed" TEXT')
    db.execute('ALTER TABLE "shift" ADD COLUMN "series_id" TEXT')


@migrations(name="0006_partners")
def _m0006(db: Database) -> None:
    """Partner services for referrals (a coordinator sets them up in the console)."""
    db["partner"].create(_column_types(
        "name TEXT, names TEXT, services TEXT, languages TEXT, phone TEXT, email TEXT, "
        "website TEXT, address TEXT, referral_needs TEXT, harm_types TEXT, notes TEXT"),
        pk="id", not_null={"id"})


@migrations(name="0007_volunteer_shifts")
def _m0007(db: Database) -> None:
    """Volunteers' shifts: a shift's meeting point as a position; a sign-up's decision
    as a code and waitlist place, and its check-in and check-out; the server's count of
    each shift (``roster``) and, for its confirmed members, who is going
    (``shift_team``); and, device-local, what the person last saw of each of their
    sign-ups (``signup_seen``: a change they did not make is shown once, until seen)."""
    db.execute('ALTER TABLE "shift" ADD COLUMN "meeting_lat" REAL')
    db.execute('ALTER TABLE "shift" ADD COLUMN "meeting_lon" REAL')
    for name, sql_type in (("reason_code", "TEXT"), ("waitlist_position", "INTEGER"),
                           ("checked_in_at", "TEXT"), ("checked_out_at", "TEXT"),
                           ("check_in_lat", "REAL"), ("check_in_lon", "REAL"),
                           ("check_in_distance_m", "REAL"), ("check_in_far", "INTEGER"),
                           ("check_in_approved_by", "TEXT")):
        db.execute(f'ALTER TABLE "signup" ADD COLUMN "{name}" {sql_type}')
    db["roster"].create(_column_types(
        "shift_id TEXT, confirmed INTEGER, waitlisted INTEGER, leads INTEGER, "
        "languages TEXT"), pk="id", not_null={"id"})
    db["shift_team"].create(_column_types("shift_id TEXT, going TEXT"),
                            pk="id", not_null={"id"})
    db.execute("CREATE INDEX signup_member ON signup (member_id)")
    db.execute("""
        CREATE TABLE signup_seen (
            signup_id TEXT PRIMARY KEY,
            status TEXT,
            reason_code TEXT,
            starts_at TEXT,
            ends_at TEXT,
            seen_at TEXT NOT NULL
        )""")


@migrations(name="0008_referrals")
def _m0008(db: Database) -> None:
    """Referrals of a survivor to partner services (a coordinator's device keeps them;
    ``outcome_note`` is a survivor detail, sealed at rest)."""
    db["referral"].create(_column_types(
        "incident_id TEXT, partner_id TEXT, need TEXT, referred_at TEXT, referred_by TEXT, "
        "outcome TEXT, outcome_note TEXT, updated_at TEXT"), pk="id", not_null={"id"})


__all__ = ["migrations", "RECORD_TABLES_0001"]
