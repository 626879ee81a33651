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

Positions are projected to local metres, equirectangular around the middle of each area
(pieces within ``AREA_KM`` of one another share one): over a neighborhood the error is
far below GPS accuracy, and cities apart each keep their own scale.
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


def band_of(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < EVENING_HOUR else "evening"


# ---- the compact track encoding, decoded with numpy --------------------------------------

_SCALE = 1e5


def decode_points(text: str) -> np.ndarray:
    """A track chunk's points (``stroll.domain.geo.encode_track``) as an (n, 3) array of
    latitude, longitude and epoch seconds: the same numbers as ``geo.decode_track``.
    Raises ValueError on text that is not such an encoding."""
    return decode_many([text])[0]


def decode_many(texts: Sequence[str]) -> list[np.ndarray]:
    """Many chunks decoded in one vectorized pass (a month is a million points in a
    few thousand chunks): each chunk's (n, 3) array, in order. Raises ValueError naming
    the first chunk that is not an encoding."""
    blobs = [t.encode("ascii") for t in texts]   # (UnicodeEncodeError is a ValueError)
    sizes = np.array([len(b) for b in blobs], dtype=np.int64)
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).astype(np.int64) - 63
    if raw.size == 0:
        return [np.zeros((0, 3)) for _ in texts]
    byte_start = np.cumsum(sizes) - sizes
    ends = raw < 0x20                       # the last byte of each value
    bad = (raw < 0) | (raw > 63)
    nonempty = sizes > 0
    last = byte_start[nonempty] + sizes[nonempty] - 1
    if bad.any() or not ends[last].all():
        chunk = int(np.searchsorted(byte_start, np.flatnonzero(
            bad | np.isin(np.arange(raw.size), last[~ends[last]]))[0], side="right")) - 1
        raise ValueError(f"track chunk {chunk} is not a track encoding (a character out of "
                         "range, or cut short)")
    value_of = np.concatenate(([0], np.cumsum(ends)[:-1]))  # each byte's value index
    starts = np.flatnonzero(np.concatenate(([True], ends[:-1])))
    place = np.arange(raw.size) - starts[value_of]          # each byte's 5-bit place
    if place.max() > 12:
        raise ValueError("track encoding has a value out of range")
    values = np.add.reduceat((raw & 0x1F) << (5 * place), starts)
    values = np.where(values & 1, ~(values >> 1), values >> 1)
    per_chunk = np.add.reduceat(ends, byte_start[nonempty]) if nonempty.any() else []
    counts = np.zeros(len(texts), dtype=np.int64)
    counts[nonempty] = per_chunk
    if (counts % 4).any():
        raise ValueError(f"track chunk {int(np.flatnonzero(counts % 4)[0])} is cut short")
    rows = counts // 4
    deltas = values.reshape(-1, 4)
    total = np.cumsum(deltas, axis=0)           # each chunk starts again from zero:
    before = np.cumsum(rows) - rows             # take off the sum up to its first row
    base = np.where((before > 0)[:, None], total[np.maximum(before - 1, 0)], 0)
    cols = total - np.repeat(base, rows, axis=0)
    out = np.empty((cols.shape[0], 3))
    out[:, 0] = cols[:, 0] / _SCALE
    out[:, 1] = cols[:, 1] / _SCALE
    out[:, 2] = cols[:, 2]
    return np.split(out, np.cumsum(rows)[:-1])


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
    """Local metres around an origin (lat0, lon0): x east, y north."""

    def __init__(self, lat0: float, lon0: float = 0.0):
        self.lat0, self.lon0 = lat0, lon0
        self.ky, self.kx = local_scale(lat0)

    def xy(self, lat, lon):
        return ((np.asarray(lon) - self.lon0) * self.kx,
                (np.asarray(lat) - self.lat0) * self.ky)


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
    """A segment walked by one stroll (``stroll``: its place in the tracks handed in),
    at epoch seconds ``at``."""
    segment: int      # index into the segments list
    at: float
    stroll: int = 0


AREA_KM = 20.0   # pieces of street this close together share one local frame
BLOCK = 131_072  # fixes matched at once (bounds the memory of a month's matching)


class Matcher:
    """Matches tracks to ``segments`` (built once, used for a whole period).

    The pieces are grouped in areas (a neighborhood, a city: ``AREA_KM``), each with
    its own local frame and a grid of cells ``BUFFER_M`` wide listing the pieces whose
    buffer reaches the cell; a fix is tried only against the pieces of its cell, so a
    month of tracks is matched in a few vectorized passes."""

    def __init__(self, segments: Sequence[Segment], buffer_m: float = BUFFER_M,
                 min_span: float = MIN_SPAN):
        self.segments = segments
        self.buffer = buffer_m
        self.min_span = min_span
        self.areas = [_Area(segments, members, buffer_m)
                      for members in _areas(segments)]

    def walked(self, points: np.ndarray) -> list[Walked]:
        """The segments one stroll's track (an (n, 3) array: lat, lon, t) walked."""
        return self.walked_all([points])

    def walked_all(self, tracks: Sequence[np.ndarray]) -> list[Walked]:
        """The segments each track walked (``Walked.stroll``: the track's index)."""
        tracks = [t for t in tracks]
        if not self.segments or not tracks:
            return []
        sizes = [len(t) for t in tracks]
        if not sum(sizes):
            return []
        points = np.concatenate([t for t in tracks if len(t)])
        owner = np.repeat(np.arange(len(tracks)), sizes)
        out: list[Walked] = []
        for area in self.areas:
            out.extend(area.walked(points, owner, self.min_span))
        return out


