"""The sync engine against a real server process through a fault-injecting proxy.

Every test ends with the same invariants (syncharness.assert_invariants): zero
records lost, zero duplicated, every device's store converges to the same records,
outboxes empty except rejected entries. Both server backends (SQLite, PostgreSQL)."""
from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta

import pytest

from stroll.domain import CheckIn, FollowUp, Incident, Stroll, TrackChunk, now_iso
from stroll.domain.geo import Fix, encode_track
from sync.client import RejectedError, TransientError
from faultproxy import FaultProxy
from syncharness import Device, assert_invariants, make_devices

PUSH = "POST /v1/sync/push"
PULL = "GET /v1/sync/pull"


@pytest.fixture
def devices(tmp_path, proxy):
    made: list[Device] = []

    def make(n: int, **kw) -> list[Device]:
        new = make_devices(n, tmp_path / f"set{len(made)}", proxy.url, invite=proxy.invite,
                           **kw)
        made.extend(new)
        return new

    (tmp_path / "set0").mkdir()
    yield make
    for d in made:
        d.close()


def checkins(n, tag="", start=0):
    return [CheckIn(merchant_id=f"m-{tag}{i}", at=now_iso(), note=f"visit {tag}{i}")
            for i in range(start, start + n)]


def incident(**kw):
    base = dict(occurred_at=now_iso(), harm_types=["verbal_harassment"],
                narrative="they shouted at the bakery owner", cross_streets="Grant & Jackson")
    base.update(kw)
    return Incident(**base)


def track(stroll_id: str, seq: int, n: int = 500, lat=37.7946, lon=-122.4068, t0=1.8e9):
    rng = random.Random(seq)
    fixes, la, lo = [], lat, lon
    for i in range(n):
        la += rng.uniform(-3e-5, 3e-5)
        lo += rng.uniform(-3e-5, 3e-5)
        fixes.append(Fix(la, lo, t0 + seq * n * 3 + i * 3, rng.choice([5, 6, 8, 10, 12])))
    return TrackChunk(stroll_id=stroll_id, seq=seq, points=encode_track(fixes), point_count=n,
                      started_at=now_iso(), ended_at=now_iso())


def ids(records):
    return {(r.TYPE, r.id) for r in records}


# ---- dropped connections and lost answers ----------------------------------------------------


def test_connection_dropped_mid_push_loses_nothing(devices, proxy, server, tmp_path):
    [a, b] = devices(2)
    recs = a.store.save_many(checkins(30, "cut"))
    a.engine.push_batch = 10
    a.engine.ensure_enrolled()
    proxy.fault(PUSH, "cut_request")
    with pytest.raises(TransientError):
        a.engine.sync_once()
    assert a.store.pending_count() == 30  # nothing acknowledged, nothing dropped
    proxy.fault(PUSH, "cut_request")
    with pytest.raises(TransientError):
        a.engine.sync_once()
    a.engine.sync_once()
    assert a.store.pending_count() == 0
    assert_invariants([a, b], proxy.url, tmp_path, created=ids(recs), storage=proxy.storage)


@pytest.mark.parametrize("fault", ["drop_response", "cut_response"])
def test_answer_lost_after_the_server_committed_is_applied_once(devices, proxy, tmp_path,
                                                                fault):
    [a, b] = devices(2)
    recs = a.store.save_many(checkins(25, fault))
    inc = a.store.save(incident())
    a.engine.ensure_enrolled()
    proxy.fault(PUSH, fault)
    with pytest.raises(TransientError):
        a.engine.sync_once()
    assert a.store.pending_count() == 26  # the phone cannot know the server has them
    answers = []
    orig = a.client.push
    a.client.push = lambda entries, **kw: answers.append(orig(entries, **kw)) or answers[-1]
    a.engine.sync_once()
    statuses = [r.status for ans in answers for r in ans.results]
    assert statuses == ["duplicate"] * 26  # the resend is acknowledged, not applied again
    assert_invariants([a, b], proxy.url, tmp_path, created=ids(recs) | ids([inc]),
                      storage=proxy.storage)


def test_lost_pull_answer_does_not_move_the_cursor(devices, proxy, tmp_path):
    [a, b] = devices(2)
    recs = a.store.save_many(checkins(40, "pl"))
    a.sync_until_done()
    b.engine.ensure_enrolled()
    b.engine.pull_limit = 7
    proxy.fault(PULL, "drop_response")
    cursor0 = b.store.get_setting("sync.cursor", 0)
    with pytest.raises(TransientError):
        b.engine.sync_once()
    assert b.store.get_setting("sync.cursor", 0) == cursor0
    proxy.fault(PULL, "cut_response", times=2)
    for _ in range(2):
        with pytest.raises(TransientError):
            b.engine.sync_once()
    b.sync_until_done()
    assert ids(recs) <= set(b.records())
    assert_invariants([a, b], proxy.url, tmp_path, created=ids(recs), storage=proxy.storage)


