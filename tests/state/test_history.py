"""Past strolls (``History``, opened through ``AppState``): a recent stroll opens with its
numbers, its track on the map, its check-ins and incidents; an incident left as the
quick log logged it says it needs details and is completed after the stroll ended, with
no stroll running; the Patrol tab lists the incidents still needing details across
strolls. Against a real Store seeded with the demo data; no Flet page, no browser."""
from __future__ import annotations

from datetime import timedelta

import pytest

from stroll.domain import CheckIn, Incident, Stroll
from stroll.domain import patrol_rules as rules
from stroll.domain.geo import Fix, decode_track, encode_track, walk_fixes
from stroll.state.history import MAX_DRAWN_POINTS, display_path

from patrol_helpers import (MEI, ROSA, SF, STOCKTON, STOCKTON_LOOP, begin_in_app, outbox,
                            payload, quick_incident, walk)


def _walked_stroll(app, clock, svc, demo_store) -> tuple[str, str, str]:
    """A stroll walked up Stockton St with one check-in and one quick incident,
    ended; the app back on the Patrol tab. Returns (stroll, incident, merchant) ids."""
    begin_in_app(app)
    ps = app.patrol
    sid = ps.core.stroll_id
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, seed=5, start_t=clock.wall())
    walk(ps, clock, fixes)
    door = demo_store.merchants(SF)[0]
    svc.check_in(door["id"], "concern", position=(door["lat"], door["lon"]))
    iid = quick_incident(ps)
    clock.advance(600)
    app.end_stroll()
    app.close_summary()
    assert app.screens == () and ps.core.stroll is None
    return sid, iid, door["id"]


@pytest.fixture
def walked(app, clock, svc, demo_store):
    return _walked_stroll(app, clock, svc, demo_store)


# ---- the rule ---------------------------------------------------------------------------------

def test_an_incident_is_complete_once_its_form_is_saved_with_who_is_affected():
    quick = Incident(occurred_at="2026-11-20T16:00:00-08:00", harm_types=["shunning"],
                     quick=True).to_dict()
    assert rules.incident_missing_details(quick) == ("quick", *rules.DETAIL_FIELDS)
    answered = {**quick, "reporter_role": "witness", "affected_age_band": "unknown",
                "affected_language": "yue"}
    assert rules.incident_missing_details(answered) == ("quick",)
    assert rules.incident_complete({**answered, "quick": False})
    other = {**answered, "quick": False, "harm_types": ["other_safety_concern"]}
    assert rules.incident_missing_details(other) == ("harm_other",)
    assert rules.incident_complete({**other, "harm_other": "Blocked the shop door"})


# ---- opening a past stroll ---------------------------------------------------------------------

def test_a_recent_stroll_opens_with_its_numbers_track_check_ins_and_incidents(
        app, walked, demo_store):
    sid, iid, mid = walked
    assert [s["id"] for s in app.strolls][:1] == [sid]
    app.open_past_stroll(sid)
    assert app.screens == ("past_stroll",)
    h = app.history
    assert h.stroll["id"] == sid and h.stroll["status"] == "ended"
    assert h.stroll["distance_m"] > 400 and h.stroll["duration_s"] >= 600
    assert h.stroll["team"][0]["member_id"] in (MEI, ROSA)
    assert h.path[0] == pytest.approx(STOCKTON[0], abs=1e-4)
    assert h.path[-1] == pytest.approx(STOCKTON[-1], abs=1e-4)
    assert 2 <= len(h.path) < len(app.patrol.core.service.track(sid))
    assert h.streets and h.center is not None
    [visit] = h.check_ins
    assert visit["merchant_id"] == mid and visit["status"] == "concern"
    assert visit["merchant_name"] == demo_store.get("merchant", mid)["name"]
    [inc] = h.incidents
    assert inc["id"] == iid and inc["complete"] is False
    assert inc["missing"] == ("quick", *rules.DETAIL_FIELDS)
    assert h.tallies() == {"greetings": 0, "escorts": 0, "cleanups": 0, "referrals": 0}


def test_back_leaves_the_past_stroll_and_forgets_its_track(app, walked):
    app.open_past_stroll(walked[0])
    app.close_screen()
    assert app.screens == () and app.history.stroll is None and app.history.path == []


def test_the_running_strolls_card_opens_its_live_screen(app):
    begin_in_app(app)
    sid = app.patrol.core.stroll_id
    app.screens = ()
    app.load()
    app.open_past_stroll(sid)
    assert app.screens == ("live",) and app.history.stroll is None


def test_a_stroll_walked_on_another_phone_opens_with_its_start_to_end_time(
        app, demo_store, clock):
    start = clock.now() - timedelta(hours=2)
    s = demo_store.save(Stroll(neighborhood_id=SF, route_id=STOCKTON_LOOP,
                               started_at=start.isoformat(),
                               ended_at=(start + timedelta(minutes=75)).isoformat(),
                               status="ended", distance_m=1234.0,
                               team=[{"member_id": None, "name": "Lan", "lead": True},
                                     {"member_id": None, "name": "Tuan", "lead": False}]))
    app.load()
    app.open_past_stroll(s.id)
    h = app.history
    assert h.stroll["duration_s"] == 75 * 60 and h.path == [] and len(h.route) > 1
    assert h.check_ins == [] and h.incidents == []


