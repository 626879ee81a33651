"""The console's maps in headless Chromium against a real ``stroll-server`` holding the
hand-worked coverage case (tests/support/coverage_case.py): the routes map draws the
planned routes, the walked tracks, the check-ins and the incident; a stroll's page its
track; the coverage map its pieces of street, businesses and heat map. No request
leaves the server (the page's request log, the map frames' included). Screenshots on a
laptop (1280x800) and a phone (390x844), in English and Traditional Chinese:
test-output/screenshots/console_maps_*.png."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from e2e_helpers import PHONE, SCREENSHOTS, new_page
from sync.server.demo import give_console_sign_in
from sync.server.storage import open_storage
from tests.support import ServerProcess
from tests.support import coverage_case as case

pytestmark = pytest.mark.e2e

LOGIN, PASSWORD = "lan.tran", "dim-sum-saturday-2026"
SIZES = {"laptop": dict(viewport={"width": 1280, "height": 800}), "phone": PHONE}
TODAY = datetime.now(case.ZONE).date()
PERIOD = f"from={(TODAY - timedelta(days=27)).isoformat()}&to={TODAY.isoformat()}"

# the folium objects a frame drew that Leaflet placed on its map: by kind, how many
DRAWN_JS = """() => {
  const kinds = {poly_line_: 0, dots: 0, heat_map_: 0};
  for (const k of Object.keys(window)) {
    const layer = window[k];
    if (!layer || !layer._map) continue;
    if (k.startsWith("geo_json_")) kinds.dots += layer.getLayers().length;
    for (const p of ["poly_line_", "heat_map_"]) if (k.startsWith(p)) kinds[p]++;
  }
  return kinds;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-maps")
    url = f"sqlite:///{tmp / 'sync.db'}"
    srv = ServerProcess(url, tmp / "server.log")
    storage = open_storage(url, pool_size=1)
    try:
        storage.migrate()
        srv.ids = case.write_case(storage, TODAY)
        give_console_sign_in(storage, srv.ids["coordinator"], LOGIN, PASSWORD)
    finally:
        storage.close()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module", params=list(SIZES))
def page(request, browser, server):
    ctx = browser.new_context(**SIZES[request.param], locale="en-US")
    pg = new_page(ctx)
    pg.asked = []
    pg.on("request", lambda r: pg.asked.append(r.url))
    pg.size = request.param
    pg.goto(f"{server.url}/console/sign-in")
    pg.fill("#login", LOGIN)
    pg.fill("#password", PASSWORD)
    pg.click("main button[type=submit]")
    pg.wait_for_url(f"{server.url}/console")
    yield pg
    ctx.close()


def frame_of(page):
    page.locator("#map-frame").wait_for()
    frame = page.frame_locator("#map-frame")
    frame.locator(".leaflet-container").wait_for(timeout=15000)
    handle = page.locator("#map-frame").element_handle().content_frame()
    handle.wait_for_function("() => typeof L !== 'undefined' && "
                             "document.querySelector('.leaflet-control-layers')")
    return handle


def shot(page, name: str, lang: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#map-frame").scroll_into_view_if_needed()
    page.wait_for_timeout(400)  # the heat map and tiles settle after the frame loads
    page.screenshot(path=str(SCREENSHOTS / f"console_maps_{name}_{page.size}_{lang}.png"),
                    full_page=page.size == "laptop")


def choose_language(page, server, lang: str) -> None:
    """The language menu, as a person uses it (the page comes back in ``lang``)."""
    page.select_option("#lang-select", lang)
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)


def only_the_server_was_asked(page, server) -> None:
    strays = [u for u in page.asked if not u.startswith(server.url)
              and not u.startswith(("data:", "blob:", "about:"))]
    assert not strays, strays


def test_the_routes_map_draws_routes_tracks_check_ins_and_incidents(page, server):
    page.goto(f"{server.url}/console/map?{PERIOD}")
    frame = frame_of(page)
    drawn = frame.evaluate(DRAWN_JS)
    assert drawn["poly_line_"] == 2 + 3            # two planned routes, three tracks
    assert drawn["dots"] == 2 + 1                  # two check-ins, one incident
    assert page.locator("#list-strolls tbody tr").count() == 3
    names = frame.locator(".leaflet-control-layers-overlays").text_content()
    assert "Walked tracks" in names and "Check-ins" in names and "Incidents" in names
    shot(page, "routes", "en")
    only_the_server_was_asked(page, server)


def test_a_strolls_page_shows_its_track_and_team(page, server):
    page.goto(f"{server.url}/console/map?{PERIOD}")
    page.locator("#list-strolls tbody tr a").first.click()
    page.wait_for_url(f"{server.url}/console/strolls/*")
    assert "Mei Lin (lead), Kenji Ito" in page.locator("#stroll-team").inner_text()
    frame = frame_of(page)
    assert frame.evaluate(DRAWN_JS)["poly_line_"] == 2   # its route and its track
    shot(page, "stroll", "en")
    only_the_server_was_asked(page, server)


def test_coverage_colours_the_streets_and_businesses_and_heats_the_incidents(page, server):
    page.goto(f"{server.url}/console/coverage?{PERIOD}")
    frame = frame_of(page)
    drawn = frame.evaluate(DRAWN_JS)
    assert drawn == {"poly_line_": 5, "dots": 2, "heat_map_": 1}
    assert frame.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert "80%" in page.locator("#coverage-summary").inner_text()
    shot(page, "coverage", "en")
    only_the_server_was_asked(page, server)


def test_the_maps_in_traditional_chinese(page, server):
    page.goto(f"{server.url}/console/coverage?{PERIOD}")
    choose_language(page, server, "zh-Hant")
    try:
        frame = frame_of(page)
        assert "覆蓋範圍" in page.locator("h1").inner_text()
        assert "計劃路線（按走過次數）" in frame.locator(
            ".leaflet-control-layers-overlays").text_content()
        shot(page, "coverage", "zh-Hant")
        page.goto(f"{server.url}/console/map?{PERIOD}")
        frame = frame_of(page)
        assert "實際步行軌跡" in frame.locator(".leaflet-control-layers-overlays").text_content()
        shot(page, "routes", "zh-Hant")
        no_wider = page.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1")
        assert no_wider, "the page is wider than the screen"
    finally:
        choose_language(page, server, "en")
    only_the_server_was_asked(page, server)
