"""The records stroll keeps, synced between devices and the server.

Every record is a dataclass with a client-generated UUID ``id``. Field metadata
carries the rules the generic validator applies:

- ``choices``: the closed list a value (or each item of a list) must come from;
- ``required``: must be present and non-empty;
- ``sensitive``: survivor contact details and narratives, which only users with
  the right scope may receive (the server strips them for everyone else);
- ``lat`` / ``lon``: a coordinate, range-checked;
- ``names`` (kind): a place's name in other languages, ``{language: name}``
  (``place_names.py``: which languages, how long, and which name a person reads).

``merge`` on the class says how the server combines concurrent writes:
``append`` (written once, never edited: a later write of the same id is a
duplicate), ``fields`` (per-field last-writer-wins on the server's receive order).

Size: every record type in one module on purpose: together they are the schema the
device store, the sync protocol and the server share, read as one page; the
validator beside them is what the field metadata means.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from . import taxonomy as tx
from .errors import UnknownRecordType, ValidationError
from .ids import is_uuid, new_id
from .place_names import names_problem
from .plausibility import phone_e164


def _f(default: Any = None, *, choices=None, required=False, sensitive=False, kind=None):
    meta = {"choices": choices, "required": required, "sensitive": sensitive, "kind": kind}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def parse_time(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.astimezone()


@dataclass
class Record:
    TYPE: ClassVar[str] = ""
    MERGE: ClassVar[str] = "fields"

    id: str = field(default_factory=new_id)

    # ---- generic behaviour -------------------------------------------------
    def to_dict(self) -> dict:
        return {name: _copy(getattr(self, name)) for name, *_ in _spec(type(self))}

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        if not isinstance(data, dict):
            raise ValidationError(cls.TYPE, "*", "record must be an object")
        unknown = data.keys() - _names(cls)
        if unknown:
            raise ValidationError(cls.TYPE, min(unknown), "unknown field", data.get("id"))
        # What ``cls(**data)`` does, without matching keyword names (half the cost of
        # building a 40-field record from decoded JSON): every field in field order,
        # the given values over the defaults, a fresh value from each default factory.
        template, factories = _template(cls)
        if template is None:  # a field without a default: the constructor says so
            rec = cls(**data)
            rec.validate()
            return rec
        rec = cls.__new__(cls)
        fields = rec.__dict__
        fields.update(template)
        fields.update(data)
        for name, factory in factories:
            if fields[name] is _FACTORY:
                fields[name] = factory()
        rec.validate()
        return rec

    @classmethod
    def sensitive_fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("sensitive"))

    def fail(self, field_name: str, reason: str):
        raise ValidationError(self.TYPE, field_name, reason, self.id)

    def validate(self) -> "Record":
        if not isinstance(self.id, str) or not is_uuid(self.id):
            self.fail("id", f"must be a UUID, got {self.id!r}")
        _validator(type(self))(self)
        self.check()
        return self

    def check(self) -> None:
        """Rules across fields; subclasses override."""


_FACTORY = object()  # a field whose default comes from a factory, not yet made
_TEMPLATES: dict[type, tuple] = {}


def _template(cls: type) -> tuple[dict | None, tuple]:
    """Per class, built once: {field: default (or _FACTORY)} in field order, and the
    (field, default factory) pairs; (None, ()) when a field has no default."""
    t = _TEMPLATES.get(cls)
    if t is None:
        fields = dataclasses.fields(cls)
        if any(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in fields):
            t = _TEMPLATES[cls] = (None, ())
            return t
        t = _TEMPLATES[cls] = (
            {f.name: _FACTORY if f.default_factory is not dataclasses.MISSING else f.default
             for f in fields},
            tuple((f.name, f.default_factory) for f in fields
                  if f.default_factory is not dataclasses.MISSING))
    return t


_SPECS: dict[type, tuple] = {}
_NAMES: dict[type, frozenset] = {}


def _kind_of(f: dataclasses.Field) -> str | None:
    """The field's ``kind``, or the one its annotation implies: every field is checked
    for its type (``str`` -> text, ``float`` -> number), not only those that say so."""
    kind = f.metadata.get("kind")
    if kind is None and not f.metadata.get("choices"):
        base = f.type.split("|")[0].strip()
        kind = {"str": "text", "float": "number", "int": "count", "bool": "bool"}.get(base)
    return kind


def _spec(cls: type) -> tuple:
    """Per-class validation plan, built once: (name, required, container, kind, choices)."""
    spec = _SPECS.get(cls)
    if spec is None:
        spec = tuple(
            (f.name, bool(f.metadata.get("required")),
             list if f.type == "list" else dict if f.type == "dict" else None,
             _kind_of(f),
             frozenset(f.metadata["choices"]) if f.metadata.get("choices") else None)
            for f in dataclasses.fields(cls))
        _SPECS[cls] = spec
    return spec


def _names(cls: type) -> frozenset:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = frozenset(name for name, *_ in _spec(cls))
    return names


_VALIDATORS: dict[type, Any] = {}


def _validator(cls: type):
    """The per-field checks of ``cls`` as one straight-line function, generated once
    from its field metadata (what a loop over the fields would do, without the loop:
    the server validates every pushed record, and this is most of its time)."""
    fn = _VALIDATORS.get(cls)
    if fn is None:
        fn = _VALIDATORS[cls] = _compile_validator(cls)
    return fn


def _compile_validator(cls: type):
    env: dict[str, Any] = {"_check_kind": _check_kind, "_hashable": _hashable,
                           "_bad_choice": _bad_choice, "_bad_container": _bad_container,
                           "_bad_type": _bad_type, "_holds_nul": _holds_nul}
    lines = ["def validate(self):"]
    for i, (name, required, container, kind, choices) in enumerate(_spec(cls)):
        lines.append(f"    value = self.{name}")
        lines.append("    if value is None:")
        lines.append(f"        self.fail({name!r}, 'is required')" if required else "        pass")
        lines.append("    else:")
        lines.append("        vtype = value.__class__")
        if required:
            lines.append("        if not value and vtype in (str, list, dict):")
            lines.append(f"            self.fail({name!r}, 'is required')")
        if container is not None:
            env[f"C{i}"] = container
            lines.append(f"        if vtype is not C{i} and not isinstance(value, C{i}):")
            lines.append(f"            _bad_container(self, {name!r}, C{i}, value)")
            if choices is None:  # free content (a team, a path, tallies): no NUL inside
                lines.append("        if _holds_nul(value):")
                lines.append(f"            self.fail({name!r}, 'holds a NUL character')")
        if kind == "text":
            lines.append("        if vtype is not str and not isinstance(value, str):")
            lines.append(f"            _bad_type(self, {name!r}, 'text', value)")
            lines.append("        if '\\x00' in value:")
            lines.append(f"            self.fail({name!r}, 'holds a NUL character')")
        elif kind == "bool":
            lines.append("        if vtype is not bool:")
            lines.append(f"            _bad_type(self, {name!r}, 'bool', value)")
        elif kind is not None:
            lines.append(f"        _check_kind(self, {name!r}, {kind!r}, value)")
        if choices is not None:
            env[f"S{i}"] = choices
            if container is list:
                lines.append("        if value:")
                lines.append("            if len(set(map(_hashable, value))) != len(value):")
                lines.append(f"                self.fail({name!r}, 'lists a value twice')")
                lines.append("            for item in value:")
                lines.append(f"                if item.__class__ is not str or item not in S{i}:")
                lines.append(f"                    _bad_choice(self, {name!r}, item)")
            else:
                lines.append(f"        if vtype is not str or value not in S{i}:")
                lines.append(f"            _bad_choice(self, {name!r}, value)")
    lines.append("    return self")
    exec(compile("\n".join(lines), f"<validator of {cls.__name__}>", "exec"), env)
    return env["validate"]


def _bad_container(rec: "Record", name: str, container: type, value) -> None:
    rec.fail(name, f"must be a {'list' if container is list else 'mapping'}, "
                   f"got {type(value).__name__}")


def _bad_type(rec: "Record", name: str, kind: str, value) -> None:
    if kind == "text":
        rec.fail(name, f"must be text, got {type(value).__name__}")
    rec.fail(name, f"must be true or false, got {value!r}")


def _bad_choice(rec: "Record", name: str, item) -> None:
    allowed = next(f.metadata["choices"] for f in dataclasses.fields(rec) if f.name == name)
    rec.fail(name, f"unknown value {item!r} (allowed: {', '.join(allowed)})")


def _copy(value):
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _hashable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _check_kind(rec: "Record", name: str, kind: str, value) -> None:
    if kind == "text":
        if not isinstance(value, str):
            rec.fail(name, f"must be text, got {type(value).__name__}")
    elif kind == "time":
        if not isinstance(value, str):
            rec.fail(name, f"must be an ISO 8601 time, got {value!r}")
        try:
            parse_time(value)
        except ValueError:
            rec.fail(name, f"not an ISO 8601 time: {value!r}")
    elif kind == "lat":
        if not _in_range(value, -90, 90):
            rec.fail(name, f"latitude out of range (-90..90): {value!r}")
    elif kind == "lon":
        if not _in_range(value, -180, 180):
            rec.fail(name, f"longitude out of range (-180..180): {value!r}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            rec.fail(name, f"must be a number, got {value!r}")
    elif kind == "count":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            rec.fail(name, f"must be a whole number >= 0, got {value!r}")
    elif kind == "bool":
        if not isinstance(value, bool):
            rec.fail(name, f"must be true or false, got {value!r}")
    elif kind == "names":
        reason = names_problem(value)
        if reason:
            rec.fail(name, reason)


def _holds_nul(value, depth: int = 0) -> bool:
    """A NUL character in any text, key or item of ``value`` (nested lists and maps)."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 32:
        return False  # deeper than any record holds: the encoder refuses it
    if isinstance(value, dict):
        return any(_holds_nul(k, depth + 1) or _holds_nul(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v, depth + 1) for v in value)
    return False


