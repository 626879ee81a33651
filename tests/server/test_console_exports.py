"""Exports from the console: spreadsheets, a map file and GPS tracks of a date range and
a neighborhood, read back by real parsers (csv with the byte-order mark, gpxpy, the
geojson package); survivor fields only for the roles that read them; every export in
the audit log; bad input answered with a page that says what is wrong. Against a real
stroll-server process on each backend, with a small month of the bench's program
written into it; the pure parts alone too."""
from __future__ import annotations

import csv
import importlib.util
import io
import random
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import geojson
import gpxpy
import pytest

from conftest import ROOT
from stroll.domain.demo_program import demo_id
from stroll.domain.disclosure import SENSITIVE
from stroll.domain.geo import Fix, decode_track, encode_track
from stroll.domain.patrol_rules import apply_precision
from stroll.i18n import Translator
from sync.server.console import exportfiles as ef
from sync.server.console.mapfiles import track_columns
from sync.server.console.exports import BadExport, file_name, parse_range
from sync.server.rules import view_of_all
from test_console_access import Console, member_console

_spec = importlib.util.spec_from_file_location("program_month",
                                               ROOT / "bench" / "program_month.py")
program_month = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(program_month)

TZ = ZoneInfo("America/Los_Angeles")
SF = demo_id("neighborhood", "sf-chinatown")
MONTH = "from=2026-10-01&to=2026-10-31"
WEEK = ("2026-10-05", "2026-10-11")


