"""The far-away questions on a phone, in headless Chromium with fake GPS.

The phone stands at Portsmouth Square in SF Chinatown. An Oakland Chinatown stroll is
started there: the app asks once ("You are 11.9 km from Oakland Chinatown. Start the
stroll anyway?") and one tap starts it. A check-in with an Oakland business from
there asks the same way; one tap saves it. The live screen's map carries the sync
chip. Then in Vietnamese: the same questions, answered "Not now": nothing is written.
"""
from __future__ import annotations

import re

import pytest

from e2e_helpers import (by_id, go_tab, open_app, screenshot, scroll_to, tap, text_of,
                         wait_for_text, wait_shown)
from stroll.demo import demo_id
from stroll.i18n import Translator

pytestmark = pytest.mark.e2e

EN, VI = Translator("en"), Translator("vi")
OAK = demo_id("neighborhood", "oakland-chinatown")
PORTSMOUTH_SQ = {"latitude": 37.7948, "longitude": -122.4057, "accuracy": 8}


@pytest.fixture(scope="module")
def phone(browser, app_server):
    ctx, page = open_app(browser, app_server.url, permissions=["geolocation"],
                         geolocation=PORTSMOUTH_SQ)
    yield page
    ctx.close()


def _click(page, identifier: str) -> None:
    """A tap as a screen reader sends it (the control's own semantics node)."""
    sel = f'[flt-semantics-identifier="{identifier}"]'
    page.locator(f"{sel}[flt-tappable], {sel} [flt-tappable]").first.dispatch_event("click")


def _start_form(page, store_view) -> None:
    go_tab(page, "patrol")
    tap(page, "start-stroll")
    wait_shown(page, "new-stroll")
    by_id(page, f"new-stroll-hood-{OAK}").first.click()
    for m in store_view.members(OAK)[:2]:
        scroll_to(page, "new-stroll-form", by_id(page, f"new-stroll-member-{m['id']}")).click()
        page.locator(f'[flt-semantics-identifier="new-stroll-member-{m["id"]}"]'
                     '[aria-checked="true"]').wait_for(state="attached", timeout=5000)
    page.wait_for_timeout(1000)   # the form's one GPS position (asked when it opened)


def _language(page, lang: str) -> None:
    """Choose ``lang`` on the More tab; done when every tab is relabelled."""
    go_tab(page, "more")
    by_id(page, f"lang-{lang}").click()
    tr = Translator(lang)
    page.wait_for_function(
        """labels => labels.every(([id, label]) => document.querySelector(
               `[flt-semantics-identifier="tab-${id}"]`)?.getAttribute('aria-label') === label)""",
        arg=[[tab, tr.t(f"tab.{tab}")] for tab in ("patrol", "shifts", "map", "more")],
        timeout=10000)


def test_an_oakland_stroll_started_in_sf_asks_once_and_starts_with_one_tap(phone, store_view):
    page = phone
    _start_form(page, store_view)
    screenshot(page, "plaus_1_new_stroll_footer_en")
    tap(page, "begin-stroll")
    wait_shown(page, "new-stroll-far")
    said = text_of(by_id(page, "new-stroll-far"))
    assert "Oakland Chinatown" in said and " km " in said, said
    assert store_view.local_strolls() == []                      # nothing started yet
    screenshot(page, "plaus_2_far_from_neighborhood_en")
    tap(page, "new-stroll-far-confirm")                       # Start anyway
    wait_shown(page, "live")
    running = store_view.local_strolls()
    assert len(running) == 1 and running[0]["neighborhood_id"] == OAK
    wait_for_text(page, "live-sync", EN.t("sync.no_server"))     # the sync chip on the map
    screenshot(page, "plaus_3_live_sync_chip_en")


def test_a_check_in_twelve_km_from_the_business_asks_once_then_saves(phone, store_view):
    page = phone
    tap(page, "live-check-in")
    wait_shown(page, "check-in")
    first = page.locator('[flt-semantics-identifier^="merchant-"]').first
    mid = first.get_attribute("flt-semantics-identifier").removeprefix("merchant-")
    first.click()
    wait_shown(page, "check-in-all_good")
    tap(page, "check-in-concern")
    wait_shown(page, "check-in-warning")
    said = text_of(by_id(page, "check-in-warning"))
    name = store_view.get("merchant", mid)["name"]
    assert name in said and " km " in said, said
    assert [v for v in store_view.list("check_in") if v["merchant_id"] == mid
            and v["stroll_id"]] == []
    screenshot(page, "plaus_4_far_from_merchant_en")
    tap(page, "check-in-warning-confirm")                     # Check in anyway
    wait_shown(page, "live")
    visits = [v for v in store_view.list("check_in") if v["merchant_id"] == mid
              and v["stroll_id"]]
    assert [v["status"] for v in visits] == ["concern"]


def test_in_vietnamese_the_check_in_question_answered_not_now_writes_nothing(phone,
                                                                             store_view):
    page = phone
    page.get_by_role("button", name="Back").click()             # live screen -> tabs
    by_id(page, "patrol-tab").wait_for(state="attached", timeout=10000)
    _language(page, "vi")
    go_tab(page, "patrol")
    tap(page, "start-stroll")                                    # the running stroll
    wait_shown(page, "live")
    before = store_view.count("check_in")
    tap(page, "live-check-in")
    wait_shown(page, "check-in")
    page.locator('[flt-semantics-identifier^="merchant-"]').first.click()
    wait_shown(page, "check-in-all_good")
    tap(page, "check-in-all_good")
    wait_shown(page, "check-in-warning")
    assert VI.t("warning.check_in_anyway") in text_of(page.locator("body"))
    screenshot(page, "plaus_5_far_from_merchant_vi")
    tap(page, "check-in-warning-cancel")                      # Not now
    by_id(page, "check-in-warning").first.wait_for(state="detached", timeout=10000)
    wait_shown(page, "merchant")
    assert store_view.count("check_in") == before


def test_in_vietnamese_the_start_question_answered_not_now_starts_nothing(phone, store_view):
    page = phone
    for screen in ("check-in", "live"):                         # Back from the business
        # Flutter's own Back button, in Vietnamese
        page.locator("[role=button]").filter(has_text=re.compile("Quay lại")).first.click()
        wait_shown(page, screen)
    tap(page, "live-end")
    wait_shown(page, "live-end-confirm")
    tap(page, "live-end-yes")
    wait_shown(page, "summary")
    tap(page, "summary-done")
    _start_form(page, store_view)
    screenshot(page, "plaus_6_new_stroll_footer_vi")
    tap(page, "begin-stroll")
    wait_shown(page, "new-stroll-far")
    assert "Oakland Chinatown" in text_of(by_id(page, "new-stroll-far"))
    screenshot(page, "plaus_7_far_from_neighborhood_vi")
    tap(page, "new-stroll-far-cancel")
    by_id(page, "new-stroll-far").first.wait_for(state="detached", timeout=10000)
    assert store_view.local_strolls() == []                      # none running
    wait_shown(page, "new-stroll")                               # still on the form
