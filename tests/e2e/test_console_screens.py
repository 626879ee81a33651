"""The coordinators' console in headless Chromium, on a laptop (1280x800) and on a phone
(390x844), against a real ``stroll-server``: the first admin redeems their invite on
the laptop and signs in on the phone with the password they chose; on each screen size
they set up a neighborhood
(names in other languages, its area), a route (typed points on the laptop, a GPX file on
the phone), a business, a member (whose invite code the page shows) and a weekly shift
over three weeks. Then a real phone (a stroll Store and the sync engine) signs in with
that member's invite, pulls the program and starts a stroll on the route with the member.
Last, every console page in each tier-1 language: no missing words, no raw catalog key,
nothing wider than the screen, a header that leaves the page room; screenshots in
test-output/screenshots/console_*.png."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from e2e_helpers import PHONE, SCREENSHOTS, new_page
from stroll.i18n import TIER1, Translator
from sync.server import members
from sync.server.rules import SERVER
from sync.server.storage import open_storage
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

EN = Translator("en")
LAPTOP = dict(viewport={"width": 1280, "height": 800})
SIZES = {"laptop": LAPTOP, "phone": PHONE}
ADMIN_LOGIN, ADMIN_PASSWORD = "mei.admin", "lantern-festival-2026"
PROGRAM_TZ = ZoneInfo("America/Los_Angeles")

# What each screen size sets up: Oakland Chinatown on the laptop, Little Saigon on the phone.
PROGRAM = {
    "laptop": {
        "hood": {"name": "Oakland Chinatown", "city": "Oakland",
                 "names": {"zh-Hant": "奧克蘭華埠", "zh-Hans": "奥克兰华埠",
                           "vi": "Phố Tàu Oakland", "es": "Barrio chino de Oakland"},
                 "bbox": {"south": "37.7975", "west": "-122.2750", "north": "37.8035",
                          "east": "-122.2660"}},
        # 8th St from Franklin to Webster, then up Webster to 10th St
        "route": {"name": "Webster Street loop", "names": {"zh-Hant": "韋伯斯特街環線"},
                  "points": [(37.799958, -122.272386), (37.799601, -122.273380),
                             (37.799246, -122.274354), (37.800563, -122.274866),
                             (37.801881, -122.275380)]},
        "merchant": {"name": "Jade Garden Bakery", "names": {"zh-Hant": "翠園餅家"},
                     "address": "388 9th St, Oakland", "lat": "37.80030", "lon": "-122.27190",
                     "languages": ["yue", "en"], "contact_name": "Mrs. Lee"},
        "member": {"name": "Mei Ling Chan", "role": "ambassador", "languages": ["yue", "en"],
                   "trained_lead": True},
        "shift": {"title": "Evening stroll", "names": {"zh-Hant": "傍晚巡邏",
                                                       "vi": "Tuần tra buổi tối"},
                  "start": "18:00", "end": "20:00", "capacity": "6",
                  "meeting_point": "Pacific Renaissance Plaza", "weeks": "3"},
    },
    "phone": {
        "hood": {"name": "Little Saigon", "city": "Seattle",
                 "names": {"vi": "Little Saigon Seattle", "zh-Hant": "小西貢",
                           "zh-Hans": "小西贡", "es": "Pequeño Saigón"},
                 "bbox": {"south": "47.5950", "west": "-122.3250", "north": "47.6010",
                          "east": "-122.3120"}},
        # S Jackson St, 12th Ave S to Rainier Ave S, as a GPX track
        "route": {"name": "Jackson Street walk", "names": {"vi": "Đường Jackson"},
                  "points": [(47.599180, -122.317020), (47.599170, -122.315660),
                             (47.599160, -122.314200), (47.599150, -122.312880)]},
        "merchant": {"name": "Saigon Corner Deli", "names": {"vi": "Tiệm bánh mì Góc Sài Gòn"},
                     "address": "1200 S Jackson St, Seattle", "lat": "47.59915",
                     "lon": "-122.31530", "languages": ["vi", "en"], "contact_name": "Anh Tran"},
        "member": {"name": "Tran Van Minh", "role": "volunteer", "languages": ["vi"],
                   "trained_lead": False},
        "shift": {"title": "Morning walk", "names": {"vi": "Đi bộ buổi sáng"},
                  "start": "09:30", "end": "11:00", "capacity": "4",
                  "meeting_point": "Hing Hay Park", "weeks": "3"},
    },
}
LOOKED_AT = ("en", "zh-Hant", "vi")  # languages whose key pages are saved whole
made: dict[str, dict] = {}   # what each size set up: record ids, the member's invite code


def gpx(points) -> bytes:
    pts = "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lat, lon in points)
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="stroll test" '
            'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>walk</name><trkseg>'
            f'{pts}</trkseg></trk></gpx>').encode()


# ---- the server, the first admin, one browser context per screen size ----------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp / 'sync.db'}"
    srv = ServerProcess(url, tmp / "server.log")
    # the first admin, as `stroll-server admin create --role admin` makes them
    storage = open_storage(url, pool_size=1)
    try:
        _admin, invite = members.create_member(storage, SERVER, {
            "name": "Mei Admin", "role": "admin"}, timedelta(hours=1))
    finally:
        storage.close()
    srv.admin_code = invite.code
    srv.start()
    yield srv
    srv.stop()


def _context(browser, size: str):
    ctx = browser.new_context(**SIZES[size], locale="en-US")
    page = new_page(ctx)
    page.on("dialog", lambda d: d.accept())
    return ctx, page


@pytest.fixture(scope="module")
def laptop(browser, server):
    ctx, page = _context(browser, "laptop")
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def phone(browser, server):
    ctx, page = _context(browser, "phone")
    yield page
    ctx.close()


def shot(page, name: str, whole: bool = True) -> None:
    """``whole``: the whole page at the device's pixels; else what the screen shows
    first, at CSS pixels (a quarter of the phone's pixels: quicker to save)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console_{name}.png"), full_page=whole,
                    scale="device" if whole else "css", caret="initial")


