"""Survivor data protected on the device: sealed in the SQLite file and its WAL, read
back as plaintext through the Store, older plaintext sealed on open, a missing or
wrong key a clear error, purge and wipe (stroll/store/atrest.py, protect.py)."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from stroll.domain import FollowUp, Incident, Member, Neighborhood, Referral
from stroll.domain.geo import Fix
from stroll.patrol import PatrolService
from stroll.store import KeyMismatch, KeyMissing, StaticKey, Store, StoreError, migrations
from stroll.store.atrest import MARKER, PREFIX, SENSITIVE
from stroll.store.tx import _to_row

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import ServerProcess  # noqa: E402

NAME = "Wong Siu Ming"
PHONE = "+14155550134"  # as stroll stores a phone contact (E.164)
STORY = "Followed from the bus stop on Stockton and shouted at"
HERE = Fix(37.794941, -122.408079, 0, 5)


# ---- helpers ------------------------------------------------------------------------

def files(db: Path) -> list[Path]:
    return [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]


def found_in_files(db: Path, *secrets: str) -> dict[str, list[str]]:
    """{file name: the secrets whose bytes it holds}, for the database and its WAL."""
    out = {}
    for p in files(db):
        data = p.read_bytes()
        hits = [s for s in secrets if s.encode("utf-8") in data]
        if hits:
            out[p.name] = hits
    return out


def wal_size(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    busy, *_ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    conn.close()
    assert busy == 0


def raw(db: Path, sql: str, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def report_incident(store: Store) -> tuple[str, str]:
    """A member with a phone, and an incident logged the patrol's way (quick, then the
    full form with the survivor's name and phone): (incident id, member id)."""
    hood = store.save(Neighborhood(name="SF Chinatown", center_lat=37.7945,
                                   center_lon=-122.4065))
    member = store.save(Member(name="Mei", phone=PHONE, neighborhood_id=hood.id))
    svc = PatrolService(store)
    svc.start_stroll(hood.id, team=[{"name": "Mei", "member_id": member.id}, {"name": "Rosa"}])
    inc = svc.quick_incident(["verbal_harassment"], HERE, ["de_escalated"], STORY)
    svc.complete_incident(inc.id, survivor_name=NAME, consent_contact=True,
                          contact_channel="phone", contact_value=PHONE,
                          injuries_note="scraped hand")
    return inc.id, member.id


# ---- sealed in the file, plaintext through the store -------------------------------

def test_survivor_name_and_phone_are_in_neither_the_file_nor_its_wal_but_read_back(db_path):
    store = Store(db_path)
    iid, mid = report_incident(store)
    store.set_setting("sync.token", "tok-0123456789abcdef")
    assert wal_size(db_path) > 0, "the writes should still be in the WAL"
    assert found_in_files(db_path, NAME, PHONE, STORY, "tok-0123456789abcdef") == {}

    inc = store.get("incident", iid)
    assert (inc["survivor_name"], inc["contact_value"], inc["narrative"]) == (NAME, PHONE, STORY)
    assert store.get("member", mid)["phone"] == PHONE
    assert [i["survivor_name"] for i in store.list("incident")] == [NAME]
    assert store.get_setting("sync.token") == "tok-0123456789abcdef"
    payloads = [e["payload"] for e in store.outbox_entries(state="pending")]
    assert {"survivor_name": NAME} == {k: v for p in payloads for k, v in p.items()
                                       if k == "survivor_name" and v}
    assert PHONE in json.dumps(payloads)

    store._erase_freed()                       # checkpointed by the store itself
    assert found_in_files(db_path, NAME, PHONE, STORY, "tok-0123456789abcdef") == {}
    store.close()                              # and after the last connection closed
    assert found_in_files(db_path, NAME, PHONE, STORY, "tok-0123456789abcdef") == {}
    with Store(db_path) as again:
        assert again.get("incident", iid)["survivor_name"] == NAME


