"""The device schema's migration steps: each builds exactly the schema it shipped with,
every record field has a column, and applying them again changes nothing.

A step never changes once shipped. A new record field comes with a new named step in
stroll/store/migrations.py, and its expected schema is added to ``STEPS`` here: a table
a step alters is written out whole as SQLite keeps it after the step (it replaces the
table's earlier statement).
"""
from __future__ import annotations

import dataclasses
import re

from sqlite_utils import Database

from stroll.domain import RECORD_TYPES
from stroll.store import migrations

# What each step adds, as SQLite keeps it (whitespace collapsed, double quotes dropped).
STEPS = {
    "0001_records_outbox_settings": [
        "CREATE TABLE neighborhood (id TEXT PRIMARY KEY NOT NULL, name TEXT, city TEXT, "
        "center_lat REAL, center_lon REAL, bbox TEXT)",
        "CREATE TABLE route (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, name TEXT, "
        "description TEXT, path TEXT)",
        "CREATE TABLE member (id TEXT PRIMARY KEY NOT NULL, name TEXT, role TEXT, "
        "neighborhood_id TEXT, languages TEXT, trained_lead INTEGER, phone TEXT)",
        "CREATE TABLE merchant (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, name TEXT, "
        "category TEXT, address TEXT, lat REAL, lon REAL, languages TEXT, contact_name TEXT, "
        "notes TEXT, created_at TEXT)",
        "CREATE TABLE stroll (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, "
        "route_id TEXT, shift_id TEXT, team TEXT, started_at TEXT, ended_at TEXT, "
        "status TEXT, tallies TEXT, distance_m REAL, notes TEXT)",
        "CREATE TABLE track_chunk (id TEXT PRIMARY KEY NOT NULL, stroll_id TEXT, seq INTEGER, "
        "points TEXT, point_count INTEGER, started_at TEXT, ended_at TEXT)",
        "CREATE TABLE check_in (id TEXT PRIMARY KEY NOT NULL, merchant_id TEXT, "
        "stroll_id TEXT, status TEXT, note TEXT, language TEXT, at TEXT, lat REAL, lon REAL)",
        "CREATE TABLE incident (id TEXT PRIMARY KEY NOT NULL, stroll_id TEXT, "
        "neighborhood_id TEXT, occurred_at TEXT, time_approximate INTEGER, harm_types TEXT, "
        "harm_other TEXT, motivations TEXT, site_type TEXT, lat REAL, lon REAL, "
        "location_precision TEXT, cross_streets TEXT, reporter_role TEXT, "
        "affected_age_band TEXT, affected_language TEXT, needs_interpreter INTEGER, "
        "survivor_name TEXT, narrative TEXT, narrative_language TEXT, injuries INTEGER, "
        "injuries_note TEXT, police_involved TEXT, actions_taken TEXT, actions_note TEXT, "
        "consent_contact INTEGER, contact_channel TEXT, contact_value TEXT, "
        "contact_language TEXT, contact_safe_times TEXT, share_with_partner TEXT, "
        "include_in_aggregate INTEGER, publish_anonymized INTEGER, referral_needs TEXT, "
        "quick INTEGER, reported_by TEXT, reported_at TEXT)",
        "CREATE TABLE follow_up (id TEXT PRIMARY KEY NOT NULL, incident_id TEXT, "
        "assignee_id TEXT, status TEXT, next_action_date TEXT, outcome TEXT, notes TEXT, "
        "updated_at TEXT)",
        "CREATE TABLE shift (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, "
        "route_id TEXT, title TEXT, starts_at TEXT, ends_at TEXT, capacity INTEGER, "
        "needs_lead INTEGER, meeting_point TEXT)",
        "CREATE TABLE signup (id TEXT PRIMARY KEY NOT NULL, shift_id TEXT, member_id TEXT, "
        "status TEXT, requested_at TEXT, decided_at TEXT, reason TEXT)",
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_type TEXT NOT NULL, "
        "record_id TEXT NOT NULL, op TEXT NOT NULL CHECK (op IN ('upsert', 'patch', 'delete')), "
        "payload TEXT NOT NULL, device_time TEXT NOT NULL, state TEXT NOT NULL DEFAULT "
        "'pending' CHECK (state IN ('pending', 'rejected')), attempts INTEGER NOT NULL "
        "DEFAULT 0, error TEXT)",
        "CREATE TABLE sqlite_sequence(name,seq)",
        "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT)",
        "CREATE INDEX idx_outbox_record_type_record_id ON outbox (record_type, record_id)",
        "CREATE INDEX idx_track_chunk_stroll_id_seq ON track_chunk (stroll_id, seq)",
        "CREATE INDEX idx_check_in_merchant_id ON check_in (merchant_id)",
        "CREATE INDEX idx_check_in_stroll_id ON check_in (stroll_id)",
        "CREATE INDEX idx_incident_stroll_id ON incident (stroll_id)",
        "CREATE INDEX idx_shift_starts_at ON shift (starts_at)",
        "CREATE INDEX idx_signup_shift_id ON signup (shift_id)",
    ],
    "0002_gps_buffer": [
        "CREATE TABLE gps_buffer (id INTEGER PRIMARY KEY, stroll_id TEXT NOT NULL, "
        "lat REAL NOT NULL, lon REAL NOT NULL, t REAL NOT NULL, accuracy REAL NOT NULL)",
        "CREATE INDEX gps_buffer_stroll ON gps_buffer (stroll_id, id)",
        "CREATE TABLE patrol_state (stroll_id TEXT PRIMARY KEY, started_t REAL NOT NULL, "
        "ended_t REAL, paused_s REAL NOT NULL DEFAULT 0, paused_since REAL, "
        "distance_m REAL NOT NULL DEFAULT 0, points INTEGER NOT NULL DEFAULT 0, "
        "next_seq INTEGER NOT NULL DEFAULT 0, anchor_lat REAL, anchor_lon REAL, "
        "last_lat REAL, last_lon REAL, last_t REAL, last_accuracy REAL)",
    ],
    "0003_drafts": [
        "CREATE TABLE draft (key TEXT PRIMARY KEY, form TEXT NOT NULL, stroll_id TEXT, "
        "data TEXT NOT NULL, updated_at TEXT NOT NULL)",
    ],
    "0004_place_names": [
        "CREATE TABLE neighborhood (id TEXT PRIMARY KEY NOT NULL, name TEXT, city TEXT, "
        "center_lat REAL, center_lon REAL, bbox TEXT, names TEXT)",
        "CREATE TABLE route (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, name TEXT, "
        "description TEXT, path TEXT, names TEXT)",
        "CREATE TABLE merchant (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, name TEXT, "
        "category TEXT, address TEXT, lat REAL, lon REAL, languages TEXT, contact_name TEXT, "
        "notes TEXT, created_at TEXT, names TEXT)",
        "CREATE TABLE shift (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, "
        "route_id TEXT, title TEXT, starts_at TEXT, ends_at TEXT, capacity INTEGER, "
        "needs_lead INTEGER, meeting_point TEXT, names TEXT)",
    ],
    "0005_shift_staffing": [
        "CREATE TABLE shift (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, "
        "route_id TEXT, title TEXT, starts_at TEXT, ends_at TEXT, capacity INTEGER, "
        "needs_lead INTEGER, meeting_point TEXT, names TEXT, min_group INTEGER, "
        "languages_needed TEXT, series_id TEXT)",
    ],
    "0006_partners": [
        "CREATE TABLE partner (id TEXT PRIMARY KEY NOT NULL, name TEXT, names TEXT, "
        "services TEXT, languages TEXT, phone TEXT, email TEXT, website TEXT, address TEXT, "
        "referral_needs TEXT, harm_types TEXT, notes TEXT)",
    ],
    "0007_volunteer_shifts": [
        "CREATE TABLE shift (id TEXT PRIMARY KEY NOT NULL, neighborhood_id TEXT, "
        "route_id TEXT, title TEXT, starts_at TEXT, ends_at TEXT, capacity INTEGER, "
        "needs_lead INTEGER, meeting_point TEXT, names TEXT, min_group INTEGER, "
        "languages_needed TEXT, series_id TEXT, meeting_lat REAL, meeting_lon REAL)",
        "CREATE TABLE signup (id TEXT PRIMARY KEY NOT NULL, shift_id TEXT, member_id TEXT, "
        "status TEXT, requested_at TEXT, decided_at TEXT, reason TEXT, reason_code TEXT, "
        "waitlist_position INTEGER, checked_in_at TEXT, checked_out_at TEXT, "
        "check_in_lat REAL, check_in_lon REAL, check_in_distance_m REAL, "
        "check_in_far INTEGER, check_in_approved_by TEXT)",
        "CREATE TABLE roster (id TEXT PRIMARY KEY NOT NULL, shift_id TEXT, confirmed INTEGER, "
        "waitlisted INTEGER, leads INTEGER, languages TEXT)",
        "CREATE TABLE shift_team (id TEXT PRIMARY KEY NOT NULL, shift_id TEXT, going TEXT)",
        "CREATE INDEX signup_member ON signup (member_id)",
        "CREATE TABLE signup_seen (signup_id TEXT PRIMARY KEY, status TEXT, reason_code TEXT, "
        "starts_at TEXT, ends_at TEXT, seen_at TEXT NOT NULL)",
    ],
    "0008_referrals": [
        "CREATE TABLE referral (id TEXT PRIMARY KEY NOT NULL, incident_id TEXT, "
        "partner_id TEXT, need TEXT, referred_at TEXT, referred_by TEXT, outcome TEXT, "
        "outcome_note TEXT, updated_at TEXT)",
    ],
}


