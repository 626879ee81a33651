"""A volunteer's shifts: pure rules shared by the phones and the server.

- ``first_name``: what teammates read of a member's name ("who else is going").
- ``roster_records``: a shift's ``roster`` (counts, leads, languages: every phone) and
  ``shift_team`` (the confirmed members' first names: those members and coordinators),
  from its confirmed members; the server rewrites both when a decision changes them.
- ``overlaps``: two shifts share time (a member is on one shift at a time).
- ``check_in_verdict``: whether a member may check in now, and whether where they are
  is near the meeting point (a check-in away from it counts once a coordinator approves).
- ``hours``: the hours a member served, per month and per year (service-hour letters).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from .geo import distance_m
from .records import Roster, ShiftTeam, parse_time

# Chinese family names of two characters (common in the Chinatowns' families)
_COMPOUND_SURNAMES = ("歐陽", "欧阳", "司徒", "上官", "諸葛", "诸葛", "司馬", "司马", "東方",
                      "东方", "皇甫", "尉遲", "尉迟", "公孫", "公孙", "慕容", "長孫", "长孙",
                      "宇文", "令狐", "端木", "西門", "西门", "夏侯")
# Vietnamese family names, written first: "Nguyễn Văn An" is called An
_VIETNAMESE_SURNAMES = frozenset(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý".split())


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY", "HANGUL SYLLABLE"))


def first_name(name: str) -> str:
    """The name a teammate is called by: the first word of a name written given name
    first ("Mei Ling Chan" -> "Mei"), the last of a Vietnamese name written family name
    first ("Nguyễn Văn An" -> "An"), and a Chinese or Korean name without spaces
    without its family name ("陳小燕" -> "小燕", "歐陽美玲" -> "美玲")."""
    name = " ".join((name or "").split())
    if not name:
        return ""
    words = name.split(" ")
    if len(words) > 1:
        if words[0].lower() in _VIETNAMESE_SURNAMES and len(words) > 2:
            return words[-1]
        return words[0]
    if len(name) >= 3 and all(_is_cjk(c) for c in name):
        cut = 2 if name.startswith(_COMPOUND_SURNAMES) and len(name) >= 4 else 1
        return name[cut:]
    return name


def roster_records(shift_id: str, confirmed: Sequence[Mapping],
                   waitlisted: int) -> tuple[Roster, ShiftTeam]:
    """A shift's roster and team from the member records of its confirmed sign-ups (in
    the order they were confirmed) and the length of its waitlist."""
    spoken: list[str] = []
    for m in confirmed:
        for code in m.get("languages") or ():
            if code not in spoken:
                spoken.append(code)
    roster = Roster(id=shift_id, shift_id=shift_id, confirmed=len(confirmed),
                    waitlisted=waitlisted,
                    leads=sum(1 for m in confirmed if m.get("trained_lead")),
                    languages=spoken)
    team = ShiftTeam(id=shift_id, shift_id=shift_id, going=[
        {"member_id": m["id"], "name": first_name(m.get("name", "")),
         "lead": bool(m.get("trained_lead"))} for m in confirmed])
    return roster, team


def staffing_members(roster: Mapping | None) -> list[dict]:
    """What ``stroll.domain.staffing`` needs of the confirmed members, from a roster
    (a phone holds the counts, not the people): one entry a confirmed member, the
    leads first, the languages spoken given to the first."""
    if not roster:
        return []
    n = int(roster.get("confirmed") or 0)
    leads = int(roster.get("leads") or 0)
    people = [{"trained_lead": i < leads, "languages": []} for i in range(n)]
    if people:
        people[0]["languages"] = list(roster.get("languages") or ())
    return people


def overlaps(a_start: str, a_end: str, b_start: str, b_end: str) -> bool:
    """Whether two spans of time share a moment (touching ends do not)."""
    return parse_time(a_start) < parse_time(b_end) and parse_time(b_start) < parse_time(a_end)


# ---- checking in ---------------------------------------------------------------------------

CHECK_IN_OPENS = timedelta(minutes=30)   # before the start
CHECK_IN_CLOSES = timedelta(minutes=0)   # after the end: check out instead
NEAR_METERS = 150.0                      # from the meeting point, beyond the fix's accuracy
ACCURACY_ALLOWANCE_MAX = 100.0           # a vaguer fix counts this much at most

# verdicts
NEAR, FAR, NO_PLACE, NO_FIX, TOO_EARLY, OVER = (
    "near", "far", "no_meeting_point", "no_fix", "too_early", "over")


@dataclass(frozen=True)
class CheckInVerdict:
    verdict: str                   # one of the verdicts above
    distance_m: float | None = None

    @property
    def allowed(self) -> bool:
        """Whether a check-in may be written now (FAR and NO_FIX ones need approval)."""
        return self.verdict not in (TOO_EARLY, OVER)

    @property
    def needs_approval(self) -> bool:
        return self.verdict in (FAR, NO_FIX)


def check_in_verdict(shift: Mapping, now: datetime,
                     fix: tuple[float, float, float | None] | None) -> CheckInVerdict:
    """May a member check in to ``shift`` at ``now``, from ``fix`` (lat, lon,
    accuracy in metres; None: no position)? From half an hour before the start to the
    end. Near: within ``NEAR_METERS`` of the meeting point plus the fix's accuracy
    (at most ``ACCURACY_ALLOWANCE_MAX``). A shift with no meeting point on the map
    takes any position; no position at all needs a coordinator's approval."""
    start, end = parse_time(shift["starts_at"]), parse_time(shift["ends_at"])
    if now < start - CHECK_IN_OPENS:
        return CheckInVerdict(TOO_EARLY)
    if now > end + CHECK_IN_CLOSES:
        return CheckInVerdict(OVER)
    lat, lon = shift.get("meeting_lat"), shift.get("meeting_lon")
    if fix is None:
        return CheckInVerdict(NO_FIX if lat is not None and lon is not None else NO_PLACE)
    if lat is None or lon is None:
        return CheckInVerdict(NO_PLACE)
    d = distance_m((fix[0], fix[1]), (lat, lon))
    slack = min(fix[2] or 0.0, ACCURACY_ALLOWANCE_MAX)
    return CheckInVerdict(NEAR if d <= NEAR_METERS + slack else FAR, round(d, 1))


