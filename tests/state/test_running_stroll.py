"""The running stroll (``RunningStroll`` and its ``StrollCore``): GPS, the track, pause and
tallies, the end and the summary, a restart. Against a real Store on a temporary SQLite
file seeded with the demo data; no Flet page, no browser (fixtures: conftest.py, shared
steps: patrol_helpers.py)."""
from __future__ import annotations

import pytest

from stroll.demo import seed
from stroll.domain.geo import walk_fixes
from stroll.patrol import PatrolService
from stroll.state import (FIX_FRESH_S, GPS_DENIED, GPS_LOST, GPS_OFF, GPS_OK, GPS_SILENT_S,
                          GPS_UNAVAILABLE, GPS_WAITING)
from stroll.store import Store

from patrol_helpers import (EN, MEI, ROSA, SF, START, STOCKTON, STOCKTON_LOOP, WAI, Locked,
                            begin_in_app, geodesic_length, new_app, new_patrol, quick_incident,
                            walk)


# ---- GPS ----------------------------------------------------------------------------------

def test_walking_stockton_street_grows_the_distance_by_its_geodesic_length(running, clock,
                                                                           svc):
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, seed=3, start_t=clock.wall())
    walk(running, clock, fixes[:len(fixes) // 2])
    half = running.core.live.distance_m
    assert 0 < half < geodesic_length(STOCKTON)
    walk(running, clock, fixes[len(fixes) // 2:])
    assert running.core.live.distance_m == pytest.approx(geodesic_length(STOCKTON), rel=0.03)
    assert running.core.live.gps == GPS_OK
    assert running.core.live.points == len(svc.track(running.core.stroll_id))
    running.walk.tick()
    assert running.core.track.path and running.core.track.position == STOCKTON[-1]


def test_gps_jitter_is_not_counted_as_walking(running, clock):
    here = STOCKTON[0]
    t = clock.wall()
    running.walk.on_position(*here, t, 5.0)
    points = running.core.live.points
    # standing still: sub-metre wobble; and fixes with poor accuracy far away
    for i in range(1, 30):
        clock.advance(1)
        running.walk.on_position(here[0] + (i % 3 - 1) * 3e-6, here[1], t + i, 5.0)
    for i in range(30, 40):
        clock.advance(1)
        running.walk.on_position(here[0] + 0.0005, here[1], t + i, 80.0)
    assert running.core.live.distance_m == 0.0
    assert running.core.live.points == points


def test_positions_before_begin_are_not_stored(ps, clock, demo_store, svc):
    ps.start.open_start(SF)
    ps.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)
    assert ps.core.live.gps == GPS_OK and ps.core.track.position == STOCKTON[0]
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    ps.start.begin()
    assert svc.track(ps.core.stroll_id) == []
    assert ps.core.live.points == 0


def test_a_fix_the_store_refuses_stays_queued_and_goes_with_the_next_one(running, clock, svc,
                                                                        demo_store):
    fixes = walk_fixes(STOCKTON[:3], step_m=5.0, noise_m=0.5, seed=4, start_t=clock.wall())
    walk(running, clock, fixes[:5])
    stored = len(svc.track(running.core.stroll_id))
    with Locked(demo_store):
        walk(running, clock, fixes[5:10])
        assert running.core.error is not None and running.core.error[0] == "error.storage"
        assert len(svc.track(running.core.stroll_id)) == stored     # nothing written...
    walk(running, clock, fixes[10:11])                          # ...until the next fix
    assert len(svc.track(running.core.stroll_id)) == stored + 6
    assert running.core.error is None
    assert running.core.live.points == stored + 6


def test_queued_fixes_are_written_by_the_tick_when_no_fix_comes(running, clock, svc,
                                                                demo_store):
    fixes = walk_fixes(STOCKTON[:2], step_m=5.0, noise_m=0.5, seed=5, start_t=clock.wall())
    with Locked(demo_store):
        walk(running, clock, fixes[:4])
    assert svc.track(running.core.stroll_id) == []
    running.walk.tick()
    assert len(svc.track(running.core.stroll_id)) == 4


def test_fixes_waiting_for_the_store_survive_reopening_the_same_stroll(running, clock, svc,
                                                                       demo_store):
    fixes = walk_fixes(STOCKTON[:2], step_m=5.0, noise_m=0.5, seed=7, start_t=clock.wall())
    with Locked(demo_store):
        walk(running, clock, fixes[:4])
    assert running.walk.restore() is True                         # the live screen reopens
    assert running.start.begin() is True                           # or start is tapped again
    walk(running, clock, fixes[4:5])
    assert len(svc.track(running.core.stroll_id)) == 5


def test_gps_status_goes_waiting_ok_lost(running, clock):
    assert running.core.live.gps == GPS_WAITING
    running.walk.on_position(*STOCKTON[0], clock.wall(), 6.0)
    assert running.core.live.gps == GPS_OK and running.core.live.accuracy_m == 6.0
    clock.advance(GPS_SILENT_S - 1)
    running.walk.tick()
    assert running.core.live.gps == GPS_OK
    clock.advance(2)
    running.walk.tick()
    assert running.core.live.gps == GPS_LOST
    running.walk.on_position(*STOCKTON[1], clock.wall(), 6.0)
    assert running.core.live.gps == GPS_OK


def test_standing_still_with_a_silent_stream_keeps_gps_ok_and_says_how_old_the_fix_is(
        running, clock):
    # a position stream sends nothing while the phone does not move (browser
    # watchPosition, a distance filter): silence is not a lost signal
    running.walk.on_position(*STOCKTON[0], clock.wall(), 6.0)
    clock.advance(FIX_FRESH_S - 1)
    running.walk.tick()
    assert (running.core.live.gps, running.core.live.quiet_s) == (GPS_OK, None)
    clock.advance(26)
    running.walk.tick()
    assert (running.core.live.gps, running.core.live.quiet_s) == (GPS_OK, int(FIX_FRESH_S + 25))
    assert running.core.position() == STOCKTON[0]            # still used for records
    running.walk.on_position(*STOCKTON[0], clock.wall(), 6.0)  # the stream speaks again
    assert running.core.live.quiet_s is None


def test_a_stream_error_after_a_quiet_spell_means_the_signal_is_lost(running, clock):
    running.walk.on_position(*STOCKTON[0], clock.wall(), 6.0)
    clock.advance(FIX_FRESH_S + 5)
    running.walk.tick()
    assert running.core.live.gps == GPS_OK
    running.walk.on_gps_error("Position update is unavailable")
    assert running.core.live.gps == GPS_LOST and running.core.live.quiet_s is None


def test_a_permission_error_means_location_is_denied(running):
    running.walk.on_gps_error("User denied Geolocation: permission denied")
    assert running.core.live.gps == GPS_DENIED
    assert "permission denied" in running.core.live.gps_detail


def test_a_gps_failure_without_any_fix_means_location_is_unavailable(running):
    running.walk.on_gps_error("Position unavailable")
    assert running.core.live.gps == GPS_UNAVAILABLE


def test_a_gps_failure_right_after_a_good_fix_keeps_the_status_ok(running, clock):
    running.walk.on_position(*STOCKTON[0], clock.wall(), 6.0)
    clock.advance(3)
    running.walk.on_gps_error("timeout")
    assert running.core.live.gps == GPS_OK


def test_without_gps_the_team_sets_its_position_by_hand(running):
    assert running.core.position() is None
    assert running.walk.set_position(*STOCKTON[2]) is True
    assert running.core.position() == STOCKTON[2] and running.core.position_source() == "manual"
    assert running.core.track.position == STOCKTON[2] and running.core.track.manual
    assert running.core.notice == ("live.position_set", {})


def test_a_position_set_by_hand_is_ignored_while_gps_has_a_fresh_fix(running, clock):
    running.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)
    assert running.walk.set_position(*STOCKTON[3]) is False
    assert running.core.position() == STOCKTON[0] and running.core.position_source() == "gps"
    assert running.core.track.manual is False


def test_a_position_set_by_hand_after_gps_was_lost_is_the_position(running, clock):
    running.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)
    clock.advance(GPS_SILENT_S + 10)
    running.walk.tick()
    assert running.core.live.gps == GPS_LOST
    assert running.walk.set_position(*STOCKTON[4]) is True
    assert running.core.position() == STOCKTON[4]
    assert running.core.position_source() == "manual"
    # a new fix is where the team is again
    running.walk.on_position(*STOCKTON[5], clock.wall(), 5.0)
    assert running.core.position() == STOCKTON[5] and running.core.position_source() == "gps"


def test_a_position_off_the_globe_is_refused(running):
    assert running.walk.set_position(123.0, -122.4) is False
    assert running.core.position() is None
    assert running.core.error is not None and running.core.error[0] in EN


# ---- pause, resume, tallies ---------------------------------------------------------------

def test_the_duration_does_not_grow_while_paused(running, clock):
    clock.advance(60)
    running.walk.tick()
    assert running.core.live.duration_s == 60
    running.walk.pause()
    assert running.core.live.status == "paused"
    clock.advance(300)
    running.walk.tick()
    assert running.core.live.duration_s == 60
    running.walk.resume()
    assert running.core.live.status == "active"
    clock.advance(30)
    running.walk.tick()
    assert running.core.live.duration_s == 90


def test_fixes_while_paused_are_not_recorded(running, clock, svc):
    fixes = walk_fixes(STOCKTON[:3], step_m=5.0, noise_m=0.5, seed=6, start_t=clock.wall())
    running.walk.pause()
    walk(running, clock, fixes)
    assert svc.track(running.core.stroll_id) == [] and running.core.live.distance_m == 0.0


def test_tallies_count_up_and_down_but_never_below_zero(running, demo_store):
    assert running.core.tallies == {"greetings": 0, "escorts": 0, "cleanups": 0, "referrals": 0}
    running.walk.tally("greetings")
    running.walk.tally("greetings")
    running.walk.tally("escorts")
    running.walk.tally("greetings", -1)
    assert running.core.tallies["greetings"] == 1 and running.core.tallies["escorts"] == 1
    running.walk.tally("cleanups", -1)
    assert running.core.tallies["cleanups"] == 0 and running.core.error is None
    assert demo_store.get("stroll", running.core.stroll_id)["tallies"] == \
        {"greetings": 1, "escorts": 1}


# ---- the end --------------------------------------------------------------------------------

def test_ending_gives_the_summary_and_ends_the_stroll(running, clock, demo_store):
    sid = running.core.stroll_id
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, seed=8, start_t=clock.wall())
    walk(running, clock, fixes)
    running.visit.open_check_in()
    running.visit.pick_merchant(running.visit.merchants[0]["id"])
    running.visit.check_in("all_good")
    quick_incident(running)
    running.walk.tally("greetings", 1)
    running.walk.tally("escorts", 1)
    running.walk.ask_end()
    assert running.walk.confirm_end
    assert running.walk.end() is True
    s = running.walk.summary
    assert s["stroll_id"] == sid
    assert s["distance_m"] == pytest.approx(geodesic_length(STOCKTON), rel=0.03)
    assert s["duration_s"] == round(fixes[-1].t - fixes[0].t)
    assert s["check_ins"] == 1 and s["incidents"] == 1
    assert s["tallies"] == {"greetings": 1, "escorts": 1, "cleanups": 0, "referrals": 0}
    assert [p["member_id"] for p in s["team"]] == [MEI, ROSA]
    assert [i["stroll_id"] for i in running.walk.summary_incidents()] == [sid]
    rec = demo_store.get("stroll", sid)
    assert rec["status"] == "ended" and rec["ended_at"] == clock.now().isoformat(
        timespec="seconds")
    assert running.core.stroll is None and not running.walk.tracking
    assert running.core.live.status == "ended" and running.core.live.gps == GPS_OFF
    assert demo_store.local_strolls() == []


