"""The map files the console exports (``exports.py`` serves them): a GeoJSON file
(RFC 7946) of routes, walked tracks, check-ins and incidents, and the walked tracks as
GPX; and the tracks they are made of, decoded in bulk.

Pure: records in, pieces of text out, a few strolls' tracks at a time (``tracks``: a
function the page gives, reading them from the storage), so a month of tracks (a
million points) goes out while it is read, never whole in memory.

- GeoJSON: coordinates ``[lon, lat]``, no ``crs``; an incident where its record allows
  (``location_precision``, ``stroll.domain.disclosure``) and what happened there, never
  who it happened to (a map of places: survivor fields stay in the incidents' CSV).
- GPX 1.1 (gpxpy writes the document and each track's head; the points, a million in a
  month, are written here, as gpxpy writes them, five times faster), one track a
  stroll, each point with its time (UTC).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Callable, Iterable, Iterator

import gpxpy.gpx
import gpxpy.gpxfield
import numpy as np

from .exportfiles import ROWS_A_PIECE, Program

# ---- tracks: the compact encoding, decoded in bulk ---------------------------------------


def track_columns(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lat, lon (degrees) and time (epoch seconds) of the fixes of one encoded track
    chunk (``stroll.domain.geo.encode_track``), decoded in bulk: what ``decode_track``
    gives, 20 times faster. ValueError on a bad or truncated text."""
    if not text:
        empty = np.zeros(0)
        return empty, empty, empty
    try:
        raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as e:
        raise ValueError(f"track encoding has an invalid character at {e.start}") from None
    b = raw.astype(np.int64) - 63
    if b.min() < 0 or b.max() > 63:
        raise ValueError("track encoding has an invalid character")
    ends = b < 0x20
    if not ends[-1]:
        raise ValueError("track encoding is truncated")
    group = np.cumsum(ends) - ends                     # the value each character is of
    starts = np.flatnonzero(np.concatenate(([True], ends[:-1])))
    shift = (np.arange(len(b)) - starts[group]) * 5
    if shift.max() > 45:
        raise ValueError("track encoding holds a value too large")
    n = int(ends.sum())
    if n % 4:
        raise ValueError("track encoding is truncated")
    zz = np.bincount(group, weights=((b & 0x1F) << shift).astype(np.float64),
                     minlength=n).astype(np.int64)
    values = ((zz >> 1) ^ -(zz & 1)).reshape(-1, 4).cumsum(axis=0)
    return values[:, 0] / 1e5, values[:, 1] / 1e5, values[:, 2].astype(np.float64)