def test_only_sensitive_fields_are_sealed_the_rest_stays_queryable(store):
    iid, _ = report_incident(store)
    row = dict(zip(("survivor_name", "contact_channel", "harm_types", "cross_streets"),
                   raw(store.path, "SELECT survivor_name, contact_channel, harm_types, "
                       "cross_streets FROM incident WHERE id = ?", iid)[0]))
    assert row["survivor_name"].startswith(PREFIX) and row["contact_channel"].startswith(PREFIX)
    assert json.loads(row["harm_types"]) == ["verbal_harassment"]
    assert store.count("incident", contact_language=None) == 1  # a blank stays blank


def test_looking_up_a_record_by_a_sealed_field_is_refused(store):
    with pytest.raises(ValueError, match="sealed"):
        store.list("incident", survivor_name=NAME)


def test_a_sealed_value_copied_onto_another_record_does_not_open(store):
    a = store.save(Member(name="A", phone=PHONE))
    b = store.save(Member(name="B", phone="415-555-9999"))
    sealed = raw(store.path, "SELECT phone FROM member WHERE id = ?", a.id)[0][0]
    store.db.execute("UPDATE member SET phone = ? WHERE id = ?", [sealed, b.id])
    with pytest.raises(KeyMismatch):
        store.get("member", b.id)


