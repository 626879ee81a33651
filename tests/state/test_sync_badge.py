"""The sync badge: SyncService (the engine for the configured server) and what AppState
shows of it, against a real Store on a temporary file (no Flet page, a fake engine)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from stroll.domain import Merchant
from stroll.state import (AUTH, CONNECTING, NO_SERVER, OFFLINE, ONLINE, SYNCING, AppState,
                          SyncService)

from app_fixtures import NOW, demo_store, state  # noqa: F401 (fixtures)


@dataclass(frozen=True)
class Status:  # what sync.engine.SyncEngine publishes (SyncStatus)
    state: str = "idle"
    pending: int = 0
    rejected: int = 0
    last_synced_at: str | None = None
    last_error: str | None = None
    error_code: str | None = None


class FakeEngine:
    """Stands in for sync.engine.SyncEngine: no thread, no HTTP."""

    def __init__(self, store, url, device_name):
        self.store, self.url, self.device_name = store, url, device_name
        self.listeners, self.started, self.stopped, self.woken = [], False, False, 0

    def subscribe(self, cb):
        self.listeners.append(cb)
        cb(Status(pending=self.store.pending_count()))
        return lambda: self.listeners.remove(cb)

    def publish(self, **kw):
        for cb in list(self.listeners):
            cb(Status(**kw))

    def start(self):
        self.started = True

    def stop(self):
        self.stopped = True

    def sync_now(self):
        self.woken += 1


@pytest.fixture
def engines():
    return []


@pytest.fixture
def sync(demo_store, engines):
    def factory(store, url, name):
        engines.append(FakeEngine(store, url, name))
        return engines[-1]
    service = SyncService(demo_store, factory)
    yield service
    service.stop()


def synced_state(store, sync, **kw) -> AppState:
    s = AppState(store, sync=sync, now=lambda: NOW, **kw)
    sync.subscribe(s.apply_sync_status)  # the UI hands these over via page.run_thread
    s.start()
    return s


# ---- the sync badge ----------------------------------------------------------------------------

def test_no_server_means_no_server_badge_with_the_outbox_count(state, demo_store):
    state.refresh_sync()
    assert state.sync.connection == NO_SERVER
    assert state.sync.pending == demo_store.pending_count() > 0
    assert state.sync.last_synced_at is None


def test_a_new_record_shows_up_as_pending(state, demo_store):
    before = state.sync.pending
    hood = state.neighborhoods[0]
    demo_store.save(Merchant(neighborhood_id=hood["id"], name="新興麵包店",
                             lat=hood["center_lat"], lon=hood["center_lon"]))
    state.refresh_sync()
    assert state.sync.pending == before + 1


def test_saving_a_server_starts_sync_and_the_badge_follows_the_engine(demo_store, sync, engines):
    state = synced_state(demo_store, sync)
    assert state.sync.connection == NO_SERVER and not engines
    state.edit_server_url("http://127.0.0.1:9")
    state.edit_device_name("Lead phone 2")
    assert state.save_settings()
    engine = engines[-1]
    assert (engine.url, engine.device_name, engine.started) == \
        ("http://127.0.0.1:9", "Lead phone 2", True)
    assert state.sync.connection == CONNECTING
    engine.publish(state="offline", pending=45, last_error="Server not reachable")
    assert (state.sync.connection, state.sync.pending, state.sync.last_error) == \
        (OFFLINE, 45, "Server not reachable")
    assert not state.sync.is_online
    engine.publish(state="syncing", pending=45)
    assert state.sync.connection == SYNCING and state.sync.is_online
    engine.publish(state="idle", pending=0, last_synced_at=NOW.isoformat())
    assert state.sync.connection == ONLINE
    assert (state.sync.pending, state.sync.last_synced_at) == (0, NOW.isoformat())
    engine.publish(state="auth_required", last_error="Sign in again")
    assert state.sync.connection == AUTH


def test_a_configured_server_starts_sync_when_the_app_opens(demo_store, sync, engines):
    demo_store.set_setting("sync.server_url", "https://sync.example.org")
    state = synced_state(demo_store, sync)
    assert [e.url for e in engines] == ["https://sync.example.org"]
    assert state.sync.connection == CONNECTING
    second = synced_state(demo_store, sync)  # another browser tab: same engine
    assert len(engines) == 1 and second.sync.connection == CONNECTING


def test_changing_the_server_replaces_the_engine_and_clearing_it_stops_sync(demo_store, sync,
                                                                           engines):
    state = synced_state(demo_store, sync, server_url="https://one.example")
    first = engines[-1]
    state.edit_server_url("https://two.example")
    state.save_settings()
    assert [e.url for e in engines] == ["https://one.example", "https://two.example"]
    assert first.listeners == []
    state.edit_server_url("")
    state.save_settings()
    assert sync.engine is None
    assert state.sync.connection == NO_SERVER


def test_sync_now_wakes_the_engine(demo_store, sync, engines):
    state = synced_state(demo_store, sync, server_url="https://one.example")
    state.sync_now()
    assert engines[-1].woken == 1


def test_sync_details_open_and_close(state):
    state.open_sync_details()
    assert state.sync_details_open
    state.close_sync_details()
    assert not state.sync_details_open


def test_a_failed_sync_is_explained_in_the_persons_language(demo_store, sync, engines):
    state = synced_state(demo_store, sync, server_url="http://127.0.0.1:9")
    assert state.sync_error_text() is None
    engines[-1].publish(state="offline", pending=3, last_error="Server not reachable",
                        error_code="server_unreachable")
    assert "cannot be reached" in state.sync_error_text()
    english = state.sync_error_text()
    state.set_language("zh-Hant")
    zh = state.sync_error_text()
    assert zh and zh != english
    engines[-1].publish(state="error", last_error="a reason only the server gives",
                        error_code="no_such_code")  # a newer engine's code: still said
    state.set_language("en")
    assert state.sync_error_text() == state.tr.t("sync.failed.rejected")


def test_the_real_engine_records_why_sync_failed_for_the_next_start(demo_store):
    from sync.client import AuthError, SyncClient, TransientError
    from sync.engine import SyncEngine
    engine = SyncEngine(demo_store, SyncClient("http://127.0.0.1:9", timeout=2))
    with pytest.raises(AuthError):
        engine.sync_once()  # nobody signed this device in: no request goes out
    state = AppState(demo_store, now=lambda: NOW, server_url="http://127.0.0.1:9")
    state.refresh_sync()
    assert state.sync.error_code == "sign_in_needed" and state.sync.needs_sign_in
    assert state.sync_error_text() == state.tr.t("sync.failed.sign_in_needed")

    # a device signed in earlier (its token kept in the store) whose server is down
    demo_store.set_setting("sync.token", "a-token")
    demo_store.set_setting("sync.device_id", "a-device")
    engine = SyncEngine(demo_store, SyncClient("http://127.0.0.1:9", timeout=2))
    with pytest.raises(TransientError):
        engine.sync_once()  # nothing listens on port 9
    state = AppState(demo_store, now=lambda: NOW, server_url="http://127.0.0.1:9")
    state.refresh_sync()
    assert state.sync.error_code == "server_unreachable" and not state.sync.needs_sign_in
    assert state.sync_error_text() == state.tr.t("sync.failed.server_unreachable")


@pytest.mark.parametrize("lang", ["en", "zh-Hant", "zh-Hans", "vi", "es"])
def test_every_reason_the_engine_gives_for_a_failed_sync_has_its_own_sentence(state, lang):
    from sync.engine import FAILURE_CODES
    state.set_language(lang)
    for code in FAILURE_CODES:
        text = state.tr.t(f"sync.failed.{code}")  # a missing tier-1 key raises
        assert text and text != f"sync.failed.{code}"
