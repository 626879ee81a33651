"""The far-away warnings on the screens' state: a check-in far from its business and a
stroll started far from its neighborhood wait for one more tap (``pending_warning``,
then confirm or dismiss); a phone contact is stored in E.164. Against a real Store on a
temporary SQLite file seeded with the demo data; no Flet page, no browser."""
from __future__ import annotations

from stroll.domain.geo import local_scale

from patrol_helpers import OAK, SF, STOCKTON, begin_in_app, quick_incident

PORTSMOUTH_SQ = (37.7948, -122.4057)   # SF Chinatown


def away(p, metres_east: float):
    _, kx = local_scale(p[0])
    return (p[0], p[1] + metres_east / kx)


def _merchant(running, clock, here):
    running.walk.on_position(*here, clock.wall(), 5.0)
    running.visit.open_check_in()
    m = running.visit.merchants[0]
    running.visit.pick_merchant(m["id"])
    return m


def _visits(store, running):
    return store.list("check_in", stroll_id=running.core.stroll_id)


# ---- check-in ---------------------------------------------------------------------------------

def test_a_check_in_far_from_the_business_waits_for_check_in_anyway(running, clock, demo_store):
    m = _merchant(running, clock, STOCKTON[3])
    running.walk.on_position(*away((m["lat"], m["lon"]), 1200), clock.wall(), 5.0)
    assert running.visit.check_in("concern") is False
    key, params = running.visit.pending_warning
    assert key == "warning.far_from_merchant" and params["name"] == m["name"]
    assert 1150 < params["distance_m"] < 1250
    assert _visits(demo_store, running) == []                     # nothing written yet
    assert running.visit.confirm_check_in() is True                # one tap to go on
    assert [v["status"] for v in _visits(demo_store, running)] == ["concern"]
    assert running.visit.pending_warning is None


def test_not_now_drops_the_question_and_writes_nothing(running, clock, demo_store):
    m = _merchant(running, clock, STOCKTON[3])
    running.walk.on_position(*away((m["lat"], m["lon"]), 800), clock.wall(), 5.0)
    assert running.visit.check_in("all_good") is False
    running.visit.dismiss_warning()
    assert running.visit.pending_warning is None
    assert running.visit.confirm_check_in() is False
    assert _visits(demo_store, running) == []


def test_a_check_in_at_the_door_is_saved_at_once(running, clock, demo_store):
    m = _merchant(running, clock, STOCKTON[3])
    running.walk.on_position(m["lat"], m["lon"], clock.wall(), 5.0)
    assert running.visit.check_in("all_good") is True
    assert running.visit.pending_warning is None and len(_visits(demo_store, running)) == 1


def test_without_gps_a_check_in_is_never_questioned(running, demo_store):
    running.visit.open_check_in()
    running.visit.pick_merchant(running.visit.merchants[0]["id"])
    assert running.visit.check_in("all_good") is True             # no position at all
    running.walk.set_position(*away(STOCKTON[0], 3000))            # a place set by hand
    running.visit.open_check_in()
    running.visit.pick_merchant(running.visit.merchants[-1]["id"])
    assert running.visit.check_in("all_good") is True
    assert len(_visits(demo_store, running)) == 2


def test_picking_another_business_drops_the_question(running, clock):
    m = _merchant(running, clock, STOCKTON[3])
    running.walk.on_position(*away((m["lat"], m["lon"]), 900), clock.wall(), 5.0)
    running.visit.check_in("all_good")
    running.visit.pick_merchant(running.visit.merchants[1]["id"])
    assert running.visit.pending_warning is None


def test_check_in_anyway_in_the_app_returns_to_the_stroll(app, clock, demo_store):
    begin_in_app(app)
    visit = app.patrol.visit
    app.patrol.walk.on_position(*STOCKTON[3], clock.wall(), 5.0)
    app.open_check_in()
    m = visit.merchants[0]
    app.pick_merchant(m["id"])
    app.patrol.walk.on_position(*away((m["lat"], m["lon"]), 1500), clock.wall(), 5.0)
    app.check_in("needs_follow_up")
    assert app.screens == ("live", "check_in", "merchant") and visit.pending_warning
    app.confirm_check_in()
    assert app.screens == ("live",)
    assert app.patrol.core.check_in_count == 1


