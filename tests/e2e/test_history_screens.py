"""Past strolls on a phone, in headless Chromium: a stroll walked this afternoon and ended
with a quick incident left as it was logged. The Patrol tab says one incident needs
details; the stroll's card opens it (track on the map, check-in, incident); the incident
opens the full form with no stroll running, is completed, and reads "Details complete".
The same screen in Vietnamese."""
from __future__ import annotations

from datetime import timedelta

import pytest

from e2e_helpers import (by_id, choose, go_tab, open_app, screenshot, tap, text_of,
                         wait_for_text, wait_shown)
from stroll.i18n import Translator
from stroll.store import Store
from tests.support.strolls import walk_and_end

pytestmark = pytest.mark.e2e

EN, VI = Translator("en"), Translator("vi")


@pytest.fixture(scope="module")
def walked(app_server):
    """Written on the app's database before the phone opens (WAL: beside the app)."""
    with Store(app_server.db_path) as store:
        return walk_and_end(store, ago=timedelta(hours=2))


@pytest.fixture(scope="module")
def phone(browser, app_server, walked):
    ctx, page = open_app(browser, app_server.url)
    yield page
    ctx.close()


def _gone(page, identifier: str, timeout: int = 10000) -> None:
    by_id(page, identifier).first.wait_for(state="detached", timeout=timeout)


def test_the_patrol_tab_says_which_incident_needs_details(phone, walked):
    page = phone
    go_tab(page, "patrol")
    wait_for_text(page, "needs-details-count", "1")
    wait_for_text(page, f"needs-{walked.incident_id}-status", EN.t("history.needs_details"))
    wait_shown(page, f"stroll-{walked.stroll_id}")
    screenshot(page, "history_1_patrol_tab_en")


def test_an_ended_stroll_opens_with_its_track_check_in_and_incident(phone, walked,
                                                                    store_view):
    page = phone
    tap(page, f"stroll-{walked.stroll_id}")
    wait_shown(page, "past-stroll")
    wait_shown(page, "past-stroll-map")
    stroll = store_view.get("stroll", walked.stroll_id)
    wait_for_text(page, "past-stroll-distance", EN.km(stroll["distance_m"]))
    merchant = store_view.get("merchant", walked.merchant_id)
    wait_for_text(page, f"past-check-in-{walked.check_in_id}", merchant["name"])
    assert EN.t("check_in_status.concern") in text_of(
        by_id(page, f"past-check-in-{walked.check_in_id}"))
    wait_for_text(page, f"past-incident-{walked.incident_id}-status",
                  EN.t("history.needs_details"))
    screenshot(page, "history_2_past_stroll_en")


def test_its_quick_incident_is_completed_with_no_stroll_running(phone, walked, store_view):
    page = phone
    assert store_view.local_strolls() == []
    tap(page, f"past-incident-{walked.incident_id}")
    wait_shown(page, "incident-form")
    for chip_id in ("incident-reporter_role-witness", "incident-affected_age_band-60_74",
                    "incident-affected_language-yue"):
        choose(page, chip_id)
    tap(page, "incident-save")
    _gone(page, "incident-form")
    wait_for_text(page, f"past-incident-{walked.incident_id}-status", EN.t("history.complete"))
    screenshot(page, "history_3_incident_complete_en")
    stored = store_view.get("incident", walked.incident_id)
    assert stored["quick"] is False and stored["affected_language"] == "yue"
    patches = [e for e in store_view.outbox_entries(100_000) if e["op"] == "patch"
               and e["record_id"] == walked.incident_id]
    assert len(patches) == 1 and set(patches[0]["payload"]) == {
        "reporter_role", "affected_age_band", "affected_language", "quick"}
    # Back to the Patrol tab: nothing needs details any more
    page.get_by_role("button", name="Back").click()
    _gone(page, "past-stroll")
    wait_shown(page, "recent-strolls")
    _gone(page, "needs-details")


def test_the_past_stroll_reads_in_vietnamese(browser, app_server, walked, store_view):
    with Store(app_server.db_path) as store:
        store.set_setting("ui.language", "vi")
    ctx, page = open_app(browser, app_server.url)
    try:
        tap(page, f"stroll-{walked.stroll_id}")
        wait_shown(page, "past-stroll")
        wait_for_text(page, f"past-incident-{walked.incident_id}-status",
                      VI.t("history.complete"))
        distance = store_view.get("stroll", walked.stroll_id)["distance_m"]
        wait_for_text(page, "past-stroll-distance", VI.km(distance))   # decimal comma
        screenshot(page, "history_4_past_stroll_vi")
    finally:
        ctx.close()
        with Store(app_server.db_path) as store:
            store.set_setting("ui.language", "en")
