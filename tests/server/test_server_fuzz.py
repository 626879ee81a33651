"""schemathesis against the OpenAPI document of a real ``stroll-server`` (both backends).

The document is the one the live server serves at ``/openapi.json`` (built in process at
collection, so each operation is its own test, and checked equal to the served one);
every operation is fuzzed with valid and invalid requests (schemathesis's coverage
phase, then ``MAX_EXAMPLES`` fuzzed cases per generation mode) sent to the live server.
Every request carries the headers every /v1 request needs and the token of a device
whose role may call the operation (an admin: every endpoint is open to it), so fuzzed
requests reach the handlers. A valid push is sent as the token's device with its next
seqs and, in half of its entries, a valid record of the entry's type, so it reaches the
merge and the database; some path ids and invite codes are swapped for real ones, so
the 2xx answers are checked too. Checks: no 5xx, the status is one the operation
documents, the content type and body (2xx and errors) conform to the document.
``STROLL_FUZZ_EXAMPLES=300`` runs deeper (about 5 minutes).
"""
from __future__ import annotations

import os
import random
from collections import Counter, defaultdict

import pytest
import requests
import schemathesis
from schemathesis import Config
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

import server_records as records
from conftest import APP_VERSION, DeviceAuth, make_invite
from stroll.domain import RECORD_TYPES
from sync import protocol as p

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

# ~60-90 s for both backends: the coverage phase (boundaries of every documented
# constraint, each required field missing, ...) plus this many fuzzed cases per operation
# and generation mode.
MAX_EXAMPLES = int(os.environ.get("STROLL_FUZZ_EXAMPLES", "40"))  # more: a deeper run
SETTINGS = {
    "seed": 20261121,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
    "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
}

# a valid record of each type, given its id
RECORDS = {"incident": records.incident, "check_in": records.check_in,
           "track_chunk": records.track_chunk, "shift": records.shift,
           "neighborhood": records.neighborhood, "route": records.route,
           "member": records.member, "merchant": records.merchant, "stroll": records.stroll,
           "follow_up": lambda **kw: records.follow_up(records.new_id(), **kw),
           "signup": lambda **kw: records.signup(records.new_id(), **kw),
           "referral": lambda **kw: records.referral(**kw),
           "partner": records.partner, "roster": records.roster,
           "shift_team": records.shift_team}

# (backend, "METHOD /path") -> how many requests were sent / answered with each status
SENT: dict[str, Counter] = defaultdict(Counter)
STATUSES: dict[tuple[str, str], Counter] = defaultdict(Counter)


def _backend(live) -> str:
    return "postgres" if live.database_url.startswith("postgres") else "sqlite"


class Callers:
    """The devices the fuzzed requests are sent as, and real ids to swap in."""

    def __init__(self, live):
        self.live = live
        self.admin = live.enroll("admin", name="fuzz admin")
        self.rng = random.Random(1121)

    def fresh(self, role: str = "volunteer") -> DeviceAuth:
        return self.live.enroll(role, name="fuzz target")

    def member_id(self) -> str:
        member, _ = make_invite(self.live.storage, "volunteer", name="Fuzz target")
        return member["id"]

    def feed_token(self) -> str:
        """The token of a live calendar feed (of a new member)."""
        from sync.server import feeds
        from sync.server.rules import Actor
        url = feeds.create(self.live.storage, Actor(self.member_id(), "volunteer"),
                           self.live.base)
        return url.rsplit("/", 1)[1].removesuffix(".ics")

    def prepare(self, case) -> DeviceAuth:
        """Swap real ids into about half the cases, valid or not (an invalid case keeps
        whatever else is wrong with it); the device the case is sent as."""
        dev = self.admin
        path, body, params = case.operation.path, case.body, case.path_parameters or {}
        if self.rng.random() < 0.5:
            if "member_id" in params:
                params["member_id"] = self.member_id()
            if "device_id" in params:
                params["device_id"] = self.fresh().device_id
            if "token" in params:
                params["token"] = self.feed_token()
            if path == "/v1/devices" and case.method == "POST" and isinstance(body, dict):
                body["invite_code"] = make_invite(self.live.storage)[1]
        if path == "/v1/devices/{device_id}" and params.get("device_id") == "me":
            dev = self.fresh()  # signs itself out
        if path == "/v1/sync/push" and isinstance(body, dict) and isinstance(
                body.get("device_id"), str):
            # as the token's device (an admin's: it may write every type), with its
            # next seqs: the push reaches the merge
            dev = self.fresh("admin")
            body["device_id"] = dev.device_id
            entries = body.get("entries")
            for i, e in enumerate(entries if isinstance(entries, list) else ()):
                if not isinstance(e, dict):
                    continue
                if isinstance(e.get("seq"), int) and e["seq"] >= 1:
                    e["seq"] = i + 1
                rtype = e.get("type")
                if (isinstance(rtype, str) and rtype in RECORDS and isinstance(e.get("id"), str)
                        and self.rng.random() < 0.5):
                    # a valid record in a fuzzed entry: it reaches the database
                    e["data"] = RECORDS[rtype](id=e["id"])
        return dev


