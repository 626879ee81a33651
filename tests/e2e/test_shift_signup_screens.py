"""Signing up for a shift in a phone-sized browser (390x844), two volunteers' phones
(each the app with its own database, signed in to one real ``stroll-server``):

- the Shifts tab lists the week: places left, what each shift is short of ("Needs a
  Cantonese speaker", "No lead yet"), filters by neighborhood and day, short-staffed
  first; a shift's screen has its meeting point on the map;
- volunteer A signs up while the server is down: "Requested — waiting for the server";
  the server is back: "Confirmed";
- volunteer B signs up for the same shift (one place): "Waitlisted #1";
- A cancels (after a question): the server moves B up, and B's phone says so once, at
  the top of the Shifts tab, until OK.

Every screen is looked at in English and Traditional Chinese (screenshots under the
test run's base temporary folder, ``shift-screens/``) and measured: no text is cut
(``text_fit``)."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from time import monotonic, sleep

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from e2e_helpers import (AppServer, by_id, choose_language, free_port, go_tab, open_app,
                         shown, text_of, wait_for_text)
from stroll.domain.ids import new_id
from stroll.i18n import Translator
from sync.protocol import PushEntry
from text_fit import TextMeter, walk_screen
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

EN, ZH = Translator("en"), Translator("zh-Hant")
TODAY = datetime.now().astimezone().date()
SF, OAK, LOOP = new_id(), new_id(), new_id()
EVENING, MORNING, SATURDAY = new_id(), new_id(), new_id()   # shifts
PORTSMOUTH = (37.79480, -122.40570)                         # Portsmouth Square


def local(days: int, hour: int, minute: int = 0) -> str:
    return datetime.combine(TODAY + timedelta(days=days), time(hour, minute)).astimezone() \
        .isoformat(timespec="minutes")


PROGRAM = [
    ("neighborhood", {"id": SF, "name": "SF Chinatown", "city": "San Francisco",
                      "center_lat": 37.7946, "center_lon": -122.4068,
                      "names": {"zh-Hant": "三藩市華埠"}}),
    ("neighborhood", {"id": OAK, "name": "Oakland Chinatown", "city": "Oakland",
                      "center_lat": 37.8003, "center_lon": -122.2716,
                      "names": {"zh-Hant": "屋崙華埠"}}),
    ("route", {"id": LOOP, "neighborhood_id": SF, "name": "Stockton St loop",
               "names": {"zh-Hant": "市德頓街環線"},
               "path": [list(PORTSMOUTH), [37.79497, -122.40640], [37.79585, -122.40825],
                        [37.79676, -122.40843], [37.79763, -122.40862]]}),
    # one place: the second volunteer waits
    ("shift", {"id": EVENING, "neighborhood_id": SF, "route_id": LOOP,
               "title": "Evening stroll", "names": {"zh-Hant": "傍晚巡行"},
               "starts_at": local(1, 17, 30), "ends_at": local(1, 19, 30), "capacity": 1,
               "needs_lead": True, "languages_needed": ["yue"],
               "meeting_point": "Portsmouth Square, by the pavilion",
               "meeting_lat": PORTSMOUTH[0], "meeting_lon": PORTSMOUTH[1]}),
    ("shift", {"id": MORNING, "neighborhood_id": OAK, "title": "Morning walk",
               "names": {"zh-Hant": "早晨巡行"}, "starts_at": local(2, 9, 30),
               "ends_at": local(2, 11), "capacity": 4, "needs_lead": False,
               "meeting_point": "Lincoln Square Park"}),
    ("shift", {"id": SATURDAY, "neighborhood_id": SF, "title": "Afternoon check-in",
               "names": {"zh-Hant": "下午探訪"}, "starts_at": local(3, 14),
               "ends_at": local(3, 16), "capacity": 3, "needs_lead": False,
               "meeting_point": "Chinatown Gate"}),
]


# ---- one server, two phones, one browser ---------------------------------------------------


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "shift-screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from sync.server import members
    from sync.server.rules import SERVER
    from sync.server.storage import open_storage
    tmp = tmp_path_factory.mktemp("shifts-sync")
    url = f"sqlite:///{tmp / 'sync.db'}"
    storage = open_storage(url, pool_size=1)
    try:
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        results = storage.write_as(SERVER, [PushEntry(i, rtype, data["id"], "upsert", data, now)
                                            for i, (rtype, data) in enumerate(PROGRAM, 1)])
        assert [r.status for r in results] == ["applied"] * len(PROGRAM)
        codes = {}
        for who, fields in {"a": {"name": "Mei Ling Chan", "languages": ["en"]},
                            "b": {"name": "Nguyễn Văn An", "languages": ["vi", "en"]}}.items():
            _m, inv = members.create_member(storage, SERVER, {**fields, "role": "volunteer"},
                                            timedelta(hours=1))
            codes[who] = inv.code
    finally:
        storage.close()
    srv = ServerProcess(url, tmp / "server.log").start()
    srv.codes = codes
    yield srv
    srv.stop()


def signed_in_device(tmp, server, who: str) -> AppServer:
    """A phone's database signed in to the server as ``who`` with the program pulled (as
    the sign-in screen leaves it: tests/e2e/test_sign_in_screens.py), then the app on it."""
    from stroll.store import Store
    from sync.client import SyncClient
    from sync.engine import SyncEngine
    db = tmp / f"{who}.db"
    store = Store(db)
    try:
        store.set_setting("sync.server_url", server.url)
        engine = SyncEngine(store, SyncClient(server.url), device_name=f"phone {who}")
        engine.sign_in(server.codes[who])
        engine.sync_once()
    finally:
        store.close()
    return AppServer(db, free_port(), tmp / f"{who}.log").start(seed=False)


@pytest.fixture(scope="module")
def devices(tmp_path_factory, server, browser):
    tmp = tmp_path_factory.mktemp("shifts-phones")
    apps = {who: signed_in_device(tmp, server, who) for who in ("a", "b")}
    yield apps
    for app in apps.values():
        app.stop()


@pytest.fixture(scope="module")
def app_server(devices):  # what conftest's failure report reads the log of
    return devices["a"]


@pytest.fixture(scope="module")
def phone_a(browser, devices):
    ctx, page = open_app(browser, devices["a"].url)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def phone_b(browser, devices):
    ctx, page = open_app(browser, devices["b"].url)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def meter(browser, devices):
    ctx = browser.new_context()
    m = TextMeter(ctx, devices["a"].url)
    yield m
    ctx.close()


# ---- helpers ----------------------------------------------------------------------------------


def look(page, meter, shots, name: str, lang: str) -> None:
    """Every text of the screen measured from its top to its end (none cut), and the
    screen saved to look at."""
    cuts = walk_screen(page, meter, lang, name)
    page.mouse.move(195, 30)  # off the list: no card shows the hover shade
    page.wait_for_timeout(400)  # the canvas paints ~0.3 s after the DOM
    page.screenshot(path=str(shots / f"{name}_{lang}.png"))
    assert not cuts, f"{len(cuts)} text(s) cut:\n" + "\n".join(map(str, cuts))


def press(page, identifier: str) -> None:
    """Tap as a screen reader does (the node's own click): wherever the list scrolled it."""
    sel = f'[flt-semantics-identifier="{identifier}"]'
    node = page.locator(f"{sel}[flt-tappable], {sel} [flt-tappable]").first
    node.wait_for(state="attached", timeout=10000)
    node.dispatch_event("click")


def shifts_tab(page) -> None:
    go_tab(page, "shifts")
    by_id(page, f"shift-{EVENING}").wait_for(state="attached", timeout=15000)


def language(page, lang: str) -> None:
    """Choose ``lang`` on the More tab; a tap that lands while the tab is still being
    built is tapped again."""
    try:
        choose_language(page, lang)
    except PlaywrightTimeout:
        choose_language(page, lang)


def in_chinese(page, then) -> None:
    """Switch to Traditional Chinese, do ``then``, and back to English."""
    language(page, "zh-Hant")
    try:
        then()
    finally:
        language(page, "en")


def open_evening(page) -> None:
    shifts_tab(page)
    press(page, f"shift-open-{EVENING}")
    by_id(page, "shift-detail").wait_for(state="attached", timeout=10000)
    wait_for_text(page, "screen-title", "Evening stroll")


def back(page) -> None:
    """Back from the shift's screen to the tab (the button is named in the app's
    language)."""
    page.get_by_role("button", name=re.compile(r"^(Back|返回)$")).click()
    by_id(page, "shift-detail").wait_for(state="detached", timeout=10000)


def sent(device: AppServer, timeout: float = 30.0) -> None:
    """Wait until the phone's outbox is empty: the server has what it wrote."""
    from stroll.store import Store
    deadline = monotonic() + timeout
    with Store(device.db_path) as store:
        while store.pending_count():
            assert monotonic() < deadline, "the phone did not send its records in time"
            sleep(0.2)


def sync_now(page) -> None:
    by_id(page, "sync-status").click()
    shown(page, "sync-now").click()
    page.get_by_role("button", name=EN.t("sync.close")).click()
    by_id(page, "sync-details").wait_for(state="detached", timeout=10000)


# ---- the tests --------------------------------------------------------------------------------


def test_the_week_says_places_left_and_what_each_shift_is_short_of(phone_a, meter, shots):
    shifts_tab(phone_a)
    card = text_of(by_id(phone_a, f"shift-{EVENING}"))
    for text in ("Evening stroll", "Portsmouth Square, by the pavilion", "SF Chinatown",
                 EN.t("shifts.spots", left=1, count=1), "Needs a Cantonese speaker",
                 EN.t("shifts.flag.no_lead"), EN.t("shifts.sign_up")):
        assert text in card, text
    assert EN.t("shifts.spots", left=4, count=4) in text_of(by_id(phone_a, f"shift-{MORNING}"))
    look(phone_a, meter, shots, "shifts_week", "en")

    def chinese():
        shifts_tab(phone_a)
        wait_for_text(phone_a, f"shift-{EVENING}", "需要會講廣東話的人")
        assert "傍晚巡行" in text_of(by_id(phone_a, f"shift-{EVENING}"))
        look(phone_a, meter, shots, "shifts_week", "zh-Hant")
    in_chinese(phone_a, chinese)


def test_filters_choose_a_neighborhood_a_day_and_the_short_staffed_first(phone_a, shots):
    shifts_tab(phone_a)
    press(phone_a, "shifts-filter-toggle")  # folded: the neighborhood and day chips
    press(phone_a, f"shifts-hood-{OAK}")
    by_id(phone_a, f"shift-{EVENING}").wait_for(state="detached", timeout=10000)
    by_id(phone_a, f"shift-{MORNING}").wait_for(state="attached", timeout=10000)
    saturday = (TODAY + timedelta(days=3)).isoformat()
    press(phone_a, f"shifts-day-{saturday}")  # Oakland on Saturday: nothing
    wait_for_text(phone_a, "shifts-tab", EN.t("shifts.none_match"))
    wait_for_text(phone_a, "shifts-filter-toggle", "Oakland Chinatown")  # what it keeps
    phone_a.mouse.move(195, 30)
    phone_a.wait_for_timeout(400)
    phone_a.screenshot(path=str(shots / "shifts_filters_en.png"))
    press(phone_a, "shifts-hood-all")
    press(phone_a, f"shifts-day-{saturday}")
    by_id(phone_a, f"shift-{SATURDAY}").wait_for(state="attached", timeout=10000)
    press(phone_a, "shifts-day-all")
    press(phone_a, "shifts-filter-toggle")
    by_id(phone_a, "shifts-day-all").wait_for(state="detached", timeout=10000)
    press(phone_a, "shifts-short-first")
    by_id(phone_a, "shifts-short").wait_for(state="attached", timeout=10000)
    order = phone_a.evaluate("""() => [...document.querySelectorAll(
        '[flt-semantics-identifier^="shift-"]')].map(e => e.getAttribute(
        'flt-semantics-identifier')).filter(i => /^shift-[0-9a-f-]{36}$/.test(i))""")
    # the evening stroll is short of a lead and Cantonese; the others lack people
    assert order.index(f"shift-{EVENING}") < order.index(f"shift-{SATURDAY}")
    phone_a.mouse.move(195, 30)
    phone_a.wait_for_timeout(400)
    phone_a.screenshot(path=str(shots / "shifts_short_first_en.png"))
    press(phone_a, "shifts-short-first")
    by_id(phone_a, "shifts-short").wait_for(state="detached", timeout=10000)


def test_a_shifts_screen_has_the_meeting_point_on_the_map_and_who_is_going(phone_a, meter,
                                                                           shots):
    open_evening(phone_a)
    by_id(phone_a, "shift-map").wait_for(state="attached", timeout=10000)
    assert "Stockton St loop" in text_of(by_id(phone_a, "shift-detail-route"))
    assert EN.t("shifts.detail.nobody") in text_of(by_id(phone_a, "shift-detail-team"))
    assert "Needs a Cantonese speaker" in text_of(by_id(phone_a, "shift-detail-body"))
    look(phone_a, meter, shots, "shift_detail", "en")
    back(phone_a)


def test_signing_up_with_the_server_down_says_requested_then_confirmed(phone_a, server, meter,
                                                                      shots):
    shifts_tab(phone_a)
    server.stop()
    press(phone_a, f"shift-sign-up-{EVENING}")
    wait_for_text(phone_a, f"shift-status-{EVENING}", EN.t("shifts.status.requested"))
    look(phone_a, meter, shots, "shifts_requested", "en")
    open_evening(phone_a)
    wait_for_text(phone_a, "shift-detail-status", EN.t("shifts.status.requested"))
    by_id(phone_a, "shift-cancel").wait_for(state="attached")
    look(phone_a, meter, shots, "shift_detail_requested", "en")
    back(phone_a)

    def chinese():
        shifts_tab(phone_a)
        press(phone_a, f"shift-open-{EVENING}")
        wait_for_text(phone_a, "shift-detail-status", ZH.t("shifts.status.requested"))
        look(phone_a, meter, shots, "shift_detail_requested", "zh-Hant")
        back(phone_a)
    in_chinese(phone_a, chinese)

    server.start()  # the phone finds it within seconds and sends the request
    shifts_tab(phone_a)
    wait_for_text(phone_a, f"shift-status-{EVENING}", EN.t("shifts.status.confirmed"),
                  timeout=30000)
    wait_for_text(phone_a, f"shift-{EVENING}", EN.t("shifts.full_waitlist"))
    assert EN.t("shifts.flag.no_lead") in text_of(by_id(phone_a, f"shift-{EVENING}"))
    look(phone_a, meter, shots, "shifts_confirmed", "en")


def test_a_second_volunteer_for_the_one_place_is_waitlisted_first(phone_b, meter, shots):
    shifts_tab(phone_b)
    press(phone_b, f"shift-sign-up-{EVENING}")
    wait_for_text(phone_b, f"shift-status-{EVENING}",
                  EN.t("shifts.status.waitlisted", position=1), timeout=30000)
    look(phone_b, meter, shots, "shifts_waitlisted", "en")

    def chinese():
        shifts_tab(phone_b)
        wait_for_text(phone_b, f"shift-status-{EVENING}",
                      ZH.t("shifts.status.waitlisted", position=1))
        look(phone_b, meter, shots, "shifts_waitlisted", "zh-Hant")
    in_chinese(phone_b, chinese)


def test_when_the_first_cancels_the_second_sees_confirmed_once(phone_a, phone_b, devices, meter,
                                                              shots):
    open_evening(phone_a)
    shown(phone_a, "shift-cancel").click()
    wait_for_text(phone_a, "shift-cancel-question", "Evening stroll")
    phone_a.wait_for_timeout(400)
    phone_a.screenshot(path=str(shots / "shift_cancel_question_en.png"))
    by_id(phone_a, "shift-cancel-yes").click()
    wait_for_text(phone_a, "shift-detail-status", EN.t("shifts.status.cancelled"))
    by_id(phone_a, "shift-sign-up").wait_for(state="attached", timeout=10000)
    assert EN.t("shifts.sign_up_again") in text_of(by_id(phone_a, "shift-sign-up"))
    sent(devices["a"])
    back(phone_a)

    shifts_tab(phone_b)
    news = '[flt-semantics-identifier^="shift-news-"]:not([flt-semantics-identifier*="-ok-"])'
    for _ in range(10):   # the phone learns it at its next round: ask for one
        sync_now(phone_b)
        if phone_b.locator(news).count():
            break
        phone_b.wait_for_timeout(1000)
    banner = phone_b.locator(news).first
    banner.wait_for(state="attached", timeout=15000)
    assert "A place opened up: you are confirmed for Evening stroll" in text_of(banner)
    wait_for_text(phone_b, f"shift-status-{EVENING}", EN.t("shifts.status.confirmed"))
    look(phone_b, meter, shots, "shifts_promoted", "en")
    signup_id = banner.get_attribute("flt-semantics-identifier").removeprefix("shift-news-")

    def chinese():
        shifts_tab(phone_b)
        wait_for_text(phone_b, f"shift-news-{signup_id}", "有名額空出")
        look(phone_b, meter, shots, "shifts_promoted", "zh-Hant")
    in_chinese(phone_b, chinese)

    shifts_tab(phone_b)
    press(phone_b, f"shift-news-ok-{signup_id}")
    by_id(phone_b, f"shift-news-{signup_id}").wait_for(state="detached", timeout=10000)
    sync_now(phone_b)  # another round, the tab read again, a reload: seen stays seen
    go_tab(phone_b, "patrol")
    shifts_tab(phone_b)
    phone_b.reload()
    phone_b.locator("flt-semantics-placeholder").wait_for(state="attached", timeout=30000)
    phone_b.locator("flt-semantics-placeholder").dispatch_event("click")
    by_id(phone_b, "sync-status").wait_for(state="attached", timeout=30000)
    shifts_tab(phone_b)
    wait_for_text(phone_b, f"shift-status-{EVENING}", EN.t("shifts.status.confirmed"))
    assert phone_b.locator(news).count() == 0
    open_evening(phone_b)  # confirmed now: who else is going, by first name
    wait_for_text(phone_b, "shift-detail-team", EN.t("shifts.detail.only_you"))
    phone_b.wait_for_timeout(400)
    phone_b.screenshot(path=str(shots / "shift_detail_confirmed_en.png"))
