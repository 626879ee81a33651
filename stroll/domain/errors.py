"""Errors of the domain layer: each names what failed, on which record and why."""
from __future__ import annotations


class StrollError(Exception):
    """Base of every error stroll raises on purpose."""

    code = "stroll_error"


class TemplatedError(StrollError):
    """An error whose words are the class's ``message`` template filled with the values
    it is raised with (``FIELDS``, in order); each value is kept as an attribute. A
    subclass names its code and template in its header:
    ``class StrollEnded(_StrollError, code="stroll_ended", message="stroll {stroll_id} …")``."""

    FIELDS: tuple[str, ...] = ()
    message = ""

    def __init_subclass__(cls, code: str | None = None, message: str | None = None, **kw):
        super().__init_subclass__(**kw)
        cls.code = code or cls.code
        cls.message = message or cls.message

    def __init__(self, *values: object):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)
        super().__init__(self.message.format(**dict(zip(self.FIELDS, values))))


class ValidationError(StrollError):
    """A record field holds a value the rules do not allow."""

    code = "invalid_record"

    def __init__(self, record_type: str, field: str, reason: str, record_id: str | None = None):
        self.record_type = record_type
        self.field = field
        self.reason = reason
        self.record_id = record_id
        where = f"{record_type}.{field}"
        if record_id:
            where += f" (id {record_id})"
        super().__init__(f"{where}: {reason}")

    def as_dict(self) -> dict:
        return {"record_type": self.record_type, "field": self.field,
                "reason": self.reason, "record_id": self.record_id}


class UnknownRecordType(StrollError):
    """No record class has this type name (a lookup outside ``RECORD_TYPES``)."""

    code = "unknown_record_type"

    def __init__(self, record_type: str):
        self.record_type = record_type
        super().__init__(f"unknown record type {record_type!r}")
