"""Routes in the console, on a real server: from a GPX or GeoJSON file, from typed points
with the bad line named, and from a stroll a team walked (its GPS track, synced by a
phone, simplified into the new route's points)."""
from __future__ import annotations

import json
import re

import pytest

from server_records import stroll
from stroll.domain import TrackChunk
from stroll.domain.geo import distance_m, encode_track, walk_fixes
from test_console_access import member_console, problems_of

GRANT = [[37.7905, -122.4058], [37.7925, -122.4062], [37.7946, -122.4066],
         [37.7963, -122.4069]]


@pytest.fixture(scope="module")
def coordinator(live):
    c = member_console(live, "coordinator", "route.maker")
    r = c.post("/console/neighborhoods/new", {
        "name": "Route Town", "bbox.south": "37.78", "bbox.west": "-122.42",
        "bbox.north": "37.80", "bbox.east": "-122.40"})
    assert r.status_code == 303
    c.hood = next(h for h in live.storage.records_of_type("neighborhood")
                  if h["name"] == "Route Town")
    return c


def saved_route(live, name: str) -> dict:
    return next(r for r in live.storage.records_of_type("route") if r["name"] == name)


def test_a_gpx_file_becomes_the_routes_points(live, coordinator):
    gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="test" '
           'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
           + "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lat, lon in GRANT)
           + "</trkseg></trk></gpx>")
    page = coordinator.get("/console/routes/new")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = coordinator.http.post(coordinator.base + "/console/routes/new",
                              data={"csrf": csrf, "name": "Grant by GPX",
                                    "neighborhood_id": coordinator.hood["id"]},
                              files={"file": ("grant.gpx", gpx.encode(), "application/gpx+xml")},
                              allow_redirects=False, timeout=30)
    assert r.status_code == 303, problems_of(r.text)
    assert saved_route(live, "Grant by GPX")["path"] == GRANT


def test_geojson_is_read_as_longitude_latitude(live, coordinator):
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
           "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in GRANT]}}]}
    page = coordinator.get("/console/routes/new")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = coordinator.http.post(coordinator.base + "/console/routes/new",
                              data={"csrf": csrf, "name": "Grant by GeoJSON",
                                    "neighborhood_id": coordinator.hood["id"]},
                              files={"file": ("grant.geojson", json.dumps(doc).encode(),
                                              "application/geo+json")},
                              allow_redirects=False, timeout=30)
    assert r.status_code == 303, problems_of(r.text)
    assert saved_route(live, "Grant by GeoJSON")["path"] == GRANT


def test_a_typed_line_that_is_not_a_point_is_named_and_nothing_is_saved(live, coordinator):
    r = coordinator.post("/console/routes/new", {
        "name": "Typo route", "neighborhood_id": coordinator.hood["id"],
        "path_text": "37.7905, -122.4058\n37.79 -122.40 extra\n37.7963, -122.4069"})
    assert r.status_code == 422
    assert problems_of(r.text) == ["Line 2 is not “latitude, longitude”."]
    assert "37.79 -122.40 extra" in r.text                       # what was typed stays
    assert not [x for x in live.storage.records_of_type("route") if x["name"] == "Typo route"]
    r = coordinator.post("/console/routes/new", {
        "name": "Not a file", "neighborhood_id": coordinator.hood["id"]})
    assert problems_of(r.text) == ["Give the route's points: a file or typed lines."]


def test_a_walked_stroll_becomes_a_new_route_to_name(live, coordinator):
    phone = live.enroll("ambassador")
    fixes = walk_fixes([tuple(p) for p in GRANT], seed=3)
    walked = stroll(neighborhood_id=coordinator.hood["id"], started_at="2026-11-28T18:00:00-08:00",
                    ended_at="2026-11-28T18:40:00-08:00", status="ended",
                    distance_m=650.0)
    chunks = [TrackChunk(stroll_id=walked["id"], seq=i, points=encode_track(part),
                         point_count=len(part)).to_dict()
              for i, part in enumerate((fixes[:60], fixes[59:]))]
    results = live.send(phone, ("stroll", "upsert", walked),
                        *[("track_chunk", "upsert", c) for c in chunks])["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    listing = coordinator.get("/console/routes/from-walk")
    assert f'id="walk-{walked["id"]}"' in listing.text
    form = coordinator.get(f"/console/routes/new?stroll={walked['id']}").text
    typed = re.search(r'<textarea id="path_text" name="path_text"[^>]*>([^<]*)</textarea>',
                      form).group(1)
    points = [[float(x) for x in line.split(",")] for line in typed.splitlines()]
    assert 2 <= len(points) < len(fixes) / 4                     # simplified
    assert distance_m(points[0], GRANT[0]) < 10 and distance_m(points[-1], GRANT[-1]) < 10
    assert f'<option value="{coordinator.hood["id"]}" selected' in form
    r = coordinator.post("/console/routes/new", {
        "name": "Grant as walked", "neighborhood_id": coordinator.hood["id"],
        "path_text": typed})
    assert r.status_code == 303
    assert len(saved_route(live, "Grant as walked")["path"]) == len(points)


def test_a_stroll_with_no_track_yet_says_so(live, coordinator):
    phone = live.enroll("ambassador")
    bare = stroll(neighborhood_id=coordinator.hood["id"], status="ended",
                  started_at="2026-11-28T18:30:00-08:00", ended_at="2026-11-28T19:00:00-08:00")
    assert live.send(phone, ("stroll", "upsert", bare))["results"][0]["status"] == "applied"
    r = coordinator.get(f"/console/routes/new?stroll={bare['id']}")
    assert r.status_code == 404
    assert "This stroll has no GPS track on the server yet." in r.text
