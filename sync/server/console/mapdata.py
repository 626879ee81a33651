"""What the console's maps read: a map page's filters (``MapFilter``, read from its
query), the records of the filter's period (``Period``: strolls, their tracks decoded,
check-ins, incidents), and small facts about them (a check-in's place, an incident's
harms, a piece of street's label). The pages and their drawing are ``maps.py``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np

from stroll.domain import taxonomy as tx
from stroll.domain.geo import simplify
from stroll.domain.ids import is_uuid
from stroll.i18n import Translator

from .. import coverage as cov
from ..storage import Storage
from .web import Refused

MAX_DAYS = 366          # the longest period a map page draws
TRACKS_DRAWN = 100      # walked tracks on the routes map (the newest; the page says so)
STROLLS_LISTED = 200
TRACK_TOLERANCE_M = 4.0  # Douglas-Peucker, for display only: the stored track is whole
GAPS_LISTED = 60
DECODED_AT_ONCE = 256   # track chunks (~80,000 fixes)


# ---- the filters ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MapFilter:
    """What a map page shows: the days ``start`` to ``end`` (in the program's time
    zone), and optionally one neighborhood, route, member (on the team) and harm type."""
    start: date
    end: date
    neighborhood_id: str | None = None
    route_id: str | None = None
    member_id: str | None = None
    harm_type: str | None = None

    def query(self) -> str:
        pairs = {"from": self.start.isoformat(), "to": self.end.isoformat(),
                 "neighborhood": self.neighborhood_id or "", "route": self.route_id,
                 "member": self.member_id, "harm": self.harm_type}
        return urlencode({k: v for k, v in pairs.items() if v is not None})

    def window(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as an instant range [from, to)."""
        return (datetime.combine(self.start, time(), zone),
                datetime.combine(self.end + timedelta(days=1), time(), zone))


def read_filter(query, today: date, *, exists, home: str | None = None) -> MapFilter:
    """A map page's filters from its query; ``exists(rtype, id)`` says whether a record
    is there; ``home``: the neighborhood shown when the query does not name one (the
    coordinator's own: the program's neighborhoods can be cities apart), while an empty
    one means all. A bad value raises a 400 page naming the field."""
    def day(name: str, default: date) -> date:
        text = (query.get(name) or "").strip()
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Refused(400, "console.map.bad_date", field=name, value=text[:40]) \
                from None

    end = day("to", today)
    start = day("from", end - timedelta(days=27))
    if start > end:
        raise Refused(400, "console.map.bad_period")
    if (end - start).days >= MAX_DAYS:
        raise Refused(400, "console.map.long_period", days=MAX_DAYS)
    chosen: dict[str, str | None] = {}
    for name, rtype in (("neighborhood", "neighborhood"), ("route", "route"),
                        ("member", "member")):
        asked = query.get(name)
        if asked is None and name == "neighborhood" and home and exists(rtype, home):
            asked = home
        value = (asked or "").strip() or None
        if value is not None and not (is_uuid(value) and exists(rtype, value)):
            raise Refused(400, "console.map.unknown", field=name)
        chosen[name] = value
    harm = (query.get("harm") or "").strip() or None
    if harm is not None and harm not in tx.HARM_TYPES:
        raise Refused(400, "console.map.unknown", field="harm")
    return MapFilter(start, end, chosen["neighborhood"], chosen["route"], chosen["member"],
                     harm)