def stroll_track(chunks: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stroll's whole track from its chunks (in ``seq`` order; a chunk that does not
    decode is left out, not the whole file)."""
    parts = []
    for c in sorted(chunks, key=lambda c: c.get("seq") or 0):
        try:
            parts.append(track_columns(c.get("points") or ""))
        except ValueError:
            continue
    if not parts:
        empty = np.zeros(0)
        return empty, empty, empty
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore


def utc_times(t: np.ndarray) -> list[str]:
    """Epoch seconds as ISO 8601 UTC (``2026-11-03T17:05:09Z``), in bulk."""
    text = np.datetime_as_string(t.astype("datetime64[s]"), unit="s")
    return [s + "Z" for s in text.tolist()]



# ---- GeoJSON (RFC 7946) ---------------------------------------------------------------------


def _feature(geometry: str, properties: dict) -> str:
    return ('{"type":"Feature","geometry":' + geometry + ',"properties":'
            + json.dumps(properties, ensure_ascii=False, separators=(",", ":")) + "}")


def _point(lon: float, lat: float) -> str:
    return f'{{"type":"Point","coordinates":[{lon:.6f},{lat:.6f}]}}'


def _line(lat: Iterable[float], lon: Iterable[float]) -> str:
    return ('{"type":"LineString","coordinates":['
            + ",".join([f"[{b:.5f},{a:.5f}]" for a, b in zip(lat, lon)]) + "]}")


def geojson_pieces(pg: Program, routes: list[dict], strolls: list[dict],
                   tracks: Callable[[list[dict]], Iterator[tuple[dict, tuple]]],
                   check_ins: list[dict], incidents: list[dict]) -> Iterator[str]:
    """A FeatureCollection: the routes, each stroll's walked track (``tracks``: the
    strolls' tracks, a few strolls at a time), the check-ins, the incidents (each
    already in the reader's view; no survivor field goes on a map)."""
    yield '{"type":"FeatureCollection","features":['
    first = True

    def sep() -> str:
        nonlocal first
        if first:
            first = False
            return ""
        return ","

    for r in routes:
        path = r.get("path") or []
        yield sep() + _feature(_line([p[0] for p in path], [p[1] for p in path]), {
            "kind": "route", "id": r["id"], "name": pg.tr.place(r),
            "neighborhood": pg.place(pg.hoods, r.get("neighborhood_id"))})
    for s, (lat, lon, t) in tracks(strolls):
        if len(lat) < 2:
            continue
        yield sep() + _feature(_line(lat.tolist(), lon.tolist()), {
            "kind": "track", "id": s["id"], "route": pg.place(pg.routes, s.get("route_id")),
            "neighborhood": pg.place(pg.hoods, s.get("neighborhood_id")),
            "started_at": s.get("started_at"), "ended_at": s.get("ended_at"),
            "points": len(lat)})
    piece: list[str] = []
    for c in check_ins:
        m = pg.merchants.get(c.get("merchant_id")) or {}
        lat, lon = c.get("lat"), c.get("lon")
        if lat is None or lon is None:
            lat, lon = m.get("lat"), m.get("lon")
        if lat is None or lon is None:
            continue
        piece.append(sep() + _feature(_point(lon, lat), {
            "kind": "check_in", "id": c["id"], "at": c.get("at"),
            "status": c.get("status"), "merchant": pg.tr.place(m) if m else "",
            "note": c.get("note", "")}))
        if len(piece) >= ROWS_A_PIECE:
            yield "".join(piece)
            piece = []
    for i in incidents:
        if i.get("lat") is None or i.get("lon") is None:
            continue
        props = {"kind": "incident", "id": i["id"], "occurred_at": i.get("occurred_at"),
                 "harm_types": i.get("harm_types") or [],
                 "location_precision": i.get("location_precision") or "exact",
                 "neighborhood": pg.place(pg.hoods, i.get("neighborhood_id"))}
        for k in ("site_type", "cross_streets"):   # a map of places: no survivor field
            if i.get(k):
                props[k] = i[k]
        piece.append(sep() + _feature(_point(i["lon"], i["lat"]), props))
        if len(piece) >= ROWS_A_PIECE:
            yield "".join(piece)
            piece = []
    yield "".join(piece) + "]}"


# ---- GPX -------------------------------------------------------------------------------------


def gpx_pieces(pg: Program, title: str, strolls: list[dict],
               tracks: Callable[[list[dict]], Iterator[tuple[dict, tuple]]]) -> Iterator[str]:
    """GPX 1.1: one track a stroll (named by its route and start), each point with
    its time (UTC)."""
    doc = gpxpy.gpx.GPX()
    doc.creator = "stroll"
    doc.name = title
    doc.time = datetime.now(pg.tz)
    head, tail = doc.to_xml(version="1.1").rsplit("</gpx>", 1)
    yield head
    for s, (lat, lon, t) in tracks(strolls):
        if len(lat) == 0:
            continue
        start = pg.local(s.get("started_at"))
        route = pg.place(pg.routes, s.get("route_id"))
        trk = gpxpy.gpx.GPXTrack(
            name=" · ".join(x for x in (route, start.strftime("%Y-%m-%d %H:%M")
                                        if start else "") if x),
            description=pg.place(pg.hoods, s.get("neighborhood_id")))
        trk.type = "stroll"
        trk.segments.append(gpxpy.gpx.GPXTrackSegment())
        xml = gpxpy.gpxfield.gpx_fields_to_xml(trk, "trk", version="1.1", indent="  ")
        before, after = xml.split("</trkseg>", 1)
        points = "".join([f'<trkpt lat="{a:.5f}" lon="{b:.5f}"><time>{c}</time></trkpt>\n'
                          for a, b, c in zip(lat.tolist(), lon.tolist(), utc_times(t))])
        yield before + points + "</trkseg>" + after
    yield "\n</gpx>" + tail