def test_a_stroll_no_longer_on_the_phone_says_so_and_stays_on_the_tab(app):
    app.open_past_stroll("0190a0a0-0000-7000-8000-000000000000")
    assert app.screens == () and app.history.error == ("error.not_found", {})


def test_a_damaged_track_is_said_not_raised(app, walked, demo_store):
    sid = walked[0]
    chunk = demo_store.track_chunks(sid)[0]
    demo_store.update("track_chunk", chunk["id"], points="\x01broken")
    app.open_past_stroll(sid)
    assert app.screens == () and app.history.error == ("history.unreadable", {})


def test_a_long_track_is_drawn_with_a_bounded_number_of_points():
    # a zig-zag 5,000 fixes long that no tolerance of a few metres smooths away
    fixes = [Fix(37.79 + i * 1e-5, -122.40 + (i % 2) * 3e-4, 1_767_225_600.0 + i, 5.0)
             for i in range(5000)]
    chunks = [{"points": encode_track(fixes[i:i + 200])} for i in range(0, 5000, 200)]
    path = display_path(chunks, [])
    assert 2 <= len(path) <= MAX_DRAWN_POINTS
    assert path[0] == (fixes[0].lat, fixes[0].lon) and path[-1] == pytest.approx(
        (fixes[-1].lat, fixes[-1].lon))
    assert len(decode_track(chunks[0]["points"])) == 200


# ---- completing an incident after the stroll ---------------------------------------------------

def test_a_quick_incident_is_completed_after_the_stroll_with_a_patch_and_shows_complete(
        app, walked, demo_store):
    sid, iid, _ = walked
    app.open_past_stroll(sid)
    app.complete_incident(iid)
    assert app.screens == ("past_stroll", "incident_form")
    report = app.patrol.report
    report.incident_choose("reporter_role", "witness")
    report.incident_choose("affected_age_band", "60_74")
    app.save_incident_form()
    # saved, but their language is still to say
    assert app.screens == ("past_stroll",)
    [inc] = app.history.incidents
    assert inc["complete"] is False and inc["missing"] == ("affected_language",)
    app.complete_incident(iid)
    report.incident_choose("affected_language", "yue")
    app.save_incident_form()
    [inc] = app.history.incidents
    assert inc["complete"] is True and inc["missing"] == ()
    stored = demo_store.get("incident", iid)
    assert stored["quick"] is False and stored["affected_language"] == "yue"
    patches = [payload(e) for e in outbox(demo_store, "incident", "patch")
               if e["record_id"] == iid]
    assert [set(p) for p in patches] == [{"reporter_role", "affected_age_band", "quick"},
                                         {"affected_language"}]


def test_incidents_needing_details_are_listed_across_strolls_until_completed(
        app, walked, clock, svc, demo_store):
    first_sid, first, _ = walked
    clock.advance(3600)
    begin_in_app(app)
    app.patrol.walk.set_position(*STOCKTON[3])
    second = quick_incident(app.patrol)
    app.end_stroll()
    app.close_summary()
    # an incident of a stroll walked on another phone (pulled) is not this phone's to list
    other = demo_store.save(Stroll(neighborhood_id=SF, started_at=clock.now().isoformat(),
                                   team=[{"member_id": None, "name": "A", "lead": False},
                                         {"member_id": None, "name": "B", "lead": False}]))
    demo_store.save(Incident(stroll_id=other.id, occurred_at=clock.now().isoformat(),
                             harm_types=["vandalism"], quick=True,
                             reported_at=clock.now().isoformat()))
    app.load()
    needing = app.history.needing
    assert [i["id"] for i in needing] == [second, first]        # newest first
    assert needing[1]["stroll_started_at"] == demo_store.get("stroll", first_sid)["started_at"]
    # opened from the Patrol tab, no stroll running, no past stroll open
    app.complete_incident(first)
    assert app.screens == ("incident_form",)
    for field, code in (("reporter_role", "ambassador"), ("affected_age_band", "unknown"),
                        ("affected_language", "en")):
        app.patrol.report.incident_choose(field, code)
    app.save_incident_form()
    assert app.screens == ()
    assert [i["id"] for i in app.history.needing] == [second]


def test_a_check_in_of_a_business_the_phone_does_not_hold_still_lists(app, walked, demo_store,
                                                                     clock):
    sid = walked[0]
    demo_store.save(CheckIn(merchant_id="0190a0a0-0000-7000-8000-00000000abcd", stroll_id=sid,
                            at=clock.now().isoformat()))
    app.open_past_stroll(sid)
    assert [v["merchant_name"] for v in app.history.check_ins][-1] == ""


def test_sealed_fields_cannot_be_asked_about(demo_store):
    with pytest.raises(ValueError, match="narrative"):
        demo_store.incidents_missing(["narrative"])
