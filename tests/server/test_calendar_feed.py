"""A member's calendar feed (docs/SYNC.md, Calendar feed): the iCalendar the server
builds (``sync.server.ical``, pure: parsed back with ``icalendar``, times across a
daylight-saving change), and the feed's life against a real ``stroll-server`` process
on both backends: made, fetched, replaced, stopped, revoked, hostile addresses, and a
device making and stopping its link through ``SyncClient`` and the engine."""
from __future__ import annotations

import http.client
import json
import sqlite3
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar

from conftest import APP_VERSION, make_invite
from server_records import neighborhood, shift, signup
from stroll.domain import new_id
from sync import protocol as p
from sync.server import ical

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def records(starts: str, ends: str, status: str = "confirmed", **shift_fields):
    sh = shift(neighborhood_id="n1", title="Saturday stroll", starts_at=starts, ends_at=ends,
               meeting_point="Portsmouth Square, Kearny St", **shift_fields)
    return signup(sh["id"], status=status), sh


def events(feed: bytes) -> dict[str, object]:
    """The feed's events by UID."""
    return {str(e["UID"]): e for e in Calendar.from_ical(feed).walk("VEVENT")}


def weekly_across_the_change():
    """A weekly 10:00-12:00 shift either side of the end of daylight saving time
    (Sunday 2026-11-01): Saturday 2026-10-31 in PDT, Saturday 2026-11-07 in PST."""
    return [records("2026-10-31T10:00:00-07:00", "2026-10-31T12:00:00-07:00"),
            records("2026-11-07T10:00:00-08:00", "2026-11-07T12:00:00-08:00")]


# ---- the feed itself (pure) ----------------------------------------------------------------


def test_the_feed_parses_with_icalendar_and_round_trips():
    feed = ical.feed(weekly_across_the_change(), {"n1": "SF Chinatown"},
                     "America/Los_Angeles", NOW, uid="shifts-x@stroll")
    assert feed.startswith(b"BEGIN:VCALENDAR\r\n") and feed.endswith(b"END:VCALENDAR\r\n")
    parsed = Calendar.from_ical(feed)
    assert parsed.to_ical() == feed
    again = Calendar.from_ical(parsed.to_ical())
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == \
        [str(e["UID"]) for e in parsed.walk("VEVENT")]
    assert str(parsed["VERSION"]) == "2.0" and str(parsed["PRODID"]) == ical.PRODID
    assert str(parsed["METHOD"]) == "PUBLISH"


def test_a_weekly_shift_stays_at_ten_local_across_the_daylight_saving_change():
    pairs = weekly_across_the_change()
    found = events(ical.feed(pairs, {}, "America/Los_Angeles", NOW))
    october, november = (found[f"{su['id']}@stroll"] for su, _ in pairs)
    for event, utc_hour in ((october, 17), (november, 18)):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert (start.hour, start.minute, end.hour) == (10, 0, 12)
        assert start.astimezone(UTC).hour == utc_hour
    assert october.decoded("DTSTART").astimezone(UTC) == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert november.decoded("DTSTART").astimezone(UTC) == datetime(2026, 11, 7, 18, tzinfo=UTC)


def test_the_feed_carries_the_vtimezone_its_events_name():
    feed = ical.feed(weekly_across_the_change(), {}, "America/Los_Angeles", NOW)
    cal = Calendar.from_ical(feed)
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Los_Angeles"
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    assert cal.get_missing_tzids() == set()
    # a reader that only has the VTIMEZONE (no zone database) gets the same instants
    assert b"DTSTART;TZID=America/Los_Angeles:20261107T100000" in feed


def test_a_time_written_in_another_offset_is_shown_in_the_program_zone():
    pairs = [records("2026-11-07T18:00:00+00:00", "2026-11-07T20:00:00Z")]
    (event,) = events(ical.feed(pairs, {}, "America/Los_Angeles", NOW)).values()
    assert event.decoded("DTSTART") == datetime(2026, 11, 7, 10, tzinfo=LA)
    assert str(event.decoded("DTSTART").tzinfo) == "America/Los_Angeles"


