"""The console's maps on a real stroll-server (each backend), with strolls, tracks,
check-ins and incidents pushed by an ambassador's phone: where the teams walked, a
stroll's own page, and coverage (the hand-worked case of coverage_case.py). Each map
is a folium document drawn with the libraries the server serves, allowed to run only its
own inline scripts; who may open them; what bad filters and hostile names get."""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from conftest import DeviceAuth, make_invite
from stroll.domain import new_id
from stroll.domain.geo import encode_track, track_length_m
from sync import protocol as p
from sync.server import members
from sync.server.rules import SERVER
from test_console_access import Console, member_console

from tests.support import coverage_case as case

TODAY = datetime.now(case.ZONE).date()
HOSTILE = "Tea `${alert(1)}` </script><script>alert(2)</script> \\ shop"


def write_program(storage) -> dict:
    """A neighborhood, routes A and B, the bakery and the tea shop (with a hostile
    name), written as the server itself."""
    ids = {k: new_id() for k in ("hood", "A", "B", "bakery", "tea", "far_hood")}
    records = [
        ("neighborhood", {"id": ids["hood"], "name": "Case Town", "center_lat": case.LAT0,
                          "center_lon": case.LON0,
                          "names": {"zh-Hant": "測試區"}}),
        ("neighborhood", {"id": ids["far_hood"], "name": "Far Town", "center_lat": 47.6,
                          "center_lon": -122.3, "bbox": [[47.59, -122.31], [47.61, -122.29]]}),
        ("route", {"id": ids["A"], "neighborhood_id": ids["hood"], "name": "Route A",
                   "path": [list(pt) for pt in case.ROUTE_A]}),
        ("route", {"id": ids["B"], "neighborhood_id": ids["hood"], "name": "Route B",
                   "path": [list(pt) for pt in case.ROUTE_B]}),
        ("merchant", {"id": ids["bakery"], "neighborhood_id": ids["hood"],
                      "name": "Golden Bakery", "lat": case.BAKERY[0], "lon": case.BAKERY[1]}),
        ("merchant", {"id": ids["tea"], "neighborhood_id": ids["hood"], "name": HOSTILE,
                      "lat": case.TEA_SHOP[0], "lon": case.TEA_SHOP[1]}),
    ]
    now = datetime.now(timezone.utc)
    entries = [p.PushEntry(i + 1, rtype, data["id"], "upsert", data, members.iso(now))
               for i, (rtype, data) in enumerate(records)]
    assert all(r.status == "applied" for r in storage.write_as(SERVER, entries, now))
    return ids


@pytest.fixture(scope="module")
def program(live):
    """The program, and the three strolls of the case pushed by an ambassador's phone
    (with their tracks, check-ins and one incident on stroll 1)."""
    ids = write_program(live.storage)
    _member, code = make_invite(live.storage, "ambassador", name="Mei Lin")
    body = live.redeem(code, "Mei's phone").json()
    phone = DeviceAuth(body["device_id"], body["token"], body["role"], body["member_id"])
    strolls = {}
    for stroll in case.strolls(TODAY):
        fixes = case.fixes_of(stroll)
        sid = new_id()
        started = stroll["start"]
        ended = datetime.fromtimestamp(fixes[-1].t, timezone.utc)
        records = [("stroll", "upsert", {
            "id": sid, "neighborhood_id": ids["hood"],
            "route_id": ids["A"] if stroll["key"] != "s3" else ids["B"],
            "team": [{"member_id": phone.member_id, "name": "Mei Lin", "lead": True},
                     {"member_id": None, "name": "Kenji Ito", "lead": False}],
            "started_at": started.isoformat(), "ended_at": ended.isoformat(),
            "status": "ended", "tallies": {"greetings": 4},
            "distance_m": round(track_length_m([(f.lat, f.lon) for f in fixes]), 1)})]
        for seq, start in enumerate(range(0, len(fixes), 40)):
            part = fixes[start:start + 40]
            records.append(("track_chunk", "upsert", {
                "id": new_id(), "stroll_id": sid, "seq": seq, "points": encode_track(part),
                "point_count": len(part),
                "started_at": datetime.fromtimestamp(part[0].t, timezone.utc).isoformat()}))
        for business in stroll["check_ins"]:
            records.append(("check_in", "upsert", {
                "id": new_id(), "merchant_id": ids[business], "stroll_id": sid,
                "status": "concern", "note": "Window broken again",
                "at": (started + timedelta(minutes=20)).isoformat(),
                "lat": case.BAKERY[0], "lon": case.BAKERY[1]}))
        if stroll["key"] == "s1":
            records.append(("incident", "upsert", {
                "id": new_id(), "stroll_id": sid, "neighborhood_id": ids["hood"],
                "occurred_at": (started + timedelta(minutes=30)).isoformat(),
                "harm_types": ["verbal_harassment"], "lat": case.BAKERY[0],
                "lon": case.BAKERY[1], "location_precision": "block",
                "survivor_name": "Ms. Secret Survivor", "narrative": "A private account"}))
        results = live.send(phone, *records)["results"]
        assert all(r["status"] == "applied" for r in results), results
        strolls[stroll["key"]] = sid
    return {"ids": ids, "strolls": strolls, "phone": phone}


