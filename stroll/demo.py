"""Demo data: three real neighborhoods with real street geometry, fictitious people
and merchants, a week of shifts and a few past strolls with GPS tracks. Places and shifts
carry their names in Chinese (both scripts) and Vietnamese where those exist
(``names``; assets/demo/README.md says where each comes from).

Reads ``assets/demo/*.json``. Ids are derived from the files' slugs (UUID v5) so
seeding twice gives the same records. Reference data (neighborhoods, routes,
merchants, members, shifts) is written without outbox entries, as if it had come
from the server; the past strolls are this device's own and wait in the outbox.

The demo device is a volunteer's (``DEMO_MEMBER``, Wai Keung Lau: the ``sync.member_id``
setting, unless a member is already set; no sign-in token, so sync still asks to sign
in) with ten weeks of past shifts checked in and out, so My shifts shows upcoming shifts
and service hours from the start.
"""
from __future__ import annotations

import json
import math
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from stroll.domain import CheckIn, Incident, Member, Shift, Signup, Stroll, TrackChunk
from stroll.domain.demo_program import FILES, demo_id, program, rosters
from stroll.domain.geo import Fix, encode_track, track_length_m
from stroll.settings import ASSETS_DIR
from stroll.store import Store

CHUNK_POINTS = 200
DEMO_MEMBER = "sf-wai-keung-lau"   # whose device the demo is (a volunteer)
HISTORY_WEEKS = 10                 # of past shifts, for the hours


