"""The sync server's HTTP face: ``create_app(settings) -> FastAPI``.

Endpoints (docs/SYNC.md): ``GET /health``, ``POST /v1/devices`` (enroll with an
invite), ``POST /v1/sync/push``, ``GET /v1/sync/pull``, and the member API (members,
invites, devices, revocation, the audit log); OpenAPI at ``/docs`` and
``/openapi.json``. Who may call which endpoint, and write and read which record, is
``rules.py``: every handler asks it. Request bodies are read and checked by
``sync.protocol`` (not by FastAPI models) so every failure names its field the same
way on both sides; ``openapi.py`` describes what each endpoint takes and answers in the
OpenAPI document.
"""
from __future__ import annotations

import json
import logging
import secrets
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from stroll.domain.ids import is_uuid

from .. import protocol as p
from ..version import VERSION
from . import feeds, members, openapi
from .errors import (AuthRequired, DeviceRevoked, Forbidden, InviteInvalid, NotFound,
                     TokenExpired, TooManyRequests, install_error_handlers)
from .limits import RateLimit
from .members import hash_secret as hash_token
from .rules import Actor, carries_survivor_fields, may_call, may_manage_member
from .settings import Settings
from .storage import Device, Storage, open_storage

log = logging.getLogger("stroll.server")


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


