"""The console's home, list and edit pages as a coordinator reads them, on SQLite and
PostgreSQL alike: what each list shows of a record, in the coordinator's language and
in what order."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import make_invite
from server_records import T0, member, merchant, neighborhood, shift, signup
from sync.protocol import PushEntry
from sync.server.rules import SERVER

PASSWORD = "a long enough password"


def write(storage, *records: tuple[str, dict], op: str = "upsert") -> None:
    """Records written as the server writes them (one seq an entry)."""
    entries = [PushEntry(i, rtype, data["id"], op, None if op == "delete" else data, T0)
               for i, (rtype, data) in enumerate(records, 1)]
    assert [r.status for r in storage.write_as(SERVER, entries)] == ["applied"] * len(entries)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture
def coordinator(client):
    """The client signed in to the console as a coordinator (through an invite)."""
    _member, code = make_invite(client.app_storage, "coordinator", name="Coordinator")
    page = client.get(f"/console/redeem?code={code}")
    r = client.post("/console/redeem", data={
        "csrf": csrf_of(page.text), "code": code, "login": "coordinator",
        "password": PASSWORD, "password_again": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def choose_language(client, lang: str) -> None:
    r = client.post("/console/language", data={
        "csrf": csrf_of(client.get("/console").text), "lang": lang, "next": "/console"},
        follow_redirects=False)
    assert r.status_code == 303


def rows_of(html: str) -> list[list[str]]:
    """The cells of each row of a list page, as text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in
             re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr id=\"row-[^\"]+\">(.*?)</tr>", body, re.S)]


def test_home_counts_the_live_records_of_each_kind(coordinator):
    storage = coordinator.app_storage
    hood, gone = neighborhood(), neighborhood(name="Gone")
    write(storage, ("neighborhood", hood), ("neighborhood", gone),
          ("merchant", merchant(neighborhood_id=hood["id"])))
    write(storage, ("neighborhood", gone), op="delete")
    html = coordinator.get("/console").text
    counts = dict(re.findall(r'id="tile-(\w+)"><span class="count">(\d+)</span>', html))
    assert counts == {"neighborhoods": "1", "routes": "0", "merchants": "1",
                      "members": "1", "shifts": "0", "partners": "0"}  # (the coordinator)


def test_businesses_list_by_neighborhood_then_name_in_the_coordinators_language(
        coordinator):
    storage = coordinator.app_storage
    oak = neighborhood(name="Oakland Chinatown", names={"zh-Hant": "屋崙華埠"})
    sf = neighborhood(name="SF Chinatown", names={"zh-Hant": "三藩市華埠"})
    write(storage, ("neighborhood", oak), ("neighborhood", sf),
          ("merchant", merchant(neighborhood_id=sf["id"], name="Bakery",
                                names={"zh-Hant": "餅店"}, address="1 Grant Ave",
                                languages=["yue", "en"])),
          ("merchant", merchant(neighborhood_id=oak["id"], name="Tea shop",
                                address="9 Webster St")),
          ("merchant", merchant(neighborhood_id=sf["id"], name="Apothecary")))
    assert rows_of(coordinator.get("/console/merchants").text) == [
        ["Tea shop", "Oakland Chinatown", "9 Webster St", ""],
        ["Apothecary", "SF Chinatown", "", ""],
        ["Bakery", "SF Chinatown", "1 Grant Ave", "Cantonese, English"]]
    choose_language(coordinator, "zh-Hant")
    assert rows_of(coordinator.get("/console/merchants").text) == [
        ["Apothecary", "三藩市華埠", "", ""],
        ["餅店", "三藩市華埠", "1 Grant Ave", "廣東話, 英語"],
        ["Tea shop", "屋崙華埠", "9 Webster St", ""]]


def test_members_list_their_role_languages_and_whether_they_lead(coordinator):
    write(coordinator.app_storage,
          ("member", member(name="Lin", languages=["yue"], trained_lead=True)),
          ("member", member(name="Ana", role="ambassador", languages=[])))
    assert rows_of(coordinator.get("/console/members").text) == [
        ["Ana", "Ambassador", "", ""], ["Coordinator", "Coordinator", "", ""],
        ["Lin", "Volunteer", "Cantonese", "Yes"]]


def test_the_shifts_week_shows_each_shift_on_its_day_with_its_confirmed_places(coordinator):
    storage = coordinator.app_storage
    hood = neighborhood()
    later = shift(capacity=3, days_ahead=9, title="Later", neighborhood_id=hood["id"])
    sooner = shift(capacity=2, days_ahead=2, title="Sooner", neighborhood_id=hood["id"])
    write(storage, ("neighborhood", hood), ("shift", later), ("shift", sooner),
          ("signup", signup(sooner["id"])))
    zone = ZoneInfo("America/Los_Angeles")  # the program's time zone
    day = datetime.fromisoformat(sooner["starts_at"]).astimezone(zone).date()
    monday = day - timedelta(days=day.weekday())
    week = coordinator.get(f"/console/shifts?week={day}").text
    card = re.search(rf'<section class="day" id="day-{day}">.*?</section>', week, re.S).group(0)
    texts = [re.sub(r"<[^>]+>", "", t).strip() for t in
             re.findall(r'<span class="(?:title|where|places)">(.*?)</span>', card)]
    assert texts == ["Sooner", "SF Chinatown", "1 of 2"]
    later_day = datetime.fromisoformat(later["starts_at"]).astimezone(zone).date()
    assert (later["id"] in week) == (later_day - timedelta(days=later_day.weekday()) == monday)
    assert later["id"] in coordinator.get(f"/console/shifts?week={later_day}").text


def test_a_shifts_edit_page_opens_titled_with_the_shift(coordinator):
    hood = neighborhood()
    sh = shift(title="Saturday stroll", neighborhood_id=hood["id"])
    write(coordinator.app_storage, ("neighborhood", hood), ("shift", sh))
    r = coordinator.get(f"/console/shifts/{sh['id']}")
    assert r.status_code == 200
    assert "<title>Saturday stroll · stroll</title>" in r.text
