"""The names a map shows at a zoom (stroll/domain/labels.py): none covers another, the
team's position or the route; the first places keep theirs; more show as you zoom in."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stroll.domain.labels import (PLACEMENTS, MapLabel, boxes_overlap, declutter, label_size,
                                  placement_box, segment_hits_box, text_width_px, world_px)

DEMO = Path(__file__).resolve().parents[1] / "assets" / "demo"


def demo(hood: str):
    merchants = [m for m in json.loads((DEMO / "merchants.json").read_text())
                 if m["neighborhood_id"] == hood]
    routes = [r for r in json.loads((DEMO / "routes.json").read_text())
              if r["neighborhood_id"] == hood]
    return [MapLabel(m["id"], *m["location"], m["name"]) for m in merchants], routes


def shown_boxes(labels, zoom, shown):
    by_key = {lab.key: lab for lab in labels}
    return {k: placement_box(*world_px(by_key[k].lat, by_key[k].lon, zoom),
                             label_size(by_key[k].text), p) for k, p in shown.items()}


def test_world_pixels_follow_the_web_mercator_tiles():
    assert world_px(0, 0, 0) == pytest.approx((128, 128))
    assert world_px(0, 0, 1) == pytest.approx((256, 256))
    x, y = world_px(37.7946, -122.4068, 16)
    assert (int(x // 256), int(y // 256)) == (10484, 25326)  # the tile that holds Chinatown


def test_a_chinese_name_is_wider_per_character_than_a_latin_one():
    assert text_width_px("玉燈餅家") > text_width_px("Jade")
    assert label_size("x" * 200)[0] == 120  # cut with an ellipsis at the marker's width


@pytest.mark.parametrize("hood", ["sf-chinatown", "oakland-chinatown", "seattle-little-saigon"])
@pytest.mark.parametrize("zoom", [14, 15, 16, 17, 18])
def test_no_two_shown_names_overlap_and_none_covers_a_dot(hood, zoom):
    labels, routes = demo(hood)
    shown = declutter(labels, zoom)
    boxes = shown_boxes(labels, zoom, shown)
    keys = list(boxes)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not boxes_overlap(boxes[a], boxes[b]), (zoom, a, b)
        for lab in labels:
            x, y = world_px(lab.lat, lab.lon, zoom)
            assert not boxes_overlap(boxes[a], (x - 4, y - 4, x + 4, y + 4)), (a, lab.key)


def test_more_names_show_as_you_zoom_in():
    labels, _ = demo("sf-chinatown")
    counts = [len(declutter(labels, z)) for z in (13, 14, 15, 16, 17, 18, 19)]
    assert counts == sorted(counts), counts
    assert counts[0] < counts[-1] == len(labels)


def test_the_first_place_keeps_its_name_and_a_close_neighbour_loses_it():
    a = MapLabel("a", 37.7946, -122.4068, "Golden Dragon Bakery")
    b = MapLabel("b", 37.79461, -122.40681, "Lucky Tea House")
    assert declutter([a, b], 16) == {"a": "below", "b": "above"}
    assert declutter([b, a], 16) == {"b": "below", "a": "above"}
    c = MapLabel("c", 37.79459, -122.40679, "Sun Wah Market")
    d = MapLabel("d", 37.7946, -122.40679, "Golden Gate Fortune Cookies")
    shown = declutter([a, b, c, d], 15)
    assert list(shown)[0] == "a" and len(shown) < 4


def test_a_name_moves_above_its_dot_when_below_is_taken():
    a = MapLabel("a", 37.7946, -122.4068, "Golden Dragon Bakery")
    below = MapLabel("b", 37.79455, -122.4068, "Lucky Tea House")  # ~5 m south
    assert declutter([below, a], 18) == {"b": "below", "a": "above"}


def test_no_name_covers_the_position_marker():
    a = MapLabel("a", 37.7946, -122.4068, "Golden Dragon Bakery")
    x, y = world_px(a.lat, a.lon, 17)
    here = (37.79449, -122.4068)  # 12 m south: where the name would go below
    shown = declutter([a], 17, avoid_points=[(*here, 13)])
    assert shown == {"a": "above"}
    hx, hy = world_px(*here, 17)
    box = placement_box(x, y, label_size(a.text), shown["a"])
    assert not boxes_overlap(box, (hx - 13, hy - 13, hx + 13, hy + 13))


def test_no_name_crosses_the_route():
    a = MapLabel("a", 37.7946, -122.4068, "Golden Dragon Bakery")
    # an east-west street 13 m south and a north-south one 12 m east of the place
    route = [(37.79448, -122.4080), (37.79448, -122.40666), (37.7960, -122.40666)]
    shown = declutter([a], 17, avoid_lines=[(route, 4)])
    assert shown == {"a": "left"}
    assert declutter([a], 17, avoid_lines=[(route, 4)], placements=("below", "right")) == {}


def test_the_segment_test_sees_crossings_and_misses():
    box = (0, 0, 10, 10)
    assert segment_hits_box((-5, 5), (15, 5), box)
    assert segment_hits_box((5, 5), (6, 6), box)  # inside
    assert not segment_hits_box((-5, -1), (15, -1), box)
    assert not segment_hits_box((11, -5), (20, 20), box)


def test_nothing_to_name_shows_nothing():
    assert declutter([], 17) == {}
    assert declutter([MapLabel("a", 37.79, -122.4, "")], 17) == {}
    assert set(PLACEMENTS) == {"below", "above", "right", "left"}