def schema(db: Database) -> set[str]:
    """Every table and index SQLite keeps for the database, bar the migrations log."""
    rows = db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                      "AND tbl_name != ?", [migrations.migrations_table]).fetchall()
    return {re.sub(r"\s+", " ", sql).replace('"', "").replace("( ", "(").replace(" )", ")")
            .replace(" ,", ",") for (sql,) in rows}


def _object(sql: str) -> str:
    """The table or index a statement creates: a later step's statement of the same
    object (a table it altered) replaces the earlier one."""
    return re.match(r"CREATE (?:TABLE|INDEX) (\w+)", sql).group(1)


def _sql_type(field: dataclasses.Field) -> str:
    t = str(field.type)
    return "REAL" if "float" in t else "INTEGER" if ("int" in t or "bool" in t) else "TEXT"


def test_each_step_builds_exactly_the_schema_it_shipped_with(tmp_path):
    db = Database(tmp_path / "steps.db")
    names = [m.name for m in migrations.pending(db)]
    assert names == list(STEPS), \
        "a new migration step needs its expected schema in STEPS (and shipped steps stay)"
    expected: dict[str, str] = {}
    for i, name in enumerate(names):
        later = names[i + 1:]
        migrations.apply(db, stop_before=later[0] if later else None)
        assert [m.name for m in migrations.applied(db)] == names[:i + 1]
        expected.update({_object(sql): sql for sql in STEPS[name]})
        assert schema(db) == set(expected.values()), f"after {name}"


