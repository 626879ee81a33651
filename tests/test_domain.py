"""Domain records: validation names the field and the reason."""
from __future__ import annotations

import dataclasses

import pytest

from stroll.domain import (RECORD_TYPES, Incident, Merchant, Route, Shift, Signup, Stroll,
                           UnknownRecordType, ValidationError, from_dict, new_id, now_iso)
from stroll.domain.ids import is_uuid


def incident(**kw):
    base = dict(occurred_at="2026-11-20T18:30:00-08:00", harm_types=["verbal_harassment"])
    base.update(kw)
    return Incident(**base)


def test_new_ids_are_time_ordered_uuid7():
    a, b = new_id(), new_id()
    assert is_uuid(a) and a[14] == "7"
    assert a < b


def test_latitude_out_of_range_names_field_and_reason():
    with pytest.raises(ValidationError) as e:
        Merchant(neighborhood_id="n", name="Golden Lantern Bakery", lat=95.0, lon=-122.4).validate()
    assert e.value.field == "lat"
    assert "latitude out of range" in e.value.reason
    assert "merchant.lat" in str(e.value)


def test_unknown_harm_type_is_refused_with_allowed_values():
    with pytest.raises(ValidationError) as e:
        incident(harm_types=["rudeness"]).validate()
    assert e.value.field == "harm_types"
    assert "unknown value 'rudeness'" in e.value.reason
    assert "wage_theft" in e.value.reason


def test_incident_needs_at_least_one_harm_type():
    with pytest.raises(ValidationError, match=r"incident.harm_types .*: is required"):
        incident(harm_types=[]).validate()


def test_harm_types_must_be_a_list_not_a_string():
    with pytest.raises(ValidationError, match="must be a list"):
        incident(harm_types="verbal_harassment").validate()


def test_stroll_that_ends_before_it_starts_is_refused():
    s = Stroll(neighborhood_id="n", team=[{"name": "A"}, {"name": "B"}],
               started_at="2026-11-20T18:00:00-08:00", ended_at="2026-11-20T17:00:00-08:00")
    with pytest.raises(ValidationError) as e:
        s.validate()
    assert e.value.field == "ended_at" and "ends before it starts" in e.value.reason


def test_shift_end_before_start_and_zero_capacity_are_refused():
    with pytest.raises(ValidationError, match="ends_at"):
        Shift(neighborhood_id="n", title="Evening stroll", starts_at="2026-11-20T18:00:00",
              ends_at="2026-11-20T17:00:00").validate()
    with pytest.raises(ValidationError, match=r"shift.capacity .*: must be at least 1"):
        Shift(neighborhood_id="n", title="Evening stroll", starts_at="2026-11-20T18:00:00",
              ends_at="2026-11-20T19:00:00", capacity=0).validate()


def test_contact_channel_requires_consent_to_be_contacted():
    with pytest.raises(ValidationError, match="set without consent"):
        incident(contact_channel="text").validate()
    with pytest.raises(ValidationError, match=r"contact_channel .*: is required when"):
        incident(consent_contact=True).validate()
    incident(consent_contact=True, contact_channel="text", contact_value="415-555-0101").validate()


def test_survivor_contact_and_narrative_are_marked_sensitive():
    sensitive = set(Incident.sensitive_fields())
    assert {"narrative", "survivor_name", "contact_value", "contact_safe_times"} <= sensitive
    assert "harm_types" not in sensitive and "lat" not in sensitive


def test_from_dict_refuses_unknown_fields_and_types():
    with pytest.raises(ValidationError, match="unknown field"):
        from_dict("merchant", {"name": "x", "colour": "red"})
    with pytest.raises(UnknownRecordType, match="'spaceship'"):
        from_dict("spaceship", {})