def _in_range(value, lo, hi) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi


def _check_order(rec: Record, start_field: str, end_field: str):
    start, end = getattr(rec, start_field), getattr(rec, end_field)
    if start and end and parse_time(end) < parse_time(start):
        rec.fail(end_field, f"ends before it starts ({end} < {start})")


# ---- places and people -------------------------------------------------------

@dataclass
class Neighborhood(Record):
    TYPE: ClassVar[str] = "neighborhood"
    name: str = _f("", required=True, kind="text")
    city: str = _f("", kind="text")
    center_lat: float = _f(None, required=True, kind="lat")
    center_lon: float = _f(None, required=True, kind="lon")
    bbox: list = _f([])  # [[south, west], [north, east]]
    names: dict = _f({}, kind="names")  # {"zh-Hant": "舊金山華埠", ...}; English is name


@dataclass
class Route(Record):
    """A planned walking route: a polyline of [lat, lon] vertices along real streets."""
    TYPE: ClassVar[str] = "route"
    neighborhood_id: str = _f(None, required=True)
    name: str = _f("", required=True, kind="text")
    description: str = _f("", kind="text")
    path: list = _f([], required=True)
    names: dict = _f({}, kind="names")

    def check(self):
        if len(self.path) < 2:
            self.fail("path", "needs at least 2 points")
        for i, pt in enumerate(self.path):
            if not (isinstance(pt, (list, tuple)) and len(pt) == 2
                    and _in_range(pt[0], -90, 90) and _in_range(pt[1], -180, 180)):
                self.fail("path", f"point {i} is not a valid [lat, lon]: {pt!r}")


