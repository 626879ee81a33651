"""The console's doors, tried against a real stroll-server process on each backend: who
gets in (an invite, then a sign-in name and password), who is turned away (no session,
a volunteer, a form without its CSRF token, a revoked member, an expired session, too
many wrong passwords), what hostile input gets (another site as ``next``, ids that name
nothing, an oversized form), and that what a coordinator saves reaches a phone's pull.
"""
from __future__ import annotations

import re
from html import unescape
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import ROOT, ServerProcess, _Database, make_invite, server_env
from sync.server import members
from sync.server.console import accounts

PASSWORD = "a long enough password"
PROGRAM = {"neighborhoods", "routes", "merchants", "members", "shifts"}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def problems_of(html: str) -> list[str]:
    """The problems a page says beside its fields, as a person reads them."""
    return [unescape(p) for p in re.findall(r'class="problem"[^>]*>([^<]+)<', html)]


class Console:
    """A browser of the console: a requests session (cookies) on the live server."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=30, **kw)

    def post(self, path: str, data: dict, csrf: bool = True, **kw) -> requests.Response:
        if csrf and "csrf" not in data:
            page = self.get("/console" if self.signed_in else "/console/sign-in")
            data = {**data, "csrf": csrf_of(page.text)}
        return self.http.post(self.base + path, data=data, allow_redirects=False,
                              timeout=30, **kw)

    @property
    def signed_in(self) -> bool:
        return accounts.SESSION_COOKIE in self.http.cookies

    def redeem(self, code: str, login: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/console/redeem")
        return self.post("/console/redeem", {"csrf": csrf_of(page.text), "code": code,
                                             "login": login, "password": password,
                                             "password_again": password})

    def sign_in(self, login: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/console/sign-in")
        return self.post("/console/sign-in", {"csrf": csrf_of(page.text), "login": login,
                                              "password": password})


def member_console(live, role: str, login: str, name: str = "Test member") -> Console:
    member, code = make_invite(live.storage, role, name=name)
    c = Console(live.server.base)
    r = c.redeem(code, login)
    assert r.status_code == 303 and r.headers["location"] == "/console", r.text
    c.member = member
    return c


@pytest.fixture(scope="module")
def admin(live):
    return member_console(live, "admin", "mei.admin", "Mei Chan")


def test_without_a_session_every_program_page_leads_to_sign_in_and_back(live):
    c = Console(live.server.base)
    for path in ["/console", *(f"/console/{k}" for k in PROGRAM), "/console/shifts/new",
                 "/console/tiles/16/10484/25327.png"]:
        r = c.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"] == f"/console/sign-in?next={path}"
    assert c.get("/console/sign-in").status_code == 200
    assert c.get("/console/redeem").status_code == 200
    assert c.get("/console/static/console.css").status_code == 200


def test_an_invite_becomes_a_sign_in_name_and_password_and_a_safe_cookie(live):
    member, code = make_invite(live.storage, "coordinator", name="Lan Tran")
    c = Console(live.server.base)
    r = c.redeem(code, "Lan.Tran")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert c.get("/console").status_code == 200
    account = live.storage.console_account(login="lan.tran")   # names are kept folded
    assert account.member_id == member["id"]
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in \
        account.password_hash
    # the invite was used: a second try with it is refused, naming the code
    again = Console(live.server.base).redeem(code, "lan.other")
    assert again.status_code == 403
    assert problems_of(again.text) == [
        "This invite code is unknown, used or expired: ask a coordinator for a new one."]
    # signing out ends the session on the server, not only the cookie
    token = c.http.cookies[accounts.SESSION_COOKIE]
    assert c.post("/console/sign-out", {}).status_code == 303
    c.http.cookies.set(accounts.SESSION_COOKIE, token, path="/console")
    assert c.get("/console").status_code == 303
    # and signing in again with the name and password opens the console
    back = Console(live.server.base)
    r = back.sign_in("LAN.TRAN", PASSWORD)
    assert r.status_code == 303 and back.get("/console").status_code == 200


def test_a_weak_password_a_mismatch_and_a_taken_name_are_said_beside_their_fields(live,
                                                                                   admin):
    _member, code = make_invite(live.storage, "coordinator")
    c = Console(live.server.base)
    page = c.get("/console/redeem")
    r = c.post("/console/redeem", {"csrf": csrf_of(page.text), "code": code,
                                   "login": "x", "password": "short",
                                   "password_again": "short"})
    assert r.status_code == 422
    assert problems_of(r.text) == ["A sign-in name has 3 to 40 characters.",
                                   "A password has at least 10 characters."]
    r = c.post("/console/redeem", {"csrf": csrf_of(page.text), "code": code,
                                   "login": "mei.admin", "password": PASSWORD,
                                   "password_again": PASSWORD})
    assert r.status_code == 409
    assert problems_of(r.text) == ["Another member signs in with this name: choose another."]
    # nothing was taken: the same invite still works with a free name
    assert c.redeem(code, "fresh.name").status_code == 303


def test_a_volunteers_session_opens_no_program_page(live):
    c = member_console(live, "volunteer", "vol.one")
    for path in ["/console", "/console/members", "/console/shifts/new",
                 "/console/tiles/16/10484/25327.png"]:
        r = c.get(path)
        assert r.status_code == 403, path
        assert "The console is for coordinators. You are signed in as: Volunteer." in r.text
    r = c.post("/console/neighborhoods/new", {"name": "Sneaky", "bbox.south": "1",
                                              "bbox.west": "1", "bbox.north": "2",
                                              "bbox.east": "2"})
    assert r.status_code == 403
    assert not [h for h in live.storage.records_of_type("neighborhood")
                if h["name"] == "Sneaky"]
    assert c.post("/console/sign-out", {}).status_code == 303       # but may sign out


def test_a_form_without_its_csrf_token_or_with_another_sessions_is_refused(live, admin):
    other = member_console(live, "coordinator", "coord.csrf")
    fields = {"name": "Forged", "bbox.south": "37.1", "bbox.west": "-122.5",
              "bbox.north": "37.2", "bbox.east": "-122.4"}
    assert admin.post("/console/neighborhoods/new", fields, csrf=False).status_code == 403
    theirs = csrf_of(other.get("/console").text)
    r = admin.post("/console/neighborhoods/new", {**fields, "csrf": theirs})
    assert r.status_code == 403
    assert "This form is out of date" in r.text
    assert not [h for h in live.storage.records_of_type("neighborhood")
                if h["name"] == "Forged"]


def test_what_a_coordinator_saves_reaches_a_phones_next_pull(live, admin):
    r = admin.post("/console/neighborhoods/new", {
        "name": "Eastlake", "names.vi": "Sài Gòn Nhỏ", "city": "Oakland",
        "bbox.south": "37.788", "bbox.west": "-122.252", "bbox.north": "37.800",
        "bbox.east": "-122.240"})
    assert r.status_code == 303 and r.headers["location"] == "/console/neighborhoods?saved=1"
    hood = next(h for h in live.storage.records_of_type("neighborhood")
                if h["name"] == "Eastlake")
    assert hood["names"] == {"vi": "Sài Gòn Nhỏ"}
    assert hood["center_lat"] == pytest.approx(37.794)
    phone = live.enroll("volunteer")
    pulled = {(c["type"], c["id"]): c["data"] for c in live.pull_all(phone)}
    assert pulled[("neighborhood", hood["id"])]["name"] == "Eastlake"


def test_a_weekly_shift_is_one_record_a_week_at_the_same_local_time(live, admin):
    hood = next(iter(live.storage.records_of_type("neighborhood")), None) or _hood(live,
                                                                                   admin)
    r = admin.post("/console/shifts/new", {
        "title": "Evening stroll", "neighborhood_id": hood["id"], "day": "2026-10-26",
        "start": "18:00", "end": "19:30", "capacity": "5", "needs_lead": "on",
        "weeks": "3"})
    assert r.status_code == 303
    assert r.headers["location"] == "/console/shifts?saved=3&week=2026-10-26"
    made = sorted(s["starts_at"] for s in live.storage.records_of_type("shift")
                  if s["title"] == "Evening stroll")
    # daylight saving ends on 1 November: 18:00 stays 18:00, the offset moves
    assert made == ["2026-10-26T18:00-07:00", "2026-11-02T18:00-08:00",
                    "2026-11-09T18:00-08:00"]


def test_a_bad_form_names_each_field_and_writes_nothing(live, admin):
    before = len(live.storage.records_of_type("merchant"))
    r = admin.post("/console/merchants/new", {"name": "", "lat": "north-ish",
                                              "lon": "-200", "neighborhood_id": "nope"})
    assert r.status_code == 422
    assert problems_of(r.text) == ["Fill this in.", "Choose one of the list.",
                                   "“north-ish” is not a number.",
                                   "Must be between -180 and 180."]
    assert 'value="north-ish"' in r.text                          # what was typed stays
    assert len(live.storage.records_of_type("merchant")) == before


def test_only_an_admin_may_make_a_coordinator(live, admin):
    coord = member_console(live, "coordinator", "coord.maker")
    r = coord.post("/console/members/new", {"name": "Would-be boss", "role": "coordinator"})
    assert r.status_code == 403
    assert "Only an admin may invite" in r.text
    r = admin.post("/console/members/new", {"name": "New boss", "role": "coordinator",
                                            "languages": ["yue", "en"]})
    assert r.status_code == 201
    code = re.search(r'id="invite-code">([^<]+)<', r.text).group(1)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert "<svg" in r.text                                        # the QR code


def test_revoking_a_member_ends_their_console_session(live, admin):
    c = member_console(live, "coordinator", "coord.revoked")
    assert c.get("/console").status_code == 200
    r = admin.post(f"/console/members/{c.member['id']}/revoke", {})
    assert r.status_code == 200 and "Signed out of 0 phones and the console." in r.text
    assert c.get("/console").status_code == 303


def test_an_expired_session_signs_in_again(live):
    member, code = make_invite(live.storage, "coordinator")
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    token = "expired-session-token"
    live.storage.redeem_invite_for_console(
        code_hash=members.hash_secret(code.replace("-", "")), now=members.iso(past),
        login="coord.expired", password_hash=accounts.hash_password(PASSWORD), lang="en")
    live.storage.create_console_session(
        token_hash=members.hash_secret(token), member_id=member["id"], csrf="x",
        created_at=members.iso(past - timedelta(hours=13)), expires_at=members.iso(past))
    c = Console(live.server.base)
    c.http.cookies.set(accounts.SESSION_COOKIE, token, path="/console")
    assert c.get("/console").status_code == 303


def test_next_never_leads_off_the_console_and_hostile_ids_find_nothing(live, admin):
    c = Console(live.server.base)
    page = c.get("/console/sign-in")
    r = c.post("/console/sign-in", {"csrf": csrf_of(page.text), "login": "mei.admin",
                                    "password": PASSWORD,
                                    "next": "https://elsewhere.example/steal"})
    assert r.status_code == 303 and r.headers["location"] == "/console"
    for path in ["/console/members/not-an-id", "/console/members/" + "f" * 36,
                 "/console/shifts/00000000-0000-7000-8000-000000000000",
                 "/console/ledgers", "/console/ledgers/new"]:
        r = admin.get(path)
        assert r.status_code == 404, path
        assert "Traceback" not in r.text
    huge = {"name": "x" * (3 * 1024 * 1024)}
    r = admin.post("/console/neighborhoods/new", huge)
    assert r.status_code in (400, 413) and "Traceback" not in r.text


def test_too_many_wrong_passwords_from_one_address_wait(tmp_path):
    db = _Database("sqlite", tmp_path)
    server = ServerProcess(db.url, tmp_path / "server.log",
                           env={"SYNC_CONSOLE_SIGN_IN_FAILURES": "3"}).wait_ready()
    try:
        c = Console(server.base)
        codes = [c.sign_in("nobody.here", "wrong password!").status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        r = c.sign_in("nobody.here", "wrong password!")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Too many tries. Wait 15 minutes and try again." in r.text
    finally:
        server.stop()


def _hood(live, admin) -> dict:
    admin.post("/console/neighborhoods/new", {"name": "Spare", "bbox.south": "37.1",
                                              "bbox.west": "-122.5", "bbox.north": "37.2",
                                              "bbox.east": "-122.4"})
    return next(h for h in live.storage.records_of_type("neighborhood")
                if h["name"] == "Spare")


def test_seed_demo_loads_the_program_once_and_its_coordinator_signs_in(tmp_path):
    import subprocess
    import sys

    db = _Database("sqlite", tmp_path)
    seed = [sys.executable, "-m", "sync.server.cli", "seed-demo", "--database-url", db.url,
            "--console-password", PASSWORD]
    first = subprocess.run(seed, capture_output=True, text=True, env=server_env(), cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert "3 neighborhood, 8 route, 30 merchant, 12 member" in first.stdout
    again = subprocess.run(seed[:-2], capture_output=True, text=True, env=server_env(),
                           cwd=ROOT)
    assert "demo not seeded again" in again.stdout
    server = ServerProcess(db.url, tmp_path / "server.log").wait_ready()
    try:
        c = Console(server.base)
        assert c.sign_in("xiaoyan").status_code == 303
        merchants = c.get("/console/merchants").text
        assert merchants.count('<tr id="row-') == 30
        import json
        demo = json.loads((ROOT / "assets" / "demo" / "merchants.json").read_text("utf-8"))
        assert all(m["name"].replace("&", "&amp;").replace("'", "&#39;") in merchants
                   for m in demo)
        # four weeks of past patrols: the maps and coverage have strolls and gaps to show
        # (first in the coordinator's own neighborhood: the program's are cities apart)
        walked = c.get("/console/map").text
        assert walked.count('<a href="/console/strolls/') > 20
        assert walked.count("<td>SF Chinatown</td>") == walked.count('<a href="/console/strolls/')
        everywhere = c.get("/console/map?neighborhood=").text
        assert everywhere.count('<a href="/console/strolls/') > 40
        assert "<td>Oakland Chinatown</td>" in everywhere
        coverage = c.get("/console/coverage").text
        assert "Never after 6 pm" in coverage and "Not walked in 14 days" in coverage
    finally:
        server.stop()


def test_a_partner_service_set_up_in_the_console_reaches_every_phone(live, admin):
    r = admin.post("/console/partners/new", {
        "name": "Chinatown tenants' clinic", "names.zh-Hant": "華埠租客診所",
        "services": "Eviction defense, repairs", "languages": ["yue", "cmn", "en"],
        "phone": "+1 415 555 0142", "referral_needs": ["housing", "legal"],
        "harm_types": ["discrimination_housing"]})
    assert r.status_code == 303, problems_of(r.text)
    partner = next(p for p in live.storage.records_of_type("partner")
                   if p["name"] == "Chinatown tenants' clinic")
    assert partner["referral_needs"] == ["housing", "legal"]
    page = admin.get("/console/partners").text
    assert "Chinatown tenants&#39; clinic" in page and "Eviction defense" in page
    bad = admin.post("/console/partners/new", {"name": "X", "referral_needs": ["magic"]})
    assert bad.status_code == 422 and problems_of(bad.text) == ["Choose one of the list."]
    phone = live.enroll("volunteer")
    pulled = {(c["type"], c["id"]) for c in live.pull_all(phone)}
    assert ("partner", partner["id"]) in pulled


def test_after_a_wrong_password_signing_in_still_goes_where_the_person_was_going(live,
                                                                                 admin):
    c = Console(live.server.base)
    first = c.get("/console/sign-in?next=/console/shifts")
    wrong = c.post("/console/sign-in", {"csrf": csrf_of(first.text), "login": "mei.admin",
                                        "password": "not the password", "next": "/console/shifts"})
    assert wrong.status_code == 401
    assert 'name="next" value="/console/shifts"' in wrong.text
    right = c.post("/console/sign-in", {"csrf": csrf_of(wrong.text), "login": "mei.admin",
                                        "password": PASSWORD, "next": "/console/shifts"})
    assert right.headers["location"] == "/console/shifts"


def test_the_language_menu_on_a_new_invite_returns_to_the_members_page(live, admin):
    r = admin.post("/console/members/new", {"name": "Linh Tran", "role": "volunteer"})
    member_id = re.search(r'action="/console/members/([0-9a-f-]{36})/invite"', r.text).group(1)
    invite = admin.post(f"/console/members/{member_id}/invite", {})
    assert invite.status_code == 201
    assert f'name="next" value="/console/members/{member_id}"' in invite.text
    assert 'viewBox="' in invite.text                               # the QR scales
    switched = admin.post("/console/language", {"lang": "vi",
                                                "next": f"/console/members/{member_id}"})
    assert switched.headers["location"] == f"/console/members/{member_id}"
    assert "Thành viên" in admin.get(switched.headers["location"]).text
    admin.post("/console/language", {"lang": "en", "next": "/console"})


def test_a_coordinator_gets_the_basemap_tiles_of_the_demo_neighborhoods(live, admin):
    import math
    lat, lon, z = 37.7946, -122.4068, 16                          # SF Chinatown
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    tile = admin.get(f"/console/tiles/{z}/{x}/{y}.png")
    assert tile.status_code == 200 and tile.content.startswith(b"\x89PNG")
    assert admin.get(f"/console/tiles/{z}/{x}/{y + 4000}.png").status_code == 404  # the sea
    assert admin.get("/console/tiles/99/1/1.png").status_code == 404
