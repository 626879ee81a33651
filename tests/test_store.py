"""The device store: migrations, one transaction per write and outbox entry, bad files."""
from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from stroll.domain import CheckIn, FollowUp, Incident, Merchant, ValidationError, now_iso
from stroll.store import (DatabaseCorrupt, DatabaseUnreadable, RecordNotFound, Store,
                          StoreError, migrations)


def merchant(**kw):
    base = dict(neighborhood_id="n1", name="Golden Lantern Bakery", lat=37.7946,
                lon=-122.4068, languages=["yue", "en"])
    base.update(kw)
    return Merchant(**base)


def test_migrations_apply_to_a_fresh_file_and_twice(tmp_path):
    path = tmp_path / "fresh.db"
    db = Database(path)
    migrations.apply(db)
    first = [m.name for m in migrations.applied(db)]
    tables = set(db.table_names())
    migrations.apply(db)
    assert [m.name for m in migrations.applied(db)] == first
    assert {"incident", "outbox", "track_chunk", "setting"} <= tables
    assert migrations.pending(db) == []


def test_the_database_and_its_wal_are_readable_by_this_user_only(tmp_path):
    path = tmp_path / "phone" / "stroll.db"
    s = Store(path)
    s.save(CheckIn(merchant_id="m", at=now_iso(), note="quiet"))
    for p in (path, path.with_name("stroll.db-wal"), path.with_name("stroll.db-shm")):
        assert p.stat().st_mode & 0o777 == 0o600, p
    assert path.parent.stat().st_mode & 0o777 == 0o700
    s.close()
    path.chmod(0o644)  # e.g. copied by hand: opening it again takes the others' access away
    Store(path).close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_store_uses_wal_mode(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_save_writes_record_and_outbox_entry_together(store):
    m = store.save(merchant())
    assert store.get("merchant", m.id)["languages"] == ["yue", "en"]
    [entry] = store.outbox_entries()
    assert (entry["record_type"], entry["record_id"], entry["op"]) == ("merchant", m.id, "upsert")
    assert entry["payload"]["name"] == "Golden Lantern Bakery"
    assert store.pending_count() == 1


def test_failed_transaction_leaves_neither_record_nor_outbox_entry(store):
    m = merchant()
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.save(m)
            raise RuntimeError("power cut")
    assert store.get("merchant", m.id) is None
    assert store.pending_count() == 0


def test_invalid_record_is_refused_before_anything_is_written(store):
    with pytest.raises(ValidationError):
        store.save_many([merchant(), merchant(lat=123.0)])
    assert store.count("merchant") == 0 and store.pending_count() == 0


def test_update_sends_only_changed_fields_as_a_patch(store):
    inc = store.save(Incident(occurred_at=now_iso(), harm_types=["shunning"], quick=True))
    fu = store.save(FollowUp(incident_id=inc.id))
    store.update("follow_up", fu.id, status="contacted", notes="called back in Cantonese")
    store.update("follow_up", fu.id, status="contacted")  # no change: no entry
    entries = store.outbox_entries()
    assert [e["op"] for e in entries] == ["upsert", "upsert", "patch"]
    assert entries[-1]["payload"] == {"status": "contacted", "notes": "called back in Cantonese"}
    assert store.get("follow_up", fu.id)["status"] == "contacted"


def test_update_of_a_missing_record_names_type_and_id(store):
    with pytest.raises(RecordNotFound, match="no follow_up with id abc"):
        store.update("follow_up", "abc", status="closed")


def test_acknowledged_entries_leave_and_rejected_ones_stay_with_reason(store):
    a, b, c = (store.save(merchant(name=f"Shop {i}")) for i in range(3))
    seqs = [e["seq"] for e in store.outbox_entries()]
    store.acknowledge([seqs[0], seqs[2]], rejected={seqs[1]: "merchant.lat: out of range"})
    assert store.pending_count() == 0
    [rej] = store.outbox_entries(state="rejected")
    assert rej["record_id"] == b.id and "out of range" in rej["error"]
    assert store.sync_status()["rejected"] == 1


def test_pulled_page_and_cursor_commit_together_keeping_pending_local_edits(store):
    m = store.save(merchant(), outbox=False)
    store.update("merchant", m.id, notes="owner asked for evening visits")
    remote = {**m.to_dict(), "name": "Golden Lantern Bakery & Cafe", "notes": "old"}
    ci = CheckIn(merchant_id=m.id, at=now_iso())
    n = store.apply_remote([
        {"type": "merchant", "id": m.id, "op": "upsert", "data": remote},
        {"type": "check_in", "id": ci.id, "op": "upsert", "data": ci.to_dict()},
    ], cursor=42)
    assert n == 2
    got = store.get("merchant", m.id)
    assert got["name"] == "Golden Lantern Bakery & Cafe"
    assert got["notes"] == "owner asked for evening visits"
    assert store.get_setting("sync.cursor") == 42
    store.apply_remote([{"type": "check_in", "id": ci.id, "op": "delete"}], cursor=43)
    assert store.get("check_in", ci.id) is None


def test_a_bad_page_moves_neither_records_nor_cursor(store):
    m = merchant()
    with pytest.raises(Exception):
        store.apply_remote([
            {"type": "merchant", "id": m.id, "op": "upsert", "data": m.to_dict()},
            {"type": "spaceship", "id": "x", "op": "upsert", "data": {}},
        ], cursor=7)
    assert store.get("merchant", m.id) is None
    assert store.get_setting("sync.cursor") is None


def test_settings_round_trip_any_json_value(store):
    store.set_setting("ui.language", "zh-Hant")
    store.set_setting("sync.server", {"url": "http://127.0.0.1:9000"})
    assert store.get_setting("ui.language") == "zh-Hant"
    assert store.get_setting("sync.server")["url"].endswith("9000")
    assert store.get_setting("missing", "x") == "x"


def test_a_file_that_is_not_a_database_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "stroll.db"
    junk = b"these are field notes, not a database\n" * 50
    path.write_bytes(junk)
    with pytest.raises(DatabaseCorrupt) as e:
        Store(path)
    assert str(path) in str(e.value) and "left untouched" in str(e.value)
    assert path.read_bytes() == junk


def test_a_damaged_database_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "stroll.db"
    with Store(path) as s:
        s.save_many([merchant(name=f"Shop {i}") for i in range(200)])
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096:4096 * 3] = b"\xff" * (4096 * 2)  # smash pages after the header
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorrupt):
        Store(path)
    assert path.read_bytes() == bytes(data)


