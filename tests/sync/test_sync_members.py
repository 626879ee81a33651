"""A device and its member against a real server: a lost phone revoked by a
coordinator wipes its survivor data at its next contact and asks to sign in; signing
out revokes the token on the server too; switching member starts the pull over."""
from __future__ import annotations

import json

import pytest
import requests

from stroll.domain import FollowUp, Incident, now_iso
from stroll.store import Store
from sync import protocol as p
from sync.client import AuthError, SyncClient
from sync.engine import SyncEngine

NAME, PHONE = "Wong Siu Ming", "415-555-0134"


@pytest.fixture
def phone(tmp_path, server):
    """An ambassador's phone, signed in, that reported an incident with a survivor's
    name and number (sent to the server)."""
    store = Store(tmp_path / "phone.db")
    engine = SyncEngine(store, SyncClient(server.url), device_name="lost phone")
    engine.sign_in(server.invite("ambassador"))
    inc = store.save(Incident(occurred_at=now_iso(), harm_types=["verbal_harassment"],
                              survivor_name=NAME, consent_contact=True,
                              contact_channel="phone", contact_value=PHONE))
    engine.sync_once()
    assert store.pending_count() == 0
    yield engine, inc.id
    engine.stop()
    engine.client.close()
    store.close()


def coordinator(server) -> dict:
    """The headers of a coordinator's device (signed in with an invite)."""
    client = SyncClient(server.url)
    enrolled = client.enroll("coordinator's laptop", server.invite("coordinator"))
    client.close()
    return p.request_headers("test", enrolled.token)


def test_an_ambassadors_phone_keeps_survivor_details_only_until_the_server_has_them(
        server, phone):
    engine, incident_id = phone
    kept = engine.store.get("incident", incident_id)
    assert kept["harm_types"] == ["verbal_harassment"] and kept["contact_value"] == ""
    laptop = Store(engine.store.path.parent / "coordinator.db")
    coord = SyncEngine(laptop, SyncClient(server.url), device_name="coordinator's laptop")
    try:
        coord.sign_in(server.invite("coordinator"))
        laptop.save(FollowUp(incident_id=incident_id, status="new", notes="call at 6"))
        coord.sync_once()
        # a coordinator's device keeps them while the case is open
        assert laptop.get("incident", incident_id)["contact_value"] == PHONE
    finally:
        coord.client.close()
        laptop.close()


def test_a_revoked_phone_wipes_survivor_data_at_its_next_sync_and_asks_to_sign_in(
        server, phone):
    engine, _ = phone
    store = engine.store
    unsent = store.save(Incident(occurred_at=now_iso(), harm_types=["shunning"],
                                 survivor_name=NAME, contact_value=PHONE))
    r = requests.delete(f"{server.url}/v1/devices/{store.get_setting('sync.device_id')}",
                        headers=coordinator(server), timeout=10)
    assert r.status_code == 200, r.text
    with pytest.raises(AuthError):
        engine.sync_once()
    kept = store.get("incident", unsent.id)
    assert kept["harm_types"] == ["shunning"]          # the report stays, to send later
    assert (kept["survivor_name"], kept["contact_value"]) == ("", "")
    assert NAME not in json.dumps(store.outbox_entries())
    assert store.get_setting("sync.token") is None and engine.member() is None
    status = engine.status()
    assert (status.state, status.error_code) == ("auth_required", "device_revoked")


def test_signing_out_revokes_the_token_on_the_server_too(server, phone):
    engine, _ = phone
    token = engine.store.get_setting("sync.token")
    engine.sign_out()
    r = requests.get(f"{server.url}/v1/sync/pull", headers=p.request_headers("test", token),
                     timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "device_revoked"
    assert engine.member() is None


def test_switching_member_wipes_the_first_members_data_and_pulls_anew(server, phone):
    engine, incident_id = phone
    store = engine.store
    first = engine.member()["member_id"]
    cursor = store.get_setting("sync.cursor")
    assert cursor
    engine.sign_out()
    engine.sign_in(server.invite("volunteer"))
    assert engine.member()["member_id"] != first and engine.member()["role"] == "volunteer"
    assert store.get_setting("sync.cursor") in (None, 0)
    assert store.get("incident", incident_id)["contact_value"] in ("", None)
    engine.sync_once()
    assert store.get("incident", incident_id)["harm_types"] == ["verbal_harassment"]