def parse_time(value: Any) -> datetime | None:
    """A stored time (ISO 8601; one written without an offset is UTC), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# ---- what a period holds -------------------------------------------------------------------

class Period:
    """The records of one filter's period, read once a request."""

    def __init__(self, store: Storage, zone: ZoneInfo, f: MapFilter):
        self.store, self.zone, self.f = store, zone, f
        self.begin, self.stop = f.window(zone)
        self._merchants: dict[str, dict] | None = None

    def _between(self, rtype: str, field: str) -> list[tuple[datetime, dict]]:
        rows = self.store.records_on_days(rtype, field, self.f.start - timedelta(days=1),
                                          self.f.end + timedelta(days=1))
        out = []
        for r in rows:
            when = parse_time(r.get(field))
            if when is not None and self.begin <= when < self.stop:
                out.append((when, r))
        out.sort(key=lambda pair: pair[0], reverse=True)
        return out

    def routes(self) -> list[dict]:
        f = self.f
        return [r for r in self.store.records_of_type("route")
                if (f.route_id is None or r["id"] == f.route_id) and
                (f.neighborhood_id is None or r.get("neighborhood_id") == f.neighborhood_id)]

    def merchants(self) -> dict[str, dict]:
        if self._merchants is None:
            self._merchants = {m["id"]: m for m in self.store.records_of_type("merchant")}
        return self._merchants

    def strolls(self) -> list[tuple[datetime, dict]]:
        f = self.f
        return [(when, s) for when, s in self._between("stroll", "started_at")
                if (f.neighborhood_id is None or s.get("neighborhood_id") == f.neighborhood_id)
                and (f.route_id is None or s.get("route_id") == f.route_id)
                and (f.member_id is None or any(isinstance(p, dict) and
                                                p.get("member_id") == f.member_id
                                                for p in s.get("team") or ()))]

    def _narrowed(self) -> bool:
        """Whether the filter picks strolls (a route or a member): then check-ins and
        incidents are those of the strolls picked."""
        return self.f.route_id is not None or self.f.member_id is not None

    def check_ins(self, stroll_ids: set[str]) -> list[tuple[datetime, dict]]:
        merchants, f = self.merchants(), self.f
        out = []
        for when, c in self._between("check_in", "at"):
            if self._narrowed() and c.get("stroll_id") not in stroll_ids:
                continue
            hood = (merchants.get(c.get("merchant_id")) or {}).get("neighborhood_id")
            if f.neighborhood_id is None or hood == f.neighborhood_id:
                out.append((when, c))
        return out

    def incidents(self, stroll_ids: set[str]) -> list[tuple[datetime, dict]]:
        f = self.f
        return [(when, i) for when, i in self._between("incident", "occurred_at")
                if (f.neighborhood_id is None or i.get("neighborhood_id") == f.neighborhood_id)
                and (f.harm_type is None or f.harm_type in (i.get("harm_types") or ()))
                and (not self._narrowed() or i.get("stroll_id") in stroll_ids)]

    def tracks(self, stroll_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """Each stroll's whole track (lat, lon, t rows in time order)."""
        return tracks_of(self.store, list(stroll_ids))


def tracks_of(store: Storage, stroll_ids: list[str]) -> dict[str, np.ndarray]:
    """Each stroll's whole track (lat, lon, t rows in time order), its chunks decoded
    together; a chunk that does not decode is left out (the rest still draws)."""
    chunks = store.track_chunks_of(stroll_ids)
    decoded: list[np.ndarray | None] = []
    for i in range(0, len(chunks), DECODED_AT_ONCE):   # bounds the decoder's arrays
        texts = [c.get("points") or "" for c in chunks[i:i + DECODED_AT_ONCE]]
        try:
            decoded.extend(cov.decode_many(texts))
        except ValueError:
            for text in texts:
                try:
                    decoded.append(cov.decode_points(text))
                except ValueError:
                    decoded.append(None)
    pieces: dict[str, list[tuple[int, np.ndarray]]] = {}
    for chunk, points in zip(chunks, decoded):
        if points is not None:
            pieces.setdefault(chunk["stroll_id"], []).append((int(chunk.get("seq") or 0),
                                                               points))
    out = {}
    for stroll_id, parts in pieces.items():
        parts.sort(key=lambda p: p[0])
        out[stroll_id] = np.concatenate([p for _s, p in parts])
    return out


GAP_S, JUMP_M = 180.0, 150.0   # a pause or a jump longer than these splits a drawn track


def walked_pieces(points: np.ndarray, tolerance_m: float) -> list[list[tuple[float, float]]]:
    """A track as drawn: cut where the phone had no fix for ``GAP_S`` seconds or jumped
    ``JUMP_M`` metres (a ride, a lost signal: no straight line across it), each piece
    simplified for display (Douglas-Peucker; the stored track stays whole)."""
    if len(points) < 2:
        return []
    frame = cov.Frame(float(points[0, 0]))
    x, y = frame.xy(points[:, 0], points[:, 1])
    step = np.hypot(np.diff(x), np.diff(y))
    cuts = np.flatnonzero((np.diff(points[:, 2]) > GAP_S) | (step > JUMP_M)) + 1
    out = []
    for piece in np.split(points[:, :2], cuts):
        if len(piece) >= 2:
            out.append([(round(a, 5), round(b, 5))   # a metre: what a fix can tell
                        for a, b in simplify([(float(a), float(b)) for a, b in piece],
                                             tolerance_m)])
    return out


def checkin_position(c: dict, merchants: dict[str, dict]) -> tuple[float, float] | None:
    if isinstance(c.get("lat"), (int, float)) and isinstance(c.get("lon"), (int, float)):
        return (float(c["lat"]), float(c["lon"]))
    m = merchants.get(c.get("merchant_id")) or {}
    if isinstance(m.get("lat"), (int, float)) and isinstance(m.get("lon"), (int, float)):
        return (float(m["lat"]), float(m["lon"]))
    return None


def has_position(r: dict) -> bool:
    return isinstance(r.get("lat"), (int, float)) and isinstance(r.get("lon"), (int, float))


def harms(tr: Translator, incident: dict) -> str:
    return ", ".join(tr.t(f"harm_types.{h}") for h in incident.get("harm_types") or ()
                     if h in tx.HARM_TYPES)


def stretch_label(tr: Translator, route_name: str, start_m: float, end_m: float) -> str:
    """A stretch of a route as a coordinator finds it: metres from the route's start."""
    return tr.t("console.coverage.segment", route=route_name, start=tr.number(start_m, 0),
                end=tr.number(end_m, 0))


def segment_offsets(segments: list[cov.Segment]) -> list[float]:
    """Each segment's start, in metres from the start of its route."""
    out, along, route = [], 0.0, None
    for s in segments:
        if s.route_id != route:
            along, route = 0.0, s.route_id
        out.append(along)
        along += s.length_m
    return out
