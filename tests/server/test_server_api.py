"""The HTTP API in-process (both backends): endpoints, auth, scopes, and the one
error shape for every error."""
from __future__ import annotations

import hashlib
import json

import pytest

from conftest import APP_VERSION, Api, entry, make_invite
from inspect_storage import applied_log, count_records, last_cursor
from server_records import incident, shift, signup
from stroll.domain import RECORD_TYPES, Incident, new_id
from sync import protocol as p

ERROR_KEYS = {"code", "message", "details"}


def assert_error(r, status: int, code: str, *words: str) -> dict:
    """The one error shape (docs/SYNC.md), pinned."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == ERROR_KEYS, err
    assert err["code"] == code
    assert isinstance(err["message"], str) and err["message"].strip()
    assert isinstance(err["details"], dict)
    assert "Traceback" not in r.text and 'File "' not in r.text
    for w in words:
        assert w in err["message"], err["message"]
    return err


def test_health_names_the_backend(client, backend):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True
    assert body["backend"] == ("sqlite" if backend.startswith("sqlite") else "postgres")
    assert body["protocol"] == p.PROTOCOL_VERSION


def test_openapi_and_docs_are_served(client):
    doc = client.get("/openapi.json").json()
    assert {"/health", "/v1/devices", "/v1/sync/push", "/v1/sync/pull"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    assert {"PushRequest", "PushEntry", "PushResponse", "PullResponse", "ErrorBody"} <= set(schemas)
    push_body = doc["paths"]["/v1/sync/push"]["post"]["requestBody"]
    assert push_body["content"]["application/json"]["schema"]["$ref"].endswith("/PushRequest")
    assert client.get("/docs").status_code == 200


def test_openapi_documents_every_error_as_the_wrapper_it_is_on_the_wire(client):
    """Each /v1 operation documents 400, 426, 500 and 503 (and 401/403 with a token) as
    ``ErrorBody``: the wrapper ``{"error": {...}}``, each status with its codes of the
    error table; rejected push entries carry the inner ``Error``. (A calendar feed takes
    no protocol header: a calendar app sends none.)"""
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert schemas["ErrorBody"]["properties"]["error"]["$ref"].endswith("/Error")
    assert set(schemas["Error"]["required"]) == ERROR_KEYS
    assert schemas["PushResult"]["properties"]["error"]["anyOf"][0]["$ref"].endswith("/Error")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            statuses = {int(s) for s in op["responses"]}
            assert {500, 503} <= statuses, (method, path)
            headers = {x["name"] for x in op.get("parameters", ()) if x["in"] == "header"}
            if path.startswith("/v1/") and not path.startswith("/v1/calendar/"):
                assert p.HEADER_PROTOCOL in headers and {400, 426} <= statuses, (method, path)
            if "security" in op:
                assert {401, 403} <= statuses, (method, path)
            for status in statuses - {200, 201, 204}:
                schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
                assert schema["allOf"][0]["$ref"].endswith("/ErrorBody")
                codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
                assert codes == [c for c, st in p.ERROR_CODES.items() if st == status]
    assert {"403", "429"} <= set(doc["paths"]["/v1/devices"]["post"]["responses"])
    entry_schema = schemas["PushEntry"]["properties"]
    assert entry_schema["seq"]["minimum"] == 1
    assert entry_schema["type"]["enum"] == sorted(RECORD_TYPES)
    assert schemas["PushRequest"]["properties"]["entries"]["maxItems"] == p.MAX_BATCH_ENTRIES


def test_enrollment_returns_the_token_once_and_keeps_only_its_hash(api, client, backend):
    dev = api.enroll()
    assert dev.role == "volunteer" and len(dev.token) >= 32
    digest = hashlib.sha256(dev.token.encode()).hexdigest()
    s = client.app_storage
    assert s.device_by_token_hash(digest).id == dev.device_id
    if backend.startswith("sqlite"):
        import sqlite3
        raw = sqlite3.connect(str(s.path)).execute("SELECT * FROM devices").fetchall()
    else:
        import psycopg
        with psycopg.connect(s.url) as c:
            raw = c.execute("SELECT * FROM devices").fetchall()
    assert dev.token not in repr(raw) and digest in repr(raw)


def test_enrollment_needs_an_invite_code(client):
    r = client.post("/v1/devices", json={"device_name": "x"},
                    headers=p.request_headers(APP_VERSION))
    err = assert_error(r, 422, "invalid_message", "invite_code: is required")
    assert err["details"]["field"] == "invite_code"
    r = client.post("/v1/devices", json={"device_name": "x", "invite_code": "AAAA-BBBB-CCCC",
                                         "role": "coordinator"},
                    headers=p.request_headers(APP_VERSION))
    assert_error(r, 422, "invalid_message", "role: is not a field")


def test_an_invite_enrolls_one_device_as_its_member_with_the_members_role(api, client):
    member, code = make_invite(client.app_storage, "ambassador", name="Tuan")
    r = api.redeem(code.lower().replace("-", " "))  # as typed: lower case, spaces
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["role"], body["member_id"], body["member_name"]) == (
        "ambassador", member["id"], "Tuan")
    assert body["expires_at"] > "2026"
    again = api.redeem(code)
    assert_error(again, 403, "invite_invalid", "already used")


def test_an_unknown_or_expired_invite_is_refused_and_says_why(api, client):
    assert_error(api.redeem("ZZZZ-ZZZZ-ZZZZ"), 403, "invite_invalid", "not a code this server made")
    from datetime import datetime, timedelta, timezone

    from sync.server import members
    from sync.server.rules import SERVER
    member, _ = make_invite(client.app_storage)
    old = members.create_invite(client.app_storage, SERVER, member["id"], timedelta(hours=1),
                                now=datetime.now(timezone.utc) - timedelta(hours=2))
    assert_error(api.redeem(old.code), 403, "invite_invalid", "has expired")


def test_enrollment_checks_its_body(client):
    r = client.post("/v1/devices", json={"device_name": 5}, headers=p.request_headers("t"))
    err = assert_error(r, 422, "invalid_message", "device_name: must be a string")
    assert err["details"]["field"] == "device_name"


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_a_missing_or_wrong_token_is_auth_required(client, auth):
    h = p.request_headers(APP_VERSION)
    if auth:
        h["Authorization"] = auth
    r = client.get("/v1/sync/pull", headers=h)
    assert_error(r, 401, "auth_required")
    assert r.headers.get("www-authenticate") == "Bearer"


def test_a_revoked_device_is_told_so_apart_from_a_wrong_token(api, client):
    dev = api.enroll()
    client.app_storage.revoke_device(dev.device_id, "2026-11-22T00:00:00+00:00")
    assert_error(client.get("/v1/sync/pull", headers=dev.headers()), 401, "device_revoked",
                 "revoked")


def test_pushing_as_another_device_is_forbidden(api):
    a, b = api.enroll(), api.enroll()
    body = {"protocol": 1, "device_id": b.device_id,
            "entries": [inc_entry(1)]}
    r = api.http.post("/v1/sync/push", json=body, headers=a.headers())
    assert_error(r, 403, "forbidden", b.device_id)


def pulled(api, dev, record_id: str) -> dict:
    """The data of one record as ``dev`` pulls it."""
    (data,) = [c["data"] for c in api.pull_all(dev) if c["id"] == record_id]
    return data


def test_push_and_pull_round_trip(api):
    dev = api.enroll()
    inc = incident()
    out = api.send(dev, ("incident", "upsert", inc))
    assert out["acked_through"] == 1 and out["results"] == [{"seq": 1, "status": "applied"}]
    p.PushResponse.from_dict(out)
    page = api.pull(dev)
    p.PullResponse.from_dict(page)
    (change,) = [c for c in page["changes"] if c["type"] == "incident"]
    assert page["has_more"] is False and page["next_cursor"] == change["cursor"]
    assert change["data"]["cross_streets"] == inc["cross_streets"]


def test_push_twice_applies_once(api, client):
    dev = api.enroll()
    entries = [inc_entry(1), inc_entry(2)]
    first = api.push(dev, entries)
    again = api.push(dev, entries)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert count_records(client.app_storage, "incident") == 2


def test_a_gap_is_409_with_the_expected_seq(api):
    dev = api.enroll()
    r = api.push_raw(dev, [inc_entry(3)])
    err = assert_error(r, 409, "sequence_gap", "resend from seq 1")
    assert err["details"]["expected"] == 1


def test_a_volunteer_pulls_without_sensitive_fields_a_coordinator_with(api):
    vol, coord = api.enroll(), api.enroll("coordinator")
    inc = incident()
    api.send(vol, ("incident", "upsert", inc))
    seen_by_vol = pulled(api, vol, inc["id"])
    seen_by_coord = pulled(api, coord, inc["id"])
    for name in Incident.sensitive_fields():
        assert name not in seen_by_vol
        assert seen_by_coord[name] == inc[name]
    assert seen_by_vol["harm_types"] == inc["harm_types"]


def test_pull_pages_and_tombstones(api):
    dev = api.enroll()
    recs = [incident() for _ in range(5)]
    api.send(dev, *[("incident", "upsert", r) for r in recs])
    api.send(dev, ("incident", "delete", None, recs[0]["id"]))
    page = api.pull(dev, 0, 2)
    assert len(page["changes"]) == 2 and page["has_more"] is True
    changes = [c for c in api.pull_all(dev, limit=2) if c["type"] == "incident"]
    assert [c["id"] for c in changes] == [r["id"] for r in recs[1:]] + [recs[0]["id"]]
    assert changes[-1]["op"] == "delete" and changes[-1]["data"] is None
    last = api.pull(dev, changes[-1]["cursor"])
    assert last == {"changes": [], "next_cursor": changes[-1]["cursor"], "has_more": False}


def test_signup_decision_is_a_200_result(api):
    dev = api.enroll("coordinator")  # a coordinator may sign anyone up
    sh = shift(capacity=1)
    out = api.send(dev, ("shift", "upsert", sh), ("signup", "upsert", signup(sh["id"])),
                   ("signup", "upsert", signup(sh["id"])))
    assert [r.get("decision", {}).get("status") for r in out["results"]] == \
        [None, "confirmed", "waitlisted"]


def test_a_member_is_never_made_without_a_role(api, client):
    """Found by fuzzing: ``"role": null`` made a member whose devices could do nothing
    (a device without a role is treated as revoked)."""
    admin = api.enroll("admin")
    r = client.post("/v1/members", json={"name": "No role", "role": None},
                    headers=admin.headers())
    assert assert_error(r, 422, "invalid_message", "role")["details"]["field"] == "role"
    member = {"id": new_id(), "name": "No role", "role": None}
    (res,) = api.send(admin, ("member", "upsert", member))["results"]
    assert res["status"] == "rejected" and res["error"]["details"]["field"] == "role", res
    r = client.post("/v1/members", json={"name": "Default role"}, headers=admin.headers())
    assert r.status_code == 201 and r.json()["member"]["role"] == "volunteer", r.text


# ---- every error has the one shape ---------------------------------------------------------------


def test_every_error_has_the_one_shape(api, client, monkeypatch):
    """Pins docs/SYNC.md's error shape for each kind of failure, from routing to bugs."""
    dev = api.enroll()
    h = dev.headers()
    assert_error(client.get("/nowhere", headers=h), 404, "not_found", "/nowhere")
    assert_error(client.get("/v1/sync/push", headers=h), 405, "method_not_allowed")
    err = assert_error(client.get("/v1/sync/pull?limit=abc", headers=h), 422, "invalid_message",
                       "limit")
    assert err["details"]["field"] == "query.limit"
    assert_error(client.get(f"/v1/sync/pull?limit={p.MAX_PULL_LIMIT + 1}", headers=h), 422,
                 "invalid_message")
    assert_error(client.post("/v1/sync/push", content=b'{"entries": [', headers=h), 400,
                 "malformed_json", "not valid JSON")
    assert_error(client.post("/v1/sync/push", content=b"", headers=h), 400, "malformed_json")
    assert_error(client.post("/v1/sync/push", content=b"\xff\xfe", headers=h), 400,
                 "malformed_json")
    assert_error(client.post("/v1/sync/push", content=b'{"entries": [NaN]}', headers=h), 400,
                 "malformed_json", "NaN")
    assert_error(client.post("/v1/sync/push", content=b"[" * 100_000, headers=h), 400,
                 "malformed_json")
    assert_error(client.get("/v1/sync/pull", headers={**h, p.HEADER_PROTOCOL: "2"}), 426,
                 "unsupported_protocol", "Update the app")
    no_proto = {k: v for k, v in h.items() if k != p.HEADER_PROTOCOL}
    assert_error(client.get("/v1/sync/pull", headers=no_proto), 400, "invalid_header",
                 p.HEADER_PROTOCOL)
    assert_error(client.get("/v1/sync/pull", headers=p.request_headers("t")), 401,
                 "auth_required")
    assert_error(api.push_raw(dev, [inc_entry(2)]),
                 409, "sequence_gap")

    def boom(*a, **k):
        raise RuntimeError("secret internals /srv/db password=hunter2")
    monkeypatch.setattr(client.app_storage, "pull_page", boom)
    err = assert_error(client.get("/v1/sync/pull", headers=h), 500, "internal_error")
    assert "hunter2" not in json.dumps(err) and "RuntimeError" not in json.dumps(err)