def test_ending_in_the_app_shows_the_summary_then_the_patrol_tab(app):
    begin_in_app(app)
    app.end_stroll()
    assert app.screens == ("summary",)
    assert app.patrol.walk.summary is not None
    app.select_tab("map")
    app.end_stroll()                             # nothing running: nothing happens
    assert app.screens == ()
    app.close_summary()
    assert app.screens == () and app.tab == "patrol"
    assert app.patrol.walk.summary is None and app.patrol.core.live.status is None


def test_closing_the_summary_with_back_goes_to_the_patrol_tab(app):
    begin_in_app(app)
    app.end_stroll()
    app.close_screen()
    assert app.screens == () and app.tab == "patrol"


def test_the_next_stroll_waits_for_gps_again(running, clock):
    running.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)
    running.walk.end()
    running.walk.close_summary()
    clock.advance(600)
    running.start.open_start(SF)
    running.start.toggle_member(WAI)
    running.start.toggle_member(ROSA)
    assert running.start.begin() is True
    assert running.core.live.gps == GPS_WAITING
    assert running.core.live.distance_m == 0.0 and running.core.live.points == 0
    assert running.core.tallies == {"greetings": 0, "escorts": 0, "cleanups": 0, "referrals": 0}


def test_the_next_stroll_keeps_a_fresh_fix(running, clock):
    running.walk.end()
    running.walk.close_summary()
    running.start.open_start(SF)
    running.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)
    running.start.toggle_member(WAI)
    running.start.toggle_member(ROSA)
    running.start.begin()
    assert running.core.live.gps == GPS_OK


