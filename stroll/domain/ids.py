"""Client-generated record ids: UUID version 7 (time-ordered), as text."""
from __future__ import annotations

import re
import uuid

import uuid6

# the form new_id() writes: checked without building a UUID (a push checks thousands)
_CANONICAL = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{12}\Z")


def new_id() -> str:
    return str(uuid6.uuid7())


def is_uuid(value: str) -> bool:
    if value.__class__ is str and _CANONICAL.match(value):
        return True
    try:
        uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return False
    return True
