"""The patrol screens' state (PatrolState, and AppState's patrol navigation) against a
real Store on a temporary SQLite file seeded with the demo data. No Flet page, no
browser: the clocks (wall time, monotonic time, the service's clock) are one fake that
the tests move forward."""
from __future__ import annotations

import ast
import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from stroll.demo import demo_id, seed
from stroll.domain import Incident
from stroll.domain import patrol_rules as rules
from stroll.domain.geo import distance_m, walk_fixes
from stroll.i18n import PLACEHOLDER, Translator
from stroll.patrol import PatrolService
from stroll.state import (FIX_FRESH_S, GPS_DENIED, GPS_LOST, GPS_OFF, GPS_OK, GPS_UNAVAILABLE,
                          GPS_WAITING, INCIDENT_FIELDS, AppState, PatrolState)
from stroll.state.errors import _ERRORS as PATROL_ERRORS
from stroll.store import Store

ROOT = Path(__file__).resolve().parents[2]
EN = json.loads((ROOT / "assets" / "locales" / "en.json").read_text(encoding="utf-8"))

# A Friday afternoon (local time of this machine, as the demo data uses): the demo has
# the "Evening stroll - Stockton St" shift in SF Chinatown at 17:30 today.
START = datetime(2026, 11, 20, 16, 0, 0).astimezone()

SF = demo_id("neighborhood", "sf-chinatown")
OAK = demo_id("neighborhood", "oakland-chinatown")
MEI = demo_id("member", "sf-mei-ling-chan")             # trained lead
WAI = demo_id("member", "sf-wai-keung-lau")             # trained lead
ROSA = demo_id("member", "sf-rosa-delgado")             # not trained to lead
XIAOYAN = demo_id("member", "sf-xiaoyan-zhou")          # trained lead
STOCKTON_LOOP = demo_id("route", "sf-chinatown-stockton-loop")
FRIDAY_SHIFT = demo_id("shift", "sf-fri-evening-stockton:2026-11-20")

# Stockton St, SF Chinatown, Broadway to Sacramento St (real intersections).
STOCKTON = [(37.797628, -122.408619), (37.796704, -122.408431), (37.795824, -122.408253),
            (37.794941, -122.408079), (37.79406, -122.407903), (37.793178, -122.407727)]


class Clock:
    """The service's clock (aware datetime), the monotonic clock and the wall clock,
    moving together."""

    def __init__(self, start: datetime):
        self.dt = start
        self.mono = 10_000.0

    def now(self) -> datetime:
        return self.dt

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.dt.timestamp()

    def advance(self, seconds: float) -> None:
        self.dt += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def demo_store(store):
    seed(store, START.date())
    return store


@pytest.fixture
def svc(demo_store, clock):
    return PatrolService(demo_store, clock.now, chunk_points=20)


def new_patrol(svc, clock) -> PatrolState:
    return PatrolState(svc, now=clock.now, monotonic=clock.monotonic, wall=clock.wall)


@pytest.fixture
def ps(svc, clock):
    return new_patrol(svc, clock)


@pytest.fixture
def running(ps):
    """A stroll in SF Chinatown, Mei (trained lead) and Rosa."""
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    assert ps.start.begin(), ps.start.start_error
    return ps


def new_app(store, svc, clock) -> AppState:
    app = AppState(store, now=clock.now, patrol=svc)
    app.patrol = new_patrol(svc, clock)   # the same state, with the test's clocks
    return app


@pytest.fixture
def app(demo_store, svc, clock):
    a = new_app(demo_store, svc, clock)
    a.load()
    return a


def outbox(store, record_type=None, op=None):
    return [e for e in store.outbox_entries(limit=100_000)
            if (record_type is None or e["record_type"] == record_type)
            and (op is None or e["op"] == op)]


def payload(entry) -> dict:
    p = entry["payload"]
    return json.loads(p) if isinstance(p, str) else p


def walk(ps, clock, fixes):
    """The GPS stream: each fix arrives when it was taken."""
    prev = fixes[0].t
    for f in fixes:
        clock.advance(f.t - prev)
        prev = f.t
        ps.walk.on_position(f.lat, f.lon, f.t, f.accuracy)


def geodesic_length(path) -> float:
    return sum(distance_m(a, b) for a, b in zip(path, path[1:]))


# ---- the start form ---------------------------------------------------------------------

