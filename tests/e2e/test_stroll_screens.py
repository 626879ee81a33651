"""A whole stroll in a phone-sized browser: the start form, the live screen with fake GPS,
reopening the app mid-stroll, pause, end and the summary; then a stroll with location
denied.

The tests share one page and one database and run in order, like a team's morning:
the first stroll is refused (one person), the second walks Stockton St with GPS (the
app is reopened halfway) and ends, the third starts on a phone that refuses location.
"""
from __future__ import annotations

import time

import pytest

from e2e_helpers import (PHONE, again_until, by_id, end_running_stroll, go_tab, new_page,
                         screenshot, scroll_to, text_of, wait_for_text)
from stroll.i18n import Translator

pytestmark = pytest.mark.e2e

EN = Translator("en")
# Stockton St, SF Chinatown, walking north: ~7.8 m a step (a brisk walk at one step a second)
START = (37.7930, -122.4070)
STEP = (0.00007, -0.000003)


@pytest.fixture(scope="module")
def sf(store_view):
    hood = next(n for n in store_view.neighborhoods() if n["name"] == "SF Chinatown")
    members = store_view.members(hood["id"])
    return {"hood": hood, "trained": [m for m in members if m["trained_lead"]],
            "untrained": [m for m in members if not m["trained_lead"]]}


def open_start_form(page, hood_id: str, member_id: str) -> None:
    """The start form with ``hood_id`` chosen and its roster (``member_id``) shown."""
    go_tab(page, "patrol")
    by_id(page, "start-stroll").click()
    by_id(page, "new-stroll").wait_for(state="attached", timeout=10000)
    by_id(page, f"new-stroll-hood-{hood_id}").click()
    page.locator(f'[flt-semantics-identifier="new-stroll-hood-{hood_id}"] [aria-checked="true"], '
                 f'[flt-semantics-identifier="new-stroll-hood-{hood_id}"][aria-checked="true"]'
                 ).first.wait_for(state="attached", timeout=5000)
    by_id(page, f"new-stroll-member-{member_id}").wait_for(state="attached", timeout=5000)


def toggle_member(page, member_id: str, on: bool = True) -> None:
    scroll_to(page, "new-stroll-form", by_id(page, f"new-stroll-member-{member_id}")).click()
    checked = "true" if on else "false"
    page.locator(f'[flt-semantics-identifier="new-stroll-member-{member_id}"]'
                 f'[aria-checked="{checked}"]').wait_for(state="attached", timeout=5000)


def begin_with(page, store_view, sf, members) -> str:
    open_start_form(page, sf["hood"]["id"], members[0]["id"])
    for m in members:
        toggle_member(page, m["id"])
    tap(page, "begin-stroll")
    by_id(page, "live").wait_for(state="attached", timeout=10000)
    running = store_view.local_strolls()
    assert len(running) == 1
    return running[0]["id"]


def tap(page, identifier: str, list_id: str | None = None) -> None:
    """Tap a control as a screen reader does (its semantics node's click): no pointer
    hit-testing, so a control half under the screen's edge is tapped all the same."""
    if list_id:
        scroll_to(page, list_id, by_id(page, identifier))
    sel = f'[flt-semantics-identifier="{identifier}"]'
    page.locator(f"{sel}[flt-tappable], {sel} [flt-tappable]").first.dispatch_event("click")


def reopen(page, url: str | None = None) -> None:
    """Close and reopen the app (a new session, a new app state); ``url``: open it
    in a fresh page."""
    if url:
        page.goto(url)
    else:
        page.reload()
    ph = page.locator("flt-semantics-placeholder")
    ph.wait_for(state="attached", timeout=30000)
    ph.dispatch_event("click")
    page.locator('[flt-semantics-identifier="sync-status"], [flt-semantics-identifier="live"]'
                 ).first.wait_for(state="attached", timeout=30000)


def walk(page, steps: range) -> None:
    for i in steps:
        page.context.set_geolocation({"latitude": START[0] + i * STEP[0],
                                      "longitude": START[1] + i * STEP[1]})
        page.wait_for_timeout(1050)


