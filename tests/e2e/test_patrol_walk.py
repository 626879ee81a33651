"""A whole stroll on a phone with no network, in headless Chromium with fake GPS.

Two SF Chinatown ambassadors start a stroll on the Stockton St loop, walk its first
260 m (the browser's geolocation moves along the route's real street geometry), check
in with two merchants, log a quick incident and complete it, and end the stroll. Then
the SQLite file must hold every record, a track as long as the route walked (within a
few percent) and an outbox entry for each write, waiting for sync.
"""
from __future__ import annotations

import pytest

from e2e_helpers import (AppServer, by_id, choose, free_port, open_app, screenshot, tap, text_of,
                         type_into, wait_for_text, wait_shown)
from stroll.demo import demo_id
from stroll.domain.geo import distance_m, track_length_m
from stroll.i18n import Translator
from stroll.patrol import PatrolService

pytestmark = pytest.mark.e2e

EN = Translator("en")
ROUTE_ID = demo_id("route", "sf-chinatown-stockton-loop")
HOOD_ID = demo_id("neighborhood", "sf-chinatown")
TEAM = (demo_id("member", "sf-mei-ling-chan"), demo_id("member", "sf-rosa-delgado"))
# The browser stamps each position with the real time, and the app drops jumps faster
# than a walking patrol moves (8 m/s): the walk goes 12 m every 2 s (6 m/s, a brisk
# jog) along the first WALK_M metres of the route.
STEP_M, STEP_S, WALK_M = 12.0, 2.0, 260.0
KILL_WALK_M = 120.0  # the killed app's walk: half before the kill, half after


def _walk_points(path, step_m=STEP_M, walk_m=WALK_M):
    """Points every ~``step_m`` metres along ``path`` (its vertices included) for the
    first ``walk_m`` metres."""
    out, walked = [tuple(path[0])], 0.0
    for a, b in zip(path, path[1:]):
        seg = distance_m(a, b)
        n = max(1, round(seg / step_m))
        for i in range(1, n + 1):
            out.append((a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n))
            walked += seg / n
            if walked >= walk_m:
                return out
    return out


def _walk(ctx, page, points, on_step=None):
    for i, (lat, lon) in enumerate(points):
        ctx.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
        page.wait_for_timeout(STEP_S * 1000)
        if on_step:
            on_step(i)


def _settled(store, stroll_id: str, last_point, timeout_s: float = 30.0) -> dict:
    """The stroll's live figures once the fix at ``last_point`` (the last position the
    browser was given) is stored: the positions before it are then stored too, or were
    dropped by the app for good. A busy machine delays a position by seconds."""
    import time
    deadline = time.monotonic() + timeout_s
    svc = PatrolService(store)
    while time.monotonic() < deadline:
        track = svc.track(stroll_id)
        if track and distance_m((track[-1].lat, track[-1].lon), last_point) < 2.0:
            return svc.live(stroll_id)
        time.sleep(0.2)
    raise AssertionError(f"the position {last_point} did not reach the store in {timeout_s} s")


@pytest.fixture(scope="module")
def gps_phone(browser, app_server, store_view):
    path = store_view.get("route", ROUTE_ID)["path"]
    ctx, page = open_app(browser, app_server.url, permissions=["geolocation"],
                         geolocation={"latitude": path[0][0], "longitude": path[0][1],
                                      "accuracy": 5})
    yield ctx, page
    ctx.close()