def test_every_record_field_has_a_column_after_all_migrations(tmp_path):
    db = Database(tmp_path / "fields.db")
    migrations.apply(db)
    next_step = len(migrations.applied(db)) + 1
    for rtype, cls in RECORD_TYPES.items():
        assert db[rtype].exists(), (
            f"record type {rtype} has no table: write migration "
            f"{next_step:04d}_{rtype} in stroll/store/migrations.py creating it")
        columns = {c.name: c.type for c in db[rtype].columns}
        for field in dataclasses.fields(cls):
            assert field.name in columns, (
                f"{rtype}.{field.name} has no column: write migration "
                f"{next_step:04d}_{rtype}_{field.name} in stroll/store/migrations.py adding "
                f"it (db[{rtype!r}].add_column({field.name!r}, ...)); shipped steps never "
                f"change")
            assert columns[field.name] == _sql_type(field), \
                f"{rtype}.{field.name} is stored as {columns[field.name]}"


def test_applying_the_migrations_twice_changes_nothing(tmp_path):
    db = Database(tmp_path / "twice.db")
    migrations.apply(db)
    once, applied = schema(db), migrations.applied(db)
    migrations.apply(db)
    assert schema(db) == once
    assert migrations.applied(db) == applied
    assert migrations.pending(db) == []