def size_of(page) -> str:
    return "laptop" if page.viewport_size["width"] > 600 else "phone"


def submit(page, selector: str = "#save") -> None:
    with page.expect_navigation():
        page.click(selector)


def fill_names(page, names: dict) -> None:
    for lang, name in names.items():
        page.fill(f'[id="names.{lang}"]', name)


def row_id(page, kind: str, text: str) -> str:
    """The id of the record whose row in the list of ``kind`` links ``text``."""
    href = page.locator(f"#list-{kind} a", has_text=text).first.get_attribute("href")
    return href.rsplit("/", 1)[1]


# ---- 1. sign in and set up the program, on each screen size --------------------------------


def set_up_program(page, size: str, server) -> dict:
    """Create the neighborhood, route, business, member and weekly shift of ``size``
    through the console's forms; their ids and the member's invite code."""
    p, out = PROGRAM[size], {}
    base = server.url + "/console"

    hood = p["hood"]
    page.goto(base + "/neighborhoods")
    with page.expect_navigation():
        page.click("#new-neighborhood")
    page.fill("#name", hood["name"])
    fill_names(page, hood["names"])
    page.fill("#city", hood["city"])
    for side, value in hood["bbox"].items():
        page.fill(f'[id="bbox.{side}"]', value)
    submit(page)
    assert page.url.endswith("/console/neighborhoods?saved=1")
    assert page.locator("#notice").inner_text() == EN.t("console.saved", count=1)
    out["hood"] = row_id(page, "neighborhoods", hood["name"])

    route = p["route"]
    page.goto(base + "/routes/new")
    page.fill("#name", route["name"])
    fill_names(page, route["names"])
    page.select_option("#neighborhood_id", label=hood["name"])
    if size == "laptop":
        page.fill("#path_text", "\n".join(f"{lat}, {lon}" for lat, lon in route["points"]))
    else:
        page.set_input_files("#file", {"name": "jackson-st.gpx", "mimeType":
                                       "application/gpx+xml", "buffer": gpx(route["points"])})
    submit(page)
    assert page.url.endswith("/console/routes?saved=1"), page.url
    out["route"] = row_id(page, "routes", route["name"])
    assert page.locator(f'#row-{out["route"]} td.num').inner_text() == \
        str(len(route["points"]))

    shop = p["merchant"]
    page.goto(base + f"/merchants/new?neighborhood={out['hood']}")
    assert page.locator("#neighborhood_id").input_value() == out["hood"]
    page.fill("#name", shop["name"])
    fill_names(page, shop["names"])
    for name in ("address", "lat", "lon", "contact_name"):
        page.fill(f"#{name}", shop[name])
    for code in shop["languages"]:
        page.check(f"#languages-{code}")
    submit(page)
    assert page.url.endswith("/console/merchants?saved=1"), page.url
    out["merchant"] = row_id(page, "merchants", shop["name"])

    member = p["member"]
    page.goto(base + "/members/new")
    page.fill("#name", member["name"])
    page.select_option("#role", member["role"])
    page.select_option("#neighborhood_id", label=hood["name"])
    for code in member["languages"]:
        page.check(f"#languages-{code}")
    if member["trained_lead"]:
        page.check("#trained_lead")
    submit(page)
    code = page.locator("#invite-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{8,}", code), code
    assert page.locator("#invite .qr svg").count() == 1
    out["member_code"] = code
    out["member"] = page.locator("#form-member").get_attribute("action").rsplit("/", 1)[1]
    shot(page, f"member_invite_{size}_new")

    shift = p["shift"]
    day = (datetime.now(PROGRAM_TZ) + timedelta(days=1)).date()
    page.goto(base + "/shifts/new")
    page.fill("#title", shift["title"])
    fill_names(page, shift["names"])
    page.select_option("#neighborhood_id", label=hood["name"])
    page.select_option("#route_id", label=route["name"])
    page.fill("#day", day.isoformat())
    page.fill("#start", shift["start"])
    page.fill("#end", shift["end"])
    page.fill("#capacity", shift["capacity"])
    page.fill("#meeting_point", shift["meeting_point"])
    page.fill("#weeks", shift["weeks"])
    if size == "phone":  # an end before the start is said beside the end, the rest kept
        page.fill("#end", "08:00")
        submit(page)
        assert page.locator("#problem-end").inner_text() == \
            EN.t("console.error.end_before_start")
        assert page.locator("#end").get_attribute("aria-invalid") == "true"
        # the phone shows the problem, not the top of a long form
        assert page.evaluate("document.activeElement.id") == "end"
        assert page.locator("#problem-end").is_visible()
        box = page.locator("#problem-end").bounding_box()
        assert 0 <= box["y"] < PHONE["viewport"]["height"], box
        assert page.locator("#title").input_value() == shift["title"]
        assert page.locator("#weeks").input_value() == shift["weeks"]
        shot(page, "new_shift_phone_problem", whole=False)
        page.fill("#end", shift["end"])
    submit(page)
    monday = day - timedelta(days=day.weekday())
    assert page.url.endswith(f"/console/shifts?saved=3&week={monday}"), page.url
    assert page.locator("#notice").inner_text() == EN.t("console.saved", count=3)
    out["shifts"] = []
    for week in range(3):                     # one a week, on the same weekday and hour
        if week:
            page.goto(f"{base}/shifts?week={monday + timedelta(weeks=week)}")
        cards = page.locator(f"#day-{day + timedelta(weeks=week)} a.shift",
                             has_text=shift["title"])
        assert cards.count() == 1, week
        out["shifts"].append(cards.first.get_attribute("id").removeprefix("shift-"))
    assert len(set(out["shifts"])) == 3
    page.goto(f"{base}/shifts?week={monday}")
    out["first_day"] = day
    shot(page, f"shifts_{size}_saved")
    return out