def test_choosing_a_neighborhood_loads_its_members_routes_and_todays_shifts(ps, demo_store):
    ps.start.open_start(SF)
    assert ps.start.neighborhood_id == SF
    assert {m["id"] for m in ps.start.members} == {MEI, WAI, ROSA, XIAOYAN}
    assert {r["id"] for r in ps.start.routes} == {r["id"] for r in demo_store.routes(SF)}
    assert STOCKTON_LOOP in {r["id"] for r in ps.start.routes}
    assert [s["id"] for s in ps.start.shifts] == [FRIDAY_SHIFT]   # not tomorrow's


def test_changing_the_neighborhood_drops_members_route_and_shift_but_keeps_guests(ps):
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.edit_guest_name("Ann Lee")
    ps.start.add_guest()
    ps.start.choose_shift(FRIDAY_SHIFT)
    ps.start.choose_neighborhood(OAK)
    assert ps.start.team_ids == [] and ps.start.shift_id is None and ps.start.route_id is None
    assert ps.start.guests == ["Ann Lee"]
    assert all(m["neighborhood_id"] == OAK for m in ps.start.members)
    assert all(r["neighborhood_id"] == OAK for r in ps.start.routes)


def test_buddy_rule_one_person_cannot_start_and_nothing_is_written(ps, demo_store):
    strolls, pending = demo_store.count("stroll"), demo_store.pending_count()
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    assert ps.start.begin() is False
    assert ps.start.start_error == "error.buddy_rule"
    assert ps.core.stroll is None
    assert demo_store.count("stroll") == strolls and demo_store.pending_count() == pending
    assert demo_store.local_strolls() == []


def test_adding_the_second_person_clears_the_buddy_rule_error(ps):
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.begin()
    ps.start.toggle_member(ROSA)
    assert ps.start.start_error is None


def test_no_trained_lead_is_a_warning_that_does_not_block_the_start(ps, demo_store):
    ps.start.open_start(SF)
    ps.start.toggle_member(ROSA)
    ps.start.edit_guest_name("Ann Lee")
    ps.start.add_guest()
    assert ps.start.lead is None
    assert ps.start.warnings == ["warning.no_trained_lead"]
    assert ps.start.begin() is True
    assert ps.core.notice == ("warning.no_trained_lead", {})
    assert demo_store.get("stroll", ps.core.stroll_id)["status"] == "active"


def test_the_first_trained_member_becomes_lead(ps):
    ps.start.open_start(SF)
    ps.start.toggle_member(ROSA)
    assert ps.start.lead is None
    ps.start.toggle_member(WAI)
    ps.start.toggle_member(MEI)
    assert ps.start.lead == WAI
    assert [p["name"] for p in ps.start.team() if p["lead"]] == ["Wai Keung Lau"]
    assert ps.start.warnings == []


def test_removing_the_lead_passes_the_lead_to_the_next_trained_member(ps):
    ps.start.open_start(SF)
    ps.start.toggle_member(WAI)
    ps.start.toggle_member(ROSA)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(WAI)
    assert ps.start.lead == MEI


def test_choosing_an_untrained_lead_warns(ps):
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    ps.start.set_lead(ROSA)
    assert ps.start.lead == ROSA
    assert ps.start.warnings == ["warning.lead_not_trained"]
    assert ps.start.warning_params["warning.lead_not_trained"] == {"name": "Rosa Delgado"}


def test_linking_a_shift_takes_its_route_and_adds_its_confirmed_volunteers(ps, demo_store):
    confirmed = {s["member_id"] for s in demo_store.list(
        "signup", "shift_id = ? AND status = 'confirmed'", [FRIDAY_SHIFT])}
    assert confirmed                                      # the demo signs people up
    ps.start.open_start(SF)
    ps.start.choose_shift(FRIDAY_SHIFT)
    assert ps.start.shift_id == FRIDAY_SHIFT
    assert ps.start.route_id == STOCKTON_LOOP
    assert set(ps.start.team_ids) == confirmed
    ps.start.choose_shift(FRIDAY_SHIFT)                         # again: unlinked
    assert ps.start.shift_id is None


def test_guests_are_added_once_and_removed(ps):
    ps.start.open_start(SF)
    field = ps.start.guest_field
    ps.start.edit_guest_name("  Ann   Lee ")
    ps.start.add_guest()
    assert ps.start.guests == ["Ann Lee"] and ps.start.guest_name == "" and ps.start.guest_field == field + 1
    ps.start.edit_guest_name("Ann Lee")
    ps.start.add_guest()
    assert ps.start.guests == ["Ann Lee"]
    ps.start.set_lead("guest:Ann Lee")
    assert ps.start.team() == [{"member_id": None, "name": "Ann Lee", "lead": True}]
    ps.start.remove_guest("Ann Lee")
    assert ps.start.guests == [] and ps.start.lead is None


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_guest_name_is_refused(ps, name):
    ps.start.open_start(SF)
    ps.start.edit_guest_name(name)
    ps.start.add_guest()
    assert ps.start.start_error == "error.guest_name"
    assert ps.start.guests == []
    ps.start.edit_guest_name("Ann")
    ps.start.add_guest()
    assert ps.start.start_error is None