def test_each_event_says_the_shift_its_place_and_its_sign_up():
    su, sh = records("2026-11-07T10:00:00-08:00", "2026-11-07T12:00:00-08:00")
    (event,) = events(ical.feed([(su, sh)], {"n1": "SF Chinatown"},
                                "America/Los_Angeles", NOW)).values()
    assert str(event["UID"]) == f"{su['id']}@stroll"
    assert str(event["SUMMARY"]) == "Saturday stroll"
    assert str(event["LOCATION"]) == "Portsmouth Square, Kearny St"
    assert "SF Chinatown" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == NOW


def test_a_waitlisted_sign_up_is_tentative_and_says_so():
    su, sh = records("2026-11-07T10:00:00-08:00", "2026-11-07T12:00:00-08:00",
                     status="waitlisted")
    (event,) = events(ical.feed([(su, sh)], {}, "America/Los_Angeles", NOW)).values()
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]) == "Waitlisted: Saturday stroll"
    assert "waitlist" in str(event["DESCRIPTION"])


def test_sign_ups_no_longer_on_are_left_out_and_unreadable_times_skipped():
    on = records("2026-11-07T10:00:00-08:00", "2026-11-07T12:00:00-08:00")
    pairs = [on,
             records("2026-11-14T10:00:00-08:00", "2026-11-14T12:00:00-08:00", "cancelled"),
             records("2026-11-14T10:00:00-08:00", "2026-11-14T12:00:00-08:00", "refused"),
             records("not a time", "2026-11-14T12:00:00-08:00")]
    assert list(events(ical.feed(pairs, {}, "America/Los_Angeles", NOW))) == \
        [f"{on[0]['id']}@stroll"]


def test_text_with_commas_semicolons_newlines_and_chinese_survives_the_round_trip():
    su, sh = records("2026-11-07T10:00:00-08:00", "2026-11-07T12:00:00-08:00",
                     meeting_lat=37.7946, meeting_lon=-122.4068)
    sh.update(title="Stroll; Grant, Stockton\nand 都板街 " + "x" * 80,
              meeting_point="花園角, Portsmouth Sq; \\ gate")
    feed = ical.feed([(su, sh)], {"n1": "舊金山華埠"}, "America/Los_Angeles", NOW)
    assert all(len(line) <= 75 for line in feed.split(b"\r\n"))  # folded as RFC 5545 says
    (event,) = events(feed).values()
    assert str(event["SUMMARY"]) == sh["title"]
    assert str(event["LOCATION"]) == sh["meeting_point"]
    assert str(event["DESCRIPTION"]) == "舊金山華埠"
    assert event["GEO"].latitude == pytest.approx(37.7946)


def test_a_member_with_no_shifts_gets_an_empty_calendar_that_parses():
    cal = Calendar.from_ical(ical.feed([], {}, "America/Los_Angeles", NOW))
    assert cal.walk("VEVENT") == [] and str(cal["X-WR-TIMEZONE"]) == "America/Los_Angeles"


# ---- against a real server ------------------------------------------------------------------


def make_feed(live, dev) -> str:
    r = requests.post(live.base + "/v1/calendar", headers=dev.headers(), timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["url"]


def fetch(url: str) -> requests.Response:
    # a calendar app sends neither the protocol header nor a token
    return requests.get(url, timeout=10)


def assert_gone(r: requests.Response) -> None:
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert set(r.json()) == {"error"} and r.json()["error"]["code"] == "not_found"


@pytest.fixture(scope="module")
def program(live):
    """A neighborhood and two upcoming shifts written by a coordinator."""
    coordinator = live.enroll("coordinator")
    place = neighborhood(name="SF Chinatown")
    one = shift(capacity=1, neighborhood_id=place["id"], meeting_point="Portsmouth Square")
    two = shift(capacity=3, days_ahead=10, neighborhood_id=place["id"])
    live.send(coordinator, ("neighborhood", "upsert", place), ("shift", "upsert", one),
              ("shift", "upsert", two))
    return {"coordinator": coordinator, "one": one, "two": two}


def sign_up(live, dev, shift_id: str) -> dict:
    su = signup(shift_id, dev.member_id)
    (result,) = live.send(dev, ("signup", "upsert", su))["results"]
    assert result["status"] == "applied", result
    return {**su, "status": result["decision"]["status"]}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_no_device_token_is_a_401(live, method):
    r = requests.request(method, live.base + "/v1/calendar",
                         headers=p.request_headers(APP_VERSION), timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth_required"


def test_a_feed_url_serves_the_members_shifts_as_a_calendar(live, program):
    dev = live.enroll("volunteer")
    first = sign_up(live, dev, program["one"]["id"])
    url = make_feed(live, dev)
    assert url.startswith(live.base + "/v1/calendar/") and url.endswith(".ics")
    r = fetch(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    (event,) = events(r.content).values()
    assert str(event["UID"]) == f"{first['id']}@stroll"
    assert str(event["SUMMARY"]) == program["one"]["title"]
    assert str(event["LOCATION"]) == "Portsmouth Square"
    assert "SF Chinatown" in str(event["DESCRIPTION"])
    assert Calendar.from_ical(r.content).walk("VTIMEZONE")
    line = live.storage.audit(0, 100_000)[-1]
    assert (line[2], line[4]) == (dev.member_id, "calendar_feed")


def test_a_waitlisted_sign_up_appears_tentative_and_a_cancelled_one_leaves(live, program):
    someone, dev = live.enroll("volunteer"), live.enroll("volunteer")
    full = shift(capacity=1, neighborhood_id=new_id())
    live.send(program["coordinator"], ("shift", "upsert", full))
    sign_up(live, someone, full["id"])
    waiting = sign_up(live, dev, full["id"])
    assert waiting["status"] == "waitlisted"
    other = sign_up(live, dev, program["two"]["id"])
    url = make_feed(live, dev)
    found = events(fetch(url).content)
    assert str(found[f"{waiting['id']}@stroll"]["STATUS"]) == "TENTATIVE"
    assert str(found[f"{other['id']}@stroll"]["STATUS"]) == "CONFIRMED"
    live.send(dev, ("signup", "patch", {"status": "cancelled"}, other["id"]))
    live.send(program["coordinator"], ("shift", "delete", None, full["id"]))
    assert events(fetch(url).content) == {}


def test_another_members_sign_ups_never_appear(live, program):
    ana, bo = live.enroll("volunteer"), live.enroll("ambassador")
    mine = sign_up(live, ana, program["two"]["id"])
    theirs = sign_up(live, bo, program["two"]["id"])
    assert list(events(fetch(make_feed(live, ana)).content)) == [f"{mine['id']}@stroll"]
    assert list(events(fetch(make_feed(live, bo)).content)) == [f"{theirs['id']}@stroll"]


def test_a_new_link_stops_the_old_one_and_delete_stops_the_new(live):
    dev = live.enroll("volunteer")
    old = make_feed(live, dev)
    new = make_feed(live, dev)
    assert new != old
    assert_gone(fetch(old))
    assert fetch(new).status_code == 200
    r = requests.delete(live.base + "/v1/calendar", headers=dev.headers(), timeout=10)
    assert r.status_code == 204 and r.content == b""
    assert_gone(fetch(new))
    # stopping a feed that is not there is the same answer
    r = requests.delete(live.base + "/v1/calendar", headers=dev.headers(), timeout=10)
    assert r.status_code == 204


def test_a_revoked_members_feed_is_404(live):
    dev = live.enroll("volunteer")
    url = make_feed(live, dev)
    coordinator = live.enroll("coordinator")
    r = requests.post(f"{live.base}/v1/members/{dev.member_id}/revoke",
                      headers=coordinator.headers(), timeout=10)
    assert r.status_code == 200 and r.json()["calendar_feed_stopped"] is True
    assert_gone(fetch(url))


def test_a_deleted_members_feed_is_404(live):
    dev = live.enroll("volunteer")
    url = make_feed(live, dev)
    admin = live.enroll("admin")
    live.send(admin, ("member", "delete", None, dev.member_id))
    assert_gone(fetch(url))


def raw_get(live, path: bytes) -> tuple[int, dict, bytes]:
    """A GET of exactly ``path`` (no client normalizes it first)."""
    conn = http.client.HTTPConnection("127.0.0.1", live.server.port, timeout=10)
    try:
        conn.putrequest("GET", path.decode("latin-1"), skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


HOSTILE = [b"x" * 20_000, b"a%00b", b"%00" * 43, b"A" * 42 + b"%00",
           b"..%2F..%2Fhealth", b"../../health", b"%2e%2e%2f%2e%2e%2fhealth",
           b"A" * 43 + b".ics", b"%F0%9F%A5%9F" * 11, b"%FF" * 43, b"A" * 44,
           b"'%20OR%201=1--AAAAAAAAAAAAAAAAAAAAAAAAAAAAA", b"%0d%0aSet-Cookie:%20x=1"]


@pytest.mark.parametrize("token", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_token_is_a_404_in_the_json_shape_never_a_500(live, token):
    status, headers, body = raw_get(live, b"/v1/calendar/" + token + b".ics")
    assert status in (404, 422), (status, body[:300])
    err = json.loads(body)["error"]
    assert err["code"] in ("not_found", "invalid_message") and "Traceback" not in body.decode()
    assert {k.lower() for k in headers} >= {"content-type"}
    assert "set-cookie" not in {k.lower() for k in headers}


def test_the_hash_of_a_live_token_does_not_open_its_feed(live):
    from sync.server.members import hash_secret
    dev = live.enroll("volunteer")
    token = make_feed(live, dev).rsplit("/", 1)[1].removesuffix(".ics")
    assert_gone(fetch(f"{live.base}/v1/calendar/{hash_secret(token)}.ics"))
    assert_gone(fetch(f"{live.base}/v1/calendar/{token.upper()}.ics"))


# ---- the device's side ------------------------------------------------------------------


def test_a_device_makes_keeps_sealed_and_stops_its_link(live, tmp_path):
    from stroll.store import Store
    from sync.client import SyncClient
    from sync.engine import SyncEngine
    store = Store(tmp_path / "phone.db")
    engine = SyncEngine(store, SyncClient(live.base), device_name="phone")
    try:
        _, code = make_invite(live.storage, "volunteer", name="Lin")
        engine.sign_in(code)
        url = engine.create_calendar_feed()
        assert fetch(url).status_code == 200
        assert engine.calendar_url() == url
        raw = sqlite3.connect(store.path).execute(
            "SELECT value FROM setting WHERE key = 'sync.calendar_url'").fetchone()[0]
        assert raw.startswith("enc1:") and "/v1/calendar/" not in raw   # sealed at rest
        engine.stop_calendar_feed()
        assert_gone(fetch(url))
        assert engine.calendar_url() is None
        url = engine.create_calendar_feed()
        engine.sign_out()
        assert engine.calendar_url() is None   # forgotten with the member ...
        assert fetch(url).status_code == 200   # ... the feed is the member's, not the phone's
    finally:
        engine.client.close()
        store.close()


# ---- the rate limit -------------------------------------------------------------------------


def test_fetches_past_the_limit_per_address_are_429_with_retry_after(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from sync.server.app import create_app
    from sync.server.settings import Settings
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'limit.db'}",
                              calendar_per_minute=2))
    with TestClient(app) as c:
        url = "/v1/calendar/" + "A" * 43 + ".ics"
        assert [c.get(url).status_code for _ in range(2)] == [404, 404]
        r = c.get(url)
        assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(r.headers["retry-after"]) <= 60
