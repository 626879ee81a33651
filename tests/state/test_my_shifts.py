"""My shifts (``MyShifts``, stroll/state/my_shifts.py): the signed-in member's sign-ups
upcoming and past, checking in near the meeting point or anyway, checking out, the hours
per month and year, the day's reminder; and a shift's team on the start form. Against a
real Store file, on a test clock."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import geodesic

from stroll.domain.records import Shift, ShiftTeam, Signup
from stroll.domain.geo import distance_m
from stroll.domain.records import parse_time
from stroll.i18n import Translator
from stroll.state import AppState
from stroll.state.my_shifts import MyShifts

from patrol_helpers import FRIDAY_SHIFT, MEI, ROSA, SF, START, WAI, Clock, outbox, payload

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 20, 16, 0, tzinfo=LA)    # a Friday afternoon
ME, OTHER = "member-me", "member-other"
MEET = (37.7946, -122.4068)                        # Dragon Gate, Grant Ave & Bush St
EN = Translator("en")


def north_of(point, metres: float) -> tuple[float, float]:
    p = geodesic(meters=metres).destination(point, 0)
    return p.latitude, p.longitude


class Program:
    """Shifts and sign-ups as the server sent them (no outbox entries)."""

    def __init__(self, store):
        self.store = store
        self.n = 0

    def shift(self, start: datetime, minutes: int = 90, *, meeting=MEET, **kw) -> dict:
        self.n += 1
        s = Shift(neighborhood_id="n1", title=kw.pop("title", f"Stroll {self.n}"),
                  starts_at=start.isoformat(timespec="minutes"),
                  ends_at=(start + timedelta(minutes=minutes)).isoformat(timespec="minutes"),
                  meeting_point="Dragon Gate", meeting_lat=meeting[0] if meeting else None,
                  meeting_lon=meeting[1] if meeting else None, **kw)
        self.store.save(s, outbox=False)
        return s.to_dict()

    def signup(self, shift: dict, status: str = "confirmed", member: str = ME, **kw) -> str:
        s = Signup(shift_id=shift["id"], member_id=member, status=status,
                   requested_at=kw.pop("requested_at", shift["starts_at"]), **kw)
        self.store.save(s, outbox=False)
        return s.id


@pytest.fixture
def la_clock():
    return Clock(NOW)


@pytest.fixture
def program(store):
    store.set_setting("sync.member_id", ME)
    return Program(store)


@pytest.fixture
def nudges():
    return []


@pytest.fixture
def my(store, program, la_clock, nudges):
    m = MyShifts(store, now=la_clock.now, tz=LA, nudge=lambda: nudges.append(la_clock.now()))
    m.load()
    return m


def said(entry: dict) -> str:
    """The entry's status in English, as the screen says it."""
    p = {k: (EN.time(v) if isinstance(v, datetime) else EN.hours(v) if k == "hours" else v)
         for k, v in entry["params"].items()}
    return EN.t(entry["status"], **{"time" if k == "at" else k: v for k, v in p.items()})


def signup_patches(store) -> list[dict]:
    return [payload(e) for e in outbox(store, "signup", "patch")]


# ---- upcoming and past ----------------------------------------------------------------------


def test_upcoming_are_the_places_held_or_asked_for_soonest_first_past_the_confirmed_newest_first(
        store, program, my):
    yesterday = program.shift(NOW - timedelta(days=1))
    last_week = program.shift(NOW - timedelta(days=7))
    missed = program.shift(NOW - timedelta(days=2))
    tonight = program.shift(NOW + timedelta(hours=3))
    tomorrow = program.shift(NOW + timedelta(days=1))
    sunday = program.shift(NOW + timedelta(days=2))
    monday = program.shift(NOW + timedelta(days=3))
    full = program.shift(NOW + timedelta(days=4))
    program.signup(yesterday, checked_in_at=(NOW - timedelta(days=1)).isoformat(),
                   checked_out_at=(NOW - timedelta(days=1, minutes=-90)).isoformat())
    program.signup(last_week)
    program.signup(missed, "waitlisted", waitlist_position=1)    # never got a place: not past
    program.signup(tonight, "waitlisted", waitlist_position=2)
    program.signup(tomorrow)
    program.signup(sunday, "cancelled", requested_at="2026-11-01T10:00:00-08:00")
    again = program.signup(sunday, "requested", requested_at="2026-11-02T10:00:00-08:00")
    program.signup(monday, "confirmed", member=OTHER)              # someone else's
    program.signup(full, "refused", reason_code="full")
    my.load()

    assert [e["shift"]["id"] for e in my.upcoming] == [tonight["id"], tomorrow["id"], sunday["id"]]
    assert [said(e) for e in my.upcoming] == [
        "Waitlisted #2", "Confirmed", "Requested — waiting for the server"]
    assert my.upcoming[2]["id"] == again                  # the request made after the cancel
    assert [e["shift"]["id"] for e in my.past] == [yesterday["id"], last_week["id"]]
    assert [said(e) for e in my.past] == ["Served 1.5 hr", "Not checked in"]


