"""A member's calendar feed: a secret address a calendar app subscribes to, made,
replaced and stopped from the member's device, and what it serves (docs/SYNC.md,
Calendar feed). The feed itself is built by ``ical.py``.

The address is ``<server>/v1/calendar/<token>.ics``: the token (32 random bytes,
URL-safe base64) is the only secret, since a calendar app sends no other. The server
keeps only its SHA-256 hash, one feed a member; making a new one replaces the old
(whose address stops working), stopping it or revoking the member drops it.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from . import ical
from .members import hash_secret, iso, utcnow
from .rules import Actor
from .storage import Storage

TOKEN_BYTES = 32
# what ``secrets.token_urlsafe(TOKEN_BYTES)`` makes: other text names no feed (the
# database is not asked)
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v1/calendar/{token}.ics"


def create(store: Storage, actor: Actor, base_url: str,
           now: datetime | None = None) -> str:
    """Make (or replace) the feed of ``actor``'s member; its address."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    at = iso(now or utcnow())
    store.set_calendar_feed(actor.member_id, hash_secret(token), at)
    store.add_audit(at=at, member_id=actor.member_id, device_id=actor.device_id,
                    action="calendar_feed", detail="made (an earlier address stops)")
    return feed_url(base_url, token)


def stop(store: Storage, actor: Actor, now: datetime | None = None) -> bool:
    """Stop the feed of ``actor``'s member; whether there was one."""
    stopped = store.drop_calendar_feed(actor.member_id)
    if stopped:
        store.add_audit(at=iso(now or utcnow()), member_id=actor.member_id,
                        device_id=actor.device_id, action="calendar_feed", detail="stopped")
    return stopped


def member_of(store: Storage, token: str) -> str | None:
    """The member whose live feed ``token`` opens, or None."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return store.calendar_feed_member(hash_secret(token))


def render(store: Storage, member_id: str, time_zone: str,
           now: datetime | None = None) -> bytes:
    """The member's feed as it stands now."""
    signups = store.member_shifts(member_id)
    names = {}
    for nid in {shift.get("neighborhood_id") for _, shift in signups}:
        place = store.live_record("neighborhood", nid) if isinstance(nid, str) else None
        if place:
            names[nid] = place.get("name") or ""
    return ical.feed(signups, names, time_zone, now or utcnow(),
                     uid=f"shifts-{member_id}@stroll")


__all__ = ["create", "stop", "member_of", "render", "feed_url", "TOKEN_SHAPE"]
