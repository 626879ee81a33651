"""What a patrol records on the street besides its track: merchants (nearby, met
on the spot, visited) and incidents (the quick report and the full form)."""
from __future__ import annotations

from typing import Any, Sequence

from stroll.domain import CheckIn, Incident, Merchant, ValidationError
from stroll.domain import patrol_rules as rules
from stroll.domain.plausibility import normalized_contact
from stroll.domain.records import parse_time
from stroll.patrol.base import PatrolCore, _iso
from stroll.store import RecordNotFound


class StreetRecords(PatrolCore):
    """The merchants and incidents part of ``PatrolService``."""

    # ---- merchants -----------------------------------------------------------------

    def merchants_nearby(self, position: Any = None,
                         neighborhood_id: str | None = None) -> list[dict]:
        """The neighborhood's merchants nearest first (``distance_m``); by name when
        there is no position (location off). Each carries ``last_visit_at`` (None: never
        checked in with)."""
        if neighborhood_id is None:
            running = self.active_stroll()
            neighborhood_id = running.neighborhood_id if running else None
        place = rules.as_latlon(position, "check_in", "position")
        merchants = self.store.merchants(neighborhood_id)
        last = self.store.last_visits(m["id"] for m in merchants)
        for m in merchants:
            m["last_visit_at"] = last.get(m["id"])
        return rules.merchants_by_distance(merchants, place)

    def check_in(self, merchant_id: str, status: str = "all_good", note: str = "",
                 language: str | None = None, position: Any = None) -> CheckIn:
        """Record a visit to a merchant (linked to the running stroll, if any)."""
        if self.store.get("merchant", merchant_id) is None:
            raise RecordNotFound("merchant", merchant_id)
        place = rules.as_latlon(position, "check_in", "position")
        running = self.active_stroll()
        rec = CheckIn(merchant_id=merchant_id, stroll_id=running.id if running else None,
                      status=status, note=note, language=language, at=_iso(self._now()),
                      lat=place[0] if place else None, lon=place[1] if place else None)
        return self.store.save(rec)

    def add_merchant(self, name: str, position: Any, *, neighborhood_id: str | None = None,
                     category: str = "other", address: str = "",
                     languages: Sequence[str] = (), contact_name: str = "",
                     notes: str = "") -> Merchant:
        """Add a merchant met on the street (position: GPS or a point on the map)."""
        place = rules.as_latlon(position, "merchant", "position")
        if place is None:
            raise ValidationError("merchant", "position",
                                  "a merchant needs a position: GPS or a point on the map")
        if neighborhood_id is None:
            running = self.active_stroll()
            if running is None:
                raise ValidationError("merchant", "neighborhood_id", "is required")
            neighborhood_id = running.neighborhood_id
        rec = Merchant(neighborhood_id=neighborhood_id, name=name.strip(), category=category,
                       address=address, lat=place[0], lon=place[1], languages=list(languages),
                       contact_name=contact_name, notes=notes, created_at=_iso(self._now()))
        return self.store.save(rec)

    def add_merchant_and_check_in(self, name: str, position: Any, *,
                                  status: str = "all_good", note: str = "",
                                  language: str | None = None,
                                  **merchant: Any) -> tuple[Merchant, CheckIn]:
        """"Save and check in": the merchant met on the street and the team's visit to
        it, in one transaction (both or neither)."""
        with self.store.transaction():
            rec = self.add_merchant(name, position, **merchant)
            visit = self.check_in(rec.id, status=status, note=note, language=language,
                                  position=position)
        return rec, visit

    def merchant_history(self, merchant_id: str) -> list[dict]:
        """The merchant's check-ins, newest first."""
        visits = self.store.merchant_check_ins(merchant_id)
        return sorted(visits, key=lambda v: parse_time(v["at"]), reverse=True)

    # ---- incidents -------------------------------------------------------------------

    def quick_incident(self, harm_types: str | Sequence[str], position: Any = None,
                       actions_taken: str | Sequence[str] = (), note: str = "", *,
                       cross_streets: str = "", precision: str = "block",
                       site_type: str | None = None, occurred_at: str | None = None,
                       time_approximate: bool = False,
                       reported_by: str | None = None,
                       stroll_id: str | None = None) -> Incident:
        """The essentials in seconds: harm type(s), the place (GPS fix, a point on
        the map, or cross streets), time now, what the team did. The note goes to
        the narrative (sensitive). The position is stored at ``precision`` (default
        ``block``: consent for more is asked in the full form), never finer. The
        incident belongs to the running stroll, or to ``stroll_id`` (a log begun
        during a stroll and finished after it ended)."""
        place = rules.as_latlon(position)
        harms, actions = rules.check_quick_incident(harm_types, place, cross_streets,
                                                    actions_taken)
        rules.check_place_detail(precision, cross_streets)
        if place is not None:
            place = rules.apply_precision(place[0], place[1], precision)
        now = _iso(self._now())
        running = self.active_stroll()
        if stroll_id and (running is None or running.id != stroll_id):
            running = self.store.load("stroll", stroll_id)
        rec = Incident(stroll_id=running.id if running else None,
                       neighborhood_id=running.neighborhood_id if running else None,
                       occurred_at=occurred_at or now, time_approximate=time_approximate,
                       harm_types=harms, site_type=site_type,
                       lat=place[0] if place else None, lon=place[1] if place else None,
                       location_precision=precision, cross_streets=cross_streets.strip(),
                       actions_taken=actions, narrative=note, quick=True,
                       reported_by=reported_by, reported_at=now)
        return self.store.save(rec)

    def complete_incident(self, incident_id: str, **fields: Any) -> Incident:
        """Fill in or edit the full survivor-centered form. The outbox carries a
        per-field patch. Choosing less location precision coarsens the stored
        position and scrubs it from outbox entries not yet sent; more precision
        needs a new position."""
        if "id" in fields:
            raise ValidationError("incident", "id", "cannot be changed", incident_id)
        with self.store.transaction() as tx:
            current = self.store.get("incident", incident_id)
            if current is None:
                raise RecordNotFound("incident", incident_id)
            changes = dict(fields)
            changes["quick"] = False
            if "contact_value" in changes or "contact_channel" in changes:
                # a phone number is kept in E.164 (stroll/domain/plausibility.py)
                channel = changes.get("contact_channel", current["contact_channel"])
                value = changes.get("contact_value", current["contact_value"]) or ""
                stored = normalized_contact(channel, value)
                if "contact_value" in changes or stored != value:
                    changes["contact_value"] = stored
            old_prec = current["location_precision"]
            prec = changes.get("location_precision", old_prec)
            new_place = "lat" in changes or "lon" in changes
            if not new_place and rules.is_coarser(old_prec, prec) and current["lat"] is not None:
                raise ValidationError("incident", "location_precision",
                                      "a more precise location needs a new position",
                                      incident_id)
            lat = changes.get("lat", current["lat"])
            lon = changes.get("lon", current["lon"])
            coarsened = False
            if lat is not None and lon is not None:
                place = rules.as_latlon((lat, lon))
                snapped = rules.apply_precision(place[0], place[1], prec)
                if new_place or snapped != (current["lat"], current["lon"]):
                    changes["lat"], changes["lon"] = snapped
                coarsened = rules.is_coarser(prec, old_prec)
            rules.check_place_detail(prec, changes.get("cross_streets", current["cross_streets"]))
            rec = tx.update("incident", incident_id, **changes)
            if coarsened:
                tx.redact_pending("incident", incident_id, {"lat": rec.lat, "lon": rec.lon})
        return rec