# ---- a restart ----------------------------------------------------------------------------

def test_a_restart_finds_the_running_stroll_with_its_track(db_path, clock):
    store = Store(db_path)
    seed(store, START.date())
    svc = PatrolService(store, clock.now, chunk_points=20)
    ps = new_patrol(svc, clock)
    ps.start.open_start(SF)
    ps.start.choose_route(STOCKTON_LOOP)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    ps.start.begin()
    sid = ps.core.stroll_id
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, seed=9, start_t=clock.wall())
    walk(ps, clock, fixes)
    ps.walk.tally("greetings")
    points, distance = ps.core.live.points, ps.core.live.distance_m
    track = svc.track(sid)
    assert points > 20                                   # some sealed, some buffered
    store.close()                                        # the app is gone

    store = Store(db_path)
    try:
        svc = PatrolService(store, clock.now, chunk_points=20)
        app = new_app(store, svc, clock)
        app.start()
        assert app.screens == ("live",)
        ps = app.patrol
        assert ps.core.stroll_id == sid and ps.start.neighborhood_id == SF
        assert ps.core.live.points == points and ps.core.live.distance_m == pytest.approx(distance)
        assert ps.core.tallies["greetings"] == 1
        assert ps.core.live.gps == GPS_WAITING
        assert svc.track(sid) == track
        assert len(ps.core.track.path) >= 2 and ps.core.track.route
        # and the walk goes on
        more = walk_fixes(list(reversed(STOCKTON[-2:])), step_m=5.0, noise_m=0.5, seed=10,
                          start_t=fixes[-1].t + 5)
        walk(ps, clock, more)
        assert ps.core.live.points > points and ps.core.live.distance_m > distance
    finally:
        store.close()


