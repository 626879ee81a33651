"""Follow-ups and referrals in the console, on a real server with phones sending
incidents, on each backend: the board of cases (who is on it, its orders and filter,
overdue cases), a case's page (survivor details, each view written to the audit log),
moving a follow-up on without losing another coordinator's change, referring to a
partner and recording what came of it; who is turned away; and that no volunteer's or
ambassador's phone ever receives a follow-up or a referral."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server_records import incident, partner
from stroll.domain import new_id
from test_console_access import Console, csrf_of, member_console, problems_of

PROGRAM_TZ = ZoneInfo("America/Los_Angeles")


def audit_rows(live, action: str, after: int) -> list[tuple]:
    return [row for row in live.storage.audit(after, 10_000) if row[4] == action]


def last_audit_id(live) -> int:
    rows = live.storage.audit(0, 100_000)
    return rows[-1][0] if rows else 0


def board_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="case-([0-9a-f-]+)"', html)


@pytest.fixture(scope="module")
def coordinator(live):
    return member_console(live, "coordinator", "case.worker", "Lily Wong")


@pytest.fixture(scope="module")
def second(live):
    return member_console(live, "coordinator", "case.second", "Thanh Nguyen")


@pytest.fixture(scope="module")
def phone(live):
    """An ambassador's phone, enrolled with an invite, that sends incidents."""
    return live.enroll("ambassador", name="ambassador phone")


def send_incident(live, phone, days_ago: float = 1, **over) -> dict:
    at = (datetime.now(PROGRAM_TZ) - timedelta(days=days_ago)).isoformat(timespec="seconds")
    fields = {"contact_language": "yue", "contact_safe_times": "weekdays after 6 pm",
              "referral_needs": ["legal", "housing"],
              "harm_types": ["discrimination_housing"], **over}
    rec = incident(occurred_at=at, reported_at=at, reported_by=phone.member_id, **fields)
    out = live.send(phone, ("incident", "upsert", rec))
    assert out["results"][0]["status"] == "applied", out
    return rec


@pytest.fixture(scope="module")
def case(live, phone):
    return send_incident(live, phone, survivor_name="Mrs. Chan",
                         narrative="The landlord shouted at her in the hallway.")


@pytest.fixture(scope="module")
def partners(live):
    """The directory: a Cantonese tenants' clinic, an English-only law office and a
    bakery that takes no referral asked for."""
    admin = live.enroll("coordinator", name="directory")
    made = {"clinic": partner(name="Chinatown tenants' clinic", languages=["yue", "en"],
                              referral_needs=["housing", "legal"],
                              harm_types=["discrimination_housing"]),
            "law": partner(name="Bay law office", languages=["en"], referral_needs=["legal"]),
            "bakery": partner(name="Friendly bakery", languages=["yue"], referral_needs=[],
                              harm_types=[])}
    live.send(admin, *[("partner", "upsert", p) for p in made.values()])
    return made


# ---- who may open it ---------------------------------------------------------------------


def test_a_coordinator_sees_a_case_a_phone_sent_and_not_an_incident_without_consent(
        live, coordinator, phone, case):
    quiet = send_incident(live, phone, consent_contact=False, contact_channel=None,
                          contact_value="", contact_language=None, contact_safe_times="")
    page = coordinator.get("/console/follow-ups")
    assert page.status_code == 200
    ids = board_ids(page.text)
    assert case["id"] in ids and quiet["id"] not in ids
    row = page.text.split(f'id="case-{case["id"]}"')[1].split("</tr>")[0]
    assert "Cantonese" in row and "weekdays after 6 pm" in row and "New" in row
    assert "Housing discrimination or eviction" in row
    assert coordinator.get(f"/console/follow-ups/{quiet['id']}").status_code == 404