def test_a_sealed_string_costs_about_44_bytes_more_than_its_text(store):
    for text in ("x", NAME, STORY, "黃小明"):
        m = store.save(Member(name="M", phone=text), outbox=False)
        stored = raw(store.path, "SELECT phone FROM member WHERE id = ?", m.id)[0][0]
        n = len(text.encode("utf-8"))
        assert len(stored) == 5 + 4 * -(-(n + 29) // 3)
        assert 44 <= len(stored) - n - n // 3 <= 47


# ---- a real sync round: enrolment, push, a coordinator's pull ----------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("at-rest-server")
    srv = ServerProcess(f"sqlite:///{tmp / 'server.db'}", tmp / "server.log").start()
    yield srv
    srv.stop()


def invite(server, role: str) -> str:
    """A new member's invite code, made on the server's database."""
    from datetime import timedelta

    from sync.server import members
    from sync.server.rules import SERVER
    from sync.server.storage import open_storage
    storage = open_storage(server.database_url, pool_size=1)
    try:
        _, inv = members.create_member(storage, SERVER, {"name": role, "role": role},
                                       timedelta(hours=1))
    finally:
        storage.close()
    return inv.code


def test_a_sync_round_leaves_no_survivor_detail_or_token_in_either_devices_file(
        server, tmp_path):
    from sync.client import SyncClient
    from sync.engine import SyncEngine
    field_db, coord_db = tmp_path / "field.db", tmp_path / "coordinator.db"
    field, coord = Store(field_db), Store(coord_db)
    engines = [SyncEngine(field, SyncClient(server.url), device_name="field phone"),
               SyncEngine(coord, SyncClient(server.url), device_name="coordinator")]
    try:
        engines[0].sign_in(invite(server, "ambassador"))
        engines[1].sign_in(invite(server, "coordinator"))
        iid, mid = report_incident(field)
        # an open case: the coordinator's device keeps its survivor details
        coord.save(FollowUp(incident_id=iid, status="new"))
        for engine in engines:
            engine.sync_once()                  # push, pull
        assert field.pending_count() == 0
        pulled = coord.get("incident", iid)     # the coordinator's scope sees it all
        assert (pulled["survivor_name"], pulled["contact_value"]) == (NAME, PHONE)
        tokens = [s.get_setting("sync.token") for s in (field, coord)]
        assert all(tokens)
        for db in (field_db, coord_db):
            assert found_in_files(db, NAME, PHONE, STORY, *tokens) == {}, db.name
            checkpoint(db)
            assert found_in_files(db, NAME, PHONE, STORY, *tokens) == {}, db.name
    finally:
        for engine in engines:
            engine.stop()
            engine.client.close()
        field.close()
        coord.close()


# ---- a database from before: sealed when opened ------------------------------------

def make_plaintext_database(db: Path) -> tuple[str, str]:
    """A database as the version before sealing wrote it: plaintext fields, outbox
    payloads and token. (incident id, follow-up id)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrations.apply(Database(conn))
    inc = Incident(occurred_at="2026-11-21T19:02:11-08:00", harm_types=["verbal_harassment"],
                   survivor_name=NAME, narrative=STORY, consent_contact=True,
                   contact_channel="phone", contact_value=PHONE)
    fu = FollowUp(incident_id=inc.id, notes="called back " + PHONE)
    for rec in (inc, fu):
        row = _to_row(type(rec), rec.to_dict())
        conn.execute(f"INSERT INTO [{rec.TYPE}] ({', '.join(row)}) "
                     f"VALUES ({', '.join('?' for _ in row)})", list(row.values()))
        conn.execute("INSERT INTO outbox (record_type, record_id, op, payload, device_time) "
                     "VALUES (?, ?, 'upsert', ?, '2026-11-21T19:03:00-08:00')",
                     (rec.TYPE, rec.id, json.dumps(rec.to_dict())))
    conn.execute("INSERT INTO setting (key, value) VALUES ('sync.token', ?)",
                 (json.dumps("tok-plain-from-before"),))
    conn.close()
    return inc.id, fu.id


def test_an_old_plaintext_database_is_sealed_when_opened(db_path):
    iid, fid = make_plaintext_database(db_path)
    assert found_in_files(db_path, NAME, PHONE) != {}     # the starting point
    with Store(db_path) as store:
        assert wal_size(db_path) == 0                       # checkpointed after sealing
        assert found_in_files(db_path, NAME, PHONE, STORY, "tok-plain-from-before") == {}
        assert store.get("incident", iid)["survivor_name"] == NAME
        assert store.get("follow_up", fid)["notes"] == "called back " + PHONE
        assert store.get_setting("sync.token") == "tok-plain-from-before"
        entries = {e["record_id"]: e["payload"] for e in store.outbox_entries()}
        assert entries[iid]["contact_value"] == PHONE and entries[fid]["notes"].endswith(PHONE)
    with Store(db_path) as store:                           # sealed once, not twice
        assert store.get("incident", iid)["narrative"] == STORY
    assert found_in_files(db_path, NAME, PHONE, STORY, "tok-plain-from-before") == {}


# ---- the key -----------------------------------------------------------------------

def key_file(db: Path) -> Path:
    return db.with_name(db.name + ".key")


def test_the_key_is_a_private_file_beside_the_database_made_once(db_path):
    with Store(db_path) as store:
        store.save(Member(name="Mei", phone=PHONE))
    key = key_file(db_path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    first = key.read_bytes()
    with Store(db_path) as store:
        assert store.members()[0]["phone"] == PHONE
    assert key.read_bytes() == first
    assert [p.name for p in db_path.parent.iterdir() if ".key." in p.name] == []


def test_a_key_file_made_readable_by_others_is_tightened_when_opened(db_path):
    Store(db_path).close()
    os.chmod(key_file(db_path), 0o644)
    Store(db_path).close()
    assert stat.S_IMODE(key_file(db_path).stat().st_mode) == 0o600


def test_a_missing_key_with_sealed_data_is_a_clear_error_and_nothing_is_written(db_path):
    with Store(db_path) as store:
        store.save(Member(name="Mei", phone=PHONE))
    key_file(db_path).unlink()
    before = db_path.read_bytes()
    with pytest.raises(KeyMissing) as e:
        Store(db_path)
    assert isinstance(e.value, StoreError) and e.value.code == "store_key_missing"
    msg = str(e.value)
    assert str(db_path) in msg and str(key_file(db_path)) in msg
    assert "Put back the key" in msg
    assert not key_file(db_path).exists(), "a new key must not be made for sealed data"
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("bad", [os.urandom(32), b"short"], ids=["another", "damaged"])
def test_a_wrong_key_is_a_clear_error_at_open(db_path, bad):
    with Store(db_path) as store:
        store.save(Member(name="Mei", phone=PHONE))
    key_file(db_path).write_bytes(bad)
    with pytest.raises(KeyMismatch, match="does not open the encrypted survivor details"):
        Store(db_path)


def test_a_key_provider_replaces_the_key_file(db_path):
    provider = StaticKey(None, where="the phone's secure storage")
    with Store(db_path, keys=provider) as store:
        store.save(Member(name="Mei", phone=PHONE))
    assert not key_file(db_path).exists() and len(provider.key) == 32
    with Store(db_path, keys=StaticKey(provider.key)) as store:
        assert store.members()[0]["phone"] == PHONE
    with pytest.raises(KeyMissing, match="the phone's secure storage"):
        Store(db_path, keys=StaticKey(None, where="the phone's secure storage"))


# ---- purge and wipe ----------------------------------------------------------------

def incidents(store: Store, n: int) -> list[str]:
    ids = []
    for i in range(n):
        inc = store.save(Incident(occurred_at="2026-11-21T19:02:11-08:00",
                                  harm_types=["verbal_harassment"], survivor_name=f"{NAME} {i}",
                                  narrative=STORY, consent_contact=True,
                                  contact_channel="phone", contact_value=PHONE))
        ids.append(inc.id)
    return ids


def acknowledge_all(store: Store, *record_ids: str) -> None:
    store.acknowledge([e["seq"] for e in store.outbox_entries(limit=10_000)
                       if e["record_id"] in record_ids])


def test_purge_blanks_what_the_server_has_and_keeps_what_is_not_yet_pushed(store):
    store.set_setting("sync.role", "volunteer")
    sent, pending, edited, refused = incidents(store, 4)
    acknowledge_all(store, sent, edited, refused)
    store.update("incident", edited, narrative=STORY + " (edited)")   # a patch not yet sent
    store.update("incident", refused, injuries_note="bruise")          # the server refused it
    store.acknowledge([], rejected={store.outbox_entries()[-1]["seq"]: "invalid_record"})
    outbox_before = store.outbox_entries(state="pending") + store.outbox_entries(state="rejected")

    assert store.purge_sensitive() == 1
    gone = store.get("incident", sent)
    assert (gone["survivor_name"], gone["narrative"], gone["contact_value"],
            gone["contact_channel"]) == ("", "", "", None)
    assert gone["harm_types"] == ["verbal_harassment"]          # the rest is kept
    for rid in (pending, edited, refused):
        kept = store.get("incident", rid)
        assert kept["survivor_name"].startswith(NAME) and kept["contact_value"] == PHONE
    after = store.outbox_entries(state="pending") + store.outbox_entries(state="rejected")
    assert after == outbox_before, "a purge writes no outbox entry and changes none"
    assert store.purge_sensitive() == 0


def test_purge_keeps_everything_on_a_device_nobody_signed_in_on(store):
    ids = incidents(store, 2)
    acknowledge_all(store, *ids)
    assert store.purge_sensitive() == 0
    assert all(store.get("incident", i)["survivor_name"] for i in ids)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_a_coordinators_device_keeps_survivor_details_only_of_open_cases(store, role):
    store.set_setting("sync.role", role)
    open_case, closed_case, no_case = incidents(store, 3)
    open_fu = store.save(FollowUp(incident_id=open_case, status="contacted", notes="call at 6"))
    closed_fu = store.save(FollowUp(incident_id=closed_case, status="closed",
                                    outcome="referred to legal aid", notes="done"))
    acknowledge_all(store, open_case, closed_case, no_case, open_fu.id, closed_fu.id)
    member = store.save(Member(name="Mei", phone=PHONE))
    acknowledge_all(store, member.id)
    assert store.purge_sensitive() == 3  # the closed case's incident and follow-up, no case
    assert store.get("incident", open_case)["contact_value"] == PHONE
    assert store.get("follow_up", open_fu.id)["notes"] == "call at 6"
    for rid in (closed_case, no_case):
        assert store.get("incident", rid)["contact_value"] == ""
    assert store.get("follow_up", closed_fu.id)["outcome"] == ""
    assert store.get("member", member.id)["phone"] == PHONE  # not a survivor's detail


def test_a_coordinators_device_keeps_referral_notes_only_of_open_cases(store):
    store.set_setting("sync.role", "coordinator")
    open_case, closed_case = incidents(store, 2)
    ups = [store.save(FollowUp(incident_id=open_case, status="referred")),
           store.save(FollowUp(incident_id=closed_case, status="closed"))]
    sent = [store.save(Referral(incident_id=case, partner_id=open_case, need="legal",
                                referred_at="2026-11-30T12:00:00-08:00",
                                outcome_note="intake Monday " + PHONE))
            for case in (open_case, closed_case)]
    acknowledge_all(store, open_case, closed_case, *(r.id for r in ups + sent))
    store.purge_sensitive()
    assert store.get("referral", sent[0].id)["outcome_note"] == "intake Monday " + PHONE
    assert store.get("referral", sent[1].id)["outcome_note"] == ""
    assert store.get("referral", sent[1].id)["need"] == "legal"          # the rest is kept
    assert found_in_files(store.path, "intake Monday") == {}   # the note is sealed at rest


def test_purge_on_an_ambassador_device_blanks_members_and_follow_ups_too(store):
    store.set_setting("sync.role", "ambassador")
    m = store.save(Member(name="Mei", phone=PHONE))
    fu = store.save(FollowUp(incident_id=incidents(store, 1)[0], outcome="referred",
                             notes="call after 6"))
    acknowledge_all(store, m.id, fu.id)
    assert store.purge_sensitive() == 2
    assert store.get("member", m.id)["phone"] == "" and store.get("member", m.id)["name"] == "Mei"
    assert (store.get("follow_up", fu.id)["outcome"], store.get("follow_up", fu.id)["notes"]) \
        == ("", "")


def test_wipe_blanks_every_survivor_detail_and_drops_the_sync_identity(store):
    ids = incidents(store, 3)
    acknowledge_all(store, ids[0])
    m = store.save(Member(name="Mei", phone=PHONE))
    for key, value in {"sync.token": "tok-revoked", "sync.device_id": "dev-1",
                       "sync.role": "ambassador", "sync.seq_offset": 4, "sync.cursor": 17,
                       "ui.language": "yue"}.items():
        store.set_setting(key, value)
    sealed_name = raw(store.path, "SELECT survivor_name FROM incident WHERE id = ?", ids[0])[0][0]
    store.put_draft(f"incident:{ids[1]}", "incident", {"survivor_name": "Mrs. Lau"},
                    at="2026-11-30T10:00:00-08:00")

    done = store.wipe_member_data()
    assert done == {"records": 4, "outbox_entries": 3, "settings": 5, "drafts": 1}
    assert store.drafts() == []
    for rid in ids:
        inc = store.get("incident", rid)
        assert all(inc[f] in ("", None) for f in SENSITIVE["incident"])
    assert store.get("member", m.id)["phone"] == ""
    for e in store.outbox_entries():
        assert all(e["payload"].get(f) in ("", None) for f in SENSITIVE[e["record_type"]])
    assert store.pending_count() == 3          # the entries stay, without survivor details
    for key in ("sync.token", "sync.device_id", "sync.role", "sync.seq_offset", "sync.cursor"):
        assert store.get_setting(key) is None
    assert store.get_setting("ui.language") == "yue"
    assert store.get_setting(MARKER) is not None
    assert found_in_files(store.path, sealed_name) == {}, "the old sealed value is erased"
