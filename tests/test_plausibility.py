"""Plausibility rules (stroll/domain/plausibility.py): phone numbers checked with the
phonenumbers library and kept in E.164; a check-in far from its merchant and a stroll
started far from its neighborhood are warnings the person may override. Pure: no store,
no Flet."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stroll.domain import Incident, ValidationError
from stroll.domain.geo import distance_m
from stroll.domain.plausibility import (AREA_MARGIN_M, AREA_RADIUS_M, CHECK_IN_NEAR_M,
                                        check_in_distance, distance_to_area_m,
                                        normalized_contact, phone_e164, start_distance)

ROOT = Path(__file__).resolve().parents[1]
HOODS = {n["id"]: {"name": n["name"], "center_lat": n["center"][0],
                   "center_lon": n["center"][1], "bbox": n["bbox"]}
         for n in json.loads((ROOT / "assets/demo/neighborhoods.json").read_text())}
SF, OAK = HOODS["sf-chinatown"], HOODS["oakland-chinatown"]
PORTSMOUTH_SQ = (37.7948, -122.4057)          # in SF Chinatown
UNION_SQ = (37.7880, -122.4075)               # ~180 m south of SF Chinatown's box
CIVIC_CENTER = (37.7793, -122.4193)           # ~1.6 km south-west of it
OAKLAND_BART_12TH = (37.8037, -122.2716)      # in Oakland Chinatown's box


def offset(p, north_m: float = 0.0, east_m: float = 0.0):
    """``p`` moved by metres (good to a few cm over a few hundred metres)."""
    from stroll.domain.geo import local_scale
    ky, kx = local_scale(p[0])
    return (p[0] + north_m / ky, p[1] + east_m / kx)


# ---- phone numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("typed, e164", [
    ("(415) 555-0134", "+14155550134"),
    ("415.555.0134", "+14155550134"),
    ("1 415 555 0134", "+14155550134"),
    ("+1 415-555-0134", "+14155550134"),
    ("+84 90 123 4567", "+84901234567"),         # Vietnam, written internationally
    ("+852 2123 4567", "+85221234567"),          # Hong Kong
    ("  206 555 0187 ", "+12065550187"),         # Seattle, spaces around
])
def test_a_possible_phone_number_is_kept_in_e164(typed, e164):
    assert phone_e164(typed) == e164
    assert normalized_contact("text", typed) == e164
    assert normalized_contact("phone", typed) == e164


@pytest.mark.parametrize("typed", [
    "not a phone ☎️", "", "   ", "555-01", "555-0134",   # a local number: no area code
    "1234567890123456", "+1 415 555 01345 9", "4155550134 call me", "++1 415"])
def test_what_is_not_a_complete_possible_number_is_none(typed):
    assert phone_e164(typed) is None


def test_other_channels_keep_the_value_as_typed_but_trimmed():
    assert normalized_contact("email", "  mei@example.org ") == "mei@example.org"
    assert normalized_contact("in_person", " Portsmouth Sq, mornings ") == \
        "Portsmouth Sq, mornings"
    assert normalized_contact("text", " not a phone ") == "not a phone"  # validation refuses


@pytest.mark.parametrize("channel, value", [("text", "555-0134"), ("phone", "not a phone ☎️"),
                                            ("phone", "+1 415")])
def test_an_incident_refuses_a_phone_contact_that_is_no_number(channel, value):
    rec = Incident(occurred_at="2026-11-20T18:30:00-08:00", harm_types=["verbal_harassment"],
                   consent_contact=True, contact_channel=channel, contact_value=value)
    with pytest.raises(ValidationError) as info:
        rec.validate()
    assert info.value.field == "contact_value" and "phone number" in info.value.reason


def test_an_incident_takes_a_number_as_typed_or_in_e164():
    for value in ("(415) 555-0134", "+14155550134", "+84 90 123 4567"):
        Incident(occurred_at="2026-11-20T18:30:00-08:00", harm_types=["verbal_harassment"],
                 consent_contact=True, contact_channel="text", contact_value=value).validate()


# ---- a check-in far from the merchant ------------------------------------------------------

MERCHANT = {"id": "m1", "name": "Golden Lantern Bakery", "lat": 37.7946, "lon": -122.4068}
AT_DOOR = (MERCHANT["lat"], MERCHANT["lon"])


def test_a_check_in_at_the_door_or_across_the_street_is_not_questioned():
    assert check_in_distance(AT_DOOR, MERCHANT) is None
    assert check_in_distance(offset(AT_DOOR, north_m=CHECK_IN_NEAR_M - 5), MERCHANT) is None


def test_a_check_in_farther_than_150_m_is_a_warning_with_the_distance_and_name():
    here = offset(AT_DOOR, east_m=1200)
    w = check_in_distance(here, MERCHANT, accuracy_m=5)
    assert w is not None and w.code == "far_from_merchant"
    assert w.params["name"] == "Golden Lantern Bakery"
    assert w.params["distance_m"] == pytest.approx(1200, abs=2)


def test_a_fix_s_own_accuracy_widens_the_circle_up_to_100_m():
    here = offset(AT_DOOR, north_m=CHECK_IN_NEAR_M + 30)
    assert check_in_distance(here, MERCHANT, accuracy_m=5) is not None
    assert check_in_distance(here, MERCHANT, accuracy_m=40) is None
    far = offset(AT_DOOR, north_m=CHECK_IN_NEAR_M + 120)
    assert check_in_distance(far, MERCHANT, accuracy_m=900) is not None   # capped at 100 m


def test_no_position_or_a_merchant_without_one_gives_no_warning():
    assert check_in_distance(None, MERCHANT) is None
    assert check_in_distance(CIVIC_CENTER, {"name": "x", "lat": None, "lon": None}) is None


# ---- a stroll started far from its neighborhood ------------------------------------------------

def test_inside_the_neighborhood_or_a_few_blocks_out_is_not_questioned():
    assert distance_to_area_m(PORTSMOUTH_SQ, SF) == 0.0
    assert start_distance(PORTSMOUTH_SQ, SF) is None
    assert 100 < distance_to_area_m(UNION_SQ, SF) < AREA_MARGIN_M
    assert start_distance(UNION_SQ, SF) is None
    assert start_distance(OAKLAND_BART_12TH, OAK) is None


def test_an_oakland_stroll_started_in_sf_chinatown_is_a_warning():
    w = start_distance(PORTSMOUTH_SQ, OAK)
    assert w is not None and w.code == "far_from_neighborhood"
    assert w.params["name"] == "Oakland Chinatown"
    assert 11_000 < w.params["distance_m"] < 13_000       # to the nearest edge of its box
    assert w.params["distance_m"] < distance_m(PORTSMOUTH_SQ, (OAK["center_lat"],
                                                               OAK["center_lon"]))


def test_beyond_the_margin_of_the_box_is_a_warning():
    assert start_distance(CIVIC_CENTER, SF) is not None
    south, west = SF["bbox"][0]
    assert start_distance(offset((south, west), north_m=0, east_m=-(AREA_MARGIN_M - 20)),
                          SF) is None
    assert start_distance(offset((south, west), east_m=-(AREA_MARGIN_M + 20)), SF) is not None


def test_a_neighborhood_without_a_box_is_measured_from_its_centre():
    hood = {**SF, "bbox": []}
    centre = (hood["center_lat"], hood["center_lon"])
    assert start_distance(offset(centre, north_m=AREA_RADIUS_M - 50), hood) is None
    w = start_distance(offset(centre, north_m=AREA_RADIUS_M + 50), hood)
    assert w is not None and w.params["distance_m"] == pytest.approx(AREA_RADIUS_M + 50, abs=2)


def test_no_position_means_no_warning_at_the_start():
    assert start_distance(None, OAK) is None
