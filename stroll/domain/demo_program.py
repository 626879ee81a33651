"""The demo program: three real neighborhoods with their routes and merchants, fictitious
members, a week of shifts and their sign-ups, built from the demo files' contents
(``assets/demo/*.json``, read by the caller). The device's demo (``stroll.demo``) and the
server's (``stroll-server seed-demo``) both build it here, so a phone and the console
show the same program with the same ids: ids come from the files' slugs (UUID v5), so
building twice gives the same records.

Pure: the files' contents, the first day and the time zone are handed in.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, tzinfo

from .records import Member, Merchant, Neighborhood, Record, Route, Shift, Signup
from .volunteering import roster_records

_NS = uuid.UUID("6f1c2b1e-93b4-4d8e-9a53-57a0d1c0de00")
FILES = ("neighborhoods", "routes", "merchants", "members", "shift_templates")


def demo_id(kind: str, slug: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{slug}"))


def program(files: dict[str, list[dict]], today: date, tz: tzinfo,
            days: int = 7) -> dict[str, list[Record]]:
    """The demo program's records by type: ``files`` maps each name of ``FILES`` to
    its file's contents; shifts fall on the ``days`` days from ``today``."""
    hoods = [Neighborhood(id=demo_id("neighborhood", n["id"]), name=n["name"], city=n["city"],
                          center_lat=n["center"][0], center_lon=n["center"][1], bbox=n["bbox"],
                          names=n.get("names", {}))
             for n in files["neighborhoods"]]
    routes = [Route(id=demo_id("route", r["id"]),
                    neighborhood_id=demo_id("neighborhood", r["neighborhood_id"]),
                    name=r["name"], description=r.get("description", ""), path=r["path"],
                    names=r.get("names", {}))
              for r in files["routes"]]
    merchants = [Merchant(id=demo_id("merchant", m["id"]),
                          neighborhood_id=demo_id("neighborhood", m["neighborhood_id"]),
                          name=m["name"], category=m.get("category", "other"),
                          address=m.get("address", ""), lat=m["location"][0],
                          lon=m["location"][1], languages=m.get("languages", []),
                          contact_name=m.get("contact_name", ""), notes=m.get("notes", ""),
                          names=m.get("names", {}))
                 for m in files["merchants"]]
    members = [Member(id=demo_id("member", m["id"]), name=m["name"], role=m["role"],
                      neighborhood_id=demo_id("neighborhood", m["neighborhood_id"]),
                      languages=m.get("languages", []), trained_lead=m.get("trained_lead", False),
                      phone=m.get("phone", ""))
               for m in files["members"]]

    route_by_id = {r.id: r for r in routes}
    shifts: list[Shift] = []
    for tpl in files["shift_templates"]:
        for offset in range(days):
            day = today + timedelta(days=offset)
            if day.weekday() != tpl["weekday"]:
                continue
            hh, mm = (int(x) for x in tpl["start"].split(":"))
            route = route_by_id.get(demo_id("route", tpl["route_id"])) \
                if tpl.get("route_id") else None
            meet = tuple(route.path[0]) if route is not None and route.path else None
            start = datetime.combine(day, time(hh, mm), tz)
            shifts.append(Shift(
                id=demo_id("shift", f"{tpl['id']}:{day.isoformat()}"),
                neighborhood_id=demo_id("neighborhood", tpl["neighborhood_id"]),
                route_id=demo_id("route", tpl["route_id"]) if tpl.get("route_id") else None,
                title=tpl["title"], starts_at=start.isoformat(timespec="minutes"),
                ends_at=(start + timedelta(minutes=tpl["duration_minutes"]))
                .isoformat(timespec="minutes"),
                capacity=tpl["capacity"], needs_lead=tpl.get("needs_lead", True),
                meeting_point=tpl.get("meeting_point", ""), names=tpl.get("names", {}),
                meeting_lat=meet[0] if meet else None, meeting_lon=meet[1] if meet else None))

    by_hood: dict[str, list[Member]] = {}
    for m in members:
        by_hood.setdefault(m.neighborhood_id, []).append(m)
    signups = []
    for i, sh in enumerate(shifts):
        crew = by_hood.get(sh.neighborhood_id, [])
        take = min(len(crew), (i % 3) + 1, sh.capacity)
        for m in crew[:take]:
            signups.append(Signup(id=demo_id("signup", f"{sh.id}:{m.id}"), shift_id=sh.id,
                                  member_id=m.id, status="confirmed",
                                  requested_at=sh.starts_at, decided_at=sh.starts_at,
                                  reason_code="place"))

    return {"neighborhood": hoods, "route": routes, "merchant": merchants,
            "member": members, "shift": shifts, "signup": signups}


def rosters(made: dict[str, list]) -> list:
    """Each demo shift's ``roster`` and ``shift_team``, as the server would keep them
    (for the device's demo; the server derives its own from the sign-ups)."""
    members = {m.id: m.to_dict() for m in made["member"]}
    out = []
    for sh in made["shift"]:
        confirmed = [members[s.member_id] for s in made["signup"]
                     if s.shift_id == sh.id and s.status == "confirmed"
                     and s.member_id in members]
        out.extend(roster_records(sh.id, confirmed, 0))
    return out