# ---- begin --------------------------------------------------------------------------------

def test_begin_writes_one_stroll_with_the_team_and_the_shift_and_its_outbox_entry(
        ps, demo_store):
    before = {s["id"] for s in demo_store.list("stroll")}
    ps.start.open_start(SF)
    ps.start.choose_shift(FRIDAY_SHIFT)
    ps.start.edit_guest_name("Ann Lee")
    ps.start.add_guest()
    team = ps.start.team()
    assert ps.start.begin() is True
    new = [s for s in demo_store.list("stroll") if s["id"] not in before]
    assert len(new) == 1
    s = new[0]
    assert s["id"] == ps.core.stroll_id and s["status"] == "active"
    assert s["neighborhood_id"] == SF and s["shift_id"] == FRIDAY_SHIFT
    assert s["route_id"] == STOCKTON_LOOP
    assert [(p["member_id"], p["name"], p["lead"]) for p in s["team"]] == \
        [(p["member_id"], p["name"], p["lead"]) for p in team]
    assert s["started_at"] == START.isoformat(timespec="seconds")
    entries = [e for e in outbox(demo_store, "stroll") if e["record_id"] == s["id"]]
    assert len(entries) == 1 and entries[0]["op"] == "upsert"
    # the form is reset; the live screen shows the stroll
    assert ps.start.team_ids == [] and ps.start.guests == [] and ps.start.shift_id is None
    assert ps.core.live.status == "active" and ps.core.live.gps == GPS_WAITING and ps.walk.tracking
    assert ps.core.track.route and ps.core.track.center == ps.core.track.route[0]


def _begin_in_app(app):
    app.open_new_stroll()
    assert app.screens == ("new_stroll",)
    app.choose_new_stroll_neighborhood(SF)
    app.patrol.start.toggle_member(MEI)
    app.patrol.start.toggle_member(ROSA)
    app.begin_stroll()
    assert app.screens == ("live",), app.patrol.start.start_error


def test_begin_opens_the_live_screen(app):
    _begin_in_app(app)
    assert app.screens == ("live",)


def test_a_refused_begin_stays_on_the_start_form(app):
    app.open_new_stroll()
    app.choose_new_stroll_neighborhood(SF)
    app.patrol.start.toggle_member(MEI)
    app.begin_stroll()
    assert app.screens == ("new_stroll",)
    assert app.patrol.start.start_error == "error.buddy_rule"


def test_opening_the_start_form_while_a_stroll_runs_shows_the_stroll(app):
    app.open_new_stroll()
    app.choose_new_stroll_neighborhood(SF)
    app.patrol.start.toggle_member(MEI)
    app.patrol.start.toggle_member(ROSA)
    app.begin_stroll()
    app.close_screen()
    app.open_new_stroll()
    assert app.screens == ("live",)


def test_a_second_begin_while_a_stroll_runs_says_so_and_starts_nothing(running, svc, clock,
                                                                        demo_store):
    count = demo_store.count("stroll")
    # another session of the app (a second tab on the same phone) fills the form too
    other = new_patrol(svc, clock)
    other.start.open_start(SF)
    other.start.toggle_member(WAI)
    other.start.toggle_member(XIAOYAN)
    assert other.start.begin() is True
    assert other.core.notice == ("patrol.already_running", {})
    assert other.core.stroll_id == running.core.stroll_id
    # the same session, whose form was reset by the first begin
    assert running.start.begin() is True
    assert running.core.notice == ("patrol.already_running", {})
    assert running.start.start_error is None
    assert demo_store.count("stroll") == count
    assert len(demo_store.local_strolls()) == 1


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