# ---- hours ---------------------------------------------------------------------------------

LONGEST_SERVICE = timedelta(hours=12)    # a forgotten check-out counts no more than this


@dataclass(frozen=True)
class Hours:
    by_month: dict[str, float]     # "2026-11" -> hours, newest first
    by_year: dict[str, float]      # "2026" -> hours, newest first
    total: float
    shifts: int                    # shifts counted
    waiting_approval: int          # check-ins away from the meeting point, not approved


def served(signup: Mapping, shift: Mapping) -> timedelta | None:
    """The time a confirmed sign-up served on its shift: from the check-in to the
    check-out (no check-out: the shift's end), at most ``LONGEST_SERVICE``; None when
    it does not count (not confirmed, never checked in, a check-in away from the
    meeting point not approved yet)."""
    if signup.get("status") != "confirmed" or not signup.get("checked_in_at"):
        return None
    if signup.get("check_in_far") and not signup.get("check_in_approved_by"):
        return None
    return _span(signup, shift, parse_time(signup["checked_in_at"]))


def _span(signup: Mapping, shift: Mapping, start: datetime) -> timedelta:
    end = parse_time(signup.get("checked_out_at") or shift["ends_at"])
    return max(timedelta(0), min(end - start, LONGEST_SERVICE))


def hours(pairs: Iterable[tuple[Mapping, Mapping]], tz, now: datetime | None = None) -> Hours:
    """A member's hours from their (sign-up, shift) pairs, by the month and year of
    each check-in in time zone ``tz``. With ``now``, a check-in not checked out yet
    counts once its shift is over (not while it runs: it would count time to come)."""
    months: dict[str, float] = {}
    years: dict[str, float] = {}
    total = 0.0
    counted = waiting = 0
    for signup, shift in pairs:  # what ``served`` counts, each time read once
        if signup.get("status") != "confirmed" or not signup.get("checked_in_at"):
            continue
        if signup.get("check_in_far") and not signup.get("check_in_approved_by"):
            waiting += 1
            continue
        if now is not None and not signup.get("checked_out_at") \
                and parse_time(shift["ends_at"]) > now:
            continue
        start = parse_time(signup["checked_in_at"])
        h = _span(signup, shift, start).total_seconds() / 3600
        when = start.astimezone(tz)
        month, year = f"{when.year:04d}-{when.month:02d}", f"{when.year:04d}"
        months[month] = months.get(month, 0.0) + h
        years[year] = years.get(year, 0.0) + h
        total += h
        counted += 1
    return Hours({k: round(months[k], 2) for k in sorted(months, reverse=True)},
                 {k: round(years[k], 2) for k in sorted(years, reverse=True)},
                 round(total, 2), counted, waiting)
