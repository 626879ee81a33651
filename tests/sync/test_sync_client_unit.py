"""SyncClient failure classes, backoff, status words and the engine's thread, against a
tiny scripted HTTP server on loopback (no real sync server)."""
from __future__ import annotations

import random
import statistics
import threading
import time

import pytest

from stroll.domain import CheckIn, Incident, now_iso
from stroll.store import Store
from sync.client import (APP_VERSION, PROTOCOL_VERSION, AuthError, Backoff, RejectedError,
                         SequenceGap, SyncClient, SyncEngine, SyncStatus, TransientError,
                         UnsupportedVersion)

from stubserver import MiniSync, Stub, error
from tests.support import free_port


@pytest.fixture
def stub():
    s = Stub()
    yield s
    s.close()


def checkin(i=0):
    return CheckIn(merchant_id=f"m-{i}", at=now_iso(), note=f"visit {i}")


def wait_for(cond, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


# ---- classification ---------------------------------------------------------------------


def test_every_request_carries_protocol_app_version_and_token(stub):
    stub.set("GET", "/v1/sync/pull", (200, {"changes": [], "next_cursor": 0, "has_more": False},
                                      {}))
    SyncClient(stub.url, token="s3cret").pull(after=0, limit=10)
    h = stub.requests[-1]["headers"]
    assert h["X-Stroll-Protocol"] == str(PROTOCOL_VERSION)
    assert h["X-Stroll-App"] == APP_VERSION
    assert h["Authorization"] == "Bearer s3cret"
    assert stub.requests[-1]["full_path"].endswith("after=0&limit=10")


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_server_errors_and_throttling_are_transient(stub, status):
    stub.set("POST", "/v1/sync/push", error(status, "busy", "try later",
                                            headers={"Retry-After": "7"}))
    with pytest.raises(TransientError) as ei:
        SyncClient(stub.url, token="t").push([])
    assert ei.value.reachable and ei.value.status == status and ei.value.retry_after == 7


def test_connection_refused_is_transient_and_unreachable():
    client = SyncClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(TransientError) as ei:
        client.pull()
    assert not ei.value.reachable
    assert client.health() is False


def test_a_server_that_never_answers_is_a_transient_timeout(stub):
    stub.set("GET", "/v1/sync/pull", (200, "HANG", {}))
    t0 = time.monotonic()
    with pytest.raises(TransientError) as ei:
        SyncClient(stub.url, timeout=(1, 0.5)).pull()
    assert not ei.value.reachable and time.monotonic() - t0 < 2.5


def test_a_damaged_2xx_answer_is_transient(stub):
    stub.set("GET", "/v1/sync/pull", (200, b"{\"changes\": [", {}))
    with pytest.raises(TransientError):
        SyncClient(stub.url).pull()


def test_401_asks_to_sign_in_again(stub):
    stub.set("POST", "/v1/sync/push", error(401, "auth_required", "unknown token"))
    with pytest.raises(AuthError) as ei:
        SyncClient(stub.url, token="old").push([])
    assert ei.value.code == "auth_required"


def test_426_carries_the_servers_message_as_is(stub):
    words = "This app (0.0.1) is too old for the server: update stroll to sync."
    stub.set("GET", "/v1/sync/pull", error(426, "unsupported_protocol", words))
    with pytest.raises(UnsupportedVersion) as ei:
        SyncClient(stub.url).pull()
    assert ei.value.message == words


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422])
def test_other_4xx_are_rejected_with_code_and_message(stub, status):
    stub.set("POST", "/v1/sync/push", error(status, "bad_batch", "entry 3 has no type",
                                            {"seq": 3}))
    with pytest.raises(RejectedError) as ei:
        SyncClient(stub.url).push([])
    e = ei.value
    assert not isinstance(e, (TransientError, AuthError))
    assert (e.status, e.code, e.message, e.details) == (status, "bad_batch",
                                                        "entry 3 has no type", {"seq": 3})


def test_409_sequence_gap_names_the_expected_seq(stub):
    stub.set("POST", "/v1/sync/push", error(409, "sequence_gap", "want 12", {"expected": 12}))
    with pytest.raises(SequenceGap) as ei:
        SyncClient(stub.url).push([])
    assert ei.value.expected == 12


