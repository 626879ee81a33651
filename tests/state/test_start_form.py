"""The start form (``StartForm``): neighborhood, route, shift, team, lead; Begin. Against a
real Store on a temporary SQLite file seeded with the demo data; no Flet page, no
browser (fixtures: conftest.py, shared steps: patrol_helpers.py)."""
from __future__ import annotations

import pytest

from stroll.state import GPS_WAITING

from patrol_helpers import (FRIDAY_SHIFT, MEI, OAK, ROSA, SF, START, STOCKTON_LOOP, WAI, XIAOYAN,
                            Locked, begin_in_app, new_patrol, outbox)


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
        "signup", shift_id=FRIDAY_SHIFT, status="confirmed")}
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
    assert ps.start.guests == ["Ann Lee"] and ps.start.guest_name == "" \
        and ps.start.guest_field == field + 1
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


def test_begin_opens_the_live_screen(app):
    begin_in_app(app)
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


# ---- the incident form's rules -----------------------------------------------------------------

def test_beginning_without_a_neighborhood_is_refused(ps):
    assert ps.start.begin() is False
    assert ps.start.start_error == "error.neighborhood"
