"""The app shell in a phone-sized browser: every tab shows the demo data."""
from __future__ import annotations

from datetime import datetime

import pytest

from e2e_helpers import (by_id, choose_language, go_tab, screenshot, scroll_to, scroll_top, shown,
                         text_of, wait_for_text)
from stroll.i18n import Translator
from stroll.domain.records import parse_time

pytestmark = pytest.mark.e2e

EN = Translator("en")


def test_patrol_tab_lists_recent_strolls_and_neighborhoods(app, store_view):
    go_tab(app, "patrol")
    strolls = store_view.recent_strolls(limit=10)
    assert strolls, "the demo data has strolls"
    by_id(app, f"stroll-{strolls[0]['id']}").wait_for(state="attached", timeout=10000)
    screenshot(app, "patrol")
    for s in strolls:
        text = text_of(scroll_to(app, "patrol-tab", by_id(app, f"stroll-{s['id']}")))
        assert s["neighborhood_name"] in text
        assert EN.km(s["distance_m"]) in text
        assert EN.t("patrol.team", count=s["team_size"]) in text
    first = strolls[0]
    assert EN.day_time(datetime.fromisoformat(first["started_at"])) in \
        text_of(by_id(app, f"stroll-{first['id']}"))
    for n in store_view.neighborhoods():
        scroll_to(app, "patrol-tab", app.get_by_text(n["city"]))
    screenshot(app, "patrol_neighborhoods")
    scroll_top(app, "patrol-tab")
    assert by_id(app, "start-stroll").is_visible()


def test_start_stroll_opens_the_neighborhood_picker_and_back(app, store_view):
    go_tab(app, "patrol")
    by_id(app, "start-stroll").click()
    by_id(app, "new-stroll").wait_for(state="attached", timeout=10000)
    hoods = store_view.neighborhoods()
    for n in hoods:
        assert by_id(app, f"new-stroll-hood-{n['id']}").count() == 1
    oakland = next(n for n in hoods if n["name"].startswith("Oakland"))
    by_id(app, f"new-stroll-hood-{oakland['id']}").click()
    app.locator(f'[flt-semantics-identifier="new-stroll-hood-{oakland["id"]}"] '
                '[aria-checked="true"], '
                f'[flt-semantics-identifier="new-stroll-hood-{oakland["id"]}"][aria-checked="true"]'
                ).first.wait_for(state="attached", timeout=5000)
    for m in store_view.members(oakland["id"]):  # the chosen neighborhood's roster
        by_id(app, f"new-stroll-member-{m['id']}").wait_for(state="attached", timeout=5000)
    assert by_id(app, "begin-stroll").get_attribute("aria-disabled") != "true"
    screenshot(app, "new_stroll")
    app.get_by_role("button", name="Back").click()
    by_id(app, "patrol-tab").wait_for(state="attached", timeout=10000)
    assert by_id(app, "new-stroll").count() == 0


def test_shifts_tab_groups_the_week_by_day(app, store_view):
    go_tab(app, "shifts")
    now = datetime.now().astimezone()
    shifts = store_view.upcoming_shifts(now, days=7)
    assert shifts, "the demo data has a week of shifts"
    days = {parse_time(s["starts_at"]).astimezone().date() for s in shifts}
    screenshot(app, "shifts")
    for s in shifts:
        scroll_to(app, "shifts-tab", by_id(app, f"shift-{s['id']}"))
        text = text_of(shown(app, f"shift-{s['id']}"))  # whole on the screen: every line read
        assert s["title"] in text
        assert EN.t("shifts.sign_in_needed") in text  # the demo phone is nobody's
        if s["spots_left"]:
            assert EN.t("shifts.spots", left=s["spots_left"], count=s["capacity"]) in text
        else:
            assert EN.t("shifts.full") in text
    scroll_top(app, "shifts-tab")
    for day in sorted(days):
        scroll_to(app, "shifts-tab", by_id(app, f"day-{day.isoformat()}"))
    screenshot(app, "shifts_end")
    scroll_top(app, "shifts-tab")


