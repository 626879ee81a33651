"""Geo math for tracks: distances (geopy), jitter filter, simplification, compact encoding.

Distances are geodesic (WGS-84, geopy). The geodesic solver costs ~0.1-0.3 ms a
call, far too slow to run per GPS fix (ingest must keep up with 50,000 points/s
in batches), so the per-fix code (``track_length_m``, ``filter_jitter``,
``Odometer``, ``simplify``) uses the geodesic metres-per-degree at the fix's latitude
(computed by geopy once per 0.01 degree band of latitude and cached) and scales
each short segment by it. For segments of a walk (metres to hundreds of
metres) the difference from per-segment geodesic is far below GPS accuracy
(pinned by a test: < 0.1 % on a real route).
"""
from __future__ import annotations

import math
from functools import lru_cache
from itertools import accumulate
from typing import Iterable, NamedTuple, Sequence

from geopy.distance import geodesic

LatLon = tuple[float, float]


class Fix(NamedTuple):
    """One GPS position: degrees, epoch seconds, horizontal accuracy in metres.

    A named tuple: ``fix[0], fix[1]`` are lat, lon, so a list of fixes is also a
    polyline for ``track_length_m`` and ``simplify``; cheap to build in bulk."""
    lat: float
    lon: float
    t: float
    accuracy: float = 10.0

    @property
    def latlon(self) -> LatLon:
        return (self.lat, self.lon)