@dataclass
class Member(Record):
    TYPE: ClassVar[str] = "member"
    name: str = _f("", required=True, kind="text")
    role: str = _f("volunteer", choices=tx.MEMBER_ROLES, required=True)  # never null
    neighborhood_id: str | None = _f(None)
    languages: list = _f([], choices=tx.SPOKEN_LANGUAGES)
    trained_lead: bool = _f(False, kind="bool")
    phone: str = _f("", sensitive=True, kind="text")


@dataclass
class Merchant(Record):
    TYPE: ClassVar[str] = "merchant"
    neighborhood_id: str = _f(None, required=True)
    name: str = _f("", required=True, kind="text")
    category: str = _f("other", kind="text")
    address: str = _f("", kind="text")
    lat: float = _f(None, required=True, kind="lat")
    lon: float = _f(None, required=True, kind="lon")
    languages: list = _f([], choices=tx.SPOKEN_LANGUAGES)
    contact_name: str = _f("", kind="text")
    notes: str = _f("", kind="text")
    created_at: str = _f(None, kind="time")
    names: dict = _f({}, kind="names")  # the names people know the business by


# ---- patrols ------------------------------------------------------------------

@dataclass
class Stroll(Record):
    """One patrol walked by a group: one record for the whole team."""
    TYPE: ClassVar[str] = "stroll"
    neighborhood_id: str = _f(None, required=True)
    route_id: str | None = _f(None)
    shift_id: str | None = _f(None)
    team: list = _f([], required=True)  # [{"member_id": id|None, "name": str, "lead": bool}]
    started_at: str = _f(None, required=True, kind="time")
    ended_at: str | None = _f(None, kind="time")
    status: str = _f("active", choices=tx.STROLL_STATUS)
    tallies: dict = _f({})
    distance_m: float = _f(0.0)
    notes: str = _f("", kind="text")

    def check(self):
        _check_order(self, "started_at", "ended_at")
        for i, person in enumerate(self.team):
            if not isinstance(person, dict) or not str(person.get("name", "")).strip():
                self.fail("team", f"member {i} has no name")
        for key, value in self.tallies.items():
            if key not in tx.TALLIES:
                self.fail("tallies", f"unknown tally {key!r} (allowed: {', '.join(tx.TALLIES)})")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.fail("tallies", f"{key} must be a whole number >= 0, got {value!r}")
        if self.status == "ended" and not self.ended_at:
            self.fail("ended_at", "is required when the stroll has ended")