def test_the_first_admin_redeems_their_invite_and_sets_up_the_program_on_a_laptop(
        server, laptop):
    page = laptop
    page.goto(f"{server.url}/console")
    assert "/console/sign-in" in page.url          # no session: the sign-in page
    with page.expect_navigation():
        page.click("a[href='/console/redeem']")
    page.fill("#code", server.admin_code.lower())   # typed as it was read: case is no matter
    page.fill("#login", "Mei.Admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_again", ADMIN_PASSWORD + "x")
    submit(page, "form[action='/console/redeem'] button[type=submit]")
    assert page.locator("#problem-password_again").inner_text() == \
        EN.t("console.error.password_mismatch")
    assert page.locator("#code").input_value() == server.admin_code.lower()  # kept
    assert page.locator("#password_again").get_attribute("aria-invalid") == "true"
    shot(page, "redeem_laptop_problem")
    page.fill("#password", ADMIN_PASSWORD)
    page.fill("#password_again", ADMIN_PASSWORD)
    submit(page, "form[action='/console/redeem'] button[type=submit]")
    assert page.url == f"{server.url}/console"
    assert page.locator("header .name").inner_text() == "Mei Admin"
    assert page.locator("h1").inner_text() == EN.t("console.home.title")

    made["laptop"] = set_up_program(page, "laptop", server)
    page.goto(f"{server.url}/console")
    for kind, n in (("neighborhoods", 1), ("routes", 1), ("merchants", 1), ("shifts", 3)):
        assert page.locator(f"#tile-{kind} .count").inner_text() == str(n)