def test_every_record_type_round_trips_through_a_dict():
    samples = {
        "neighborhood": dict(name="SF Chinatown", center_lat=37.79, center_lon=-122.41),
        "route": dict(neighborhood_id="n", name="Stockton", path=[[37.79, -122.40], [37.8, -122.4]]),
        "member": dict(name="Mei Chan", languages=["yue", "en"], trained_lead=True),
        "merchant": dict(neighborhood_id="n", name="Pho Corner", lat=47.6, lon=-122.31),
        "stroll": dict(neighborhood_id="n", team=[{"name": "A"}, {"name": "B"}],
                       started_at=now_iso(), tallies={"greetings": 3}),
        "track_chunk": dict(stroll_id="s", points="??__", point_count=1, started_at=now_iso()),
        "check_in": dict(merchant_id="m", at=now_iso(), status="concern"),
        "incident": dict(occurred_at=now_iso(), harm_types=["wage_theft"]),
        "follow_up": dict(incident_id="i", status="contacted"),
        "referral": dict(incident_id="i", partner_id="p", need="legal",
                         referred_at=now_iso(), outcome="accepted", outcome_note="intake Monday"),
        "shift": dict(neighborhood_id="n", title="t", starts_at="2026-11-20T18:00:00",
                      ends_at="2026-11-20T20:00:00"),
        "signup": dict(shift_id="s", member_id="m", requested_at=now_iso(),
                       status="waitlisted", reason_code="waitlisted", waitlist_position=2),
        "roster": dict(shift_id="s", confirmed=3, waitlisted=1, leads=1,
                       languages=["yue", "en"]),
        "shift_team": dict(shift_id="s", going=[{"member_id": "m", "name": "Mei",
                                                 "lead": True}]),
        "partner": dict(name="Asian Law Caucus", languages=["yue", "vi"],
                        referral_needs=["legal", "housing"], harm_types=["wage_theft"]),
    }
    assert set(samples) == set(RECORD_TYPES)
    for rtype, data in samples.items():
        rec = from_dict(rtype, data)
        again = from_dict(rtype, rec.to_dict())
        assert again == rec


def test_route_path_points_are_checked():
    with pytest.raises(ValidationError, match="point 1 is not a valid"):
        Route(neighborhood_id="n", name="r", path=[[37.79, -122.4], [37.79]]).validate()


def test_unknown_tally_and_negative_count_are_refused():
    base = dict(neighborhood_id="n", team=[{"name": "A"}, {"name": "B"}], started_at=now_iso())
    with pytest.raises(ValidationError, match="unknown tally 'hugs'"):
        Stroll(tallies={"hugs": 1}, **base).validate()
    with pytest.raises(ValidationError, match="greetings must be a whole number"):
        Stroll(tallies={"greetings": -1}, **base).validate()


def test_signup_status_comes_from_the_closed_list():
    with pytest.raises(ValidationError, match="status"):
        Signup(shift_id="s", member_id="m", requested_at=now_iso(), status="maybe").validate()


@pytest.mark.parametrize("change, field, reason", [
    ({"harm_types": ["shunning", "shunning"]}, "harm_types", "lists a value twice"),
    ({"harm_types": ["shunning", 7]}, "harm_types", "unknown value 7"),
    ({"site_type": "rooftop"}, "site_type", "unknown value 'rooftop' (allowed: street,"),
    ({"site_type": ["street"]}, "site_type", "unknown value ['street']"),
    ({"narrative": 42}, "narrative", "must be text, got int"),
    ({"needs_interpreter": "yes"}, "needs_interpreter", "must be true or false, got 'yes'"),
    ({"referral_needs": {"legal": True}}, "referral_needs", "must be a list, got dict"),
    ({"occurred_at": "last Tuesday"}, "occurred_at", "not an ISO 8601 time: 'last Tuesday'"),
    ({"occurred_at": None}, "occurred_at", "is required"),
    ({"lon": "west"}, "lon", "longitude out of range (-180..180): 'west'"),
])
def test_each_field_rule_names_the_field_and_what_is_wrong(change, field, reason):
    with pytest.raises(ValidationError) as e:
        incident(**change).validate()
    assert e.value.field == field and e.value.record_type == "incident"
    assert reason in e.value.reason


def test_an_incident_with_every_kind_of_field_filled_validates():
    # the validator generated per class accepts what the classes themselves build
    rec = incident(site_type="street", narrative="", needs_interpreter=False,
                   referral_needs=["legal", "housing"], lat=37.79, lon=-122.41)
    assert rec.validate() is rec


