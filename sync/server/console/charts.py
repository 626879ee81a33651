"""Charts drawn by the server as SVG: the geometry here (pure), the drawing in
``templates/chart.html``. No script, no style attribute (the console's CSP), nothing
fetched: bars are rectangles, labels are text, sized in the SVG's own units (its
``viewBox``) so a chart scales with its column.

- ``bar_chart``: one bar a row, its label above it (long labels wrap onto two lines)
  and its number after it: what counts by kind (harm types, neighborhoods, statuses).
- ``column_chart``: one column a week with its number above: a trend.

Every chart has its numbers in a table beside it; a bar's number is also written on
the chart, so colour never carries meaning alone.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

WIDTH = 360           # viewBox units (about CSS pixels at a phone's width)
FONT = 12             # label size, in viewBox units
BAR = 14              # a bar's thickness
GAP = 8               # between a bar and the next label
LINE = 15             # a label line's height
VALUE_ROOM = 64       # right of the longest bar: its number
LABEL_LINES = 2


def text_units(text: str) -> float:
    """About how wide ``text`` is, in ems of the label font: a CJK character (wide) one
    em, other letters a little over half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.56 for c in text)


def wrap(text: str, max_units: float, lines: int = LABEL_LINES) -> list[str]:
    """``text`` on at most ``lines`` lines of ``max_units`` ems (at spaces; between
    CJK characters anywhere); what does not fit ends with an ellipsis."""
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < lines:
        if text_units(rest) <= max_units:
            out.append(rest)
            rest = ""
            break
        cut, width, last_space = 0, 0.0, -1
        for i, c in enumerate(rest):
            width += text_units(c)
            if width > max_units:
                break
            cut = i + 1
            if c == " ":
                last_space = i
        if last_space > 0 and not unicodedata.east_asian_width(rest[cut - 1]) in "WF":
            cut = last_space
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest and out:
        last = out[-1]
        while last and text_units(last + "…") > max_units:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


@dataclass(frozen=True)
class Bar:
    label: str            # in full (the SVG's title of the bar)
    lines: tuple[str, ...]  # the label as drawn
    value: float
    text: str             # the value as the language writes it
    x: float
    y: float
    width: float
    height: float
    label_y: float        # baseline of the label's first line
    text_x: float         # where the number starts
    text_y: float
    tone: str = ""        # a class: "" or e.g. "alert" (the label says it too)
    shown: bool = True    # the number is written on the chart (columns too narrow: not)


@dataclass(frozen=True)
class Chart:
    title: str
    width: float
    height: float
    bars: tuple[Bar, ...]
    kind: str             # "bars" or "columns"
    ticks: tuple[tuple[float, str], ...] = ()   # columns: (x, label) under the axis
    baseline: float = 0.0                       # columns: the axis' y


def _scale(values: list[float], room: float) -> float:
    top = max(values, default=0)
    return room / top if top > 0 else 0.0


def bar_chart(title: str, items: list[tuple[str, float, str]], tones: dict[int, str]
              | None = None, width: float = WIDTH) -> Chart:
    """Horizontal bars for ``items`` ((label, value, value as text)), in their order;
    ``tones``: a class for some bars by index."""
    per_unit = _scale([v for _, v, _ in items], width - VALUE_ROOM)
    bars, y = [], 0.0
    for i, (label, value, text) in enumerate(items):
        lines = tuple(wrap(label, (width - 4) / FONT)) or ("",)
        label_y = y + FONT
        top = y + len(lines) * LINE + 2
        length = max(value * per_unit, 2.0 if value > 0 else 0.0)
        bars.append(Bar(label, lines, value, text, 0.0, top, round(length, 1), BAR,
                        label_y, round(length + 6, 1), top + BAR - 3,
                        (tones or {}).get(i, "")))
        y = top + BAR + GAP
    return Chart(title, width, max(y, 1.0), tuple(bars), "bars")


def column_chart(title: str, items: list[tuple[str, float, str]], width: float = WIDTH,
                 height: float = 150) -> Chart:
    """Columns for ``items`` ((label, value, value as text)) from left to right, e.g.
    one a week; a label under a column only as often as labels fit."""
    n = max(len(items), 1)
    value_room, label_room = FONT + 4, FONT + 8
    baseline = height - label_room
    per_unit = _scale([v for _, v, _ in items], baseline - value_room)
    slot = width / n
    column = min(slot * 0.7, 48.0)
    longest = max((text_units(label) * FONT * 0.9 for label, _, _ in items), default=0)
    every = max(1, math.ceil((longest + 6) / slot))
    widest = max((text_units(text) * FONT * 0.9 for _, _, text in items), default=0)
    numbers = widest + 2 <= slot      # else the table beside the chart has them
    bars, ticks = [], []
    for i, (label, value, text) in enumerate(items):
        h = max(value * per_unit, 1.5 if value > 0 else 0.0)
        cx = slot * i + slot / 2
        bars.append(Bar(label, (label,), value, text, round(cx - column / 2, 1),
                        round(baseline - h, 1), round(column, 1), round(h, 1),
                        0.0, round(cx, 1), round(baseline - h - 4, 1), shown=numbers))
        if i % every == 0:
            ticks.append((round(cx, 1), label))
    return Chart(title, width, height, tuple(bars), "columns", tuple(ticks), baseline)