@dataclass
class TrackChunk(Record):
    """An append-only piece of a stroll's GPS track: many points, compactly encoded."""
    TYPE: ClassVar[str] = "track_chunk"
    MERGE: ClassVar[str] = "append"
    stroll_id: str = _f(None, required=True)
    seq: int = _f(0, kind="count")
    points: str = _f("", required=True, kind="text")  # stroll.domain.geo.encode_track
    point_count: int = _f(0, kind="count")
    started_at: str = _f(None, kind="time")
    ended_at: str | None = _f(None, kind="time")

    def check(self):
        _check_order(self, "started_at", "ended_at")


@dataclass
class CheckIn(Record):
    TYPE: ClassVar[str] = "check_in"
    MERGE: ClassVar[str] = "append"
    merchant_id: str = _f(None, required=True)
    stroll_id: str | None = _f(None)
    status: str = _f("all_good", choices=tx.CHECK_IN_STATUS)
    note: str = _f("", kind="text")
    language: str | None = _f(None, choices=tx.SPOKEN_LANGUAGES)
    at: str = _f(None, required=True, kind="time")
    lat: float | None = _f(None, kind="lat")
    lon: float | None = _f(None, kind="lon")


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass
class Incident(Record):
    """A street incident, survivor-centered (docs/ARCHITECTURE.md, stroll/domain/; who sees
    the sensitive fields: docs/SYNC.md, Pull)."""
    TYPE: ClassVar[str] = "incident"
    stroll_id: str | None = _f(None)
    neighborhood_id: str | None = _f(None)
    occurred_at: str = _f(None, required=True, kind="time")
    time_approximate: bool = _f(False, kind="bool")
    harm_types: list = _f([], required=True, choices=tx.HARM_TYPES)
    harm_other: str = _f("", kind="text")
    motivations: list = _f([], choices=tx.MOTIVATIONS)
    site_type: str | None = _f(None, choices=tx.SITE_TYPES)
    lat: float | None = _f(None, kind="lat")
    lon: float | None = _f(None, kind="lon")
    location_precision: str = _f("exact", choices=tx.LOCATION_PRECISION)
    cross_streets: str = _f("", kind="text")
    reporter_role: str | None = _f(None, choices=tx.REPORTER_ROLES)
    affected_age_band: str | None = _f(None, choices=tx.AGE_BANDS)
    affected_language: str | None = _f(None, choices=tx.SPOKEN_LANGUAGES)
    needs_interpreter: bool = _f(False, kind="bool")
    survivor_name: str = _f("", sensitive=True, kind="text")
    narrative: str = _f("", sensitive=True, kind="text")
    narrative_language: str | None = _f(None, choices=tx.SPOKEN_LANGUAGES)
    injuries: bool = _f(False, kind="bool")
    injuries_note: str = _f("", sensitive=True, kind="text")
    police_involved: str = _f("unknown", choices=tx.POLICE_INVOLVEMENT)
    actions_taken: list = _f([], choices=tx.ACTIONS_TAKEN)
    actions_note: str = _f("", kind="text")
    consent_contact: bool = _f(False, kind="bool")
    contact_channel: str | None = _f(None, choices=tx.CONTACT_CHANNELS, sensitive=True)
    contact_value: str = _f("", sensitive=True, kind="text")
    contact_language: str | None = _f(None, choices=tx.SPOKEN_LANGUAGES, sensitive=True)
    contact_safe_times: str = _f("", sensitive=True, kind="text")
    share_with_partner: str = _f("", kind="text")
    include_in_aggregate: bool = _f(True, kind="bool")
    publish_anonymized: bool = _f(False, kind="bool")
    referral_needs: list = _f([], choices=tx.REFERRAL_NEEDS)
    quick: bool = _f(False, kind="bool")  # logged through the quick path; completion pending
    reported_by: str | None = _f(None)
    reported_at: str = _f(None, kind="time")

    def check(self):
        if (self.lat is None) != (self.lon is None):
            self.fail("lat" if self.lat is None else "lon", "latitude and longitude come together")
        if "other_safety_concern" in self.harm_types and not self.harm_other.strip() and not self.quick:
            self.fail("harm_other", "describe the 'other safety concern'")
        if self.consent_contact and not self.contact_channel:
            self.fail("contact_channel", "is required when the person agreed to be contacted")
        if self.contact_channel and not self.consent_contact:
            self.fail("contact_channel", "set without consent to be contacted")
        value = self.contact_value.strip()
        if value and self.contact_channel in ("phone", "text") and phone_e164(value) is None:
            # a complete, possible number (stroll/domain/plausibility.py says which)
            self.fail("contact_value", "is not a phone number (with its area code, or +country)")
        if value and self.contact_channel == "email" and not _EMAIL.fullmatch(value):
            self.fail("contact_value", "is not an email address")


