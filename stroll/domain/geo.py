"""Geo math for tracks: distances (geopy), jitter filter, simplification, compact encoding.

Distances are geodesic (WGS-84, geopy). For a long track, calling the geodesic
solver per segment costs ~0.1 ms a segment, so ``track_length_m`` uses the
geodesic metres-per-degree at the track's latitude (two geopy calls) and scales
each short segment by it: for segments of a walk (metres to tens of metres) the
difference from per-segment geodesic is far below GPS accuracy (pinned by a test).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from geopy.distance import geodesic

LatLon = tuple[float, float]


@dataclass(frozen=True)
class Fix:
    """One GPS position: degrees, epoch seconds, horizontal accuracy in metres."""
    lat: float
    lon: float
    t: float
    accuracy: float = 10.0


def distance_m(a: LatLon, b: LatLon) -> float:
    return geodesic(a, b).meters


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Geodesic metres per degree of latitude and of longitude around ``lat``."""
    d = 0.01
    lat0 = max(-89.98, min(89.98, lat))
    return (geodesic((lat0 - d / 2, 0), (lat0 + d / 2, 0)).meters / d,
            geodesic((lat0, 0), (lat0, d)).meters / d)


def track_length_m(points: Sequence[LatLon]) -> float:
    if len(points) < 2:
        return 0.0
    mid = points[len(points) // 2][0]
    ky, kx = metres_per_degree(mid)
    total = 0.0
    hypot = math.hypot
    (plat, plon) = points[0][:2]
    for p in points[1:]:
        lat, lon = p[0], p[1]
        total += hypot((lat - plat) * ky, (lon - plon) * kx)
        plat, plon = lat, lon
    return total


def filter_jitter(fixes: Iterable[Fix], *, max_accuracy_m: float = 35.0,
                  min_move_m: float = 2.0, max_speed_mps: float = 8.0,
                  last: Fix | None = None) -> list[Fix]:
    """Keep the fixes worth recording.

    Drops fixes whose reported accuracy is worse than ``max_accuracy_m``, moves
    smaller than ``min_move_m`` from the last kept fix (standing still), moves
    smaller than the two fixes' combined accuracy (noise), and jumps faster than
    ``max_speed_mps`` (a walking patrol does not move at 30 km/h).
    """
    kept: list[Fix] = []
    for fx in fixes:
        if fx.accuracy is None or fx.accuracy > max_accuracy_m:
            continue
        if last is not None:
            moved = distance_m((last.lat, last.lon), (fx.lat, fx.lon))
            noise = min(fx.accuracy, last.accuracy) * 0.5
            if moved < max(min_move_m, noise):
                continue
            dt = fx.t - last.t
            if dt <= 0 or moved / dt > max_speed_mps:
                continue
        kept.append(fx)
        last = fx
    return kept


def simplify(points: Sequence[LatLon], tolerance_m: float = 3.0) -> list[LatLon]:
    """Douglas-Peucker simplification for display (iterative, projected metres)."""
    n = len(points)
    if n < 3:
        return list(points)
    ky, kx = metres_per_degree(points[n // 2][0])
    xs = [p[1] * kx for p in points]
    ys = [p[0] * ky for p in points]
    keep = bytearray(n)
    keep[0] = keep[-1] = 1
    stack = [(0, n - 1)]
    tol2 = tolerance_m * tolerance_m
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        ax, ay, bx, by = xs[i], ys[i], xs[j], ys[j]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        best, best_k = -1.0, -1
        for k in range(i + 1, j):
            px, py = xs[k] - ax, ys[k] - ay
            if seg2 == 0:
                d2 = px * px + py * py
            else:
                cross = px * dy - py * dx
                d2 = cross * cross / seg2
            if d2 > best:
                best, best_k = d2, k
        if best > tol2:
            keep[best_k] = 1
            stack.append((i, best_k))
            stack.append((best_k, j))
    return [points[k] for k in range(n) if keep[k]]


# ---- compact track encoding ------------------------------------------------------
# Polyline-style: each fix becomes four integers (lat*1e5, lon*1e5, seconds,
# accuracy in metres), delta-coded against the previous fix and written as
# zig-zag base-32 varints in printable ASCII. A walking fix every few seconds
# costs about 6 bytes.

_SCALE = 1e5


def _put(out: list[str], value: int) -> None:
    value = ~(value << 1) if value < 0 else value << 1
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))


def encode_track(fixes: Sequence[Fix]) -> str:
    out: list[str] = []
    plat = plon = pt = pacc = 0
    for fx in fixes:
        lat, lon = round(fx.lat * _SCALE), round(fx.lon * _SCALE)
        t, acc = round(fx.t), min(round(fx.accuracy or 0), 9999)
        _put(out, lat - plat)
        _put(out, lon - plon)
        _put(out, t - pt)
        _put(out, acc - pacc)
        plat, plon, pt, pacc = lat, lon, t, acc
    return "".join(out)


def decode_track(text: str) -> list[Fix]:
    fixes: list[Fix] = []
    vals = [0, 0, 0, 0]
    idx, n, k = 0, len(text), 0
    while idx < n:
        shift = result = 0
        while True:
            if idx >= n:
                raise ValueError("track encoding is truncated")
            b = ord(text[idx]) - 63
            idx += 1
            if b < 0 or b > 63:
                raise ValueError(f"track encoding has an invalid character at {idx - 1}")
            result |= (b & 0x1F) << shift
            shift += 5
            if b < 0x20:
                break
        vals[k] += ~(result >> 1) if result & 1 else result >> 1
        k += 1
        if k == 4:
            fixes.append(Fix(vals[0] / _SCALE, vals[1] / _SCALE, float(vals[2]), float(vals[3])))
            k = 0
    if k:
        raise ValueError("track encoding is truncated")
    return fixes
