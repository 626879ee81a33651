"""Specs for the demo data under assets/demo/ (pure data: no app code imported).

Coordinates are [lat, lon] everywhere. Distances use geopy's geodesic; the
point-to-route distance projects locally (equirectangular), which is accurate
to well under a metre at the few-hundred-metre scale of a patrol route.
"""

import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from geopy.distance import geodesic

from stroll.domain.taxonomy import MERCHANT_CATEGORIES

DEMO = Path(__file__).parents[1] / "assets" / "demo"
FILES = ("neighborhoods", "routes", "merchants", "members", "shift_templates")

LANGUAGES = {"en", "yue", "zh-Hant", "zh-Hans", "vi", "es", "tl", "ko", "km"}
CATEGORIES = set(MERCHANT_CATEGORIES)
ROLES = {"ambassador", "volunteer", "coordinator"}
NEIGHBORHOOD_IDS = {"sf-chinatown", "oakland-chinatown", "seattle-little-saigon"}
FIELDS = {
    "neighborhoods": {"id", "name", "city", "center", "bbox"},
    "routes": {"id", "neighborhood_id", "name", "description", "path"},
    "merchants": {
        "id", "neighborhood_id", "name", "category", "address", "location",
        "languages", "contact_name", "notes",
    },
    "members": {"id", "name", "role", "neighborhood_id", "languages", "trained_lead", "phone"},
    "shift_templates": {
        "id", "neighborhood_id", "route_id", "title", "weekday", "start",
        "duration_minutes", "capacity", "needs_lead", "meeting_point",
    },
}
# places may give their names in other languages: {"zh-Hant": ..., "vi": ...}
NAMED = {"neighborhoods", "routes", "merchants", "shift_templates"}
MIN_ROUTE_M, MAX_ROUTE_M = 600, 2500
MAX_VERTEX_GAP_M = 450
MERCHANT_NEAR_ROUTE_M = 60