def _hold_write_lock(store: Store):
    """Another connection takes the database's write lock; the store gives up waiting
    after 50 ms (a real SQLITE_BUSY, as when the disk is busy or the file locked)."""
    store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(str(store.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


class Locked:
    """The database's write lock held by another connection for the block."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        self.other = _hold_write_lock(self.store)
        return self

    def __exit__(self, *exc):
        self.other.rollback()
        self.other.close()


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
    clock.advance(FIX_FRESH_S - 1)
    running.walk.tick()
    assert running.core.live.gps == GPS_OK
    clock.advance(2)
    running.walk.tick()
    assert running.core.live.gps == GPS_LOST
    running.walk.on_position(*STOCKTON[1], clock.wall(), 6.0)
    assert running.core.live.gps == GPS_OK


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
    clock.advance(FIX_FRESH_S + 10)
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


# ---- check-ins --------------------------------------------------------------------------------

def test_merchants_come_nearest_first_from_where_the_team_stands(running, clock, demo_store):
    here = STOCKTON[3]
    running.walk.on_position(*here, clock.wall(), 5.0)
    running.visit.open_check_in()
    got = running.visit.merchants
    assert {m["id"] for m in got} == {m["id"] for m in demo_store.merchants(SF)}
    dists = [distance_m(here, (m["lat"], m["lon"])) for m in got]
    assert dists == sorted(dists)
    assert [m["distance_m"] for m in got] == pytest.approx(dists)


def test_without_a_position_merchants_come_by_name(running, demo_store):
    running.visit.open_check_in()
    names = [m["name"] for m in running.visit.merchants]
    assert names == sorted(names, key=str.casefold)


def test_a_check_in_writes_the_visit_with_stroll_status_language_and_note(running, clock,
                                                                         demo_store):
    running.walk.on_position(*STOCKTON[3], clock.wall(), 5.0)
    running.visit.open_check_in()
    m = running.visit.merchants[0]
    running.visit.pick_merchant(m["id"])
    assert running.visit.merchant["id"] == m["id"]
    before = len(running.visit.history)
    running.visit.choose_checkin_language("en")
    running.visit.edit_checkin_note("  Owner asked about the night patrols  ")
    assert running.visit.check_in("concern") is True
    visits = demo_store.list("check_in", "stroll_id = ?", [running.core.stroll_id])
    assert len(visits) == 1
    v = visits[0]
    assert (v["merchant_id"], v["status"], v["language"], v["note"]) == \
        (m["id"], "concern", "en", "Owner asked about the night patrols")
    assert (v["lat"], v["lon"]) == STOCKTON[3]
    assert v["at"] == clock.now().isoformat(timespec="seconds")
    assert [e["op"] for e in outbox(demo_store, "check_in") if e["record_id"] == v["id"]] \
        == ["upsert"]
    assert running.core.check_in_count == 1
    assert running.core.notice == ("check_in.saved", {"name": m["name"]})
    assert running.visit.history[0]["id"] == v["id"] and len(running.visit.history) == before + 1
    running.visit.pick_merchant(m["id"])
    assert running.visit.history[0]["id"] == v["id"]


def test_a_check_in_language_defaults_to_the_merchants_first_language(running, demo_store):
    running.visit.open_check_in()
    m = next(m for m in running.visit.merchants if m["languages"])
    running.visit.pick_merchant(m["id"])
    assert running.visit.checkin_language == m["languages"][0]
    running.visit.choose_checkin_language(m["languages"][0])      # again: none
    assert running.visit.checkin_language is None


def test_without_gps_the_merchant_checked_in_with_becomes_the_position(running):
    running.visit.open_check_in()
    m = running.visit.merchants[0]
    running.visit.pick_merchant(m["id"])
    assert running.visit.check_in("all_good") is True
    assert running.core.position() == (m["lat"], m["lon"])
    assert running.core.position_source() == "manual" and running.core.track.manual


def test_the_check_in_screens_go_list_merchant_live(app, clock):
    _begin_in_app(app)
    app.open_check_in()
    assert app.screens == ("live", "check_in")
    app.pick_merchant(app.patrol.visit.merchants[0]["id"])
    assert app.screens == ("live", "check_in", "merchant")
    app.check_in("all_good")
    assert app.screens == ("live",)


# ---- adding a merchant ------------------------------------------------------------------------

def test_a_merchant_needs_a_name(running, demo_store):
    count = demo_store.count("merchant")
    running.visit.open_add_merchant()
    running.visit.edit_new_merchant("name", "   ")
    assert running.visit.save_merchant() is False
    assert running.visit.merchant_errors == {"name": "error.merchant_name"}
    assert demo_store.count("merchant") == count


def test_a_refused_merchant_errors_go_field_by_field_as_the_person_answers_them(running):
    running.visit.open_add_merchant()
    assert running.visit.save_merchant() is False
    notice = running.visit.merchant_notice
    running.visit.edit_new_merchant("address", "848 Stockton St")    # not what was refused
    assert running.visit.merchant_errors_shown() == {"name": "error.merchant_name"}
    running.visit.edit_new_merchant("name", "S")                     # the first keystroke
    assert running.visit.merchant_errors_shown() == {}
    assert running.visit.merchant_notice is notice and notice.answered == {"name"}
    running.visit.edit_new_merchant("name", "")                      # a new refusal shows it again
    assert running.visit.save_merchant() is False
    assert running.visit.merchant_errors_shown() == {"name": "error.merchant_name"}


def test_a_merchant_added_where_the_team_stands_becomes_the_one_to_check_in_with(
        running, clock, demo_store):
    running.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
    running.visit.open_add_merchant()
    running.visit.edit_new_merchant("name", "  Sun  Wah   Kue ")
    running.visit.edit_new_merchant("address", " 848 Stockton St ")
    running.visit.choose_new_merchant_category("bakery")
    running.visit.toggle_new_merchant_language("yue")
    running.visit.toggle_new_merchant_language("en")
    running.visit.toggle_new_merchant_language("en")
    assert running.visit.save_merchant() is True
    m = running.visit.merchant
    rec = demo_store.get("merchant", m["id"])
    assert rec["name"] == "Sun Wah Kue" and rec["neighborhood_id"] == SF
    assert (rec["lat"], rec["lon"]) == STOCKTON[2]
    assert rec["category"] == "bakery" and rec["languages"] == ["yue"]
    assert rec["address"] == "848 Stockton St"
    assert running.visit.merchants[0]["id"] == m["id"]               # nearest: right here
    assert running.core.notice == ("merchant.added", {"name": "Sun Wah Kue"})
    assert [e["op"] for e in outbox(demo_store, "merchant") if e["record_id"] == m["id"]] \
        == ["upsert"]


def test_a_merchant_cannot_be_added_without_a_position(running, demo_store):
    count = demo_store.count("merchant")
    running.visit.open_add_merchant()
    running.visit.edit_new_merchant("name", "Sun Wah Kue")
    assert running.visit.save_merchant() is False
    assert running.visit.merchant_errors == {"position": "error.no_position"}
    assert demo_store.count("merchant") == count


def test_adding_a_merchant_in_the_app_returns_to_its_check_in(app, clock):
    _begin_in_app(app)
    app.patrol.walk.set_position(*STOCKTON[1])
    app.open_check_in()
    app.open_add_merchant()
    assert app.screens == ("live", "check_in", "add_merchant")
    app.patrol.visit.edit_new_merchant("name", "Sun Wah Kue")
    app.save_merchant()
    assert app.screens == ("live", "check_in", "merchant")
    assert app.patrol.visit.merchant["name"] == "Sun Wah Kue"


# ---- incidents --------------------------------------------------------------------------------

def test_a_quick_incident_needs_a_harm_type_and_nothing_is_written(running, demo_store):
    count, pending = demo_store.count("incident"), demo_store.pending_count()
    running.walk.set_position(*STOCKTON[2])
    running.report.open_quick_incident()
    running.report.toggle_quick_action("de_escalated")
    assert running.report.save_quick_incident() is None
    assert running.report.quick_errors == {"harm_types": "error.harm_types"}
    assert demo_store.count("incident") == count and demo_store.pending_count() == pending
    running.report.toggle_quick_harm("verbal_harassment")
    assert running.report.quick_errors == {}


def test_a_quick_incident_needs_a_place(running, demo_store):
    running.report.open_quick_incident()
    running.report.toggle_quick_harm("verbal_harassment")
    running.report.toggle_quick_action("de_escalated")
    assert running.report.save_quick_incident() is None
    assert running.report.quick_errors == {"location": "error.place"}


def _quick(running) -> str:
    running.report.open_quick_incident()
    running.report.toggle_quick_harm("verbal_harassment")
    running.report.toggle_quick_action("checked_on_person")
    running.report.edit_quick("note", "  Man shouting at an elder at the bus stop ")
    iid = running.report.save_quick_incident()
    assert iid, running.report.quick_errors
    return iid


def test_a_quick_incident_is_logged_at_block_precision_time_now(running, clock, demo_store):
    running.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
    iid = _quick(running)
    rec = demo_store.get("incident", iid)
    assert rec["stroll_id"] == running.core.stroll_id and rec["neighborhood_id"] == SF
    assert rec["harm_types"] == ["verbal_harassment"]
    assert rec["actions_taken"] == ["checked_on_person"]
    assert rec["narrative"] == "Man shouting at an elder at the bus stop"
    assert rec["location_precision"] == "block"
    assert (rec["lat"], rec["lon"]) == rules.apply_precision(*STOCKTON[2], "block")
    assert (rec["lat"], rec["lon"]) != STOCKTON[2]
    now = clock.now().isoformat(timespec="seconds")
    assert rec["occurred_at"] == now and rec["reported_at"] == now
    assert rec["quick"] is True
    assert running.core.notice == ("incident.logged", {})
    assert [i["id"] for i in running.core.incidents] == [iid]
    assert [e["op"] for e in outbox(demo_store, "incident") if e["record_id"] == iid] \
        == ["upsert"]


def test_the_full_form_patch_carries_only_the_changed_fields(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    assert running.report.open_incident(iid)
    assert running.report.incident_patch() == {}
    running.report.incident_toggle("motivations", "race")
    running.report.incident_choose("site_type", "transit")
    running.report.incident_text("narrative", "Man shouting at an elder at the bus stop  ")  # same
    running.report.incident_text("cross_streets", " Stockton & Clay ")
    running.report.incident_flag("needs_interpreter", True)
    assert running.report.incident_patch() == {"motivations": ["race"], "site_type": "transit",
                                        "cross_streets": "Stockton & Clay",
                                        "needs_interpreter": True}
    assert running.report.save_incident() is True
    patches = outbox(demo_store, "incident", "patch")
    assert len(patches) == 1
    assert payload(patches[0]) == {"motivations": ["race"], "site_type": "transit",
                                   "cross_streets": "Stockton & Clay",
                                   "needs_interpreter": True, "quick": False}
    rec = demo_store.get("incident", iid)
    assert rec["site_type"] == "transit" and rec["quick"] is False
    assert running.report.incident_patch() == {}                     # saved: nothing left to send
    assert running.core.notice == ("incident.saved", {})


def test_taking_back_consent_clears_the_contact_details(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_flag("consent_contact", True)
    running.report.incident_choose("contact_channel", "phone")
    running.report.incident_text("contact_value", "415-555-0134")
    running.report.incident_choose("contact_language", "yue")
    running.report.incident_text("contact_safe_times", "evenings")
    assert running.report.save_incident() is True
    stored = demo_store.get("incident", iid)
    assert stored["contact_value"] == "415-555-0134" and stored["consent_contact"] is True
    running.report.open_incident(iid)
    running.report.incident_flag("consent_contact", False)
    draft = running.report.incident_draft
    assert (draft["contact_channel"], draft["contact_value"], draft["contact_language"],
            draft["contact_safe_times"]) == (None, "", None, "")
    assert running.report.save_incident() is True
    rec = demo_store.get("incident", iid)
    assert rec["consent_contact"] is False
    assert (rec["contact_channel"], rec["contact_value"], rec["contact_language"],
            rec["contact_safe_times"]) == (None, "", None, "")


def test_contact_details_without_consent_are_refused(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    pending = demo_store.pending_count()
    running.report.incident_choose("contact_channel", "phone")
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"contact_channel": "error.contact_without_consent"}
    assert demo_store.get("incident", iid)["contact_channel"] is None
    assert demo_store.pending_count() == pending
    running.report.incident_flag("consent_contact", True)           # the error goes with the fix
    assert running.report.incident_errors == {}


def test_consent_without_a_way_to_contact_is_refused(running):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_flag("consent_contact", True)
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"contact_channel": "error.contact_channel"}


def test_a_more_precise_location_needs_a_new_position(running, clock, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_choose("location_precision", "exact")
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"location_precision": "error.precision_needs_position"}
    assert running.report.incident_use_position() is True
    assert running.report.incident_patch()["lat"] == STOCKTON[2][0]
    assert running.report.save_incident() is True
    assert running.report.incident_patch() == {}                     # the place is not sent twice
    rec = demo_store.get("incident", iid)
    assert (rec["lat"], rec["lon"], rec["location_precision"]) == (*STOCKTON[2], "exact")


def test_choosing_less_precision_coarsens_the_place_in_the_outbox_too(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_choose("location_precision", "neighborhood")
    assert running.report.save_incident() is True
    rec = demo_store.get("incident", iid)
    coarse = rules.apply_precision(*STOCKTON[2], "neighborhood")
    assert (rec["lat"], rec["lon"]) == coarse
    for e in outbox(demo_store, "incident"):
        if e["record_id"] == iid and "lat" in payload(e):
            assert (payload(e)["lat"], payload(e)["lon"]) == coarse


def test_the_private_fields_of_an_incident_are_marked_sensitive_and_on_the_form():
    sensitive = set(Incident.sensitive_fields())
    assert {"survivor_name", "narrative", "injuries_note", "contact_channel",
            "contact_value", "contact_language", "contact_safe_times"} <= sensitive
    assert sensitive <= set(INCIDENT_FIELDS)


def test_saving_the_form_keeps_sensitive_values_only_where_the_record_marks_them(
        running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_text("survivor_name", "Mrs. Wong")
    running.report.incident_choose("affected_age_band", "75_plus")
    assert running.report.save_incident() is True
    patch = payload(outbox(demo_store, "incident", "patch")[-1])
    assert patch == {"survivor_name": "Mrs. Wong", "affected_age_band": "75_plus",
                     "quick": False}
    assert [k for k in patch if k in Incident.sensitive_fields()] == ["survivor_name"]


def test_the_incident_screens_go_quick_live_form_live(app):
    _begin_in_app(app)
    app.patrol.walk.set_position(*STOCKTON[2])
    app.open_incident()
    assert app.screens == ("live", "incident")
    app.patrol.report.toggle_quick_harm("verbal_harassment")
    app.patrol.report.toggle_quick_action("de_escalated")
    app.save_quick_incident()
    assert app.screens == ("live",)
    app.complete_incident(app.patrol.core.incidents[0]["id"])
    assert app.screens == ("live", "incident_form")
    app.patrol.report.incident_choose("site_type", "street")
    app.save_incident_form()
    assert app.screens == ("live",)


# ---- the end --------------------------------------------------------------------------------

def test_ending_gives_the_summary_and_ends_the_stroll(running, clock, demo_store):
    sid = running.core.stroll_id
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, seed=8, start_t=clock.wall())
    walk(running, clock, fixes)
    running.visit.open_check_in()
    running.visit.pick_merchant(running.visit.merchants[0]["id"])
    running.visit.check_in("all_good")
    _quick(running)
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
    _begin_in_app(app)
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
    _begin_in_app(app)
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

def test_a_start_the_store_refuses_says_so_and_keeps_the_form(ps, demo_store):
    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    with Locked(demo_store):
        assert ps.start.begin() is False
    assert ps.start.start_error == "error.start_failed"
    assert ps.core.error[0] == "error.storage"
    assert ps.start.team_ids == [MEI, ROSA] and ps.core.stroll is None
    assert ps.start.begin() is True


def test_a_check_in_the_store_refuses_keeps_the_note_for_another_try(running, demo_store):
    running.visit.open_check_in()
    running.visit.pick_merchant(running.visit.merchants[0]["id"])
    running.visit.edit_checkin_note("Window broken last night")
    with Locked(demo_store):
        assert running.visit.check_in("needs_follow_up") is False
    assert running.visit.checkin_error == "error.not_saved"
    assert running.visit.checkin_note == "Window broken last night"
    assert running.visit.check_in("needs_follow_up") is True
    assert demo_store.list("check_in", "stroll_id = ?", [running.core.stroll_id])[0]["note"] == \
        "Window broken last night"


def test_a_quick_incident_the_store_refuses_keeps_its_choices(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    running.report.open_quick_incident()
    running.report.toggle_quick_harm("physical_assault")
    running.report.toggle_quick_action("de_escalated")
    with Locked(demo_store):
        assert running.report.save_quick_incident() is None
    assert running.core.error[0] == "error.storage"
    assert running.report.quick_harms and running.report.quick_actions == ["de_escalated"]
    assert running.report.save_quick_incident() is not None


def test_an_incident_form_the_store_refuses_keeps_the_draft(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_text("survivor_name", "Mrs. Wong")
    with Locked(demo_store):
        assert running.report.save_incident() is False
    assert running.report.incident_errors == {"form": "error.not_saved"}
    assert running.report.incident_patch() == {"survivor_name": "Mrs. Wong"}
    assert running.report.save_incident() is True
    assert demo_store.get("incident", iid)["survivor_name"] == "Mrs. Wong"


def test_ending_while_the_store_refuses_keeps_the_stroll_running(app, clock, demo_store):
    _begin_in_app(app)
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


# ---- the incident form's rules -----------------------------------------------------------------

def test_other_safety_concern_needs_a_description_in_the_full_form(running):
    running.walk.set_position(*STOCKTON[2])
    running.report.open_quick_incident()
    running.report.toggle_quick_harm("other_safety_concern")
    running.report.toggle_quick_action("de_escalated")
    iid = running.report.save_quick_incident()
    assert iid                                   # the quick path does not ask
    running.report.open_incident(iid)
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"harm_other": "error.harm_other"}
    running.report.incident_text("harm_other", "Someone following people home")
    assert running.report.incident_errors == {}
    assert running.report.save_incident() is True


def test_cross_streets_are_refused_at_neighborhood_precision(running):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_text("cross_streets", "Stockton & Clay")
    running.report.incident_choose("location_precision", "neighborhood")
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"cross_streets": "error.cross_streets_precision"}


def test_police_involvement_and_precision_always_have_a_value(running):
    running.walk.set_position(*STOCKTON[2])
    iid = _quick(running)
    running.report.open_incident(iid)
    running.report.incident_choose("police_involved", "called")
    running.report.incident_choose("police_involved", "called")
    assert running.report.incident_draft["police_involved"] == "called"
    running.report.incident_choose("site_type", "street")
    running.report.incident_choose("site_type", "street")   # again: not said
    assert running.report.incident_draft["site_type"] is None


def test_an_unknown_incident_cannot_be_opened(running):
    assert running.report.open_incident("00000000-0000-4000-8000-000000000000") is False
    assert running.core.error == ("error.not_found", {})
    assert running.report.save_incident() is False


def test_beginning_without_a_neighborhood_is_refused(ps):
    assert ps.start.begin() is False
    assert ps.start.start_error == "error.neighborhood"


# ---- every message key exists ------------------------------------------------------------------

# The modules of the patrol screens' state: every message key they can set is in them.
PATROL_MODULES = ("core.py", "start_form.py", "running.py", "check_in.py", "incident.py",
                  "errors.py")


def _patrol_keys() -> set[str]:
    keys = {k for *_, k in PATROL_ERRORS}
    family = re.compile(r"^(error|warning|patrol|live|check_in|merchant|incident)\.[a-z0-9_]+$")
    nodes = (node for module in PATROL_MODULES
             for node in ast.walk(ast.parse((ROOT / "stroll" / "state" / module)
                                            .read_text(encoding="utf-8"))))
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and family.match(node.value):
            keys.add(node.value)
    # warnings come from the rules: warning.<code>
    rules_src = (ROOT / "stroll" / "domain" / "patrol_rules.py").read_text(encoding="utf-8")
    keys |= {f"warning.{c}" for c in re.findall(r'RuleWarning\("([a-z_]+)"', rules_src)}
    return keys


def test_the_key_scan_finds_the_patrol_messages():
    keys = _patrol_keys()
    assert {"error.buddy_rule", "error.guest_name", "error.storage", "error.not_saved",
            "warning.no_trained_lead", "patrol.already_running",
            "live.position_set"} <= keys


@pytest.mark.parametrize("key", sorted(_patrol_keys()))
def test_every_message_key_the_patrol_screens_can_set_is_in_the_english_catalog(key):
    assert key in EN, f"{key} is missing from assets/locales/en.json"


# The values PatrolState fills in, per message (every other message has none).
MESSAGE_PARAMS = {"check_in.saved": {"name"},
                  "merchant.added": {"name"}, "warning.lead_not_trained": {"name"}}


@pytest.mark.parametrize("key", sorted(_patrol_keys()))
def test_every_message_takes_exactly_the_values_the_patrol_screens_give(key):
    assert set(PLACEHOLDER.findall(EN.get(key, ""))) == MESSAGE_PARAMS.get(key, set())


def test_the_notices_and_errors_of_a_stroll_read_in_english(ps, clock, demo_store):
    tr = Translator("en")
    said = []

    def say():
        for msg in (ps.core.notice, ps.core.error):
            if msg is not None:
                said.append(tr.t(msg[0], **msg[1]))
        ps.core.dismiss()

    ps.start.open_start(SF)
    ps.start.toggle_member(MEI)
    ps.start.toggle_member(ROSA)
    ps.start.set_lead(ROSA)
    ps.start.begin()
    say()
    ps.walk.set_position(*STOCKTON[1])
    say()
    ps.visit.open_check_in()
    ps.visit.pick_merchant(ps.visit.merchants[0]["id"])
    ps.visit.check_in("all_good")
    say()
    ps.visit.open_add_merchant()
    ps.visit.edit_new_merchant("name", "Sun Wah Kue")
    ps.visit.save_merchant()
    say()
    iid = _quick(ps)
    say()
    ps.report.open_incident(iid)
    ps.report.save_incident()
    say()
    with Locked(demo_store):
        ps.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
        say()
    assert said[0] == "Rosa Delgado leads but has not had stroll lead training."
    assert said[2].startswith("Check-in saved: ") and said[3] == "Added Sun Wah Kue."
    assert said[-1].startswith("The phone could not save this just now")
    assert len(said) == 7 and not any("{" in s for s in said)


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
    names = {name for _, _, name in running.core.track.places}
    assert names == {m["name"] for m in demo_store.merchants(SF)}
    routes = demo_store.routes(SF)
    others = [r for r in routes if r["id"] != running.core.stroll["route_id"]]
    assert len(running.core.track.streets) == len(others) >= 1
    assert all(len(s) >= 2 for s in running.core.track.streets)