def rows_of(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")                   # the BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def local_day(value: str) -> date:
    return datetime.fromisoformat(value).astimezone(TZ).date()


# ---- pure -------------------------------------------------------------------------------------


def test_tracks_decode_in_bulk_exactly_as_the_domain_decodes_them():
    rng = random.Random(5)
    for n in (1, 2, 7, 300):
        fixes = [Fix(37.79 + rng.uniform(-0.01, 0.01), -122.40 + rng.uniform(-0.01, 0.01),
                     1_790_000_000 + i * 3 + rng.randint(0, 2), rng.choice((4, 5, 30)))
                 for i in range(n)]
        text = encode_track(fixes)
        lat, lon, t = track_columns(text)
        want = decode_track(text)
        assert lat.tolist() == [f.lat for f in want]
        assert lon.tolist() == [f.lon for f in want]
        assert t.tolist() == [f.t for f in want]
    for bad in ("?", "A" * 3 + "\x7f", "é"):
        with pytest.raises(ValueError):
            track_columns(bad)


def test_survivor_fields_come_with_the_full_view_only_and_positions_stay_coarse():
    assert view_of_all("incident", "coordinator") == view_of_all("incident", "admin") == "full"
    assert view_of_all("incident", "ambassador") == "coarse"
    assert view_of_all("incident", "volunteer") == "coarse"
    incident = {"id": "0190c0de-0000-7000-8000-0000000000b1", "occurred_at":
                "2026-10-06T10:12:00-07:00", "harm_types": ["verbal_harassment"],
                "lat": 37.794512, "lon": -122.406781, "location_precision": "block",
                "survivor_name": "黃婆婆", "narrative": "Bị chửi bới", "consent_contact": True,
                "contact_channel": "phone", "contact_value": "+14155550123",
                "neighborhood_id": SF}
    full = ef.incident_view(incident, "full")
    assert full["survivor_name"] == "黃婆婆"
    assert (full["lat"], full["lon"]) == apply_precision(37.794512, -122.406781, "block")
    for view in ("coarse", "public"):
        shown = ef.incident_view(incident, view)
        assert not set(SENSITIVE["incident"]) & {k for k, v in shown.items() if v}
    assert ef.incident_view(incident, None) is None
    pg = ef.Program(Translator("en"), TZ)
    header = ef.header(pg.tr, ef.incident_columns(False))
    assert "Survivor's name" not in header and "Contact details" not in header
    (row,) = ef.incident_rows(pg, [ef.incident_view(incident, "coarse")], False)
    assert "黃婆婆" not in row and "+14155550123" not in row


def test_a_range_reads_as_days_and_bad_ones_name_the_problem():
    hoods = {SF: {"id": SF, "name": "SF Chinatown"}}
    today = date(2026, 11, 15)
    assert parse_range({}, hoods, today) == (date(2026, 10, 1), date(2026, 10, 31), None)
    assert parse_range({"from": "2026-10-05", "to": "2026-10-11", "neighborhood": SF},
                       hoods, today) == (date(2026, 10, 5), date(2026, 10, 11), SF)
    for query, key in (({"from": "2026-13-40"}, "bad_date"),
                       ({"from": "2026-10-11", "to": "2026-10-05"}, "order"),
                       ({"from": "2024-01-01", "to": "2026-10-05"}, "too_long"),
                       ({"neighborhood": "../../etc"}, "unknown_neighborhood"),
                       ({"neighborhood": demo_id("neighborhood", "atlantis")},
                        "unknown_neighborhood")):
        with pytest.raises(BadExport) as e:
            parse_range(query, hoods, today)
        assert e.value.key == f"console.exports.error.{key}"
    assert file_name("gpx", date(2026, 10, 1), date(2026, 10, 31), hoods[SF]) == \
        "stroll-tracks-sf-chinatown-2026-10-01-to-2026-10-31.gpx"


def test_hours_count_shifts_as_the_phones_do_and_strolls_for_each_of_the_team():
    shift = {"id": "s1", "starts_at": "2026-10-06T10:00:00-07:00",
             "ends_at": "2026-10-06T12:00:00-07:00", "neighborhood_id": SF}
    ann, bao = "0190c0de-0000-7000-8000-0000000000a1", "0190c0de-0000-7000-8000-0000000000a2"
    served = [({"member_id": ann, "shift_id": "s1", "status": "confirmed",
                "checked_in_at": "2026-10-06T10:00:00-07:00",
                "checked_out_at": "2026-10-06T11:30:00-07:00"}, shift),
              ({"member_id": bao, "shift_id": "s1", "status": "confirmed", "check_in_far": True,
                "checked_in_at": "2026-10-06T10:05:00-07:00"}, shift)]   # not approved
    strolls = [{"id": "x", "started_at": "2026-10-07T09:00:00-07:00",
                "ended_at": "2026-10-07T10:00:00-07:00",
                "team": [{"member_id": ann, "name": "Ann"}, {"member_id": None,
                                                             "name": "Nguyễn Thị Lan"}]}]
    pg = ef.Program(Translator("en"), TZ, members={
        ann: {"id": ann, "name": "陳美玲", "role": "volunteer"},
        bao: {"id": bao, "name": "Bao Tran", "role": "ambassador"}})
    elsewhere = {**shift, "id": "s2", "neighborhood_id": "oakland"}
    signups = [su for su, _ in served] + [
        {"member_id": ann, "shift_id": "s2", "checked_in_at": "2026-10-06T15:00:00-07:00"},
        {"member_id": ann, "shift_id": "s1", "checked_in_at": "2026-11-01T10:00:00-07:00"},
        {"member_id": ann, "shift_id": "s1"}]                       # never checked in
    assert ef.checked_in(signups, [shift, elsewhere], date(2026, 10, 1),
                         date(2026, 10, 31), TZ, SF) == served
    assert len(ef.checked_in(signups, [shift, elsewhere], date(2026, 10, 1),
                             date(2026, 11, 30), TZ, None)) == 4
    rows = {h.name: h for h in ef.volunteer_hours(pg, strolls, served)}
    assert (rows["陳美玲"].shifts, rows["陳美玲"].shift_hours, rows["陳美玲"].strolls,
            rows["陳美玲"].stroll_hours) == (1, 1.5, 1, 1.0)
    assert (rows["陳美玲"].first, rows["陳美玲"].last) == ("2026-10-06", "2026-10-07")
    assert (rows["Bao Tran"].shifts, rows["Bao Tran"].waiting) == (0, 1)
    assert rows["Nguyễn Thị Lan"].stroll_hours == 1.0
    (first, *_rest) = ef.hours_rows(pg, ef.volunteer_hours(pg, strolls, served))
    assert first[:5] == ["陳美玲", "Volunteer", "", 1, "1.50"]


def test_a_cell_a_spreadsheet_would_run_is_written_inert():
    text = "".join(ef.csv_pieces(["a", "b"], [["=1+1", "陳美玲"], ["-2", "Nguyễn"]]))
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["a", "b"], ["'=1+1", "陳美玲"], ["'-2", "Nguyễn"]]


# ---- against a server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def month(live):
    counts = program_month.fill_month(live.storage, month_start=date(2026, 10, 1),
                                      points=40_000, check_ins=120, incidents=40, seed=11)
    return counts


@pytest.fixture(scope="module")
def coordinator(live, month):
    return member_console(live, "coordinator", "export.coordinator", "Lan Tran")