def test_an_unreachable_database_is_503_unavailable(api, client, monkeypatch):
    from sync.server.storage import StorageUnavailable
    dev = api.enroll()

    def down(*a, **k):
        raise StorageUnavailable("cannot connect to the database")
    monkeypatch.setattr(client.app_storage, "ping", down)
    monkeypatch.setattr(client.app_storage, "pull_page", down)
    assert_error(client.get("/health"), 503, "unavailable")
    assert_error(client.get("/v1/sync/pull", headers=dev.headers()), 503, "unavailable")


# ---- bad input: a clear 4xx and nothing half-applied ------------------------------------------

def inc_entry(seq: int) -> dict:
    d = incident()
    return entry(seq, "incident", d["id"], "upsert", d)


def _good(n):
    return [inc_entry(i + 1) for i in range(n)]


def _bad_inputs():
    def wrong_type(body):
        body["entries"][3]["seq"] = "4"
        return body

    def unknown_type(body):
        body["entries"][-1]["type"] = "spaceship"
        return body

    def future_protocol(body):
        body["protocol"] = 2
        return body

    def too_many(body):
        body["entries"] = _good(p.MAX_BATCH_ENTRIES + 1)
        return body

    def data_not_object(body):
        body["entries"][2]["data"] = "incident"
        return body

    return [
        (wrong_type, 422, "invalid_message", "entries[3].seq: must be an integer"),
        (unknown_type, 422, "unknown_record_type", "spaceship"),
        (future_protocol, 426, "unsupported_protocol", "protocol 2"),
        (too_many, 413, "batch_too_large", str(p.MAX_BATCH_ENTRIES)),
        (data_not_object, 422, "invalid_message", "entries[2].data: must be an object"),
    ]