@dataclass
class FollowUp(Record):
    """Follow-up of an incident with the survivor. Edited by coordinators: per-field merge."""
    TYPE: ClassVar[str] = "follow_up"
    incident_id: str = _f(None, required=True)
    assignee_id: str | None = _f(None)
    status: str = _f("new", choices=tx.FOLLOW_UP_STATUS)
    next_action_date: str | None = _f(None, kind="time")
    outcome: str = _f("", sensitive=True, kind="text")
    notes: str = _f("", sensitive=True, kind="text")
    updated_at: str = _f(None, kind="time")


@dataclass
class Referral(Record):
    """A referral of a survivor to a partner service, one record a referral (so two
    coordinators referring at once lose neither); its outcome is edited later by
    coordinators: per-field merge. ``incident_id``: the case (a follow-up's id is its
    incident's, ``stroll.domain.follow_ups``)."""
    TYPE: ClassVar[str] = "referral"
    incident_id: str = _f(None, required=True)
    partner_id: str = _f(None, required=True)
    need: str | None = _f(None, choices=tx.REFERRAL_NEEDS)
    referred_at: str = _f(None, required=True, kind="time")
    referred_by: str | None = _f(None)
    outcome: str = _f("pending", choices=tx.REFERRAL_OUTCOMES)
    outcome_note: str = _f("", sensitive=True, kind="text")
    updated_at: str = _f(None, kind="time")


# ---- shifts -------------------------------------------------------------------

@dataclass
class Shift(Record):
    TYPE: ClassVar[str] = "shift"
    neighborhood_id: str = _f(None, required=True)
    route_id: str | None = _f(None)
    title: str = _f("", required=True, kind="text")
    starts_at: str = _f(None, required=True, kind="time")
    ends_at: str = _f(None, required=True, kind="time")
    capacity: int = _f(4, kind="count")
    needs_lead: bool = _f(True, kind="bool")
    meeting_point: str = _f("", kind="text")
    names: dict = _f({}, kind="names")  # the title in other languages
    # staffing (stroll.domain.staffing): the smallest group that may walk, the
    # languages someone on the shift must speak (Cantonese on a Chinatown shift)
    min_group: int = _f(2, kind="count")
    languages_needed: list = _f([], choices=tx.SPOKEN_LANGUAGES)
    series_id: str | None = _f(None)  # the weekly series it was planned in, if any
    # where the team meets (volunteers check in near it; none: no distance check)
    meeting_lat: float | None = _f(None, kind="lat")
    meeting_lon: float | None = _f(None, kind="lon")

    def check(self):
        _check_order(self, "starts_at", "ends_at")
        if self.capacity < 1:
            self.fail("capacity", "must be at least 1")
        if self.min_group < 1:
            self.fail("min_group", "must be at least 1")
        # a smallest group above the capacity reads as the capacity (staffing.py)