def test_a_route_and_an_area_are_drawn_on_the_offline_map_by_tapping(server, laptop):
    page = laptop
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    hood = PROGRAM["laptop"]["hood"]
    page.goto(f"{server.url}/console/routes/new")
    page.select_option("#neighborhood_id", label=hood["name"])
    map_ = page.locator("#route-map")
    map_.wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll('#route-map img.leaflet-tile')]
        .some(img => img.complete && img.naturalWidth > 0)""", timeout=15000)
    map_.scroll_into_view_if_needed()
    box = map_.bounding_box()
    for dx, dy in ((0.3, 0.5), (0.5, 0.45), (0.7, 0.4)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    lines = page.locator("#path_text").input_value().splitlines()
    assert len(lines) == 3
    page.click("#map-undo")
    lines = page.locator("#path_text").input_value().splitlines()
    assert len(lines) == 2
    south, west = (float(v) for v in (hood["bbox"]["south"], hood["bbox"]["west"]))
    north, east = (float(v) for v in (hood["bbox"]["north"], hood["bbox"]["east"]))
    tall, wide = north - south, east - west   # the map opened on the neighborhood's area
    for line in lines:
        lat, lon = (float(v) for v in line.split(","))
        assert south - tall <= lat <= north + tall and west - wide <= lon <= east + wide, line
    shot(page, "route_drawn_laptop", whole=False)
    page.fill("#name", "Drawn loop")
    submit(page)
    assert "/console/routes?saved=1" in page.url
    page.goto(f"{server.url}/console/neighborhoods/new")
    area = page.locator("#area-map")
    area.wait_for()
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.7)
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.3)
    edges = {side: float(page.locator(f"input[name='bbox.{side}']").input_value())
             for side in ("south", "west", "north", "east")}
    assert edges["south"] < edges["north"] and edges["west"] < edges["east"], edges
    origin = server.url.rstrip("/")
    assert asked and all(url.startswith(origin) for url in asked), \
        [u for u in asked if not u.startswith(origin)]          # nothing from another host


def test_the_admin_signs_in_on_a_phone_and_sets_up_the_program_with_a_gpx_route(server, phone):
    page = phone
    page.goto(f"{server.url}/console")
    assert "/console/sign-in" in page.url
    page.fill("#login", ADMIN_LOGIN)
    page.fill("#password", "not the password")
    submit(page, "form[action='/console/sign-in'] button[type=submit]")
    assert page.locator("#sign-in-problem").inner_text() == EN.t("console.error.wrong_password")
    shot(page, "sign_in_phone_problem")
    page.goto(f"{server.url}/console/shifts")
    assert "/console/sign-in?next=" in page.url
    page.fill("#login", ADMIN_LOGIN)
    page.fill("#password", ADMIN_PASSWORD)
    submit(page, "form[action='/console/sign-in'] button[type=submit]")
    assert page.url == f"{server.url}/console/shifts"  # back where the phone asked to go

    made["phone"] = set_up_program(page, "phone", server)
    page.goto(f"{server.url}/console/routes/{made['phone']['route']}")
    typed_back = page.locator("#path_text").input_value().splitlines()
    assert typed_back == [f"{lat}, {lon}" for lat, lon in PROGRAM["phone"]["route"]["points"]]


# ---- 2. a real phone signs in with the member's invite and strolls the route -------------


def test_a_phone_signed_in_with_the_members_invite_pulls_the_program_and_starts_a_stroll(
        server, tmp_path):
    from stroll.patrol import PatrolService
    from stroll.store import Store
    from sync.client import SyncClient
    from sync.engine import SyncEngine

    assert "laptop" in made, "the laptop test set up the program this test pulls"
    ids, p = made["laptop"], PROGRAM["laptop"]
    store = Store(tmp_path / "phone.db")
    engine = SyncEngine(store, SyncClient(server.url), device_name="Mei's phone")
    try:
        enrolled = engine.sign_in(ids["member_code"])
        assert (enrolled.member_id, enrolled.member_name, enrolled.role) == \
            (ids["member"], p["member"]["name"], p["member"]["role"])
        engine.sync_once()

        hood = store.get("neighborhood", ids["hood"])
        assert hood["name"] == p["hood"]["name"] and hood["names"] == p["hood"]["names"]
        assert hood["bbox"] == [[37.7975, -122.275], [37.8035, -122.266]]
        route = store.get("route", ids["route"])
        assert route["neighborhood_id"] == ids["hood"]
        assert [tuple(pt) for pt in route["path"]] == p["route"]["points"]
        shop = store.get("merchant", ids["merchant"])
        assert (shop["name"], shop["neighborhood_id"], shop["languages"]) == \
            (p["merchant"]["name"], ids["hood"], ["en", "yue"])  # in the form's order
        me = store.get("member", ids["member"])
        assert me["trained_lead"] is True and me["neighborhood_id"] == ids["hood"]
        shifts = sorted((store.get("shift", s) for s in ids["shifts"]),
                        key=lambda s: s["starts_at"])
        starts = [datetime.fromisoformat(s["starts_at"]).astimezone(PROGRAM_TZ) for s in shifts]
        assert [s.date() for s in starts] == [ids["first_day"] + timedelta(weeks=w)
                                              for w in range(3)]
        assert {s.strftime("%H:%M") for s in starts} == {"18:00"}  # daylight saving or not
        assert {(s["route_id"], s["capacity"], s["needs_lead"]) for s in shifts} == \
            {(ids["route"], 6, True)}
        # the phone's Little Saigon is on this device too (every member sees the program)
        other = made.get("phone")
        if other:
            gpx_route = store.get("route", other["route"])
            assert [tuple(pt) for pt in gpx_route["path"]] == PROGRAM["phone"]["route"]["points"]

        svc = PatrolService(store)
        started = svc.start_stroll(ids["hood"], route_id=ids["route"], shift_id=shifts[0]["id"],
                                   team=[{"member_id": ids["member"], "name": "", "lead": True},
                                         {"member_id": None, "name": "Rosa", "lead": False}])
        assert started.warnings == []   # Mei is a trained lead
        assert [m["name"] for m in started.stroll.team] == ["Mei Ling Chan", "Rosa"]
        assert svc.live()["status"] == "active"
        engine.sync_once()
        assert store.pending_count() == 0
        on_server = open_storage(server.database_url, pool_size=1)
        try:
            stroll = on_server.live_record("stroll", started.stroll.id)
        finally:
            on_server.close()
        assert (stroll["route_id"], stroll["shift_id"]) == (ids["route"], shifts[0]["id"])
    finally:
        engine.stop()
        engine.client.close()
        store.close()


# ---- 3. every page in every tier-1 language, at both sizes ---------------------------------


def choose_language(page, lang: str) -> None:
    with page.expect_navigation():
        page.select_option("#lang-select", lang)
    page.wait_for_selector(f'html[lang="{lang}"]')


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"


PAGE_JS = """() => ({lang: document.documentElement.lang, text: document.body.innerText,
  h1: document.querySelector('h1')?.innerText ?? null,
  wide: document.documentElement.scrollWidth - window.innerWidth,
  header: document.querySelector('header.top').offsetHeight,
  langButton: document.querySelector('.lang-form button').offsetParent !== null})"""
HEADER_MAX = {"laptop": 70, "phone": 130}  # CSS px: the page starts on the first screen


def check_page(page, name: str, lang: str, heading: str | None = None) -> None:
    """The page is in ``lang``: it says no catalog key or placeholder, is no wider than
    the screen; then its screenshot."""
    size = size_of(page)
    seen = page.evaluate(PAGE_JS)
    assert seen["lang"] == lang, name
    assert "console." not in seen["text"], \
        f"{name} ({lang}): a raw catalog key: {seen['text'][:400]}"
    assert not re.search(r"\{[a-z_]+\}", seen["text"]), f"{name} ({lang}): a placeholder left"
    if heading is not None:
        assert seen["h1"] == heading, name
    assert seen["wide"] <= 0, f"{name} ({lang}) is {seen['wide']}px wider than the {size}'s screen"
    assert seen["header"] <= HEADER_MAX[size], f"{name} ({lang}): a {seen['header']}px header"
    assert not seen["langButton"], "the menu applies a language at once: no button for it"
    # the whole page where a person looks most (the rest: what the screen shows first)
    shot(page, f"{name}_{lang}_{size}", whole=lang in LOOKED_AT and name in (
        "home", "list_shifts", "new_shift", "edit_shift", "member_invite", "new_route"))


def tour(page, server) -> None:
    base = server.url + "/console"
    ids = made[size_of(page)]
    # signed out: the sign-in and redeem pages (the language kept in a cookie)
    with page.expect_navigation():
        page.click("#sign-out")
    for lang in TIER1:
        tr = Translator(lang)
        page.goto(base + "/sign-in")
        choose_language(page, lang)
        assert "/console/sign-in" in page.url
        check_page(page, "sign_in", lang, tr.t("console.sign_in"))
        visit(page, base + "/redeem")
        check_page(page, "redeem", lang, tr.t("console.redeem"))
    page.goto(base + "/sign-in")
    page.fill("#login", ADMIN_LOGIN)
    page.fill("#password", ADMIN_PASSWORD)
    submit(page, "form[action='/console/sign-in'] button[type=submit]")
    for lang in TIER1:
        tr = Translator(lang)
        choose_language(page, lang)
        assert page.url == base
        check_page(page, "home", lang, tr.t("console.home.title"))
        for kind, rtype in (("neighborhoods", "neighborhood"), ("routes", "route"),
                            ("merchants", "merchant"), ("members", "member"),
                            ("shifts", "shift")):
            visit(page, f"{base}/{kind}")
            check_page(page, f"list_{kind}", lang, tr.t(f"console.kind.{kind}"))
            visit(page, f"{base}/{kind}/new")
            check_page(page, f"new_{rtype}", lang, tr.t(f"console.new.{rtype}"))
        visit(page, f"{base}/shifts/{ids['shifts'][0]}")
        shift = PROGRAM[size_of(page)]["shift"]
        check_page(page, "edit_shift", lang, tr.place(shift, "title"))
        visit(page, f"{base}/members/{ids['member']}")
        submit(page, "#member-invite")
        assert page.locator("#invite-code").inner_text().strip()
        check_page(page, "member_invite", lang)
        # (the language menu on this page, answered to a POST, would go on to a GET of
        # /console/members/{id}/invite: 405; the next language is chosen from home)
        visit(page, base)
    choose_language(page, "en")


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_every_console_page_reads_in_each_language_and_fits_the_screen(
        server, laptop, phone, size):
    assert size in made, f"the {size} test set up the records these pages show"
    tour(laptop if size == "laptop" else phone, server)
