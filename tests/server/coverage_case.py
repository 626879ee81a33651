"""A small coverage case worked out by hand: two routes, three strolls, two businesses.

Route A runs 240 m east (three pieces of 80 m), route B 160 m north, 500 m north of A
(two pieces of 80 m). Times are in the program's zone (America/Los_Angeles).
- Stroll 1, 3 days ago at 10:00: all of A (its three pieces), a check-in at the bakery.
- Stroll 2, 20 days ago at 19:00: A's first 160 m (pieces 0 and 1), a check-in at the
  bakery.
- Stroll 3, yesterday at 14:00: B's first 80 m; then it crosses A at 120 m from its start,
  going north: a crossing is not a walk of A's middle piece.
So, over the 28 days to today:
- A 0-80 m and A 80-160 m: walked twice (morning and evening), no gap;
- A 160-240 m: once, in the morning: "never after 6 pm";
- B 0-80 m: once, in the afternoon: "never after 6 pm"; B 80-160 m: never walked;
- walked at least once: 320 of 400 m, 80 %;
- the bakery: two check-ins, the last 3 days ago, one in the evening: no gap; the
  tea shop: never.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from stroll.domain.geo import local_scale, walk_fixes

ZONE = ZoneInfo("America/Los_Angeles")
LAT0, LON0 = 37.7900, -122.4100
KY, KX = local_scale(LAT0)


def at_metres(east: float, north: float) -> tuple[float, float]:
    return (LAT0 + north / KY, LON0 + east / KX)


ROUTE_A = [at_metres(0, 0), at_metres(240, 0)]
ROUTE_B = [at_metres(0, 500), at_metres(0, 660)]
BAKERY = at_metres(100, 10)
TEA_SHOP = at_metres(5, 600)


def moment(today: date, days_ago: int, hour: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour), ZONE)


def strolls(today: date) -> list[dict]:
    """Each stroll: its start, its path walked, its check-ins (business key, minutes in)."""
    return [
        {"key": "s1", "start": moment(today, 3, 10), "path": ROUTE_A, "check_ins": ["bakery"]},
        {"key": "s2", "start": moment(today, 20, 19), "path": [at_metres(0, 0),
                                                               at_metres(160, 0)],
         "check_ins": ["bakery"]},
        {"key": "s3", "start": moment(today, 1, 14),
         "path": [at_metres(0, 500), at_metres(0, 580), at_metres(0, 580),
                  at_metres(120, 60), at_metres(120, -50)], "check_ins": []},
    ]


def fixes_of(stroll: dict, seed: int = 1):
    """The stroll's GPS fixes: a fix every 5 m, 1 m of noise, walking pace."""
    path = stroll["path"]
    # s3 jumps from B down to A's crossing: the team rides between (no fixes there)
    if stroll["key"] == "s3":
        start = stroll["start"].timestamp()
        first = walk_fixes(path[:2], start_t=start, seed=seed)
        second = walk_fixes(path[3:], start_t=first[-1].t + 900, seed=seed + 1)
        return first + second
    return walk_fixes(path, start_t=stroll["start"].timestamp(), seed=seed)
