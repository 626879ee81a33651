"""Which sentence tells a person what to fix: a refusal of the rules as a catalog key.

The patrol service refuses a record with a ``ValidationError`` (record type, field,
reason in English). The screens say it in the person's language: ``error_key`` maps
the refusal to a key of the message catalog through ``_ERRORS``.
"""
from __future__ import annotations

from stroll.domain import ValidationError

# (record type, field, words in the reason) -> catalog key. First match wins.
_ERRORS: tuple[tuple[str, str, str, str], ...] = (
    ("stroll", "team", "buddy rule", "error.buddy_rule"),
    ("stroll", "team", "listed twice", "error.team_twice"),
    ("stroll", "team", "no name", "error.team_name"),
    ("stroll", "team", "longer than", "error.name_too_long"),
    ("stroll", "team", "", "error.team"),
    ("stroll", "neighborhood_id", "", "error.neighborhood"),
    ("incident", "harm_types", "", "error.harm_types"),
    ("incident", "harm_other", "", "error.harm_other"),
    ("incident", "location", "", "error.place"),
    ("incident", "actions_taken", "", "error.actions_taken"),
    ("incident", "contact_channel", "without consent", "error.contact_without_consent"),
    ("incident", "contact_channel", "", "error.contact_channel"),
    ("incident", "contact_value", "phone number", "error.contact_phone"),
    ("incident", "contact_value", "email", "error.contact_email"),
    ("incident", "cross_streets", "", "error.cross_streets_precision"),
    ("incident", "location_precision", "new position", "error.precision_needs_position"),
    ("merchant", "name", "", "error.merchant_name"),
    ("merchant", "position", "", "error.no_position"),
    ("merchant", "neighborhood_id", "", "error.neighborhood"),
    ("check_in", "position", "", "error.no_position"),
)


def error_key(err: ValidationError) -> str:
    """The catalog key of the sentence that tells a person what to fix."""
    reason = (err.reason or "").lower()
    for rtype, fld, words, key in _ERRORS:
        if err.record_type == rtype and err.field == fld and words in reason:
            return key
    return "error.invalid"


__all__ = ["error_key"]