# ---- duplicated and reordered requests -------------------------------------------------------


def test_duplicated_and_reordered_requests_apply_once(devices, proxy, tmp_path):
    [a, b, c] = devices(3)
    for d in (a, b, c):
        d.engine.push_batch = 5
    created = set()
    created |= ids(a.store.save_many(checkins(12, "dupA")))
    proxy.fault(PUSH, "duplicate", times=3)  # each request reaches the server twice
    a.sync_until_done()
    # a push that never arrived whole (cut) is replayed later, after newer pushes:
    # a late, out-of-order packet
    created |= ids(b.store.save_many(checkins(9, "dupB")))
    b.engine.ensure_enrolled()
    proxy.fault(PUSH, "cut_request")
    assert not b.sync()
    stale = [raw for line, raw in proxy.captured if line.startswith(PUSH)][-1]
    b.sync_until_done()
    created |= ids(b.store.save_many(checkins(4, "dupB2")))
    b.sync_until_done()
    answer = proxy.replay(stale)
    assert b" 200 " in answer.split(b"\r\n", 1)[0]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert {r["status"] for r in body["results"]} == {"duplicate"}
    # every captured request so far, replayed again in reverse order
    for line, raw in reversed(list(proxy.captured)):
        if line.startswith(PUSH) or line.startswith(PULL):
            proxy.replay(raw)
    created |= ids(c.store.save_many(checkins(3, "dupC")))
    assert_invariants([a, b, c], proxy.url, tmp_path, created=created,
                      storage=proxy.storage)


def test_out_of_order_push_is_refused_and_the_engine_resends_from_the_gap(devices, proxy,
                                                                          tmp_path):
    [a] = devices(1)
    recs = a.store.save_many(checkins(10, "gap"))
    a.engine.ensure_enrolled()
    # a push of seq 6..10 arrives before seq 1..5 (e.g. from a retry on another path)
    entries = a.store.outbox_entries()
    wire = [{"seq": e["seq"], "type": e["record_type"], "id": e["record_id"], "op": e["op"],
             "data": e["payload"], "device_time": e["device_time"]} for e in entries]
    with pytest.raises(RejectedError) as ei:
        a.client.push(wire[5:])
    assert ei.value.code == "sequence_gap" and ei.value.details["expected"] == 1
    a.sync_until_done()
    assert a.store.pending_count() == 0
    assert_invariants([a], proxy.url, tmp_path, created=ids(recs), storage=proxy.storage)


# ---- the server dies mid-batch ---------------------------------------------------------------


def test_server_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(
        fresh_server, tmp_path):
    srv = fresh_server
    proxy = FaultProxy(srv.port, on_kill=srv.kill)
    devs = make_devices(2, tmp_path, proxy.url, invite=srv.invite)
    try:
        a, b = devs
        a.engine.push_batch = 200
        created = set()
        stroll = Stroll(neighborhood_id="n-ctown", team=[{"name": "Mei", "lead": True}],
                        started_at=now_iso())
        created |= ids(a.store.save_many([stroll] + checkins(600, "kill")))
        created |= ids(a.store.save_many([track(stroll.id, i, n=300) for i in range(20)]))
        created |= ids(b.store.save_many(checkins(50, "killB")))
        a.engine.ensure_enrolled()
        rng = random.Random(5)
        for round_ in range(3):
            proxy.fault(PUSH, f"kill:{rng.choice([0.0, 0.005, 0.02, 0.05])}")
            with pytest.raises(TransientError):
                a.engine.sync_once()
            assert srv.proc.poll() is not None  # it died with the batch in flight
            srv.restart()
            b.sync()  # another phone syncs between the crashes
        a.sync_until_done()
        assert_invariants(devs, proxy.url, tmp_path, created=created, storage=srv.storage)
    finally:
        for d in devs:
            d.close()
        proxy.close()


# ---- a long week offline ---------------------------------------------------------------------


