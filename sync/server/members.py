"""Members and their invites: what the member API and ``stroll-server admin`` share.

A member is a ``member`` record the server writes through the same rules, merge and
cursor as a push (so phones receive it on their next pull). An invite is a one-time
code for one member, kept only as a SHA-256 hash, that expires; redeeming it enrolls a
device as that member (docs/SYNC.md, Members and invites).
"""
from __future__ import annotations

import hashlib
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from stroll.domain import Member, StrollError, new_id
from stroll.domain.ids import is_uuid

from .. import protocol as p
from .errors import Forbidden, NotFound
from .rules import Actor, may_manage_member
from .storage import Device, Storage


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Invite:
    member_id: str
    code: str          # XXXX-XXXX-XXXX (shown once; the server keeps its hash)
    expires_at: str

    def link(self, server_url: str | None) -> str:
        """What the QR code holds: the code, and the server's address when known."""
        q = {"code": self.code}
        if server_url:
            q["server"] = server_url
        return "stroll://invite?" + urllib.parse.urlencode(q)

    def qr_svg(self, server_url: str | None) -> str:
        import segno
        # no fixed size: the page scales it (the SVG keeps its viewBox)
        return segno.make(self.link(server_url), error="m").svg_inline(scale=4,
                                                                       omitsize=True)

    def to_dict(self, server_url: str | None = None) -> dict:
        return {"member_id": self.member_id, "code": self.code,
                "expires_at": self.expires_at, "link": self.link(server_url)}


def new_code() -> str:
    return p.format_invite_code("".join(secrets.choice(p.INVITE_ALPHABET)
                                        for _ in range(p.INVITE_LENGTH)))


def member_named(store: Storage, member_id: str) -> dict:
    """The member record ``member_id`` names, or NotFound (text that is not an id in
    canonical form names no member: the database is not asked)."""
    member = store.member_record(member_id) if is_uuid(member_id) else None
    if member is None:
        raise NotFound(f"no member with id {member_id!r}", member_id=member_id)
    return member


def create_invite(store: Storage, actor: Actor, member_id: str, ttl: timedelta,
                  now: datetime | None = None) -> Invite:
    """A new one-time code for ``member_id`` (NotFound, Forbidden as the rules say)."""
    member = member_named(store, member_id)
    refused = may_manage_member(actor, member.get("role"))
    if refused:
        raise Forbidden(refused, member_id=member_id)
    now = now or utcnow()
    code = new_code()
    expires = iso(now + ttl)
    store.create_invite(code_hash=hash_secret(p.normalize_invite_code(code)),
                        member_id=member_id, created_by=actor.member_id,
                        created_at=iso(now), expires_at=expires)
    store.add_audit(at=iso(now), member_id=actor.member_id, device_id=actor.device_id,
                    action="invite", detail=member_id)
    return Invite(member_id, code, expires)


def create_member(store: Storage, actor: Actor, fields: dict, ttl: timedelta,
                  now: datetime | None = None) -> tuple[dict, Invite]:
    """Write a new member record (as ``actor``, under the write rules) and its first
    invite. ``fields``: the member's fields (name, role, languages, ...)."""
    now = now or utcnow()
    data = dict(fields)
    data.setdefault("id", new_id())
    try:
        member = Member.from_dict(data)
    except (StrollError, TypeError, ValueError) as e:
        raise p.InvalidMessage(str(e), field=getattr(e, "field", None) or "body") from None
    entry = p.PushEntry(1, "member", member.id, "upsert", member.to_dict(), iso(now))
    (result,) = store.write_as(actor, [entry], now)
    if result.status != "applied":
        err = result.error
        if err is not None and err.code == "forbidden":
            raise Forbidden(err.message, **err.details)
        raise p.InvalidMessage(err.message if err else "the member was not written",
                               field="body")
    return store.member_record(member.id) or member.to_dict(), create_invite(
        store, actor, member.id, ttl, now)


def revoke_member(store: Storage, actor: Actor, member_id: str,
                  now: datetime | None = None) -> dict:
    """Revoke every device of a member, drop the member's unused invites, end their
    console sessions and stop their calendar feed."""
    member = member_named(store, member_id)
    refused = may_manage_member(actor, member.get("role"))
    if refused:
        raise Forbidden(refused, member_id=member_id)
    at = iso(now or utcnow())
    out = {"member_id": member_id, "devices_revoked": store.revoke_member_devices(member_id, at),
           "invites_dropped": store.drop_member_invites(member_id, at),
           "console_sessions_ended": store.revoke_member_sessions(member_id),
           "calendar_feed_stopped": store.drop_calendar_feed(member_id)}
    store.add_audit(at=at, member_id=actor.member_id, device_id=actor.device_id,
                    action="revoke_member", detail=member_id)
    return out


def device_json(d: Device) -> dict:
    return {"device_id": d.id, "name": d.name, "member_id": d.member_id, "role": d.role,
            "created_at": d.created_at, "expires_at": d.expires_at, "revoked": d.revoked}