def test_from_dict_builds_what_the_constructor_builds_with_fresh_defaults():
    data = {"occurred_at": "2026-11-20T18:30:00-08:00", "harm_types": ["shunning"]}
    a, b = Incident.from_dict(dict(data)), Incident.from_dict(dict(data))
    assert a == Incident(id=a.id, **data)
    assert list(a.__dict__) == [f.name for f in dataclasses.fields(Incident)]
    assert a.id != b.id and is_uuid(a.id)                      # a new id each time
    a.referral_needs.append("legal")
    assert b.referral_needs == []                                # lists are not shared


# ---- ids and field types (what a hostile push may send) ---------------------------------


@pytest.mark.parametrize("spelling", [
    lambda i: i.upper(), lambda i: "{" + i + "}", lambda i: "urn:uuid:" + i,
    lambda i: "\t" + i, lambda i: i + "\n", lambda i: i.replace("-", ""),
])
def test_an_id_is_a_uuid_only_in_its_canonical_spelling(spelling):
    canonical = new_id()
    assert is_uuid(canonical)
    assert not is_uuid(spelling(canonical))  # another spelling would be another record
    with pytest.raises(ValidationError) as e:
        Merchant(id=spelling(canonical), neighborhood_id="n", name="Shop", lat=37.79,
                 lon=-122.4).validate()
    assert e.value.field == "id"


def stroll(**over) -> Stroll:
    base = dict(neighborhood_id="n", team=[{"name": "A"}, {"name": "B"}], started_at=now_iso())
    return Stroll(**{**base, **over})


@pytest.mark.parametrize("field, value, words", [
    ("distance_m", "far", "must be a number"),
    ("distance_m", float("nan"), "must be a number"),
    ("distance_m", True, "must be a number"),
    ("neighborhood_id", {"id": "n"}, "must be text"),
    ("route_id", ["r"], "must be text"),
])
def test_every_field_is_type_checked_even_one_without_a_kind(field, value, words):
    with pytest.raises(ValidationError) as e:
        stroll(**{field: value}).validate()
    assert e.value.field == field and words in e.value.reason


@pytest.mark.parametrize("over, field", [
    ({"notes": "walked\x00home"}, "notes"),
    ({"neighborhood_id": "n\x00"}, "neighborhood_id"),
    ({"team": [{"name": "A\x00"}, {"name": "B"}]}, "team"),
    ({"tallies": {"greetings\x00": 1}}, "tallies"),
])
def test_a_nul_character_is_refused_in_text_and_inside_lists_and_maps(over, field):
    with pytest.raises(ValidationError) as e:
        stroll(**over).validate()
    assert e.value.field == field and "NUL" in e.value.reason


@pytest.mark.parametrize("channel, value", [
    ("phone", "415-555-0134"), ("text", "+1 (415) 555.0134"), ("phone", "4155550134"),
    ("email", "mei.chan@example.org"), ("in_person", "at the bakery, mornings")])
def test_a_contact_value_that_fits_its_channel_is_accepted(channel, value):
    incident(consent_contact=True, contact_channel=channel, contact_value=value).validate()


@pytest.mark.parametrize("channel, value, words", [
    ("text", "not a phone ☎️", "phone number"), ("phone", "555-01", "phone number"),
    ("phone", "1234567890123456", "phone number"), ("email", "mei at example", "email"),
    ("email", "mei@example", "email")])
def test_a_contact_value_that_does_not_fit_its_channel_is_refused(channel, value, words):
    with pytest.raises(ValidationError) as info:
        incident(consent_contact=True, contact_channel=channel, contact_value=value).validate()
    assert info.value.field == "contact_value" and words in str(info.value)


def test_a_wrong_contact_value_is_said_in_its_own_sentence():
    from stroll.state.errors import error_key
    for channel, value, key in (("text", "not a phone", "error.contact_phone"),
                                ("email", "mei at example", "error.contact_email")):
        with pytest.raises(ValidationError) as info:
            incident(consent_contact=True, contact_channel=channel,
                     contact_value=value).validate()
        assert error_key(info.value) == key
