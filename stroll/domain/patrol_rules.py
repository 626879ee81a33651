"""Rules of a patrol on the street: who may start a stroll, what a quick incident
needs, when an incident's details are complete, how precise a stored location may
be, merchants by distance, tallies.

Pure functions, no I/O. A rule that is broken raises ``ValidationError`` naming the
field and the reason; advice that must not block the team (no trained lead) comes
back as a ``RuleWarning`` with a code the UI translates (``warning.<code>`` in the
locale catalogs); no sentence a person reads lives here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as _field
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

from . import taxonomy as tx
from .errors import ValidationError
from .geo import Fix, LatLon, distance_m

MIN_TEAM = 2                       # buddy rule: nobody strolls alone
CHUNK_POINTS = 200                 # GPS fixes per sealed TrackChunk
PRECISION_CELL_M = {"exact": None, "block": 100.0, "neighborhood": 1000.0}
_PRECISION_RANK = {"exact": 0, "block": 1, "neighborhood": 2}


@dataclass(frozen=True)
class RuleWarning:
    """Advice for the team that does not block the action. ``code`` is a catalog key."""
    code: str
    field: str | None = None
    params: dict = _field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, "field": self.field, "params": dict(self.params)}


# ---- team and buddy rule -------------------------------------------------------

MAX_NAME = 80  # characters of a person's name on a team


def check_team(team: Any, members: Mapping[str, Mapping]) -> tuple[list[dict], list[RuleWarning]]:
    """Validate and normalize a stroll's team.

    ``team`` is a list of ``{"member_id": id | None, "name": str, "lead": bool}``
    (``member_id`` None for a guest); ``members`` maps known member ids to member
    records. Returns the normalized team and the warnings. Raises
    ``ValidationError`` on field ``team`` when the buddy rule is broken, a person
    has no name, a member id is unknown or listed twice.
    """
    if not isinstance(team, (list, tuple)):
        raise ValidationError("stroll", "team", "must be a list of people")
    out: list[dict] = []
    seen: set[str] = set()
    guests: set[str] = set()
    for i, person in enumerate(team):
        if not isinstance(person, Mapping):
            raise ValidationError("stroll", "team", f"person {i} is not a mapping")
        mid = person.get("member_id") or None
        name = str(person.get("name") or "").strip()
        if mid is not None:
            member = members.get(mid)
            if member is None:
                raise ValidationError("stroll", "team", f"person {i}: unknown member id {mid}")
            if mid in seen:
                raise ValidationError("stroll", "team", f"member {mid} is listed twice")
            seen.add(mid)
            name = name or str(member.get("name") or "").strip()
        if not name:
            raise ValidationError("stroll", "team", f"person {i} has no name")
        if len(name) > MAX_NAME:
            raise ValidationError("stroll", "team", f"person {i}: a name is longer than "
                                  f"{MAX_NAME} characters")
        if mid is None:  # two guests of one name would be one person said twice
            if name.casefold() in guests:
                raise ValidationError("stroll", "team", f"guest {name!r} is listed twice")
            guests.add(name.casefold())
        out.append({"member_id": mid, "name": name, "lead": bool(person.get("lead", False))})
    if len(out) < MIN_TEAM:
        raise ValidationError(
            "stroll", "team",
            f"a stroll needs at least {MIN_TEAM} people (buddy rule), got {len(out)}")
    return out, team_warnings(out, members)


def team_warnings(team: Sequence[Mapping], members: Mapping[str, Mapping]) -> list[RuleWarning]:
    def trained(p):
        m = members.get(p.get("member_id") or "")
        return bool(m and m.get("trained_lead"))

    warnings: list[RuleWarning] = []
    if not any(trained(p) for p in team):
        warnings.append(RuleWarning("no_trained_lead", "team"))
    else:
        for p in team:
            if p.get("lead") and not trained(p):
                warnings.append(RuleWarning("lead_not_trained", "team", {"name": p["name"]}))
    return warnings


# ---- positions and precision ---------------------------------------------------

def as_latlon(position: Any, record_type: str = "incident",
              field_name: str = "location") -> LatLon | None:
    """A position from GPS (``Fix``), a map tap (``(lat, lon)``) or a mapping with
    ``lat``/``lon``; None when there is none. Raises on a malformed one."""
    if position is None:
        return None
    if isinstance(position, Fix):
        lat, lon = position.lat, position.lon
    elif isinstance(position, Mapping):
        lat, lon = position.get("lat"), position.get("lon")
    else:
        try:
            lat, lon = position[0], position[1]
        except (TypeError, IndexError, KeyError):
            raise ValidationError(record_type, field_name,
                                  f"not a position: {position!r}") from None
    for v, lo, hi in ((lat, -90, 90), (lon, -180, 180)):
        if (not isinstance(v, (int, float)) or isinstance(v, bool)
                or not (lo <= v <= hi)):
            raise ValidationError(record_type, field_name,
                                  f"not a position (lat -90..90, lon -180..180): {position!r}")
    return (float(lat), float(lon))


# WGS-84: metres per degree as continuous functions of latitude, so that snapping
# a point already on the grid gives the same point (idempotent rounding).
_A = 6378137.0
_E2 = 6.69437999014e-3


_LAT_DEGREE_M = 111_132.0


def _metres_per_degree(lat: float) -> tuple[float, float]:
    phi = math.radians(lat)
    w = 1.0 - _E2 * math.sin(phi) ** 2
    k = math.pi / 180.0
    return (k * _A * (1.0 - _E2) / w ** 1.5, k * _A * math.cos(phi) / math.sqrt(w))


@lru_cache(maxsize=4096)  # the rows of a program's few neighborhoods, again and again
def _column_step(row: int, cell: float) -> float:
    """Degrees of longitude a ``cell``-metre column spans in grid row ``row``."""
    _, kx = _metres_per_degree(row * (cell / _LAT_DEGREE_M))
    return cell / max(kx, 1.0)


def apply_precision(lat: float, lon: float, precision: str) -> LatLon:
    """The position to store for a location-precision choice: ``exact`` keeps it,
    ``block`` snaps it to a ~100 m grid, ``neighborhood`` to a ~1 km grid. The
    precise position is not kept anywhere; snapping twice changes nothing."""
    if precision not in PRECISION_CELL_M:
        raise ValidationError("incident", "location_precision",
                              f"unknown value {precision!r} "
                              f"(allowed: {', '.join(tx.LOCATION_PRECISION)})")
    cell = PRECISION_CELL_M[precision]
    if cell is None:
        return (lat, lon)
    # rows: a fixed step of latitude (one degree is 110.6-111.7 km everywhere); the
    # columns' step depends only on the row, so a snapped point snaps to itself
    step_lat = cell / _LAT_DEGREE_M
    row = round(lat / step_lat)
    slat = row * step_lat
    step_lon = _column_step(row, cell)
    slon = round(lon / step_lon) * step_lon
    slat = max(-90.0, min(90.0, slat))
    slon = max(-180.0, min(180.0, slon))
    return (round(slat, 6), round(slon, 6))


def is_coarser(a: str, b: str) -> bool:
    """True when precision ``a`` keeps less detail than ``b``."""
    return _PRECISION_RANK.get(a, 0) > _PRECISION_RANK.get(b, 0)


def check_place_detail(precision: str, cross_streets: str) -> None:
    """Cross streets name a block: more than a neighborhood-level consent allows."""
    if precision == "neighborhood" and (cross_streets or "").strip():
        raise ValidationError("incident", "cross_streets",
                              "cross streets are more precise than the neighborhood-level "
                              "location the person agreed to")


# ---- quick incident -------------------------------------------------------------

def _codes(value: Any, allowed: tuple, field: str, when_empty: str, what: str) -> list[str]:
    """One code or several, as a list: at least one, each from ``allowed``."""
    codes = [value] if isinstance(value, str) else list(value or [])
    if not codes:
        raise ValidationError("incident", field, when_empty)
    for c in codes:
        if c not in allowed:
            raise ValidationError("incident", field, f"unknown {what} {c!r}")
    return codes


def check_quick_incident(harm_types: Any, place: LatLon | None, cross_streets: str,
                         actions_taken: Any) -> tuple[list[str], list[str]]:
    """The essentials of the quick path: at least one harm type, a place (GPS, a
    point on the map, or cross streets), and what the team did. The time is now
    (the caller's clock). Returns the harm types and actions as lists."""
    harms = _codes(harm_types, tx.HARM_TYPES, "harm_types", "choose at least one harm type",
                   "harm type")
    if place is None and not (cross_streets or "").strip():
        raise ValidationError("incident", "location",
                              "give a place: GPS position, a point on the map or cross streets")
    actions = _codes(actions_taken, tx.ACTIONS_TAKEN, "actions_taken", "say what the team did",
                     "action")
    return harms, actions


# ---- an incident's details ------------------------------------------------------

# What the full form asks about the person affected, beyond the quick log's
# essentials: who is telling us, the person's age band and their language (so
# follow-up reaches them in it). None is a survivor field (those are sealed, and
# blank on devices that may not read them), so every device that holds the
# incident judges it alike; each can be answered "unknown" / "other".
DETAIL_FIELDS = ("reporter_role", "affected_age_band", "affected_language")
FORM_NOT_SAVED = "quick"  # the "field" named when the full form was never saved


def incident_missing_details(incident: Mapping) -> tuple[str, ...]:
    """What an incident still lacks, as field names in form order: ``quick``
    while its full form was never saved (only the quick log's essentials), each
    of ``DETAIL_FIELDS`` left unanswered, and ``harm_other`` when "other safety
    concern" is chosen with no words for it. Empty: its details are complete."""
    missing = [FORM_NOT_SAVED] if incident.get("quick") else []
    if ("other_safety_concern" in (incident.get("harm_types") or [])
            and not str(incident.get("harm_other") or "").strip()):
        missing.append("harm_other")
    missing += [f for f in DETAIL_FIELDS if incident.get(f) in (None, "")]
    return tuple(missing)


def incident_complete(incident: Mapping) -> bool:
    """True when the incident's details are complete (nothing missing)."""
    return not incident_missing_details(incident)


# ---- merchants -------------------------------------------------------------------

def merchants_by_distance(merchants: Iterable[Mapping], position: LatLon | None) -> list[dict]:
    """Merchants nearest first (geodesic metres, geopy), each a copy with
    ``distance_m``. Without a position (location off or denied) they come by name
    with ``distance_m`` None, so check-ins keep working."""
    rows = [dict(m) for m in merchants]
    if position is None:
        for r in rows:
            r["distance_m"] = None
        return sorted(rows, key=lambda r: str(r.get("name") or "").casefold())
    for r in rows:
        if r.get("lat") is None or r.get("lon") is None:
            r["distance_m"] = None
        else:
            r["distance_m"] = distance_m(position, (r["lat"], r["lon"]))
    return sorted(rows, key=lambda r: (r["distance_m"] is None, r["distance_m"] or 0.0,
                                       str(r.get("name") or "").casefold()))


# ---- tallies and clocks --------------------------------------------------------

def add_tally(tallies: Mapping[str, int], kind: str, delta: int = 1) -> dict:
    """The tallies after counting ``delta`` more of ``kind`` (negative undoes a tap)."""
    if kind not in tx.TALLIES:
        raise ValidationError("stroll", "tallies",
                              f"unknown tally {kind!r} (allowed: {', '.join(tx.TALLIES)})")
    if not isinstance(delta, int) or isinstance(delta, bool):
        raise ValidationError("stroll", "tallies", f"count by whole numbers, got {delta!r}")
    out = dict(tallies)
    value = out.get(kind, 0) + delta
    if value < 0:
        raise ValidationError("stroll", "tallies", f"{kind} cannot go below 0")
    out[kind] = value
    return out


def active_seconds(started_t: float, now_t: float, paused_s: float,
                   paused_since: float | None) -> float:
    """Time on patrol: from start to ``now_t``, less the time spent paused."""
    paused = paused_s + (max(0.0, now_t - paused_since) if paused_since is not None else 0.0)
    return max(0.0, now_t - started_t - paused)