def _areas(segments: Sequence[Segment]) -> list[list[int]]:
    """The segments' indexes grouped by area (pieces within ``AREA_KM`` of another)."""
    groups: list[list[int]] = []
    centres: list[tuple[float, float]] = []
    for i, s in enumerate(segments):
        lat, lon = (s.a[0] + s.b[0]) / 2, (s.a[1] + s.b[1]) / 2
        for g, (clat, clon) in enumerate(centres):
            if abs(lat - clat) * 111 < AREA_KM and \
                    abs(lon - clon) * 111 * np.cos(np.radians(clat)) < AREA_KM:
                groups[g].append(i)
                break
        else:
            groups.append([i])
            centres.append((lat, lon))
    return groups


class _Area:
    """The pieces of one area in its local frame, and the grid of cells over them."""

    def __init__(self, segments: Sequence[Segment], members: list[int], buffer_m: float):
        self.index = np.array(members)
        a = np.array([segments[i].a for i in members])
        b = np.array([segments[i].b for i in members])
        self.frame = Frame(float(a[:, 0].mean()), float(a[:, 1].mean()))
        self.ax, self.ay = self.frame.xy(a[:, 0], a[:, 1])
        bx, by = self.frame.xy(b[:, 0], b[:, 1])
        self.dx, self.dy = bx - self.ax, by - self.ay
        self.len2 = np.maximum(self.dx ** 2 + self.dy ** 2, 1e-9)
        self.buffer2 = buffer_m ** 2
        cell = self.cell = buffer_m
        lo_x = np.minimum(self.ax, bx) - buffer_m
        lo_y = np.minimum(self.ay, by) - buffer_m
        hi_x = np.maximum(self.ax, bx) + buffer_m
        hi_y = np.maximum(self.ay, by) + buffer_m
        self.x0, self.y0 = float(lo_x.min()), float(lo_y.min())
        self.width = int((hi_x.max() - self.x0) // cell) + 1
        self.height = int((hi_y.max() - self.y0) // cell) + 1
        keys, owners = [], []
        for j in range(len(members)):
            cx = np.arange(int((lo_x[j] - self.x0) // cell), int((hi_x[j] - self.x0) // cell) + 1)
            cy = np.arange(int((lo_y[j] - self.y0) // cell), int((hi_y[j] - self.y0) // cell) + 1)
            grid = (cy[:, None] * self.width + cx[None, :]).ravel()
            keys.append(grid)
            owners.append(np.full(grid.size, j))
        keys_ = np.concatenate(keys)
        order = np.argsort(keys_, kind="stable")
        self.cell_keys = keys_[order]
        self.cell_pieces = np.concatenate(owners)[order]

    def walked(self, points: np.ndarray, owner: np.ndarray, min_span: float) -> list[Walked]:
        parts = [self._near(points[i:i + BLOCK], owner[i:i + BLOCK])
                 for i in range(0, len(points), BLOCK)]
        parts = [p for p in parts if p is not None]
        if not parts:
            return []
        group, lo, hi, at = _reduce(*(np.concatenate(col) for col in zip(*parts)))
        keep = np.flatnonzero(hi - lo >= min_span)
        stroll, local = np.divmod(group[keep], len(self.index))
        return [Walked(int(self.index[j]), float(w), int(k))
                for j, w, k in zip(local, at[keep], stroll)]

    def _near(self, points: np.ndarray, owner: np.ndarray):
        """Per (stroll, piece) of these fixes: the span of the fixes near the piece
        along it (lowest, highest place) and the first one's time; None: no fix near."""
        px, py = self.frame.xy(points[:, 0], points[:, 1])
        cx = np.floor((px - self.x0) / self.cell)
        cy = np.floor((py - self.y0) / self.cell)
        rows = np.flatnonzero((cx >= 0) & (cx < self.width) & (cy >= 0) & (cy < self.height))
        if rows.size == 0:
            return None
        key = cy[rows].astype(np.int64) * self.width + cx[rows].astype(np.int64)
        first = np.searchsorted(self.cell_keys, key, side="left")
        count = np.searchsorted(self.cell_keys, key, side="right") - first
        has = count > 0
        rows, first, count = rows[has], first[has], count[has]
        if rows.size == 0:
            return None
        # every (fix, piece of its cell) pair
        pair_row = np.repeat(rows, count)
        offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        piece = self.cell_pieces[np.repeat(first, count) + offset]
        rx = px[pair_row] - self.ax[piece]
        ry = py[pair_row] - self.ay[piece]
        t = np.clip((rx * self.dx[piece] + ry * self.dy[piece]) / self.len2[piece], 0.0, 1.0)
        near = (rx - t * self.dx[piece]) ** 2 + (ry - t * self.dy[piece]) ** 2 <= self.buffer2
        pair_row, piece, t = pair_row[near], piece[near], t[near]
        if pair_row.size == 0:
            return None
        group = owner[pair_row].astype(np.int64) * len(self.index) + piece
        return _reduce(group, t, t, points[pair_row, 2])


def _reduce(group: np.ndarray, lo: np.ndarray, hi: np.ndarray, at: np.ndarray):
    """One row per group: the lowest ``lo``, highest ``hi`` and earliest ``at``."""
    order = np.argsort(group, kind="stable")
    group, lo, hi, at = group[order], lo[order], hi[order], at[order]
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    return (group[starts], np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts),
            np.minimum.reduceat(at, starts))


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
    tracks = list(tracks)
    tallies = [Tally() for _ in segments]
    for w in Matcher(segments).walked_all(tracks):
        tallies[w.segment].add(datetime.fromtimestamp(w.at, timezone.utc).astimezone(zone))
    strolls = len(tracks)
    merchants = {m: Tally() for m in merchant_ids}
    for merchant_id, when in check_ins:
        if merchant_id in merchants:
            merchants[merchant_id].add(when.astimezone(zone))
    return Coverage(list(segments), tallies, merchants, strolls)
