"""My shifts on a phone, in headless Chromium at 390x844: the demo phone is a volunteer's
(Wai Keung Lau, with ten weeks of past shifts). Two shifts of today are written beside
the app before the phone opens: one starting in ten minutes at the meeting point where
the fake GPS puts the phone, one starting in twenty minutes 420 m away. The Patrol tab
shows the next one with "Check in"; the tap checks in near the meeting point; the other
asks "You are 420 m from the meeting point. Check in anyway?" and waits for approval;
the hours per year and month show. Then in Traditional Chinese (checking out) and in
Vietnamese. Screenshots of each. Last, in each tier-1 language, no text of My shifts is
cut (``text_fit``)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from geopy.distance import geodesic

from e2e_helpers import (SCREENSHOTS, by_id, choose_language, go_tab, open_app, screenshot,
                         scroll_to, shown, tap, text_of, wait_for_text, wait_shown)
from stroll.demo import demo_id
from stroll.domain.records import Shift, Signup
from stroll.i18n import TIER1, Translator
from stroll.state.my_shifts import device_zone
from stroll.store import Store
from text_fit import TextMeter, walk_screen

pytestmark = pytest.mark.e2e

EN, HANT, VI = Translator("en"), Translator("zh-Hant"), Translator("vi")
PHONE_AT = (37.79053, -122.40576)        # Grant Ave & Bush St, by the Dragon Gate
SF = demo_id("neighborhood", "sf-chinatown")


def back(page) -> None:
    """The app bar's Back (Flutter names it in the language shown)."""
    page.get_by_role("button", name=re.compile(r"^(Back|返回|Quay lại|Atrás)$")).first.click()
    wait_shown(page, "sync-status")
    by_id(page, "my-shifts").first.wait_for(state="detached", timeout=10000)


def north_of(point, metres: float) -> tuple[float, float]:
    p = geodesic(meters=metres).destination(point, 0)
    return p.latitude, p.longitude


@pytest.fixture(scope="module")
def today(app_server):
    """Two shifts of today and the demo volunteer's confirmed places on them, written on
    the app's database before the phone opens (WAL: beside the app), as a pull would."""
    now = datetime.now(device_zone()).replace(second=0, microsecond=0)
    with Store(app_server.db_path) as store:
        me = store.get_setting("sync.member_id")
        assert me, "the demo phone is a volunteer's"
        near = Shift(neighborhood_id=SF, title="Lunch stroll — Grant Ave",
                     names={"zh-Hant": "午間巡行 — 都板街", "vi": "Tuần tra buổi trưa — Grant Ave"},
                     starts_at=(now + timedelta(minutes=10)).isoformat(),
                     ends_at=(now + timedelta(minutes=100)).isoformat(), capacity=6,
                     meeting_point="Dragon Gate, Grant Ave & Bush St",
                     meeting_lat=north_of(PHONE_AT, 25)[0], meeting_lon=PHONE_AT[1])
        far_point = north_of(PHONE_AT, 420)
        far = Shift(neighborhood_id=SF, title="Merchant visits — Stockton St",
                    names={"zh-Hant": "探訪商戶 — 市德頓街", "vi": "Ghé thăm cửa hàng — Stockton St"},
                    starts_at=(now + timedelta(minutes=20)).isoformat(),
                    ends_at=(now + timedelta(minutes=80)).isoformat(), capacity=4,
                    meeting_point="Stockton St & Washington St",
                    meeting_lat=far_point[0], meeting_lon=far_point[1])
        # the demo's own shifts of today (one may be running now, or start sooner) are
        # taken off, as a coordinator's cancellation would reach the phone: the two
        # written here are the volunteer's day whatever the hour the tests run at
        gone = [Signup.from_dict({**signup, "status": "cancelled"})
                for signup, shift in store.member_signups(me)
                if datetime.fromisoformat(shift["starts_at"]).astimezone(now.tzinfo).date()
                == now.date() and signup["status"] != "cancelled"]
        signups = [Signup(shift_id=s.id, member_id=me, status="confirmed",
                          requested_at=(now - timedelta(days=3)).isoformat(),
                          decided_at=(now - timedelta(days=3)).isoformat(), reason_code="place")
                   for s in (near, far)]
        store.save_many([near, far, *signups, *gone], outbox=False)
        return {"near": near.to_dict(), "far": far.to_dict(), "near_signup": signups[0].id,
                "far_signup": signups[1].id, "now": now}


@pytest.fixture(scope="module")
def phone(browser, app_server, today):
    ctx, page = open_app(browser, app_server.url, permissions=["geolocation"],
                         geolocation={"latitude": PHONE_AT[0], "longitude": PHONE_AT[1],
                                      "accuracy": 8})
    yield page
    ctx.close()


def test_the_patrol_and_shifts_tabs_show_todays_next_shift_with_check_in(phone, today):
    page = phone
    go_tab(page, "patrol")
    wait_shown(page, "shift-reminder")
    text = text_of(by_id(page, "shift-reminder"))
    assert EN.t("myshifts.reminder") in text and "Lunch stroll — Grant Ave" in text
    assert "Dragon Gate, Grant Ave & Bush St" in text
    assert EN.t("myshifts.status.confirmed") in text
    wait_shown(page, f"reminder-check-in-{today['near_signup']}")
    screenshot(page, "my_shifts_1_patrol_reminder_en")
    go_tab(page, "shifts")                     # the same on top of the Shifts tab, and the
    wait_shown(page, "shift-reminder")         # way into My shifts below it
    assert EN.t("myshifts.title") in text_of(by_id(page, "open-my-shifts"))
    screenshot(page, "my_shifts_1_shifts_tab_en")
    go_tab(page, "patrol")
    wait_shown(page, f"reminder-check-in-{today['near_signup']}")