def test_enroll_keeps_device_id_and_token(stub):
    stub.set("POST", "/v1/devices", (201, {"device_id": "d1", "token": "tok"}, {}))
    c = SyncClient(stub.url)
    assert c.enroll("phone A") == ("d1", "tok")
    assert (c.device_id, c.token) == ("d1", "tok")
    assert stub.requests[-1]["body"] == {"device_name": "phone A", "member_id": None}


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


# ---- status words --------------------------------------------------------------------------


def test_status_words_are_plain():
    assert SyncStatus(state="syncing", progress=(200, 1200)).message == \
        "Sending changes — 200 of 1200"
    assert SyncStatus(pending=1).message == "1 change waits on this phone"
    assert SyncStatus(rejected=2).message.startswith("2 changes refused by the server")
    assert SyncStatus(last_synced_at="2026-01-01T00:00:00+00:00").message == "All changes sent"


# ---- the engine against a scripted server ---------------------------------------------------


@pytest.fixture
def device(tmp_path):
    s = Store(tmp_path / "device.db")
    yield s
    s.close()


def test_engine_enrolls_once_and_keeps_the_token(stub, device):
    MiniSync(stub)
    device.save(checkin())
    engine = SyncEngine(device, SyncClient(stub.url))
    engine.sync_once()
    engine.sync_once()
    assert stub.count("POST", "/v1/devices") == 1
    assert device.get_setting("sync.token") == "tok-1"
    assert device.get_setting("sync.device_id") == "dev-1"
    # a new engine on the same store (app restarted) does not enroll again
    SyncEngine(device, SyncClient(stub.url)).sync_once()
    assert stub.count("POST", "/v1/devices") == 1
    assert stub.requests[-1]["headers"]["Authorization"] == "Bearer tok-1"


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
    assert "missing changes" in device.get_setting("sync.last_error")


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
        assert engine.status().last_error == ("Server not reachable — 12 changes wait on this "
                                              "phone and will be sent automatically")
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


def test_engine_thread_stops_retrying_on_auth_failure(stub, device):
    MiniSync(stub)
    stub.set("POST", "/v1/sync/push", error(401, "auth_required", "revoked"))
    device.set_setting("sync.token", "old")
    device.set_setting("sync.device_id", "dev-9")
    device.save(checkin())
    engine = SyncEngine(device, SyncClient(stub.url), backoff=Backoff(base=0.01, cap=0.01),
                        probe_interval=0.01)
    engine.start()
    try:
        assert wait_for(lambda: engine.status().state == "auth_required")
        n = stub.count("POST", "/v1/sync/push")
        time.sleep(0.5)
        assert stub.count("POST", "/v1/sync/push") == n == 1
        assert "Sign in again" in engine.status().last_error
        assert engine.status().error_code == "auth_required"
        assert device.pending_count() == 1
        # signing in again enrolls anew, renumbers and sends
        stub.set("POST", "/v1/sync/push", MiniSync(stub)._push)
        engine.sign_in_again()
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
    assert engine.status().state == "offline" and "Server busy" in engine.status().last_error
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


def test_a_failed_round_says_what_happened_in_plain_words(device):
    device.save_many([checkin(i) for i in range(3)])
    engine = SyncEngine(device, SyncClient(f"http://127.0.0.1:{free_port()}", timeout=1))
    with pytest.raises(TransientError):
        engine.sync_once()
    st = engine.status()
    assert st.state == "offline" and st.progress is None
    assert st.last_error == ("Server not reachable — 3 changes wait on this phone and will be "
                             "sent automatically")
    assert device.get_setting("sync.last_error") == st.last_error


def test_a_401_round_is_remembered_across_restarts(stub, device):
    MiniSync(stub)
    stub.set("POST", "/v1/sync/push", error(401, "auth_required", "revoked"))
    device.set_setting("sync.token", "old")
    device.set_setting("sync.device_id", "dev-9")
    device.save(checkin())
    with pytest.raises(AuthError):
        SyncEngine(device, SyncClient(stub.url)).sync_once()
    again = SyncEngine(device, SyncClient(stub.url))  # the app restarted
    assert again.status().state == "auth_required"
    assert "Sign in again" in again.status().message