def test_nobody_signed_in_has_no_shifts(store, la_clock):
    store.set_setting("sync.member_id", None)
    my = MyShifts(store, now=la_clock.now, tz=LA)
    my.load()
    assert not my.signed_in and my.upcoming == [] and my.past == [] and my.hours.total == 0


# ---- checking in and out ------------------------------------------------------------------


def test_a_check_in_near_the_meeting_point_is_written_at_once_and_sync_is_nudged(
        store, program, my, la_clock, nudges):
    shift = program.shift(NOW + timedelta(minutes=10))
    sid = program.signup(shift)
    my.load()
    assert my.upcoming[0]["can_check_in"]
    locate = my.locate
    assert my.check_in(sid)
    assert my.locating == sid and my.locate == locate + 1     # the screen asks the GPS
    assert store.get("signup", sid)["checked_in_at"] is None
    here = north_of(MEET, 60)
    my.located((*here, 8.0))

    got = store.get("signup", sid)
    assert parse_time(got["checked_in_at"]) == NOW
    assert (got["check_in_lat"], got["check_in_lon"]) == here
    assert got["check_in_distance_m"] == pytest.approx(distance_m(here, MEET), abs=0.1)
    assert got["check_in_far"] is False
    assert signup_patches(store) == [{
        "checked_in_at": got["checked_in_at"], "check_in_lat": here[0],
        "check_in_lon": here[1], "check_in_distance_m": got["check_in_distance_m"]}]
    assert nudges == [NOW]
    assert my.notice == ("myshifts.checked_in", {}) and my.locating is None
    e = my.upcoming[0]
    assert not e["can_check_in"] and e["can_check_out"] and not e["waiting_approval"]
    assert said(e) == f"Checked in at {EN.time(NOW)}"


def test_far_from_the_meeting_point_it_asks_first_then_checks_in_for_approval(
        store, program, my, nudges):
    sid = program.signup(program.shift(NOW + timedelta(minutes=10)))
    my.check_in(sid)
    my.located((*north_of(MEET, 420), 5.0))
    assert my.question["signup_id"] == sid and my.question["verdict"] == "far"
    assert round(my.question["distance_m"]) == 420
    assert EN.t("myshifts.far_question", distance=EN.distance(my.question["distance_m"])) == (
        "You are 420 m from the meeting point. Check in anyway? "
        "A coordinator approves it before the hours count.")
    assert store.get("signup", sid)["checked_in_at"] is None and nudges == []

    assert my.confirm_check_in()
    got = store.get("signup", sid)
    assert got["checked_in_at"] and got["check_in_far"] is True
    assert round(got["check_in_distance_m"]) == 420
    assert my.question is None and my.notice == ("myshifts.checked_in_far", {})
    assert my.upcoming[0]["waiting_approval"]
    assert said(my.upcoming[0]).startswith(f"Checked in at {EN.time(NOW)} away from")
    assert len(nudges) == 1


def test_with_no_position_it_asks_too_and_not_now_writes_nothing(store, program, my):
    sid = program.signup(program.shift(NOW + timedelta(minutes=10)))
    my.check_in(sid)
    my.located(None)
    assert my.question["verdict"] == "no_fix" and my.question["distance_m"] is None
    my.dismiss_question()
    assert my.question is None and store.get("signup", sid)["checked_in_at"] is None
    assert signup_patches(store) == []

    my.check_in(sid)
    my.located(None)
    assert my.confirm_check_in()
    got = store.get("signup", sid)
    assert got["check_in_far"] is True and got["check_in_lat"] is None


def test_a_shift_without_a_meeting_point_checks_in_anywhere_without_asking(store, program, my):
    sid = program.signup(program.shift(NOW + timedelta(minutes=10), meeting=None))
    my.check_in(sid)
    my.located((37.80, -122.27, 5.0))
    got = store.get("signup", sid)
    assert got["checked_in_at"] and got["check_in_far"] is False and my.question is None


