"""The server's OpenAPI document, told truthfully: what each operation takes (headers,
query, path, body with the constraints the handlers enforce) and every answer it can
give (its 2xx body, and each error status with the one error shape of docs/SYNC.md,
``{"error": {"code", "message", "details"}}``, its codes read off
``sync.protocol.ERROR_CODES``).

The handlers read their requests themselves (``sync.protocol`` checks the bodies, so a
failure names its field the same way on both sides); FastAPI sees none of it, so the
operations are described here, one table keyed by method and path
(``OPERATIONS``), and ``install`` puts them into the document FastAPI builds from
the routes. A route without an entry fails the document's build.
tests/server/test_server_fuzz.py fuzzes a real server against this document.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter

from stroll.domain import RECORD_TYPES, Member

from .. import protocol as p

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_INVITE_GROUP = f"[{p.INVITE_ALPHABET}]{{4}}"
INVITE_PATTERN = f"^{_INVITE_GROUP}-{_INVITE_GROUP}-{_INVITE_GROUP}$"
_REF = "#/components/schemas/{model}"
CALENDAR_TOKEN = "[A-Za-z0-9_-]{43}"  # sync.server.feeds.TOKEN_SHAPE


def _ref(name: str) -> dict:
    return {"$ref": _REF.format(model=name)}


# ---- schemas --------------------------------------------------------------------------

# The protocol's messages, described by their dataclasses; the checks ``from_dict``
# makes that a type cannot say are added by ``_CONSTRAINTS``.
_MESSAGES = (p.EnrollRequest, p.EnrollResponse, p.PushRequest, p.PushResponse,
             p.PullResponse)

_UUID = {"type": "string", "pattern": UUID_PATTERN}
_NO_NUL = "^[^\x00]*$"  # text of a message never holds a NUL character
_TEXT64 = {"maxLength": 64, "pattern": _NO_NUL}

# schema -> property -> keywords added (on the string branch of an optional one)
_CONSTRAINTS: dict[str, dict[str, dict]] = {
    "EnrollRequest": {"device_name": {"minLength": 1, "maxLength": 200, "pattern": _NO_NUL},
                      "invite_code": {"minLength": 1, **_TEXT64}},
    "EnrollResponse": {"device_id": {"pattern": UUID_PATTERN},
                       "member_id": {"pattern": UUID_PATTERN},
                       "role": {"enum": list(p.ROLES)}},
    "PushRequest": {"protocol": {"enum": sorted(p.SUPPORTED_PROTOCOLS)},
                    "app_version": _TEXT64,
                    "device_id": {"minLength": 1, **_TEXT64},
                    "entries": {"maxItems": p.MAX_BATCH_ENTRIES}},
    "PushEntry": {"seq": {"minimum": 1, "maximum": p.MAX_CURSOR},
                  "type": {"enum": sorted(RECORD_TYPES)},
                  "id": {"pattern": UUID_PATTERN},
                  "device_time": _TEXT64},
    "PushResponse": {"acked_through": {"minimum": 0}},
    "PushResult": {"seq": {"minimum": 1}},
    "PullResponse": {"next_cursor": {"minimum": 0}},
    "PullChange": {"cursor": {"minimum": 1}, "type": {"enum": sorted(RECORD_TYPES)},
                   "id": {"pattern": UUID_PATTERN}},
}
# request bodies the handlers refuse unknown keys of
_CLOSED = ("EnrollRequest", "PushRequest", "PushEntry")


def _constrain(schemas: dict) -> None:
    for name, props in _CONSTRAINTS.items():
        properties = schemas[name]["properties"]
        for prop, extra in props.items():
            target = properties[prop]  # KeyError: a constraint of a field that is gone
            branches = [b for b in target.get("anyOf", ()) if b.get("type") != "null"]
            (branches[0] if branches else target).update(extra)
    for name in _CLOSED:
        schemas[name]["additionalProperties"] = False


def _error_schemas(schemas: dict) -> None:
    """``ErrorBody`` is the wrapper every 4xx/5xx body is; ``Error`` the object inside
    it (also a rejected push entry's ``error``)."""
    inner = schemas.pop("ErrorBody")
    inner["title"] = "Error"
    inner["description"] = "What went wrong: a code of the error table, plain words, details."
    inner["properties"]["code"]["pattern"] = "^[a-z0-9_]+$"
    inner["required"] = ["code", "message", "details"]
    schemas["Error"] = inner
    schemas["ErrorBody"] = {
        "title": "ErrorBody", "type": "object", "required": ["error"],
        "additionalProperties": False, "properties": {"error": _ref("Error")},
        "description": 'The one error shape: {"error": {"code", "message", "details"}}.'}
    _retarget(schemas, _REF.format(model="ErrorBody"), _REF.format(model="Error"))


def _retarget(node: Any, old: str, new: str) -> None:
    """Every ``$ref`` to ``old`` in ``node`` now points at ``new``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value == old:
                node[key] = new
            else:
                _retarget(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _retarget(value, old, new)


def _member_schema() -> dict:
    """The member record's fields (``POST /v1/members`` takes them; ``id`` is made when
    not given), read off ``stroll.domain.Member``: types, required fields, closed lists."""
    s = TypeAdapter(Member).json_schema()
    props = s["properties"]
    s["required"] = []
    for f in dataclasses.fields(Member):
        prop, choices = props[f.name], f.metadata.get("choices")
        if choices and prop.get("type") == "array":
            prop.update(items={"enum": list(choices)}, uniqueItems=True)
        elif choices:
            prop["enum"] = list(choices)
        if f.metadata.get("required"):  # never empty; given, unless its default is a value
            if prop.get("type") == "string":
                prop["minLength"] = 1
            if f.default in (None, "", dataclasses.MISSING):
                s["required"].append(f.name)
    props["id"] = {**props.get("id", {}), **_UUID}
    s["additionalProperties"] = False
    s["title"] = "MemberFields"
    return s


def _obj(required: dict, optional: dict | None = None, closed: bool = True) -> dict:
    out = {"type": "object", "required": list(required),
           "properties": {**required, **(optional or {})}}
    if closed:
        out["additionalProperties"] = False
    return out


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_COUNT = {"type": "integer", "minimum": 0}

_ANSWERS = {
    "Health": _obj({"ok": {"type": "boolean"}, "backend": _STR,
                    "protocol": {"type": "integer"},
                    "supported_protocols": {"type": "array", "items": {"type": "integer"}},
                    "version": _STR}),
    "Invite": _obj({"member_id": _UUID, "code": {"type": "string", "pattern": INVITE_PATTERN},
                    "expires_at": _STR, "link": _STR, "qr_svg": _STR}),
    "MemberAdded": _obj({"member": {**_obj({"id": _UUID, "name": _STR,
                                            "role": {"enum": list(p.ROLES)}}, closed=False),
                                    "description": "the member record as the server holds it"},
                         "invite": _ref("Invite")}),
    "MemberRevoked": _obj({"member_id": _STR, "devices_revoked": _COUNT,
                           "invites_dropped": _COUNT, "console_sessions_ended": _COUNT,
                           "calendar_feed_stopped": {"type": "boolean"}}),
    "Device": _obj({"device_id": _UUID, "name": _STR, "member_id": _NSTR,
                    "role": {"enum": [*p.ROLES, None]}, "created_at": _STR,
                    "expires_at": _NSTR, "revoked": {"type": "boolean"}}),
    "Devices": _obj({"devices": {"type": "array", "items": _ref("Device")}}),
    "DeviceRevoked": _obj({"device_id": _UUID, "revoked": {"const": True}}),
    "AuditLine": _obj({"id": {"type": "integer", "minimum": 1}, "at": _STR,
                       "member_id": _NSTR, "device_id": _NSTR, "action": _STR,
                       "detail": _NSTR}),
    "AuditPage": _obj({"lines": {"type": "array", "items": _ref("AuditLine")}}),
    "CalendarFeed": _obj({"url": {
        "type": "string", "pattern": f"^https?://.+/v1/calendar/{CALENDAR_TOKEN}\\.ics$",
        "description": "the feed's address, for a calendar app to subscribe to (a secret: "
                       "anyone who has it sees the member's shifts)"}}),
}


def schemas() -> dict:
    """Every schema of the document's components."""
    out: dict[str, dict] = {}
    for cls in _MESSAGES:
        s = TypeAdapter(cls).json_schema(ref_template=_REF)
        for name, sub in s.pop("$defs", {}).items():
            out.setdefault(name, sub)
        out[cls.__name__] = s
    _constrain(out)
    _error_schemas(out)
    out["MemberFields"] = _member_schema()
    out.update(copy.deepcopy(_ANSWERS))
    return out


