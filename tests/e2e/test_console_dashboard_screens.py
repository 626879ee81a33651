"""The dashboard and the monthly report in headless Chromium against a real
``stroll-server``: a program of five weeks (three neighborhoods, strolls, merchant
check-ins, incidents of many harm types, follow-ups, volunteers' hours) seeded as the
server itself; a coordinator signs in and reads the dashboard on a laptop (1280x800) and
a phone (390x844), and the monthly report on screen and printed (print media, and a PDF),
in English, Traditional Chinese and Vietnamese. Each page: its charts drawn (an SVG with
a title per chart), its numbers in tables, nothing wider than the screen, no raw catalog
key; no request leaves the server. Screenshots in test-output/screenshots/dashboard_*."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from e2e_helpers import PHONE, SCREENSHOTS, new_page
from stroll.domain import new_id
from stroll.domain import taxonomy as tx
from stroll.i18n import Translator
from sync import protocol as p
from sync.server import members
from sync.server.rules import SERVER
from sync.server.storage import open_storage
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("America/Los_Angeles")
LAPTOP = dict(viewport={"width": 1280, "height": 800})
LOGIN, PASSWORD = "lin.coordinator", "mid-autumn-lanterns-2026"
LANGS = ("en", "zh-Hant", "vi")
HOODS = [
    {"name": "SF Chinatown", "names": {"zh-Hant": "舊金山華埠", "zh-Hans": "旧金山华埠",
                                       "vi": "Phố Tàu San Francisco"},
     "center_lat": 37.7946, "center_lon": -122.4068},
    {"name": "Oakland Chinatown", "names": {"zh-Hant": "奧克蘭華埠", "vi": "Phố Tàu Oakland"},
     "center_lat": 37.8003, "center_lon": -122.2719},
    {"name": "Little Saigon", "names": {"vi": "Little Saigon Seattle", "zh-Hant": "小西貢"},
     "center_lat": 47.5991, "center_lon": -122.3153},
]


def _write(storage, records) -> None:
    now = datetime.now(timezone.utc)
    for start in range(0, len(records), 200):
        batch = records[start:start + 200]
        out = storage.write_as(SERVER, [p.PushEntry(i + 1, t, r["id"], "upsert", r,
                                                    now.isoformat())
                                        for i, (t, r) in enumerate(batch)], now)
        assert all(r.status == "applied" for r in out), out


def seed(storage) -> None:
    """Five weeks to today: per neighborhood and day some strolls, check-ins, incidents."""
    rnd = random.Random(13)
    today = datetime.now(TZ).date()
    hoods = [{"id": new_id(), **h} for h in HOODS]
    shops = [{"id": new_id(), "neighborhood_id": h["id"], "name": f"Shop {i}",
              "lat": h["center_lat"], "lon": h["center_lon"]} for h in hoods for i in range(6)]
    records = [("neighborhood", h) for h in hoods] + [("merchant", m) for m in shops]
    incidents = []
    for back in range(35):
        day = today - timedelta(days=back)
        for h, weight in zip(hoods, (3, 2, 1)):
            for _ in range(rnd.randint(0, weight)):
                start = datetime.combine(day, time(rnd.choice((10, 14, 18))), TZ)
                stroll = {"id": new_id(), "neighborhood_id": h["id"], "status": "ended",
                          "team": [{"member_id": None, "name": "Mei", "lead": True}],
                          "started_at": start.isoformat(),
                          "ended_at": (start + timedelta(minutes=rnd.choice((60, 90, 120))))
                          .isoformat(), "distance_m": rnd.randint(1200, 4200)}
                records.append(("stroll", stroll))
                for shop in rnd.sample([s for s in shops if s["neighborhood_id"] == h["id"]],
                                       rnd.randint(2, 5)):
                    records.append(("check_in", {
                        "id": new_id(), "merchant_id": shop["id"], "stroll_id": stroll["id"],
                        "at": (start + timedelta(minutes=20)).isoformat(),
                        "status": rnd.choices(tx.CHECK_IN_STATUS, (8, 2, 1))[0]}))
                if rnd.random() < 0.45:
                    inc = {"id": new_id(), "neighborhood_id": h["id"],
                           "stroll_id": stroll["id"],
                           "occurred_at": (start + timedelta(minutes=40)).isoformat(),
                           "harm_types": rnd.sample(tx.HARM_TYPES[:14], rnd.choice((1, 1, 2))),
                           "survivor_name": "Do Not Show", "narrative": "private story",
                           "include_in_aggregate": rnd.random() > 0.1}
                    incidents.append(inc)
                    records.append(("incident", inc))
    for inc in incidents[::3]:
        when = datetime.fromisoformat(inc["occurred_at"]) + timedelta(days=rnd.randint(2, 9))
        records.append(("follow_up", {
            "id": new_id(), "incident_id": inc["id"],
            "status": rnd.choice(tx.FOLLOW_UP_STATUS), "next_action_date": when.isoformat()}))
    _write(storage, records)
    # volunteers' hours: sign-ups while the shift is ahead, check-ins, then the shift moved
    start = datetime.now(timezone.utc) + timedelta(days=3)
    shift = {"id": new_id(), "neighborhood_id": hoods[0]["id"], "title": "Evening stroll",
             "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
             "capacity": 8, "min_group": 1}
    people = [{"id": new_id(), "name": f"Volunteer {i}", "role": "volunteer"} for i in range(5)]
    _write(storage, [("shift", shift)] + [("member", m) for m in people])
    signups = [{"id": new_id(), "shift_id": shift["id"], "member_id": m["id"],
                "status": "requested", "requested_at": datetime.now(timezone.utc).isoformat()}
               for m in people]
    _write(storage, [("signup", s) for s in signups])
    was = datetime.combine(today - timedelta(days=6), time(18), TZ)
    done = []
    for s in signups:
        s = storage.live_record("signup", s["id"])
        s.update(checked_in_at=was.isoformat(),
                 checked_out_at=(was + timedelta(minutes=rnd.choice((90, 120)))).isoformat())
        done.append(("signup", s))
    _write(storage, done)
    _write(storage, [("shift", {**shift, "starts_at": was.isoformat(),
                                "ends_at": (was + timedelta(hours=2)).isoformat()})])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'sync.db'}"
    srv = ServerProcess(url, tmp / "server.log")
    storage = open_storage(url, pool_size=1)
    try:
        storage.migrate()
        _member, invite = members.create_member(storage, SERVER, {
            "name": "Lin Coordinator", "role": "coordinator"}, timedelta(hours=1))
        seed(storage)
    finally:
        storage.close()
    srv.code = invite.code
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def laptop(browser, server):
    ctx = browser.new_context(**LAPTOP, locale="en-US")
    page = new_page(ctx)
    page.goto(f"{server.url}/console/redeem")
    page.fill("#code", server.code)
    page.fill("#login", LOGIN)
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/console/redeem'] button[type=submit]")
    assert page.url == f"{server.url}/console"
    page.requests_seen = []
    page.on("request", lambda r: page.requests_seen.append(r.url))
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def phone(browser, server, laptop):
    ctx = browser.new_context(**PHONE, locale="en-US",
                              storage_state=laptop.context.storage_state())
    page = new_page(ctx)
    page.requests_seen = []
    page.on("request", lambda r: page.requests_seen.append(r.url))
    yield page
    ctx.close()


def choose_language(page, lang: str) -> None:
    if page.evaluate("document.documentElement.lang") == lang:
        return
    with page.expect_navigation():
        page.select_option("#lang-select", lang)
    page.wait_for_selector(f'html[lang="{lang}"]')


PAGE_JS = """() => ({text: document.body.innerText,
  wide: document.documentElement.scrollWidth - window.innerWidth,
  header: document.querySelector('header.top').offsetHeight,
  charts: [...document.querySelectorAll('svg.chart-svg')].map(s => ({
     title: s.querySelector('title')?.textContent ?? '',
     labelled: s.getAttribute('aria-labelledby'), width: s.getBoundingClientRect().width,
     right: s.getBoundingClientRect().right,
     textRight: Math.max(...[...s.querySelectorAll('text')].map(
       t => t.getBoundingClientRect().right))})),
  tables: document.querySelectorAll('table.figures-table').length})"""


def check(page, name: str, lang: str, server) -> dict:
    seen = page.evaluate(PAGE_JS)
    assert "console." not in seen["text"], f"{name} ({lang}): a raw catalog key"
    assert "Do Not Show" not in seen["text"] and "private story" not in seen["text"]
    assert seen["wide"] <= 0, f"{name} ({lang}) is {seen['wide']}px wider than the screen"
    assert seen["charts"] and seen["tables"] >= 5, name
    for c in seen["charts"]:
        assert c["title"] and c["labelled"], c
        # no number or label runs off its chart (nor off the screen)
        assert c["textRight"] <= c["right"] + 2, f"{name} ({lang}): {c}"
        assert c["right"] <= page.viewport_size["width"], f"{name} ({lang}): {c}"
    off_site = [u for u in page.requests_seen if not u.startswith(server.url)]
    assert not off_site, off_site
    refused = [line for line in page.console_lines if "Content Security Policy" in line]
    assert not refused, refused                  # no inline style or script was needed
    return seen


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard_{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_reads_in_each_language_on_a_laptop(server, laptop, lang):
    page = laptop
    page.goto(f"{server.url}/console")
    choose_language(page, lang)
    with page.expect_navigation():
        page.click("#nav-dashboard")
    tr = Translator(lang)
    assert page.locator("h1").inner_text() == tr.t("console.dashboard.title")
    seen = check(page, "dashboard", lang, server)
    assert len(seen["charts"]) == 8       # 4 weekly trends, harm, neighborhood, status, follow-ups
    assert seen["header"] <= 70
    # the numbers of the tiles and the table's total row agree
    total = page.locator("#table-by-neighborhood tfoot td").all_inner_texts()
    assert total[0] == page.locator("#tile-strolls .count").inner_text()
    assert total[-1] == page.locator("#tile-incidents .count").inner_text()
    shot(page, f"laptop_{lang}")


def test_a_neighborhood_chosen_in_the_filter_narrows_the_dashboard(server, laptop):
    page = laptop
    choose_language(page, "en")
    page.goto(f"{server.url}/console/dashboard")
    page.select_option("#neighborhood", label="Little Saigon")
    with page.expect_navigation():
        page.click("#dashboard-filters button[type=submit]")
    assert "neighborhood=" in page.url
    rows = page.locator("#table-by-neighborhood tbody th").all_inner_texts()
    assert rows == ["Little Saigon"]
    check(page, "dashboard_filtered", "en", server)
    shot(page, "laptop_en_little_saigon")


def test_a_year_long_range_keeps_its_week_labels_apart(server, laptop):
    page = laptop
    choose_language(page, "en")
    last = datetime.now(TZ).date()
    page.goto(f"{server.url}/console/dashboard?from={last - timedelta(days=364)}&to={last}")
    check(page, "dashboard_year", "en", server)
    assert page.locator("#table-by-week tbody tr").count() >= 52
    ticks = page.evaluate("""() => [...document.querySelectorAll('#chart-by-week-1 text.tick')]
        .map(t => t.getBoundingClientRect()).map(r => [r.left, r.right])""")
    assert all(a[1] <= b[0] for a, b in zip(ticks, ticks[1:])), ticks   # none overlaps
    shot(page, "laptop_en_year")


@pytest.mark.parametrize("lang", LANGS + ("es", "zh-Hans"))
def test_the_dashboard_fits_a_phone(server, phone, lang):
    page = phone
    page.goto(f"{server.url}/console/dashboard")
    choose_language(page, lang)
    seen = check(page, "dashboard", lang, server)
    assert seen["header"] <= 130
    shot(page, f"phone_{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_the_monthly_report_prints_black_on_white_without_menus(server, laptop, lang):
    page = laptop
    page.goto(f"{server.url}/console/dashboard")
    choose_language(page, lang)
    with page.expect_navigation():
        page.click("#report-link")
    assert "/console/report?month=" in page.url
    check(page, "report", lang, server)
    assert page.locator("p.sentence").count() >= 5
    shot(page, f"report_{lang}")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})   # an A4 page at 96 dpi
    try:
        printed = page.evaluate("""() => ({
            nav: getComputedStyle(document.querySelector('header.top')).display,
            filters: getComputedStyle(document.querySelector('#report-filters')).display,
            bg: getComputedStyle(document.body).backgroundColor,
            ink: getComputedStyle(document.body).color,
            breaks: [...document.querySelectorAll('.report .figures + .figures')]
                .map(s => getComputedStyle(s).breakBefore)})""")
        assert printed["nav"] == "none" and printed["filters"] == "none"
        assert printed["bg"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        assert printed["ink"] == "rgb(0, 0, 0)"
        assert printed["breaks"] and set(printed["breaks"]) == {"page"}
        shot(page, f"report_{lang}_print")
        pdf = page.pdf(format="A4", print_background=False)
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        (SCREENSHOTS / f"dashboard_report_{lang}.pdf").write_bytes(pdf)
        letter = page.pdf(format="Letter")
        assert letter.startswith(b"%PDF")
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(LAPTOP["viewport"])


def test_the_report_fits_a_phone(server, phone):
    page = phone
    page.goto(f"{server.url}/console/report")
    choose_language(page, "vi")
    check(page, "report", "vi", server)
    shot(page, "report_phone_vi")
