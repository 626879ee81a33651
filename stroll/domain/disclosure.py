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

Lighter pulls: a view leaves out every field still at its type's default (``lighter``;
survivor fields of the full view always travel, so a cleared one is cleared on the
device too), and a device fills them back (``filled``): an absent field is its default,
an absent survivor field one its scope does not receive, kept as the device has it.
"""
from __future__ import annotations

import dataclasses
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


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]  (every field has one or the other)


# each type's fields at their defaults ("id" has none worth leaving out: it always travels)
DEFAULTS: dict[str, dict[str, Any]] = {
    t: {f.name: _default(f) for f in dataclasses.fields(c) if f.name != "id"}
    for t, c in RECORD_TYPES.items()}


# per type: each field that may be left out -> (its default, the default's type)
_LEAVE_OUT = {t: {k: (v, type(v)) for k, v in d.items() if k not in SENSITIVE[t]}
              for t, d in DEFAULTS.items()}


def lighter(rtype: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the fields (other than survivor fields) still at their
    default: what travels in a pull (a new dict). (A loop, not a comprehension: it
    runs for every record a push writes, and most fields are at their default.)"""
    leave_out = _LEAVE_OUT[rtype]
    out = {}
    for k, v in data.items():
        d = leave_out.get(k)
        if d is None or (v is not d[0] and (v != d[0] or type(v) is not d[1])):
            out[k] = v
    return out


def filled(rtype: str, pulled: dict[str, Any], local: dict[str, Any] | None) -> dict[str, Any]:
    """The record a device keeps from a pulled view: every field it leaves out at its
    default, except survivor fields, which the device keeps as it has them (its scope
    may not receive them)."""
    out = {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
           for k, v in DEFAULTS[rtype].items()}
    if local:
        out.update({k: local[k] for k in SENSITIVE[rtype] if k in local})
    out.update(pulled)
    return out


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
    """The coarse view of an incident (a new dict), or None for a type that has none.
    A field absent from ``data`` is at its default (``lighter``) and stays absent."""
    if rtype != "incident":
        return None
    out = {k: data[k] for k in COARSE_INCIDENT_FIELDS if k in data}  # (absent: default)
    precision = out.get("location_precision") or "exact"
    if precision == "exact" or is_coarser(COARSEST_SHOWN, precision):
        precision = out["location_precision"] = COARSEST_SHOWN
    _snap(out, precision)
    when = out.get("occurred_at")
    hour = _hour(when)
    if hour != when:
        out["occurred_at"] = hour
        out["time_approximate"] = True
    return out


__all__ = ["COARSE_INCIDENT_FIELDS", "DEFAULTS", "enforce", "public_view", "coarse_view",
           "lighter", "filled"]
