"""The member's calendar link as the app state shows it (``AppState.calendar_link`` /
``stop_calendar_link``: ``calendar_url``, ``calendar_busy``, ``calendar_error``) against
a real ``stroll-server`` process on SQLite and a real Store. No Flet page: the answers
arrive on SyncService's thread."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from stroll.state import AppState, SyncService
from tests.support import ServerProcess, free_port

from app_fixtures import NOW


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calendar-server")
    url = f"sqlite:///{tmp / 'sync.db'}"
    srv = ServerProcess(url, tmp / "server.log").start()
    from sync.server.storage import open_storage
    srv.storage = open_storage(url, pool_size=2)
    yield srv
    srv.storage.close()
    srv.stop()


@pytest.fixture
def sync(store):
    service = SyncService(store)
    yield service
    service.wait()
    service.stop()


def signed_in_state(store, sync, server, name: str = "Rosa Delgado") -> AppState:
    from sync.server import members
    from sync.server.rules import SERVER
    _, code = members.create_member(server.storage, SERVER,
                                    {"name": name, "role": "volunteer"}, timedelta(hours=1))
    state = AppState(store, sync=sync, now=lambda: NOW)
    sync.subscribe(state.apply_sync_status)
    state.start()
    state.edit_server_url(server.url)
    state.edit_invite_code(code.code)
    assert state.sign_in() and sync.wait() and state.account.signed_in, state.account.error
    return state


def answered(state: AppState, sync: SyncService, call) -> None:
    assert call()
    assert state.calendar_busy  # the answer comes from the sync thread
    assert sync.wait()
    assert not state.calendar_busy


def test_a_link_is_made_shown_kept_and_stopped(store, sync, server):
    state = signed_in_state(store, sync, server)
    assert state.calendar_url is None
    answered(state, sync, state.calendar_link)
    url = state.calendar_url
    assert url and url.startswith(server.url) and state.calendar_error is None
    assert state.calendar_message == "calendar.made"
    assert requests.get(url, timeout=10).status_code == 200
    # shown again at the next start, read from the store
    again = AppState(store, sync=sync, now=lambda: NOW)
    assert again.calendar_url == url
    state.calendar_copied()
    assert state.calendar_message == "calendar.copied"
    answered(state, sync, state.stop_calendar_link)
    assert state.calendar_url is None and state.calendar_message == "calendar.stopped"
    assert requests.get(url, timeout=10).status_code == 404


def test_a_new_link_replaces_the_old_one(store, sync, server):
    state = signed_in_state(store, sync, server)
    answered(state, sync, state.calendar_link)
    old = state.calendar_url
    answered(state, sync, state.calendar_link)
    assert state.calendar_url != old
    assert requests.get(old, timeout=10).status_code == 404


def test_signing_out_forgets_the_link_on_this_phone(store, sync, server):
    state = signed_in_state(store, sync, server)
    answered(state, sync, state.calendar_link)
    assert state.sign_out() and sync.wait()
    assert state.calendar_url is None and sync.calendar_url() is None


def test_no_server_or_nobody_signed_in_is_said_and_nothing_is_sent(store, sync):
    state = AppState(store, sync=sync, now=lambda: NOW)
    assert not state.calendar_link()
    assert state.calendar_error == "signin.server_needed" and not state.calendar_busy
    state.edit_server_url(f"http://127.0.0.1:{free_port()}")
    assert state.save_settings()
    assert not state.calendar_link()
    assert state.calendar_error == "calendar.sign_in_first"
    assert state.tr.t(state.calendar_error)


def test_an_unreachable_server_is_said_and_the_link_is_kept(store, sync, server):
    state = signed_in_state(store, sync, server)
    answered(state, sync, state.calendar_link)
    url = state.calendar_url
    sync.engine.client.base_url = f"http://127.0.0.1:{free_port()}"  # the server is gone
    answered(state, sync, state.stop_calendar_link)
    assert state.calendar_error == "sync.failed.server_unreachable"
    assert state.calendar_url == url  # not stopped: still shown, to stop later
    assert requests.get(url, timeout=10).status_code == 200