@pytest.fixture(scope="module")
def callers(live) -> Callers:
    return Callers(live)


def _served_document() -> dict:
    """The OpenAPI document a stroll-server serves (built by the same code, in process:
    schemathesis 4.32's lazy ``from_fixture`` does not run under pytest 9, so the
    operations are parametrized at collection; the live servers are checked to serve
    this very document)."""
    import tempfile

    from sync.server.app import create_app
    from sync.server.settings import Settings
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/openapi.db"))
        try:
            return app.openapi()
        finally:
            app.state.storage.close()


DOCUMENT = _served_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=Config.from_dict(SETTINGS))


def test_the_live_server_serves_the_fuzzed_document(live):
    assert requests.get(live.base + "/openapi.json", timeout=10).json() == DOCUMENT


@schema.parametrize()
def test_the_server_answers_every_fuzzed_request_as_its_openapi_says(case, live, callers):
    dev = callers.prepare(case)
    headers = {p.HEADER_APP: APP_VERSION, p.HEADER_AUTH: f"Bearer {dev.token}"}
    if p.HEADER_PROTOCOL not in (case.headers or {}):
        headers[p.HEADER_PROTOCOL] = str(p.PROTOCOL_VERSION)
    response = case.call(base_url=live.base, headers=headers, timeout=30)
    key = case.operation.label
    SENT[_backend(live)][key] += 1
    STATUSES[(_backend(live), key)][response.status_code] += 1
    if key == "POST /v1/sync/push" and response.status_code == 200:
        for result in response.json()["results"]:
            why = (result.get("error") or {}).get("code")
            STATUSES[(_backend(live), "push results")][
                result["status"] + (f" ({why})" if why else "")] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_the_fuzzing_reached_every_operation_and_its_success(live):
    backend = _backend(live)
    sent = SENT[backend]
    assert sent, "the fuzz test did not run before this one"
    assert set(RECORDS) == set(RECORD_TYPES), "a record type without a valid record here"
    lines = [f"{backend}: {n:4d} {op}  {dict(sorted(STATUSES[(backend, op)].items()))}"
             for op, n in sorted(sent.items())]
    lines.append(f"{backend}: push results {dict(STATUSES[(backend, 'push results')])}")
    print("\n" + "\n".join(lines))
    for op, n in sent.items():
        assert n >= (3 if op == "GET /health" else 40), f"{op}: only {n} requests"
    push = STATUSES[(backend, "POST /v1/sync/push")]
    assert push[200] >= 5, f"fuzzed pushes did not reach the merge: {dict(push)}"
    results = STATUSES[(backend, "push results")]
    assert results["applied"] >= 1, f"no fuzzed entry reached the database: {dict(results)}"
