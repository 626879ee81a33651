"""Places in the app's language on a phone, in headless Chromium: the Patrol, Shifts and
Map tabs, the start form, the live screen, the check-in list and the merchant screen in
Traditional Chinese, then the tabs in Vietnamese, each screen photographed.

One phone with its GPS at the Jade Lantern Bakery on Stockton St; the language is chosen
on the More tab as a person would, and the names follow it without a reload.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from e2e_helpers import (by_id, choose_language, go_tab, open_app, screenshot, scroll_to, tap,
                         text_of, wait_for_text, wait_shown)
from stroll.demo import demo_id
from stroll.i18n import Translator

pytestmark = pytest.mark.e2e

SF = demo_id("neighborhood", "sf-chinatown")
OAK = demo_id("neighborhood", "oakland-chinatown")
SEATTLE = demo_id("neighborhood", "seattle-little-saigon")
BAKERY = demo_id("merchant", "sf-jade-lantern-bakery")
STOCKTON_LOOP = demo_id("route", "sf-chinatown-stockton-loop")
TEMPLATES = json.loads((Path(__file__).parents[2] / "assets/demo/shift_templates.json")
                       .read_text(encoding="utf-8"))


def shift_titles_read_in(page, lang: str) -> str:
    """The Shifts tab's text once one of its cards carries a shift's name in ``lang``
    (which shifts come first depends on the day and the hour); no shift is named in
    English there."""
    names = [t["names"][lang] for t in TEMPLATES]
    deadline = time.monotonic() + 10
    while True:
        text = text_of(by_id(page, "shifts-tab"))
        if any(name in text for name in names) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert any(name in text for name in names), text
    english = [t["title"] for t in TEMPLATES]
    assert not [title for title in english if title in text], text
    return text


@pytest.fixture(scope="module")
def phone(browser, app_server, store_view):
    bakery = store_view.get("merchant", BAKERY)
    ctx, page = open_app(browser, app_server.url, permissions=["geolocation"],
                         geolocation={"latitude": bakery["lat"], "longitude": bakery["lon"],
                                      "accuracy": 5})
    yield page
    ctx.close()


def test_the_tabs_name_places_in_traditional_chinese(phone, store_view):
    page = phone
    choose_language(page, "zh-Hant")
    go_tab(page, "patrol")
    wait_for_text(page, "patrol-tab", "舊金山華埠")
    text = text_of(by_id(page, "patrol-tab"))
    assert "屋崙華埠" in text and "Eastlake / 小西貢" in text
    assert "SF Chinatown" not in text
    screenshot(page, "names_zh-Hant_patrol")

    go_tab(page, "shifts")
    wait_for_text(page, "shifts-tab", "舊金山華埠")
    shift_titles_read_in(page, "zh-Hant")
    screenshot(page, "names_zh-Hant_shifts")

    go_tab(page, "map")
    by_id(page, f"map-hood-{SF}").click()
    wait_for_text(page, "map-legend", "市德頓街環線")
    assert "花園角環線" in text_of(by_id(page, "map-legend"))
    wait_for_text(page, f"map-hood-{OAK}", "屋崙華埠")
    screenshot(page, "names_zh-Hant_map")


def test_the_start_form_live_screen_and_check_in_name_places_in_traditional_chinese(
        phone, store_view):
    page = phone
    go_tab(page, "patrol")
    tap(page, "start-stroll")
    wait_shown(page, "new-stroll")
    tap(page, f"new-stroll-hood-{SF}")
    wait_for_text(page, f"new-stroll-hood-{SF}", "舊金山華埠")
    wait_for_text(page, f"new-stroll-route-{STOCKTON_LOOP}", "市德頓街環線")
    screenshot(page, "names_zh-Hant_new_stroll")
    for m in store_view.members(SF)[:2]:
        scroll_to(page, "new-stroll", by_id(page, f"new-stroll-member-{m['id']}")).click()
    scroll_to(page, "new-stroll", by_id(page, "begin-stroll")).click()
    wait_shown(page, "live")
    wait_for_text(page, "screen-title", "舊金山華埠")
    wait_for_text(page, "live-gps", Translator("zh-Hant").t("live.gps_ok_plain"), timeout=15000)
    screenshot(page, "names_zh-Hant_live")

    tap(page, "live-check-in")
    wait_shown(page, f"merchant-{BAKERY}")
    wait_for_text(page, f"merchant-{BAKERY}", "玉燈餅家")
    screenshot(page, "names_zh-Hant_check_in")
    tap(page, f"merchant-{BAKERY}")
    wait_shown(page, "merchant")
    wait_for_text(page, "screen-title", "玉燈餅家")
    screenshot(page, "names_zh-Hant_merchant")
    tap(page, "check-in-all_good")
    wait_shown(page, "live")
    wait_for_text(page, "live-notice", "玉燈餅家")
    screenshot(page, "names_zh-Hant_live_checked_in")


def test_switching_to_vietnamese_renames_the_places(phone):
    page = phone
    # to the tabs (the back button speaks the app's language); the stroll runs on
    page.get_by_role("button", name=re.compile(r"^(Back|返回)$")).first.click()
    by_id(page, "tab-more").wait_for(state="attached", timeout=10000)
    choose_language(page, "vi")
    go_tab(page, "patrol")
    wait_for_text(page, "patrol-tab", "Eastlake / Sài Gòn Nhỏ")
    text = text_of(by_id(page, "patrol-tab"))
    assert "SF Chinatown" in text and "舊金山華埠" not in text  # no Vietnamese name: English
    screenshot(page, "names_vi_patrol")

    go_tab(page, "shifts")
    shift_titles_read_in(page, "vi")
    screenshot(page, "names_vi_shifts")

    go_tab(page, "map")
    by_id(page, f"map-hood-{SEATTLE}").click()
    wait_for_text(page, "map-legend", "Vòng Sài Gòn Nhỏ")
    screenshot(page, "names_vi_map")

    go_tab(page, "patrol")
    tap(page, "start-stroll")   # back to the stroll running
    wait_shown(page, "live")
    wait_for_text(page, "screen-title", "SF Chinatown")
    screenshot(page, "names_vi_live")
