"""Error codes and HTTP statuses: one table (``sync.protocol.ERROR_CODES``), read at
the server's edge (``sync.server.errors``) and nowhere else."""
from __future__ import annotations

import inspect
import warnings

import pytest
from fastapi import FastAPI

from sync import protocol as p
from sync.server import errors
from sync.server.storage import base

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# each error the server raises, as raised, and the status it answers with
EXPECTED = [
    (p.InvalidMessage("is required", field="entries"), 422, "invalid_message"),
    (p.MalformedJSON("the request body is empty"), 400, "malformed_json"),
    (p.InvalidHeader("is required", field=p.HEADER_PROTOCOL), 400, "invalid_header"),
    (p.UnknownTypeInMessage("unknown record type 'x'", field="entries[0].type"), 422,
     "unknown_record_type"),
    (p.BatchTooLarge("too many entries"), 413, "batch_too_large"),
    (p.BodyTooLarge("too many bytes"), 413, "body_too_large"),
    (p.UnsupportedProtocol(9), 426, "unsupported_protocol"),
    (errors.ApiError("bad"), 400, "bad_request"),
    (errors.AuthRequired("no token"), 401, "auth_required"),
    (errors.TokenExpired("not used for 30 days"), 401, "token_expired"),
    (errors.DeviceRevoked("revoked"), 401, "device_revoked"),
    (errors.Forbidden("not yours", device_id="d"), 403, "forbidden"),
    (errors.InviteInvalid("used"), 403, "invite_invalid"),
    (errors.NotFound("no member"), 404, "not_found"),
    (errors.TooManyRequests("slow down", retry_after=7), 429, "too_many_requests"),
    (base.SequenceGap("d", expected=3, got=5), 409, "sequence_gap"),
    (base.DeviceNotFound("d"), 401, "auth_required"),
    (base.StorageUnavailable("down"), 503, "unavailable"),
    (base.StorageError("refused"), 500, "storage_error"),
    (base.LoginTaken("mei"), 422, "invalid_message"),
]

# the statuses Starlette answers on its own (routing, body and rate limits)
HTTP_ONLY = {400: "bad_request", 401: "auth_required", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large",
             415: "unsupported_media_type", 422: "invalid_message", 429: "too_many_requests",
             500: "internal_error", 503: "unavailable"}


def _error_classes():
    modules = (p, errors, base)
    return {cls for m in modules for _, cls in inspect.getmembers(m, inspect.isclass)
            if issubclass(cls, p.CodedError)}


def test_every_code_the_server_can_answer_is_in_the_one_table():
    for cls in _error_classes():
        assert cls.code in p.ERROR_CODES, cls
    for status, code in HTTP_ONLY.items():
        assert p.code_for_status(status) == code
        assert p.ERROR_CODES[code] == status
    assert {"invalid_message", "internal_error"} <= set(p.ERROR_CODES)  # the handlers' own


def test_every_error_class_is_pinned_here():
    assert {type(e) for e, _, _ in EXPECTED} == _error_classes() - {p.CodedError, p.ProtocolError}


def test_an_errors_status_is_the_tables_status_of_its_code():
    for cls in _error_classes():
        assert cls.status == p.ERROR_CODES[cls.code], cls


@pytest.fixture
def raising_client():
    app = FastAPI()
    errors.install_error_handlers(app)
    by_name = {type(e).__name__: e for e, _, _ in EXPECTED}

    @app.get("/raise/{name}")
    def raise_it(name: str):
        raise by_name[name]

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("exc, status, code", EXPECTED,
                         ids=[type(e).__name__ for e, _, _ in EXPECTED])
def test_each_error_maps_to_its_status_at_the_edge(raising_client, exc, status, code):
    r = raising_client.get(f"/raise/{type(exc).__name__}")
    assert r.status_code == status
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["details"] == exc.details
    assert ("WWW-Authenticate" in r.headers) == (status == 401)


def test_http_errors_without_a_code_get_the_generic_code_of_their_status(raising_client):
    assert raising_client.get("/nowhere").json()["error"]["code"] == "not_found"
    r = raising_client.post("/raise/Forbidden")
    assert (r.status_code, r.json()["error"]["code"]) == (405, "method_not_allowed")