@pytest.fixture(scope="module")
def admin_zh(live, month):
    c = member_console(live, "admin", "export.admin", "Mei Chan")
    assert c.post("/console/language", {"lang": "zh-Hant", "next": "/console"}
                  ).status_code == 303
    return c


def download(c: Console, query: str):
    r = c.get(f"/console/exports/file?{query}")
    assert r.status_code == 200, r.text[:500]
    return r


def test_the_exports_page_is_in_the_navigation_and_offers_every_file(coordinator):
    home = coordinator.get("/console")
    assert 'href="/console/exports"' in home.text and 'id="home-exports"' in home.text
    page = coordinator.get("/console/exports")
    assert page.status_code == 200
    for what in ("strolls", "check_ins", "incidents", "hours", "geojson", "gpx"):
        assert f'id="export-{what}"' in page.text
    assert "SF Chinatown" in page.text and 'name="from"' in page.text
    assert 'id="export-note"' in page.text and "survivor details" in page.text


def test_without_a_session_it_leads_to_sign_in_and_a_volunteer_is_refused(live, month):
    for path in ("/console/exports", f"/console/exports/file?what=gpx&{MONTH}"):
        r = Console(live.server.base).get(path)
        assert r.status_code == 303 and r.headers["location"].startswith(
            "/console/sign-in?next=/console/exports")
    for role in ("volunteer", "ambassador"):
        c = member_console(live, role, f"export.{role}")
        for path in ("/console/exports", f"/console/exports/file?what=incidents&{MONTH}"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert "Survivor" not in r.text and "survivor_name" not in r.text


def test_gpx_holds_one_timed_track_a_stroll_of_the_week_in_the_neighborhood(live,
                                                                           coordinator):
    r = download(coordinator, f"what=gpx&from={WEEK[0]}&to={WEEK[1]}&neighborhood={SF}")
    assert r.headers["content-type"].startswith("application/gpx+xml")
    assert r.headers["content-disposition"] == (
        'attachment; filename="stroll-tracks-sf-chinatown-2026-10-05-to-2026-10-11.gpx"')
    assert r.headers.get("transfer-encoding") == "chunked"       # streamed, in pieces
    gpx = gpxpy.parse(r.text)
    strolls = sorted((s for s in live.storage.records_of_type("stroll")
                      if s["neighborhood_id"] == SF
                      and date(2026, 10, 5) <= local_day(s["started_at"]) <= date(2026, 10, 11)),
                     key=lambda s: s["started_at"])
    assert strolls and len(gpx.tracks) == len(strolls)
    for track, stroll in zip(gpx.tracks, strolls):
        chunks = live.storage.records_where("track_chunk", "stroll_id", stroll["id"])
        want = [f for c in sorted(chunks, key=lambda c: c["seq"])
                for f in decode_track(c["points"])]
        points = track.segments[0].points
        assert len(points) == len(want)
        assert [(p.latitude, p.longitude) for p in points[:5]] == \
            [(round(f.lat, 5), round(f.lon, 5)) for f in want[:5]]
        assert all(p.time is not None for p in points)
        assert points[0].time.timestamp() == want[0].t
        assert [p.time for p in points] == sorted(p.time for p in points)
        route = live.storage.live_record("route", stroll["route_id"])
        started = datetime.fromisoformat(stroll["started_at"]).astimezone(TZ)
        assert track.name == f"{route['name']} · {started:%Y-%m-%d %H:%M}"
        assert track.description == "SF Chinatown"


def test_geojson_is_valid_rfc_7946_with_routes_tracks_check_ins_and_incidents(live,
                                                                             coordinator):
    r = download(coordinator, f"what=geojson&{MONTH}")
    assert r.headers["content-type"].startswith("application/geo+json")
    data = geojson.loads(r.text)
    assert data.is_valid, data.errors()
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert kinds == {"route", "track", "check_in", "incident"}
    assert "crs" not in data
    for f in data["features"]:
        coords = f["geometry"]["coordinates"]
        first = coords[0] if f["geometry"]["type"] == "LineString" else coords
        assert -123 < first[0] < -122 and 37 < first[1] < 48      # lon, lat
    stored = {i["id"]: i for i in live.storage.records_of_type("incident")}
    assert any(i["survivor_name"] for i in stored.values())
    for f in data["features"]:
        if f["properties"]["kind"] == "incident":
            # a map of places: what happened where, never who it happened to
            assert not set(SENSITIVE["incident"]) & set(f["properties"])
            i = stored[f["properties"]["id"]]
            lon, lat = f["geometry"]["coordinates"]
            assert (lat, lon) == pytest.approx(apply_precision(
                i["lat"], i["lon"], i["location_precision"]), abs=1e-6)


def test_csv_spreadsheets_read_back_with_chinese_and_vietnamese_intact(live, admin_zh):
    r = download(admin_zh, f"what=hours&{MONTH}")
    assert r.headers["content-type"].startswith("text/csv")
    rows = rows_of(r.content)
    assert list(rows[0])[:5] == ["人員", "角色", "社區", "已服務值班", "值班時數"]  # her language
    names = {row["人員"] for row in rows}
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in names), names
    assert any(re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", n,
                         re.I) for n in names), names
    walked = sum(float(row["巡邏時數"]) for row in rows)
    assert walked > 0
    checks = rows_of(download(admin_zh, f"what=check_ins&{MONTH}").content)
    assert any(re.search(r"[\u4e00-\u9fff]", row["商戶"]) for row in checks)   # 玉燈餅家
    assert {row["狀況"] for row in checks} <= {"一切安好", "有憂慮", "需要跟進"}


