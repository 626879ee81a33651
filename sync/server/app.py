"""The sync server's HTTP face: ``create_app(settings) -> FastAPI``.

Endpoints (docs/SYNC.md): ``GET /health``, ``POST /v1/devices`` (enroll),
``POST /v1/sync/push``, ``GET /v1/sync/pull``; OpenAPI at ``/docs`` and
``/openapi.json``. Request bodies are read and checked by ``sync.protocol`` (not
by FastAPI models) so every failure names its field the same way on both sides;
the protocol dataclasses still describe the bodies in the OpenAPI document.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from .. import protocol as p
from ..version import VERSION
from .errors import AuthRequired, Forbidden, install_error_handlers
from .settings import Settings
from .storage import Device, Storage, open_storage


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_REQUEST_MODELS = (p.EnrollRequest, p.PushRequest)


def _body_doc(cls) -> dict:
    ref = {"$ref": f"#/components/schemas/{cls.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def _install_openapi(app: FastAPI) -> None:
    """OpenAPI with the request bodies described by the protocol dataclasses (the
    handlers read bodies through sync.protocol, so FastAPI does not see them)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version,
                              description=app.description, routes=app.routes)
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for cls in _REQUEST_MODELS:
                s = TypeAdapter(cls).json_schema(ref_template="#/components/schemas/{model}")
                for name, sub in s.pop("$defs", {}).items():
                    schemas.setdefault(name, sub)
                schemas[cls.__name__] = s
            doc["components"].setdefault("securitySchemes", {})["HTTPBearer"] = {
                "type": "http", "scheme": "bearer",
                "description": "the token from POST /v1/devices"}
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi


class _Body:
    """A request body as read: the bytes, or why they were not taken (raised only
    after the request's headers and token were checked, in the order FastAPI's
    dependencies used to check them)."""
    __slots__ = ("raw", "error")

    def __init__(self, raw: bytes = b"", error: Exception | None = None):
        self.raw = raw
        self.error = error


async def read_body(request: Request, limit: int) -> _Body:
    """The raw request body, or BodyTooLarge past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _Body(error=p.BodyTooLarge(
            f"the request body is {int(declared)} bytes; the most this server takes is "
            f"{limit}: send smaller batches", details={"max_bytes": limit}))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _Body(error=p.BodyTooLarge(
                f"the request body is over {limit} bytes: send smaller batches",
                details={"max_bytes": limit}))
        chunks.append(chunk)
    return _Body(chunks[0] if len(chunks) == 1 else b"".join(chunks))


SMALL_BODY = 64 * 1024  # bytes read before the token is checked (one thread hop for both)


def _small(request: Request) -> bool:
    """A body that declares a length of at most ``SMALL_BODY`` bytes."""
    declared = request.headers.get("content-length")
    return bool(declared) and declared.isdigit() and int(declared) <= SMALL_BODY


def parse_json(raw: bytes) -> Any:
    """A request body as JSON (parsed once, by orjson): MalformedJSON (400) when it is
    not JSON, including NaN/Infinity and nesting past 1,024 levels."""
    if not raw.strip():
        raise p.MalformedJSON("the request body is empty; it must be a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        first = e
    # Refused: the standard library's words for what is wrong, when it agrees.
    try:
        json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise p.MalformedJSON("the request body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise p.MalformedJSON(f"the request body is not valid JSON: {e}") from None
    raise p.MalformedJSON(f"the request body is not valid JSON: {first}") from None


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON: 413 past ``limit`` bytes, 400 when not JSON."""
    body = await read_body(request, limit)
    if body.error is not None:
        raise body.error
    return parse_json(body.raw)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    auth = request.headers.get("authorization")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _params(*names: str) -> list[dict]:
    """OpenAPI parameters of the hand-read headers and query (the handlers read them
    themselves: one thread hop a request, no per-request dependency solving)."""
    known = {
        "protocol": {"name": p.HEADER_PROTOCOL, "in": "header", "required": True,
                     "description": "protocol version", "schema": {"type": "string"}},
        "app": {"name": p.HEADER_APP, "in": "header", "required": False,
                "description": "app version", "schema": {"type": "string"}},
        "enroll_key": {"name": p.HEADER_ENROLL_KEY, "in": "header", "required": False,
                       "description": "the server's SYNC_COORDINATOR_KEY, to enroll a "
                                      "coordinator device", "schema": {"type": "string"}},
        "after": {"name": "after", "in": "query", "required": False,
                  "description": "cursor of the last change the device applied "
                                 "(0: from the start)",
                  "schema": {"type": "integer", "minimum": 0, "default": 0}},
        "limit": {"name": "limit", "in": "query", "required": False,
                  "description": "most changes in this page",
                  "schema": {"type": "integer", "minimum": 1, "maximum": p.MAX_PULL_LIMIT,
                             "default": p.DEFAULT_PULL_LIMIT}},
    }
    return [known[n] for n in names]


_SECURITY = [{"HTTPBearer": []}]