def test_a_stroll_walked_with_gps_is_kept_whole_in_the_phone_store(gps_phone, store_view):
    ctx, page = gps_phone
    route = store_view.get("route", ROUTE_ID)
    seq_before = max((e["seq"] for e in store_view.outbox_entries(100_000)), default=0)

    # ---- start: neighborhood, route, two members
    tap(page, "start-stroll")
    wait_shown(page, "new-stroll")
    tap(page, f"new-stroll-hood-{HOOD_ID}")
    choose(page, f"new-stroll-route-{ROUTE_ID}")
    for member in TEAM:
        choose(page, f"new-stroll-member-{member}")
    screenshot(page, "walk_1_start_form")
    tap(page, "begin-stroll")
    wait_shown(page, "live")
    strolls = [s for s in store_view.list("stroll") if s["status"] == "active"]
    assert len(strolls) == 1
    stroll = strolls[0]
    assert [m["member_id"] for m in stroll["team"]] == list(TEAM)
    assert stroll["route_id"] == ROUTE_ID and stroll["neighborhood_id"] == HOOD_ID
    sid = stroll["id"]

    # ---- walk the route (from the first fix on: the stream starts after Begin)
    points = _walk_points(route["path"])
    _settled(store_view, sid, points[0])
    _walk(ctx, page, points[1:], lambda i: i == len(points) // 2 and
          screenshot(page, "walk_2_live_halfway"))
    stored = _settled(store_view, sid, points[-1])
    assert stored["points"] >= len(points) * 0.9, f"{stored['points']} of {len(points)} stored"
    wait_for_text(page, "live-distance", EN.km(stored["distance_m"]))
    screenshot(page, "walk_3_live_walked")

    # back to the tabs and again: the running stroll is one tap away
    page.get_by_role("button", name="Back").click()
    wait_for_text(page, "start-stroll", EN.t("patrol.back_to_stroll"))
    tap(page, "start-stroll")
    wait_shown(page, "live")

    # ---- check in with the two nearest merchants
    checked = []
    for status in ("all_good", "concern"):
        tap(page, "live-check-in")
        wait_shown(page, "check-in")
        nearby = PatrolService(store_view).merchants_nearby(points[-1], HOOD_ID)
        merchant = next(m for m in nearby if m["id"] not in checked)
        tap(page, f"merchant-{merchant['id']}")
        wait_shown(page, "merchant")
        if status == "concern":
            type_into(page, "check-in-note", "Owner says a man shouts at elders at closing time")
            screenshot(page, "walk_4_merchant")
        tap(page, f"check-in-{status}")
        wait_shown(page, "live")
        checked.append(merchant["id"])
    check_ins = store_view.list("check_in", stroll_id=sid)
    assert sorted(c["merchant_id"] for c in check_ins) == sorted(checked)
    assert {c["status"] for c in check_ins} == {"all_good", "concern"}

    # ---- a quick incident, then the full form
    tap(page, "live-incident")
    wait_shown(page, "quick-incident")
    choose(page, "quick-harm-verbal_harassment")
    choose(page, "quick-action-checked_on_person")
    screenshot(page, "walk_5_quick_incident")
    tap(page, "quick-save")
    wait_shown(page, "live")
    incidents = store_view.list("incident", stroll_id=sid)
    assert len(incidents) == 1
    inc = incidents[0]
    assert inc["harm_types"] == ["verbal_harassment"]
    assert inc["actions_taken"] == ["checked_on_person"]
    assert inc["lat"] is not None and inc["location_precision"] == "block"
    assert distance_m((inc["lat"], inc["lon"]), points[-1]) < 150  # block precision

    tap(page, f"live-incident-{inc['id']}")
    wait_shown(page, "incident-form")
    choose(page, "incident-site_type-street")
    choose(page, "incident-affected_age_band-75_plus")
    screenshot(page, "walk_6_incident_form")
    tap(page, "incident-save")
    wait_shown(page, "live")
    inc2 = store_view.get("incident", inc["id"])
    assert inc2["site_type"] == "street" and inc2["affected_age_band"] == "75_plus"
    patches = [e for e in store_view.outbox_entries(100_000)
               if e["record_id"] == inc["id"] and e["op"] == "patch"]
    # the patch carries what the form changed (and that the record is no longer a quick one)
    assert patches and set(patches[-1]["payload"]) == {"site_type", "affected_age_band", "quick"}
    assert patches[-1]["payload"]["quick"] is False

    # ---- end the stroll
    tap(page, "live-end")
    wait_shown(page, "live-end-confirm")
    tap(page, "live-end-yes")
    wait_shown(page, "summary")
    screenshot(page, "walk_7_summary")
    summary_text = text_of(by_id(page, "summary"))
    ended = store_view.get("stroll", sid)
    assert ended["status"] == "ended" and ended["ended_at"]
    assert EN.km(ended["distance_m"]) in summary_text

    # track length within a few percent of the geodesic length of the route walked
    track = PatrolService(store_view).track(sid)
    walked = track_length_m([(f.lat, f.lon) for f in track])
    planned = track_length_m(points)
    assert abs(walked - planned) / planned < 0.03, (walked, planned)
    assert abs(ended["distance_m"] - planned) / planned < 0.03

    # everything waits in the outbox: stroll, track chunks, check-ins, incident
    entries = [e for e in store_view.outbox_entries(100_000) if e["seq"] > seq_before]
    kinds = {(e["record_type"], e["op"]) for e in entries}
    assert {("stroll", "upsert"), ("check_in", "upsert"), ("incident", "upsert"),
            ("incident", "patch"), ("stroll", "patch")} <= kinds
    chunks = [e["payload"] for e in entries if e["record_type"] == "track_chunk"]
    assert sum(c["point_count"] for c in chunks) == len(track)
    assert {c["stroll_id"] for c in chunks} == {sid}
    tap(page, "summary-done")
    wait_shown(page, "patrol-tab")