def load(name):
    with open(DEMO / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def data():
    return {name: load(name) for name in FILES}


@pytest.fixture(scope="module")
def neighborhoods(data):
    return {n["id"]: n for n in data["neighborhoods"]}


def inside(bbox, point):
    (south, west), (north, east) = bbox
    lat, lon = point
    return south <= lat <= north and west <= lon <= east


def route_length_m(path):
    return sum(geodesic(a, b).meters for a, b in zip(path, path[1:]))


def distance_to_segment_m(p, a, b):
    """Metres from point p to segment a-b, in a local plane centred on p."""
    lat0 = math.radians(p[0])
    m_per_deg_lat = 111132.92 - 559.82 * math.cos(2 * lat0)
    m_per_deg_lon = 111412.84 * math.cos(lat0)

    def xy(q):
        return ((q[1] - p[1]) * m_per_deg_lon, (q[0] - p[0]) * m_per_deg_lat)

    (ax, ay), (bx, by) = xy(a), xy(b)
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
    return math.hypot(ax + t * dx, ay + t * dy)


def distance_to_route_m(point, path):
    return min(distance_to_segment_m(point, a, b) for a, b in zip(path, path[1:]))


def test_every_file_is_a_non_empty_list_of_records_with_the_documented_fields(data):
    for name in FILES:
        records = data[name]
        assert isinstance(records, list) and records, name
        for record in records:
            fields = set(record) - ({"names"} if name in NAMED else set())
            assert fields == FIELDS[name], (name, record.get("id"), fields ^ FIELDS[name])


def named(data):
    """(file, id, language, name) of every name a place gives in another language."""
    return [(f, r["id"], lang, text) for f in sorted(NAMED) for r in data[f]
            for lang, text in r.get("names", {}).items()]


def test_place_names_are_in_app_languages_other_than_english_and_on_one_trimmed_line(data):
    from stroll.domain.place_names import NAME_LANGUAGES, NAME_MAX
    rows = named(data)
    assert rows
    for f, rid, lang, text in rows:
        assert lang in NAME_LANGUAGES, (f, rid, lang)
        assert text == text.strip() and "\n" not in text and 0 < len(text) <= NAME_MAX, (f, rid)


def test_chinese_places_give_both_scripts_and_vietnamese_ones_their_vietnamese_name(data):
    hoods = {n["id"]: n for n in data["neighborhoods"]}
    for f, rid, lang, _text in named(data):
        if lang.startswith("zh"):
            other = "zh-Hans" if lang == "zh-Hant" else "zh-Hant"
            record = next(r for r in data[f] if r["id"] == rid)
            assert other in record["names"], (f, rid, other)
    assert hoods["sf-chinatown"]["names"]["zh-Hant"] == "舊金山華埠"
    assert hoods["oakland-chinatown"]["names"]["zh-Hant"] == "屋崙華埠"
    assert "Sài Gòn Nhỏ" in hoods["seattle-little-saigon"]["names"]["vi"]


def test_the_shipped_font_of_each_language_draws_every_place_name_in_it(data):
    ttlib = pytest.importorskip("fontTools.ttLib")
    from stroll.i18n import FONT_FILES, font_family
    faces = {}
    for f, rid, lang, text in named(data):
        family = font_family(lang)
        if family not in faces:
            faces[family] = set(ttlib.TTFont(DEMO.parent / FONT_FILES[family]).getBestCmap())
        missing = sorted({c for c in text if not c.isspace() and ord(c) not in faces[family]})
        assert not missing, f"{family} cannot draw {missing} of {f} {rid} ({lang})"


def test_ids_are_unique_within_each_file(data):
    for name in FILES:
        counts = Counter(record["id"] for record in data[name])
        duplicates = [i for i, c in counts.items() if c > 1]
        assert not duplicates, f"{name}: duplicate ids {duplicates}"


def test_the_three_neighborhoods_are_present(neighborhoods):
    assert set(neighborhoods) == NEIGHBORHOOD_IDS


def test_every_neighborhood_reference_resolves(data, neighborhoods):
    for name in ("routes", "merchants", "members", "shift_templates"):
        for record in data[name]:
            assert record["neighborhood_id"] in neighborhoods, (name, record["id"])


def test_every_shift_template_route_resolves_to_a_route_of_the_same_neighborhood(data):
    routes = {r["id"]: r for r in data["routes"]}
    for shift in data["shift_templates"]:
        assert shift["route_id"] in routes, shift["id"]
        assert routes[shift["route_id"]]["neighborhood_id"] == shift["neighborhood_id"], shift["id"]


def test_route_ids_start_with_their_neighborhood_id(data):
    for route in data["routes"]:
        assert route["id"].startswith(route["neighborhood_id"] + "-"), route["id"]


def test_each_neighborhood_has_two_or_three_routes(data):
    per = Counter(r["neighborhood_id"] for r in data["routes"])
    assert set(per) == NEIGHBORHOOD_IDS
    assert all(2 <= n <= 3 for n in per.values()), per


def test_neighborhood_bbox_is_south_west_then_north_east_and_contains_its_center(data):
    for n in data["neighborhoods"]:
        (south, west), (north, east) = n["bbox"]
        assert south < north and west < east, n["id"]
        assert inside(n["bbox"], n["center"]), n["id"]


def test_coordinates_are_lat_lon_ordered(data):
    # All three neighborhoods are in the northern and western hemispheres, with
    # |lon| > 90: a swapped [lon, lat] pair would fail the latitude range.
    points = [n["center"] for n in data["neighborhoods"]]
    points += [p for r in data["routes"] for p in r["path"]]
    points += [m["location"] for m in data["merchants"]]
    for lat, lon in points:
        assert 0 < lat < 90 and -180 < lon < -90, (lat, lon)


def test_every_route_vertex_lies_inside_its_neighborhood_bbox(data, neighborhoods):
    for route in data["routes"]:
        bbox = neighborhoods[route["neighborhood_id"]]["bbox"]
        outside = [p for p in route["path"] if not inside(bbox, p)]
        assert not outside, (route["id"], outside)


def test_every_merchant_location_lies_inside_its_neighborhood_bbox(data, neighborhoods):
    for merchant in data["merchants"]:
        bbox = neighborhoods[merchant["neighborhood_id"]]["bbox"]
        assert inside(bbox, merchant["location"]), merchant["id"]


def test_every_route_is_between_0_6_and_2_5_km(data):
    for route in data["routes"]:
        length = route_length_m(route["path"])
        assert MIN_ROUTE_M <= length <= MAX_ROUTE_M, (route["id"], round(length))


def test_no_two_consecutive_route_vertices_are_more_than_450_m_apart(data):
    for route in data["routes"]:
        for a, b in zip(route["path"], route["path"][1:]):
            assert geodesic(a, b).meters <= MAX_VERTEX_GAP_M, (route["id"], a, b)


def test_no_route_repeats_a_vertex_back_to_back(data):
    for route in data["routes"]:
        for a, b in zip(route["path"], route["path"][1:]):
            assert a != b, (route["id"], a)


def test_every_route_ends_where_it_starts_as_a_loop_or_an_out_and_back(data):
    for route in data["routes"]:
        assert len(route["path"]) >= 3, route["id"]
        assert route["path"][0] == route["path"][-1], route["id"]


def test_at_least_half_of_each_neighborhoods_merchants_are_within_60_m_of_one_of_its_routes(data):
    paths = defaultdict(list)
    for route in data["routes"]:
        paths[route["neighborhood_id"]].append(route["path"])
    near, total = Counter(), Counter()
    for merchant in data["merchants"]:
        nid = merchant["neighborhood_id"]
        total[nid] += 1
        d = min(distance_to_route_m(merchant["location"], p) for p in paths[nid])
        near[nid] += d <= MERCHANT_NEAR_ROUTE_M
    for nid in NEIGHBORHOOD_IDS:
        assert total[nid] >= 8, nid
        assert near[nid] * 2 >= total[nid], (nid, near[nid], total[nid])


def test_merchants_use_known_categories_and_languages(data):
    for merchant in data["merchants"]:
        assert merchant["category"] in CATEGORIES, merchant["id"]
        assert merchant["languages"] and set(merchant["languages"]) <= LANGUAGES, merchant["id"]
        assert re.fullmatch(r"\d+ \S.*", merchant["address"]), merchant["address"]


def test_members_use_known_roles_and_languages(data):
    for member in data["members"]:
        assert member["role"] in ROLES, member["id"]
        assert member["languages"] and set(member["languages"]) <= LANGUAGES, member["id"]
        assert isinstance(member["trained_lead"], bool), member["id"]


def test_each_neighborhood_has_at_least_two_trained_leads(data):
    leads = Counter(m["neighborhood_id"] for m in data["members"] if m["trained_lead"])
    for nid in NEIGHBORHOOD_IDS:
        assert leads[nid] >= 2, (nid, leads[nid])


def test_there_are_at_least_two_coordinators(data):
    assert sum(m["role"] == "coordinator" for m in data["members"]) >= 2


def test_phone_numbers_are_in_the_fictitious_555_01xx_range(data):
    for member in data["members"]:
        assert re.fullmatch(r"\+1 \d{3} 555 01\d\d", member["phone"]), member["phone"]
    phones = [m["phone"] for m in data["members"]]
    assert len(set(phones)) == len(phones)


def test_shift_templates_have_a_valid_weekday_time_duration_and_capacity(data):
    for shift in data["shift_templates"]:
        assert shift["weekday"] in range(7), shift["id"]
        hh, mm = shift["start"].split(":")
        assert re.fullmatch(r"\d\d:\d\d", shift["start"]) and int(hh) < 24 and int(mm) < 60, shift["id"]
        assert 30 <= shift["duration_minutes"] <= 240, shift["id"]
        assert 3 <= shift["capacity"] <= 8, shift["id"]
        assert isinstance(shift["needs_lead"], bool), shift["id"]
        assert shift["title"] and shift["meeting_point"], shift["id"]


def test_every_neighborhood_has_shift_templates_on_at_least_three_weekdays(data):
    days = defaultdict(set)
    for shift in data["shift_templates"]:
        days[shift["neighborhood_id"]].add(shift["weekday"])
    for nid in NEIGHBORHOOD_IDS:
        assert len(days[nid]) >= 3, (nid, days[nid])
