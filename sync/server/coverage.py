"""Coverage: which street segments of the planned routes the teams walked, and which
businesses they checked in with, how often and when; and the gaps. Pure (numpy, no
I/O): the console hands in routes, tracks and check-ins, and draws what comes out.

A view of places, not a tracker of people: what comes out is counted per segment and
per business, never per person or per stroll.

- A route's path is cut into **segments** of at most ``SEGMENT_MAX_M`` metres (a long
  block in pieces, so "walked" means that piece of street).
- A stroll **walked** a segment when its track's fixes within ``BUFFER_M`` of the
  segment, projected onto it, span at least ``MIN_SPAN`` of its length: a team crossing
  the street, or turning at the corner, has not walked the block. The time of the walk
  is that of the first such fix.
- Times of day are **bands** in the program's time zone (morning before noon,
  afternoon to 6 pm, evening after); "never after 6 pm" is a segment with no evening
  walk in the period; "not walked in 14 days" one whose last walk (if any) is older
  than ``GAP_DAYS`` before the period's end.

Positions are projected to local metres (equirectangular around the routes' middle
latitude): over a neighborhood the error is far below GPS accuracy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from stroll.domain.geo import local_scale

SEGMENT_MAX_M = 80.0
BUFFER_M = 25.0
MIN_SPAN = 0.5
GAP_DAYS = 14
BANDS = ("morning", "afternoon", "evening")  # before 12:00, 12:00-18:00, from 18:00
EVENING_HOUR = 18
BLOCK = 2048   # fixes matched at once (bounds the arrays of one long stroll)


def band_of(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < EVENING_HOUR else "evening"


# ---- the compact track encoding, decoded with numpy --------------------------------------

_SCALE = 1e5


def decode_points(text: str) -> np.ndarray:
    """A track chunk's points (``stroll.domain.geo.encode_track``) as an (n, 3) array of
    latitude, longitude and epoch seconds: the same numbers as ``geo.decode_track``,
    ~20 times faster (a month of a program is a million points). Raises ValueError on
    text that is not such an encoding."""
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - 63
    if raw.size == 0:
        return np.zeros((0, 3))
    if raw.min() < 0 or raw.max() > 63:
        raise ValueError("track encoding has an invalid character")
    ends = raw < 0x20                       # the last byte of each value
    if not ends[-1]:
        raise ValueError("track encoding is truncated")
    value_of = np.concatenate(([0], np.cumsum(ends)[:-1]))  # each byte's value index
    starts = np.flatnonzero(np.concatenate(([True], ends[:-1])))
    place = np.arange(raw.size) - starts[value_of]          # each byte's 5-bit place
    if place.max() > 12:
        raise ValueError("track encoding has a value out of range")
    values = np.add.reduceat((raw & 0x1F) << (5 * place), starts)
    values = np.where(values & 1, ~(values >> 1), values >> 1)
    if values.size % 4:
        raise ValueError("track encoding is truncated")
    cols = np.cumsum(values.reshape(-1, 4), axis=0)
    out = np.empty((cols.shape[0], 3))
    out[:, 0] = cols[:, 0] / _SCALE
    out[:, 1] = cols[:, 1] / _SCALE
    out[:, 2] = cols[:, 2]
    return out


# ---- segments --------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """A piece of a planned route: ``route_id``, its place along the route (``index``),
    its two ends (lat, lon) and its length in metres."""
    route_id: str
    index: int
    a: tuple[float, float]
    b: tuple[float, float]
    length_m: float

    @property
    def key(self) -> str:
        return f"{self.route_id}:{self.index}"


class Frame:
    """Local metres around one latitude: x east, y north."""

    def __init__(self, lat: float):
        self.ky, self.kx = local_scale(lat)

    def xy(self, lat, lon):
        return np.asarray(lon) * self.kx, np.asarray(lat) * self.ky


def route_segments(routes: Iterable[dict], max_len_m: float = SEGMENT_MAX_M
                   ) -> list[Segment]:
    """Each route's path (``path``: [[lat, lon], ...]) cut into segments of at most
    ``max_len_m`` metres, in the order walked."""
    out: list[Segment] = []
    for route in routes:
        path = [(float(p[0]), float(p[1])) for p in route.get("path") or ()]
        index = 0
        for (lat1, lon1), (lat2, lon2) in zip(path, path[1:]):
            ky, kx = local_scale((lat1 + lat2) / 2)
            length = float(np.hypot((lat2 - lat1) * ky, (lon2 - lon1) * kx))
            if length == 0:
                continue
            pieces = max(1, int(np.ceil(length / max_len_m - 1e-6)))  # 240 m: 3 of 80
            for k in range(pieces):
                f0, f1 = k / pieces, (k + 1) / pieces
                out.append(Segment(route["id"], index,
                                   (lat1 + (lat2 - lat1) * f0, lon1 + (lon2 - lon1) * f0),
                                   (lat1 + (lat2 - lat1) * f1, lon1 + (lon2 - lon1) * f1),
                                   length / pieces))
                index += 1
    return out


# ---- walks over segments ----------------------------------------------------------------

@dataclass(frozen=True)
class Walked:
    """A segment walked by one stroll, at epoch seconds ``at``."""
    segment: int      # index into the segments list
    at: float


class Matcher:
    """Matches tracks to ``segments`` (built once, used for every stroll)."""

    def __init__(self, segments: Sequence[Segment], buffer_m: float = BUFFER_M,
                 min_span: float = MIN_SPAN):
        self.segments = segments
        self.buffer2 = buffer_m ** 2
        self.min_span = min_span
        if not segments:
            return
        lat0 = float(np.mean([s.a[0] for s in segments]))
        self.frame = Frame(lat0)
        ax, ay = self.frame.xy([s.a[0] for s in segments], [s.a[1] for s in segments])
        bx, by = self.frame.xy([s.b[0] for s in segments], [s.b[1] for s in segments])
        self.ax, self.ay = ax, ay
        self.dx, self.dy = bx - ax, by - ay
        self.len2 = self.dx ** 2 + self.dy ** 2
        self.lo_x, self.hi_x = np.minimum(ax, bx) - buffer_m, np.maximum(ax, bx) + buffer_m
        self.lo_y, self.hi_y = np.minimum(ay, by) - buffer_m, np.maximum(ay, by) + buffer_m

    def walked(self, points: np.ndarray) -> list[Walked]:
        """The segments one stroll's track (an (n, 3) array: lat, lon, t) walked."""
        if not self.segments or len(points) == 0:
            return []
        px, py = self.frame.xy(points[:, 0], points[:, 1])
        near = np.flatnonzero((self.hi_x >= px.min()) & (self.lo_x <= px.max()) &
                              (self.hi_y >= py.min()) & (self.lo_y <= py.max()))
        if near.size == 0:
            return []
        ax, ay, dx, dy = self.ax[near], self.ay[near], self.dx[near], self.dy[near]
        len2 = self.len2[near]
        lo = np.full(near.size, np.inf)    # the span of the fixes near each segment
        hi = np.full(near.size, -np.inf)
        first = np.full(near.size, np.inf)  # and the time of the first of them
        for start in range(0, len(points), BLOCK):   # (points, segments) arrays, bounded
            bx, by = px[start:start + BLOCK, None], py[start:start + BLOCK, None]
            rx, ry = bx - ax, by - ay
            t = np.clip((rx * dx + ry * dy) / len2, 0.0, 1.0)
            inside = (rx - t * dx) ** 2 + (ry - t * dy) ** 2 <= self.buffer2
            if not inside.any():
                continue
            lo = np.minimum(lo, np.where(inside, t, np.inf).min(axis=0))
            hi = np.maximum(hi, np.where(inside, t, -np.inf).max(axis=0))
            times = points[start:start + BLOCK, 2][:, None]
            first = np.minimum(first, np.where(inside, times, np.inf).min(axis=0))
        return [Walked(int(near[j]), float(first[j]))
                for j in np.flatnonzero(hi - lo >= self.min_span)]


