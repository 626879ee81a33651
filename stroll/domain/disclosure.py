"""What a record discloses in each view: pure rules the server applies before a
record leaves it (who gets which view is the server's table, ``sync/server/rules.py``).

- ``full``: the record as stored (coordinators, admins).
- ``public``: without the survivor fields (``sensitive`` metadata): contact details,
  names, narratives, follow-up notes.
- ``coarse`` (incidents only; for people who were not there): what happened, where
  to a block at best, when to the hour; no free text, no motivations, nothing about
  the person, no reporter.

An incident's position is stored at the precision the record allows
(``location_precision``) whatever the device sent: ``enforce`` snaps it.
"""
from __future__ import annotations

import re
from typing import Any

from .patrol_rules import apply_precision, is_coarser
from .records import RECORD_TYPES

# the fields of the coarse view of an incident; every other field is left out
COARSE_INCIDENT_FIELDS = ("id", "neighborhood_id", "occurred_at", "time_approximate",
                          "harm_types", "site_type", "lat", "lon", "location_precision",
                          "actions_taken", "quick")
COARSEST_SHOWN = "block"  # the coarse view is never finer than this

SENSITIVE: dict[str, tuple[str, ...]] = {t: c.sensitive_fields()
                                         for t, c in RECORD_TYPES.items()}


def _snap(data: dict[str, Any], precision: str) -> None:
    lat, lon = data.get("lat"), data.get("lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        data["lat"], data["lon"] = apply_precision(float(lat), float(lon), precision)


def enforce(rtype: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the server keeps it: an incident's position snapped to its
    ``location_precision`` (mutates and returns ``data``)."""
    if rtype == "incident":
        precision = data.get("location_precision") or "exact"
        if precision != "exact":
            _snap(data, precision)
    return data


def public_view(rtype: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without its survivor fields (a new dict; ``data`` is not changed)."""
    sensitive = SENSITIVE[rtype]
    return {k: v for k, v in data.items() if k not in sensitive}


# an ISO 8601 time as the domain accepts it: the hour, the rest of the clock, the offset
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d)(?::\d\d(?::\d\d(?:\.\d+)?)?)?"
                   r"(Z|[+-]\d\d:?\d\d)?")


def _hour(value: Any) -> Any:
    """A time to the hour it falls in (same offset), or the value as it is. (Text,
    not a datetime: a stored time passed the domain's check; parsing costs more.)"""
    if not isinstance(value, str):
        return value
    m = _TIME.fullmatch(value)
    return value if m is None else m.group(1) + ":00:00" + (m.group(2) or "")


def coarse_view(rtype: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The coarse view of an incident (a new dict), or None for a type that has none."""
    if rtype != "incident":
        return None
    get = data.get
    out = {k: get(k) for k in COARSE_INCIDENT_FIELDS}
    precision = out["location_precision"] or "exact"
    if precision == "exact" or is_coarser(COARSEST_SHOWN, precision):
        precision = out["location_precision"] = COARSEST_SHOWN
    _snap(out, precision)
    when = out["occurred_at"]
    hour = _hour(when)
    if hour != when:
        out["occurred_at"] = hour
        out["time_approximate"] = True
    return out


__all__ = ["COARSE_INCIDENT_FIELDS", "enforce", "public_view", "coarse_view"]