@dataclass
class Signup(Record):
    """A request for a place on a shift. The server decides: confirmed, waitlisted or
    refused (``status``, ``reason_code``, ``waitlist_position``, ``decided_at`` and the
    English ``reason`` are the server's). The member checks in at the start and out at
    the end (their hours); a check-in away from the meeting point counts once a
    coordinator approves it (``check_in_approved_by``)."""
    TYPE: ClassVar[str] = "signup"
    shift_id: str = _f(None, required=True)
    member_id: str = _f(None, required=True)
    status: str = _f("requested", choices=tx.SIGNUP_STATUS)
    requested_at: str = _f(None, required=True, kind="time")
    decided_at: str | None = _f(None, kind="time")
    reason: str = _f("", kind="text")
    reason_code: str | None = _f(None, choices=tx.SIGNUP_REASONS)
    waitlist_position: int | None = _f(None, kind="count")
    checked_in_at: str | None = _f(None, kind="time")
    checked_out_at: str | None = _f(None, kind="time")
    check_in_lat: float | None = _f(None, kind="lat")
    check_in_lon: float | None = _f(None, kind="lon")
    check_in_distance_m: float | None = _f(None, kind="number")  # from the meeting point
    check_in_far: bool = _f(False, kind="bool")  # away from it: counts once approved
    check_in_approved_by: str | None = _f(None)  # the coordinator who approved it

    SERVER_FIELDS: ClassVar[tuple[str, ...]] = (
        "status", "decided_at", "reason", "reason_code", "waitlist_position")

    def check(self):
        _check_order(self, "checked_in_at", "checked_out_at")
        if self.checked_out_at and not self.checked_in_at:
            self.fail("checked_out_at", "needs a check-in first")


@dataclass
class Roster(Record):
    """How a shift is staffed, as the server counts it (id: the shift's id; written by
    the server only, read by everyone): what the Shifts tab's cards say on every phone,
    whose own store holds only its member's sign-ups."""
    TYPE: ClassVar[str] = "roster"
    shift_id: str = _f(None, required=True)
    confirmed: int = _f(0, kind="count")
    waitlisted: int = _f(0, kind="count")
    leads: int = _f(0, kind="count")          # trained leads among the confirmed
    languages: list = _f([], choices=tx.SPOKEN_LANGUAGES)  # spoken by the confirmed


@dataclass
class ShiftTeam(Record):
    """Who is going on a shift (id: the shift's id; written by the server only): the
    confirmed members' first names, sent only to the shift's confirmed members and to
    coordinators."""
    TYPE: ClassVar[str] = "shift_team"
    shift_id: str = _f(None, required=True)
    going: list = _f([])  # [{"member_id": id, "name": first name, "lead": bool}]


# ---- partners ------------------------------------------------------------------

@dataclass
class Partner(Record):
    """A partner service a survivor may be referred to (legal aid, a clinic, a tenants'
    union): what it offers, in which languages, how to reach it, and which referral needs
    and harms it takes. An organization's own contact details, not a survivor's."""
    TYPE: ClassVar[str] = "partner"
    name: str = _f("", required=True, kind="text")
    names: dict = _f({}, kind="names")
    services: str = _f("", kind="text")
    languages: list = _f([], choices=tx.SPOKEN_LANGUAGES)
    phone: str = _f("", kind="text")
    email: str = _f("", kind="text")
    website: str = _f("", kind="text")
    address: str = _f("", kind="text")
    referral_needs: list = _f([], choices=tx.REFERRAL_NEEDS)
    harm_types: list = _f([], choices=tx.HARM_TYPES)
    notes: str = _f("", kind="text")


RECORD_TYPES: dict[str, type[Record]] = {
    cls.TYPE: cls
    for cls in (Neighborhood, Route, Member, Merchant, Stroll, TrackChunk, CheckIn,
                Incident, FollowUp, Referral, Shift, Signup, Roster, ShiftTeam, Partner)
}


def record_class(record_type: str) -> type[Record]:
    try:
        return RECORD_TYPES[record_type]
    except KeyError:
        raise UnknownRecordType(record_type) from None


def from_dict(record_type: str, data: dict) -> Record:
    return record_class(record_type).from_dict(data)
