"""Who may do what, against a real ``stroll-server`` process on both backends: every
endpoint for every role (and no token, an expired and a revoked one), every record
type x role x write for each role, what each role's pull holds, and each attack an
outsider made before the rules existed, now refused (docs/SYNC.md, Who may write and
read what)."""
from __future__ import annotations

import json

import pytest
import requests

from conftest import APP_VERSION, DeviceAuth, entry, make_invite
from server_records import (T0, check_in, follow_up, incident, member, merchant, neighborhood,
                            partner, referral, route, shift, signup, stroll, track_chunk)
from stroll.domain import RECORD_TYPES, new_id
from stroll.domain.disclosure import COARSE_INCIDENT_FIELDS
from sync import protocol as p
from sync.server.rules import RANK, ROLES, WRITE, reads

SENSITIVE = {t: set(c.sensitive_fields()) for t, c in RECORD_TYPES.items()}


def ok(result: dict) -> str:
    """``applied``, ``duplicate`` or the error code of a rejected entry."""
    return result["error"]["code"] if result["status"] == "rejected" else result["status"]


def may(role: str, need: str) -> bool:
    return need in RANK and RANK[role] >= RANK[need]  # "server": no device may


# ---- endpoints ----------------------------------------------------------------------------


def call(live, method: str, path: str, dev: DeviceAuth | None, body=None):
    headers = dev.headers() if dev else p.request_headers(APP_VERSION)
    return requests.request(method, live.base + path, json=body, headers=headers, timeout=10)


def endpoint_requests(live, dev: DeviceAuth | None):
    """Each guarded endpoint's request, as ``(endpoint, method, path, body)``."""
    target, _ = make_invite(live.storage, "volunteer", name="Target")
    other = live.enroll("volunteer", name="someone else's phone")
    device_id = dev.device_id if dev else "nobody"
    return [
        ("POST /v1/sync/push", "POST", "/v1/sync/push",
         {"protocol": 1, "device_id": device_id, "entries": []}),
        ("GET /v1/sync/pull", "GET", "/v1/sync/pull", None),
        ("GET /v1/devices", "GET", "/v1/devices", None),
        ("DELETE /v1/devices/{device_id}", "DELETE", f"/v1/devices/{other.device_id}", None),
        ("POST /v1/members", "POST", "/v1/members", {"name": "Ana", "role": "volunteer"}),
        ("POST /v1/members/{member_id}/invites", "POST",
         f"/v1/members/{target['id']}/invites", None),
        ("POST /v1/members/{member_id}/revoke", "POST",
         f"/v1/members/{target['id']}/revoke", None),
        ("GET /v1/audit", "GET", "/v1/audit", None),
        ("POST /v1/calendar", "POST", "/v1/calendar", None),
        ("DELETE /v1/calendar", "DELETE", "/v1/calendar", None),
        ("DELETE /v1/devices/me", "DELETE", "/v1/devices/me", None),  # last: signs out
    ]


EXPECTED_NEED = {  # the least role of each endpoint, as docs/SYNC.md says it
    "POST /v1/sync/push": "volunteer", "GET /v1/sync/pull": "volunteer",
    "DELETE /v1/devices/me": "volunteer", "GET /v1/devices": "coordinator",
    "DELETE /v1/devices/{device_id}": "coordinator", "POST /v1/members": "coordinator",
    "POST /v1/members/{member_id}/invites": "coordinator",
    "POST /v1/members/{member_id}/revoke": "coordinator", "GET /v1/audit": "coordinator",
    "POST /v1/calendar": "volunteer", "DELETE /v1/calendar": "volunteer"}


@pytest.mark.parametrize("role", ROLES)
def test_each_endpoint_answers_each_role_as_documented(live, role):
    dev = live.enroll(role)
    for endpoint, method, path, body in endpoint_requests(live, dev):
        r = call(live, method, path, dev, body)
        if may(role, EXPECTED_NEED[endpoint]):
            assert r.status_code in (200, 201, 204), (endpoint, r.status_code, r.text)
        else:
            assert r.status_code == 403, (endpoint, r.text)
            assert r.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("who", ["no token", "wrong token", "expired", "revoked",
                                 "member deleted"])
