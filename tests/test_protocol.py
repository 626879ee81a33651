"""sync.protocol: the wire messages round-trip, and every broken message names its field."""
from __future__ import annotations

import json

import pytest

from sync import protocol as p
from stroll.domain import new_id


def entry(seq=1, **over):
    d = {"seq": seq, "type": "incident", "id": new_id(), "op": "upsert",
         "data": {"harm_types": ["shunning"]}, "device_time": "2026-11-21T19:02:11-08:00"}
    d.update(over)
    return d


def push(entries=None, **over):
    d = {"protocol": 1, "app_version": "0.1.0", "device_id": new_id(),
         "entries": entries if entries is not None else [entry(1), entry(2)]}
    d.update(over)
    return d


def roundtrip(cls, obj):
    again = cls.from_dict(json.loads(json.dumps(obj.to_dict())))
    assert again == obj
    return again


# ---- round trips ----------------------------------------------------------------------

def test_push_request_round_trips_through_json():
    req = p.PushRequest.from_dict(push())
    assert [e.seq for e in req.entries] == [1, 2]
    roundtrip(p.PushRequest, req)


def test_push_response_with_errors_and_decisions_round_trips():
    resp = p.PushResponse(acked_through=3, server_time="2026-11-22T03:00:00+00:00", results=[
        p.PushResult(1, "applied"),
        p.PushResult(2, "rejected", error=p.ErrorBody("invalid_record", "incident.lat: bad",
                                                      {"field": "lat"})),
        p.PushResult(3, "applied", decision=p.Decision("waitlisted", "shift is full")),
    ])
    roundtrip(p.PushResponse, resp)


def test_pull_response_with_tombstone_round_trips():
    resp = p.PullResponse(changes=[p.PullChange(5, "incident", new_id(), "upsert", {"a": 1}),
                                   p.PullChange(9, "incident", new_id(), "delete", None)],
                          next_cursor=9, has_more=True)
    roundtrip(p.PullResponse, resp)


def test_enroll_and_error_messages_round_trip():
    roundtrip(p.EnrollRequest, p.EnrollRequest("phone 1", "K7MQ-2XHD-9PRT"))
    roundtrip(p.EnrollResponse, p.EnrollResponse(new_id(), "secret", "coordinator", new_id(),
                                                 "Mei", "2026-12-30T00:00:00+00:00"))
    roundtrip(p.ErrorBody, p.ErrorBody("sequence_gap", "expected 4", {"expected": 4}))


def test_delete_entry_needs_no_data():
    e = p.PushEntry.from_dict(entry(op="delete", data=None))
    assert e.data == {}


def test_request_headers_carry_protocol_app_and_token():
    h = p.request_headers("0.1.0", "tok")
    assert h == {"X-Stroll-Protocol": "1", "X-Stroll-App": "0.1.0",
                 "Authorization": "Bearer tok"}


def test_every_error_code_has_a_status():
    for cls in (p.InvalidMessage, p.MalformedJSON, p.InvalidHeader, p.UnknownTypeInMessage,
                p.BatchTooLarge, p.BodyTooLarge):
        assert p.ERROR_CODES[cls.code] == cls.status
    assert p.ERROR_CODES[p.UnsupportedProtocol.code] == 426


# ---- validation failures name the field --------------------------------------------------

@pytest.mark.parametrize("change, field, words", [
    (lambda d: d["entries"][1].update(seq="2"), "entries[1].seq", "must be an integer"),
    (lambda d: d["entries"][0].update(seq=0), "entries[0].seq", "at least 1"),
    (lambda d: d["entries"][0].update(seq=True), "entries[0].seq", "must be an integer"),
    (lambda d: d["entries"][1].update(seq=5), "entries[1].seq", "must be 2"),
    (lambda d: d["entries"][1].update(seq=1), "entries[1].seq", "must be 2"),
    (lambda d: d["entries"][0].pop("id"), "entries[0].id", "is required"),
    (lambda d: d["entries"][0].update(id=7), "entries[0].id", "must be a string"),
    (lambda d: d["entries"][0].update(op="merge"), "entries[0].op", "must be one of"),
    (lambda d: d["entries"][0].update(data=[1]), "entries[0].data", "must be an object"),
    (lambda d: d["entries"][0].pop("data"), "entries[0].data", "is required"),
    (lambda d: d["entries"][0].update(extra=1), "entries[0].extra", "not a field"),
    (lambda d: d["entries"][0].update(device_time=5), "entries[0].device_time", "string"),
    (lambda d: d.update(entries="x"), "entries", "must be a list"),
    (lambda d: d.pop("entries"), "entries", "is required"),
    (lambda d: d.pop("device_id"), "device_id", "is required"),
    (lambda d: d.update(protocol="one"), "protocol", "must be an integer"),
    (lambda d: d.update(entries=[1]), "entries[0]", "must be an object"),
])
def test_invalid_push_names_the_field(change, field, words):
    d = push()
    change(d)
    with pytest.raises(p.ProtocolError) as info:
        p.PushRequest.from_dict(d)
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(field + ":")
    assert info.value.status == 422


def test_push_body_must_be_an_object():
    with pytest.raises(p.InvalidMessage, match="must be an object"):
        p.PushRequest.from_dict([1, 2])


def test_unknown_record_type_is_its_own_error():
    with pytest.raises(p.UnknownTypeInMessage) as info:
        p.PushRequest.from_dict(push([entry(1), entry(2, type="spaceship")]))
    assert info.value.field == "entries[1].type"
    assert info.value.code == "unknown_record_type" and info.value.status == 422
    assert "spaceship" in str(info.value) and "incident" in str(info.value)


