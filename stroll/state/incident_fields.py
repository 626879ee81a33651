"""The full incident form's fields and how each is answered, read off ``Incident``.

What a field takes comes from the record's own field metadata (stroll/domain/records.py,
the same metadata the validator checks): a list with ``choices`` is answered with
several chips (``MULTI``), a value with ``choices`` with one chip (``SINGLE``), a
``kind="bool"`` field with a switch (``FLAG``), a ``kind="text"`` field by typing
(``TEXT``). A single choice with a default (police involvement, location precision)
always has a value: choosing it again does not unset it (``ALWAYS_SET``).

Which fields the form shows, and in what order, is the form's own: ``INCIDENT_FIELDS``.
"""
from __future__ import annotations

import dataclasses

from stroll.domain import Incident

MULTI, SINGLE, FLAG, TEXT = "multi", "single", "flag", "text"

# The incident form's fields, in the order the form shows them.
INCIDENT_FIELDS = (
    "harm_types", "harm_other", "motivations", "site_type", "time_approximate",
    "cross_streets", "location_precision", "reporter_role", "affected_age_band",
    "affected_language", "needs_interpreter", "survivor_name", "narrative",
    "narrative_language", "injuries", "injuries_note", "police_involved", "actions_taken",
    "actions_note", "consent_contact", "contact_channel", "contact_value", "contact_language",
    "contact_safe_times", "share_with_partner", "include_in_aggregate", "publish_anonymized",
    "referral_needs",
)
# How the survivor can be reached: only kept with their consent to be contacted.
CONTACT_FIELDS = ("contact_channel", "contact_value", "contact_language", "contact_safe_times")


def _kind(f: dataclasses.Field) -> str:
    meta = f.metadata
    if meta.get("choices"):
        return MULTI if f.type == "list" else SINGLE
    if meta.get("kind") == "bool":
        return FLAG
    if meta.get("kind") == "text":
        return TEXT
    raise TypeError(f"the incident form cannot ask for {f.name!r} (no choices, not text or bool)")


_FIELDS = {f.name: f for f in dataclasses.fields(Incident)}

# field -> MULTI | SINGLE | FLAG | TEXT, for every field of the form
FIELD_KINDS: dict[str, str] = {name: _kind(_FIELDS[name]) for name in INCIDENT_FIELDS}
# field -> its closed list of codes, for the fields answered with chips
FIELD_CHOICES: dict[str, tuple] = {name: tuple(_FIELDS[name].metadata["choices"])
                                   for name, kind in FIELD_KINDS.items()
                                   if kind in (MULTI, SINGLE)}
# the single choices that are never unset
ALWAYS_SET = frozenset(name for name, kind in FIELD_KINDS.items()
                       if kind == SINGLE and _FIELDS[name].default is not None)


def fields_of(kind: str) -> tuple[str, ...]:
    """The form's fields answered the ``kind`` way, in form order."""
    return tuple(name for name in INCIDENT_FIELDS if FIELD_KINDS[name] == kind)


__all__ = ["INCIDENT_FIELDS", "CONTACT_FIELDS", "FIELD_KINDS", "FIELD_CHOICES", "ALWAYS_SET",
           "MULTI", "SINGLE", "FLAG", "TEXT", "fields_of"]