# ---- parameters -----------------------------------------------------------------------

_PARAMETERS = {
    "protocol": {"name": p.HEADER_PROTOCOL, "in": "header", "required": True,
                 "description": f"the protocol version the app speaks ({p.PROTOCOL_VERSION}); "
                                "another gets 426 unsupported_protocol, a missing or "
                                "unreadable one 400 invalid_header",
                 "schema": {"type": "string",
                            "enum": [str(v) for v in sorted(p.SUPPORTED_PROTOCOLS)]}},
    "app": {"name": p.HEADER_APP, "in": "header", "required": False,
            "description": "the app's version (every request carries it; kept with a "
                           "device at sign-in)",
            "schema": {"type": "string"}},
    "after": {"name": "after", "in": "query", "required": False,
              "description": "the last cursor (pull) or audit line id already read "
                             "(0: from the start)",
              "schema": {"type": "integer", "minimum": 0, "maximum": p.MAX_CURSOR,
                         "default": 0}},
    "limit": {"name": "limit", "in": "query", "required": False,
              "description": "most changes (pull) or lines (audit) in this page",
              "schema": {"type": "integer", "minimum": 1, "maximum": p.MAX_PULL_LIMIT,
                         "default": p.DEFAULT_PULL_LIMIT}},
    "member_id": {"name": "member_id", "in": "path", "required": True,
                  "description": "the member's id (another text: 404)", "schema": _UUID},
    "token": {"name": "token", "in": "path", "required": True,
              "description": "the feed's secret, as POST /v1/calendar made it (another "
                             "text, or a feed stopped or replaced: 404)",
              "schema": {"type": "string", "pattern": f"^{CALENDAR_TOKEN}$"}},
    "device_id": {"name": "device_id", "in": "path", "required": True,
                  "description": "the device's id, or `me`: the device sending the request "
                                 "(another text: 404)",
                  "schema": {"anyOf": [_UUID, {"type": "string", "enum": ["me"]}]}},
}