def test_a_stroll_survives_the_app_being_killed_mid_walk(browser, tmp_path):
    """SIGKILL the app process mid-stroll, start it again on the same file: the stroll
    is still running, its track intact, and the walk goes on from there."""
    from stroll.store import Store

    server = AppServer(tmp_path / "device.db", free_port(), tmp_path / "app.log").start()
    store = Store(server.db_path)
    try:
        path = store.get("route", ROUTE_ID)["path"]
        points = _walk_points(path, walk_m=KILL_WALK_M)
        ctx, page = open_app(browser, server.url, permissions=["geolocation"],
                             geolocation={"latitude": path[0][0], "longitude": path[0][1],
                                          "accuracy": 5})
        tap(page, "start-stroll")
        tap(page, f"new-stroll-hood-{HOOD_ID}")
        for member in TEAM:
            choose(page, f"new-stroll-member-{member}")
        tap(page, "begin-stroll")
        wait_shown(page, "live")
        sid = PatrolService(store).active_stroll().id
        _settled(store, sid, points[0])
        half = len(points) // 2
        _walk(ctx, page, points[1:half])
        before = _settled(store, sid, points[half - 1])
        assert before["points"] >= half * 0.9

        server.kill()
        at_kill = PatrolService(store).live(sid)  # what the file held when the app died
        assert at_kill["points"] >= before["points"]
        ctx.close()
        server.start(seed=False)

        # the running stroll opens by itself; the phone is still where the app died (a
        # fix there is no move: the figures below cannot change under the test's feet)
        ctx, page = open_app(browser, server.url, ready="live", permissions=["geolocation"],
                             geolocation={"latitude": points[half - 1][0],
                                          "longitude": points[half - 1][1], "accuracy": 5})
        after = PatrolService(store).live(sid)
        assert after["status"] == "active"
        assert after["points"] == at_kill["points"]
        assert after["distance_m"] == pytest.approx(at_kill["distance_m"], abs=0.01)
        wait_for_text(page, "live-distance", EN.km(after["distance_m"]))
        wait_for_text(page, "live-gps", EN.t("live.gps_ok", distance=EN.metres(5)))  # the GPS stream is back
        screenshot(page, "walk_8_after_restart")
        wait_for_text(page, "live-gps", EN.t("live.gps_ok", distance=EN.metres(5)))  # the stream runs again
        _walk(ctx, page, points[half:])
        walked = _settled(store, sid, points[-1])["distance_m"]
        planned = track_length_m(points)
        assert abs(walked - planned) / planned < 0.03, (walked, planned)
        ctx.close()
    finally:
        store.close()
        server.stop()