def test_check_in_before_the_window_opens_is_refused_with_when_it_opens(store, program, my,
                                                                        la_clock):
    shift = program.shift(NOW + timedelta(minutes=45))
    sid = program.signup(shift)
    my.load()
    assert not my.upcoming[0]["can_check_in"]
    locate = my.locate
    assert not my.check_in(sid)
    opens = parse_time(shift["starts_at"]) - timedelta(minutes=30)
    assert my.error == ("myshifts.error.too_early", {"at": opens.astimezone(LA)})
    assert my.locate == locate and my.locating is None
    assert EN.t("myshifts.error.too_early", time=EN.time(opens.astimezone(LA))) == \
        f"Check-in opens at {EN.time(NOW + timedelta(minutes=15))}, half an hour before the start."

    la_clock.advance(15 * 60)                                     # 30 minutes before: open
    assert my.check_in(sid) and my.error is None


def test_a_position_that_arrives_after_the_shift_ended_writes_nothing(store, program, my,
                                                                       la_clock):
    sid = program.signup(program.shift(NOW - timedelta(minutes=80), 90))
    assert my.check_in(sid)
    la_clock.advance(11 * 60)                                     # the end went by meanwhile
    my.located((*MEET, 5.0))
    assert my.error == ("myshifts.error.over", {})
    assert store.get("signup", sid)["checked_in_at"] is None


def test_a_waitlisted_place_cannot_check_in(store, program, my):
    sid = program.signup(program.shift(NOW + timedelta(minutes=10)), "waitlisted",
                         waitlist_position=1)
    my.load()
    assert not my.upcoming[0]["can_check_in"]
    assert not my.check_in(sid)
    assert my.error == ("myshifts.error.not_confirmed", {})


def test_check_out_ends_the_time_served(store, program, my, la_clock, nudges):
    shift = program.shift(NOW + timedelta(minutes=10), 90)
    sid = program.signup(shift)
    my.check_in(sid)
    my.located((*MEET, 5.0))
    la_clock.advance(90 * 60)                                     # 16:00 -> 17:30
    assert my.check_out(sid)
    got = store.get("signup", sid)
    assert parse_time(got["checked_out_at"]) == NOW + timedelta(minutes=90)
    assert signup_patches(store)[-1] == {"checked_out_at": got["checked_out_at"]}
    assert my.notice == ("myshifts.checked_out", {}) and len(nudges) == 2
    assert not my.upcoming[0]["can_check_out"]
    assert not my.check_out(sid)                               # once
    la_clock.advance(60 * 60)                                     # the shift is over
    my.load()
    assert my.past[0]["id"] == sid and said(my.past[0]) == "Served 1.5 hr"
    assert my.hours.by_month == {"2026-11": 1.5}


# ---- hours ------------------------------------------------------------------------------------


def test_hours_per_month_and_year_count_a_far_check_in_only_once_approved(store, program,
                                                                          la_clock):
    def served(start: datetime, minutes: int, **kw):
        shift = program.shift(start, minutes)
        return program.signup(shift, checked_in_at=start.isoformat(),
                              checked_out_at=(start + timedelta(minutes=minutes)).isoformat(),
                              **kw)
    served(datetime(2025, 12, 13, 10, 0, tzinfo=LA), 120)
    served(datetime(2026, 1, 10, 10, 0, tzinfo=LA), 90)
    served(datetime(2026, 11, 7, 10, 0, tzinfo=LA), 60)
    far = served(datetime(2026, 11, 14, 10, 0, tzinfo=LA), 120, check_in_far=True,
                 check_in_distance_m=420.0)
    my = MyShifts(store, now=la_clock.now, tz=LA)
    my.load()
    assert my.hours.by_year == {"2026": 2.5, "2025": 2.0}
    assert my.hours.by_month == {"2026-11": 1.0, "2026-01": 1.5, "2025-12": 2.0}
    assert my.hours.waiting_approval == 1 and my.hours.total == 4.5
    assert said(my.find(far)).startswith("Checked in at") and my.find(far)["waiting_approval"]

    # a coordinator approves it on the console; the next pull brings it
    data = {**store.get("signup", far), "check_in_approved_by": "coordinator-1"}
    store.apply_remote([{"type": "signup", "id": far, "op": "upsert", "data": data}], cursor=7)
    my.load()
    assert my.hours.by_month["2026-11"] == 3.0 and my.hours.by_year["2026"] == 4.5
    assert my.hours.waiting_approval == 0 and said(my.find(far)) == "Served 2 hr"


# ---- the day's reminder -------------------------------------------------------------------