# ---- the summary ---------------------------------------------------------------------

@dataclass
class Tally:
    """How often a place was visited in the period, and when: by day of the week
    (Monday first) and time of day (``BANDS``)."""
    visits: int = 0
    last: datetime | None = None
    cells: list[list[int]] = field(default_factory=lambda: [[0] * len(BANDS)
                                                           for _ in range(7)])

    def add(self, when: datetime) -> None:
        self.visits += 1
        self.cells[when.weekday()][BANDS.index(band_of(when.hour))] += 1
        if self.last is None or when > self.last:
            self.last = when

    @property
    def bands(self) -> dict[str, int]:
        return {b: sum(day[i] for day in self.cells) for i, b in enumerate(BANDS)}

    @property
    def weekdays(self) -> list[int]:
        return [sum(day) for day in self.cells]

    def gaps(self, end: datetime, gap_days: int = GAP_DAYS) -> list[str]:
        """What a coordinator should know: ``never`` walked in the period, ``stale``
        (not in ``gap_days`` days before ``end``), ``no_evening`` (never after 6 pm)."""
        if self.visits == 0:
            return ["never"]
        out = []
        if self.last is not None and end - self.last > timedelta(days=gap_days):
            out.append("stale")
        if self.bands["evening"] == 0:
            out.append("no_evening")
        return out


@dataclass
class Coverage:
    segments: list[Segment]
    by_segment: list[Tally]
    merchants: dict[str, Tally]
    strolls: int

    def week(self) -> list[list[int]]:
        """Walks of the streets by day of the week and time of day, all segments."""
        return [[sum(t.cells[d][b] for t in self.by_segment) for b in range(len(BANDS))]
                for d in range(7)]

    def walked_share(self) -> float:
        """The share of the planned routes' length walked at least once."""
        total = sum(s.length_m for s in self.segments)
        done = sum(s.length_m for s, t in zip(self.segments, self.by_segment) if t.visits)
        return done / total if total else 0.0


def coverage(segments: Sequence[Segment], tracks: Iterable[np.ndarray],
             check_ins: Iterable[tuple[str, datetime]], merchant_ids: Iterable[str],
             zone: ZoneInfo) -> Coverage:
    """Count the walks of each segment (``tracks``: one array of points a stroll) and
    the check-ins of each business (``(merchant_id, when)``), in ``zone``'s clock."""
    matcher = Matcher(segments)
    tallies = [Tally() for _ in segments]
    strolls = 0
    for points in tracks:
        strolls += 1
        for w in matcher.walked(points):
            tallies[w.segment].add(datetime.fromtimestamp(w.at, timezone.utc)
                                   .astimezone(zone))
    merchants = {m: Tally() for m in merchant_ids}
    for merchant_id, when in check_ins:
        if merchant_id in merchants:
            merchants[merchant_id].add(when.astimezone(zone))
    return Coverage(list(segments), tallies, merchants, strolls)