def _load(name: str, folder: Path) -> list[dict]:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def walk(path: list[list[float]], start: datetime, rng: random.Random,
         step_m: float = 5.0, speed_mps: float = 1.2) -> list[Fix]:
    """GPS fixes of a walk along ``path``: a fix every ``step_m`` metres, with noise."""
    fixes: list[Fix] = []
    t = start.timestamp()
    for (lat1, lon1), (lat2, lon2) in zip(path, path[1:]):
        seg = track_length_m([(lat1, lon1), (lat2, lon2)])
        n = max(1, int(seg // step_m))
        for i in range(n):
            f = i / n
            jitter_lat = rng.gauss(0, 1.0) / 111_000
            jitter_lon = rng.gauss(0, 1.0) / (111_000 * math.cos(math.radians(lat1)))
            fixes.append(Fix(lat1 + (lat2 - lat1) * f + jitter_lat,
                             lon1 + (lon2 - lon1) * f + jitter_lon,
                             t, rng.choice((4.0, 5.0, 6.0, 8.0))))
            t += seg / n / speed_mps
    fixes.append(Fix(path[-1][0], path[-1][1], t, 5.0))
    return fixes


def track_chunks(stroll_id: str, fixes: list[Fix]) -> list[TrackChunk]:
    chunks = []
    for seq, i in enumerate(range(0, len(fixes), CHUNK_POINTS)):
        part = fixes[i:i + CHUNK_POINTS]
        chunks.append(TrackChunk(
            id=demo_id("track_chunk", f"{stroll_id}:{seq}"), stroll_id=stroll_id, seq=seq,
            points=encode_track(part), point_count=len(part),
            started_at=_iso(part[0].t), ended_at=_iso(part[-1].t)))
    return chunks


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def member_history(files: dict, member_slug: str, today: date, tz,
                   weeks: int = HISTORY_WEEKS) -> tuple[list[Shift], list[Signup]]:
    """The member's past shifts over ``weeks`` weeks before ``today`` (the demo
    program's, as it would have been each week) and their sign-ups, checked in a few
    minutes before the start near the meeting point and out at the end: one checked in
    away from it and approved, the latest away from it and waiting for approval, one
    never checked in."""
    past = program(files, today - timedelta(weeks=weeks), tz, days=7 * weeks)
    member_id = demo_id("member", member_slug)
    shifts = {s.id: s for s in past["shift"]}
    mine = sorted((s for s in past["signup"] if s.member_id == member_id),
                  key=lambda s: shifts[s.shift_id].starts_at)
    coordinator = demo_id("member", "sf-xiaoyan-zhou")
    signups = []
    for i, s in enumerate(mine):
        sh = shifts[s.shift_id]
        start, end = datetime.fromisoformat(sh.starts_at), datetime.fromisoformat(sh.ends_at)
        checked_in = start - timedelta(minutes=5 + i % 7)
        out = end + timedelta(minutes=(i * 3) % 11)
        far = i in (2, len(mine) - 1)
        fields = dict(checked_in_at=checked_in.isoformat(timespec="seconds"),
                      checked_out_at=out.isoformat(timespec="seconds"),
                      check_in_lat=sh.meeting_lat, check_in_lon=sh.meeting_lon,
                      check_in_distance_m=float(12 + i % 30), check_in_far=far,
                      check_in_approved_by=coordinator if i == 2 else None)
        if far:
            fields["check_in_distance_m"] = 420.0
        if i == 5:  # a shift walked without checking in: no hours
            fields = {}
        signups.append(Signup(**{**s.to_dict(), **fields}))
    return [shifts[s.shift_id] for s in mine], signups


def seed(store: Store, today: date | None = None, folder: Path | None = None) -> dict:
    """Fill ``store`` with the demo data. Returns counts per record type."""
    folder = folder or ASSETS_DIR / "demo"
    today = today or date.today()
    tz = datetime.now().astimezone().tzinfo
    rng = random.Random(7)

    files = {name: _load(f"{name}.json", folder) for name in FILES}
    made = program(files, today, tz)
    hoods, routes, merchants = made["neighborhood"], made["route"], made["merchant"]
    members, shifts, signups = made["member"], made["shift"], made["signup"]
    by_hood: dict[str, list[Member]] = {}
    for m in members:
        by_hood.setdefault(m.neighborhood_id, []).append(m)

    past_shifts, past_signups = member_history(files, DEMO_MEMBER, today, tz)
    store.save_many([*hoods, *routes, *merchants, *members, *shifts, *signups,
                     *rosters(made), *past_shifts, *past_signups], outbox=False)
    if not store.get_setting("sync.member_id"):  # the demo phone is a volunteer's
        me = next(m for m in members if m.id == demo_id("member", DEMO_MEMBER))
        store.set_setting("sync.member_id", me.id)
        store.set_setting("sync.member_name", me.name)

    # past strolls: one per route over the last days, walked by two or three members
    own = []
    for i, route in enumerate(routes):
        crew = by_hood.get(route.neighborhood_id, [])
        if len(crew) < 2:
            continue
        day = today - timedelta(days=1 + i % 6)
        start = datetime.combine(day, time(17 + i % 2, 5 * (i % 6)), tz)
        fixes = walk(route.path, start, rng)
        leads = [m for m in crew if m.trained_lead][:1] or crew[:1]
        team = leads + [m for m in crew if m not in leads][: 1 + i % 2]
        sid = demo_id("stroll", route.id)
        chunks = track_chunks(sid, fixes)
        stroll = Stroll(
            id=sid, neighborhood_id=route.neighborhood_id, route_id=route.id,
            team=[{"member_id": m.id, "name": m.name, "lead": m.trained_lead} for m in team],
            started_at=_iso(fixes[0].t), ended_at=_iso(fixes[-1].t), status="ended",
            tallies={"greetings": 8 + i * 3, "escorts": i % 3, "cleanups": 1 + i % 2,
                     "referrals": i % 2},
            distance_m=round(track_length_m([(f.lat, f.lon) for f in fixes]), 1))
        own.append(stroll)
        own.extend(chunks)
        near = [m for m in merchants if m.neighborhood_id == route.neighborhood_id][:2 + i % 2]
        for j, m in enumerate(near):
            own.append(CheckIn(id=demo_id("check_in", f"{sid}:{m.id}"), merchant_id=m.id,
                               stroll_id=sid, status=("all_good", "concern")[j == 1 and i % 3 == 0],
                               note="", language=(m.languages or [None])[0],
                               at=_iso(fixes[min(len(fixes) - 1, (j + 1) * 40)].t),
                               lat=m.lat, lon=m.lon))
        if i % 3 == 1:
            mid = fixes[len(fixes) // 2]
            own.append(Incident(id=demo_id("incident", sid), stroll_id=sid,
                                neighborhood_id=route.neighborhood_id, occurred_at=_iso(mid.t),
                                harm_types=["verbal_harassment"], motivations=["race"],
                                site_type="street", lat=round(mid.lat, 4),
                                lon=round(mid.lon, 4), location_precision="block",
                                reporter_role="ambassador", actions_taken=["checked_on_person",
                                                                           "de_escalated"],
                                quick=True, reported_by=team[0].id, reported_at=_iso(mid.t)))
    store.save_many(own, outbox=True)

    counts: dict[str, int] = {}
    for rec in [*hoods, *routes, *merchants, *members, *shifts, *signups, *past_shifts,
                *past_signups, *own]:
        counts[rec.TYPE] = counts.get(rec.TYPE, 0) + 1
    return counts