def test_a_paused_stroll_is_still_paused_after_a_restart(db_path, clock):
    store = Store(db_path)
    seed(store, START.date())
    ps = new_patrol(PatrolService(store, clock.now), clock)
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    ps.start.begin()
    clock.advance(120)
    ps.walk.pause()
    store.close()
    clock.advance(3600)
    store = Store(db_path)
    try:
        app = new_app(store, PatrolService(store, clock.now), clock)
        app.load()
        app.open_live()                          # the live screen finds it by itself
        assert app.screens == ("live",)
        assert app.patrol.core.live.status == "paused" and app.patrol.core.live.duration_s == 120
        clock.advance(60)
        app.patrol.walk.tick()
        assert app.patrol.core.live.duration_s == 120
    finally:
        store.close()


def test_a_restart_with_no_stroll_running_stays_on_the_tabs(app):
    app.start()
    assert app.screens == ()
    assert app.patrol.core.stroll is None


# ---- when the store refuses to write: a clear message, nothing lost ---------------------------

def test_ending_while_the_store_refuses_keeps_the_stroll_running(app, clock, demo_store):
    begin_in_app(app)
    ps = app.patrol
    sid = ps.core.stroll_id
    fixes = walk_fixes(STOCKTON[:2], step_m=5.0, noise_m=0.5, seed=12, start_t=clock.wall())
    with Locked(demo_store):
        walk(ps, clock, fixes)
        app.end_stroll()
    assert app.screens == ("live",)
    assert ps.core.stroll_id == sid and ps.core.error[0] == "error.storage"
    assert demo_store.get("stroll", sid)["status"] == "active"
    app.end_stroll()
    assert app.screens == ("summary",)
    assert ps.walk.summary["track_points"] == len(fixes)
    assert demo_store.get("stroll", sid)["status"] == "ended"


# ---- every message key exists ------------------------------------------------------------------

def test_location_denied_forgets_the_last_fix_so_a_place_set_by_hand_counts(ps, clock):
    ps.walk.on_position(37.7946, -122.4068, accuracy=5)
    assert ps.core.position_source() == "gps"
    ps.walk.on_gps_error("User denied Geolocation permission")
    assert ps.core.live.gps == "denied" and ps.core.position() is None
    assert ps.walk.set_position(37.7950, -122.4070)
    assert ps.core.position() == (37.7950, -122.4070) and ps.core.position_source() == "manual"


def test_the_live_map_has_the_neighborhoods_streets_and_businesses_to_tap_on(running,
                                                                            demo_store):
    # with no tiles (offline) and no GPS, these are what a person finds "here" by
    names = {str(name) for _, _, name in running.core.track.places}
    assert names == {m["name"] for m in demo_store.merchants(SF)}
    routes = demo_store.routes(SF)
    others = [r for r in routes if r["id"] != running.core.stroll["route_id"]]
    assert len(running.core.track.streets) == len(others) >= 1
    assert all(len(s) >= 2 for s in running.core.track.streets)