def test_without_a_session_the_board_and_a_case_lead_to_sign_in(live, case):
    c = Console(live.server.base)
    for path in ("/console/follow-ups", f"/console/follow-ups/{case['id']}"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith(
            "/console/sign-in?next="), path
    r = c.post(f"/console/follow-ups/{case['id']}", {"status": "closed"}, csrf=False)
    assert r.status_code == 303 and "/console/sign-in" in r.headers["location"]


@pytest.mark.parametrize("role", ["volunteer", "ambassador"])
def test_a_volunteers_or_ambassadors_session_is_refused_the_board_and_every_case(
        live, case, role):
    c = member_console(live, role, f"no.cases.{role}")
    before = last_audit_id(live)
    for path in ("/console/follow-ups", f"/console/follow-ups/{case['id']}",
                 "/console/follow-ups?order=oldest_waiting"):
        r = c.get(path)
        assert r.status_code == 403, path
        assert "The console is for coordinators" in r.text
        assert "Mrs. Chan" not in r.text and "415-555-0100" not in r.text
    for path, form in ((f"/console/follow-ups/{case['id']}", {"status": "closed"}),
                       (f"/console/follow-ups/{case['id']}/refer", {"partner_id": new_id()})):
        # the form token of the member's own session (the 403 page carries it)
        r = c.post(path, {**form, "csrf": csrf_of(c.get("/console").text)})
        assert r.status_code == 403, path
    assert not audit_rows(live, "view_survivor_details", before)
    assert live.storage.live_record("follow_up", case["id"]) is None


def test_hostile_ids_and_filters_get_a_page_that_says_so(live, coordinator):
    for path in ("/console/follow-ups/not-an-id", "/console/follow-ups/" + "f" * 36,
                 f"/console/follow-ups/{new_id()}", "/console/follow-ups/..%2F..%2Fetc",
                 f"/console/follow-ups/{new_id()}/refer"):
        r = coordinator.get(path)
        assert r.status_code in (404, 405), path
        assert "Traceback" not in r.text
    r = coordinator.get("/console/follow-ups/" + "0" * 36)
    assert r.status_code == 404 and "Not found" in r.text
    for query in ("order=random", "status=lost", "status=%00"):
        r = coordinator.get(f"/console/follow-ups?{query}")
        assert r.status_code == 400, query
        assert "That order or status is not one the board knows." in r.text
    r = coordinator.post(f"/console/follow-ups/{new_id()}", {"status": "closed"})
    assert r.status_code == 404


# ---- the audit log --------------------------------------------------------------------------


def test_each_view_of_a_survivors_details_is_written_to_the_audit_log(live, coordinator,
                                                                       case):
    before = last_audit_id(live)
    for _ in range(2):
        page = coordinator.get(f"/console/follow-ups/{case['id']}")
        assert page.status_code == 200
        assert "Mrs. Chan" in page.text and "415-555-0100" in page.text
        assert "The landlord shouted at her in the hallway." in page.text
    rows = audit_rows(live, "view_survivor_details", before)
    assert [(r[2], r[5]) for r in rows] == [(coordinator.member["id"],
                                             f"incident:{case['id']}")] * 2
    coordinator.get("/console/follow-ups")
    [board_row] = audit_rows(live, "view_follow_ups", before)
    assert board_row[2] == coordinator.member["id"] and f"incident:{case['id']}" in board_row[5]


# ---- moving a case on -----------------------------------------------------------------------


def form_of(console: Console, incident_id: str) -> dict:
    """The follow-up form as the page shows it: each field and what it showed."""
    html = console.get(f"/console/follow-ups/{incident_id}").text
    form = html.split('id="form-follow-up"')[1].split("</form>")[0]
    values = dict(re.findall(r'name="(was\.[a-z_]+)" value="([^"]*)"', form))
    values["csrf"] = csrf_of(html)
    for name in ("status", "assignee_id", "next_action_date", "outcome", "notes"):
        values[name] = values[f"was.{name}"]
    return values


def test_two_coordinators_changing_different_fields_of_a_case_keep_both(
        live, coordinator, second, phone):
    rec = send_incident(live, phone)
    mine, theirs = form_of(coordinator, rec["id"]), form_of(second, rec["id"])
    mine.update(status="contacted", notes="Called in Cantonese; call back Friday.")
    theirs.update(assignee_id=second.member["id"], next_action_date="2026-12-20")
    assert coordinator.post(f"/console/follow-ups/{rec['id']}", mine).status_code == 303
    assert second.post(f"/console/follow-ups/{rec['id']}", theirs).status_code == 303
    saved = live.storage.live_record("follow_up", rec["id"])  # the case's id
    assert saved["incident_id"] == rec["id"]
    assert (saved["status"], saved["notes"], saved["assignee_id"]) == \
        ("contacted", "Called in Cantonese; call back Friday.", second.member["id"])
    assert datetime.fromisoformat(saved["next_action_date"]).astimezone(PROGRAM_TZ) \
        .date().isoformat() == "2026-12-20"


def test_a_bad_date_or_an_unknown_status_is_said_beside_its_field_and_nothing_written(
        live, coordinator, phone):
    rec = send_incident(live, phone)
    form = form_of(coordinator, rec["id"])
    r = coordinator.post(f"/console/follow-ups/{rec['id']}",
                         {**form, "next_action_date": "2026-13-45", "status": "lost",
                          "notes": "kept as typed"})
    assert r.status_code == 422
    assert problems_of(r.text) == ["Choose one of the list.", "Not a date."]
    assert "kept as typed" in r.text
    assert live.storage.live_record("follow_up", rec["id"]) is None


def test_an_overdue_case_stands_out_with_a_word_and_is_listed_alone_when_asked(
        live, coordinator, phone):
    late, fresh = send_incident(live, phone, days_ago=3), send_incident(live, phone, 0.1)
    form = form_of(coordinator, late["id"])
    yesterday = (datetime.now(PROGRAM_TZ) - timedelta(days=1)).date().isoformat()
    r = coordinator.post(f"/console/follow-ups/{late['id']}",
                         {**form, "next_action_date": yesterday})
    assert r.status_code == 303
    page = coordinator.get("/console/follow-ups").text
    assert 'id="show-overdue"' in page
    page = coordinator.get("/console/follow-ups?status=overdue").text
    assert board_ids(page) == [late["id"]]
    page = coordinator.get("/console/follow-ups?order=newest").text
    assert board_ids(page).index(fresh["id"]) < board_ids(page).index(late["id"])
    assert re.search(rf'<tr id="case-{late["id"]}" class="fu-row overdue">', page)
    row = page.split(f'id="case-{late["id"]}"')[1].split("</tr>")[0]
    assert '<strong class="overdue-word">Overdue</strong>' in row
    closed = {**form_of(coordinator, late["id"]), "status": "closed"}
    assert coordinator.post(f"/console/follow-ups/{late['id']}", closed).status_code == 303
    assert late["id"] not in board_ids(coordinator.get("/console/follow-ups").text)  # open only
    page = coordinator.get("/console/follow-ups?status=all").text
    assert f'<tr id="case-{late["id"]}" class="fu-row closed">' in page  # done: not overdue


def test_the_board_is_newest_first_or_longest_waiting_first_and_filters_by_status(
        live, coordinator, phone):
    old, new = send_incident(live, phone, days_ago=9), send_incident(live, phone, 0.2)
    newest = board_ids(coordinator.get("/console/follow-ups?order=newest").text)
    oldest = board_ids(coordinator.get("/console/follow-ups?order=oldest_waiting").text)
    assert newest.index(new["id"]) < newest.index(old["id"])
    assert oldest.index(old["id"]) < oldest.index(new["id"])
    form = form_of(coordinator, old["id"])
    coordinator.post(f"/console/follow-ups/{old['id']}", {**form, "status": "unreachable"})
    only = board_ids(coordinator.get("/console/follow-ups?status=unreachable").text)
    assert old["id"] in only and new["id"] not in only
    page = coordinator.get("/console/follow-ups?status=unreachable").text
    assert "Could not reach" in page


# ---- referrals --------------------------------------------------------------------------------


def test_a_case_is_offered_the_partners_that_fit_and_a_referral_marks_it_referred(
        live, coordinator, phone, partners):
    rec = send_incident(live, phone)
    html = coordinator.get(f"/console/follow-ups/{rec['id']}").text
    offered = re.findall(r'<li id="match-([0-9a-f-]+)">', html)
    assert offered == [partners["clinic"]["id"], partners["law"]["id"]]  # not the bakery
    assert "Speaks Cantonese" in html.split(f'id="match-{partners["clinic"]["id"]}"')[1] \
        .split("</li>")[0]
    r = coordinator.post(f"/console/follow-ups/{rec['id']}/refer", {
        "csrf": csrf_of(html), "partner_id": partners["clinic"]["id"], "need": "housing",
        "referred_on": datetime.now(PROGRAM_TZ).date().isoformat()})
    assert r.status_code == 303, problems_of(r.text)
    [made] = live.storage.records_where("referral", "incident_id", rec["id"])
    assert (made["partner_id"], made["need"], made["outcome"], made["referred_by"]) == \
        (partners["clinic"]["id"], "housing", "pending", coordinator.member["id"])
    assert live.storage.live_record("follow_up", rec["id"])["status"] == "referred"
    html = coordinator.get(f"/console/follow-ups/{rec['id']}").text
    assert 'id="case-status">Referred<' in html
    # the housing need is served: the law office, which takes only legal help, now
    # leads with the legal need still open
    r = coordinator.post(f"/console/follow-ups/{rec['id']}/outcome", {
        "csrf": csrf_of(html), "referral_id": made["id"], "outcome": "accepted",
        "was.outcome": "pending", "outcome_note": "Intake on Monday with a Cantonese lawyer",
        "was.outcome_note": ""})
    assert r.status_code == 303
    done = live.storage.live_record("referral", made["id"])
    assert (done["outcome"], done["outcome_note"]) == \
        ("accepted", "Intake on Monday with a Cantonese lawyer")


def test_two_referrals_made_at_the_same_moment_are_both_kept(live, coordinator, second,
                                                             phone, partners):
    rec = send_incident(live, phone)
    forms = []
    for who, p in ((coordinator, "clinic"), (second, "law")):
        html = who.get(f"/console/follow-ups/{rec['id']}").text
        forms.append((who, {"csrf": csrf_of(html), "partner_id": partners[p]["id"],
                            "need": "legal", "referred_on": "2026-11-30"}))
    answers: list[int] = []
    threads = [threading.Thread(target=lambda w=w, f=f: answers.append(
        w.post(f"/console/follow-ups/{rec['id']}/refer", f).status_code)) for w, f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [303, 303]
    made = live.storage.records_where("referral", "incident_id", rec["id"])
    assert {r["partner_id"] for r in made} == {partners["clinic"]["id"], partners["law"]["id"]}


def test_a_referral_to_no_partner_or_another_cases_referral_is_refused(live, coordinator,
                                                                        phone, partners):
    rec, other = send_incident(live, phone), send_incident(live, phone)
    html = coordinator.get(f"/console/follow-ups/{rec['id']}").text
    r = coordinator.post(f"/console/follow-ups/{rec['id']}/refer", {
        "csrf": csrf_of(html), "partner_id": new_id(), "need": "magic",
        "referred_on": "yesterday"})
    assert r.status_code == 422
    assert problems_of(r.text) == ["Choose a partner service.", "Choose one of the list.",
                                   "Not a date."]
    assert not live.storage.records_where("referral", "incident_id", rec["id"])
    coordinator.post(f"/console/follow-ups/{other['id']}/refer", {
        "csrf": csrf_of(html), "partner_id": partners["law"]["id"], "need": "legal",
        "referred_on": "2026-11-30"})
    [theirs] = live.storage.records_where("referral", "incident_id", other["id"])
    r = coordinator.post(f"/console/follow-ups/{rec['id']}/outcome", {
        "csrf": csrf_of(html), "referral_id": theirs["id"], "outcome": "declined"})
    assert r.status_code == 404
    assert live.storage.live_record("referral", theirs["id"])["outcome"] == "pending"


# ---- what phones receive ----------------------------------------------------------------------


def test_no_volunteers_or_ambassadors_pull_carries_a_follow_up_or_a_referral(
        live, coordinator, phone, partners):
    rec = send_incident(live, phone)
    html = coordinator.get(f"/console/follow-ups/{rec['id']}").text
    coordinator.post(f"/console/follow-ups/{rec['id']}/refer", {
        "csrf": csrf_of(html), "partner_id": partners["clinic"]["id"], "need": "housing",
        "referred_on": "2026-11-30"})
    for role in ("volunteer", "ambassador"):
        reader = live.enroll(role, name=f"{role} reader")
        types = {c["type"] for c in live.pull_all(reader)}
        assert not types & {"follow_up", "referral"}, (role, types)
    assert {c["type"] for c in live.pull_all(phone)} & {"follow_up", "referral"} == set()
    office = live.enroll("coordinator", name="coordinator phone")
    before = last_audit_id(live)
    held = {(c["type"], c["id"]) for c in live.pull_all(office)}
    assert ("follow_up", rec["id"]) in held
    assert any(t == "referral" for t, _ in held)
    assert audit_rows(live, "pull", before)          # survivor details: audited
