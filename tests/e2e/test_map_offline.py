"""The maps with no network: the basemap comes from the device itself (the demo
neighborhoods' MBTiles layer, served by the app's local tile endpoint), the businesses'
names never pile up whatever the zoom, and "show where we are" returns to street level.

Screenshots (test-output/screenshots/): map_offline_z15, map_offline_z17 (the Map tab
zoomed out and in), map_offline_live, map_offline_live_zoomed_out, map_offline_live_recentred,
map_offline_zh-Hant.
"""
from __future__ import annotations

import re

import pytest

from e2e_helpers import by_id, go_tab, open_app, screenshot, shown
from test_place_names_screens import choose_language
from test_stroll_screens import begin_with, tap

pytestmark = pytest.mark.e2e

TILE = re.compile(r"http://127\.0\.0\.1:\d+/tiles/(\d+)/(\d+)/(\d+)\.png")
SF_STOCKTON = (37.7946, -122.4080)


@pytest.fixture(scope="module")
def sf(store_view):
    hood = next(n for n in store_view.neighborhoods() if n["name"] == "SF Chinatown")
    members = store_view.members(hood["id"])
    return {"hood": hood, "trained": [m for m in members if m["trained_lead"]],
            "untrained": [m for m in members if not m["trained_lead"]]}


def watch_tiles(page) -> list[tuple[int, int]]:
    """(zoom, status) of every answer of the local tile endpoint, as they come."""
    seen: list[tuple[int, int]] = []

    def on_response(r):
        m = TILE.match(r.url)
        if m:
            seen.append((int(m.group(1)), r.status))
    page.on("response", on_response)
    return seen


def name_boxes(page, identifier: str) -> list[dict]:
    """The boxes of the names the map shows now (their semantics nodes), on screen."""
    out = []
    for node in page.locator(f'[flt-semantics-identifier="{identifier}"]').all():
        box = node.bounding_box()
        if box and box["width"] > 0 and box["y"] > 0 and box["y"] < 844:
            out.append(box)
    return out


def overlapping(boxes: list[dict]) -> list[tuple[dict, dict]]:
    def hit(a, b):
        return (a["x"] < b["x"] + b["width"] - 1 and b["x"] < a["x"] + a["width"] - 1
                and a["y"] < b["y"] + b["height"] - 1 and b["y"] < a["y"] + a["height"] - 1)
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if hit(a, b)]


def wheel(page, identifier: str, clicks: int) -> None:
    """Zoom the map under ``identifier`` with the mouse wheel (negative: in)."""
    box = by_id(page, identifier).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(abs(clicks)):
        page.mouse.wheel(0, 100 if clicks > 0 else -100)
        page.wait_for_timeout(120)
    page.wait_for_timeout(900)  # the names are laid out again once the map settles


def zoom_to(page, identifier: str, seen: list, zoom: int) -> None:
    """Wheel the map until the tiles it asks the device for are of ``zoom``."""
    current = None
    for _ in range(30):
        asked = [z for z, _ in seen]
        current = asked[-1] if asked else current
        if current == zoom:
            return
        seen.clear()
        wheel(page, identifier, 1 if current is None or current > zoom else -1)
    raise AssertionError(f"the map did not reach zoom {zoom} (at {current})")


def test_the_map_tab_draws_the_offline_basemap_from_the_device(app, sf):
    seen = watch_tiles(app)
    go_tab(app, "map")
    by_id(app, f"map-hood-{sf['hood']['id']}").click()
    app.wait_for_timeout(2500)
    served = [z for z, status in seen if status == 200]
    assert served, f"no tile served by the device: {seen}"
    assert all(13 <= z <= 18 for z in served)
    names = name_boxes(app, "map-name")
    assert names and not overlapping(names)
    screenshot(app, "map_offline_first")


def test_zooming_out_drops_names_rather_than_piling_them_up_and_zooming_in_brings_them_back(
        app, sf):
    seen = watch_tiles(app)
    go_tab(app, "map")
    by_id(app, f"map-hood-{sf['hood']['id']}").click()
    app.wait_for_timeout(1500)
    counts = {}
    for z in (15, 13, 17):
        zoom_to(app, "map-view", seen, z)
        names = name_boxes(app, "map-name")
        screenshot(app, f"map_offline_z{z}")
        assert not overlapping(names), (z, overlapping(names))
        counts[z] = len(names)
    assert counts[13] < counts[15] and counts[13] < counts[17], counts


def test_names_in_chinese_are_laid_out_by_their_own_width(app, sf):
    choose_language(app, "zh-Hant")
    try:
        go_tab(app, "map")
        by_id(app, f"map-hood-{sf['hood']['id']}").click()
        app.wait_for_timeout(2000)
        names = name_boxes(app, "map-name")
        assert names and not overlapping(names)
        texts = [n.get_attribute("aria-label") or n.inner_text()
                 for n in app.locator('[flt-semantics-identifier="map-name"]').all()]
        assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t), texts
        screenshot(app, "map_offline_zh-Hant")
        go_tab(app, "more")
        shown(app, "mbtiles-path")
        screenshot(app, "map_offline_zh-Hant_more")
    finally:
        choose_language(app, "en")


def test_the_live_map_names_businesses_clear_of_the_team_and_recentres_at_street_level(
        browser, app_server, store_view, sf):
    ctx, page = open_app(browser, app_server.url,
                         geolocation={"latitude": SF_STOCKTON[0], "longitude": SF_STOCKTON[1]},
                         permissions=["geolocation"])
    try:
        seen = watch_tiles(page)
        begin_with(page, store_view, sf, [sf["trained"][0], sf["untrained"][0]])
        by_id(page, "live-center").wait_for(state="attached", timeout=15000)
        page.wait_for_timeout(2000)
        assert any(status == 200 for _, status in seen)
        names = name_boxes(page, "live-map-name")
        assert not overlapping(names)
        screenshot(page, "map_offline_live")
        zoom_to(page, "live-map", seen, 14)  # a pinch out: the names thin out, never stack
        zoomed_out = name_boxes(page, "live-map-name")
        assert not overlapping(zoomed_out)
        screenshot(page, "map_offline_live_zoomed_out")
        seen.clear()
        tap(page, "live-center")  # back to the team at street level, not at zoom 14
        page.wait_for_timeout(2500)
        screenshot(page, "map_offline_live_recentred")
        back = name_boxes(page, "live-map-name")
        assert not overlapping(back)
        # zoom 16 lays out more names than zoom 14 around the team (the same place in the
        # middle); tiles are asked again unless the map still holds them
        assert len(back) > len(zoomed_out), (len(back), len(zoomed_out))
        asked = [z for z, _ in seen]
        assert not asked or max(asked) >= 16, f"after 'show where we are': tiles at {set(asked)}"
        tap(page, "live-end")
        tap(page, "live-end-yes")
        by_id(page, "summary").wait_for(state="attached", timeout=10000)
    finally:
        ctx.close()