def test_the_reminder_is_the_next_confirmed_or_waitlisted_shift_of_the_day_only(
        store, program, my, la_clock):
    program.signup(program.shift(NOW + timedelta(days=1)))             # tomorrow: not today
    program.signup(program.shift(NOW + timedelta(hours=4)), "requested")  # only asked for
    my.load()
    assert my.today is None
    late = program.shift(NOW + timedelta(hours=3))
    program.signup(late, "waitlisted", waitlist_position=1)
    my.load()
    assert my.today["shift"]["id"] == late["id"] and not my.today["can_check_in"]
    soon = program.shift(NOW + timedelta(minutes=20), 60)
    sid = program.signup(soon)
    my.load()
    assert my.today["shift"]["id"] == soon["id"] and my.today["can_check_in"]
    my.check_in(sid)
    my.located((*MEET, 5.0))
    assert my.today["id"] == sid and my.today["can_check_out"]   # still today's, running
    my.check_out(sid)
    assert my.today["shift"]["id"] == late["id"]                # checked out: the next one
    la_clock.advance(6 * 3600)                                      # the day's shifts are over
    my.load()
    assert my.today is None


def test_the_app_loads_the_reminder_with_its_tabs_and_check_in_opens_my_shifts(store, program,
                                                                               la_clock):
    sid = program.signup(program.shift(NOW + timedelta(minutes=10)))
    app = AppState(store, now=la_clock.now)
    app.load()
    assert app.my_shifts.today["id"] == sid
    app.check_in_to_shift(sid)
    assert app.screens == ("my_shifts",) and app.my_shifts.locating == sid
    app.my_shifts.located((*MEET, 5.0))
    assert store.get("signup", sid)["checked_in_at"]
    app.close_screen()
    assert app.screens == () and app.my_shifts.today["can_check_out"]


# ---- a stroll from a shift: its team from the shift_team record -----------------------------


@pytest.fixture
def volunteer_phone(demo_store):
    """The demo at Friday afternoon, as Wai's phone holds it: his own sign-up for the
    evening shift, the others' only as the shift's team (first names)."""
    for s in demo_store.list("signup", shift_id=FRIDAY_SHIFT):
        demo_store.apply_remote([{"type": "signup", "id": s["id"], "op": "delete"}], cursor=1)
    demo_store.save(Signup(shift_id=FRIDAY_SHIFT, member_id=WAI, status="confirmed",
                           requested_at=START.isoformat()), outbox=False)
    demo_store.save(ShiftTeam(id=FRIDAY_SHIFT, shift_id=FRIDAY_SHIFT, going=[
        {"member_id": MEI, "name": "Mei", "lead": True},
        {"member_id": WAI, "name": "Wai", "lead": True},
        {"member_id": ROSA, "name": "Rosa", "lead": False},
        {"member_id": "member-not-on-this-phone", "name": "Lan", "lead": False}]),
        outbox=False)
    return demo_store


def test_a_stroll_from_a_shift_has_its_team_from_the_shift_team_record(volunteer_phone, ps):
    assert [s["member_id"] for s in volunteer_phone.confirmed_signups(FRIDAY_SHIFT)] == [WAI]
    ps.start.open_start(SF)
    ps.start.choose_shift(FRIDAY_SHIFT)
    assert ps.start.team_ids == [WAI, MEI, ROSA]        # a member this phone lacks: left out
    assert ps.start.lead == WAI                          # the first trained member leads


def test_start_the_stroll_from_my_shifts_links_the_shift(volunteer_phone, app):
    app.start_stroll_for_shift(FRIDAY_SHIFT)
    assert app.screens == ("new_stroll",)
    assert app.patrol.start.neighborhood_id == SF and app.patrol.start.shift_id == FRIDAY_SHIFT
    assert set(app.patrol.start.team_ids) == {WAI, MEI, ROSA}
    app.begin_stroll()
    assert app.screens == ("live",)
    assert app.patrol.core.stroll["shift_id"] == FRIDAY_SHIFT


def test_hours_are_totalled_in_the_zone_the_device_names(monkeypatch):
    from stroll.state.my_shifts import device_zone
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    assert device_zone() == LA
    monkeypatch.setenv("TZ", ":Asia/Ho_Chi_Minh")
    assert device_zone() == ZoneInfo("Asia/Ho_Chi_Minh")
    monkeypatch.setenv("TZ", "Nowhere/Atlantis")     # not a zone: the C library's reading
    assert device_zone().utcoffset(datetime(2026, 1, 1)) is not None
