"""How the incident form answers each field is read off the ``Incident`` record's
metadata: the same kinds, choices and never-unset fields the form had when they were
written out by hand."""
from __future__ import annotations

import pytest

from stroll.domain import Incident
from stroll.domain import taxonomy as tx
from stroll.state.incident_fields import (ALWAYS_SET, CONTACT_FIELDS, FIELD_CHOICES, FIELD_KINDS,
                                          FLAG, INCIDENT_FIELDS, MULTI, SINGLE, TEXT, fields_of)

# The form's field kinds as they were written out by hand before being read off Incident.
HAND_WRITTEN_LISTS = {"harm_types": tx.HARM_TYPES, "motivations": tx.MOTIVATIONS,
                      "actions_taken": tx.ACTIONS_TAKEN, "referral_needs": tx.REFERRAL_NEEDS}
HAND_WRITTEN_CHOICES = {"site_type": tx.SITE_TYPES, "reporter_role": tx.REPORTER_ROLES,
                        "affected_age_band": tx.AGE_BANDS,
                        "affected_language": tx.SPOKEN_LANGUAGES,
                        "narrative_language": tx.SPOKEN_LANGUAGES,
                        "police_involved": tx.POLICE_INVOLVEMENT,
                        "contact_channel": tx.CONTACT_CHANNELS,
                        "contact_language": tx.SPOKEN_LANGUAGES,
                        "location_precision": tx.LOCATION_PRECISION}
HAND_WRITTEN_REQUIRED_CHOICE = ("police_involved", "location_precision")
HAND_WRITTEN_FLAGS = ("time_approximate", "needs_interpreter", "injuries", "consent_contact",
                      "include_in_aggregate", "publish_anonymized")
HAND_WRITTEN_TEXTS = ("harm_other", "cross_streets", "survivor_name", "narrative",
                      "injuries_note", "actions_note", "contact_value", "contact_safe_times",
                      "share_with_partner")


def test_the_multi_choice_fields_and_their_codes_are_the_hand_written_ones():
    assert set(fields_of(MULTI)) == set(HAND_WRITTEN_LISTS)
    assert {f: FIELD_CHOICES[f] for f in fields_of(MULTI)} == \
        {f: tuple(codes) for f, codes in HAND_WRITTEN_LISTS.items()}


def test_the_single_choice_fields_and_their_codes_are_the_hand_written_ones():
    assert set(fields_of(SINGLE)) == set(HAND_WRITTEN_CHOICES)
    assert {f: FIELD_CHOICES[f] for f in fields_of(SINGLE)} == \
        {f: tuple(codes) for f, codes in HAND_WRITTEN_CHOICES.items()}


def test_the_choices_never_unset_are_the_hand_written_ones():
    assert ALWAYS_SET == set(HAND_WRITTEN_REQUIRED_CHOICE)


def test_the_flags_and_the_text_fields_are_the_hand_written_ones_in_form_order():
    assert fields_of(FLAG) == HAND_WRITTEN_FLAGS
    assert fields_of(TEXT) == HAND_WRITTEN_TEXTS


def test_every_field_of_the_form_has_exactly_one_kind_and_is_a_field_of_the_record():
    assert set(FIELD_KINDS) == set(INCIDENT_FIELDS)
    assert len(INCIDENT_FIELDS) == len(set(INCIDENT_FIELDS)) == 28
    assert set(INCIDENT_FIELDS) <= set(Incident.__dataclass_fields__)
    assert set(CONTACT_FIELDS) <= set(INCIDENT_FIELDS)


@pytest.mark.parametrize("field", INCIDENT_FIELDS)
def test_each_field_kind_follows_the_records_metadata(field):
    meta = Incident.__dataclass_fields__[field].metadata
    kind = FIELD_KINDS[field]
    if kind in (MULTI, SINGLE):
        assert tuple(meta["choices"]) == FIELD_CHOICES[field]
    else:
        assert meta["kind"] == ("bool" if kind == FLAG else "text") and not meta["choices"]
