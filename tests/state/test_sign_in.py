"""Signing a device in and out (AppState.sign_in / sign_out, SyncService, SignIn) against
a real ``stroll-server`` process on SQLite and a real Store: the first-start screen, an
invite code, a wrong code, the server address checks, sign-out refused while records
wait, switching member. No Flet page: the answers arrive on SyncService's thread."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from stroll.demo import seed
from stroll.domain import Merchant, Neighborhood
from stroll.state import AppState, SyncService
from stroll.state.sign_in import SETTING_SIGN_IN_LATER
from tests.support import ServerProcess, free_port

from app_fixtures import NOW


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signin-server")
    url = f"sqlite:///{tmp / 'sync.db'}"
    srv = ServerProcess(url, tmp / "server.log").start()
    from sync.server.storage import open_storage
    storage = open_storage(url, pool_size=2)
    srv.storage = storage
    yield srv
    storage.close()
    srv.stop()


def invite(server, name: str, role: str = "ambassador") -> str:
    """A new member and their one-time code, made as ``stroll-server admin create`` does."""
    from sync.server import members
    from sync.server.rules import SERVER
    _, code = members.create_member(server.storage, SERVER, {"name": name, "role": role},
                                    timedelta(hours=1))
    return code.code


@pytest.fixture
def sync(store):
    service = SyncService(store)
    yield service
    service.wait()
    service.stop()


def new_state(store, sync, **kw) -> AppState:
    s = AppState(store, sync=sync, now=lambda: NOW, **kw)
    sync.subscribe(s.apply_sync_status)
    s.start()
    return s


def signed_in(state, sync, code: str) -> None:
    state.edit_invite_code(code)
    assert state.sign_in(), state.account.error
    assert state.account.busy  # the answer comes from the sync thread
    assert sync.wait()
    assert not state.account.busy


# ---- the first start ---------------------------------------------------------------------

def test_a_fresh_install_opens_the_sign_in_screen_and_an_invite_signs_it_in(store, sync, server):
    state = new_state(store, sync)
    assert state.screens == ("sign_in",) and state.first_start
    assert state.account.member is None
    code = invite(server, "Mei Chan")
    state.edit_server_url(server.url)
    signed_in(state, sync, code.lower().replace("-", " "))  # typed any which way
    assert state.account.error is None
    assert (state.account.member["name"], state.account.member["role"]) == \
        ("Mei Chan", "ambassador")
    assert state.account.role_key() == "role.ambassador"
    assert state.screens == () and state.tab == "patrol" and not state.first_start
    assert store.get_setting("sync.server_url") == server.url  # the address typed is kept
    assert state.account.invite_code == ""
    again = new_state(store, sync)  # next start: signed in, straight onto the app
    assert again.screens == () and again.account.member["name"] == "Mei Chan"


def test_not_now_goes_on_offline_and_is_remembered(store, sync):
    state = new_state(store, sync)
    assert state.screen == "sign_in"
    state.sign_in_later()
    assert state.screens == () and state.tab == "patrol"
    assert store.get_setting(SETTING_SIGN_IN_LATER)
    assert new_state(store, sync).screens == ()


def test_demo_data_is_not_a_fresh_install(store, sync):
    seed(store, NOW.date())
    assert new_state(store, sync).screens == ()


def test_a_record_written_here_is_not_a_fresh_install(store, sync):
    store.save(Neighborhood(name="Chinatown", center_lat=37.79, center_lon=-122.40))
    assert new_state(store, sync).screens == ()


# ---- what stops a sign-in before the network --------------------------------------------

def test_an_empty_or_invalid_server_address_is_said_and_nothing_is_sent(store, sync):
    state = new_state(store, sync)
    state.edit_invite_code("K7MQ-2XHD-9PRT")
    assert not state.sign_in()
    assert state.account.error == "signin.server_needed" and not state.account.busy
    state.edit_server_url("sync.example")
    assert not state.sign_in()
    assert state.account.error == "error.invalid_server"
    assert sync.engine is None and store.get_setting("sync.server_url") is None
    state.edit_server_url("https://sync.example")
    state.edit_invite_code("  ")
    assert not state.sign_in()
    assert state.account.error == "signin.code_needed"
    assert sync.engine is None


def test_a_wrong_code_is_said_in_the_persons_language(store, sync, server):
    state = new_state(store, sync)
    state.edit_server_url(server.url)
    state.edit_invite_code("ZZZZ-ZZZZ-ZZZZ")
    assert state.sign_in()
    assert sync.wait()
    assert state.account.error == "sync.failed.invite_invalid"
    assert state.account.member is None and state.screen == "sign_in"
    assert state.account.invite_code == "ZZZZ-ZZZZ-ZZZZ"  # kept to correct it
    assert "invite" in state.tr.t(state.account.error).lower()


def test_a_server_nobody_answers_is_said(store, sync):
    state = new_state(store, sync)
    state.edit_server_url(f"http://127.0.0.1:{free_port()}")
    state.edit_invite_code("K7MQ-2XHD-9PRT")
    assert state.sign_in()
    assert sync.wait()
    assert state.account.error == "sync.failed.server_unreachable"


def test_a_used_code_does_not_sign_in_a_second_device(tmp_path, store, sync, server):
    from stroll.store import Store
    code = invite(server, "Rosa Delgado", "volunteer")
    state = new_state(store, sync)
    state.edit_server_url(server.url)
    signed_in(state, sync, code)
    with Store(tmp_path / "other.db") as other:
        other_sync = SyncService(other)
        try:
            second = new_state(other, other_sync)
            second.edit_server_url(server.url)
            signed_in(second, other_sync, code)
            assert second.account.error == "sync.failed.invite_invalid"
        finally:
            other_sync.stop()


# ---- sign out, switch member -------------------------------------------------------------

def test_sign_out_is_refused_while_records_wait_then_switching_member(store, sync, server):
    state = new_state(store, sync)
    state.sign_in_later()
    state.edit_server_url(server.url)
    signed_in(state, sync, invite(server, "Mei Chan"))
    assert state.account.member["name"] == "Mei Chan"

    sync.engine.stop()  # no round sends the record before the sign-out is tried
    store.save(Merchant(neighborhood_id="n1", name="新興麵包店", lat=37.79, lon=-122.40))
    assert store.pending_count() == 1
    assert state.sign_out()
    assert sync.wait()
    assert state.account.error == "sync.failed.pending_entries"
    assert state.account.member["name"] == "Mei Chan"  # still signed in, nothing lost
    assert store.pending_count() == 1

    store.acknowledge([e["seq"] for e in store.outbox_entries(limit=10)])  # as a round does
    assert store.pending_count() == 0
    assert state.sign_out()
    assert sync.wait()
    assert state.account.error is None and state.account.message == "signin.signed_out"
    assert state.account.member is None and sync.member() is None
    state.open_sync_details()  # the badge says why sync waits, and leads to the sign-in
    assert state.sync.needs_sign_in and state.sync.error_code == "sign_in_needed"
    state.open_sign_in()
    assert state.screen == "sign_in"
    state.close_screen()

    signed_in(state, sync, invite(server, "Wai Keung Lau", "coordinator"))
    assert (state.account.member["name"], state.account.role_key()) == \
        ("Wai Keung Lau", "role.coordinator")


def test_sign_out_needs_a_server_address(store, sync):
    state = new_state(store, sync)
    assert not state.sign_out()
    assert state.account.error == "signin.server_needed"


def test_the_badge_sends_a_device_nobody_signed_in_to_the_sign_in_screen(store, sync, server):
    seed(store, NOW.date())
    state = new_state(store, sync, server_url=server.url)
    assert state.screens == ()
    sync.engine.sync_now()
    for _ in range(100):
        if state.sync.error_code:
            break
        time.sleep(0.05)
    assert state.sync.error_code == "sign_in_needed" and state.sync.needs_sign_in
    state.open_sync_details()
    state.open_sign_in()
    assert state.screen == "sign_in" and not state.sync_details_open
