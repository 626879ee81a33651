"""Plausibility: values that fit their kind, and places that fit what is recorded.

Two kinds of rule, both pure:

- **Refusals** where the data would be wrong: a contact value that does not fit its
  channel. A phone number (a call or a text message) must parse with the
  ``phonenumbers`` library as a *possible* number: a number written with ``+`` is read
  as international, any other as a number of ``DEFAULT_REGION`` (the programs stroll
  serves are in the US), and it must be complete (a 7-digit local number without its
  area code is refused: in the Bay Area and Seattle every call dials 10 digits, and a
  coordinator calling from elsewhere could not reach it). "Possible" checks the length
  for the country, not that the number is assigned: a survivor's new number must never
  be refused because the library's tables are older than it.
  **The stored value is the number in E.164** (``+14155550134``), not as typed: one
  form a coordinator's phone dials from anywhere and the console can link, and the same
  number typed two ways compares equal. The person sees it in that form when the
  incident is opened again. ``phone_e164`` gives it; the patrol service stores it.
- **Warnings** the person can override with one tap, as ``RuleWarning``\\ s (the
  catalog key is ``warning.<code>``, the params carry the raw distance in metres and
  the place's name):

  - ``far_from_merchant``: a check-in when the team's GPS position is more than
    ``CHECK_IN_NEAR_M`` (150 m) from the merchant, beyond the fix's own accuracy
    (a fix reported as +-40 m warns from 190 m). Closer than that is "at the door" in
    a dense Chinatown block; an ambassador who checks in from across the street is
    not warned.
  - ``far_from_neighborhood``: a stroll started while the GPS position is outside
    the neighborhood's bounding box grown by ``AREA_MARGIN_M`` (500 m, a few blocks:
    teams meet at a station or an office nearby) on every side, or, for a
    neighborhood without a box, farther than ``AREA_RADIUS_M`` (1.5 km) from its
    centre. The distance said is to the nearest edge of the box (to the centre
    without one): "You are 11.9 km from Oakland Chinatown".

  No position, no warning: these rules never stop a team whose phone cannot say
  where it is.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import phonenumbers

from .geo import LatLon, distance_m
from .patrol_rules import RuleWarning

DEFAULT_REGION = "US"
CHECK_IN_NEAR_M = 150.0
AREA_MARGIN_M = 500.0
AREA_RADIUS_M = 1500.0
MAX_ACCURACY_ALLOWANCE_M = 100.0  # a fix worse than this does not widen the circle more


# ---- contact values -------------------------------------------------------------------

def phone_e164(value: str, region: str = DEFAULT_REGION) -> Optional[str]:
    """``value`` as an E.164 number (``+14155550134``) when it is a complete, possible
    phone number; None when it is not one. With ``+`` it is read as international,
    otherwise as a number of ``region``."""
    text = (value or "").strip()
    if not text or not any(c.isdigit() for c in text):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != \
            phonenumbers.ValidationResult.IS_POSSIBLE:
        return None  # too short, too long, or local only (no area code)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalized_contact(channel: Optional[str], value: str) -> str:
    """The contact value to store: a phone or text-message number in E.164, anything
    else trimmed. A phone value that is not a number comes back trimmed as it was (the
    record's validation then refuses it, naming the field)."""
    text = (value or "").strip()
    if channel in ("phone", "text") and text:
        return phone_e164(text) or text
    return text


# ---- places ------------------------------------------------------------------------------

def _latlon(place: Any) -> Optional[LatLon]:
    if place is None:
        return None
    if isinstance(place, Mapping):
        lat, lon = place.get("lat"), place.get("lon")
    else:
        lat, lon = place[0], place[1]
    if lat is None or lon is None:
        return None
    return (float(lat), float(lon))


def check_in_distance(position: Any, merchant: Mapping, accuracy_m: float = 0.0
                      ) -> Optional[RuleWarning]:
    """``far_from_merchant`` when ``position`` (the team's GPS fix) is farther from
    ``merchant`` than ``CHECK_IN_NEAR_M`` plus the fix's accuracy; None otherwise, and
    None without a position or a merchant position."""
    here, there = _latlon(position), _latlon(merchant)
    if here is None or there is None:
        return None
    d = distance_m(here, there)
    allowance = min(max(float(accuracy_m or 0.0), 0.0), MAX_ACCURACY_ALLOWANCE_M)
    if d <= CHECK_IN_NEAR_M + allowance:
        return None
    return RuleWarning("far_from_merchant", "position",
                       {"distance_m": round(d, 1), "name": str(merchant.get("name") or "")})


def _box(neighborhood: Mapping) -> Optional[tuple[float, float, float, float]]:
    """(south, west, north, east) of the neighborhood's ``bbox``; None without one."""
    try:
        (s, w), (n, e) = neighborhood.get("bbox") or ()
        return (min(s, n), min(w, e), max(s, n), max(w, e))
    except (TypeError, ValueError):
        return None


def distance_to_area_m(position: LatLon, neighborhood: Mapping) -> float:
    """Metres from ``position`` to the neighborhood: to the nearest point of its box
    (0 inside), or to its centre when it has no box."""
    box = _box(neighborhood)
    if box is None:
        return distance_m(position, (float(neighborhood["center_lat"]),
                                     float(neighborhood["center_lon"])))
    s, w, n, e = box
    nearest = (min(max(position[0], s), n), min(max(position[1], w), e))
    return 0.0 if nearest == position else distance_m(position, nearest)


def start_distance(position: Any, neighborhood: Mapping) -> Optional[RuleWarning]:
    """``far_from_neighborhood`` when ``position`` is more than ``AREA_MARGIN_M`` outside
    the neighborhood's box (more than ``AREA_RADIUS_M`` from its centre without a box);
    None otherwise, and None without a position."""
    here = _latlon(position)
    if here is None or not neighborhood:
        return None
    d = distance_to_area_m(here, neighborhood)
    limit = AREA_MARGIN_M if _box(neighborhood) is not None else AREA_RADIUS_M
    if d <= limit:
        return None
    return RuleWarning("far_from_neighborhood", "position",
                       {"distance_m": round(d, 1), "name": str(neighborhood.get("name") or "")})


__all__ = ["DEFAULT_REGION", "CHECK_IN_NEAR_M", "AREA_MARGIN_M", "AREA_RADIUS_M",
           "phone_e164", "normalized_contact", "check_in_distance", "start_distance",
           "distance_to_area_m"]
