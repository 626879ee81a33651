"""Four weeks of the demo program's past patrols, for the server's demo (the console's
maps, coverage, follow-ups and figures have something to show): strolls along the demo
routes at varied hours, their GPS tracks, check-ins with the businesses along the way,
and now and then an incident, some with the person's consent to be contacted.

Gaps on purpose, as a real program has them: one route is only walked in the morning,
one was last walked three weeks ago, some walks stop two thirds of the way along.
Fictitious people; deterministic (the same records for the same days).

Pure: the program's records (``demo_program.program``), the day and the time zone are
handed in.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from .demo_program import demo_id
from .geo import encode_track, local_distance_m, track_length_m, walk_fixes
from .records import CheckIn, Incident, Record, Stroll, TrackChunk

CHUNK = 120          # fixes a track chunk
NEAR_ROUTE_M = 60    # a business this close to a route's corner is checked in with
HOURS = (time(10, 0), time(14, 30), time(18, 30))
HARMS = (["verbal_harassment"], ["shunning"], ["wage_theft"], ["discrimination_housing"],
         ["coughed_spat_on", "verbal_harassment"], ["theft_robbery"],
         ["gender_based_harassment"], ["discrimination_refused_service"])
NEEDS = (["legal"], ["mental_health"], ["labor", "legal"], ["housing"], ["medical"],
         ["victim_compensation"], ["gbv_advocate"], ["interpreter"])
SURVIVORS = (("Mrs. Wong", "yue"), ("Mr. Nguyen", "vi"), ("Ms. Tran", "vi"),
             ("Mr. Chan", "yue"), ("Mrs. Lee", "cmn"), ("Ms. Ortiz", "es"))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat()


def history(made: dict[str, list[Record]], today: date, tz: tzinfo, weeks: int = 4,
            seed: int = 11) -> dict[str, list[Record]]:
    """The past ``weeks`` of patrols (before ``today``), by record type."""
    rng = random.Random(seed)
    routes, merchants, members = made["route"], made["merchant"], made["member"]
    out: dict[str, list[Record]] = {"stroll": [], "track_chunk": [], "check_in": [],
                                    "incident": []}
    count = 0
    for i, route in enumerate(routes):
        crew = [m for m in members if m.neighborhood_id == route.neighborhood_id]
        if len(crew) < 2:
            continue
        nearby = [m for m in merchants if m.neighborhood_id == route.neighborhood_id and
                  min(local_distance_m((m.lat, m.lon), (p[0], p[1])) for p in route.path)
                  <= NEAR_ROUTE_M]
        for back in range(weeks * 7, 0, -1):
            day = today - timedelta(days=back)
            if (back + i) % 3:                  # a walk every third day or so
                continue
            if i == 5 and back < 19:            # this route: not walked in three weeks
                continue
            hour = HOURS[0] if i == 1 else HOURS[(back // 3 + i) % 3]  # route 1: mornings
            start = datetime.combine(day, hour, tz) + timedelta(minutes=rng.randrange(0, 20))
            path = route.path if (back + i) % 4 else route.path[:max(2, len(route.path) * 2 // 3)]
            fixes = walk_fixes(path, step_m=5.0, noise_m=1.5, speed_mps=1.1,
                               start_t=start.timestamp(), seed=rng.randrange(1 << 30))
            slug = f"{route.id}:{day.isoformat()}"
            sid = demo_id("stroll", slug)
            leads = [m for m in crew if m.trained_lead][:1] or crew[:1]
            team = leads + [m for m in crew if m not in leads][: 1 + count % 2]
            out["stroll"].append(Stroll(
                id=sid, neighborhood_id=route.neighborhood_id, route_id=route.id,
                team=[{"member_id": m.id, "name": m.name, "lead": m.trained_lead} for m in team],
                started_at=_iso(fixes[0].t), ended_at=_iso(fixes[-1].t), status="ended",
                tallies={"greetings": rng.randrange(3, 15), "escorts": rng.randrange(0, 3),
                         "cleanups": rng.randrange(0, 2), "referrals": rng.randrange(0, 2)},
                distance_m=round(track_length_m([(f.lat, f.lon) for f in fixes]), 1)))
            for seq, first in enumerate(range(0, len(fixes), CHUNK)):
                part = fixes[first:first + CHUNK]
                out["track_chunk"].append(TrackChunk(
                    id=demo_id("track_chunk", f"{slug}:{seq}"), stroll_id=sid, seq=seq,
                    points=encode_track(part), point_count=len(part),
                    started_at=_iso(part[0].t), ended_at=_iso(part[-1].t)))
            for j, m in enumerate(rng.sample(nearby, min(len(nearby), 3))):
                status = rng.choices(("all_good", "concern", "needs_follow_up"), (8, 2, 1))[0]
                at = fixes[min(len(fixes) - 1, (j + 1) * len(fixes) // 4)].t
                out["check_in"].append(CheckIn(
                    id=demo_id("check_in", f"{slug}:{m.id}"), merchant_id=m.id,
                    stroll_id=sid, status=status, language=(m.languages or [None])[0],
                    at=_iso(at), lat=m.lat, lon=m.lon,
                    note="" if status == "all_good" else "Owner asked us to come back"))
            if count % 4 == 1:
                out["incident"].append(_incident(rng, count, sid, route.neighborhood_id,
                                                 fixes[len(fixes) // 2], team[0].id))
            count += 1
    return out


def _incident(rng: random.Random, n: int, stroll_id: str, hood_id: str, where, reporter: str
              ) -> Incident:
    harms = HARMS[n // 4 % len(HARMS)]
    consent = n // 4 % 2 == 0
    name, language = SURVIVORS[n // 4 % len(SURVIVORS)]
    fields = {}
    if consent:
        fields = dict(consent_contact=True, contact_channel="phone",
                      contact_value=f"+1 415 555 01{10 + n % 80:02d}",
                      contact_language=language, contact_safe_times="Weekday mornings",
                      survivor_name=name, referral_needs=NEEDS[n // 4 % len(NEEDS)],
                      narrative="Told us what happened near the corner; asked for a call "
                                "back in their language.")
    return Incident(
        id=demo_id("incident", stroll_id), stroll_id=stroll_id, neighborhood_id=hood_id,
        occurred_at=_iso(where.t), harm_types=list(harms), site_type="street",
        lat=round(where.lat, 5), lon=round(where.lon, 5),
        location_precision=("exact", "block")[n % 2], reporter_role="ambassador",
        affected_language=language, actions_taken=["checked_on_person"],
        reported_by=reporter, reported_at=_iso(where.t + 300), **fields)