def distance_m(a: LatLon, b: LatLon) -> float:
    """Geodesic distance in metres between two (lat, lon) points (geopy, WGS-84)."""
    return geodesic(a, b).meters


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Geodesic metres per degree of latitude and of longitude around ``lat``."""
    d = 0.01
    lat0 = max(-89.98, min(89.98, lat))
    return (geodesic((lat0 - d / 2, 0), (lat0 + d / 2, 0)).meters / d,
            geodesic((lat0, 0), (lat0, d)).meters / d)


@lru_cache(maxsize=512)
def _scale_band(band: int) -> tuple[float, float]:
    return metres_per_degree(band / 100.0)


def local_scale(lat: float) -> tuple[float, float]:
    """``metres_per_degree`` for the 0.01 degree band of latitude holding ``lat``
    (cached; the band's error on a segment is < 0.01 %)."""
    return _scale_band(int(math.floor(lat * 100.0)))


def track_length_m(points: Sequence[LatLon]) -> float:
    """Length in metres of a polyline of (lat, lon) points (anything indexable)."""
    if len(points) < 2:
        return 0.0
    total = 0.0
    hypot, floor = math.hypot, math.floor
    plat, plon = points[0][0], points[0][1]
    band = None
    ky = kx = 0.0
    for p in points[1:]:
        lat, lon = p[0], p[1]
        b = floor(lat * 100.0)
        if b != band:
            band = b
            ky, kx = _scale_band(b)
        total += hypot((lat - plat) * ky, (lon - plon) * kx)
        plat, plon = lat, lon
    return total


def local_distance_m(a: LatLon, b: LatLon) -> float:
    """Distance between two nearby points in the metric of ``track_length_m``."""
    ky, kx = local_scale((a[0] + b[0]) / 2)
    return math.hypot((b[0] - a[0]) * ky, (b[1] - a[1]) * kx)


class Odometer:
    """Distance walked, kept incrementally as fixes arrive.

    GPS noise makes a track zig-zag: summing every segment between fixes a few
    metres apart overstates a walk by 5-30 %. So the odometer counts the way
    from an anchor fix to the first fix at least ``step_m`` (or that fix's
    accuracy, if larger) away, then moves the anchor there; the few metres from
    the anchor to the latest fix are ``pending_m`` (shown live, counted by
    ``close``). ``close()`` ends a segment (pause, end): the jump from the last
    fix to the first one of the next segment is not counted.
    """

    __slots__ = ("metres", "anchor", "last", "step_m")

    def __init__(self, metres: float = 0.0, anchor: LatLon | None = None,
                 last: LatLon | None = None, step_m: float = 10.0):
        self.metres = metres
        self.anchor = anchor
        self.last = last if anchor is not None else None
        self.step_m = step_m

    @property
    def pending_m(self) -> float:
        if self.anchor is None or self.last is None:
            return 0.0
        return local_distance_m(self.anchor, self.last)

    @property
    def total_m(self) -> float:
        return self.metres + self.pending_m

    def add(self, fixes: Iterable[Fix]) -> float:
        step = self.step_m
        hypot, floor = math.hypot, math.floor
        band = None
        ky = kx = 0.0
        anchor = self.anchor
        metres = self.metres
        last = self.last
        for f in fixes:
            lat, lon = f[0], f[1]
            last = (lat, lon)
            if anchor is None:
                anchor = last
                continue
            b = floor(lat * 100.0)
            if b != band:
                band = b
                ky, kx = _scale_band(b)
            d = hypot((lat - anchor[0]) * ky, (lon - anchor[1]) * kx)
            acc = f[3] if len(f) > 3 and f[3] else 0.0
            if d >= (step if step > acc else acc):
                metres += d
                anchor = last
        self.anchor, self.metres, self.last = anchor, metres, last
        return self.total_m

    def close(self) -> float:
        """End the segment: count the pending metres; the next fix starts afresh."""
        self.metres += self.pending_m
        self.anchor = self.last = None
        return self.metres


def filter_jitter(fixes: Iterable[Fix], *, max_accuracy_m: float = 35.0,
                  min_move_m: float = 2.0, max_speed_mps: float = 8.0,
                  last: Fix | None = None) -> list[Fix]:
    """Keep the fixes worth recording, in order.

    Drops fixes that are not positions at all (coordinates out of range, NaN,
    no time), fixes whose reported accuracy is worse than ``max_accuracy_m``,
    moves smaller than ``min_move_m`` from the last kept fix (standing still),
    moves smaller than half the better of the two fixes' accuracy (noise),
    fixes not later than the last kept one, and jumps faster than
    ``max_speed_mps`` (a walking patrol does not move at 30 km/h). ``last`` is
    the last fix kept before this batch, so filtering continues across batches
    (and across a restart, when the caller reloads it).
    """
    kept: list[Fix] = []
    keep = kept.append
    isfinite, floor, sqrt = math.isfinite, math.floor, math.sqrt
    band = None
    ky = kx = 0.0
    for fx in fixes:
        acc, lat, lon, t = fx.accuracy, fx.lat, fx.lon, fx.t
        try:
            if (not (0 <= acc <= max_accuracy_m) or not (-90 <= lat <= 90)
                    or not (-180 <= lon <= 180) or not isfinite(t)):
                continue
        except TypeError:      # None or text where a number belongs
            continue
        if last is not None:
            b = floor(lat * 100.0)
            if b != band:
                band = b
                ky, kx = _scale_band(b)
            dy = (lat - last.lat) * ky
            dx = (lon - last.lon) * kx
            moved = sqrt(dx * dx + dy * dy)
            noise = (acc if acc < last.accuracy else last.accuracy) * 0.5
            if moved < min_move_m or moved < noise:
                continue
            dt = t - last.t
            if not dt > 0 or moved > max_speed_mps * dt:
                continue
        keep(fx)
        last = fx
    return kept


def simplify(points: Sequence[LatLon], tolerance_m: float = 3.0,
             block: int | None = 256) -> list[LatLon]:
    """Douglas-Peucker simplification for display (iterative, projected metres).

    Keeps the first and last point; every dropped point lies within
    ``tolerance_m`` of the simplified line. A long track is simplified in
    blocks of ``block`` segments (sharing their end points): the cost stays
    linear in the length, for a few per cent more points (None: one block)."""
    n = len(points)
    if block and n > 2 * block:
        out: list[LatLon] = []
        for i in range(0, n - 1, block):
            out.extend(_douglas_peucker(points[i:i + block + 1], tolerance_m)[:-1])
        out.append(points[-1])
        return out
    return _douglas_peucker(points, tolerance_m)


def _douglas_peucker(points: Sequence[LatLon], tolerance_m: float) -> list[LatLon]:
    n = len(points)
    if n < 3:
        return list(points)
    ky, kx = local_scale(points[n // 2][0])
    xs = [p[1] * kx for p in points]
    ys = [p[0] * ky for p in points]
    keep = bytearray(n)
    keep[0] = keep[-1] = 1
    stack = [(0, n - 1)]
    tol = tolerance_m
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        ax, ay = xs[i], ys[i]
        dx, dy = xs[j] - ax, ys[j] - ay
        seg = math.hypot(dx, dy)
        if seg == 0.0:  # a loop back to the start: distance to the point itself
            ds = [(x - ax) ** 2 + (y - ay) ** 2 for x, y in zip(xs[i + 1:j], ys[i + 1:j])]
            far = max(ds)
            if far <= tol * tol:
                continue
        else:
            # signed cross product; |cross| / seg is the distance to the line
            c = ay * dx - ax * dy
            ds = [x * dy - y * dx + c for x, y in zip(xs[i + 1:j], ys[i + 1:j])]
            hi, lo = max(ds), min(ds)
            far = hi if hi >= -lo else lo
            if abs(far) <= tol * seg:
                continue
        k = i + 1 + ds.index(far)
        keep[k] = 1
        stack.append((i, k))
        stack.append((k, j))
    return [points[k] for k in range(n) if keep[k]]


# ---- compact track encoding ------------------------------------------------------
# Polyline-style: each fix becomes four integers (lat*1e5, lon*1e5, seconds,
# accuracy in metres), delta-coded against the previous fix and written as
# zig-zag base-32 varints in printable ASCII (characters 63..126). A walking fix
# every few seconds costs about 4-6 bytes. Resolution: 1e-5 degree (~1 m), 1 s,
# 1 m of accuracy (capped at 9999).

_SCALE = 1e5
_CHARS = [chr(i + 63) for i in range(64)]


def encode_track(fixes: Sequence[Fix]) -> str:
    out: list[str] = []
    put = out.append
    chars = _CHARS
    plat = plon = pt = pacc = 0
    for fx in fixes:
        lat, lon = round(fx.lat * _SCALE), round(fx.lon * _SCALE)
        t, acc = round(fx.t), min(round(fx.accuracy or 0), 9999)
        for v in (lat - plat, lon - plon, t - pt, acc - pacc):
            v = ~(v << 1) if v < 0 else v << 1
            while v >= 0x20:
                put(chars[0x20 | (v & 0x1F)])
                v >>= 5
            put(chars[v])
        plat, plon, pt, pacc = lat, lon, t, acc
    return "".join(out)


def decode_track(text: str) -> list[Fix]:
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError as e:
        raise ValueError(f"track encoding has an invalid character at {e.start}") from None
    vals: list[int] = []
    put = vals.append
    result = shift = 0
    for idx, b in enumerate(data):
        b -= 63
        if b < 0x20:
            if b < 0:
                raise ValueError(f"track encoding has an invalid character at {idx}")
            result |= b << shift
            put(~(result >> 1) if result & 1 else result >> 1)
            result = shift = 0
        else:
            if b > 63:
                raise ValueError(f"track encoding has an invalid character at {idx}")
            result |= (b & 0x1F) << shift
            shift += 5
    if shift or len(vals) % 4:
        raise ValueError("track encoding is truncated")
    sc = _SCALE
    return [Fix(a / sc, b / sc, float(c), float(d)) for a, b, c, d in zip(
        accumulate(vals[0::4]), accumulate(vals[1::4]), accumulate(vals[2::4]),
        accumulate(vals[3::4]))]


# ---- simulated walks (fake GPS for tests, benches and demos) ----------------------

def walk_fixes(path: Sequence[LatLon], *, step_m: float = 5.0, noise_m: float = 1.0,
               speed_mps: float = 1.3, start_t: float = 1_767_225_600.0, seed: int = 0,
               accuracies: Sequence[float] = (4.0, 5.0, 6.0, 8.0)) -> list[Fix]:
    """GPS fixes of someone walking ``path`` at ``speed_mps``: a fix every ~``step_m``
    metres, each off by Gaussian noise of ``noise_m`` metres a coordinate.
    Deterministic for a given ``seed``."""
    import random

    rng = random.Random(seed)
    fixes: list[Fix] = []
    t = start_t
    for (lat1, lon1), (lat2, lon2) in zip(path, path[1:]):
        seg = distance_m((lat1, lon1), (lat2, lon2))
        n = max(1, round(seg / step_m))
        ky, kx = local_scale(lat1)
        for i in range(n):
            f = i / n
            fixes.append(Fix(lat1 + (lat2 - lat1) * f + rng.gauss(0, noise_m) / ky,
                             lon1 + (lon2 - lon1) * f + rng.gauss(0, noise_m) / kx,
                             t, rng.choice(accuracies)))
            t += seg / n / speed_mps
    lat, lon = path[-1]
    fixes.append(Fix(lat, lon, t, accuracies[0]))
    return fixes
