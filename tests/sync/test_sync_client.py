"""SyncClient against a tiny scripted HTTP server on loopback (no real sync server):
the headers it sends, the protocol types it returns, and which failure class each
answer becomes."""
from __future__ import annotations

import time

import pytest

from sync.client import (APP_VERSION, PROTOCOL_VERSION, AuthError, RejectedError, SyncClient,
                         TransientError, UnsupportedVersion)

from stubserver import error, free_port, stub  # noqa: F401  (stub is a fixture)

# ---- classification ---------------------------------------------------------------------


def test_every_request_carries_protocol_app_version_and_token(stub):
    stub.set("GET", "/v1/sync/pull", (200, {"changes": [], "next_cursor": 0, "has_more": False},
                                      {}))
    SyncClient(stub.url, token="s3cret").pull(after=0, limit=10)
    h = stub.requests[-1]["headers"]
    assert h["X-Stroll-Protocol"] == str(PROTOCOL_VERSION)
    assert h["X-Stroll-App"] == APP_VERSION
    assert h["Authorization"] == "Bearer s3cret"
    assert stub.requests[-1]["full_path"].endswith("after=0&limit=10")


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_server_errors_and_throttling_are_transient(stub, status):
    stub.set("POST", "/v1/sync/push", error(status, "busy", "try later",
                                            headers={"Retry-After": "7"}))
    with pytest.raises(TransientError) as ei:
        SyncClient(stub.url, token="t").push([])
    assert ei.value.reachable and ei.value.status == status and ei.value.retry_after == 7


def test_connection_refused_is_transient_and_unreachable():
    client = SyncClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(TransientError) as ei:
        client.pull()
    assert not ei.value.reachable
    assert client.health() is False


def test_a_server_that_never_answers_is_a_transient_timeout(stub):
    stub.set("GET", "/v1/sync/pull", (200, "HANG", {}))
    t0 = time.monotonic()
    with pytest.raises(TransientError) as ei:
        SyncClient(stub.url, timeout=(1, 0.5)).pull()
    assert not ei.value.reachable and time.monotonic() - t0 < 2.5


def test_a_damaged_2xx_answer_is_transient(stub):
    stub.set("GET", "/v1/sync/pull", (200, b"{\"changes\": [", {}))
    with pytest.raises(TransientError):
        SyncClient(stub.url).pull()


def test_401_asks_to_sign_in_again(stub):
    stub.set("POST", "/v1/sync/push", error(401, "auth_required", "unknown token"))
    with pytest.raises(AuthError) as ei:
        SyncClient(stub.url, token="old").push([])
    assert ei.value.code == "auth_required"


def test_426_carries_the_servers_message_as_is(stub):
    words = "This app (0.0.1) is too old for the server: update stroll to sync."
    stub.set("GET", "/v1/sync/pull", error(426, "unsupported_protocol", words))
    with pytest.raises(UnsupportedVersion) as ei:
        SyncClient(stub.url).pull()
    assert ei.value.message == words


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422])
def test_other_4xx_are_rejected_with_code_and_message(stub, status):
    stub.set("POST", "/v1/sync/push", error(status, "bad_batch", "entry 3 has no type",
                                            {"seq": 3}))
    with pytest.raises(RejectedError) as ei:
        SyncClient(stub.url).push([])
    e = ei.value
    assert not isinstance(e, (TransientError, AuthError))
    assert (e.status, e.code, e.message, e.details) == (status, "bad_batch",
                                                        "entry 3 has no type", {"seq": 3})


def test_409_sequence_gap_names_the_expected_seq(stub):
    stub.set("POST", "/v1/sync/push", error(409, "sequence_gap", "want 12", {"expected": 12}))
    with pytest.raises(RejectedError) as ei:
        SyncClient(stub.url).push([])
    assert ei.value.code == "sequence_gap" and ei.value.details["expected"] == 12


def test_enroll_with_an_invite_keeps_device_id_and_token(stub):
    stub.set("POST", "/v1/devices", (201, {"device_id": "d1", "token": "tok",
                                           "role": "volunteer", "member_id": "m1",
                                           "member_name": "Mei"}, {}))
    c = SyncClient(stub.url)
    enrolled = c.enroll("phone A", "K7MQ-2XHD-9PRT")
    assert (enrolled.device_id, enrolled.token, enrolled.member_id, enrolled.role) == (
        "d1", "tok", "m1", "volunteer")
    assert (c.device_id, c.token) == ("d1", "tok")
    assert stub.requests[-1]["body"] == {"device_name": "phone A",
                                         "invite_code": "K7MQ-2XHD-9PRT"}
