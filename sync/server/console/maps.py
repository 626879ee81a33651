"""The console's maps: where the teams walked (planned routes, walked tracks, check-ins,
incidents), a stroll's own page and map, and coverage (which pieces of the planned
routes and which businesses were visited, how often and when, and the gaps).

Each page is a filter form, a map in an ``<iframe>`` (its document drawn by folium:
``mapdraw.py``) and tables with the same numbers. A map's document answers at the
page's address + ``/frame`` with the same filters, behind the same gate.

A view of places, not a tracker of people: the coverage map draws counts per piece of
street and per business, never a track; the routes map draws tracks with their time
and route; a track's team is named only on its stroll's own page.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from fastapi import FastAPI
from fastapi.responses import Response

from stroll.domain import taxonomy as tx
from stroll.domain.ids import is_uuid
from stroll.i18n import Translator

from .. import coverage as cov
from ..storage import Storage
from . import mapdraw as draw
from .mapdata import (GAPS_LISTED, STROLLS_LISTED, TRACK_TOLERANCE_M, TRACKS_DRAWN, MapFilter,
                      Period, checkin_position, harms, has_position, parse_time, read_filter,
                      segment_offsets, stretch_label, tracks_of, walked_pieces)
from .web import Console, Ctx, _add, existing

# ---- the pages ------------------------------------------------------------------------------

def install_maps(app: FastAPI, console: Console, store: Storage) -> None:
    page = console.page
    zone = ZoneInfo(console.tz)
    tiles = console.settings.console_map_tiles == "mbtiles"

    def today() -> date:
        return datetime.now(zone).date()

    def exists(rtype: str, record_id: str) -> bool:
        return store.live_record(rtype, record_id) is not None

    def filters(ctx: Ctx) -> MapFilter:
        me = store.member_record(ctx.signed.actor.member_id) if ctx.signed.actor.member_id \
            else None
        return read_filter(ctx.request.query_params, today(), exists=exists,
                           home=(me or {}).get("neighborhood_id"))

    def choices(ctx: Ctx) -> dict[str, Any]:
        tr = ctx.tr
        return {"hoods": sorted(store.records_of_type("neighborhood"), key=tr.place),
                "all_routes": sorted(store.records_of_type("route"), key=tr.place),
                "people": sorted(store.records_of_type("member"),
                                 key=lambda m: m.get("name", "")),
                "harm_types": tx.HARM_TYPES}

    def names(ctx: Ctx) -> dict[str, dict[str, str]]:
        tr = ctx.tr
        return {rtype: {r["id"]: tr.place(r) for r in store.records_of_type(rtype)}
                for rtype in ("neighborhood", "route")}

    # -- where the teams walked --
    def routes_page(ctx: Ctx) -> Response:
        f = filters(ctx)
        period = Period(store, zone, f)
        strolls = period.strolls()
        ids = {s["id"] for _w, s in strolls}
        rows = [(s, ctx.tr.day_time(when.astimezone(zone)), ctx.tr.distance(
                 float(s.get("distance_m") or 0))) for when, s in strolls[:STROLLS_LISTED]]
        return console.render(
            ctx, "map.html", section="map", f=f, frame=f"/console/map/frame?{f.query()}",
            strolls=rows, stroll_count=len(strolls), capped=len(strolls) > TRACKS_DRAWN,
            drawn=TRACKS_DRAWN, check_ins=len(period.check_ins(ids)),
            incidents=len(period.incidents(ids)), names=names(ctx),
            total_m=sum(float(s.get("distance_m") or 0) for _w, s in strolls),
            **choices(ctx))

    def routes_frame(ctx: Ctx) -> Response:
        f = filters(ctx)
        tr = ctx.tr
        period = Period(store, zone, f)
        strolls = period.strolls()
        ids = {s["id"] for _w, s in strolls}
        routes = period.routes()
        drawn = strolls[:TRACKS_DRAWN]
        tracks = period.tracks(s["id"] for _w, s in drawn)
        merchants = period.merchants()
        check_ins = period.check_ins(ids)
        incidents = period.incidents(ids)
        frame_points = [p for r in routes for p in r.get("path") or ()]
        for points in tracks.values():
            if len(points):
                frame_points += [tuple(points[0, :2]), tuple(points[-1, :2])]
        m = draw.new_map(frame_points or _hood_corners(store, f), tiles=tiles)
        route_name = names(ctx)["route"]
        layer = draw.layer(m, tr.t("console.map.layer.routes"))
        for r in routes:
            draw.line(layer, r.get("path") or (), colour=draw.ROUTE_COLOUR, weight=6,
                      opacity=0.55, tooltip=route_name.get(r["id"], ""))
        layer = draw.layer(m, tr.t("console.map.layer.tracks"))
        for when, s in drawn:
            points = tracks.get(s["id"])
            if points is None or len(points) < 2:
                continue
            shown = walked_pieces(points, TRACK_TOLERANCE_M)
            label = tr.day_time(when.astimezone(zone))
            if s.get("route_id") in route_name:
                label += " · " + route_name[s["route_id"]]
            draw.line(layer, shown, colour=draw.TRACK_COLOUR, weight=3, tooltip=label,
                      popup=draw.link(f"/console/strolls/{s['id']}",
                                      tr.t("console.map.open_stroll")))
        _check_ins_and_incidents(m, tr, zone, check_ins, incidents, merchants)
        return draw.frame(draw.finish(m))

    # -- a stroll's own page --
    def stroll_page(ctx: Ctx, record_id: str) -> Response:
        tr = ctx.tr
        s = existing(store, "stroll", record_id)
        started, ended = parse_time(s.get("started_at")), parse_time(s.get("ended_at"))
        check_ins = sorted(store.records_where("check_in", "stroll_id", s["id"]),
                           key=lambda c: c.get("at") or "")
        incidents = sorted(store.records_where("incident", "stroll_id", s["id"]),
                           key=lambda i: i.get("occurred_at") or "")
        merchants = {m["id"]: m for m in store.records_of_type("merchant")}
        local = (lambda dt: tr.day_time(dt.astimezone(zone)) if dt else "")
        return console.render(
            ctx, "stroll.html", section="map", s=s, names=names(ctx),
            started=local(started), ended=local(ended),
            distance=tr.distance(float(s.get("distance_m") or 0)),
            check_ins=[(c, local(parse_time(c.get("at"))),
                        tr.place(merchants.get(c.get("merchant_id")))) for c in check_ins],
            incidents=[(i, local(parse_time(i.get("occurred_at"))), harms(tr, i))
                       for i in incidents],
            tallies=[(k, n) for k, n in sorted((s.get("tallies") or {}).items())
                     if k in tx.TALLIES],
            frame=f"/console/strolls/{s['id']}/frame")

    def stroll_frame(ctx: Ctx, record_id: str) -> Response:
        tr = ctx.tr
        s = existing(store, "stroll", record_id)
        points = tracks_of(store, [s["id"]]).get(s["id"], np.zeros((0, 3)))
        route = store.live_record("route", s["route_id"]) if is_uuid(
            s.get("route_id") or "") else None
        merchants = {m["id"]: m for m in store.records_of_type("merchant")}
        frame_points = [tuple(p) for p in points[:, :2]] + list((route or {}).get("path") or ())
        m = draw.new_map(frame_points, tiles=tiles)
        if route:
            layer = draw.layer(m, tr.t("console.map.layer.routes"))
            draw.line(layer, route.get("path") or (), colour=draw.ROUTE_COLOUR, weight=6,
                      opacity=0.55, tooltip=tr.place(route))
        if len(points) > 1:
            layer = draw.layer(m, tr.t("console.map.layer.tracks"))
            team = ", ".join(str(p.get("name", "")) for p in s.get("team") or ()
                             if isinstance(p, dict))
            draw.line(layer, walked_pieces(points, TRACK_TOLERANCE_M / 2),
                      colour=draw.TRACK_COLOUR, weight=4, tooltip=team)
        timed = (lambda records, field: [(when, r) for r in records
                                         if (when := parse_time(r.get(field))) is not None])
        _check_ins_and_incidents(
            m, tr, zone, timed(store.records_where("check_in", "stroll_id", s["id"]), "at"),
            timed(store.records_where("incident", "stroll_id", s["id"]), "occurred_at"),
            merchants)
        return draw.frame(draw.finish(m))

    # -- coverage --
    # what a coverage page worked out, kept for its map's request that follows (and
    # the next look), while no record has changed: (filter, cursor) -> the answer
    recent: OrderedDict[tuple, tuple[Period, cov.Coverage, list]] = OrderedDict()
    lock = threading.Lock()

    def coverage_of(f: MapFilter) -> tuple[Period, cov.Coverage, list]:
        key = (f, store.cursor())
        with lock:
            if key in recent:
                recent.move_to_end(key)
                return recent[key]
        answer = work_out_coverage(f)
        with lock:
            recent[key] = answer
            while len(recent) > COVERAGE_KEPT:
                recent.popitem(last=False)
        return answer

    def work_out_coverage(f: MapFilter) -> tuple[Period, cov.Coverage, list]:
        period = Period(store, zone, replace(f, member_id=None, harm_type=None))
        routes = period.routes()
        segments = cov.route_segments(routes)
        strolls = period.strolls()
        ids = {s["id"] for _w, s in strolls}
        tracks = period.tracks(ids)
        merchants = [m for m in period.merchants().values()
                     if f.neighborhood_id is None or m.get("neighborhood_id") == f.neighborhood_id]
        check_ins = [(c.get("merchant_id"), when) for when, c in period.check_ins(ids)]
        result = cov.coverage(segments, tracks.values(), check_ins,
                              [m["id"] for m in merchants], zone)
        result.strolls = len(strolls)   # a stroll with no track yet counts too
        return period, result, merchants

    def coverage_view(ctx: Ctx):
        """What both coverage answers start from: the filter, the coverage, the
        businesses, the moment gaps are judged at, route names, pieces' offsets."""
        f = filters(ctx)
        period, result, merchants = coverage_of(f)
        return (f, result, merchants, min(period.stop, datetime.now(zone)),
                names(ctx)["route"], segment_offsets(result.segments))

    def coverage_page(ctx: Ctx) -> Response:
        tr = ctx.tr
        f, result, merchants, end, route_name, offsets = coverage_view(ctx)
        per_route: dict[str, dict[str, Any]] = {}
        runs: list[list] = []   # [route_id, start, end, flags]: neighbouring pieces joined
        for seg, tally, offset in zip(result.segments, result.by_segment, offsets):
            row = per_route.setdefault(seg.route_id, {
                "name": route_name.get(seg.route_id, ""), "length": 0.0, "walked": 0.0,
                "never": 0, "stale": 0, "no_evening": 0, "segments": 0, "walks": 0})
            row["segments"] += 1
            row["length"] += seg.length_m
            row["walks"] += tally.visits
            if tally.visits:
                row["walked"] += seg.length_m
            flags = tally.gaps(end)
            for flag in flags:
                row[flag] += 1
            if not flags:
                continue
            last = runs[-1] if runs else None
            if last and last[0] == seg.route_id and last[3] == flags and \
                    abs(last[2] - offset) < 1:
                last[2] = offset + seg.length_m
            else:
                runs.append([seg.route_id, offset, offset + seg.length_m, flags])
        gaps = [(stretch_label(tr, route_name.get(route_id, ""), start, stop),
                 [tr.t(f"console.coverage.gap.{g}") for g in flags])
                for route_id, start, stop, flags in runs[:GAPS_LISTED]]
        routes = sorted(per_route.values(), key=lambda r: r["name"])
        for r in routes:
            r["share"] = tr.number(100 * r["walked"] / r["length"], 0) if r["length"] else "0"
        week = result.week()
        monday = date(2024, 1, 1)
        businesses = []
        for m in sorted(merchants, key=tr.place):
            tally = result.merchants[m["id"]]
            businesses.append({
                "id": m["id"], "name": tr.place(m), "visits": tally.visits,
                "last": tr.day(tally.last.date()) if tally.last else "",
                "bands": [tally.bands[b] for b in cov.BANDS],
                "gaps": [tr.t(f"console.coverage.gap.{g}") for g in tally.gaps(end)]})
        return console.render(
            ctx, "coverage.html", section="coverage", f=f,
            frame=f"/console/coverage/frame?{f.query()}", routes=routes, gaps=gaps,
            gap_count=sum(1 for t in result.by_segment if t.gaps(end)),
            businesses=businesses, strolls=result.strolls, bands=cov.BANDS,
            week=[(tr.weekday(monday + timedelta(days=d)), week[d]) for d in range(7)],
            share=tr.number(100 * result.walked_share(), 0), gap_days=cov.GAP_DAYS,
            **choices(ctx))

    def coverage_frame(ctx: Ctx) -> Response:
        tr = ctx.tr
        f, result, merchants, end, route_name, offsets = coverage_view(ctx)
        corners = [p for s in result.segments for p in (s.a, s.b)]
        corners += [(m["lat"], m["lon"]) for m in merchants if has_position(m)]
        m = draw.new_map(corners or _hood_corners(store, f), tiles=tiles)
        layer = draw.layer(m, tr.t("console.coverage.layer.streets"))
        for seg, tally, offset in zip(result.segments, result.by_segment, offsets):
            colour, dash = _segment_style(tally, end)
            tip = stretch_label(tr, route_name.get(seg.route_id, ""), offset,
                                offset + seg.length_m) + " · " + _tally_words(tr, tally, end)
            draw.line(layer, (seg.a, seg.b), colour=colour, weight=7, dash=dash, tooltip=tip)
        layer = draw.layer(m, tr.t("console.coverage.layer.businesses"))
        by_colour: dict[str, list] = {}
        for merchant in merchants:
            if not has_position(merchant):
                continue
            tally = result.merchants[merchant["id"]]
            colour, _dash = _segment_style(tally, end)
            by_colour.setdefault(colour, []).append((
                merchant["lat"], merchant["lon"],
                f"{tr.place(merchant)} · {_tally_words(tr, tally, end)}"))
        for colour, points in by_colour.items():
            draw.dots(layer, points, colour=colour, radius=7)
        spots = [(float(i["lat"]), float(i["lon"])) for _w, i in
                 Period(store, zone, replace(f, route_id=None, member_id=None)).incidents(set())
                 if has_position(i)]
        if spots:
            draw.heat(m, tr.t("console.coverage.layer.incidents"), spots)
        return draw.frame(draw.finish(m))

    for path, run in (("/console/map", routes_page), ("/console/map/frame", routes_frame),
                      ("/console/coverage", coverage_page),
                      ("/console/coverage/frame", coverage_frame),
                      ("/console/strolls/{record_id}", stroll_page),
                      ("/console/strolls/{record_id}/frame", stroll_frame)):
        _add(app, path, "GET", page(run))


