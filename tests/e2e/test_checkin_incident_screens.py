"""Check-in and incident screens on a phone, in headless Chromium with fake GPS.

Two SF Chinatown ambassadors start a stroll standing at a merchant's door. They check
in with the merchant in two taps, add a business that is not on the list yet, try to
log an incident without saying what happened, log it properly, and complete it in the
full form. After each step the SQLite file must hold the record and an outbox entry
waiting for sync (for the form: a patch of only the fields that changed).
"""
from __future__ import annotations

import pytest

from e2e_helpers import (by_id, choose, screenshot, scroll_to, tap, type_into,
                         wait_for_text, wait_shown)
from stroll.demo import demo_id
from stroll.domain.geo import distance_m
from stroll.i18n import Translator

pytestmark = pytest.mark.e2e

EN = Translator("en")
HOOD = demo_id("neighborhood", "sf-chinatown")
TEAM_SIZE = 2


def _gone(page, identifier: str, timeout: int = 10000):
    by_id(page, identifier).first.wait_for(state="detached", timeout=timeout)


def _entries(store, record_type: str, record_id: str | None = None) -> list[dict]:
    return [e for e in store.outbox_entries(100_000) if e["record_type"] == record_type
            and (record_id is None or e["record_id"] == record_id)]


@pytest.fixture(scope="module")
def door(store_view):
    """The merchant the team stands in front of (first of the neighborhood by name)."""
    return store_view.merchants(HOOD)[0]


@pytest.fixture(scope="module")
def phone(browser, app_server, store_view, door):
    """A phone whose GPS says the team is at ``door``, with a stroll running."""
    from e2e_helpers import open_app
    ctx, page = open_app(browser, app_server.url, permissions=["geolocation"],
                         geolocation={"latitude": door["lat"], "longitude": door["lon"],
                                      "accuracy": 5})
    tap(page, "start-stroll")
    wait_shown(page, "new-stroll")
    tap(page, f"new-stroll-hood-{HOOD}")
    for m in store_view.members(HOOD)[:TEAM_SIZE]:
        scroll_to(page, "new-stroll", by_id(page, f"new-stroll-member-{m['id']}")).click()
    scroll_to(page, "new-stroll", by_id(page, "begin-stroll")).click()
    wait_shown(page, "live")
    wait_for_text(page, "live-gps", EN.t("live.gps_ok_plain"), timeout=15000)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def stroll_id(phone, store_view):
    running = [s for s in store_view.list("stroll") if s["status"] == "active"]
    assert len(running) == 1 and len(running[0]["team"]) == TEAM_SIZE
    return running[0]["id"]


def test_a_check_in_takes_two_taps_and_waits_in_the_outbox(phone, store_view, stroll_id,
                                                           door):
    page = phone
    tap(page, "live-check-in")
    wait_shown(page, "check-in")
    screenshot(page, "checkin_1_list")
    # nearest first: the merchant at the door heads the list, with its distance
    first = page.locator('[flt-semantics-identifier^="merchant-"]').first
    assert first.get_attribute("flt-semantics-identifier") == f"merchant-{door['id']}"

    tap(page, f"merchant-{door['id']}")                   # tap 1: who
    wait_shown(page, "merchant")
    wait_shown(page, "check-in-all_good")
    screenshot(page, "checkin_2_merchant")
    tap(page, "check-in-concern")                         # tap 2: how, and saved
    wait_shown(page, "live")

    visits = store_view.list("check_in", stroll_id=stroll_id)
    assert [(v["merchant_id"], v["status"]) for v in visits] == [(door["id"], "concern")]
    assert visits[0]["lat"] is not None
    queued = _entries(store_view, "check_in", visits[0]["id"])
    assert [e["op"] for e in queued] == ["upsert"]
    assert queued[0]["payload"]["status"] == "concern"


