"""A half-filled incident survives Back, a reload and the app being killed, in headless
Chromium on a phone-sized page.

An SF Chinatown team logs an incident: physical assault, first aid given, a note. The
ambassador is interrupted and taps Back: the app asks whether to keep the draft. Kept,
the form comes back filled; the page reloads; the app process is killed with SIGKILL
and started again on the same file: the draft is on the Patrol tab, opens filled, and
is saved as the incident it was going to be.
"""
from __future__ import annotations

import pytest

from e2e_helpers import (AppServer, by_id, choose, free_port, go_tab, open_app, screenshot,
                         scroll_to, shown, tap, text_of, type_into, wait_for_text, wait_shown)
from stroll.demo import demo_id
from stroll.i18n import Translator

pytestmark = pytest.mark.e2e

EN = Translator("en")
VI = Translator("vi")
HOOD = demo_id("neighborhood", "sf-chinatown")
NOTE = "Elder pushed near the bus stop on Stockton"


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    tmp = tmp_path_factory.mktemp("drafts")
    s = AppServer(tmp / "device.db", free_port(), tmp / "app.log").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def door(server):
    from stroll.store import Store
    with Store(server.db_path) as store:
        return store.merchants(HOOD)[0]


def phone_at(browser, server, door, ready="sync-status"):
    return open_app(browser, server.url, ready=ready, permissions=["geolocation"],
                    geolocation={"latitude": door["lat"], "longitude": door["lon"],
                                 "accuracy": 5})


def back(page, label: str = "Back") -> None:
    """The app bar's back button (Flutter's own label, in the UI language)."""
    page.get_by_role("button", name=label).click()


def drafts_in(server) -> list[dict]:
    from stroll.store import Store
    with Store(server.db_path) as store:
        return store.drafts()


def test_back_on_a_half_filled_incident_asks_and_keeps_the_draft(browser, server, door):
    ctx, page = phone_at(browser, server, door)
    try:
        from stroll.store import Store
        with Store(server.db_path) as store:
            team = store.members(HOOD)[:2]
        tap(page, "start-stroll")
        tap(page, f"new-stroll-hood-{HOOD}")
        for m in team:
            scroll_to(page, "new-stroll", by_id(page, f"new-stroll-member-{m['id']}")).click()
        scroll_to(page, "new-stroll", by_id(page, "begin-stroll")).click()
        wait_shown(page, "live")

        tap(page, "live-incident")
        wait_shown(page, "quick-incident")
        choose(page, "quick-harm-physical_assault")
        choose(page, "quick-action-first_aid")
        type_into(page, "quick-note", NOTE)
        page.wait_for_timeout(500)          # the last keystrokes reach the app
        back(page)
        wait_shown(page, "draft-question")
        screenshot(page, "drafts_1_keep_or_discard")
        tap(page, "draft-keep")
        wait_shown(page, "live")
        by_id(page, "quick-incident").first.wait_for(state="detached", timeout=10000)
        (kept,) = drafts_in(server)
        assert kept["form"] == "quick_incident"
        assert kept["data"]["values"]["note"] == NOTE
        assert kept["data"]["values"]["harm_types"] == ["physical_assault"]
        assert kept["data"]["values"]["actions_taken"] == ["first_aid"]

        tap(page, "live-incident")           # the form comes back as it was left
        wait_shown(page, "quick-incident")
        page.locator('[flt-semantics-identifier="quick-harm-physical_assault"] '
                     '[aria-checked="true"], [flt-semantics-identifier='
                     '"quick-harm-physical_assault"][aria-checked="true"]'
                     ).first.wait_for(state="attached", timeout=10000)
        page.locator('[flt-semantics-identifier="quick-action-first_aid"] '
                     '[aria-checked="true"], [flt-semantics-identifier='
                     '"quick-action-first_aid"][aria-checked="true"]'
                     ).first.wait_for(state="attached", timeout=10000)
        screenshot(page, "drafts_1b_reopened")
        shown(page, "quick-note").click()     # scrolled into view first: the tap lands on it
        page.wait_for_function(
            "t => [...document.querySelectorAll('input, textarea')].some(e => e.value === t)",
            arg=NOTE, timeout=10000)               # the field holds the note typed before
        screenshot(page, "drafts_1c_note")
        assert drafts_in(server)[0]["data"]["values"]["actions_taken"] == ["first_aid"]
    finally:
        ctx.close()


def test_the_draft_survives_a_reload_and_the_app_being_killed(browser, server, door):
    ctx, page = phone_at(browser, server, door, ready="live")   # the stroll opens by itself
    try:
        page.reload()
        ph = page.locator("flt-semantics-placeholder")
        ph.wait_for(state="attached", timeout=30000)
        ph.dispatch_event("click")
        wait_shown(page, "live", timeout=30000)
    finally:
        ctx.close()
    server.kill()
    server.start(seed=False)
    ctx, page = phone_at(browser, server, door, ready="live")
    try:
        back(page)                           # from the live screen to the tabs
        wait_shown(page, "patrol-tab")
        wait_shown(page, "drafts")
        key = drafts_in(server)[0]["key"]
        wait_for_text(page, f"draft-{key}", EN.t("draft.form.quick_incident"))
        wait_for_text(page, f"draft-{key}", EN.t("harm_types.physical_assault"))
        assert NOTE not in text_of(by_id(page, "patrol-tab"))   # the survivor's story stays in
        screenshot(page, "drafts_2_patrol_tab")

        tap(page, f"draft-{key}")
        wait_shown(page, "quick-incident")
        screenshot(page, "drafts_2b_from_patrol_tab")
        tap(page, "quick-save")
        wait_shown(page, "live")
        from stroll.store import Store
        with Store(server.db_path) as store:
            saved = [i for i in store.list("incident") if i["narrative"] == NOTE]
        assert len(saved) == 1
        assert saved[0]["harm_types"] == ["physical_assault"]
        assert saved[0]["actions_taken"] == ["first_aid"]
        assert drafts_in(server) == []
    finally:
        ctx.close()


def test_the_question_reads_in_vietnamese(browser, server, door):
    ctx, page = phone_at(browser, server, door, ready="live")
    try:
        back(page)
        go_tab(page, "more")
        by_id(page, "lang-vi").click()
        page.wait_for_function(
            "label => document.querySelector('[flt-semantics-identifier=\"tab-patrol\"]')"
            "?.getAttribute('aria-label') === label", arg=VI.t("tab.patrol"), timeout=10000)
        go_tab(page, "patrol")
        tap(page, "start-stroll")            # back to the running stroll
        wait_shown(page, "live")
        tap(page, "live-incident")
        choose(page, "quick-harm-verbal_harassment")
        page.wait_for_timeout(300)
        back(page, "Quay lại")
        wait_for_text(page, "draft-question", VI.t("draft.ask_body"))
        screenshot(page, "drafts_3_question_vi")
        tap(page, "draft-discard")
        wait_shown(page, "live")
        assert drafts_in(server) == []
    finally:
        ctx.close()
