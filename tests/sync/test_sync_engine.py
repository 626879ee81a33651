"""SyncEngine, its backoff, status and thread, against a tiny scripted HTTP server on
loopback (no real sync server)."""
from __future__ import annotations

import random
import statistics
import threading
import time

import pytest

from stroll.domain import Incident, now_iso
from stroll.store import Store
from sync.client import AuthError, SyncClient, SyncError, TransientError
from sync.engine import Backoff, SyncEngine, SyncStatus, error_code

from stubserver import MiniSync, checkin, error, free_port, stub, wait_for  # noqa: F401

# ---- backoff ------------------------------------------------------------------------------


def test_backoff_ceiling_doubles_from_base_up_to_cap():
    b = Backoff(base=1, cap=60)
    assert [b.ceiling(n) for n in range(0, 9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert b.ceiling(10_000) == 60


def test_backoff_has_full_jitter():
    b = Backoff(base=1, cap=60, rng=random.Random(7))
    delays = [b.delay(7) for _ in range(4000)]
    assert 0 <= min(delays) < 1 and 59 < max(delays) <= 60
    assert 28 < statistics.mean(delays) < 32  # uniform on [0, 60]


# ---- status: codes and counts, the words are the UI's -----------------------------------------


def test_status_carries_state_counts_and_progress_not_sentences():
    st = SyncStatus(state="syncing", pending=1, rejected=2, progress=(200, 1200))
    assert (st.state, st.pending, st.rejected, st.progress) == ("syncing", 1, 2, (200, 1200))
    assert (st.error_code, st.last_error) == (None, None)
    assert not hasattr(st, "message")


# ---- the engine against a scripted server ---------------------------------------------------


def sign_in_as_the_stubs_first_device(store) -> None:
    """What ``SyncEngine.sign_in`` leaves behind for MiniSync's first enrollment."""
    with store.transaction():
        for key, value in (("sync.token", "tok-1"), ("sync.device_id", "dev-1"),
                           ("sync.member_id", "m-1"), ("sync.member_name", "Tuan"),
                           ("sync.role", "ambassador")):
            store.set_setting(key, value)


@pytest.fixture
def new_device(tmp_path):
    """A device store nobody has signed in on."""
    s = Store(tmp_path / "device.db")
    yield s
    s.close()


@pytest.fixture
def device(new_device):
    """A device store signed in (as MiniSync's first device)."""
    sign_in_as_the_stubs_first_device(new_device)
    return new_device


def test_a_device_nobody_signed_in_on_does_not_sync_and_says_sign_in(stub, new_device):
    MiniSync(stub)
    new_device.save(checkin())
    engine = SyncEngine(new_device, SyncClient(stub.url))
    with pytest.raises(AuthError):
        engine.sync_once()
    assert stub.requests == []  # not a request: nothing to send it with
    st = engine.status()
    assert (st.state, st.error_code, st.pending) == ("auth_required", "sign_in_needed", 1)


def test_sign_in_keeps_the_member_and_token_and_a_restart_does_not_sign_in_again(
        stub, new_device):
    MiniSync(stub)
    new_device.save(checkin())
    engine = SyncEngine(new_device, SyncClient(stub.url))
    enrolled = engine.sign_in("abcd-efgh-jkmn", device_name="Tuan's phone")
    assert stub.requests[0]["body"] == {"device_name": "Tuan's phone",
                                        "invite_code": "abcd-efgh-jkmn"}
    assert (enrolled.member_id, enrolled.role) == ("m-1", "ambassador")
    assert engine.member() == {"member_id": "m-1", "name": "Tuan", "role": "ambassador"}
    engine.sync_once()
    assert new_device.pending_count() == 0
    # a new engine on the same store (app restarted) does not sign in again
    SyncEngine(new_device, SyncClient(stub.url)).sync_once()
    assert stub.count("POST", "/v1/devices") == 1
    assert stub.requests[-1]["headers"]["Authorization"] == "Bearer tok-1"


def test_a_used_invite_is_refused_with_its_code_and_changes_nothing(stub, new_device):
    MiniSync(stub)
    engine = SyncEngine(new_device, SyncClient(stub.url))
    with pytest.raises(SyncError) as info:
        engine.sign_in("USED")
    assert error_code(info.value) == "invite_invalid"
    assert engine.member() is None and new_device.get_setting("sync.token") is None


def test_sign_out_is_refused_while_records_wait_to_be_sent(stub, device):
    MiniSync(stub)
    device.save(checkin())
    engine = SyncEngine(device, SyncClient(stub.url))
    with pytest.raises(SyncError) as info:
        engine.sign_out()
    assert error_code(info.value) == "pending_entries"
    assert engine.member() is not None
    engine.sync_once()
    stub.set("DELETE", "/v1/devices/me", (200, {"revoked": True}, {}))
    engine.sign_out()
    assert stub.count("DELETE", "/v1/devices/me") == 1
    assert engine.member() is None and device.get_setting("sync.token") is None
    assert engine.status().error_code == "sign_in_needed"


def test_engine_pushes_in_batches_in_seq_order_and_reports_progress(stub, device):
    mini = MiniSync(stub)
    device.save_many([checkin(i) for i in range(23)])
    engine = SyncEngine(device, SyncClient(stub.url), push_batch=5)
    seen = []
    engine.subscribe(seen.append)
    result = engine.sync_once()
    pushes = [r["body"]["entries"] for r in stub.requests if r["path"] == "/v1/sync/push"]
    assert [len(p) for p in pushes] == [5, 5, 5, 5, 3]
    assert [e["seq"] for p in pushes for e in p] == list(range(1, 24))
    assert result["pushed"]["applied"] == 23 and device.pending_count() == 0
    progress = [s.progress for s in seen if s.progress]
    assert progress[0] == (0, 23) and (23, 23) in progress
    assert seen[-1].state == "idle" and seen[-1].last_synced_at and not seen[-1].last_error
    assert seen[-1].error_code is None
    assert len(mini.records) == 23


def test_engine_rejected_entry_stays_in_outbox_and_the_rest_go_on(stub, device):
    MiniSync(stub, reject=lambda e: "incident.harm_types: unknown value 'x'"
             if e["type"] == "incident" else None)
    device.save(checkin(1))
    bad = device.save(Incident(occurred_at=now_iso(), harm_types=["verbal_harassment"]))
    device.save(checkin(2))
    engine = SyncEngine(device, SyncClient(stub.url))
    engine.sync_once()
    st = engine.status()
    assert (st.pending, st.rejected, st.state) == (0, 1, "idle")
    [entry] = device.outbox_entries(state="rejected")
    assert entry["record_id"] == bad.id and "unknown value" in entry["error"]
    # the next write is sent with the next seq: the rejected entry consumed its own
    device.save(checkin(3))
    engine.sync_once()
    assert device.pending_count() == 0 and device.sync_status()["rejected"] == 1


def test_engine_sequence_gap_acks_what_the_server_has_and_resends_from_there(stub, device):
    mini = MiniSync(stub)
    device.save_many([checkin(i) for i in range(6)])
    engine = SyncEngine(device, SyncClient(stub.url))
    engine.ensure_enrolled()
    # the server already applied seq 1..3 from an earlier push whose answer was lost,
    # and this phone's outbox starts at seq 3 (seq 1..2 were acknowledged before)
    device.acknowledge([1, 2])
    mini.last_seq["dev-1"] = 4
    device.set_setting("sync.seq_offset", 0)
    engine.sync_once()
    pushes = [[e["seq"] for e in r["body"]["entries"]] for r in stub.requests
              if r["path"] == "/v1/sync/push"]
    assert pushes == [[3, 4, 5, 6]]  # 3, 4 duplicates; 5, 6 applied
    assert device.pending_count() == 0


def test_engine_gap_below_the_outbox_is_an_error_not_a_loop(stub, device):
    mini = MiniSync(stub)
    device.save_many([checkin(i) for i in range(4)])
    engine = SyncEngine(device, SyncClient(stub.url))
    engine.sync_once()
    device.save(checkin(9))
    mini.last_seq["dev-1"] = 1  # the server lost seq 2..4 (restored from an old backup)
    with pytest.raises(Exception) as ei:
        engine.sync_once()
    assert "missing changes 2–4" in str(ei.value)
    assert device.pending_count() == 1
    assert device.get_setting("sync.last_error_code") == "server_lost_entries"


def test_engine_thread_goes_offline_probes_health_and_resyncs_when_back(stub, device):
    mini = MiniSync(stub)
    up = threading.Event()

    def health(req):
        return (200, {"ok": True}, {}) if up.is_set() else (503, {}, {})

    # while "offline" the push endpoint is not reachable: model it with a closed port
    offline = SyncClient(f"http://127.0.0.1:{free_port()}", timeout=1)
    engine = SyncEngine(device, offline, probe_interval=0.1, backoff=Backoff(base=30, cap=30),
                        idle_interval=60)
    states = []
    engine.subscribe(lambda s: states.append(s))
    device.save_many([checkin(i) for i in range(12)])
    engine.start()
    try:
        assert wait_for(lambda: engine.status().state == "offline")
        assert engine.status().pending == 12 and engine.status().last_error is None
        assert engine.status().error_code == "server_unreachable"
        t_back = time.monotonic()
        stub.set("GET", "/health", health)
        up.set()
        offline.base_url = stub.url  # the network comes back
        assert wait_for(lambda: device.pending_count() == 0, timeout=5)
        assert time.monotonic() - t_back < 2  # not after the 30 s backoff
        assert wait_for(lambda: engine.status().state == "idle")
        assert len(mini.records) == 12
    finally:
        engine.stop()
    assert not any("Traceback" in (s.last_error or "") for s in states)


def revoked_key(stub, device):
    """A phone with one change to send and a sync key the server has revoked."""
    MiniSync(stub)
    stub.set("POST", "/v1/sync/push", error(401, "auth_required", "revoked"))
    device.set_setting("sync.token", "old")
    device.set_setting("sync.device_id", "dev-9")
    device.save(checkin())


def test_engine_thread_stops_retrying_on_auth_failure(stub, device):
    revoked_key(stub, device)
    engine = SyncEngine(device, SyncClient(stub.url), backoff=Backoff(base=0.01, cap=0.01),
                        probe_interval=0.01)
    engine.start()
    try:
        assert wait_for(lambda: engine.status().state == "auth_required")
        n = stub.count("POST", "/v1/sync/push")
        time.sleep(0.5)
        assert stub.count("POST", "/v1/sync/push") == n == 1
        assert engine.status().last_error == "revoked"  # the server's own words
        assert engine.status().error_code == "auth_required"
        assert device.pending_count() == 1
        # signing in again enrolls anew, renumbers and sends
        stub.set("POST", "/v1/sync/push", MiniSync(stub)._push)
        engine.sign_in("NEW-CODE-1234")
        assert wait_for(lambda: device.pending_count() == 0)
        assert wait_for(lambda: engine.status().state == "idle")
    finally:
        engine.stop()


def test_engine_thread_backs_off_on_server_errors_with_jitter(stub, device):
    MiniSync(stub)
    stub.set("POST", "/v1/sync/push", error(503, "unavailable", "down for maintenance"))
    device.save(checkin())
    delays = []
    engine = SyncEngine(device, SyncClient(stub.url), sleep=delays.append,
                        backoff=Backoff(base=1, cap=8, rng=random.Random(1)))
    engine.start()
    try:
        assert wait_for(lambda: len(delays) >= 8)
    finally:
        engine.stop()
    # a 503 is an answer: no health probing, just the backoff timer
    assert stub.count("GET", "/health") == 0
    ceilings = [Backoff(base=1, cap=8).ceiling(n) for n in range(1, 9)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings))
    assert engine.status().state == "offline"
    assert engine.status().last_error == "down for maintenance"  # the server's own words
    assert engine.status().error_code == "server_busy"


def test_sync_now_never_blocks_the_caller(stub, device):
    MiniSync(stub)
    stub.set("POST", "/v1/sync/push", lambda req: (time.sleep(1), (200, {"acked_through": 0,
                                                   "results": []}, {}))[1])
    device.save(checkin())
    engine = SyncEngine(device, SyncClient(stub.url))
    engine.start()
    try:
        t0 = time.monotonic()
        for _ in range(100):
            engine.sync_now()
        assert time.monotonic() - t0 < 0.05
    finally:
        engine.stop()


def test_a_listener_that_raises_does_not_stop_sync(stub, device):
    MiniSync(stub)
    device.save(checkin())
    engine = SyncEngine(device, SyncClient(stub.url))
    engine.subscribe(lambda s: 1 / 0)
    engine.sync_once()
    assert device.pending_count() == 0


def test_a_failed_round_says_what_happened_as_a_code(device):
    device.save_many([checkin(i) for i in range(3)])
    engine = SyncEngine(device, SyncClient(f"http://127.0.0.1:{free_port()}", timeout=1))
    with pytest.raises(TransientError):
        engine.sync_once()
    st = engine.status()
    assert st.state == "offline" and st.progress is None
    assert (st.error_code, st.pending, st.last_error) == ("server_unreachable", 3, None)
    assert device.get_setting("sync.last_error_code") == st.error_code


def test_a_401_round_is_remembered_across_restarts(stub, device):
    revoked_key(stub, device)
    with pytest.raises(AuthError):
        SyncEngine(device, SyncClient(stub.url)).sync_once()
    again = SyncEngine(device, SyncClient(stub.url))  # the app restarted
    assert again.status().state == "auth_required"
    assert again.status().error_code == "auth_required"