def test_filters_keep_the_range_and_the_neighborhood(live, coordinator):
    rows = rows_of(download(coordinator, f"what=strolls&from={WEEK[0]}&to={WEEK[1]}"
                                         f"&neighborhood={SF}").content)
    want = [s for s in live.storage.records_of_type("stroll") if s["neighborhood_id"] == SF
            and date(2026, 10, 5) <= local_day(s["started_at"]) <= date(2026, 10, 11)]
    assert len(rows) == len(want) > 0
    assert {row["Neighborhood"] for row in rows} == {"SF Chinatown"}
    assert all(WEEK[0] <= row["Date"] <= WEEK[1] for row in rows)
    everything = rows_of(download(coordinator, f"what=check_ins&{MONTH}").content)
    assert len(everything) == len(live.storage.records_of_type("check_in"))
    some = rows_of(download(coordinator, f"what=check_ins&from={WEEK[0]}&to={WEEK[1]}"
                                         ).content)
    assert 0 < len(some) < len(everything)


def test_a_coordinator_gets_survivor_fields_and_each_export_is_audited(live, coordinator):
    before = live.storage.audit(0, 100_000)
    last = before[-1][0] if before else 0
    rows = rows_of(download(coordinator, f"what=incidents&{MONTH}").content)
    assert len(rows) == len(live.storage.records_of_type("incident"))
    assert "Survivor's name" in rows[0] and "Contact details" in rows[0]
    consented = [row for row in rows if row["Agreed to be contacted"] == "yes"]
    assert consented and any(row["Survivor's name"] for row in consented)
    download(coordinator, f"what=strolls&from={WEEK[0]}&to={WEEK[1]}&neighborhood={SF}")
    audit = [a for a in live.storage.audit(last, 1000) if a[4] == "console_export"]
    assert [a[2] for a in audit] == [coordinator.member["id"]] * 2
    assert audit[0][5] == (f"file=incidents from=2026-10-01 to=2026-10-31 neighborhood=all "
                           f"records={len(rows)} survivor_fields=yes")
    assert audit[1][5].startswith(f"file=strolls from={WEEK[0]} to={WEEK[1]} "
                                  f"neighborhood={SF} records=")
    assert audit[1][5].endswith("survivor_fields=no")


def test_bad_input_gets_a_page_in_the_coordinators_language(live, coordinator, admin_zh):
    r = coordinator.get("/console/exports/file?what=gpx&from=2026-02-30&to=2026-03-01")
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    assert "“2026-02-30” is not a date" in r.text.replace("&#34;", '"')
    r = coordinator.get(f"/console/exports/file?what=gpx&{MONTH}&neighborhood=nowhere")
    assert r.status_code == 400 and "not in the program" in r.text
    r = coordinator.get(f"/console/exports/file?what=passwords&{MONTH}")
    assert r.status_code == 400 and "no such file" in r.text
    r = admin_zh.get("/console/exports/file?what=gpx&from=2026-10-31&to=2026-10-01")
    assert r.status_code == 400 and "結束日期早於開始日期" in r.text
    before = len([a for a in live.storage.audit(0, 100_000) if a[4] == "console_export"])
    coordinator.get("/console/exports/file?what=incidents&from=nope")
    assert len([a for a in live.storage.audit(0, 100_000)
                if a[4] == "console_export"]) == before            # nothing exported
