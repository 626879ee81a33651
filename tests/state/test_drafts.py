"""Nothing typed is lost: every form keeps its draft in the device store as it changes,
Back on a form with changes asks Keep / Discard, and the Patrol tab lists the drafts
until they are saved or discarded."""
from __future__ import annotations

from stroll.domain.geo import distance_m

from patrol_helpers import (MEI, ROSA, SF, STOCKTON, begin_in_app, new_app, outbox,
                            quick_incident)


def reopened(app, demo_store, svc, clock):
    """The app started again on the same file (a reload, or after the app was killed)."""
    again = new_app(demo_store, svc, clock)
    again.start()
    return again


def begin_here(app, clock) -> None:
    """A stroll begun on Stockton St with a GPS fix."""
    begin_in_app(app)
    app.patrol.walk.on_position(*STOCKTON[0], clock.wall(), 5.0)


def half_filled_incident(app) -> None:
    app.open_incident()
    app.patrol.report.toggle_quick_harm("physical_assault")
    app.patrol.report.toggle_quick_action("first_aid")
    app.patrol.report.edit_quick("note", "Elder pushed near the bus stop")


# ---- the quick incident --------------------------------------------------------------

def test_back_on_a_half_filled_quick_incident_asks_before_leaving(app):
    begin_in_app(app)
    half_filled_incident(app)
    app.close_screen()
    assert app.screens == ("live", "incident") and app.leaving == "incident"
    app.stay_on_form()
    assert app.leaving is None and app.screens == ("live", "incident")


def test_keep_draft_leaves_the_form_and_it_comes_back_filled(app):
    begin_in_app(app)
    half_filled_incident(app)
    app.close_screen()
    app.keep_draft()
    assert app.screens == ("live",)
    app.open_incident()
    report = app.patrol.report
    assert report.quick_harms == ["physical_assault"]
    assert report.quick_actions == ["first_aid"]
    assert report.quick_text["note"] == "Elder pushed near the bus stop"


def test_discard_forgets_the_draft_and_the_form_opens_empty(app, demo_store):
    begin_in_app(app)
    half_filled_incident(app)
    app.close_screen()
    app.discard_draft()
    assert app.screens == ("live",) and demo_store.drafts() == []
    app.open_incident()
    assert app.patrol.report.quick_harms == [] and app.patrol.report.quick_text["note"] == ""


def test_back_on_an_untouched_form_leaves_without_asking(app, demo_store):
    begin_in_app(app)
    app.open_incident()
    app.close_screen()
    assert app.screens == ("live",) and app.leaving is None
    assert demo_store.drafts() == []


def test_a_form_changed_back_to_empty_keeps_no_draft(app, demo_store):
    begin_in_app(app)
    app.open_incident()
    app.patrol.report.toggle_quick_harm("physical_assault")
    assert len(demo_store.drafts()) == 1
    app.patrol.report.toggle_quick_harm("physical_assault")
    assert demo_store.drafts() == []


def test_a_quick_incident_draft_survives_the_app_starting_again(app, demo_store, svc, clock):
    begin_in_app(app)
    half_filled_incident(app)
    again = reopened(app, demo_store, svc, clock)
    assert again.screens == ("live",)   # the running stroll opens by itself
    again.open_incident()
    assert again.patrol.report.quick_harms == ["physical_assault"]
    assert again.patrol.report.quick_text["note"] == "Elder pushed near the bus stop"


def test_a_quick_incident_finished_later_keeps_when_and_where_it_was_begun(app, demo_store,
                                                                          clock):
    begin_here(app, clock)
    begun_at = clock.now()
    half_filled_incident(app)
    app.close_screen()
    app.keep_draft()
    clock.advance(600)                                   # ten minutes and two blocks on
    app.patrol.walk.on_position(*STOCKTON[-1], clock.wall(), 5.0)
    app.open_incident()
    app.save_quick_incident()
    assert app.screens == ("live",)
    (inc,) = demo_store.stroll_incidents(app.patrol.core.stroll_id)
    assert inc["occurred_at"] == begun_at.isoformat()
    assert distance_m((inc["lat"], inc["lon"]), STOCKTON[0]) < 150   # block precision
    assert distance_m((inc["lat"], inc["lon"]), STOCKTON[-1]) > 300
    assert demo_store.drafts() == []


# ---- the other forms -------------------------------------------------------------------

def test_the_full_incident_form_keeps_survivor_details_as_a_draft_until_saved(app, demo_store,
                                                                             svc, clock):
    begin_here(app, clock)
    iid = quick_incident(app.patrol)
    app.complete_incident(iid)
    app.patrol.report.incident_text("survivor_name", "Mrs. Lau")
    app.patrol.report.incident_choose("police_involved", "no")
    assert demo_store.get("incident", iid)["survivor_name"] == ""   # nothing saved yet

    again = reopened(app, demo_store, svc, clock)
    again.complete_incident(iid)
    assert again.patrol.report.incident_draft["survivor_name"] == "Mrs. Lau"
    assert again.patrol.report.incident_draft["police_involved"] == "no"
    again.save_incident_form()
    assert demo_store.get("incident", iid)["survivor_name"] == "Mrs. Lau"
    assert demo_store.drafts() == []
    patch = outbox(demo_store, "incident", "patch")[-1]["payload"]
    assert patch["survivor_name"] == "Mrs. Lau"