def page_query(after: str | None, limit: str | None) -> tuple[int, int]:
    """``after`` and ``limit`` of a paged GET (pull, audit), checked: 422 naming
    ``query.after`` / ``query.limit``."""
    try:
        return p.parse_pull_query(after, limit)
    except p.ProtocolError as e:  # named as FastAPI names query parameters
        raise p.InvalidMessage(e.reason, field=f"query.{e.field}") from None


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
                              f"{p.HEADER_PROTOCOL} and {p.HEADER_APP} (but a calendar "
                              "app's fetch of a feed: its address is the secret).")
    app.state.settings = settings
    app.state.storage = store
    install_error_handlers(app)
    openapi.install(app)
    token_ttl = timedelta(days=settings.token_ttl_days)
    invite_ttl = timedelta(hours=settings.invite_ttl_hours)
    enrollments = RateLimit(settings.enroll_per_minute, 60)
    wrong_invites = RateLimit(settings.enroll_failures_per_hour, 3600)
    feed_fetches = RateLimit(settings.calendar_per_minute, 60)

    def check_headers(request: Request) -> str | None:
        """The protocol header (400/426), then the bearer token (None: none given)."""
        p.check_protocol(request.headers.get(p.HEADER_PROTOCOL))
        return bearer_token(request)

    def authenticate(token: str | None) -> Device:
        if not token:
            raise AuthRequired("this request needs a device token (Authorization: Bearer "
                               "<token>): sign in on the device with an invite code")
        device = store.device_by_token_hash(hash_token(token))
        if device is None:
            raise AuthRequired("the device token is wrong: sign in again with an invite code")
        if device.revoked or device.role is None:
            raise DeviceRevoked("this device was signed out or revoked by a coordinator: "
                                "sign in again with a new invite code", device_id=device.id)
        if device.enrolled_role is not None and device.role != device.enrolled_role:
            # what the device holds was pulled for the old role: it wipes it, and signs in
            # again to pull what the new role sees
            store.revoke_device(device.id, members.iso(datetime.now(timezone.utc)))
            raise DeviceRevoked(f"this member's role changed from {device.enrolled_role} to "
                                f"{device.role}: sign in again with a new invite code",
                                device_id=device.id)
        now = datetime.now(timezone.utc)
        if device.expires_at:
            expires = datetime.fromisoformat(device.expires_at)
            if expires <= now:
                raise TokenExpired(f"this device was not used for more than "
                                   f"{settings.token_ttl_days:g} days: sign in again with "
                                   "a new invite code", device_id=device.id)
            if expires - now < token_ttl / 2:  # in use: refreshed silently
                store.extend_device(device.id, members.iso(now + token_ttl))
        return device

    def actor_of(device: Device) -> Actor:
        return Actor(device.member_id, device.role, device.id)

    def allowed(endpoint: str, token: str | None) -> Actor:
        """The caller's actor, when the rules let it call ``endpoint`` (401/403)."""
        actor = actor_of(authenticate(token))
        if not may_call(endpoint, actor):
            raise Forbidden(f"{endpoint} is not open to a {actor.role}", role=actor.role)
        return actor

    from .console import install as install_console
    install_console(app, store, settings)

    @app.get("/health", tags=["server"], summary="Is the server and its database up?")
    def health() -> dict:
        store.ping()
        return {"ok": True, "backend": store.name, "protocol": p.PROTOCOL_VERSION,
                "supported_protocols": sorted(p.SUPPORTED_PROTOCOLS), "version": VERSION}

    # What each endpoint takes and answers is described in openapi.py (OPERATIONS).
    @app.post("/v1/devices", tags=["sync"], status_code=201, summary="Enroll a device")
    async def enroll(request: Request):
        p.check_protocol(request.headers.get(p.HEADER_PROTOCOL))
        address = request.client.host if request.client else "?"
        wait = wrong_invites.retry_after(address) or enrollments.retry_after(address)
        if wait:
            log.warning("enrollment from %s refused: over the rate limit", address)
            raise TooManyRequests(f"too many sign-ins from this address: try again in "
                                  f"{wait} seconds", retry_after=wait)
        enrollments.hit(address)
        req = p.EnrollRequest.from_dict(await read_json(request, 64 * 1024))
        return await run_in_threadpool(_enroll, req, address,
                                       request.headers.get(p.HEADER_APP))

    def _enroll(req: p.EnrollRequest, address: str, app_version: str | None) -> Response:
        now = datetime.now(timezone.utc)
        code_hash = hash_token(p.normalize_invite_code(req.invite_code))
        token = secrets.token_urlsafe(32)
        device = store.redeem_invite(
            code_hash=code_hash, now=members.iso(now), device_id=str(uuid.uuid4()),
            name=req.device_name, token_hash=hash_token(token), app_version=app_version,
            expires_at=members.iso(now + token_ttl))
        if device is None or device.role is None:
            wrong_invites.hit(address)
            found = store.invite(code_hash)
            why = ("is not a code this server made" if found is None
                   else "was already used" if found[2]
                   else "has expired" if found[1] <= members.iso(now)
                   else "is for a member who was removed")
            log.warning("enrollment from %s refused: the invite code %s", address, why)
            raise InviteInvalid(f"this invite code {why}: ask a coordinator for a new one")
        member = store.member_record(device.member_id) or {}
        store.add_audit(at=members.iso(now), member_id=device.member_id, device_id=device.id,
                        action="enroll", detail=address)
        return _json(p.EnrollResponse(device.id, token, device.role, device.member_id,
                                      member.get("name") or "", device.expires_at).to_dict(),
                     201)

    def invite_json(invite: members.Invite) -> dict:
        return {**invite.to_dict(settings.public_url),
                "qr_svg": invite.qr_svg(settings.public_url)}

    @app.post("/v1/members", tags=["members"], status_code=201,
              summary="Add a member and make their first invite")
    async def add_member(request: Request):
        token = check_headers(request)
        body = await read_json(request, SMALL_BODY)
        if not isinstance(body, dict):
            raise p.InvalidMessage("must be a JSON object of the member's fields",
                                   field="body")
        return await run_in_threadpool(_add_member, token, body)

    def _add_member(token: str | None, body: dict) -> Response:
        actor = allowed("POST /v1/members", token)
        member, invite = members.create_member(store, actor, body, invite_ttl)
        return _json({"member": member, "invite": invite_json(invite)}, 201)

    @app.post("/v1/members/{member_id}/invites", tags=["members"], status_code=201,
              summary="Make a new invite for a member")
    def invite_member(member_id: str, request: Request):
        actor = allowed("POST /v1/members/{member_id}/invites", check_headers(request))
        return _json(invite_json(members.create_invite(store, actor, member_id, invite_ttl)),
                     201)

    @app.post("/v1/members/{member_id}/revoke", tags=["members"],
              summary="Revoke every device of a member and their unused invites")
    def revoke_member(member_id: str, request: Request):
        actor = allowed("POST /v1/members/{member_id}/revoke", check_headers(request))
        return _json(members.revoke_member(store, actor, member_id))

    @app.get("/v1/devices", tags=["members"], summary="The enrolled devices")
    def list_devices(request: Request):
        allowed("GET /v1/devices", check_headers(request))
        return _json({"devices": [members.device_json(d) for d in store.devices()]})

    @app.delete("/v1/devices/{device_id}", tags=["members"],
                summary="Revoke a device (me: this device signs out)")
    def revoke_device(device_id: str, request: Request):
        token = check_headers(request)
        if device_id == "me":
            actor = allowed("DELETE /v1/devices/me", token)
            device_id = actor.device_id
        else:
            actor = allowed("DELETE /v1/devices/{device_id}", token)
            # text that is not an id in canonical form names no device (not asked)
            target = store.device_by_id(device_id) if is_uuid(device_id) else None
            if target is None:
                raise NotFound(f"no device with id {device_id!r}", device_id=device_id)
            refused = may_manage_member(actor, target.role)
            if refused:
                raise Forbidden(refused, device_id=device_id)
        now = members.iso(datetime.now(timezone.utc))
        store.revoke_device(device_id, now)
        store.add_audit(at=now, member_id=actor.member_id, device_id=actor.device_id,
                        action="revoke_device", detail=device_id)
        return _json({"device_id": device_id, "revoked": True})

    @app.get("/v1/audit", tags=["members"], summary="The audit log")
    def audit(request: Request):
        allowed("GET /v1/audit", check_headers(request))
        q = request.query_params
        after, limit = page_query(q.get("after"), q.get("limit"))
        keys = ("id", "at", "member_id", "device_id", "action", "detail")
        return _json({"lines": [dict(zip(keys, r)) for r in store.audit(after, limit)]})

    @app.post("/v1/calendar", tags=["calendar"], status_code=201,
              summary="Make (or replace) this member's calendar feed")
    def create_calendar_feed(request: Request):
        actor = allowed("POST /v1/calendar", check_headers(request))
        base = settings.public_url or str(request.base_url)
        return _json({"url": feeds.create(store, actor, base)}, 201)

    @app.delete("/v1/calendar", tags=["calendar"], status_code=204,
                summary="Stop this member's calendar feed")
    def stop_calendar_feed(request: Request):
        feeds.stop(store, allowed("DELETE /v1/calendar", check_headers(request)))
        return Response(status_code=204)

    @app.get("/v1/calendar/{token}.ics", tags=["calendar"],
             summary="A member's shifts as an iCalendar feed (the address is the secret)")
    def calendar_feed(token: str, request: Request):
        address = request.client.host if request.client else "?"
        wait = feed_fetches.retry_after(address)
        if wait:
            raise TooManyRequests(f"too many calendar fetches from this address: try again "
                                  f"in {wait} seconds", retry_after=wait)
        feed_fetches.hit(address)
        member_id = feeds.member_of(store, token)
        if member_id is None:
            raise NotFound("no calendar feed at this address: it was stopped or replaced; "
                           "make a new link in the app")
        return Response(feeds.render(store, member_id, settings.program_timezone),
                        media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, no-cache"})

    @app.post("/v1/sync/push", tags=["sync"], summary="Push outbox entries")
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
        out = store.push(device.id, req.entries, now, last_seq_hint=device.last_seq,
                         actor=actor_of(device))
        resp = p.PushResponse(out.acked_through, out.results,
                              now.isoformat(timespec="milliseconds"))
        return _json(resp.to_dict())

    @app.get("/v1/sync/pull", tags=["sync"], summary="Pull changes after a cursor")
    async def pull(request: Request) -> Response:
        token = check_headers(request)
        q = request.query_params
        return await run_in_threadpool(_pull, token, q.get("after"), q.get("limit"))

    def _pull(token: str | None, after: str | None, limit: str | None) -> Response:
        device = authenticate(token)
        after_n, limit_n = page_query(after, limit)
        # The page comes from the database as JSON bytes: no decode/encode per record.
        actor = actor_of(device)
        held: list | None = [] if carries_survivor_fields(actor.role) else None
        page = store.pull_page(after_n, limit_n, reader=actor, survivors=held)
        if held:  # a page that carried survivor fields goes to the audit log: who, which
            store.add_audit(at=members.iso(datetime.now(timezone.utc)),
                            member_id=actor.member_id, device_id=actor.device_id,
                            action="pull", detail=held[0])
        return Response(page, media_type="application/json")

    return app