def create_app(settings: Settings, storage: Storage | None = None) -> FastAPI:
    """Build the app. ``storage`` (tests) defaults to the one ``settings.database_url``
    names; the app closes it on shutdown either way."""
    if storage is None:
        storage = open_storage(settings.database_url, pool_size=settings.pool_size,
                               sqlite_synchronous=settings.sqlite_synchronous)
    store: Storage = storage

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        store.close()

    app = FastAPI(title="stroll sync server", version=VERSION, lifespan=lifespan,
                  description="Sync endpoints of stroll (wire contract: docs/SYNC.md). "
                              f"Protocol {p.PROTOCOL_VERSION}; every /v1 request carries "
                              f"{p.HEADER_PROTOCOL} and {p.HEADER_APP}.")
    app.state.settings = settings
    app.state.storage = store
    install_error_handlers(app)
    _install_openapi(app)
    error_responses = {p.status_of(code): {"model": p.ErrorBody, "description": d}
                       for code, d in (("malformed_json", "malformed JSON or header"),
                                       ("auth_required", "auth_required"),
                                       ("body_too_large", "too large"),
                                       ("invalid_message", "invalid_message"),
                                       ("unsupported_protocol", "unsupported_protocol"))}

    def check_headers(request: Request) -> str | None:
        """The protocol header (400/426), then the bearer token (None: none given)."""
        p.check_protocol(request.headers.get(p.HEADER_PROTOCOL))
        return bearer_token(request)

    def authenticate(token: str | None) -> Device:
        if not token:
            raise AuthRequired("this request needs a device token (Authorization: Bearer "
                               "<token>): enroll the device with POST /v1/devices")
        device = store.device_by_token_hash(hash_token(token))
        if device is None:
            raise AuthRequired("the device token is wrong or was revoked: sign in again to "
                               "enroll this device")
        return device

    @app.get("/health", tags=["server"], summary="Is the server and its database up?")
    def health() -> dict:
        store.ping()
        return {"ok": True, "backend": store.name, "protocol": p.PROTOCOL_VERSION,
                "supported_protocols": sorted(p.SUPPORTED_PROTOCOLS), "version": VERSION}

    @app.post("/v1/devices", tags=["sync"], status_code=201, summary="Enroll a device",
              response_model=p.EnrollResponse, responses={**error_responses},
              openapi_extra={**_body_doc(p.EnrollRequest),
                             "parameters": _params("protocol", "app", "enroll_key")})
    async def enroll(request: Request):
        p.check_protocol(request.headers.get(p.HEADER_PROTOCOL))
        req = p.EnrollRequest.from_dict(await read_json(request, 64 * 1024))
        if req.role == "coordinator":
            key = settings.coordinator_key.get_secret_value() if settings.coordinator_key else ""
            given = request.headers.get(p.HEADER_ENROLL_KEY, "")
            if not key:
                raise Forbidden("this server enrolls no coordinator devices (it has no "
                                "SYNC_COORDINATOR_KEY)")
            if not hmac.compare_digest(given.encode(), key.encode()):
                raise Forbidden(f"enrolling a coordinator device needs the right "
                                f"{p.HEADER_ENROLL_KEY} header")
        token = secrets.token_urlsafe(32)
        device = await run_in_threadpool(
            store.create_device, device_id=str(uuid.uuid4()), name=req.device_name,
            member_id=req.member_id, role=req.role, token_hash=hash_token(token),
            app_version=request.headers.get(p.HEADER_APP),
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        return _json(p.EnrollResponse(device.id, token, device.role).to_dict(), 201)

    @app.post("/v1/sync/push", tags=["sync"], summary="Push outbox entries",
              response_model=p.PushResponse,
              responses={**error_responses, p.status_of("sequence_gap"): {
                  "model": p.ErrorBody, "description": "sequence_gap"}},
              openapi_extra={**_body_doc(p.PushRequest), "security": _SECURITY,
                             "parameters": _params("protocol", "app")})
    async def push(request: Request):
        token = check_headers(request)
        device = None
        if not _small(request):
            # a large (or unsized) body is read only for a device the server knows
            device = await run_in_threadpool(authenticate, token)
        body = await read_body(request, settings.max_body_bytes)
        return await run_in_threadpool(_push, token, body, device)

    def _push(token: str | None, body: _Body, device: Device | None = None) -> Response:
        # One thread hop does it all for a small push: token, body, database, answer.
        device = device or authenticate(token)
        if body.error is not None:
            raise body.error
        req = p.PushRequest.from_dict(parse_json(body.raw), max_entries=settings.max_batch)
        if req.device_id != device.id:
            raise Forbidden(f"device_id {req.device_id} is not the device this token belongs "
                            f"to ({device.id})", device_id=req.device_id)
        now = datetime.now(timezone.utc)
        out = store.push(device.id, req.entries, now, last_seq_hint=device.last_seq)
        resp = p.PushResponse(out.acked_through, out.results,
                              now.isoformat(timespec="milliseconds"))
        return _json(resp.to_dict())

    @app.get("/v1/sync/pull", tags=["sync"], summary="Pull changes after a cursor",
             response_model=p.PullResponse, responses={**error_responses},
             openapi_extra={"security": _SECURITY,
                            "parameters": _params("protocol", "app", "after", "limit")})
    async def pull(request: Request) -> Response:
        token = check_headers(request)
        q = request.query_params
        return await run_in_threadpool(_pull, token, q.get("after"), q.get("limit"))

    def _pull(token: str | None, after: str | None, limit: str | None) -> Response:
        device = authenticate(token)
        try:
            after_n, limit_n = p.parse_pull_query(after, limit)
        except p.ProtocolError as e:  # named as FastAPI names query parameters
            raise p.InvalidMessage(e.reason, field=f"query.{e.field}") from None
        # The page comes from the database as JSON bytes: no decode/encode per record.
        page = store.pull_page(after_n, limit_n, full=device.role == "coordinator")
        return Response(page, media_type="application/json")

    return app
