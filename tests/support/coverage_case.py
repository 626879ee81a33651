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


def write_case(storage, today: date, coordinator_name: str = "Lan Tran") -> dict:
    """The case's program, strolls, tracks, check-ins and one incident (on stroll 1),
    written as the server itself (a browser test's server); ids by name."""
    from datetime import timezone

    from stroll.domain import new_id
    from stroll.domain.geo import encode_track, track_length_m
    from sync import protocol as p
    from sync.server import members
    from sync.server.rules import SERVER

    ids = {k: new_id() for k in ("hood", "A", "B", "bakery", "tea", "coordinator")}
    records = [
        ("member", {"id": ids["coordinator"], "name": coordinator_name, "role": "coordinator"}),
        ("neighborhood", {"id": ids["hood"], "name": "Case Town", "center_lat": LAT0,
                          "center_lon": LON0, "names": {"zh-Hant": "測試區", "vi": "Khu thử"}}),
        ("route", {"id": ids["A"], "neighborhood_id": ids["hood"], "name": "Route A",
                   "names": {"zh-Hant": "甲線"}, "path": [list(pt) for pt in ROUTE_A]}),
        ("route", {"id": ids["B"], "neighborhood_id": ids["hood"], "name": "Route B",
                   "names": {"zh-Hant": "乙線"}, "path": [list(pt) for pt in ROUTE_B]}),
        ("merchant", {"id": ids["bakery"], "neighborhood_id": ids["hood"],
                      "name": "Golden Bakery", "names": {"zh-Hant": "金麵包店"},
                      "lat": BAKERY[0], "lon": BAKERY[1]}),
        ("merchant", {"id": ids["tea"], "neighborhood_id": ids["hood"], "name": "Tea Shop",
                      "names": {"zh-Hant": "茶莊"}, "lat": TEA_SHOP[0], "lon": TEA_SHOP[1]}),
    ]
    for stroll in strolls(today):
        fixes = fixes_of(stroll)
        sid = ids[stroll["key"]] = new_id()
        started = stroll["start"]
        records.append(("stroll", {
            "id": sid, "neighborhood_id": ids["hood"],
            "route_id": ids["B"] if stroll["key"] == "s3" else ids["A"],
            "team": [{"member_id": None, "name": "Mei Lin", "lead": True},
                     {"member_id": None, "name": "Kenji Ito", "lead": False}],
            "started_at": started.isoformat(),
            "ended_at": datetime.fromtimestamp(fixes[-1].t, timezone.utc).isoformat(),
            "status": "ended",
            "distance_m": round(track_length_m([(f.lat, f.lon) for f in fixes]), 1)}))
        for seq, start in enumerate(range(0, len(fixes), 40)):
            part = fixes[start:start + 40]
            records.append(("track_chunk", {
                "id": new_id(), "stroll_id": sid, "seq": seq, "points": encode_track(part),
                "point_count": len(part)}))
        for business in stroll["check_ins"]:
            records.append(("check_in", {
                "id": new_id(), "merchant_id": ids[business], "stroll_id": sid,
                "status": "concern", "at": (started + timedelta(minutes=20)).isoformat(),
                "lat": BAKERY[0], "lon": BAKERY[1]}))
        if stroll["key"] == "s1":
            records.append(("incident", {
                "id": new_id(), "stroll_id": sid, "neighborhood_id": ids["hood"],
                "occurred_at": (started + timedelta(minutes=30)).isoformat(),
                "harm_types": ["verbal_harassment"], "lat": BAKERY[0], "lon": BAKERY[1]}))
    now = datetime.now(timezone.utc)
    entries = [p.PushEntry(i + 1, rtype, data["id"], "upsert", data, members.iso(now))
               for i, (rtype, data) in enumerate(records)]
    results = storage.write_as(SERVER, entries, now)
    assert all(r.status == "applied" for r in results), [r for r in results
                                                           if r.status != "applied"]
    return ids
