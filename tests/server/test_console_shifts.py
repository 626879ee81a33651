"""Shifts in the console, on a real server with phones signing up: the roster with each
person's languages and lead flag, the staffing gaps (the domain's one rule), a
coordinator moving someone off the waitlist by hand, and the week at a glance."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from stroll.domain import new_id
from conftest import DeviceAuth, make_invite
from test_console_access import member_console


def flags_of(html: str) -> list[str]:
    return re.findall(r'class="flag flag-([a-z_]+)"', html)


@pytest.fixture(scope="module")
def coordinator(live):
    return member_console(live, "coordinator", "shift.planner")


@pytest.fixture(scope="module")
def shift(live, coordinator):
    """A one-place shift next Monday needing a lead and Cantonese."""
    r = coordinator.post("/console/neighborhoods/new", {
        "name": "Roster Town", "bbox.south": "37.79", "bbox.west": "-122.41",
        "bbox.north": "37.80", "bbox.east": "-122.40"})
    assert r.status_code == 303
    hood = next(h for h in live.storage.records_of_type("neighborhood")
                if h["name"] == "Roster Town")
    day = datetime.now().date() + timedelta(days=7 - datetime.now().weekday())
    r = coordinator.post("/console/shifts/new", {
        "title": "Cantonese stroll", "neighborhood_id": hood["id"], "day": day.isoformat(),
        "start": "10:00", "end": "11:30", "capacity": "1", "min_group": "1",
        "needs_lead": "on", "languages_needed": ["yue"], "weeks": "1"})
    assert r.status_code == 303, r.text
    made = next(s for s in live.storage.records_of_type("shift")
                if s["title"] == "Cantonese stroll")
    assert made["languages_needed"] == ["yue"] and made["min_group"] == 1
    made["day"] = day
    return made


def sign_up(live, shift, **member) -> tuple[dict, str]:
    _member, code = make_invite(live.storage, "volunteer", **member)
    r = live.redeem(code)
    assert r.status_code == 201, r.text
    body = r.json()
    phone = DeviceAuth(body["device_id"], body["token"], body["role"], body["member_id"])
    signup = {"id": new_id(), "shift_id": shift["id"], "member_id": phone.member_id,
              "status": "requested", "requested_at": datetime.now().astimezone().isoformat()}
    result = live.send(phone, ("signup", "upsert", signup))["results"][0]
    return signup, result["decision"]["status"]


def test_the_roster_names_each_person_and_the_gaps_the_shift_still_has(live, coordinator,
                                                                         shift):
    page = coordinator.get(f"/console/shifts/{shift['id']}")
    assert flags_of(page.text) == ["below_minimum", "no_lead", "language_missing"]
    assert "Nobody has signed up yet." in page.text
    _first, status = sign_up(live, shift, name="Ana Reyes", languages=["es"])
    assert status == "confirmed"
    page = coordinator.get(f"/console/shifts/{shift['id']}")
    # one person would walk alone: below the smallest group whatever the shift says
    assert flags_of(page.text) == ["below_minimum", "no_lead", "language_missing"]
    assert "Nobody signed up speaks: Cantonese." in page.text
    assert "Ana Reyes" in page.text and "Spanish" in page.text


def test_a_coordinator_moves_a_cantonese_lead_off_the_waitlist_by_hand(live, coordinator,
                                                                       shift):
    signup, status = sign_up(live, shift, name="Wai Keung Lau", languages=["yue", "en"],
                             trained_lead=True)
    assert status == "waitlisted"                                 # the one place is taken
    page = coordinator.get(f"/console/shifts/{shift['id']}")
    assert f'id="confirm-{signup["id"]}"' in page.text
    r = coordinator.post(f"/console/shifts/{shift['id']}/confirm",
                         {"signup_id": signup["id"]})
    assert r.status_code == 303
    assert live.storage.live_record("signup", signup["id"])["status"] == "confirmed"
    page = coordinator.get(f"/console/shifts/{shift['id']}")
    assert flags_of(page.text) == []
    assert 'id="staffing-ok"' in page.text
    assert "Roster: 2 of 1" in page.text                          # past capacity, on purpose


def test_a_phone_cannot_confirm_itself_off_the_waitlist(live, shift):
    signup, status = sign_up(live, shift, name="Eager Volunteer")
    assert status == "waitlisted"
    phone = live.enroll_as(signup["member_id"])
    phone.seq = 0
    result = live.send(phone, ("signup", "upsert", {**signup, "status": "confirmed"}))
    assert result["results"][0]["decision"]["status"] == "waitlisted"
    assert live.storage.live_record("signup", signup["id"])["status"] == "waitlisted"


def test_a_signup_of_another_shift_is_not_confirmed_through_this_one(live, coordinator,
                                                                     shift):
    r = coordinator.post(f"/console/shifts/{shift['id']}/confirm", {"signup_id": new_id()})
    assert r.status_code == 404


def test_the_week_shows_each_day_and_marks_the_shifts_short_of_people(live, coordinator,
                                                                      shift):
    monday = shift["day"]
    r = coordinator.post("/console/shifts/new", {
        "title": "Thin evening", "neighborhood_id": shift["neighborhood_id"],
        "day": (monday + timedelta(days=2)).isoformat(), "start": "18:00", "end": "19:00",
        "capacity": "4", "min_group": "3", "weeks": "1"})
    assert r.status_code == 303
    week = coordinator.get(f"/console/shifts?week={monday.isoformat()}").text
    days = re.findall(r'<section class="day" id="day-([0-9-]+)">', week)
    assert days == [(monday + timedelta(days=i)).isoformat() for i in range(7)]
    cards = re.findall(r'<a class="shift( short)?" id="shift-([0-9a-f-]+)"', week)
    short = {sid for mark, sid in cards if mark}
    thin = next(s for s in live.storage.records_of_type("shift")
                if s["title"] == "Thin evening")
    assert thin["id"] in short and shift["id"] not in short
    assert "1 shift this week is short" in week
    other = coordinator.get(f"/console/shifts?week={(monday + timedelta(days=7)).isoformat()}")
    assert thin["id"] not in other.text


def test_a_meeting_point_is_both_coordinates_or_neither(live, coordinator, shift):
    form = {"title": "Cantonese stroll", "neighborhood_id": shift["neighborhood_id"],
            "day": shift["day"].isoformat(), "start": "10:00", "end": "11:30",
            "capacity": "1", "min_group": "1", "needs_lead": "on",
            "languages_needed": ["yue"]}
    r = coordinator.post(f"/console/shifts/{shift['id']}", {**form, "meeting_lat": "37.7946"})
    assert r.status_code == 422
    assert "Give both the latitude and the longitude of the meeting point" in r.text
    r = coordinator.post(f"/console/shifts/{shift['id']}",
                         {**form, "meeting_lat": "37.7946", "meeting_lon": "-122.4068"})
    assert r.status_code == 303, r.text
    saved = live.storage.live_record("shift", shift["id"])
    assert (saved["meeting_lat"], saved["meeting_lon"]) == (37.7946, -122.4068)


def test_a_check_in_away_from_the_meeting_point_waits_for_a_coordinators_approval(
        live, coordinator, shift):
    far = {"checked_in_at": datetime.now().astimezone().isoformat(timespec="seconds"),
           "check_in_far": True, "check_in_distance_m": 420.0}
    confirmed = [s for s in live.storage.records_where("signup", "shift_id", shift["id"])
                 if s["status"] == "confirmed"]
    signup = confirmed[0]
    phone = live.enroll_as(signup["member_id"])
    phone.seq = 0
    out = live.send(phone, ("signup", "patch", far, signup["id"]))
    assert out["results"][0]["status"] == "applied", out
    page = coordinator.get(f"/console/shifts/{shift['id']}")
    assert "420 m from the meeting point" in page.text
    assert f'id="approve-{signup["id"]}"' in page.text
    r = coordinator.post(f"/console/shifts/{shift['id']}/approve",
                         {"signup_id": signup["id"]})
    assert r.status_code == 303
    saved = live.storage.live_record("signup", signup["id"])
    assert saved["check_in_approved_by"] == coordinator.member["id"]
    assert saved["status"] == "confirmed"                     # the decision stands
    page = coordinator.get(f"/console/shifts/{shift['id']}")
    assert f'id="approve-{signup["id"]}"' not in page.text and "approved" in page.text
    # a sign-up that never checked in has nothing to approve
    r = coordinator.post(f"/console/shifts/{shift['id']}/approve", {"signup_id": new_id()})
    assert r.status_code == 404