def shows_stored_distance(page, store_view, sid: str, timeout_s: float = 10) -> None:
    """The screen's distance is the stored track's, once the last fix is in (a fix can
    reach the screen a moment before or after the store is read)."""
    deadline = time.monotonic() + timeout_s
    while True:
        expected = EN.km(store_view.patrol_state(sid)["distance_m"])
        if expected in text_of(by_id(page, "live-distance")):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"live-distance never showed the stored {expected}: "
                                 f"{text_of(by_id(page, 'live-distance'))!r}")
        page.wait_for_timeout(250)


def end_stroll(page) -> None:
    # tapped again if the question does not come (a lost tap); under the question the
    # live screen's controls leave the semantics tree, so no second question is asked
    again_until(page, lambda: by_id(page, "live-end").count()
                and tap(page, "live-end", "live-actions"), "live-end-confirm")
    again_until(page, lambda: by_id(page, "live-end-yes").count()
                and tap(page, "live-end-yes"), "summary")


def stored_status_becomes(store_view, sid: str, status: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while store_view.get("stroll", sid)["status"] != status:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def resume(page, store_view, sid: str) -> None:
    """Resume, tapped again only while the store still says paused (a tap lost under
    load); then the screen must show Pause where Resume was. Each failure says which
    of the two did not happen."""
    for _ in range(3):
        if by_id(page, "live-resume").count():
            tap(page, "live-resume")
        if stored_status_becomes(store_view, sid, "active", 5):
            break
    else:
        raise AssertionError("Resume tapped three times: the stored stroll is still "
                             f"{store_view.get('stroll', sid)['status']!r}")
    # the semantics follow the drawing a moment later
    by_id(page, "live-pause").wait_for(state="attached", timeout=10000)


def test_one_person_cannot_begin_the_buddy_rule_says_why_and_nothing_is_written(
        app, store_view, sf):
    strolls, pending = store_view.count("stroll"), store_view.pending_count()
    open_start_form(app, sf["hood"]["id"], sf["trained"][0]["id"])
    for m in sf["trained"] + sf["untrained"]:
        assert by_id(app, f"new-stroll-member-{m['id']}").count() == 1
    wait_for_text(app, "new-stroll-form", EN.t("new_stroll.trained"))
    toggle_member(app, sf["trained"][0]["id"])
    tap(app, "begin-stroll")
    wait_for_text(app, "new-stroll-error", EN.t("error.buddy_rule"))
    screenshot(app, "stroll_buddy_rule")
    assert by_id(app, "live").count() == 0
    assert store_view.count("stroll") == strolls
    assert store_view.local_strolls() == []
    assert store_view.pending_count() == pending
    toggle_member(app, sf["trained"][0]["id"], on=False)  # leave the form as found
    app.get_by_role("button", name="Back").click()
    by_id(app, "patrol-tab").wait_for(state="attached", timeout=10000)


def test_two_members_begin_a_stroll_that_the_store_holds_as_active(app, store_view, sf):
    app.context.grant_permissions(["geolocation"])
    app.context.set_geolocation({"latitude": START[0], "longitude": START[1]})
    sid = begin_with(app, store_view, sf, [sf["untrained"][0], sf["trained"][0]])
    stroll = store_view.get("stroll", sid)
    assert stroll["status"] == "active"
    assert {p["member_id"] for p in stroll["team"]} == {sf["untrained"][0]["id"],
                                                         sf["trained"][0]["id"]}
    assert [p["member_id"] for p in stroll["team"] if p["lead"]] == [sf["trained"][0]["id"]]
    wait_for_text(app, "live-distance", EN.km(0))
    wait_for_text(app, "live-gps", EN.t("live.gps_ok_plain"))
    screenshot(app, "stroll_live_start")


def test_walking_with_gps_moves_the_distance_and_records_points(app, store_view):
    sid = store_view.local_strolls()[0]["id"]
    before = store_view.patrol_state(sid)["points"]
    walk(app, range(1, 9))
    app.wait_for_function(
        """([sel, zero]) => { const el = document.querySelector(sel); if (!el) return false;
             return !(el.innerText + (el.getAttribute('aria-label') || '')).includes(zero); }""",
        arg=['[flt-semantics-identifier="live-distance"]', EN.km(0)], timeout=10000)
    state = store_view.patrol_state(sid)
    assert state["points"] >= before + 5
    shows_stored_distance(app, store_view, sid)
    screenshot(app, "stroll_live_walked")


def test_a_reopened_app_shows_the_running_stroll_and_keeps_recording(app, store_view):
    sid = store_view.local_strolls()[0]["id"]
    reopen(app)
    by_id(app, "live").wait_for(state="attached", timeout=10000)
    before = store_view.patrol_state(sid)
    walk(app, range(9, 13))
    after = store_view.patrol_state(sid)
    assert after["points"] >= before["points"] + 2
    shows_stored_distance(app, store_view, sid)


def test_pause_and_resume_show_on_screen_and_in_the_store(app, store_view):
    sid = store_view.local_strolls()[0]["id"]
    tap(app, "live-pause", "live-actions")
    by_id(app, "live-resume").wait_for(state="attached", timeout=5000)
    assert store_view.get("stroll", sid)["status"] == "paused"
    wait_for_text(app, "live-paused", EN.t("live.paused"))
    screenshot(app, "stroll_paused")
    resume(app, store_view, sid)
    assert store_view.get("stroll", sid)["status"] == "active"


def test_ending_shows_the_summary_and_leaves_the_stroll_ended_in_the_outbox(app, store_view):
    sid = store_view.local_strolls()[0]["id"]
    tap(app, "tally-greetings-plus", "live-actions")
    wait_for_text(app, "tally-greetings", "1")
    end_stroll(app)
    stroll = store_view.get("stroll", sid)
    assert stroll["status"] == "ended" and stroll["ended_at"]
    assert stroll["tallies"]["greetings"] == 1
    outbox = [e for e in store_view.outbox_entries(limit=100_000) if e["record_id"] == sid]
    assert outbox and outbox[-1]["payload"].get("status") == "ended"
    assert store_view.count("track_chunk", stroll_id=sid) >= 1
    wait_for_text(app, "summary-distance", EN.km(stroll["distance_m"]))
    wait_for_text(app, "summary-check-ins", "0")
    wait_for_text(app, "summary-pending",
                  EN.t("summary.pending", count=store_view.pending_count()))
    screenshot(app, "stroll_summary")
    tap(app, "summary-done")
    by_id(app, "patrol-tab").wait_for(state="attached", timeout=10000)
    by_id(app, f"stroll-{sid}").wait_for(state="attached", timeout=10000)
    assert store_view.local_strolls() == []


@pytest.fixture
def no_location(browser, app_server, store_view):
    """A phone that never granted location to the app (on the tabs, whatever an earlier
    test left running)."""
    end_running_stroll(store_view)
    ctx = browser.new_context(**PHONE)
    page = new_page(ctx)
    reopen(page, app_server.url)
    yield page
    ctx.close()


def test_with_location_denied_the_screen_says_so_and_a_map_tap_sets_the_position(
        no_location, store_view, sf):
    app = no_location
    sid = begin_with(app, store_view, sf, [sf["trained"][0], sf["trained"][1]])
    wait_for_text(app, "live-gps", EN.t("live.gps_denied"))
    # without GPS the stroll's clock still runs
    wait_for_text(app, "live-duration", "0:00:02")
    box = by_id(app, "live-map").bounding_box()
    app.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    wait_for_text(app, "live-gps", EN.t("live.manual"))
    screenshot(app, "stroll_location_denied")
    tap(app, "live-check-in", "live-actions")
    by_id(app, "check-in").wait_for(state="attached", timeout=10000)
    assert by_id(app, "check-in-by-name").count() == 0  # nearest first: the tap is a position
    app.get_by_role("button", name="Back").click()
    by_id(app, "live").wait_for(state="attached", timeout=10000)
    end_stroll(app)
    assert store_view.get("stroll", sid)["status"] == "ended"
    tap(app, "summary-done")
    by_id(app, "patrol-tab").wait_for(state="attached", timeout=10000)
