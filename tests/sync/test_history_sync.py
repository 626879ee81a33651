"""An incident completed after its stroll ended travels as a per-field patch, against a
real server process: an ambassador's phone reopens a past stroll and completes its quick
incident while a coordinator, on another device, has set the kind of place; the server
keeps both, and the phone receives the coordinator's field at its next pull."""
from __future__ import annotations

import json

import pytest

from stroll.demo import seed
from stroll.state import AppState
from stroll.store import Store
from sync.client import SyncClient
from sync.engine import SyncEngine
from tests.support.strolls import walk_and_end


def _device(path, server, role: str, name: str) -> SyncEngine:
    store = Store(path)
    engine = SyncEngine(store, SyncClient(server.url), device_name=name)
    engine.sign_in(server.invite(role))
    return engine


def _close(engine: SyncEngine) -> None:
    engine.stop()
    engine.client.close()
    engine.store.close()


@pytest.fixture
def phone(tmp_path, server):
    """An ambassador's phone with a stroll walked, a quick incident logged, ended and sent."""
    engine = _device(tmp_path / "phone.db", server, "ambassador", "ambassador's phone")
    seed(engine.store)
    walked = walk_and_end(engine.store)
    engine.sync_once()
    assert engine.store.pending_count() == 0
    yield engine, walked
    _close(engine)


def test_completing_a_past_incident_syncs_as_a_patch_merged_per_field(tmp_path, server, phone):
    engine, walked = phone
    iid = walked.incident_id
    # meanwhile a coordinator sets the kind of place on their own device
    laptop = _device(tmp_path / "laptop.db", server, "coordinator", "coordinator's laptop")
    try:
        laptop.sync_once()
        assert laptop.store.get("incident", iid)["quick"] is True
        laptop.store.update("incident", iid, site_type="transit")
        laptop.sync_once()
    finally:
        _close(laptop)

    # the phone, not yet pulled, reopens the stroll and completes the incident
    app = AppState(engine.store)
    app.load()
    assert [i["id"] for i in app.history.needing] == [iid]
    app.open_past_stroll(walked.stroll_id)
    app.complete_incident(iid)
    for field, code in (("reporter_role", "witness"), ("affected_age_band", "60_74"),
                        ("affected_language", "yue")):
        app.patrol.report.incident_choose(field, code)
    app.save_incident_form()
    assert app.history.incidents[0]["complete"] is True
    [entry] = engine.store.outbox_entries(100)
    payload = entry["payload"] if isinstance(entry["payload"], dict) \
        else json.loads(entry["payload"])
    assert entry["op"] == "patch" and entry["record_id"] == iid
    assert set(payload) == {"reporter_role", "affected_age_band", "affected_language", "quick"}

    engine.sync_once()
    assert engine.store.pending_count() == 0 and engine.store.outbox_entries(
        100, state="rejected") == []
    kept = server.storage.get_record("incident", iid)["data"]
    assert kept["site_type"] == "transit"                        # the coordinator's field
    assert (kept["reporter_role"], kept["affected_age_band"], kept["affected_language"]) == (
        "witness", "60_74", "yue")                               # the phone's fields
    assert kept["quick"] is False and kept["harm_types"] == ["verbal_harassment"]
    # the phone has the coordinator's field after its pull, and still reads complete
    assert engine.store.get("incident", iid)["site_type"] == "transit"
    app.history.refresh()
    assert app.history.incidents[0]["complete"] is True and app.history.needing == []
