"""A stroll walked and ended on a device's database, as a team would leave it: for the
tests and the benchmarks that reopen past strolls (tests/e2e, tests/sync, bench/).

``walk_and_end(store, ...)`` starts a stroll in SF Chinatown with two of its members,
walks ``fixes`` (a GPS track), checks in with a merchant, logs one quick incident and
ends the stroll, all through the patrol service on a clock that starts ``ago`` before
now, so the stroll is over by the time the app shows it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from stroll.demo import demo_id
from stroll.domain.geo import Fix, walk_fixes
from stroll.patrol import PatrolService

SF = demo_id("neighborhood", "sf-chinatown")
# Stockton St, SF Chinatown, Broadway to Sacramento St (real intersections).
STOCKTON = [(37.797628, -122.408619), (37.796704, -122.408431), (37.795824, -122.408253),
            (37.794941, -122.408079), (37.79406, -122.407903), (37.793178, -122.407727)]


@dataclass
class Walked:
    stroll_id: str
    incident_id: str
    check_in_id: str
    merchant_id: str
    points: int


class _Clock:
    def __init__(self, start: datetime):
        self.dt = start

    def __call__(self) -> datetime:
        return self.dt


def stockton_fixes(n: int | None = None, start_t: float = 0.0, seed: int = 7) -> list[Fix]:
    """A walk up Stockton St (~5 m a fix); ``n``: that many fixes, walking the street
    up and down again as often as it takes."""
    fixes = walk_fixes(STOCKTON, step_m=5.0, noise_m=1.0, seed=seed, start_t=start_t)
    if n is None:
        return fixes
    out: list[Fix] = []
    leg, t = 0, start_t
    while len(out) < n:
        path = STOCKTON if leg % 2 == 0 else STOCKTON[::-1]
        for f in walk_fixes(path, step_m=5.0, noise_m=1.0, seed=seed + leg, start_t=t)[:-1]:
            out.append(f)
        t = out[-1].t + 4.0
        leg += 1
    return out[:n]


def grid_fixes(n: int, start_t: float = 0.0, seed: int = 1, step_m: float = 3.0,
               dt: float = 2.0) -> list[Fix]:
    """``n`` fixes of a walk on SF Chinatown's street grid from Stockton St & Broadway,
    turning every ~100 m, with GPS noise: a track with many corners to keep."""
    import math
    import random
    rng = random.Random(seed)
    lat, lon = STOCKTON[0]
    t, heading, out = start_t, 180, []
    for i in range(n):
        if i % 35 == 0:
            heading = rng.choice((0, 90, 180, 270))
        r = math.radians(heading)
        lat += (step_m * math.cos(r) + rng.gauss(0, 0.7)) / 111_000
        lon += (step_m * math.sin(r) + rng.gauss(0, 0.7)) / 87_900
        t += dt
        out.append(Fix(lat, lon, t, rng.choice((4.0, 5.0, 6.0, 8.0))))
    return out


def walk_and_end(store, *, points: int | None = None, ago: timedelta = timedelta(hours=3),
                 harm: str = "verbal_harassment", grid: bool = False) -> Walked:
    """Walk, check in, log a quick incident and end a stroll on ``store``: up Stockton
    St (``points``: until that many are recorded, up and down again), or on the
    street grid (``grid``)."""
    clock = _Clock(datetime.now().astimezone() - ago)
    svc = PatrolService(store, clock)
    team = [{"member_id": m["id"], "name": m["name"], "lead": i == 0}
            for i, m in enumerate(store.members(SF)[:2])]
    started = svc.start_stroll(SF, team=team).stroll
    # ``points``: that many recorded (the jitter filter drops a few of the fixes)
    more = None if points is None else points * 3 // 2
    fixes = (grid_fixes(more or 500, start_t=clock.dt.timestamp()) if grid
             else stockton_fixes(more, start_t=clock.dt.timestamp()))
    recorded = i = 0
    while i < len(fixes) and (points is None or recorded < points):
        batch = 500 if points is None else min(500, points - recorded)
        recorded += svc.add_fixes(started.id, fixes[i:i + batch]).kept  # as the GPS streams
        i += batch
    clock.dt = datetime.fromtimestamp(fixes[min(i, len(fixes)) - 1].t).astimezone()
    door = store.merchants(SF)[0]
    visit = svc.check_in(door["id"], "concern", position=(door["lat"], door["lon"]))
    mid = fixes[len(fixes) // 2]
    incident = svc.quick_incident([harm], (mid.lat, mid.lon), ["checked_on_person"],
                                  "Shouting at an elder by the bus stop")
    clock.dt += timedelta(minutes=2)
    svc.end_stroll(started.id)
    return Walked(started.id, incident.id, visit.id, door["id"], recorded)


__all__ = ["walk_and_end", "stockton_fixes", "grid_fixes", "Walked", "SF", "STOCKTON"]