def test_a_folder_in_place_of_the_file_is_a_clear_error(tmp_path):
    with pytest.raises(DatabaseUnreadable, match="not a file"):
        Store(tmp_path)


def test_recent_strolls_and_upcoming_shifts_for_the_screens(tmp_path):
    from datetime import date, datetime, timedelta

    from stroll.demo import seed
    with Store(tmp_path / "demo.db") as s:
        counts = seed(s, date.today())
        assert counts["neighborhood"] == 3
        strolls = s.recent_strolls(limit=5)
        assert len(strolls) == 5
        assert all(x["team_size"] >= 2 and x["distance_m"] > 300 for x in strolls)
        assert strolls[0]["started_at"] >= strolls[-1]["started_at"]
        shifts = s.upcoming_shifts(datetime.now().astimezone() - timedelta(hours=1))
        assert shifts and all(0 <= x["spots_left"] <= x["capacity"] for x in shifts)
        assert any(x["confirmed"] > 0 for x in shifts)


def test_fields_the_server_did_not_send_keep_their_local_values(store):
    inc = store.save(Incident(occurred_at=now_iso(), harm_types=["verbal_harassment"],
                              narrative="She was followed from the bus stop"))
    store.acknowledge([e["seq"] for e in store.outbox_entries()])
    stripped = {k: v for k, v in inc.to_dict().items() if k not in Incident.sensitive_fields()}
    store.apply_remote([{"type": "incident", "id": inc.id, "op": "upsert",
                         "data": {**stripped, "police_involved": "no"}}], cursor=5)
    got = store.get("incident", inc.id)
    assert got["narrative"] == "She was followed from the bus stop"
    assert got["police_involved"] == "no"


def test_a_record_deleted_here_stays_deleted_until_the_delete_is_sent(store):
    m = store.save(merchant(), outbox=False)
    store.delete("merchant", m.id)
    store.apply_remote([{"type": "merchant", "id": m.id, "op": "upsert", "data": m.to_dict()}],
                       cursor=9)
    assert store.get("merchant", m.id) is None
    assert store.get_setting("sync.cursor") == 9


def test_a_database_failure_is_a_store_error_not_a_raw_sqlite_error(db_path):
    from stroll.store import StoreFailure
    s = Store(db_path)
    s.close()
    with pytest.raises(StoreFailure, match="could not be read or written"):
        s.list("merchant")
    with pytest.raises(StoreFailure):
        s.save(merchant())


def test_a_transaction_inside_another_joins_it_and_commits_or_rolls_back_with_it(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as outer:
            with store.transaction() as inner:
                assert inner is outer
                inner.save(merchant(name="Shop 1"))
            store.save(merchant(name="Shop 2"))              # joins the outer one too
            raise RuntimeError("power cut")
    assert store.count("merchant") == 0 and store.pending_count() == 0
    with store.transaction() as outer:
        store.save(merchant(name="Shop 1"))
        outer.save(merchant(name="Shop 2"))
    assert store.count("merchant") == 2 and store.pending_count() == 2


def test_a_transaction_object_cannot_write_after_its_block(store):
    with store.transaction() as tx:
        pass
    with pytest.raises(StoreError, match="inside Store.transaction"):
        tx.save(merchant())
    assert store.count("merchant") == 0


def test_list_and_count_take_field_values_never_sql(store):
    a = store.save(merchant(name="Shop A", notes="evenings"))
    store.save(merchant(name="Shop B", neighborhood_id="n2"))
    assert [m["id"] for m in store.list("merchant", notes="evenings")] == [a.id]
    assert store.count("merchant", neighborhood_id="n1") == 1
    assert store.count("merchant", category="other", neighborhood_id="n2") == 1
    with pytest.raises(ValueError, match="merchant has no field colour"):
        store.list("merchant", colour="red")
    with pytest.raises(TypeError):
        store.count("merchant", "name LIKE ?", ["Shop%"])  # no SQL fragments
