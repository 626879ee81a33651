"""Client-generated record ids: UUID version 7 (time-ordered), as text.

An id is accepted only in the canonical form ``str(uuid.UUID(...))`` gives: lower-case
hex, hyphenated 8-4-4-4-12. ``uuid.UUID()`` also reads braces, ``urn:uuid:``, upper case
and surrounding whitespace; each of those would be a second spelling of one record (and
text the server must never echo into a pull page), so none is an id here.
"""
from __future__ import annotations

import re

import uuid6

ID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def new_id() -> str:
    return str(uuid6.uuid7())


def is_uuid(value: object) -> bool:
    """True for a UUID in canonical form (what ``new_id`` writes), else False."""
    return value.__class__ is str and ID_PATTERN.match(value) is not None
