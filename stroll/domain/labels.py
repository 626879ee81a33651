"""Which names a map can show at a zoom without a name covering another, the team's
position or the route: the places' names laid out in screen space.

A map of 256 px web-mercator tiles at ``zoom`` puts a point at ``world_px(lat, lon,
zoom)``; a name is a box whose width is estimated from its text (the font size is
known) beside its dot: below it, else above, else right, else left. Places are taken
in the order given (the caller puts first what matters most: a business checked in
with, the nearest to the team) and each keeps the first spot that overlaps no name
already kept, no dot, the position marker and no buffer around the route lines; a
place with no free spot keeps its dot and loses its name. Zooming in spreads the
points, so more names fit.

Pure: no Flet, no I/O. Tested in tests/test_labels.py.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

TILE_PX = 256.0
FONT_PX = 10.0          # the names' font size on the maps
LINE_PX = 13.0          # the height of one line of it
MAX_LABEL_PX = 120.0    # a longer name is cut with an ellipsis
DOT_PX = 8.0            # a place's dot
PLACEMENTS = ("below", "above", "right", "left")

Box = tuple[float, float, float, float]   # x0, y0, x1, y1 in screen pixels, y down


@dataclass(frozen=True)
class MapLabel:
    """A place's name at a point; ``key`` names the place to the caller."""
    key: Hashable
    lat: float
    lon: float
    text: str


def world_px(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """The point in web-mercator pixels of the whole world at ``zoom`` (y down)."""
    scale = TILE_PX * 2.0 ** zoom
    s = math.sin(math.radians(max(-85.05, min(85.05, lat))))
    x = (lon + 180.0) / 360.0 * scale
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def text_width_px(text: str, font_px: float = FONT_PX) -> float:
    """An estimate of ``text``'s width: wide (CJK) characters an em, capitals and
    Vietnamese letters a bit wider than the other Latin ones, spaces narrow."""
    em = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            em += 1.0
        elif unicodedata.combining(ch):
            continue
        elif ch.isspace():
            em += 0.3
        elif ch.isupper():
            em += 0.68
        elif ch in "il.,'|!:;":
            em += 0.3
        else:
            em += 0.58
    return em * font_px


def label_size(text: str, font_px: float = FONT_PX,
               max_width_px: float = MAX_LABEL_PX) -> tuple[float, float]:
    """The box a name takes: its estimated width (at most ``max_width_px``) and one line."""
    return min(max_width_px, text_width_px(text, font_px) + 4.0), LINE_PX * font_px / FONT_PX


def placement_box(x: float, y: float, size: tuple[float, float], placement: str,
                  dot_px: float = DOT_PX) -> Box:
    """The box of a name of ``size`` placed ``placement`` of the dot at (x, y)."""
    w, h = size
    gap = dot_px / 2 + 1.0
    if placement == "below":
        return x - w / 2, y + gap, x + w / 2, y + gap + h
    if placement == "above":
        return x - w / 2, y - gap - h, x + w / 2, y - gap
    if placement == "right":
        return x + gap, y - h / 2, x + gap + w, y + h / 2
    if placement == "left":
        return x - gap - w, y - h / 2, x - gap, y + h / 2
    raise ValueError(f"unknown placement {placement!r} (known: {', '.join(PLACEMENTS)})")


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def segment_hits_box(p: tuple[float, float], q: tuple[float, float], box: Box) -> bool:
    """Whether the segment p-q crosses the box (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for edge_p, edge_q in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0),
                           (dy, y1 - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _grow(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


class _Lines:
    """Line segments in screen pixels with their buffers, found by a coarse grid."""

    CELL = 64.0

    def __init__(self, region: Box):
        self.cells: dict[tuple[int, int], list] = {}
        self.region = region  # where the names can be: segments elsewhere are left out

    def add(self, points: Sequence[tuple[float, float]], buffer_px: float) -> None:
        rx0, ry0, rx1, ry1 = self.region
        for p, q in zip(points, points[1:]):
            lo_x, hi_x = min(p[0], q[0]) - buffer_px, max(p[0], q[0]) + buffer_px
            lo_y, hi_y = min(p[1], q[1]) - buffer_px, max(p[1], q[1]) + buffer_px
            if hi_x < rx0 or lo_x > rx1 or hi_y < ry0 or lo_y > ry1:
                continue
            for cx in range(int(lo_x // self.CELL), int(hi_x // self.CELL) + 1):
                for cy in range(int(lo_y // self.CELL), int(hi_y // self.CELL) + 1):
                    self.cells.setdefault((cx, cy), []).append((p, q, buffer_px))

    def hit(self, box: Box) -> bool:
        seen = set()
        for cx in range(int(box[0] // self.CELL), int(box[2] // self.CELL) + 1):
            for cy in range(int(box[1] // self.CELL), int(box[3] // self.CELL) + 1):
                for seg in self.cells.get((cx, cy), ()):
                    if id(seg) in seen:
                        continue
                    seen.add(id(seg))
                    if segment_hits_box(seg[0], seg[1], _grow(box, seg[2])):
                        return True
        return False


def declutter(labels: Sequence[MapLabel], zoom: float, *,
              avoid_points: Iterable[tuple[float, float, float]] = (),
              avoid_lines: Iterable[tuple[Sequence[tuple[float, float]], float]] = (),
              font_px: float = FONT_PX, max_width_px: float = MAX_LABEL_PX,
              dot_px: float = DOT_PX,
              placements: Sequence[str] = PLACEMENTS) -> dict[Hashable, str]:
    """The names shown at ``zoom``: {key: placement}, in the order kept.

    ``labels`` in priority order; ``avoid_points`` (lat, lon, radius in px), e.g. the
    team's position marker; ``avoid_lines`` (points [(lat, lon)], buffer in px), e.g.
    the planned route and the walked track. Every label's own dot is avoided too."""
    pts = [world_px(lab.lat, lab.lon, zoom) for lab in labels]
    r = dot_px / 2
    taken: list[Box] = [(x - r, y - r, x + r, y + r) for x, y in pts]
    for lat, lon, radius in avoid_points:
        x, y = world_px(lat, lon, zoom)
        taken.append((x - radius, y - radius, x + radius, y + radius))
    if not pts:
        return {}
    reach = max_width_px + dot_px + LINE_PX
    lines = _Lines((min(x for x, _ in pts) - reach, min(y for _, y in pts) - reach,
                    max(x for x, _ in pts) + reach, max(y for _, y in pts) + reach))
    for points, buffer_px in avoid_lines:
        lines.add([world_px(a, b, zoom) for a, b in points], buffer_px)
    shown: dict[Hashable, str] = {}
    for lab, (x, y) in zip(labels, pts):
        if not lab.text:
            continue
        size = label_size(lab.text, font_px, max_width_px)
        for placement in placements:
            box = placement_box(x, y, size, placement, dot_px)
            if not any(boxes_overlap(box, t) for t in taken) and not lines.hit(box):
                taken.append(box)
                shown[lab.key] = placement
                break
    return shown


__all__ = ["DOT_PX", "FONT_PX", "LINE_PX", "MAX_LABEL_PX", "MapLabel", "PLACEMENTS",
           "boxes_overlap", "declutter", "label_size", "placement_box", "segment_hits_box",
           "text_width_px", "world_px"]
