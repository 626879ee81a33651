"""The check-in screens (``CheckIn``): the businesses nearby, a visit, adding a business.
Against a real Store on a temporary SQLite file seeded with the demo data; no Flet page,
no browser (fixtures: conftest.py, shared steps: patrol_helpers.py)."""
from __future__ import annotations

import pytest

from stroll.domain.geo import distance_m
from stroll.domain.place_names import PlaceName

from patrol_helpers import SF, STOCKTON, Locked, begin_in_app, outbox


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
    visits = demo_store.list("check_in", stroll_id=running.core.stroll_id)
    assert len(visits) == 1
    v = visits[0]
    assert (v["merchant_id"], v["status"], v["language"], v["note"]) == \
        (m["id"], "concern", "en", "Owner asked about the night patrols")
    assert (v["lat"], v["lon"]) == STOCKTON[3]
    assert v["at"] == clock.now().isoformat(timespec="seconds")
    assert [e["op"] for e in outbox(demo_store, "check_in") if e["record_id"] == v["id"]] \
        == ["upsert"]
    assert running.core.check_in_count == 1
    assert running.core.notice == ("check_in.saved", {"name": PlaceName.of(m)})
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
    begin_in_app(app)
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


def test_save_and_check_in_adds_the_merchant_where_the_team_stands_and_records_the_visit(
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
    assert running.core.notice == ("merchant.added_checked_in", {"name": "Sun Wah Kue"})
    assert [e["op"] for e in outbox(demo_store, "merchant") if e["record_id"] == m["id"]] \
        == ["upsert"]
    # ...and checked in with: "all good" unless the form said otherwise
    visits = demo_store.list("check_in", stroll_id=running.core.stroll_id)
    assert [(v["merchant_id"], v["status"], v["language"]) for v in visits] == \
        [(m["id"], "all_good", "yue")]
    assert (visits[0]["lat"], visits[0]["lon"]) == STOCKTON[2]
    assert running.core.check_in_count == 1
    assert [e["op"] for e in outbox(demo_store, "check_in")
            if e["record_id"] == visits[0]["id"]] == ["upsert"]


def test_save_and_check_in_records_the_status_chosen_on_the_form(running, clock, demo_store):
    running.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
    running.visit.open_add_merchant()
    assert running.visit.new_merchant_status == "all_good"
    running.visit.edit_new_merchant("name", "Sun Wah Kue")
    running.visit.choose_new_merchant_status("concern")
    assert running.visit.save_merchant() is True
    visits = demo_store.list("check_in", stroll_id=running.core.stroll_id)
    assert [v["status"] for v in visits] == ["concern"]
    running.visit.open_add_merchant()                                # a new form: all good again
    assert running.visit.new_merchant_status == "all_good"
    with pytest.raises(ValueError):
        running.visit.choose_new_merchant_status("fine")


def test_a_merchant_the_store_refuses_is_not_half_saved(running, clock, demo_store):
    running.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
    running.visit.open_add_merchant()
    running.visit.edit_new_merchant("name", "Sun Wah Kue")
    merchants, visits = demo_store.count("merchant"), demo_store.count("check_in")
    with Locked(demo_store):
        assert running.visit.save_merchant() is False
    assert (demo_store.count("merchant"), demo_store.count("check_in")) == (merchants, visits)


def test_a_merchant_cannot_be_added_without_a_position(running, demo_store):
    count = demo_store.count("merchant")
    running.visit.open_add_merchant()
    running.visit.edit_new_merchant("name", "Sun Wah Kue")
    assert running.visit.save_merchant() is False
    assert running.visit.merchant_errors == {"position": "error.no_position"}
    assert demo_store.count("merchant") == count


def test_save_and_check_in_in_the_app_returns_to_the_stroll(app, clock):
    begin_in_app(app)
    app.patrol.walk.set_position(*STOCKTON[1])
    app.open_check_in()
    app.open_add_merchant()
    assert app.screens == ("live", "check_in", "add_merchant")
    app.patrol.visit.edit_new_merchant("name", "Sun Wah Kue")
    app.save_merchant()
    assert app.screens == ("live",)
    assert app.patrol.core.check_in_count == 1


# ---- when the store refuses to write: a clear message, nothing lost ---------------------------

def test_a_check_in_the_store_refuses_keeps_the_note_for_another_try(running, demo_store):
    running.visit.open_check_in()
    running.visit.pick_merchant(running.visit.merchants[0]["id"])
    running.visit.edit_checkin_note("Window broken last night")
    with Locked(demo_store):
        assert running.visit.check_in("needs_follow_up") is False
    assert running.visit.checkin_error == "error.not_saved"
    assert running.visit.checkin_note == "Window broken last night"
    assert running.visit.check_in("needs_follow_up") is True
    assert demo_store.list("check_in", stroll_id=running.core.stroll_id)[0]["note"] == \
        "Window broken last night"
