"""The incident screens (``IncidentForms``): the quick log and the full form. Against a
real Store on a temporary SQLite file seeded with the demo data; no Flet page, no
browser (fixtures: conftest.py, shared steps: patrol_helpers.py)."""
from __future__ import annotations

from stroll.domain import Incident
from stroll.domain import patrol_rules as rules
from stroll.state import INCIDENT_FIELDS

from patrol_helpers import SF, STOCKTON, Locked, begin_in_app, outbox, payload, quick_incident


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


def test_a_quick_incident_is_logged_at_block_precision_time_now(running, clock, demo_store):
    running.walk.on_position(*STOCKTON[2], clock.wall(), 5.0)
    iid = quick_incident(running)
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
    iid = quick_incident(running)
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
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_flag("consent_contact", True)
    running.report.incident_choose("contact_channel", "phone")
    running.report.incident_text("contact_value", "415-555-0134")
    running.report.incident_choose("contact_language", "yue")
    running.report.incident_text("contact_safe_times", "evenings")
    assert running.report.save_incident() is True
    stored = demo_store.get("incident", iid)
    assert stored["contact_value"] == "+14155550134" and stored["consent_contact"] is True
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
    iid = quick_incident(running)
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
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_flag("consent_contact", True)
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"contact_channel": "error.contact_channel"}


def test_a_more_precise_location_needs_a_new_position(running, clock, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_choose("location_precision", "exact")
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {
        "location_precision": "error.precision_needs_position"}
    assert running.report.incident_use_position() is True
    assert running.report.incident_patch()["lat"] == STOCKTON[2][0]
    assert running.report.save_incident() is True
    assert running.report.incident_patch() == {}                     # the place is not sent twice
    rec = demo_store.get("incident", iid)
    assert (rec["lat"], rec["lon"], rec["location_precision"]) == (*STOCKTON[2], "exact")


def test_choosing_less_precision_coarsens_the_place_in_the_outbox_too(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = quick_incident(running)
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
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_text("survivor_name", "Mrs. Wong")
    running.report.incident_choose("affected_age_band", "75_plus")
    assert running.report.save_incident() is True
    patch = payload(outbox(demo_store, "incident", "patch")[-1])
    assert patch == {"survivor_name": "Mrs. Wong", "affected_age_band": "75_plus",
                     "quick": False}
    assert [k for k in patch if k in Incident.sensitive_fields()] == ["survivor_name"]


def test_the_incident_screens_go_quick_live_form_live(app):
    begin_in_app(app)
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


# ---- when the store refuses to write: a clear message, nothing lost ---------------------------

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
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_text("survivor_name", "Mrs. Wong")
    with Locked(demo_store):
        assert running.report.save_incident() is False
    assert running.report.incident_errors == {"form": "error.not_saved"}
    assert running.report.incident_patch() == {"survivor_name": "Mrs. Wong"}
    assert running.report.save_incident() is True
    assert demo_store.get("incident", iid)["survivor_name"] == "Mrs. Wong"


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
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_text("cross_streets", "Stockton & Clay")
    running.report.incident_choose("location_precision", "neighborhood")
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"cross_streets": "error.cross_streets_precision"}


def test_police_involvement_and_precision_always_have_a_value(running):
    running.walk.set_position(*STOCKTON[2])
    iid = quick_incident(running)
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