def test_a_record_type_that_is_not_text_is_an_invalid_message_not_a_crash():
    with pytest.raises(p.InvalidMessage) as info:
        p.PushRequest.from_dict(push([entry(1, type=["incident"])]))
    assert info.value.field == "entries[0].type"


def test_oversized_batch_is_refused_with_the_limit():
    with pytest.raises(p.BatchTooLarge) as info:
        p.PushRequest.from_dict(push([entry(i + 1) for i in range(4)]), max_entries=3)
    assert info.value.status == 413
    assert info.value.details["max_entries"] == 3


def test_batch_at_the_limit_is_accepted():
    req = p.PushRequest.from_dict(push([entry(i + 1) for i in range(3)]), max_entries=3)
    assert len(req.entries) == 3


def test_empty_push_is_valid():
    assert p.PushRequest.from_dict(push([])).entries == []


# ---- versions ------------------------------------------------------------------------

def test_future_protocol_version_is_unsupported_with_a_readable_message():
    with pytest.raises(p.UnsupportedProtocol) as info:
        p.PushRequest.from_dict(push(protocol=2))
    err = info.value
    assert err.status == 426 and err.code == "unsupported_protocol"
    assert err.details == {"received": 2, "supported": [1]}
    assert "Update the app" in str(err)


@pytest.mark.parametrize("header", ["1", " 1 ", 1])
def test_supported_protocol_header_is_accepted(header):
    assert p.check_protocol(header) == 1


@pytest.mark.parametrize("header, error", [
    (None, p.InvalidHeader), ("", p.InvalidHeader), ("abc", p.InvalidHeader),
    ("99", p.UnsupportedProtocol), ("0", p.UnsupportedProtocol),
])
def test_missing_or_unsupported_protocol_header(header, error):
    with pytest.raises(error):
        p.check_protocol(header)


# ---- pull query and response ---------------------------------------------------------------

def test_pull_query_defaults_and_bounds():
    assert p.parse_pull_query(None, None) == (0, p.DEFAULT_PULL_LIMIT)
    assert p.parse_pull_query("7", "10") == (7, 10)
    for after, limit, field in [("x", None, "after"), ("-1", None, "after"),
                                (None, "0", "limit"), (None, str(p.MAX_PULL_LIMIT + 1), "limit")]:
        with pytest.raises(p.InvalidMessage) as info:
            p.parse_pull_query(after, limit)
        assert info.value.field == field


def test_pull_response_cursors_must_increase():
    d = p.PullResponse([p.PullChange(5, "incident", new_id(), "upsert", {}),
                        p.PullChange(5, "incident", new_id(), "upsert", {})], 5).to_dict()
    with pytest.raises(p.InvalidMessage) as info:
        p.PullResponse.from_dict(d)
    assert info.value.field == "changes[1].cursor"


def test_pull_upsert_needs_data():
    d = {"changes": [{"cursor": 1, "type": "incident", "id": new_id(), "op": "upsert",
                      "data": None}],
         "next_cursor": 1, "has_more": False}
    with pytest.raises(p.InvalidMessage) as info:
        p.PullResponse.from_dict(d)
    assert info.value.field == "changes[0].data"


def test_enrollment_takes_an_invite_code_and_no_role():
    with pytest.raises(p.InvalidMessage) as info:
        p.EnrollRequest.from_dict({"device_name": "x", "invite_code": "AB", "role": "admin"})
    assert info.value.field == "role"
    with pytest.raises(p.InvalidMessage) as info:
        p.EnrollRequest.from_dict({"device_name": "x"})
    assert info.value.field == "invite_code"


@pytest.mark.parametrize("typed", ["k7mq2xhd9prt", "K7MQ-2XHD-9PRT", " k7mq 2xhd 9prt "])
def test_an_invite_code_reads_the_same_however_it_is_typed(typed):
    assert p.normalize_invite_code(typed) == "K7MQ2XHD9PRT"
    assert p.format_invite_code(typed) == "K7MQ-2XHD-9PRT"


def test_an_enrollment_answer_names_a_known_role():
    answer = p.EnrollResponse(new_id(), "secret", "admin", new_id()).to_dict()
    assert p.EnrollResponse.from_dict(answer).role == "admin"
    with pytest.raises(p.InvalidMessage) as info:
        p.EnrollResponse.from_dict({**answer, "role": "mayor"})
    assert info.value.field == "role"


def test_error_body_reads_the_one_shape():
    e = p.ErrorBody.from_dict({"error": {"code": "auth_required", "message": "sign in"}})
    assert e.details == {}
    with pytest.raises(p.InvalidMessage):
        p.ErrorBody.from_dict({"detail": "Not Found"})


# a fixed id: the tests keep the same names at every collection
_ID = "0192f1c4-5b7e-7a31-9d2e-3c4b5a697887"


@pytest.mark.parametrize("rid", [
    _ID.upper(), "{" + _ID + "}", "urn:uuid:" + _ID, "\t" + _ID,
    _ID + "\n", "not-a-uuid", "a\"b", ""])
def test_a_push_entry_id_must_be_a_canonical_uuid(rid):
    good = {"seq": 1, "type": "incident", "id": new_id(), "op": "delete", "data": {}}
    bad = {**good, "seq": 2, "id": rid}
    with pytest.raises(p.InvalidMessage) as info:
        p.PushRequest.from_dict({"protocol": 1, "app_version": "t", "device_id": new_id(),
                                 "entries": [good, bad]})
    assert info.value.field == "entries[1].id"


def test_a_pull_cursor_beyond_64_bits_is_refused_not_a_server_error():
    assert p.parse_pull_query(str(p.MAX_CURSOR), "10") == (p.MAX_CURSOR, 10)
    with pytest.raises(p.InvalidMessage) as info:
        p.parse_pull_query(str(p.MAX_CURSOR + 1), "10")
    assert info.value.field == "after"