# ---- operations -----------------------------------------------------------------------

# The statuses every /v1 request may get, and more by what the operation takes.
_V1 = (400, 426, 500, 503)          # a protocol header missing/unreadable/another; bugs; DB
_TOKEN = (401, 403)                 # the token; the rules (sync/server/rules.py)
_BODY = (400, 408, 413, 422)        # not JSON; body too slow; too large; not the message
_QUERY = (422,)                     # a query parameter out of its bounds

OPERATIONS: dict[tuple[str, str], dict] = {
    ("get", "/health"): {"ok": (200, "Health"), "errors": (500, 503), "params": (),
                         "auth": False},
    ("post", "/v1/devices"): {
        "ok": (201, "EnrollResponse"), "body": "EnrollRequest", "auth": False,
        "errors": (*_V1, *_BODY, 403, 429), "params": ("protocol", "app")},
    ("post", "/v1/sync/push"): {
        "ok": (200, "PushResponse"), "body": "PushRequest",
        "errors": (*_V1, *_TOKEN, *_BODY, 409), "params": ("protocol", "app")},
    ("get", "/v1/sync/pull"): {
        "ok": (200, "PullResponse"), "errors": (*_V1, *_TOKEN, *_QUERY),
        "params": ("protocol", "app", "after", "limit")},
    ("post", "/v1/members"): {
        "ok": (201, "MemberAdded"), "body": "MemberFields",
        "errors": (*_V1, *_TOKEN, *_BODY), "params": ("protocol", "app")},
    ("post", "/v1/members/{member_id}/invites"): {
        "ok": (201, "Invite"), "errors": (*_V1, *_TOKEN, 404),
        "params": ("member_id", "protocol", "app")},
    ("post", "/v1/members/{member_id}/revoke"): {
        "ok": (200, "MemberRevoked"), "errors": (*_V1, *_TOKEN, 404),
        "params": ("member_id", "protocol", "app")},
    ("get", "/v1/devices"): {
        "ok": (200, "Devices"), "errors": (*_V1, *_TOKEN), "params": ("protocol", "app")},
    ("delete", "/v1/devices/{device_id}"): {
        "ok": (200, "DeviceRevoked"), "errors": (*_V1, *_TOKEN, 404),
        "params": ("device_id", "protocol", "app")},
    ("get", "/v1/audit"): {
        "ok": (200, "AuditPage"), "errors": (*_V1, *_TOKEN, *_QUERY),
        "params": ("protocol", "app", "after", "limit")},
    ("post", "/v1/calendar"): {
        "ok": (201, "CalendarFeed"), "errors": (*_V1, *_TOKEN),
        "params": ("protocol", "app")},
    ("delete", "/v1/calendar"): {
        "ok": (204, None), "errors": (*_V1, *_TOKEN), "params": ("protocol", "app")},
    # a calendar app sends no header of the protocol: the address is the secret
    ("get", "/v1/calendar/{token}.ics"): {
        "ok": (200, "text/calendar"), "errors": (404, 429, 500, 503),
        "params": ("token",), "auth": False},
}