def test_each_endpoint_refuses_a_device_that_is_not_signed_in(live, who):
    dev = live.enroll("admin")
    expected = {"no token": "auth_required", "wrong token": "auth_required",
                "expired": "token_expired", "revoked": "device_revoked",
                "member deleted": "device_revoked"}[who]
    if who == "no token":
        dev.token = ""
    elif who == "wrong token":
        dev.token = "x" * 43
    elif who == "expired":
        live.storage.extend_device(dev.device_id, "2026-01-01T00:00:00+00:00")
    elif who == "revoked":
        live.storage.revoke_device(dev.device_id, "2026-11-30T00:00:00+00:00")
    else:  # the member record is deleted: the role it gave is gone
        coordinator = live.enroll("admin")
        assert ok(live.send(coordinator, ("member", "delete", None, dev.member_id))[
            "results"][0]) == "applied"
    for endpoint, method, path, body in endpoint_requests(live, dev):
        r = call(live, method, path, dev if dev.token else None, body)
        assert r.status_code == 401, (endpoint, r.text)
        assert r.json()["error"]["code"] == expected, (endpoint, r.text)


def test_health_and_enrollment_need_no_token_but_enrollment_needs_an_invite(live):
    assert call(live, "GET", "/health", None).status_code == 200
    r = call(live, "POST", "/v1/devices", None, {"device_name": "outsider"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "invite_code"
    r = call(live, "POST", "/v1/devices", None,
             {"device_name": "outsider", "invite_code": "2345-6789-ABCD"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "invite_invalid"


# ---- writes: every record type x role x create / change own / change anyone's ------------


def sample(rtype: str, dev: DeviceAuth, shift_id: str) -> dict:
    """A valid new record of ``rtype`` that ``dev`` could send."""
    return {"neighborhood": neighborhood, "route": route, "shift": shift,
            "member": member, "merchant": merchant, "stroll": stroll,
            "track_chunk": track_chunk, "check_in": check_in, "incident": incident,
            "follow_up": lambda: follow_up(new_id()), "partner": partner,
            "referral": referral,
            "signup": lambda: signup(shift_id, dev.member_id),
            "roster": lambda: {"id": new_id(), "shift_id": shift_id, "confirmed": 9},
            "shift_team": lambda: {"id": new_id(), "shift_id": shift_id,
                                   "going": [{"member_id": dev.member_id, "name": "Me"}]},
            }[rtype]()


def change(rtype: str, rid: str) -> tuple:
    """A change of an existing record: a patch, or a delete for written-once types."""
    patch = {"neighborhood": {"city": "Oakland"}, "route": {"description": "via Grant"},
             "shift": {"meeting_point": "Portsmouth Square"}, "member": {"trained_lead": True},
             "follow_up": {"status": "contacted"}, "merchant": {"notes": "closed Mondays"},
             "signup": {"status": "cancelled"}, "stroll": {"notes": "quiet"},
             "incident": {"cross_streets": "Grant & Pacific"},
             "partner": {"phone": "+1 415 555 0142"},
             "referral": {"outcome": "accepted"}}.get(rtype)
    return (rtype, "patch", patch, rid) if patch else (rtype, "delete", None, rid)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_write_each_record_type_as_the_table_says(live, role):
    owner = live.enroll("coordinator", name="owner")
    dev = live.enroll(role)
    sh = shift(capacity=50)
    others = {rtype: sample(rtype, owner, sh["id"]) for rtype in WRITE}
    others["signup"] = signup(sh["id"], owner.member_id)
    live.send(owner, ("shift", "upsert", sh),
              *[(rtype, "upsert", rec) for rtype, rec in others.items()])
    for rtype, (create, change_own, change_anyones) in WRITE.items():
        mine = sample(rtype, dev, sh["id"])
        out = live.send(dev, (rtype, "upsert", mine), change(rtype, mine["id"]),
                        change(rtype, others[rtype]["id"]))
        got = [ok(r) for r in out["results"]]
        want = ["applied" if may(role, create) else "forbidden",
                # a record this member could not create does not exist: changing it
                # is creating it, refused the same way
                "applied" if may(role, create) and may(role, change_own) else "forbidden",
                "applied" if may(role, change_anyones) else "forbidden"]
        assert got == want, (role, rtype, out["results"])


def test_only_an_admin_gives_or_changes_the_coordinator_and_admin_roles(live):
    coordinator, admin = live.enroll("coordinator"), live.enroll("admin")
    for role in ("coordinator", "admin"):
        rec = member(role=role)
        out = live.send(coordinator, ("member", "upsert", rec))
        assert ok(out["results"][0]) == "forbidden", out
        assert "only an admin" in out["results"][0]["error"]["message"]
        assert ok(live.send(admin, ("member", "upsert", rec))["results"][0]) == "applied"
        # and a coordinator may not change such a member, nor lower them
        out = live.send(coordinator, ("member", "patch", {"role": "volunteer"}, rec["id"]))
        assert ok(out["results"][0]) == "forbidden"
    vol = member()
    live.send(coordinator, ("member", "upsert", vol))
    out = live.send(coordinator, ("member", "patch", {"role": "coordinator"}, vol["id"]))
    assert ok(out["results"][0]) == "forbidden"  # not even to raise a volunteer


def test_a_changed_role_signs_the_members_device_out_and_a_new_sign_in_has_the_new_role(
        live):
    admin, dev = live.enroll("admin"), live.enroll("volunteer")
    assert ok(live.send(dev, ("shift", "upsert", shift()))["results"][0]) == "forbidden"
    live.send(admin, ("member", "patch", {"role": "coordinator"}, dev.member_id))
    # what the device holds was pulled for a volunteer: it must pull anew as a coordinator
    r = call(live, "GET", "/v1/sync/pull", dev)
    assert r.status_code == 401 and r.json()["error"]["code"] == "device_revoked"
    assert "from volunteer to coordinator" in r.json()["error"]["message"]
    again = live.enroll_as(dev.member_id)
    assert again.role == "coordinator"
    assert ok(live.send(again, ("shift", "upsert", shift()))["results"][0]) == "applied"
    # and a lowered role likewise
    live.send(admin, ("member", "patch", {"role": "ambassador"}, dev.member_id))
    r = call(live, "GET", "/v1/sync/pull", again)
    assert r.status_code == 401 and r.json()["error"]["code"] == "device_revoked"


# ---- the attacks of the trust issue, each refused ---------------------------------------------


def test_an_outsiders_member_cannot_touch_another_devices_incident(live):
    author, outsider, coordinator = (live.enroll("ambassador"), live.enroll("volunteer"),
                                     live.enroll("coordinator"))
    inc = incident()
    live.send(author, ("incident", "upsert", inc))
    attacks = [("incident", "patch", {"contact_value": "415-555-6666"}, inc["id"]),
               ("incident", "delete", None, inc["id"]),
               ("incident", "upsert", incident(id=inc["id"], narrative="forged"))]
    for attack in attacks:
        result = live.send(outsider, attack)["results"][0]
        assert ok(result) == "forbidden" and "another member's" in result["error"]["message"]
    [seen] = [c["data"] for c in live.pull_all(coordinator) if c["id"] == inc["id"]]
    assert (seen["contact_value"], seen["narrative"]) == (inc["contact_value"],
                                                          inc["narrative"])


def test_a_volunteer_cannot_cancel_fill_or_move_a_shift_of_others(live):
    coordinator, mei, outsider = (live.enroll("coordinator"), live.enroll("volunteer"),
                                  live.enroll("volunteer"))
    sh = shift(capacity=1)
    live.send(coordinator, ("shift", "upsert", sh))
    hers = signup(sh["id"], mei.member_id)
    assert live.send(mei, ("signup", "upsert", hers))["results"][0]["decision"][
        "status"] == "confirmed"
    refused = [live.send(outsider, attack)["results"][0] for attack in (
        ("signup", "patch", {"status": "cancelled"}, hers["id"]),
        ("signup", "upsert", signup(sh["id"], new_id())),          # a made-up member
        ("shift", "patch", {"starts_at": "2026-12-31T03:00:00+00:00",
                            "meeting_point": "elsewhere"}, sh["id"]))]
    assert [ok(r) for r in refused] == ["forbidden"] * 3
    mine = live.send(outsider, ("signup", "upsert", signup(sh["id"], outsider.member_id)))
    assert mine["results"][0]["decision"]["status"] == "waitlisted"  # hers still holds


# ---- reads: what each role's pull holds ---------------------------------------------------------


@pytest.fixture(scope="module")
def program(live):
    """A stroll by an ambassador with a volunteer on its team, and what it recorded;
    a follow-up; a member with a phone; a shift and sign-ups."""
    coordinator = live.enroll("coordinator", name="coordinator")
    lead = live.enroll("ambassador", name="lead")
    teammate = live.enroll("volunteer", name="teammate")
    st = stroll(team=[{"member_id": lead.member_id, "name": "Lead", "lead": True},
                      {"member_id": teammate.member_id, "name": "Mate"}])
    inc = incident(stroll_id=st["id"], actions_note="walked her home to 12 Spofford Alley",
                   location_precision="block", affected_age_band="75_plus",
                   referral_needs=["legal"], reported_by=lead.member_id)
    sh = shift()
    recs = {"stroll": st, "incident": inc, "track_chunk": track_chunk(stroll_id=st["id"]),
            "check_in": check_in(stroll_id=st["id"]),
            "signup": signup(sh["id"], lead.member_id)}
    live.send(coordinator, ("shift", "upsert", sh), ("member", "upsert", member()),
              ("follow_up", "upsert", follow_up(inc["id"])),
              ("referral", "upsert", referral(inc["id"])))
    live.send(lead, *[(t, "upsert", r) for t, r in recs.items()])
    return {"coordinator": coordinator, "lead": lead, "teammate": teammate, "records": recs}


@pytest.mark.parametrize("role", ROLES)
def test_a_pull_holds_no_record_and_no_field_its_role_may_not_see(live, program, role):
    reader = live.enroll(role, name=f"outside {role}")  # on no team
    changes = live.pull_all(reader)
    by_type: dict[str, list[dict]] = {}
    for c in changes:
        by_type.setdefault(c["type"], []).append(c["data"])
    for rtype, rules in ((t, reads(t, role)) for t in WRITE):
        whose = {w for w, _ in rules}
        if not rules:
            assert rtype not in by_type, (role, rtype)
        elif whose == {"team"}:  # only their own: their member record at most
            assert all(rtype == "member" and d["id"] == reader.member_id
                       for d in by_type.get(rtype, [])), (role, rtype)
    views = {v for _, v in reads("incident", role)}
    [inc] = [d for d in by_type["incident"] if d["id"] == program["records"]["incident"]["id"]]
    if "full" in views:
        assert inc["narrative"] == program["records"]["incident"]["narrative"]
    else:
        assert set(inc) <= set(COARSE_INCIDENT_FIELDS)
        assert inc["location_precision"] == "block" and inc["time_approximate"] is True
        assert inc["occurred_at"].endswith(":00:00-08:00")
    if role in ("volunteer", "ambassador"):
        text = json.dumps(changes)
        for word in ("12 Spofford Alley", "415-555-0111", "call back Tuesday",
                     "intake booked for Mrs. W",
                     program["records"]["incident"]["survivor_name"]):
            assert word not in text, (role, word)
        assert not any(SENSITIVE[c["type"]] & set(c["data"] or {}) for c in changes), role


def test_the_team_of_a_stroll_sees_its_incident_without_survivor_fields(live, program):
    inc = program["records"]["incident"]
    for who in ("lead", "teammate"):
        seen = {c["id"]: c for c in live.pull_all(program[who])}
        data = seen[inc["id"]]["data"]
        assert data["actions_note"] == inc["actions_note"]     # the team was there
        assert not SENSITIVE["incident"] & set(data)
        for rtype in ("stroll", "track_chunk", "check_in"):
            assert program["records"][rtype]["id"] in seen, (who, rtype)


def test_a_pull_with_survivor_fields_is_written_to_the_audit_log(live, program):
    coordinator = program["coordinator"]
    live.pull_all(coordinator)
    r = call(live, "GET", "/v1/audit", coordinator)
    pulls = [line for line in r.json()["lines"] if line["action"] == "pull"
             and line["device_id"] == coordinator.device_id]
    assert pulls, r.json()
    held = {item.split(":")[2] for line in pulls for item in line["detail"].split(",")}
    assert program["records"]["incident"]["id"] in held


# ---- sign-ups: what is the server's, what is the member's --------------------------------------


def test_a_device_cannot_confirm_itself_nor_approve_its_own_check_in_nor_check_in_unconfirmed(
        live):
    coordinator, vol = live.enroll("coordinator"), live.enroll("volunteer")
    sh = shift(capacity=1)
    live.send(coordinator, ("shift", "upsert", sh))
    first = signup(sh["id"], coordinator.member_id)
    live.send(coordinator, ("signup", "upsert", first))
    # what a device sends of the server's fields is ignored: full shift -> waitlisted
    mine = signup(sh["id"], vol.member_id, status="confirmed", reason_code="place",
                  waitlist_position=None)
    out = live.send(vol, ("signup", "upsert", mine))
    assert out["results"][0]["decision"] == {
        "status": "waitlisted", "reason": out["results"][0]["decision"]["reason"],
        "code": "waitlisted", "position": 1}
    out = live.send(vol, ("signup", "patch", {"checked_in_at": T0}, mine["id"]))
    assert ok(out["results"][0]) == "invalid_record"
    assert "only a confirmed sign-up checks in" in out["results"][0]["error"]["message"]
    live.send(coordinator, ("signup", "patch", {"status": "confirmed"}, mine["id"]))
    out = live.send(vol, ("signup", "patch", {"checked_in_at": T0, "check_in_far": True},
                          mine["id"]))
    assert ok(out["results"][0]) == "applied"
    out = live.send(vol, ("signup", "patch", {"check_in_approved_by": vol.member_id},
                          mine["id"]))
    assert ok(out["results"][0]) == "forbidden"
    assert "only a coordinator approves" in out["results"][0]["error"]["message"]
    out = live.send(coordinator, ("signup", "patch",
                                  {"check_in_approved_by": coordinator.member_id}, mine["id"]))
    assert ok(out["results"][0]) == "applied"
    got = {c["id"]: c["data"] for c in live.pull_all(vol) if c["type"] == "signup"}[mine["id"]]
    assert (got["status"], got["reason_code"], got["check_in_approved_by"]) == \
        ("confirmed", "by_coordinator", coordinator.member_id)


def test_every_phone_pulls_each_shifts_roster_but_only_its_confirmed_members_its_team(live):
    coordinator = live.enroll("coordinator")
    going, waiting, outsider = (live.enroll("volunteer"),
                                live.enroll("volunteer"), live.enroll("ambassador"))
    sh = shift(capacity=1)
    live.send(coordinator, ("shift", "upsert", sh))
    live.send(going, ("signup", "upsert", signup(sh["id"], going.member_id)))
    live.send(waiting, ("signup", "upsert", signup(sh["id"], waiting.member_id)))

    def held(dev):
        return {(c["type"], c["id"]): c["data"] for c in live.pull_all(dev)}
    for dev in (going, waiting, outsider, coordinator):
        roster = held(dev)[("roster", sh["id"])]
        assert (roster["confirmed"], roster["waitlisted"]) == (1, 1)
    assert held(going)[("shift_team", sh["id"])]["going"] == [
        {"member_id": going.member_id, "name": "Test", "lead": False}]
    for dev in (waiting, outsider):
        assert ("shift_team", sh["id"]) not in held(dev)
    assert ("shift_team", sh["id"]) in held(coordinator)