@pytest.mark.parametrize("spoil, status, code, words", _bad_inputs(),
                         ids=lambda x: getattr(x, "__name__", None))
def test_a_bad_push_is_a_clear_4xx_and_applies_nothing(api, client, spoil, status, code, words):
    dev = api.enroll()
    s = client.app_storage
    records, cursor = count_records(s), last_cursor(s)
    body = spoil({"protocol": 1, "app_version": APP_VERSION, "device_id": dev.device_id,
                  "entries": _good(6)})
    r = client.post("/v1/sync/push", json=body, headers=dev.headers())
    assert_error(r, status, code, words)
    assert count_records(s) == records and last_cursor(s) == cursor
    assert s.device_last_seq(dev.device_id) == 0 and applied_log(s, dev.device_id) == []
    assert api.push(dev, _good(2))["acked_through"] == 2  # and the device can go on


def test_malformed_json_applies_nothing(api, client):
    dev = api.enroll()
    raw = json.dumps({"protocol": 1, "device_id": dev.device_id, "entries": _good(3)})
    r = client.post("/v1/sync/push", content=raw[:-40].encode(), headers=dev.headers())
    assert_error(r, 400, "malformed_json")
    assert count_records(client.app_storage, "incident") == 0


def test_an_oversized_body_is_413_and_applies_nothing(backend):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from sync.server.app import create_app
    from sync.server.settings import Settings
    app = create_app(Settings(database_url=backend, max_body_bytes=20_000))
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, storage=app.state.storage)
        dev = api.enroll()
        r = api.push_raw(dev, _good(40))  # ~ 40 KB
        err = assert_error(r, 413, "body_too_large", "20000")
        assert err["details"]["max_bytes"] == 20_000

        def chunks():  # no Content-Length: the limit holds while streaming too
            body = json.dumps({"protocol": 1, "device_id": dev.device_id,
                               "entries": _good(40)}).encode()
            for i in range(0, len(body), 4096):
                yield body[i:i + 4096]
        r = client.post("/v1/sync/push", content=chunks(), headers=dev.headers())
        assert_error(r, 413, "body_too_large")
        assert count_records(app.state.storage, "incident") == 0
        assert api.push(dev, _good(3))["acked_through"] == 3


def test_a_record_rule_broken_in_one_entry_rejects_only_that_entry(api, client):
    dev = api.enroll()
    entries = _good(3)
    entries[1]["data"]["harm_types"] = ["not_a_harm"]
    out = api.push(dev, entries)
    assert [r["status"] for r in out["results"]] == ["applied", "rejected", "applied"]
    err = out["results"][1]["error"]
    assert err["code"] == "invalid_record" and "not_a_harm" in err["message"]
    assert count_records(client.app_storage, "incident") == 2