def test_check_in_near_the_meeting_point_from_the_reminder(phone, today, store_view):
    page = phone
    sid = today["near_signup"]
    tap(page, f"reminder-check-in-{sid}")
    wait_shown(page, "my-shifts")
    wait_for_text(page, "my-shifts-notice", EN.t("myshifts.checked_in"))
    got = store_view.get("signup", sid)
    assert got["checked_in_at"] and got["check_in_far"] is False
    assert got["check_in_distance_m"] < 60
    wait_for_text(page, f"myshift-status-{sid}", "Checked in at")
    wait_shown(page, f"check-out-{sid}")
    assert by_id(page, "check-in-question").count() == 0      # near: nothing asked
    screenshot(page, "my_shifts_2_checked_in_en")


def test_far_from_the_meeting_point_it_asks_then_waits_for_approval(phone, today, store_view):
    page = phone
    sid = today["far_signup"]
    tap(page, f"check-in-{sid}")
    wait_shown(page, "check-in-question")
    assert text_of(by_id(page, "check-in-question")).strip().startswith(
        "You are 420 m from the meeting point. Check in anyway? "
        "A coordinator approves it before the hours count.")
    screenshot(page, "my_shifts_3_far_question_en")
    tap(page, "check-in-anyway")
    wait_for_text(page, "my-shifts-notice", EN.t("myshifts.checked_in_far"))
    got = store_view.get("signup", sid)
    assert got["check_in_far"] is True and round(got["check_in_distance_m"]) == 420
    wait_for_text(page, f"myshift-status-{sid}", "waiting for a coordinator")
    screenshot(page, "my_shifts_4_waiting_approval_en")


def test_the_hours_show_per_year_and_month_with_the_check_ins_waiting(phone, store_view):
    page = phone
    from stroll.domain import volunteering as vol
    me = store_view.get_setting("sync.member_id")
    hours = vol.hours(store_view.member_signups(me), device_zone(),
                      datetime.now(device_zone()))
    assert hours.total > 10 and hours.waiting_approval == 2   # the demo's one and today's
    year = next(iter(hours.by_year))
    row = scroll_to(page, "my-shifts-list", by_id(page, f"hours-year-{year}"))
    assert EN.hours(hours.by_year[year]) in text_of(row)
    month = next(iter(hours.by_month))
    assert EN.hours(hours.by_month[month]) in text_of(by_id(page, f"hours-month-{month}"))
    shown(page, "hours-waiting")
    assert EN.t("myshifts.waiting_count", count=2) in text_of(by_id(page, "hours-waiting"))
    screenshot(page, "my_shifts_5_hours_en")
    back(page)


def test_my_shifts_in_traditional_chinese_and_checking_out(phone, today, store_view):
    page = phone
    choose_language(page, "zh-Hant")
    go_tab(page, "shifts")
    tap(page, "open-my-shifts")
    wait_shown(page, "my-shifts")
    wait_for_text(page, "screen-title", HANT.t("myshifts.title"))
    sid = today["near_signup"]
    wait_for_text(page, f"myshift-{sid}", "午間巡行 — 都板街")
    assert "簽到" in text_of(by_id(page, f"myshift-status-{sid}"))
    screenshot(page, "my_shifts_6_zh_hant")
    tap(page, f"check-out-{sid}")
    wait_for_text(page, "my-shifts-notice", HANT.t("myshifts.checked_out"))
    assert store_view.get("signup", sid)["checked_out_at"]
    screenshot(page, "my_shifts_7_checked_out_zh_hant")
    shown(page, "hours-waiting")
    screenshot(page, "my_shifts_8_hours_zh_hant")
    back(page)


def test_my_shifts_in_vietnamese(phone, today):
    page = phone
    choose_language(page, "vi")
    go_tab(page, "shifts")
    tap(page, "open-my-shifts")
    wait_for_text(page, "screen-title", VI.t("myshifts.title"))
    wait_for_text(page, f"myshift-{today['far_signup']}", "Ghé thăm cửa hàng — Stockton St")
    screenshot(page, "my_shifts_9_vi")
    shown(page, "hours-waiting")
    screenshot(page, "my_shifts_10_hours_vi")
    back(page)


@pytest.fixture(scope="module")
def meter(browser, app_server):
    ctx = browser.new_context()
    m = TextMeter(ctx, app_server.url)
    yield m
    ctx.close()


@pytest.mark.parametrize("lang", TIER1)
def test_no_text_is_cut_on_my_shifts(phone, meter, lang):
    """Every text of My shifts (today's two shifts checked in, near and away, one checked
    out; the upcoming ones; the hours; ten weeks of past shifts) and of the tabs' day
    reminder, measured with the app's fonts at 390 px while the list scrolls."""
    page = phone
    shots = SCREENSHOTS / "layout" / lang
    choose_language(page, lang)
    go_tab(page, "shifts")
    wait_shown(page, "open-my-shifts")
    cuts = [c for c in walk_screen(page, meter, lang, "shifts_tab_top", shots, max_steps=1)]
    tap(page, "open-my-shifts")
    wait_shown(page, "my-shifts")
    wait_for_text(page, "screen-title", Translator(lang).t("myshifts.title"))
    cuts += walk_screen(page, meter, lang, "my_shifts", shots)
    back(page)
    assert not cuts, f"{len(cuts)} text(s) cut in {lang}:\n" + "\n".join(map(str, cuts))