# ---- start --------------------------------------------------------------------------------------

def _form(ps, hood=OAK):
    ps.start.open_start(hood)
    for m in ps.start.members[:2]:
        ps.start.toggle_member(m["id"])


def test_an_oakland_stroll_started_in_sf_waits_for_start_anyway(ps, clock, demo_store):
    ps.walk.on_position(*PORTSMOUTH_SQ, clock.wall(), 8.0)        # the form's one position
    _form(ps, OAK)
    assert ps.start.begin() is False
    key, params = ps.start.pending_warning
    assert key == "warning.far_from_neighborhood" and params["name"] == "Oakland Chinatown"
    assert params["distance_m"] > 10_000
    assert ps.core.stroll is None and demo_store.local_strolls() == []
    assert ps.start.confirm_begin() is True
    assert ps.core.stroll["neighborhood_id"] == OAK
    assert ps.start.pending_warning is None


def test_a_start_inside_the_neighborhood_or_without_gps_is_not_questioned(ps, clock):
    _form(ps, SF)                                                 # no position yet
    assert ps.start.begin() is True
    ps.walk.end()
    ps.walk.close_summary()
    ps.walk.on_position(*PORTSMOUTH_SQ, clock.wall(), 8.0)
    _form(ps, SF)
    assert ps.start.begin() is True and ps.start.pending_warning is None


def test_the_buddy_rule_speaks_before_the_distance(ps, clock):
    ps.walk.on_position(*PORTSMOUTH_SQ, clock.wall(), 8.0)
    ps.start.open_start(OAK)
    ps.start.toggle_member(ps.start.members[0]["id"])
    assert ps.start.begin() is False
    assert ps.start.start_error == "error.buddy_rule" and ps.start.pending_warning is None


def test_changing_the_neighborhood_or_reopening_the_form_drops_the_question(ps, clock):
    ps.walk.on_position(*PORTSMOUTH_SQ, clock.wall(), 8.0)
    _form(ps, OAK)
    assert ps.start.begin() is False and ps.start.pending_warning
    ps.start.choose_neighborhood(SF)
    assert ps.start.pending_warning is None
    before = ps.start.locate
    ps.start.open_start(SF)
    assert ps.start.locate == before + 1                          # the screen asks for a fix


def test_start_anyway_in_the_app_opens_the_live_screen(app, clock):
    app.patrol.walk.on_position(*PORTSMOUTH_SQ, clock.wall(), 8.0)
    app.open_new_stroll()
    app.choose_new_stroll_neighborhood(OAK)
    for m in app.patrol.start.members[:2]:
        app.patrol.start.toggle_member(m["id"])
    app.begin_stroll()
    assert app.screens == ("new_stroll",) and app.patrol.start.pending_warning
    app.confirm_begin_stroll()
    assert app.screens == ("live",)


# ---- a phone contact is kept in E.164 ---------------------------------------------------------

def test_a_text_message_number_is_stored_in_e164_and_a_wrong_one_is_said(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = quick_incident(running)
    running.report.open_incident(iid)
    running.report.incident_flag("consent_contact", True)
    running.report.incident_choose("contact_channel", "text")
    running.report.incident_text("contact_value", "not a phone ☎️")
    assert running.report.save_incident() is False
    assert running.report.incident_errors == {"contact_value": "error.contact_phone"}
    running.report.incident_text("contact_value", "(206) 555-0187")
    assert running.report.save_incident() is True
    assert demo_store.get("incident", iid)["contact_value"] == "+12065550187"
    patch = [e for e in demo_store.outbox_entries(100_000)
             if e["record_id"] == iid and e["op"] == "patch"][-1]
    assert patch["payload"]["contact_value"] == "+12065550187"


def test_switching_the_channel_to_phone_stores_the_number_in_e164(running, demo_store):
    running.walk.set_position(*STOCKTON[2])
    iid = quick_incident(running)
    svc = running.core.service
    svc.complete_incident(iid, consent_contact=True, contact_channel="in_person",
                          contact_value="+1 415 555 0134")
    assert demo_store.get("incident", iid)["contact_value"] == "+1 415 555 0134"
    svc.complete_incident(iid, contact_channel="phone")
    assert demo_store.get("incident", iid)["contact_value"] == "+14155550134"
