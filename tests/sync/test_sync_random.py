"""Randomized schedules (hypothesis) of writes, edits, deletes, syncs and faults over
three phones, each a real Store file, all talking to one real server process through
the fault proxy. After every schedule: zero lost, zero duplicated, every store the
same, outboxes empty except rejected entries."""
from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stroll.domain import CheckIn, Incident, TrackChunk, now_iso
from stroll.domain.geo import Fix, encode_track
from faultproxy import FaultProxy
from syncharness import assert_invariants, make_devices

N_DEVICES = 3
PUSH, PULL = "POST /v1/sync/push", "GET /v1/sync/pull"
FAULTS = [None, None, "cut_request", "drop_response", "cut_response", "duplicate",
          "delay:0.02"]

device = st.integers(0, N_DEVICES - 1)
pick = st.integers(0, 10**6)
op = st.one_of(
    st.tuples(st.just("write"), device, st.integers(1, 12)),
    st.tuples(st.just("track"), device, st.integers(1, 3)),
    st.tuples(st.just("edit"), device, pick),
    st.tuples(st.just("edit_append"), device, pick),   # refused by the server
    st.tuples(st.just("delete"), device, pick),
    st.tuples(st.just("sync"), device, st.sampled_from(FAULTS), st.sampled_from([PUSH, PULL])),
    st.tuples(st.just("offline_sync"), device),
    st.tuples(st.just("replay"), pick),
)


def _track(stroll_id: str, seq: int, rng: random.Random) -> TrackChunk:
    lat, lon, fixes = 37.80 + rng.random() / 100, -122.27 + rng.random() / 100, []
    for i in range(50):
        lat += rng.uniform(-3e-5, 3e-5)
        lon += rng.uniform(-3e-5, 3e-5)
        fixes.append(Fix(lat, lon, 1.8e9 + i * 4, 8))
    return TrackChunk(stroll_id=stroll_id, seq=seq, points=encode_track(fixes), point_count=50,
                      started_at=now_iso())


@settings(max_examples=18, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(schedule=st.lists(op, min_size=4, max_size=35))
def test_random_schedules_of_writes_syncs_and_faults_keep_the_invariants(server, schedule):
    tmp = Path(tempfile.mkdtemp(prefix="stroll-sync-random-"))
    proxy = FaultProxy(server.port)
    devs = make_devices(N_DEVICES, tmp, proxy.url, invite=server.invite)
    rng = random.Random(len(schedule))
    created: set[tuple[str, str]] = set()
    deleted: set[tuple[str, str]] = set()
    mine: list[list[str]] = [[] for _ in devs]     # incidents each phone created
    try:
        for step in schedule:
            kind = step[0]
            if kind == "write":
                d, n = devs[step[1]], step[2]
                recs = []
                for i in range(n):
                    if i % 3 == 0:
                        recs.append(Incident(occurred_at=now_iso(), harm_types=["shunning"],
                                             narrative=f"step {i}", cross_streets="8th & Webster"))
                    else:
                        recs.append(CheckIn(merchant_id=f"m-{i}", at=now_iso(), note=f"n{i}"))
                d.store.save_many(recs)
                created |= {(r.TYPE, r.id) for r in recs}
                mine[step[1]] += [r.id for r in recs if r.TYPE == "incident"]
            elif kind == "track":
                d = devs[step[1]]
                sid = f"stroll-{rng.random()}"
                recs = d.store.save_many([_track(sid, i, rng) for i in range(step[2])])
                created |= {(r.TYPE, r.id) for r in recs}
            elif kind == "edit":
                d = devs[step[1]]
                have = [r["id"] for r in d.store.list("incident")]
                if have:
                    rid = have[step[2] % len(have)]
                    d.store.update("incident", rid, cross_streets=f"edit {step[2]} by {d.name}",
                                   police_involved=rng.choice(["no", "called", "unknown"]))
            elif kind == "edit_append":
                d = devs[step[1]]
                have = [r["id"] for r in d.store.list("check_in")]
                if have:
                    d.store.update("check_in", have[step[2] % len(have)], note=f"e{step[2]}")
            elif kind == "delete":
                own = [i for i in mine[step[1]] if ("incident", i) not in deleted
                       and devs[step[1]].store.get("incident", i) is not None]
                if own:
                    rid = own[step[2] % len(own)]
                    devs[step[1]].store.delete("incident", rid)
                    deleted.add(("incident", rid))
            elif kind == "sync":
                d, fault, target = devs[step[1]], step[2], step[3]
                if fault:
                    proxy.fault(target, fault)
                d.sync()
                proxy.clear()
            elif kind == "offline_sync":
                proxy.set_mode("offline")
                assert not devs[step[1]].sync()
                proxy.set_mode("pass")
            elif kind == "replay":
                captured = list(proxy.captured)
                if captured:
                    proxy.replay(captured[step[1] % len(captured)][1])
        proxy.clear()
        assert_invariants(devs, proxy.url, tmp, created=created, deleted=deleted,
                          storage=server.storage)
    finally:
        for d in devs:
            d.close()
        proxy.close()
        shutil.rmtree(tmp, ignore_errors=True)
