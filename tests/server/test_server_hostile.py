"""What an outsider may send a real ``stroll-server`` process (both backends): ids in
other spellings, values of the wrong type, NUL characters, a cursor past 64 bits. Each
is refused with a clear answer naming the entry or field, and what was accepted still
pulls as valid JSON for every device."""
from __future__ import annotations

import json

import pytest
import requests

from conftest import entry, make_invite
from server_records import incident, merchant, stroll
from sync import protocol as p


@pytest.mark.parametrize("spelling", ["upper", "braces", "urn", "tab"])
def test_an_id_in_another_spelling_is_a_422_naming_the_entry(live, spelling):
    dev = live.enroll()
    rec = incident()
    rid = {"upper": rec["id"].upper(), "braces": "{" + rec["id"] + "}",
           "urn": "urn:uuid:" + rec["id"], "tab": "\t" + rec["id"]}[spelling]
    ok = incident()
    r = live.push_raw(dev, [entry(1, "incident", ok["id"], "upsert", ok),
                            entry(2, "incident", rid, "upsert", {**rec, "id": rid})])
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_message" and err["details"]["field"] == "entries[1].id"
    assert "canonical" in err["message"]
    # nothing of the refused push was applied: the good entry goes again, alone
    assert live.push(dev, [entry(1, "incident", ok["id"], "upsert", ok)])["results"][0][
        "status"] == "applied"


def test_wrong_types_and_nul_are_refused_per_entry_and_every_pull_stays_valid_json(live):
    writer, reader = live.enroll(), live.enroll("coordinator")
    tricky = incident(narrative='"quoted" \\ back\\slash </script> \u2028 \U0001F95F \u00e9',
                      cross_streets="Grant & \"Pacific\"")
    sent = [
        ("stroll", stroll(distance_m="far"), "distance_m"),
        ("merchant", merchant(neighborhood_id={"id": "x"}), "neighborhood_id"),
        ("incident", incident(narrative="walked her home\x00"), "narrative"),
        ("stroll", stroll(team=[{"name": "A\x00"}, {"name": "B"}]), "team"),
        ("incident", tricky, None),
    ]
    out = live.push(writer, [entry(i + 1, t, d["id"], "upsert", d)
                             for i, (t, d, _) in enumerate(sent)])
    for (rtype, data, field), res in zip(sent, out["results"]):
        if field is None:
            assert res["status"] == "applied", res
        else:
            assert res["status"] == "rejected", res
            assert res["error"]["details"]["field"] == field, res
    # the reader's pages parse as JSON and hold the accepted record, as it was sent
    after, seen = 0, {}
    while True:
        r = requests.get(live.base + "/v1/sync/pull", params={"after": after, "limit": 2},
                         headers=reader.headers(), timeout=10)
        assert r.status_code == 200, r.text
        page = json.loads(r.content)
        seen.update({c["id"]: c for c in page["changes"]})
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen[tricky["id"]]["data"]["cross_streets"] == tricky["cross_streets"]
    for rtype, data, field in sent[:-1]:
        assert data["id"] not in seen


def test_a_pull_cursor_past_64_bits_is_a_422_not_a_server_error(live):
    dev = live.enroll()
    r = requests.get(live.base + "/v1/sync/pull", params={"after": str(p.MAX_CURSOR + 1)},
                     headers=dev.headers(), timeout=10)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "query.after"
    r = requests.get(live.base + "/v1/sync/pull", params={"after": str(p.MAX_CURSOR)},
                     headers=dev.headers(), timeout=10)
    assert r.status_code == 200 and r.json()["changes"] == []


def test_a_large_push_with_a_wrong_token_is_refused_before_its_body_is_read(live):
    """Headers that announce 8 MB and a wrong token, and no body at all: the answer
    comes at once (the server does not wait for bytes it would throw away)."""
    import socket
    import time
    from urllib.parse import urlsplit
    u = urlsplit(live.base)
    head = (f"POST /v1/sync/push HTTP/1.1\r\nHost: {u.hostname}\r\n"
            f"{p.HEADER_PROTOCOL}: 1\r\n{p.HEADER_APP}: test\r\n"
            "Authorization: Bearer not-a-token\r\nContent-Type: application/json\r\n"
            f"Content-Length: {p.MAX_BODY_BYTES}\r\n\r\n")
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        t0 = time.monotonic()
        s.sendall(head.encode())
        answer = b""
        while b'"auth_required"' not in answer and time.monotonic() - t0 < 5:
            try:
                chunk = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                break  # the server may close a connection whose body it will not read
            if not chunk:
                break
            answer += chunk
        took = time.monotonic() - t0
    text = answer.decode(errors="replace")
    assert text.startswith("HTTP/1.1 401"), text[:300]
    assert '"auth_required"' in text and took < 3, (took, text[:300])


def test_a_nul_in_a_path_id_is_a_404_not_a_server_error(live):
    """Found by fuzzing: PostgreSQL refuses text holding NUL, so asking it for such an
    id was a 500; text that is not an id in canonical form names nothing."""
    admin = live.enroll("admin")
    for method, path in (("POST", "/v1/members/a%00b/invites"),
                         ("POST", "/v1/members/a%00b/revoke"),
                         ("DELETE", "/v1/devices/a%00b"),
                         ("DELETE", "/v1/devices/" + "%FF" * 3)):
        r = requests.request(method, live.base + path, headers=admin.headers(), timeout=10)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["code"] == "not_found"


def test_a_nul_in_a_message_text_is_a_422_naming_the_field_and_applies_nothing(live):
    """Found by fuzzing: a device name or an entry's device_time holding NUL was a 500
    on PostgreSQL (after the invite was checked, before it was spent)."""
    _, code = make_invite(live.storage)
    r = live.redeem(code, name="phone\x00")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "device_name"
    assert live.redeem(code, name="phone").status_code == 201  # the invite was not spent
    dev = live.enroll()
    rec = merchant()
    r = live.push_raw(dev, [entry(1, "merchant", rec["id"], "upsert", rec,
                                  device_time="2026-11-21T19:02\x00")])
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"]["field"] == "entries[0].device_time"
    assert live.push(dev, [entry(1, "merchant", rec["id"], "upsert", rec)])["results"][0][
        "status"] == "applied"