def test_a_business_is_added_where_the_team_stands(phone, store_view, door):
    page = phone
    before = len(store_view.merchants(HOOD))
    tap(page, "live-check-in")
    tap(page, "add-merchant")
    wait_shown(page, "add-merchant-form")
    tap(page, "new-merchant-save")                        # no name yet
    wait_for_text(page, "new-merchant-error-name", EN.t("error.merchant_name"))
    assert len(store_view.merchants(HOOD)) == before

    type_into(page, "new-merchant-name", "Golden Lotus Tea House")
    by_id(page, "new-merchant-error-name").wait_for(state="detached", timeout=10000)
    by_id(page, "new-merchant-error-summary").wait_for(state="detached", timeout=10000)
    choose(page, "new-merchant-category-restaurant")
    choose(page, "new-merchant-lang-yue")
    assert by_id(page, "new-merchant-error-name").count() == 0  # a chip does not bring it back
    assert by_id(page, "new-merchant-error-summary").count() == 0
    name_box = by_id(page, "new-merchant-name").bounding_box()
    form_box = by_id(page, "add-merchant-body").bounding_box()
    assert name_box["width"] >= form_box["width"] - 40          # as wide as the form
    assert by_id(page, "new-merchant-address").bounding_box()["width"] == name_box["width"]
    choose(page, "new-merchant-status-concern")                 # how things are there
    screenshot(page, "checkin_3_add_merchant")
    tap(page, "new-merchant-save")                              # saved and checked in
    wait_shown(page, "live")
    wait_for_text(page, "live-notice", EN.t("merchant.added_checked_in",
                                             name="Golden Lotus Tea House"))
    added = [m for m in store_view.merchants(HOOD) if m["name"] == "Golden Lotus Tea House"]
    assert len(added) == 1
    m = added[0]
    assert m["category"] == "restaurant" and m["languages"] == ["yue"]
    assert distance_m((m["lat"], m["lon"]), (door["lat"], door["lon"])) < 5
    assert [e["op"] for e in _entries(store_view, "merchant", m["id"])] == ["upsert"]
    visits = [v for v in store_view.list("check_in") if v["merchant_id"] == m["id"]]
    assert [(v["status"], v["language"]) for v in visits] == [("concern", "yue")]
    assert [e["op"] for e in _entries(store_view, "check_in", visits[0]["id"])] == ["upsert"]


def test_a_quick_incident_without_a_harm_type_says_so_and_writes_nothing(phone, store_view,
                                                                        stroll_id):
    page = phone
    incidents = len(store_view.list("incident"))
    queued = len(store_view.outbox_entries(100_000))
    tap(page, "live-incident")
    wait_shown(page, "quick-incident")
    choose(page, "quick-action-de_escalated")
    tap(page, "quick-save")
    wait_for_text(page, "quick-error-harm_types", EN.t("error.harm_types"))
    screenshot(page, "incident_1_quick_missing_harm")
    assert len(store_view.list("incident")) == incidents
    assert len(store_view.outbox_entries(100_000)) == queued


def test_a_quick_incident_is_saved_then_completed_with_a_patch_of_the_changed_fields(
        phone, store_view, stroll_id, door):
    page = phone
    # still on the quick screen of the previous test, the action still chosen
    wait_shown(page, "quick-incident")
    choose(page, "quick-harm-verbal_harassment")
    tap(page, "quick-save")
    wait_shown(page, "live")
    [inc] = store_view.list("incident", stroll_id=stroll_id)
    assert inc["harm_types"] == ["verbal_harassment"]
    assert inc["actions_taken"] == ["de_escalated"]
    assert inc["location_precision"] == "block" and inc["quick"] is True
    assert distance_m((inc["lat"], inc["lon"]), (door["lat"], door["lon"])) < 150
    assert [e["op"] for e in _entries(store_view, "incident", inc["id"])] == ["upsert"]

    scroll_to(page, "live", by_id(page, f"live-incident-{inc['id']}")).click()
    wait_shown(page, "incident-form")
    # one sensitive field (the story, marked private) and consent to be contacted
    type_into(page, "incident-narrative", "Shouted at an elder waiting for the bus")
    choose(page, "incident-consent_contact")
    wait_shown(page, "incident-contact_channel")                # asked only with consent
    tap(page, "incident-save")                            # consent, but no channel
    wait_for_text(page, "incident-error-contact_channel", EN.t("error.contact_channel"))
    screenshot(page, "incident_2_form_missing_channel")
    assert len(_entries(store_view, "incident", inc["id"])) == 1
    choose(page, "incident-contact_channel-text")
    screenshot(page, "incident_3_form_consent")
    tap(page, "incident-save")
    _gone(page, "incident-form")
    wait_shown(page, "live")

    done = store_view.get("incident", inc["id"])
    assert done["narrative"] == "Shouted at an elder waiting for the bus"
    assert done["consent_contact"] is True and done["contact_channel"] == "text"
    patches = [e for e in _entries(store_view, "incident", inc["id"]) if e["op"] == "patch"]
    assert len(patches) == 1
    assert set(patches[0]["payload"]) - {"quick"} == {"narrative", "consent_contact",
                                                      "contact_channel"}