def test_a_device_offline_for_seven_days_catches_up(devices, proxy, tmp_path, monkeypatch):
    [field, office, other] = devices(3)
    created = set()
    t0 = datetime.now().astimezone() - timedelta(days=7)
    strolls = []
    for day in range(7):
        when = (t0 + timedelta(days=day)).isoformat(timespec="seconds")
        monkeypatch.setattr("stroll.store.now_iso", lambda when=when: when)
        s = Stroll(neighborhood_id="n-ctown", team=[{"name": "Tuan", "lead": True}],
                   started_at=when)
        strolls.append(s)
        recs = [s] + checkins(250, f"d{day}-") + [incident(occurred_at=when)
                                                  for _ in range(40)]
        recs += [track(s.id, i) for i in range(8)]
        created |= ids(field.store.save_many(recs))
        # meanwhile the others keep syncing
        created |= ids(other.store.save_many(checkins(30, f"o{day}-")))
        other.sync_until_done()
    monkeypatch.undo()
    # edits made offline travel as patches
    for s in strolls[:3]:
        field.store.update("stroll", s.id, status="ended", ended_at=now_iso())
    assert field.store.pending_count() > 2000
    field.engine.push_batch = 500
    seen = []
    field.engine.subscribe(seen.append)
    t = time.monotonic()
    field.sync_until_done()
    elapsed = time.monotonic() - t
    assert field.store.pending_count() == 0
    progress = [s.progress for s in seen if s.progress]
    assert progress[-1][0] == progress[-1][1] > 2000
    assert elapsed < 30
    server = assert_invariants([field, office, other], proxy.url, tmp_path, created=created,
                               storage=proxy.storage)
    assert server[("stroll", strolls[0].id)]["status"] == "ended"


# ---- clocks are data -------------------------------------------------------------------------


def test_skewed_device_clocks_order_by_server_cursor(devices, proxy, tmp_path, monkeypatch):
    [ahead, behind] = devices(2)
    now = datetime.now().astimezone()
    inc = incident()
    monkeypatch.setattr("stroll.store.now_iso",
                        lambda: (now + timedelta(days=1)).isoformat(timespec="seconds"))
    ahead.store.save(inc)
    ahead.sync_until_done()
    behind.sync_until_done()
    monkeypatch.setattr("stroll.store.now_iso",
                        lambda: (now + timedelta(days=1, minutes=5)).isoformat(
                            timespec="seconds"))
    ahead.store.update("incident", inc.id, cross_streets="Stockton & Clay (ahead)")
    ahead.sync_until_done()
    # the phone a day behind edits the same field later in real time
    monkeypatch.setattr("stroll.store.now_iso",
                        lambda: (now - timedelta(days=1)).isoformat(timespec="seconds"))
    [entry_time] = {e["device_time"] for e in
                    [behind.store.update("incident", inc.id,
                                         cross_streets="Stockton & Clay (behind)")
                     and behind.store.outbox_entries()[-1]]}
    assert entry_time.startswith((now - timedelta(days=1)).date().isoformat())
    behind.sync_until_done()
    monkeypatch.undo()
    server = assert_invariants([ahead, behind], proxy.url, tmp_path, created=ids([inc]),
                               storage=proxy.storage)
    # the last write the server received wins, whatever the device clocks said
    assert server[("incident", inc.id)]["cross_streets"] == "Stockton & Clay (behind)"
    # the device's clock is kept as data beside the server's own receive time
    row = proxy.storage.get_record("incident", inc.id)
    assert row["device_time"] == entry_time
    received = datetime.fromisoformat(row["received_at"])
    assert abs((received - datetime.now().astimezone()).total_seconds()) < 600
    for d in (ahead, behind):
        assert d.store.get("incident", inc.id)["cross_streets"] == "Stockton & Clay (behind)"


# ---- refused entries -------------------------------------------------------------------------


def test_rejected_record_keeps_the_queue_moving_and_stays_visible(devices, proxy, tmp_path):
    [a, b] = devices(2)
    before = a.store.save_many(checkins(5, "rj"))
    a.sync_until_done()
    # a check-in is append-only: an edit of it is refused by the server
    a.store.update("check_in", before[0].id, note="edited later")
    after = a.store.save_many(checkins(5, "rj2"))
    fu = a.store.save(FollowUp(incident_id="inc-1", status="new", updated_at=now_iso()))
    statuses = []
    a.engine.subscribe(statuses.append)
    a.sync_until_done()
    st = a.engine.status()
    assert (st.pending, st.rejected) == (0, 1)
    [bad] = a.store.outbox_entries(state="rejected")
    assert bad["record_id"] == before[0].id and bad["op"] == "patch"
    assert bad["error"] and "Traceback" not in bad["error"]
    assert st.state == "idle" and st.error_code is None  # the UI says "1 refused"
    # the queue moved on: later entries reached the server and the other phone
    b.sync_until_done()
    assert ids(after) | ids([fu]) <= set(b.records())
    assert_invariants([a, b], proxy.url, tmp_path, created=ids(before + after) | ids([fu]),
                      storage=proxy.storage)


