"""The volunteering rules (stroll/domain/volunteering.py), pure: the first names teammates
read, when and where a check-in counts, and the hours per month and year."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from stroll.domain import volunteering as vol
from stroll.domain.geo import distance_m

LA = ZoneInfo("America/Los_Angeles")
MEET = (37.7946, -122.4068)   # Dragon Gate, Grant Ave & Bush St


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def north_of(point, metres: float) -> tuple[float, float]:
    return point[0] + metres / 111_195, point[1]


# ---- first names ------------------------------------------------------------------------


@pytest.mark.parametrize("name, first", [
    ("Mei Ling Chan", "Mei"),          # given name first
    ("Thanh Nguyen", "Thanh"),         # a Vietnamese name written the American way
    ("Nguyễn Văn An", "An"),           # family name first: called by the last word
    ("陳小燕", "小燕"),                 # a one-character family name
    ("歐陽美玲", "美玲"),               # a two-character family name
    ("  Rosa   Delgado ", "Rosa"),
    ("", ""),
])
def test_first_name_is_what_teammates_call_a_member(name, first):
    assert vol.first_name(name) == first


# ---- checking in -------------------------------------------------------------------------

SHIFT = {"starts_at": iso(at(2026, 11, 20, 17, 30)), "ends_at": iso(at(2026, 11, 20, 19, 0)),
         "meeting_lat": MEET[0], "meeting_lon": MEET[1]}
START = at(2026, 11, 20, 17, 30)


def test_check_in_opens_half_an_hour_before_the_start_and_closes_at_the_end():
    fix = (*MEET, 5.0)
    assert vol.check_in_verdict(SHIFT, START - timedelta(minutes=31), fix).verdict == vol.TOO_EARLY
    assert not vol.check_in_verdict(SHIFT, START - timedelta(minutes=31), fix).allowed
    assert vol.check_in_verdict(SHIFT, START - timedelta(minutes=30), fix).verdict == vol.NEAR
    assert vol.check_in_verdict(SHIFT, at(2026, 11, 20, 19, 0), fix).allowed
    late = vol.check_in_verdict(SHIFT, at(2026, 11, 20, 19, 1), fix)
    assert late.verdict == vol.OVER and not late.allowed


def test_near_the_meeting_point_needs_no_approval_far_from_it_does_with_its_distance():
    near = vol.check_in_verdict(SHIFT, START, (*north_of(MEET, 100), 5.0))
    assert near.verdict == vol.NEAR and near.allowed and not near.needs_approval
    assert near.distance_m == pytest.approx(100, abs=1)
    far = vol.check_in_verdict(SHIFT, START, (*north_of(MEET, 420), 5.0))
    assert far.verdict == vol.FAR and far.allowed and far.needs_approval
    assert far.distance_m == pytest.approx(distance_m(north_of(MEET, 420), MEET), abs=0.1)


def test_a_vague_fix_widens_near_by_its_accuracy_up_to_a_hundred_metres():
    spot = north_of(MEET, 200)
    assert vol.check_in_verdict(SHIFT, START, (*spot, 60.0)).verdict == vol.NEAR
    assert vol.check_in_verdict(SHIFT, START, (*spot, 40.0)).verdict == vol.FAR
    assert vol.check_in_verdict(SHIFT, START, (*north_of(MEET, 260), 500.0)).verdict == vol.FAR


def test_no_position_needs_approval_and_a_shift_without_a_meeting_point_takes_any():
    nofix = vol.check_in_verdict(SHIFT, START, None)
    assert nofix.verdict == vol.NO_FIX and nofix.allowed and nofix.needs_approval
    nowhere = {**SHIFT, "meeting_lat": None, "meeting_lon": None}
    for fix in (None, (37.0, -122.0, 5.0)):
        v = vol.check_in_verdict(nowhere, START, fix)
        assert v.verdict == vol.NO_PLACE and v.allowed and not v.needs_approval


# ---- hours -------------------------------------------------------------------------------


def pair(start: datetime, minutes: int = 90, *, checked_in: datetime | None = None,
         checked_out: datetime | None = None, status: str = "confirmed", far: bool = False,
         approved_by: str | None = None, check_in: bool = True):
    shift = {"starts_at": iso(start), "ends_at": iso(start + timedelta(minutes=minutes))}
    signup = {"status": status, "check_in_far": far, "check_in_approved_by": approved_by,
              "checked_in_at": iso(checked_in or start) if check_in else None,
              "checked_out_at": iso(checked_out) if checked_out else None}
    return signup, shift


def test_hours_are_totalled_per_month_and_per_year_newest_first():
    pairs = [
        pair(at(2025, 12, 6, 10, 0), checked_out=at(2025, 12, 6, 11, 30)),        # 1.5
        pair(at(2025, 12, 31, 22, 0), checked_out=at(2026, 1, 1, 0, 30)),         # 2.5, Dec
        pair(at(2026, 1, 10, 9, 0), 60, checked_out=at(2026, 1, 10, 10, 0)),      # 1
        pair(at(2026, 1, 17, 9, 0), 60),                        # no check-out: the end, 1
        pair(at(2026, 1, 24, 9, 0), 60, status="waitlisted"),   # never confirmed: none
        pair(at(2026, 1, 31, 9, 0), 60, check_in=False),        # never checked in: none
    ]
    h = vol.hours(pairs, LA)
    assert h.by_month == {"2026-01": 2.0, "2025-12": 4.0}
    assert list(h.by_month) == ["2026-01", "2025-12"]
    assert h.by_year == {"2026": 2.0, "2025": 4.0}
    assert h.total == 6.0 and h.shifts == 4 and h.waiting_approval == 0


def test_a_check_in_away_from_the_meeting_point_counts_once_a_coordinator_approves_it():
    far = pair(at(2026, 3, 14, 10, 0), 120, far=True)
    assert vol.hours([far], LA).total == 0
    assert vol.hours([far], LA).waiting_approval == 1
    far[0]["check_in_approved_by"] = "coordinator-1"
    h = vol.hours([far], LA)
    assert (h.total, h.waiting_approval, h.by_month) == (2.0, 0, {"2026-03": 2.0})


def test_a_shift_still_running_counts_once_checked_out_or_over():
    running = pair(at(2026, 4, 4, 10, 0), 120)                    # checked in at 10:00
    assert vol.hours([running], LA, now=at(2026, 4, 4, 11, 0)).total == 0
    assert vol.hours([running], LA, now=at(2026, 4, 4, 12, 0)).total == 2.0
    running[0]["checked_out_at"] = iso(at(2026, 4, 4, 11, 0))
    assert vol.hours([running], LA, now=at(2026, 4, 4, 11, 0)).total == 1.0


def test_a_forgotten_check_out_counts_no_more_than_twelve_hours():
    signup, shift = pair(at(2026, 2, 1, 8, 0), 60, checked_out=at(2026, 2, 2, 8, 0))
    assert vol.served(signup, shift) == vol.LONGEST_SERVICE
    assert vol.hours([(signup, shift)], LA).total == 12.0


def test_hours_are_counted_in_real_time_across_a_daylight_saving_change():
    # 1 November 2026, 2:00 PDT -> 1:00 PST: 00:30 to 03:30 on the clock is four hours
    fall = pair(at(2026, 11, 1, 0, 30), 180,
                checked_out=datetime(2026, 11, 1, 11, 30, tzinfo=timezone.utc))
    assert vol.hours([fall], LA).total == 4.0
    # 8 March 2026, 2:00 PST -> 3:00 PDT: 01:00 to 04:00 on the clock is two hours
    spring = pair(at(2026, 3, 8, 1, 0), 120,
                  checked_out=datetime(2026, 3, 8, 11, 0, tzinfo=timezone.utc))
    assert vol.hours([spring], LA).total == 2.0


def test_a_check_in_counts_in_the_month_of_the_programs_time_zone():
    # 23:30 on 31 October in Los Angeles is already November in UTC
    late = pair(at(2026, 10, 31, 23, 30), 60)
    assert vol.hours([late], LA).by_month == {"2026-10": 1.0}
    assert vol.hours([late], timezone.utc).by_month == {"2026-11": 1.0}
