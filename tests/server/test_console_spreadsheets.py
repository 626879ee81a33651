"""Members and businesses as spreadsheets: a good file previewed then imported, a bad one
named row by row and column by column with nothing written, and an export that imports
back unchanged (against a real stroll-server process; the reading rules also alone)."""
from __future__ import annotations

import csv
import io
import re

import pytest

from sync.server.console import spreadsheets
from test_console_access import member_console

HOODS = [{"id": "0190c0de-0000-7000-8000-000000000001", "name": "SF Chinatown"},
         {"id": "0190c0de-0000-7000-8000-000000000002", "name": "Oakland Chinatown"}]


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_each_bad_row_and_column_is_named_and_no_record_comes_of_the_file():
    data = ("name,neighborhood,lat,lon,languages\n"
            "Good Bakery,SF Chinatown,37.79,-122.40,yue; en\n"
            "Lost Shop,Atlantis,37.79,-122.40,\n"
            "Bad Point,sf chinatown,north,-122.40,xx\n"
            ",Oakland Chinatown,37.80,-122.27,\n").encode()
    reading = spreadsheets.read("merchant", data, HOODS, {})
    assert [(p.row, p.column, p.key) for p in reading.problems] == [
        (3, "neighborhood", "console.csv.unknown_neighborhood"),
        (4, "lat", "console.error.not_number"),
        (4, "languages", "console.csv.unknown_languages"),
        (5, "name", "console.error.required")]
    assert [r["name"] for r in reading.new] == ["Good Bakery"]     # the page writes none


def test_an_unknown_or_missing_column_stops_before_any_row():
    reading = spreadsheets.read("member", b"full name,role\nAnn,volunteer\n", HOODS, {})
    assert [(p.row, p.column, p.key) for p in reading.problems] == [
        (1, "full name", "console.csv.unknown_column"),
        (1, "name", "console.csv.missing_column")]
    assert reading.records == []


def test_a_cell_a_spreadsheet_would_run_is_exported_inert_and_imported_as_typed():
    member = {"id": "0190c0de-0000-7000-8000-0000000000aa", "name": "=HYPERLINK(\"x\")",
              "role": "volunteer", "languages": ["vi"], "trained_lead": False,
              "neighborhood_id": HOODS[0]["id"], "phone": "+14155550100"}
    text = spreadsheets.export("member", [member], HOODS)
    assert text.startswith("\ufeff")                                  # opens as UTF-8
    assert rows_of(text)[1][1] == "'=HYPERLINK(\"x\")"
    assert rows_of(text)[1][6] == "'+14155550100"
    back = spreadsheets.read("member", text.encode(), HOODS, {member["id"]: member})
    # read back as typed (the apostrophes gone): the record is as it was
    assert back.problems == [] and back.new == back.changed == [] and back.unchanged == 1


@pytest.fixture(scope="module")
def coordinator(live):
    c = member_console(live, "coordinator", "sheet.keeper")
    for name in ("SF Chinatown", "Oakland Chinatown"):
        if not [h for h in live.storage.records_of_type("neighborhood") if h["name"] == name]:
            r = c.post("/console/neighborhoods/new", {
                "name": name, "bbox.south": "37.79", "bbox.west": "-122.41",
                "bbox.north": "37.80", "bbox.east": "-122.40"})
            assert r.status_code == 303
    return c


def upload(c, kind: str, text: str, confirm: bool = False):
    page = c.get(f"/console/{kind}/import")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    if confirm:
        return c.post(f"/console/{kind}/import", {"csrf": csrf, "confirm": "yes",
                                                  "text": text})
    return c.http.post(c.base + f"/console/{kind}/import", data={"csrf": csrf},
                       files={"file": ("list.csv", text.encode("utf-8"), "text/csv")},
                       allow_redirects=False, timeout=30)


def test_a_good_file_is_previewed_then_imported_whole(live, coordinator):
    text = ("name,name_zh-Hant,neighborhood,address,lat,lon,languages\n"
            "Golden Gate Bakery,金門餅家,SF Chinatown,1029 Grant Ave,37.7963,-122.4068,yue;en\n"
            "Tin Tin Cafe,,Oakland Chinatown,801 Franklin St,37.8002,-122.2717,cmn\n")
    preview = upload(coordinator, "merchants", text)
    assert preview.status_code == 200
    assert "2 to add, 0 to change, 0 already as written" in preview.text
    assert not [m for m in live.storage.records_of_type("merchant")
                if m["name"] == "Golden Gate Bakery"]                 # not yet
    done = upload(coordinator, "merchants", text, confirm=True)
    assert done.status_code == 303 and done.headers["location"] == "/console/merchants?saved=2"
    bakery = next(m for m in live.storage.records_of_type("merchant")
                  if m["name"] == "Golden Gate Bakery")
    assert bakery["names"] == {"zh-Hant": "金門餅家"} and bakery["languages"] == ["yue", "en"]


def test_a_file_with_one_bad_row_writes_nothing_and_says_where(live, coordinator):
    before = len(live.storage.records_of_type("merchant"))
    text = ("name,neighborhood,lat,lon\n"
            "Fine Shop,SF Chinatown,37.7960,-122.4060\n"
            "Broken Shop,SF Chinatown,37.7960,-999\n")
    r = upload(coordinator, "merchants", text)
    assert r.status_code == 422
    cells = re.findall(r'<tr class="csv-problem"><td class="num">(\d*)</td><td>([^<]*)</td>',
                       r.text)
    assert cells == [("3", "lon")]
    # even a forced confirm of the same file writes nothing
    assert upload(coordinator, "merchants", text, confirm=True).status_code == 422
    assert len(live.storage.records_of_type("merchant")) == before


def test_an_export_imports_back_changing_nothing(live, coordinator):
    upload(coordinator, "members", "name,role,languages,trained_lead\n"
                                   "Ana Reyes,volunteer,es;en,no\n"
                                   "Bao Tran,ambassador,vi,yes\n", confirm=True)
    exported = coordinator.get("/console/members/export.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    members_before = {m["id"]: m for m in live.storage.records_of_type("member")}
    preview = upload(coordinator, "members", exported.text)
    assert f"0 to add, 0 to change, {len(members_before)} already as written" in preview.text
    assert upload(coordinator, "members", exported.text, confirm=True).status_code == 303
    assert {m["id"]: m for m in live.storage.records_of_type("member")} == members_before


def test_a_coordinators_file_may_not_make_a_coordinator(live, coordinator):
    r = upload(coordinator, "members", "name,role\nSneaky Boss,coordinator\n")
    assert r.status_code == 422
    assert "Only an admin may invite" in r.text
    assert not [m for m in live.storage.records_of_type("member")
                if m["name"] == "Sneaky Boss"]