def _error_response(status: int) -> dict:
    codes = [c for c, s in p.ERROR_CODES.items() if s == status]
    schema = {"allOf": [_ref("ErrorBody"), {"properties": {"error": {
        "properties": {"code": {"enum": codes}}}}}]}
    return {"description": ", ".join(codes) + " (docs/SYNC.md, One error shape)",
            "content": {"application/json": {"schema": schema}}}


def _operation(op: dict, spec: dict) -> None:
    status, model = spec["ok"]
    responses = {str(status): {"description": op.get("summary", "OK")}}
    if model is not None and "/" in model:  # a media type other than JSON: text
        responses[str(status)]["content"] = {model: {"schema": {"type": "string"}}}
    elif model is not None:
        responses[str(status)]["content"] = {"application/json": {"schema": _ref(model)}}
    for s in sorted(set(spec["errors"])):
        responses[str(s)] = _error_response(s)
    op["responses"] = responses
    op["parameters"] = [copy.deepcopy(_PARAMETERS[n]) for n in spec["params"]]
    if not op["parameters"]:
        op.pop("parameters")
    if "body" in spec:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(spec["body"])}}}
    if spec.get("auth", True):
        op["security"] = [{"HTTPBearer": []}]


def document(app: FastAPI) -> dict:
    """The OpenAPI document of ``app``'s routes, described by ``OPERATIONS``."""
    from fastapi.openapi.utils import get_openapi
    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            spec = OPERATIONS.get((method, path))
            if spec is None:
                raise LookupError(f"{method.upper()} {path} is not described in "
                                  "sync/server/openapi.py OPERATIONS")
            _operation(op, spec)
    doc["components"] = {
        "schemas": schemas(),
        "securitySchemes": {"HTTPBearer": {
            "type": "http", "scheme": "bearer",
            "description": "the token from POST /v1/devices"}}}
    return doc


def install(app: FastAPI) -> None:
    """Serve ``document(app)`` (built once) at /openapi.json."""
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi
