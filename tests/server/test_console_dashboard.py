"""The dashboard and the monthly report on a real server, each backend: a small program
made by hand (two neighborhoods, two weeks of October 2026: 3 strolls, 5 merchant
check-ins, 4 counted incidents of known harm types, follow-ups, a volunteer's hours) and
the numbers the pages' tables show for it; the filters honoured; survivors' details and
uncounted incidents nowhere; bad filters answered in the coordinator's language; who
may open the pages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from stroll.domain import new_id
from stroll.domain.volunteering import hours as member_hours
from sync import protocol as p
from sync.server.rules import SERVER
from test_console_access import Console, member_console

TZ = "America/Los_Angeles"
RANGE = "from=2026-10-05&to=2026-10-18"      # two weeks, Monday to Sunday
SECRET = "Secret Survivor Name"


class Tables(HTMLParser):
    """Each table of a page by id: its rows (header, body and foot) as lists of texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = self.tables.setdefault(a["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(html: str, name: str) -> dict[str, list[str]]:
    """Table ``table-<name>``'s rows by their first cell."""
    return {row[0]: row[1:] for row in Tables(html).tables[f"table-{name}"]}


def at(day: int, hour: int, minute: int = 0) -> str:
    """A time of October 2026 in the program's zone, as a phone writes it."""
    return datetime(2026, 10, day, hour, minute, tzinfo=ZoneInfo(TZ)).isoformat()


def write(storage, *records: tuple[str, dict]) -> None:
    now = datetime.now(timezone.utc)
    results = storage.write_as(SERVER, [p.PushEntry(i + 1, rtype, r["id"], "upsert", r,
                                                    now.isoformat())
                                        for i, (rtype, r) in enumerate(records)], now)
    assert all(r.status == "applied" for r in results), results


@pytest.fixture(scope="module")
def program(live):
    s = live.storage
    a = {"id": new_id(), "name": "Dash Chinatown", "names": {"zh-Hant": "儀表華埠"},
         "center_lat": 37.7946, "center_lon": -122.4068}
    b = {"id": new_id(), "name": "Dash Saigon", "names": {"vi": "Sài Gòn Nhỏ"},
         "center_lat": 47.5991, "center_lon": -122.3153}
    ma = {"id": new_id(), "neighborhood_id": a["id"], "name": "Tea shop", "lat": 37.79,
          "lon": -122.40}
    mb = {"id": new_id(), "neighborhood_id": b["id"], "name": "Deli", "lat": 47.59,
          "lon": -122.31}
    team = [{"member_id": None, "name": "Mei", "lead": True}]

    def stroll(hood, day, hours, metres):
        return {"id": new_id(), "neighborhood_id": hood["id"], "team": team,
                "started_at": at(day, 10), "ended_at": at(day, 10 + hours // 60,
                                                         hours % 60),
                "status": "ended", "distance_m": metres}
    s1, s2, s3 = stroll(a, 6, 90, 2000), stroll(a, 14, 60, 1500), stroll(b, 15, 120, 3000)
    outside = stroll(a, 20, 60, 9999)          # the week after the range

    def check_in(merchant, day, status):
        return {"id": new_id(), "merchant_id": merchant["id"], "at": at(day, 11),
                "status": status}

    def incident(day, harms, hood=None, stroll_id=None, **more):
        return {"id": new_id(), "neighborhood_id": hood and hood["id"], "stroll_id": stroll_id,
                "occurred_at": at(day, 15), "harm_types": harms, **more}
    i1 = incident(6, ["verbal_harassment"], a, survivor_name=SECRET,
                  narrative="They shouted at me near the bakery.", consent_contact=True,
                  contact_channel="phone", contact_value="+1 415 555 0100")
    i2 = incident(7, ["verbal_harassment", "shunning"], a)
    i3 = incident(13, ["physical_assault"], b)
    i4 = incident(15, ["verbal_harassment"], stroll_id=s3["id"])   # its stroll's place: b
    uncounted = incident(14, ["theft_robbery"], a, include_in_aggregate=False)
    before = incident(1, ["vandalism"], a)

    def follow_up(inc, status, next_action):
        return {"id": new_id(), "incident_id": inc["id"], "status": status,
                "next_action_date": next_action, "notes": "Called twice"}
    write(s, ("neighborhood", a), ("neighborhood", b), ("merchant", ma), ("merchant", mb),
          ("stroll", s1), ("stroll", s2), ("stroll", s3), ("stroll", outside),
          ("check_in", check_in(ma, 6, "all_good")), ("check_in", check_in(ma, 7, "all_good")),
          ("check_in", check_in(ma, 13, "concern")), ("check_in", check_in(mb, 14, "all_good")),
          ("check_in", check_in(mb, 16, "needs_follow_up")),
          ("check_in", check_in(mb, 19, "concern")),     # the day after the range
          ("incident", i1), ("incident", i2), ("incident", i3), ("incident", i4),
          ("incident", uncounted), ("incident", before),
          ("follow_up", follow_up(i1, "contacted", at(20, 9))),       # overdue
          ("follow_up", follow_up(i2, "new", "2099-01-01T09:00:00+00:00")),
          ("follow_up", follow_up(i3, "closed", at(16, 9))),
          ("follow_up", follow_up(uncounted, "new", at(15, 9))))
    clinic = {"id": new_id(), "name": "Chinatown Clinic", "referral_needs": ["medical"]}
    legal = {"id": new_id(), "name": "Legal Aid Desk", "referral_needs": ["legal"]}

    def referral(inc, partner, day, outcome):
        return {"id": new_id(), "incident_id": inc["id"], "partner_id": partner["id"],
                "referred_at": at(day, 12), "outcome": outcome,
                "outcome_note": "Seen on Tuesday"}
    write(s, ("partner", clinic), ("partner", legal),
          ("referral", referral(i1, clinic, 8, "accepted")),
          ("referral", referral(i2, clinic, 9, "pending")),
          ("referral", referral(i3, legal, 14, "completed")),
          ("referral", referral(uncounted, legal, 15, "accepted")),   # not counted
          ("referral", referral(i1, legal, 20, "pending")))           # after the range
    # a volunteer's 1.5 hours on a shift in a (signed up while the shift was ahead, then
    # the shift moved to October 6); one check-in away from the meeting point, not approved
    start = datetime.now(timezone.utc) + timedelta(days=2)
    shift = {"id": new_id(), "neighborhood_id": a["id"], "title": "Evening stroll",
             "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
             "capacity": 4, "min_group": 1}
    members = [{"id": new_id(), "name": f"Volunteer {i}", "role": "volunteer"}
               for i in range(2)]
    write(s, ("shift", shift), *(("member", m) for m in members))
    signups = [{"id": new_id(), "shift_id": shift["id"], "member_id": m["id"],
                "status": "requested", "requested_at": datetime.now(timezone.utc).isoformat()}
               for m in members]
    write(s, *(("signup", su) for su in signups))
    stored = [s.live_record("signup", su["id"]) for su in signups]
    assert [su["status"] for su in stored] == ["confirmed", "confirmed"]
    stored[0].update(checked_in_at=at(6, 17, 55), checked_out_at=at(6, 19, 25))
    stored[1].update(checked_in_at=at(6, 18), checked_out_at=at(6, 20), check_in_far=True)
    write(s, *(("signup", su) for su in stored))
    write(s, ("shift", {**shift, "starts_at": at(6, 18), "ends_at": at(6, 20)}))
    return {"a": a, "b": b, "shift": shift, "signups": stored}


@pytest.fixture(scope="module")
def coordinator(live):
    return member_console(live, "coordinator", "dash.coordinator")


def test_the_dashboard_shows_the_ranges_figures_by_neighborhood(live, program, coordinator):
    r = coordinator.get(f"/console/dashboard?{RANGE}")
    assert r.status_code == 200, r.text
    hoods = table(r.text, "by-neighborhood")
    #                    strolls  distance   patrol   volunteer  check-ins incidents
    assert hoods["Dash Chinatown"] == ["2", "3.5 km", "2.5 hr", "1.5 hr", "3", "2"]
    assert hoods["Dash Saigon"] == ["1", "3.0 km", "2 hr", "0 hr", "2", "2"]
    assert hoods["Total"] == ["3", "6.5 km", "4.5 hr", "1.5 hr", "5", "4"]
    assert 'id="chart-by-neighborhood-1"' in r.text and "<title" in r.text


def test_the_week_by_week_table_cuts_the_range_at_mondays(live, program, coordinator):
    weeks = table(coordinator.get(f"/console/dashboard?{RANGE}").text, "by-week")
    assert weeks["Oct 5 – 11"] == ["1", "2.0 km", "1.5 hr", "1.5 hr", "2", "2"]
    assert weeks["Oct 12 – 18"] == ["2", "4.5 km", "3 hr", "0 hr", "3", "2"]


def test_incidents_count_each_harm_type_and_follow_ups_open_overdue_closed(live, program,
                                                                          coordinator):
    page = coordinator.get(f"/console/dashboard?{RANGE}").text
    assert table(page, "by-harm") == {"Harm type": ["Incidents"],
                                      "Verbal or written harassment": ["3"],
                                      "Physical assault": ["1"], "Avoided or shunned": ["1"]}
    follow = table(page, "follow-ups")
    assert follow["Open"] == ["2"] and follow["Closed"] == ["1"]
    assert follow["Overdue (open, next action date passed)"] == ["1"]
    statuses = table(page, "check-ins")
    assert (statuses["All good"], statuses["Concern"], statuses["Needs follow-up"],
            statuses["Total"]) == (["3"], ["1"], ["1"], ["5"])


def test_referrals_are_counted_by_partner_with_their_outcomes(live, program, coordinator):
    page = coordinator.get(f"/console/dashboard?{RANGE}").text
    # outcomes: waiting, accepted, declined, help given, could not reach
    assert table(page, "by-partner") == {
        "Partner": ["Referrals", "Waiting to hear", "Accepted", "Declined", "Help given",
                    "Could not reach"],
        "Chinatown Clinic": ["2", "1", "1", "0", "0", "0"],
        "Legal Aid Desk": ["1", "0", "0", "0", "1", "0"],
        "Total": ["3", "1", "1", "0", "1", "0"]}
    b = program["b"]["id"]
    page = coordinator.get(f"/console/dashboard?{RANGE}&neighborhood={b}").text
    assert set(table(page, "by-partner")) == {"Partner", "Legal Aid Desk", "Total"}
    report = coordinator.get("/console/report?month=2026-10").text
    assert table(report, "by-partner")["Legal Aid Desk"][0] == "2"   # the 14th and 20th
    assert "Seen on Tuesday" not in page and "Seen on Tuesday" not in report


def test_survivors_details_and_uncounted_incidents_appear_nowhere(live, program, coordinator):
    for path in (f"/console/dashboard?{RANGE}", "/console/report?month=2026-10"):
        page = coordinator.get(path).text
        assert SECRET not in page and "shouted" not in page and "555 0100" not in page
        assert "Called twice" not in page
        assert "Theft or robbery" not in page      # only the uncounted incident's harm


def test_a_neighborhood_filter_counts_only_that_neighborhood(live, program, coordinator):
    b = program["b"]["id"]
    page = coordinator.get(f"/console/dashboard?{RANGE}&neighborhood={b}").text
    hoods = table(page, "by-neighborhood")
    assert set(hoods) == {"Neighborhood", "Dash Saigon", "Total"}
    assert hoods["Total"] == ["1", "3.0 km", "2 hr", "0 hr", "2", "2"]
    assert table(page, "by-harm") == {"Harm type": ["Incidents"],
                                      "Physical assault": ["1"],
                                      "Verbal or written harassment": ["1"]}
    assert f'<option value="{b}" selected>' in page
    follow = table(page, "follow-ups")                       # i3's, closed
    assert (follow["Open"], follow["Closed"]) == (["0"], ["1"])


def test_a_time_written_in_utc_falls_in_the_programs_local_week(live, program, coordinator):
    """23:30 on Sunday in San Francisco is Monday in UTC: it is Sunday's week's."""
    c = {"id": new_id(), "name": "Dash UTC", "center_lat": 37.79, "center_lon": -122.40}
    shop = {"id": new_id(), "neighborhood_id": c["id"], "name": "Night market", "lat": 37.79,
            "lon": -122.40}
    write(live.storage, ("neighborhood", c), ("merchant", shop),
          ("check_in", {"id": new_id(), "merchant_id": shop["id"],
                        "at": "2026-09-07T06:30:00Z", "status": "concern"}))
    page = coordinator.get("/console/dashboard?from=2026-09-01&to=2026-09-13"
                           f"&neighborhood={c['id']}").text
    weeks = table(page, "by-week")
    assert weeks["Sep 1 – 6"][4] == "1" and weeks["Sep 7 – 13"][4] == "0"


def test_a_date_range_counts_only_its_days(live, program, coordinator):
    page = coordinator.get("/console/dashboard?from=2026-10-12&to=2026-10-14").text
    total = table(page, "by-neighborhood")["Total"]
    # s2 (Oct 14); check-ins Oct 13, 14; incident i3 (Oct 13)
    assert total == ["1", "1.5 km", "1 hr", "0 hr", "2", "1"]
    assert list(table(page, "by-week")) == ["Week", "Oct 12 – 14", "Total"]


def test_the_sql_hours_are_the_hours_a_volunteer_reads(live, program):
    """The dashboard's volunteer hours are counted as a volunteer's own hours are
    (``stroll.domain.volunteering.hours``) on the same sign-ups."""
    shift = live.storage.live_record("shift", program["shift"]["id"])
    own = member_hours([(su, shift) for su in program["signups"]], ZoneInfo(TZ))
    edges = ["2026-10-05T07:00:00+00:00", "2026-10-19T07:00:00+00:00"]
    rows = live.storage.dashboard_service(edges, datetime.now(timezone.utc).isoformat(),
                                          program["a"]["id"])
    assert [(n, round(sec / 3600, 2)) for _h, _b, n, sec in rows] == [
        (own.shifts, own.total)] == [(1, 1.5)]


def test_the_monthly_report_tells_the_month_in_sentences_and_tables(live, program,
                                                                   coordinator):
    r = coordinator.get("/console/report?month=2026-10")
    assert r.status_code == 200, r.text
    assert "Monthly report: October 2026" in r.text
    assert "Teams went out on 4 strolls, walked 16.5 km and spent 5.5 hr on patrol." \
        in r.text                                     # the month: s1, s2, s3 and Oct 20
    assert "5 incidents were recorded and may be counted." in r.text  # i1-i4 and Oct 1
    assert "Teams checked in with merchants 6 times." in r.text
    assert "The harm reported most often: Verbal or written harassment (3)." in r.text
    assert table(r.text, "by-neighborhood")["Dash Saigon"] == [
        "1", "3.0 km", "2 hr", "0 hr", "3", "2"]
    assert 'href="/console/dashboard?from=2026-10-01&amp;to=2026-10-31"' in r.text
    assert '<nav' in r.text and "@media print" not in r.text   # the print sheet is the CSS


def test_the_dashboard_links_the_report_of_its_last_month(live, program, coordinator):
    page = coordinator.get(f"/console/dashboard?{RANGE}").text
    assert 'href="/console/report?month=2026-10"' in page
    home = coordinator.get("/console").text
    assert 'href="/console/dashboard"' in home and 'id="nav-dashboard"' in home


@pytest.mark.parametrize("query", [
    "from=2026-13-01", "to=yesterday", "from=2026-10-20&to=2026-10-01",
    "from=2020-01-01&to=2026-10-01", "neighborhood=0192f1c4-5b7e-7a31-9d2e-3c4b5a697887",
    "neighborhood=%27%3B%20DROP%20TABLE%20records", "month=2026-10&from=%00",
    "from=9999-12-30&to=9999-12-31"])
def test_a_bad_filter_gets_a_400_page_not_a_traceback(live, program, coordinator, query):
    r = coordinator.get(f"/console/dashboard?{query}")
    assert r.status_code == 400 and 'role="alert"' in r.text
    assert "Traceback" not in r.text


def test_a_bad_date_is_explained_in_the_coordinators_language(live, program):
    c = member_console(live, "coordinator", "dash.zh")
    c.post("/console/language", {"lang": "zh-Hant", "next": "/console"})
    r = c.get("/console/dashboard?from=2026-02-30")
    assert r.status_code == 400
    assert "「2026-02-30」不是日期" in r.text
    r = c.get("/console/report?month=2026-14")
    assert r.status_code == 400 and "「2026-14」不是月份" in r.text
    page = c.get(f"/console/dashboard?{RANGE}").text
    assert "儀表華埠" in page and "言語或文字騷擾" in page


def test_without_a_session_the_pages_lead_to_sign_in(live):
    c = Console(live.server.base)
    for path in ("/console/dashboard", "/console/report?month=2026-10"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith(
            "/console/sign-in?next=/console/"), path


@pytest.mark.parametrize("role", ["volunteer", "ambassador"])
def test_a_volunteers_or_ambassadors_session_is_refused(live, role):
    c = member_console(live, role, f"dash.{role}")
    for path in ("/console/dashboard", "/console/report"):
        assert c.get(path).status_code == 403, path