def test_a_record_type_the_server_does_not_know_is_kept_and_said_not_dropped(devices, proxy,
                                                                           tmp_path):
    # an app newer than the server writes a type the server has never heard of: the
    # server refuses that push whole (422 unknown_record_type, nothing applied); the
    # phone keeps every entry, still receives what others sent, and says what is wrong
    [a, b] = devices(2)
    from_b = b.store.save_many(checkins(3, "uk-b"))
    b.sync_until_done()
    mine = a.store.save_many(checkins(2, "uk-a"))
    with a.store.transaction() as tx:  # an outbox entry without a record
        tx._outbox("lantern_festival", "0190a5c2-0000-7000-8000-000000000001",
                    "upsert", {"id": "0190a5c2-0000-7000-8000-000000000001"})
    with pytest.raises(RejectedError) as info:
        a.engine.sync_once()
    assert "lantern_festival" in str(info.value)
    st = a.engine.status()
    assert st.error_code == "rejected" and st.pending == 3
    assert ids(from_b) <= set(a.records())                      # the pull still happened
    assert all(proxy.storage.get_record(t, i) is None for t, i in ids(mine))  # none applied
    assert [e["record_type"] for e in a.store.outbox_entries()] == \
        ["check_in", "check_in", "lantern_festival"]


# ---- auth and version ------------------------------------------------------------------------


def test_auth_failure_stops_retries_and_asks_to_sign_in_again(devices, proxy, tmp_path):
    [a] = devices(1)
    recs = a.store.save_many(checkins(3, "auth"))
    a.sync_until_done()
    a.store.save_many(checkins(2, "auth2"))
    a.store.set_setting("sync.token", "not-a-valid-token")
    a.client.token = "not-a-valid-token"
    a.engine.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and a.engine.status().state != "auth_required":
        time.sleep(0.02)
    st = a.engine.status()
    assert st.state == "auth_required" and st.error_code == "auth_required"
    n = proxy.count(PUSH)
    time.sleep(1.0)
    assert proxy.count(PUSH) == n  # no retry storm against a refused key
    assert a.store.pending_count() == 2
    a.engine.sign_in(proxy.invite("coordinator"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and a.store.pending_count():
        time.sleep(0.02)
    a.engine.stop()
    assert_invariants([a], proxy.url, tmp_path, created=ids(recs), storage=proxy.storage)


def test_unsupported_protocol_version_shows_the_servers_message(devices, proxy, server):
    [a] = devices(1)
    a.store.save(checkins(1, "ver")[0])
    a.engine.ensure_enrolled()
    real = a.client.headers
    a.client.headers = lambda: {**real(), "X-Stroll-Protocol": "99"}
    seen = []
    a.engine.subscribe(seen.append)
    a.engine.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and a.engine.status().state != "error":
        time.sleep(0.02)
    a.engine.stop()
    st = a.engine.status()
    assert st.state == "error"
    assert "99" in st.last_error and "Update the app" in st.last_error
    assert a.store.pending_count() == 1
    assert "Traceback" not in st.last_error


# ---- connectivity comes back -----------------------------------------------------------------


def test_engine_syncs_on_its_own_within_seconds_when_connectivity_returns(devices, proxy,
                                                                          tmp_path):
    from sync.engine import Backoff
    [a, b] = devices(2, idle_interval=60, probe_interval=0.5)
    a.engine.backoff = Backoff(base=20, cap=60)  # a long backoff: the probe must win
    proxy.set_mode("offline")
    a.engine.start()
    recs = a.store.save_many(checkins(12, "back"))
    a.engine.sync_now()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and a.engine.status().state != "offline":
        time.sleep(0.02)
    time.sleep(1.0)
    st = a.engine.status()
    assert st.state == "offline"
    assert (st.error_code, st.pending, st.last_error) == ("server_unreachable", 12, None)
    back = time.monotonic()
    proxy.set_mode("pass")
    while time.monotonic() - back < 10 and a.store.pending_count():
        time.sleep(0.02)
    took = time.monotonic() - back
    assert a.store.pending_count() == 0 and took < 3, f"took {took:.1f}s"
    a.engine.stop()
    assert_invariants([a, b], proxy.url, tmp_path, created=ids(recs), storage=proxy.storage)
