"""A month of a 30-person program, written into a server's database: what the console's
maps, coverage, dashboard and exports are measured on.

The demo program (``assets/demo``: three neighborhoods, their routes and merchants, the
demo members) and 18 more members (30 in all, names in English, Chinese and
Vietnamese), then a month of strolls along the demo routes:

- each stroll a team of two to four from the neighborhood, at the hours programs walk
  (mostly mornings and afternoons, some evenings: the first route of each neighborhood
  is the only one walked after 6 pm), 45 to 120 minutes at walking pace;
- its GPS track a fix every 3 s (3 to 4 m apart) with about 3 m of jitter, in the
  encoding of ``stroll.domain.geo.encode_track``, in ``TrackChunk`` records of 300
  points; most strolls walk their route's loop, some turn back part way (the last
  quarter of each neighborhood's last route is never walked: coverage has gaps), about
  one in ten leaves the route for a block and comes back;
- check-ins with the neighborhood's merchants during the strolls (statuses mixed, notes
  in the merchant's language) and incidents (harm types, site types, precisions, some
  with consent to be contacted and the survivor's details).

Records are written as the server itself (``storage.write_as(SERVER, ...)``: the same
rules, merge and cursor as a push), 500 entries a write. Deterministic for a seed.

    .venv/bin/python bench/program_month.py --database-url sqlite:////tmp/month.db
    .venv/bin/python bench/program_month.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --points 1000000 --month 2026-11

``fill_month(storage, month_start=date(2026, 11, 1))`` does the same from Python and
returns how many records of each type (and GPS points) it wrote.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stroll.domain import taxonomy as tx  # noqa: E402
from stroll.domain.demo_program import FILES, demo_id, program  # noqa: E402
from stroll.domain.geo import Fix, encode_track, local_scale  # noqa: E402
from stroll.domain.ids import new_id  # noqa: E402
from sync import protocol as p  # noqa: E402
from sync.server.rules import SERVER  # noqa: E402

DEMO = ROOT / "assets" / "demo"
TZ = ZoneInfo("America/Los_Angeles")
CHUNK_POINTS = 300
FIX_EVERY_S = 3
JITTER_M = 3.0
WRITE_BATCH = 500

# the start hour of a stroll and how often (evenings rarer; none at night)
HOURS = {8: 6, 9: 10, 10: 12, 11: 10, 12: 8, 13: 8, 14: 9, 15: 9, 16: 8, 17: 7,
         18: 6, 19: 4, 20: 2}
EVENING = 18

# the 18 members beyond the demo's twelve: (name, role, neighborhood slug, languages)
MORE_MEMBERS = [
    ("陳美玲", "volunteer", "sf-chinatown", ["yue", "zh-Hant"]),
    ("黃志明", "volunteer", "sf-chinatown", ["yue", "en"]),
    ("Kevin Louie", "volunteer", "sf-chinatown", ["en", "yue"]),
    ("李秀英", "ambassador", "sf-chinatown", ["yue", "cmn"]),
    ("Rosa Martínez", "volunteer", "sf-chinatown", ["es", "en"]),
    ("伍家豪", "volunteer", "sf-chinatown", ["yue"]),
    ("梁少芬", "volunteer", "oakland-chinatown", ["yue", "en"]),
    ("Trần Văn Hùng", "volunteer", "oakland-chinatown", ["vi", "en"]),
    ("Darnell Brooks", "ambassador", "oakland-chinatown", ["en"]),
    ("鄧麗華", "volunteer", "oakland-chinatown", ["yue", "zh-Hant"]),
    ("Sokha Chhim", "volunteer", "oakland-chinatown", ["km", "en"]),
    ("Amy Tsang", "coordinator", "oakland-chinatown", ["en", "yue"]),
    ("Nguyễn Thị Lan", "volunteer", "seattle-little-saigon", ["vi"]),
    ("Phạm Minh Tuấn", "ambassador", "seattle-little-saigon", ["vi", "en"]),
    ("Lê Thu Hà", "volunteer", "seattle-little-saigon", ["vi", "en"]),
    ("Võ Quốc Bảo", "volunteer", "seattle-little-saigon", ["vi"]),
    ("Maria Santos", "volunteer", "seattle-little-saigon", ["tl", "en"]),
    ("Jenny Huỳnh", "coordinator", "seattle-little-saigon", ["vi", "en"]),
]

CHECK_IN_NOTES = {
    "all_good": {"en": "All quiet, owner says thanks.", "yue": "一切平安，老闆多謝大家。",
                 "vi": "Mọi thứ ổn, chủ tiệm cảm ơn."},
    "concern": {"en": "Someone shouting at customers earlier.",
                "yue": "今朝有人喺門口大嗌。", "vi": "Sáng nay có người la hét trước cửa."},
    "needs_follow_up": {"en": "Broken window, wants help with the report.",
                        "yue": "窗門被打爛，想要幫手報案。",
                        "vi": "Cửa kính bị vỡ, cần giúp làm báo cáo."},
}
NARRATIVES = {
    "en": "A man followed her from the bus stop shouting slurs, then spat at her.",
    "yue": "佢喺巴士站被一個男人跟住，對住佢講難聽嘅說話，之後仲吐口水。",
    "vi": "Một người đàn ông đi theo bà từ trạm xe buýt, chửi bới rồi nhổ nước bọt.",
    "es": "Un hombre la siguió desde la parada gritando insultos.",
}
SURVIVORS = ["黃婆婆", "Mrs. Nguyễn", "陳先生", "Bà Lê Thị Mai", "Mr. Wong", "Señora López",
             "張太太", "Anh Tuấn"]
SAFE_TIMES = ["平日上午十點後", "Sau 5 giờ chiều", "Weekday mornings", "Sábados por la tarde"]


def demo_files() -> dict[str, list[dict]]:
    return {name: json.loads((DEMO / f"{name}.json").read_text(encoding="utf-8"))
            for name in FILES}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, TZ).isoformat(timespec="seconds")


# ---- walks --------------------------------------------------------------------------------


def _cumulative_m(path: np.ndarray) -> np.ndarray:
    """Metres along ``path`` (an (n, 2) array of lat, lon) at each vertex."""
    ky, kx = local_scale(float(path[0, 0]))
    d = np.hypot(np.diff(path[:, 0]) * ky, np.diff(path[:, 1]) * kx)
    return np.concatenate([[0.0], np.cumsum(d)])


def _detour(path: list[list[float]], rng: random.Random) -> list[list[float]]:
    """``path`` with a detour off the route: at one vertex, a block (80-150 m) off to the
    side and back."""
    i = rng.randrange(1, len(path) - 1)
    (lat1, lon1), (lat2, lon2) = path[i - 1], path[i]
    ky, kx = local_scale(lat2)
    dy, dx = (lat2 - lat1) * ky, (lon2 - lon1) * kx
    norm = math.hypot(dy, dx) or 1.0
    off = rng.uniform(80, 150) * rng.choice((-1, 1))
    side = [lat2 + (-dx / norm) * off / ky, lon2 + (dy / norm) * off / kx]
    return [*path[:i + 1], side, *path[i:]]


def stroll_path(route: list[list[float]], rng: random.Random, *, cut: float | None,
                off_route: bool) -> list[list[float]]:
    """The vertices one lap of a stroll follows: the loop, or out along it to a point
    and back (``cut``: the share of the route's vertices reached)."""
    path = [list(v) for v in route]
    if cut is not None:
        k = max(2, int(len(path) * cut))
        out = path[:k]
        path = out + out[-2::-1]
    if off_route and len(path) > 3:
        path = _detour(path, rng)
    return path


def walk(path: list[list[float]], start_ts: float, seconds: float, rng: random.Random,
         nprng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A walk of ``seconds`` along ``path``, lap after lap: lat, lon and time arrays of
    a fix every ``FIX_EVERY_S`` s with ``JITTER_M`` of noise."""
    vertices = np.asarray(path, dtype=float)
    along = _cumulative_m(vertices)
    lap = along[-1]
    n = max(2, int(seconds // FIX_EVERY_S))
    speed = rng.uniform(1.1, 1.4)
    dist = np.arange(n) * FIX_EVERY_S * speed
    dist += nprng.normal(0, 0.3, n).cumsum() * 0.1     # a pace that wanders a little
    dist = np.clip(dist, 0, None) % lap if lap > 0 else np.zeros(n)
    lat = np.interp(dist, along, vertices[:, 0])
    lon = np.interp(dist, along, vertices[:, 1])
    ky, kx = local_scale(float(vertices[0, 0]))
    lat += nprng.normal(0, JITTER_M, n) / ky
    lon += nprng.normal(0, JITTER_M, n) / kx
    t = start_ts + np.arange(n) * FIX_EVERY_S
    return lat, lon, t


def chunks_of(stroll_id: str, lat: np.ndarray, lon: np.ndarray, t: np.ndarray,
              acc: np.ndarray) -> list[dict]:
    out = []
    lat_l, lon_l, t_l, acc_l = lat.tolist(), lon.tolist(), t.tolist(), acc.tolist()
    for seq, i in enumerate(range(0, len(lat_l), CHUNK_POINTS)):
        j = min(i + CHUNK_POINTS, len(lat_l))
        fixes = list(map(Fix, lat_l[i:j], lon_l[i:j], t_l[i:j], acc_l[i:j]))
        out.append({"id": new_id(), "stroll_id": stroll_id, "seq": seq,
                    "points": encode_track(fixes), "point_count": j - i,
                    "started_at": iso(t_l[i]), "ended_at": iso(t_l[j - 1])})
    return out


# ---- the month ------------------------------------------------------------------------------


class Writer:
    """Entries written as the server, ``WRITE_BATCH`` at a time."""

    def __init__(self, storage):
        self.storage = storage
        self.pending: list[tuple[str, dict]] = []
        self.counts: dict[str, int] = {}
        self.now = datetime.now(timezone.utc)

    def add(self, rtype: str, data: dict) -> None:
        self.pending.append((rtype, data))
        self.counts[rtype] = self.counts.get(rtype, 0) + 1
        if len(self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        stamp = self.now.isoformat()
        entries = [p.PushEntry(i + 1, rtype, data["id"], "upsert", data, stamp)
                   for i, (rtype, data) in enumerate(self.pending)]
        for result in self.storage.write_as(SERVER, entries, self.now):
            if result.status != "applied":
                raise RuntimeError(f"writing the month failed: {result}")
        self.pending = []


def _incident(rng: random.Random, hood_id: str, stroll: dict, at: float, lat: float,
              lon: float, reporter: str) -> dict:
    harms = rng.sample(tx.HARM_TYPES, rng.choice((1, 1, 1, 2)))
    lang = rng.choice(("yue", "yue", "vi", "en", "es", "cmn"))
    data = {"id": new_id(), "stroll_id": stroll["id"], "neighborhood_id": hood_id,
            "occurred_at": iso(at), "time_approximate": rng.random() < 0.2,
            "harm_types": harms, "site_type": rng.choice(("street", "street", "business",
                                                          "transit", "park")),
            "lat": round(lat, 6), "lon": round(lon, 6),
            "location_precision": rng.choice(("exact", "exact", "block", "neighborhood")),
            "motivations": rng.sample(tx.MOTIVATIONS, rng.choice((0, 1, 2))),
            "reporter_role": rng.choice(tx.REPORTER_ROLES),
            "affected_age_band": rng.choice(tx.AGE_BANDS),
            "affected_language": lang, "needs_interpreter": lang not in ("en",),
            "police_involved": rng.choice(tx.POLICE_INVOLVEMENT),
            "actions_taken": rng.sample(tx.ACTIONS_TAKEN[:5], rng.choice((1, 2))),
            "reported_by": reporter, "reported_at": iso(at + rng.randint(60, 1800)),
            "narrative": NARRATIVES.get(lang, NARRATIVES["en"]),
            "narrative_language": lang if lang in NARRATIVES else "en",
            "referral_needs": rng.sample(tx.REFERRAL_NEEDS, rng.choice((0, 1, 2)))}
    if "other_safety_concern" in harms:
        data["harm_other"] = "Blocked the shop door and would not leave"
    if rng.random() < 0.35:   # consented to be contacted: the survivor's details
        channel = rng.choice(("phone", "text", "in_person"))
        data.update(consent_contact=True, contact_channel=channel,
                    contact_value="" if channel == "in_person"
                    else f"+1 415 555 01{rng.randint(0, 99):02d}",
                    contact_language=lang, contact_safe_times=rng.choice(SAFE_TIMES),
                    survivor_name=rng.choice(SURVIVORS))
    return data


def fill_month(storage, *, month_start: date, people: int = 30, points: int = 1_000_000,
               check_ins: int = 3000, incidents: int = 300, seed: int = 7) -> dict:
    """Write a month of a ``people``-person program from ``month_start`` (a day, in the
    program's time zone) into ``storage``: the demo places, the members, strolls with
    ``points`` GPS points in all, about ``check_ins`` check-ins and ``incidents``
    incidents. How many of each type were written, and ``points``."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    made = program(demo_files(), month_start, TZ, days=0)
    w = Writer(storage)
    for rtype in ("neighborhood", "route", "merchant"):
        for rec in made[rtype]:
            w.add(rtype, rec.to_dict())
    members = [m.to_dict() for m in made["member"]]
    for name, role, hood, langs in MORE_MEMBERS:
        members.append({"id": demo_id("member", f"month:{name}"), "name": name,
                        "role": role, "neighborhood_id": demo_id("neighborhood", hood),
                        "languages": langs, "trained_lead": role != "volunteer"})
    members = members[:people]
    for m in members:
        w.add("member", m)
    w.flush()   # the places and people before what refers to them

    hoods = [h.id for h in made["neighborhood"]]
    routes = {h: [r for r in made["route"] if r.neighborhood_id == h] for h in hoods}
    merchants = {h: [m for m in made["merchant"] if m.neighborhood_id == h] for h in hoods}
    crew = {h: [m for m in members if m["neighborhood_id"] == h] for h in hoods}
    hours, weights = list(HOURS), list(HOURS.values())
    days = (date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
            - month_start).days

    # the strolls: chosen first (how long each is), so the points come out as asked
    plans = []
    total = 0
    while total < points:
        hood = rng.choice([h for h in hoods if len(crew[h]) >= 2])
        hour = rng.choices(hours, weights)[0]
        options = routes[hood] if hour < EVENING else routes[hood][:1]
        route_i = rng.randrange(len(options))
        minutes = rng.choice((45, 60, 60, 75, 90, 90, 120))
        n = minutes * 60 // FIX_EVERY_S
        if total + n > points:
            n = max(2, points - total)
        total += n
        day = month_start + timedelta(days=rng.randrange(days))
        start = datetime(day.year, day.month, day.day, hour, rng.choice((0, 15, 30, 45)),
                         tzinfo=TZ)
        plans.append((hood, route_i, options[route_i], start, n))
    plans.sort(key=lambda plan: plan[3])
    ci_each = check_ins / len(plans)
    inc_each = incidents / len(plans)
    ci_left, inc_left = check_ins, incidents
    written_points = 0
    acc_choices = np.array([4.0, 5.0, 6.0, 8.0, 10.0])
    for k, (hood, route_i, route, start, n) in enumerate(plans):
        last_route = route_i == len(routes[hood]) - 1 and len(routes[hood]) > 1
        cut = rng.uniform(0.45, 0.75) if last_route else (
            rng.uniform(0.5, 0.9) if rng.random() < 0.25 else None)
        path = stroll_path(route.path, rng, cut=cut, off_route=rng.random() < 0.1)
        start_ts = start.timestamp()
        lat, lon, t = walk(path, start_ts, n * FIX_EVERY_S, rng, nprng)
        acc = nprng.choice(acc_choices, len(lat))
        team = rng.sample(crew[hood], min(len(crew[hood]), rng.choice((2, 2, 3, 4))))
        end_ts = float(t[-1])
        stroll = {"id": new_id(), "neighborhood_id": hood, "route_id": route.id,
                  "team": [{"member_id": m["id"], "name": m["name"], "lead": i == 0}
                           for i, m in enumerate(team)],
                  "started_at": iso(start_ts), "ended_at": iso(end_ts), "status": "ended",
                  "tallies": {"greetings": rng.randint(5, 60), "escorts": rng.randint(0, 3),
                              "cleanups": rng.randint(0, 4), "referrals": rng.randint(0, 2)},
                  "distance_m": round(float(len(lat) * FIX_EVERY_S * 1.25), 1)}
        w.add("stroll", stroll)
        for chunk in chunks_of(stroll["id"], lat, lon, t, acc):
            w.add("track_chunk", chunk)
        written_points += len(lat)
        # check-ins and incidents: spread so the totals come out as asked
        remaining = len(plans) - k
        for _ in range(_share(rng, ci_each, ci_left, remaining)):
            ci_left -= 1
            m = rng.choice(merchants[hood])
            at = rng.uniform(start_ts, end_ts)
            status = rng.choices(tx.CHECK_IN_STATUS, (80, 14, 6))[0]
            lang = next((x for x in m.languages if x in ("yue", "vi")), "en")
            w.add("check_in", {"id": new_id(), "merchant_id": m.id, "stroll_id": stroll["id"],
                               "status": status, "at": iso(at), "language": lang,
                               "note": CHECK_IN_NOTES[status][lang] if rng.random() < 0.4
                               or status != "all_good" else "",
                               "lat": m.lat, "lon": m.lon})
        for _ in range(_share(rng, inc_each, inc_left, remaining)):
            inc_left -= 1
            i = rng.randrange(len(lat))
            w.add("incident", _incident(rng, hood, stroll, float(t[i]), float(lat[i]),
                                        float(lon[i]), team[0]["id"]))
    w.flush()
    return {**w.counts, "points": written_points}


def _share(rng: random.Random, each: float, left: int, remaining: int) -> int:
    """How many of ``left`` things fall on this stroll (``remaining`` strolls to go,
    this one included): about ``each``, all that is left on the last."""
    if remaining <= 1:
        return max(0, left)
    n = int(each) + (1 if rng.random() < each - int(each) else 0)
    return max(0, min(left, n))


def run_each_backend(doc: str, run_backend, *, runs_help: str, argv=None):
    """The month benches' command line (``--backend``, ``--points``, ``--runs``,
    ``--pg-url``) and ``run_backend(url, tmp, name, points, runs)`` on each backend
    chosen, each in a scratch database: ``(args, {backend: its result})``."""
    import tempfile

    from tests.support.databases import PG_URL, scratch_database

    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3, help=runs_help)
    ap.add_argument("--pg-url", default=PG_URL)
    args = ap.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = {}
    with tempfile.TemporaryDirectory(prefix="stroll-month-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for backend in backends:
            with scratch_database(backend, tmp, args.pg_url, "month.db") as url:
                results[backend] = run_backend(url, tmp, backend, args.points, args.runs)
    return args, results


def main(argv: list[str] | None = None) -> int:
    from sync.server.storage import open_storage

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True,
                    help="sqlite:////path/file.db or postgresql://user@host/db")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--check-ins", type=int, default=3000)
    ap.add_argument("--incidents", type=int, default=300)
    ap.add_argument("--people", type=int, default=30)
    ap.add_argument("--month", default=None, help="YYYY-MM (default: last month)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    if args.month:
        year, month = (int(x) for x in args.month.split("-"))
    else:
        today = datetime.now(TZ).date().replace(day=1) - timedelta(days=1)
        year, month = today.year, today.month
    storage = open_storage(args.database_url, pool_size=2, sqlite_synchronous="NORMAL")
    try:
        t0 = time.perf_counter()
        counts = fill_month(storage, month_start=date(year, month, 1), people=args.people,
                            points=args.points, check_ins=args.check_ins,
                            incidents=args.incidents, seed=args.seed)
        took = time.perf_counter() - t0
    finally:
        storage.close()
    print(f"{year}-{month:02d}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items())
          + f" in {took:.1f} s ({counts['points'] / took:,.0f} points/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