@pytest.mark.parametrize("lang", ["zh-Hant", "vi"])
def test_shifts_tab_says_days_and_times_the_language_way(app, store_view, lang):
    """Day headings and shift hours come from CLDR: 6月1日週一 and 下午5:30, Thứ 2, 1 thg 6
    and 17:30–19:00."""
    tr = Translator(lang)
    now = datetime.now().astimezone()
    shifts = store_view.upcoming_shifts(now, days=7)
    first = shifts[0]
    start = parse_time(first["starts_at"]).astimezone()
    end = parse_time(first["ends_at"]).astimezone()
    try:
        choose_language(app, lang)
        go_tab(app, "shifts")
        wait_for_text(app, f"day-{start.date().isoformat()}", tr.day_label(start.date(), now.date()))
        assert tr.time_range(start, end) in text_of(by_id(app, f"shift-{first['id']}"))
        screenshot(app, f"shifts_{lang}")
    finally:
        choose_language(app, "en")


def test_map_tab_draws_the_routes_of_the_chosen_neighborhood(app, store_view):
    go_tab(app, "map")
    assert by_id(app, "map-view").is_visible()
    hoods = store_view.neighborhoods()
    legend = by_id(app, "map-legend")
    for r in store_view.routes(hoods[0]["id"]):
        assert r["name"] in text_of(legend)
    screenshot(app, "map")
    sf = next(n for n in hoods if n["name"] == "SF Chinatown")
    by_id(app, f"map-hood-{sf['id']}").click()
    routes = store_view.routes(sf["id"])
    wait_for_text(app, "map-legend", routes[0]["name"])
    text = text_of(legend)
    assert all(r["name"] in text for r in routes)
    assert EN.t("map.merchant_count", count=len(store_view.merchants(sf["id"]))) in text
    screenshot(app, "map_sf_chinatown")


def test_more_tab_offers_every_language_in_its_own_script(app):
    go_tab(app, "more")
    names = {"en": "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文", "vi": "Tiếng Việt",
             "es": "Español", "tl": "Tagalog", "ko": "한국어", "km": "ភាសាខ្មែរ"}
    for code, name in names.items():
        radio = by_id(app, f"lang-{code}")
        assert radio.count() == 1, code
        assert name in text_of(radio), code
    screenshot(app, "more")
    for ident in ("server-url", "device-name", "tile-url", "mbtiles-path", "save-settings"):
        scroll_to(app, "more-tab", by_id(app, ident), step=300)
        assert by_id(app, ident).count() == 1, ident
    shown(app, "mbtiles-path")
    screenshot(app, "more_settings")
    scroll_top(app, "more-tab")


def test_sync_badge_shows_no_server_and_what_waits(app, store_view):
    go_tab(app, "patrol")
    badge = by_id(app, "sync-status")
    pending = store_view.pending_count()
    assert EN.t("sync.no_server") in text_of(badge)
    assert EN.t("sync.pending", count=pending) in text_of(badge)
    badge.click()
    details = by_id(app, "sync-details")
    details.wait_for(state="attached", timeout=10000)
    assert EN.t("sync.set_server") in text_of(details)
    screenshot(app, "sync_details")
    app.get_by_role("button", name=EN.t("sync.close")).click()
    details.wait_for(state="detached", timeout=10000)


def assert_touch_size(page, identifier: str) -> None:
    box = by_id(page, identifier).bounding_box()
    assert box and box["height"] >= 48 and box["width"] >= 48, (identifier, box)


def test_touch_targets_are_at_least_48px(app, store_view):
    go_tab(app, "patrol")
    for ident in ("tab-patrol", "tab-shifts", "tab-map", "tab-more", "sync-status",
                  "start-stroll"):
        assert_touch_size(app, ident)
    go_tab(app, "map")
    for n in store_view.neighborhoods():
        assert_touch_size(app, f"map-hood-{n['id']}")
    go_tab(app, "more")
    for code in ("en", "zh-Hant", "km"):
        assert_touch_size(app, f"lang-{code}")
    box = by_id(app, "more-tab").bounding_box()
    app.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    app.mouse.wheel(0, 400)  # the Save button sits at the fold: bring it fully into view
    app.wait_for_timeout(300)
    assert_touch_size(app, "save-settings")
    scroll_top(app, "more-tab")
    go_tab(app, "patrol")