def test_a_visit_note_and_language_come_back_for_that_business_only(app):
    begin_in_app(app)
    app.open_check_in()
    first, second = app.patrol.visit.merchants[:2]
    app.pick_merchant(first["id"])
    app.patrol.visit.edit_checkin_note("Owner asked about the night patrol")
    app.patrol.visit.choose_checkin_language("tl")
    app.close_screen()
    app.keep_draft()
    app.pick_merchant(second["id"])
    assert app.patrol.visit.checkin_note == ""
    app.close_screen()
    app.pick_merchant(first["id"])
    assert app.patrol.visit.checkin_note == "Owner asked about the night patrol"
    assert app.patrol.visit.checkin_language == "tl"
    app.check_in("all_good")
    assert app.screens == ("live",) and app.store.drafts() == []


def test_a_new_business_half_typed_comes_back(app):
    begin_in_app(app)
    app.open_check_in()
    app.open_add_merchant()
    app.patrol.visit.edit_new_merchant("name", "Golden Gate Bakery 🥟")
    app.patrol.visit.choose_new_merchant_category("bakery")
    app.close_screen()
    app.keep_draft()
    app.open_add_merchant()
    assert app.patrol.visit.new_merchant["name"] == "Golden Gate Bakery 🥟"
    assert app.patrol.visit.new_merchant_category == "bakery"


def test_the_start_form_comes_back_after_the_app_starts_again(app, demo_store, svc, clock):
    app.open_new_stroll()
    app.choose_new_stroll_neighborhood(SF)
    app.patrol.start.toggle_member(MEI)
    app.patrol.start.toggle_member(ROSA)
    app.patrol.start.edit_guest_name("Tony")
    again = reopened(app, demo_store, svc, clock)
    assert [d["form"] for d in again.drafts] == ["new_stroll"]
    again.open_draft("new_stroll")
    start = again.patrol.start
    assert again.screens == ("new_stroll",)
    assert (start.neighborhood_id, start.team_ids, start.lead, start.guest_name) == \
        (SF, [MEI, ROSA], MEI, "Tony")
    again.begin_stroll()
    assert again.screens == ("live",) and demo_store.drafts() == []


def test_discarding_the_start_form_empties_it(app, demo_store):
    app.open_new_stroll()
    app.choose_new_stroll_neighborhood(SF)
    app.patrol.start.toggle_member(MEI)
    app.close_screen()
    app.discard_draft()
    assert app.screens == () and demo_store.drafts() == []
    app.open_new_stroll()
    assert app.patrol.start.team_ids == []


# ---- the Patrol tab's list ------------------------------------------------------------

def test_the_patrol_tab_lists_each_draft_by_form_without_survivor_details(app):
    begin_in_app(app)
    half_filled_incident(app)
    app.close_screen()
    app.keep_draft()
    app.open_check_in()
    m = app.patrol.visit.merchants[0]
    app.pick_merchant(m["id"])
    app.patrol.visit.edit_checkin_note("Asked about flyers")
    app.select_tab("patrol")                       # a tab change keeps the drafts too
    assert [d["form"] for d in app.drafts] == ["check_in", "quick_incident"]
    check_in, incident = app.drafts
    assert app.draft_title(check_in) == f"Visit: {m['name']}"
    app.set_language("zh-Hant")                    # the business as people there know it
    assert app.draft_title(check_in) == f"探訪：{app.tr.place(m)}"
    app.set_language("en")
    assert app.draft_detail(check_in) == "Asked about flyers"
    assert app.draft_title(incident) == "Quick incident"
    assert app.draft_detail(incident) == "Physical assault"
    assert "Elder" not in app.draft_detail(incident)   # the note is the survivor's story


def test_a_draft_opens_its_form_from_the_patrol_tab(app):
    begin_in_app(app)
    half_filled_incident(app)
    app.select_tab("patrol")
    app.open_draft(app.drafts[0]["key"])
    assert app.screens == ("live", "incident")
    assert app.patrol.report.quick_harms == ["physical_assault"]


def test_a_draft_discarded_from_the_patrol_tab_is_gone(app, demo_store):
    begin_in_app(app)
    half_filled_incident(app)
    app.select_tab("patrol")
    app.forget_draft(app.drafts[0]["key"])
    assert app.drafts == [] and demo_store.drafts() == []


def test_a_quick_incident_draft_finished_after_the_stroll_ended_belongs_to_it(app, demo_store, clock):
    begin_here(app, clock)
    sid = app.patrol.core.stroll_id
    half_filled_incident(app)
    app.close_screen()
    app.keep_draft()
    app.end_stroll()
    app.close_summary()
    app.open_draft(app.drafts[0]["key"])
    assert app.screens == ("incident",)
    app.save_quick_incident()
    assert app.screens == () and app.drafts == []
    (inc,) = [i for i in demo_store.list("incident")
              if i["narrative"] == "Elder pushed near the bus stop"]
    assert inc["harm_types"] == ["physical_assault"] and inc["actions_taken"] == ["first_aid"]
    assert inc["stroll_id"] == sid   # it belongs to the stroll it was begun in
    assert inc["neighborhood_id"] == SF
