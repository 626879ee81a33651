"""The exports page in headless Chromium, on a laptop (1280x800) and a phone (390x844),
against a real ``stroll-server`` holding a small month of the bench's program: reached
from the navigation, read in English and Traditional Chinese (no raw catalog key,
nothing wider than the screen), and a button that downloads a spreadsheet named for
its range; screenshots in test-output/screenshots/console_exports_*.png."""
from __future__ import annotations

import csv
import importlib.util
import io
import re
from datetime import date, timedelta

import pytest

from e2e_helpers import PHONE, ROOT, SCREENSHOTS, new_page
from stroll.i18n import Translator
from sync.server import members
from sync.server.rules import SERVER
from sync.server.storage import open_storage
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

SIZES = {"laptop": dict(viewport={"width": 1280, "height": 800}), "phone": PHONE}
PASSWORD = "dragon-gate-walk-2026"

_spec = importlib.util.spec_from_file_location("program_month",
                                               ROOT / "bench" / "program_month.py")
program_month = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(program_month)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exports")
    url = f"sqlite:///{tmp / 'sync.db'}"
    storage = open_storage(url, pool_size=1)
    try:
        program_month.fill_month(storage, month_start=date(2026, 10, 1), points=20_000,
                                 check_ins=80, incidents=20, seed=5)
        codes = [members.create_member(storage, SERVER, {
            "name": f"Coordinator {i}", "role": "coordinator"}, timedelta(hours=1))[1].code
            for i in range(len(SIZES))]
    finally:
        storage.close()
    srv = ServerProcess(url, tmp / "server.log").start()
    srv.codes = codes
    yield srv
    srv.stop()


@pytest.fixture(scope="module", params=list(SIZES))
def page(request, browser, server):
    ctx = browser.new_context(**SIZES[request.param], locale="en-US", accept_downloads=True)
    pg = new_page(ctx)
    pg.size = request.param
    code = server.codes[list(SIZES).index(request.param)]
    pg.goto(f"{server.url}/console/redeem?code={code}")
    pg.fill("#login", f"coordinator.{request.param}")
    pg.fill("#password", PASSWORD)
    pg.fill("#password_again", PASSWORD)
    with pg.expect_navigation():
        pg.click("form[action='/console/redeem'] button[type=submit]")
    assert pg.url == f"{server.url}/console"
    yield pg
    ctx.close()


PAGE_JS = """() => ({lang: document.documentElement.lang, text: document.body.innerText,
  h1: document.querySelector('h1')?.innerText ?? null,
  wide: document.documentElement.scrollWidth - window.innerWidth})"""


def test_the_exports_page_reads_in_english_and_chinese_and_fits_the_screen(page, server):
    with page.expect_navigation():
        page.click("#home-exports")
    assert page.url == f"{server.url}/console/exports"
    for lang in ("en", "zh-Hant"):
        if lang != "en":
            with page.expect_navigation():
                page.select_option("#lang-select", lang)
            page.wait_for_selector(f'html[lang="{lang}"]')
        tr = Translator(lang)
        seen = page.evaluate(PAGE_JS)
        assert seen["lang"] == lang and seen["h1"] == tr.t("console.exports.title")
        assert "console." not in seen["text"], seen["text"][:400]
        assert not re.search(r"\{[a-z_]+\}", seen["text"])
        assert seen["wide"] <= 0, f"{seen['wide']}px wider than the {page.size}'s screen"
        for what in ("strolls", "check_ins", "incidents", "hours", "geojson", "gpx"):
            assert page.locator(f"#export-{what}").inner_text() == \
                tr.t(f"console.exports.what.{what}")
        nav = page.locator("header nav a[aria-current='page']")
        assert nav.inner_text() == tr.t("console.exports.title")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"console_exports_{lang}_{page.size}.png"),
                        full_page=True)
    with page.expect_navigation():
        page.select_option("#lang-select", "en")


def test_a_button_downloads_the_spreadsheet_of_the_range_chosen(page, server):
    page.goto(f"{server.url}/console/exports")
    page.fill("#from", "2026-10-01")
    page.fill("#to", "2026-10-31")
    with page.expect_download() as info:
        page.click("#export-check_ins")
    download = info.value
    assert download.suggested_filename == "stroll-check-ins-2026-10-01-to-2026-10-31.csv"
    rows = list(csv.DictReader(io.StringIO(
        open(download.path(), "rb").read().decode("utf-8-sig"))))
    assert len(rows) == 80 and {"Date", "Business", "Status"} <= set(rows[0])


def test_a_date_that_is_no_date_gets_the_form_back_saying_so(page, server):
    response = page.goto(f"{server.url}/console/exports/file?what=gpx&from=2026-02-30"
                         "&to=2026-03-01")
    assert response.status == 400
    assert page.locator("#export-problem").inner_text() == Translator("en").t(
        "console.exports.error.bad_date", value="2026-02-30")
    assert page.locator("#from").input_value() == ""       # what was typed is not a date
    page.screenshot(path=str(SCREENSHOTS / f"console_exports_problem_en_{page.size}.png"))