COVERAGE_KEPT = 8   # coverage answers kept a server process (each a few hundred KB)


# ---- pieces of the pages --------------------------------------------------------------------

COVERAGE_COLOURS = {"never": "#b3261e", "stale": "#b86e00", "some": "#7cb342",
                    "often": "#1b7f3b"}
OFTEN = 4  # walks in the period that make a street "often walked"


def _segment_style(tally: cov.Tally, end: datetime) -> tuple[str, str | None]:
    flags = tally.gaps(end)
    if "never" in flags:
        return COVERAGE_COLOURS["never"], "6 6"
    if "stale" in flags:
        return COVERAGE_COLOURS["stale"], None
    return COVERAGE_COLOURS["often" if tally.visits >= OFTEN else "some"], None


def _tally_words(tr: Translator, tally: cov.Tally, end: datetime) -> str:
    if not tally.visits:
        return tr.t("console.coverage.never")
    words = tr.t("console.coverage.visits", count=tally.visits)
    if tally.last is not None:
        words += " · " + tr.t("console.coverage.last", day=tr.day(tally.last.date()))
    words += " · " + ", ".join(f"{tr.t('console.coverage.band.' + b)} {tally.bands[b]}"
                               for b in cov.BANDS)
    return words


def _check_ins_and_incidents(m, tr: Translator, zone: ZoneInfo, check_ins, incidents,
                             merchants: dict[str, dict]) -> None:
    """The check-ins ((when, record)), a colour a status, and the incidents, each a
    layer of the map."""
    by_status: dict[str, list] = {status: [] for status in draw.STATUS_COLOURS}
    for when, c in check_ins:
        at = checkin_position(c, merchants)
        if at is None:
            continue
        status = c.get("status") if c.get("status") in draw.STATUS_COLOURS else "all_good"
        by_status[status].append((*at, f"{tr.place(merchants.get(c.get('merchant_id')))} · "
                                        f"{tr.t('check_in_status.' + status)} · "
                                        f"{tr.day_time(when.astimezone(zone))}"))
    layer = draw.layer(m, tr.t("console.map.layer.check_ins"))
    for status, points in by_status.items():
        draw.dots(layer, points, colour=draw.STATUS_COLOURS[status])
    layer = draw.layer(m, tr.t("console.map.layer.incidents"))
    draw.dots(layer, [(float(i["lat"]), float(i["lon"]),
                       _incident_label(tr, i, when.astimezone(zone)))
                      for when, i in incidents if has_position(i)],
              colour=draw.INCIDENT_COLOUR, radius=7)


def _incident_label(tr: Translator, incident: dict, when: datetime) -> str:
    label = f"{harms(tr, incident)} · {tr.day_time(when)}"
    precision = incident.get("location_precision") or "exact"
    if precision != "exact":
        label += " · " + tr.t(f"console.map.precision.{precision}")
    return label


def _hood_corners(store: Storage, f: MapFilter) -> list[tuple[float, float]]:
    """Where to look when a period holds nothing: the neighborhood's area, else its
    centre (else the map's default place)."""
    hood = store.live_record("neighborhood", f.neighborhood_id) if f.neighborhood_id else None
    if not hood:
        return []
    try:
        (south, west), (north, east) = hood.get("bbox") or ()
        return [(float(south), float(west)), (float(north), float(east))]
    except (TypeError, ValueError):
        pass
    try:
        return [(float(hood["center_lat"]), float(hood["center_lon"]))]
    except (KeyError, TypeError, ValueError):
        return []