@pytest.fixture(scope="module")
def coordinator(live):
    return member_console(live, "coordinator", "map.reader", "Lan Tran")


def period(days: int = 27) -> str:
    return f"from={(TODAY - timedelta(days=days)).isoformat()}&to={TODAY.isoformat()}"


def table(html: str, table_id: str) -> list[list[str]]:
    """A table's rows as a person reads them (cells' text)."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


# ---- where the teams walked ---------------------------------------------------------------

def test_the_routes_map_lists_the_periods_strolls_and_frames_their_map(live, program,
                                                                        coordinator):
    r = coordinator.get(f"/console/map?{period()}")
    assert r.status_code == 200, r.text
    rows = table(r.text, "list-strolls")
    assert len(rows) == 3 and all(row[1] == "Case Town" for row in rows)
    assert sorted(row[2] for row in rows) == ["Route A", "Route A", "Route B"]
    listed = str(rows)
    assert "Mei Lin" not in listed and "Kenji" not in listed  # teams: on a stroll's page
    frame = re.search(r'<iframe[^>]*id="map-frame"[^>]*src="([^"]+)"', r.text).group(1)
    assert frame.startswith("/console/map/frame?")
    # a shorter period leaves the stroll of 20 days ago out
    rows = table(coordinator.get(f"/console/map?{period(10)}").text, "list-strolls")
    assert len(rows) == 2


def test_a_map_is_drawn_with_the_servers_own_libraries_and_runs_only_its_own_scripts(
        live, program, coordinator):
    r = coordinator.get(f"/console/map/frame?{period()}")
    assert r.status_code == 200
    doc = r.text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', doc)
    assert sources and all(s.startswith("/console/static/") for s in sources), sources
    assert "http://" not in doc.replace("http://www.w3.org", "") and "https://" not in doc
    for s in sources:
        assert coordinator.get(s).status_code == 200, s
    policy = r.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", doc, re.S)
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "unsafe-inline" not in script_src and "frame-ancestors 'self'" in policy
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    # the layers: routes, tracks, check-ins, incidents (placed to the block)
    assert doc.count("L.polyline(") == 2 + 3 and doc.count('"type": "Feature"') == 2 + 1
    assert "placed to the block" in doc and "Verbal or written harassment" in doc
    assert "Secret Survivor" not in doc and "private account" not in doc
    assert "L.control.layers(" in doc


def test_a_hostile_name_is_text_on_the_map_never_code(live, program, coordinator):
    doc = coordinator.get(f"/console/map/frame?{period()}").text
    assert "<script>alert(2)" not in doc and "${alert(1)}" not in doc
    assert "`${" not in doc
    doc = coordinator.get(f"/console/coverage/frame?{period()}").text
    assert "Tea " in doc and "alert(1)" in doc   # the name is there, as text
    assert "<script>alert(2)" not in doc and "${alert(1)}" not in doc


def test_filters_by_route_member_and_harm_narrow_what_is_drawn(live, program, coordinator):
    ids = program["ids"]
    rows = table(coordinator.get(f"/console/map?{period()}&route={ids['B']}").text,
                 "list-strolls")
    assert [row[2] for row in rows] == ["Route B"]
    page = coordinator.get(f"/console/map?{period()}&member={program['phone'].member_id}")
    assert len(table(page.text, "list-strolls")) == 3
    frame = coordinator.get(f"/console/map/frame?{period()}&harm=wage_theft").text
    assert "Verbal or written harassment" not in frame
    page = coordinator.get(f"/console/map?{period()}&neighborhood={ids['far_hood']}")
    assert 'id="no-strolls"' in page.text


@pytest.mark.parametrize("query,says", [
    ("from=2026-13-01", "is not a date"),
    ("from=yesterday", "is not a date"),
    ("from=2026-11-20&to=2026-11-01", "The first day comes after the last one."),
    ("from=2020-01-01&to=2026-01-01", "Choose at most 366 days."),
    (f"neighborhood={'0' * 8}-0000-7000-8000-{'0' * 12}", "is not in the program"),
    ("route=../../etc/passwd", "is not in the program"),
    ("harm=<script>", "is not in the program"),
])
def test_a_bad_filter_gets_a_400_page_that_says_what_is_wrong(live, program, coordinator,
                                                               query, says):
    for path in ("/console/map", "/console/map/frame", "/console/coverage",
                 "/console/coverage/frame"):
        r = coordinator.get(f"{path}?{query}")
        assert r.status_code == 400, (path, r.status_code)
        assert says in unescape(r.text), path
        assert "Traceback" not in r.text


# ---- a stroll's own page ----------------------------------------------------------------

def test_a_strolls_page_names_its_team_and_lists_its_check_ins_and_incidents(
        live, program, coordinator):
    sid = program["strolls"]["s1"]
    r = coordinator.get(f"/console/strolls/{sid}")
    assert r.status_code == 200
    assert "Mei Lin (lead), Kenji Ito" in unescape(r.text)
    assert table(r.text, "stroll-check-ins")[0][1:3] == ["Golden Bakery", "Concern"]
    assert table(r.text, "stroll-incidents")[0][1] == "Verbal or written harassment"
    assert "Secret Survivor" not in r.text
    frame = coordinator.get(f"/console/strolls/{sid}/frame")
    assert frame.status_code == 200 and "Mei Lin, Kenji Ito" in frame.text
    assert frame.text.count("L.polyline(") == 2   # its route and its track


@pytest.mark.parametrize("hostile", ["nope", "../console", "1' OR '1'='1",
                                     "01890000-0000-7000-8000-000000000000"])
def test_a_stroll_that_is_not_there_is_a_404_page(live, program, coordinator, hostile):
    for path in (f"/console/strolls/{hostile}", f"/console/strolls/{hostile}/frame"):
        r = coordinator.get(path)
        assert r.status_code == 404, path
        assert "Traceback" not in r.text


# ---- coverage -----------------------------------------------------------------------------

def test_coverage_gives_the_hand_worked_figures(live, program, coordinator):
    r = coordinator.get(f"/console/coverage?{period()}")
    assert r.status_code == 200, r.text
    html = unescape(r.text)
    assert re.search(r'<span class="count">80%</span>', html)
    routes = table(r.text, "coverage-routes")
    assert routes == [["Route A", "100%", "5", "0 / 3", "0 / 3", "1 / 3"],
                      ["Route B", "50%", "1", "1 / 2", "0 / 2", "1 / 2"]]
    gaps = re.findall(r"<li>(.*?): <span", re.search(
        r'id="coverage-gaps">(.*?)</ul>', html, re.S).group(1))
    assert gaps == ["Route A, 160–240 m", "Route B, 0–80 m", "Route B, 80–160 m"]
    businesses = {row[0]: row for row in table(r.text, "coverage-businesses")}
    assert businesses["Golden Bakery"][1] == "2" and businesses["Golden Bakery"][-1] == ""
    assert businesses[HOSTILE][1] == "0" and businesses[HOSTILE][-1] == "Never walked"
    week = table(r.text, "coverage-week")
    assert sum(int(n) for row in week for n in row[1:]) == 6


def test_the_coverage_map_draws_places_never_a_persons_track(live, program, coordinator):
    doc = coordinator.get(f"/console/coverage/frame?{period()}").text
    assert doc.count("L.polyline(") == 5           # the five pieces of street, no track
    assert "Mei Lin" not in doc and "Kenji" not in doc
    assert "L.heatLayer(" in doc and "/console/static/leaflet-heat/leaflet-heat.js" in doc
    assert "walked 2 times" in doc and "Never walked" not in doc.split("L.heatLayer")[1]


def test_coverage_in_traditional_chinese(live, program, coordinator):
    coordinator.post("/console/language", {"lang": "zh-Hant", "next": "/console/coverage"})
    try:
        html = unescape(coordinator.get(f"/console/coverage?{period()}").text)
        assert "覆蓋範圍" in html and "從未走過" in html and "Route A，160–240 米" in html
    finally:
        coordinator.post("/console/language", {"lang": "en", "next": "/console/coverage"})


# ---- who may open them --------------------------------------------------------------------

PAGES = ["/console/map", "/console/map/frame", "/console/coverage", "/console/coverage/frame"]


def test_without_a_session_the_maps_lead_to_sign_in(live, program):
    c = Console(live.server.base)
    sid = program["strolls"]["s1"]
    for path in [*PAGES, f"/console/strolls/{sid}", f"/console/strolls/{sid}/frame"]:
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith(
            "/console/sign-in?next="), path


@pytest.mark.parametrize("role", ["volunteer", "ambassador"])
def test_a_volunteer_or_ambassador_may_not_open_the_maps(live, program, role):
    c = member_console(live, role, f"map.{role}", f"A {role}")
    sid = program["strolls"]["s1"]
    for path in [*PAGES, f"/console/strolls/{sid}", f"/console/strolls/{sid}/frame"]:
        r = c.get(path)
        assert r.status_code == 403, path
        assert "Mei Lin" not in r.text and "L.polyline" not in r.text
