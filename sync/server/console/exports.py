"""The console's exports page: a date range and a neighborhood, then a file to download —
spreadsheets (CSV) of strolls, check-ins, incidents and volunteer hours, a map file
(GeoJSON) and the walked tracks (GPX). The files themselves are ``exportfiles.py``
(spreadsheets) and ``mapfiles.py`` (GeoJSON, GPX).

Coordinators and admins (``rules.CONSOLE``: the console's pages). What an incident file
holds is the view the member's role reads every incident in (``rules.view_of_all``):
survivor fields only in the full view. Every export is written to the audit log (who,
which file, the range, the neighborhood, how many records, whether survivor fields were
in it) before its first byte goes out. A file is streamed in pieces: a month of tracks
is read a few strolls at a time.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse

from stroll.domain.ids import is_uuid

from .. import members
from ..rules import view_of_all
from ..storage import Storage
from . import exportfiles as ef
from . import mapfiles
from .web import SECURITY_HEADERS, Console, Ctx, _add

# file -> (media type, extension); its words: console.exports.what.<file>
FILES = {
    "strolls": ("text/csv; charset=utf-8", "csv"),
    "check_ins": ("text/csv; charset=utf-8", "csv"),
    "incidents": ("text/csv; charset=utf-8", "csv"),
    "hours": ("text/csv; charset=utf-8", "csv"),
    "geojson": ("application/geo+json", "geojson"),
    "gpx": ("application/gpx+xml", "gpx"),
}
RANGE_DAYS_MAX = 366
STROLLS_A_QUERY = 50      # strolls whose track chunks are read at once


class BadExport(Exception):
    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(key)


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def parse_range(query, hoods: dict[str, dict], today: date) -> tuple[date, date, str | None]:
    """The export's first and last day and neighborhood from the page's query; BadExport
    (a catalog key) when one does not hold."""
    default_start, default_end = last_month(today)
    days = []
    for name, default in (("from", default_start), ("to", default_end)):
        text = (query.get(name) or "").strip()
        if not text:
            days.append(default)
            continue
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise BadExport("console.exports.error.bad_date", value=text[:40]) from None
    start, end = days
    if end < start:
        raise BadExport("console.exports.error.order")
    if (end - start).days >= RANGE_DAYS_MAX:
        raise BadExport("console.exports.error.too_long", days=RANGE_DAYS_MAX)
    hood = (query.get("neighborhood") or "").strip() or None
    if hood is not None and (not is_uuid(hood) or hood not in hoods):
        raise BadExport("console.exports.error.unknown_neighborhood")
    return start, end, hood


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "area"


def file_name(what: str, start: date, end: date, hood: dict | None) -> str:
    ext = FILES[what][1]
    name = {"geojson": "map", "gpx": "tracks"}.get(what, what.replace("_", "-"))
    where = f"-{slug(hood['name'])}" if hood else ""
    return f"stroll-{name}{where}-{start.isoformat()}-to-{end.isoformat()}.{ext}"


@dataclass
class Selection:
    """The records an export covers: those of the range (days in the program's time
    zone) and the neighborhood (None: all), each type read when first asked; incidents
    in the reader's ``view``."""
    console: Console
    pg: ef.Program
    tz: ZoneInfo
    start: date
    end: date
    hood: str | None
    view: str | None

    def in_hood(self, hood_id: str | None) -> bool:
        return self.hood is None or hood_id == self.hood

    def _when(self, value: str | None) -> bool:
        return ef.in_range(value, self.start, self.end, self.tz)

    @cached_property
    def strolls(self) -> list[dict]:
        return sorted((s for s in self.console.records("stroll")
                       if self.in_hood(s.get("neighborhood_id"))
                       and self._when(s.get("started_at"))),
                      key=lambda s: s.get("started_at") or "")

    @cached_property
    def check_ins(self) -> list[dict]:
        merchants = self.pg.merchants
        return sorted((c for c in self.console.records("check_in")
                       if self.in_hood((merchants.get(c.get("merchant_id")) or {})
                                       .get("neighborhood_id"))
                       and self._when(c.get("at"))),
                      key=lambda c: c.get("at") or "")

    @cached_property
    def incidents(self) -> list[dict]:
        seen = (ef.incident_view(i, self.view) for i in self.console.records("incident"))
        return sorted((i for i in seen if i is not None
                       and self.in_hood(i.get("neighborhood_id"))
                       and self._when(i.get("occurred_at"))),
                      key=lambda i: i.get("occurred_at") or "")


def install_exports(app: FastAPI, console: Console, store: Storage) -> None:
    tz = ZoneInfo(console.tz)

    def program(ctx: Ctx) -> ef.Program:
        return ef.Program(ctx.tr, tz,
                          hoods={h["id"]: h for h in console.records("neighborhood")},
                          routes={r["id"]: r for r in console.records("route")},
                          merchants={m["id"]: m for m in console.records("merchant")},
                          members={m["id"]: m for m in console.records("member")})

    def form_page(ctx: Ctx, problem: str | None = None, status: int = 200) -> Response:
        query = ctx.request.query_params
        start, end = last_month(datetime.now(tz).date())
        hoods = sorted(console.records("neighborhood"), key=lambda h: ctx.tr.place(h))
        survivor = view_of_all("incident", ctx.signed.actor.role) == "full"
        return console.render(ctx, "exports.html", status=status, problem=problem,
                              neighborhoods=hoods, files=list(FILES), survivor=survivor,
                              start=query.get("from") or start.isoformat(),
                              end=query.get("to") or end.isoformat(),
                              chosen=query.get("neighborhood") or "")

    def exports_page(ctx: Ctx) -> Response:
        return form_page(ctx)

    def export_file(ctx: Ctx) -> Response:
        query = ctx.request.query_params
        what = query.get("what") or ""
        pg = program(ctx)
        try:
            if what not in FILES:
                raise BadExport("console.exports.error.unknown_file")
            start, end, hood = parse_range(query, pg.hoods, datetime.now(tz).date())
        except BadExport as e:
            return form_page(ctx, ctx.tr.t(e.key, **e.params), status=400)
        view = view_of_all("incident", ctx.signed.actor.role)
        sel = Selection(console, pg, tz, start, end, hood, view)
        survivor = False
        if what == "strolls":
            records = sel.strolls
            pieces = ef.csv_pieces(ef.header(ctx.tr, ef.STROLL_COLUMNS), ef.stroll_rows(
                pg, sel.strolls, Counter(c.get("stroll_id") for c in sel.check_ins),
                Counter(i.get("stroll_id") for i in sel.incidents)))
        elif what == "check_ins":
            records = sel.check_ins
            pieces = ef.csv_pieces(ef.header(ctx.tr, ef.CHECK_IN_COLUMNS),
                                   ef.check_in_rows(pg, sel.check_ins))
        elif what == "incidents":
            records = sel.incidents
            survivor = view == "full"
            pieces = ef.csv_pieces(ef.header(ctx.tr, ef.incident_columns(survivor)),
                                   ef.incident_rows(pg, sel.incidents, survivor))
        elif what == "hours":
            served = ef.checked_in(console.records("signup"), console.records("shift"),
                                   start, end, tz, hood)
            records = [*sel.strolls, *served]
            pieces = ef.csv_pieces(ef.header(ctx.tr, ef.HOURS_COLUMNS), ef.hours_rows(
                pg, ef.volunteer_hours(pg, sel.strolls, served)))
        elif what == "geojson":       # a map of places: no survivor field on it
            routes = [r for r in pg.routes.values() if sel.in_hood(r.get("neighborhood_id"))]
            records = [*routes, *sel.strolls, *sel.check_ins, *sel.incidents]
            pieces = mapfiles.geojson_pieces(pg, routes, sel.strolls, track_reader(),
                                             sel.check_ins, sel.incidents)
        else:
            records = sel.strolls
            title = ctx.tr.t("console.exports.gpx_title", start=start.isoformat(),
                             end=end.isoformat())
            pieces = mapfiles.gpx_pieces(pg, title, sel.strolls, track_reader())

        hood_record = pg.hoods.get(hood) if hood else None
        store.add_audit(at=members.iso(datetime.now(timezone.utc)),
                        member_id=ctx.signed.actor.member_id, device_id=None,
                        action="console_export",
                        detail=(f"file={what} from={start.isoformat()} to={end.isoformat()} "
                                f"neighborhood={hood or 'all'} records={len(records)} "
                                f"survivor_fields={'yes' if survivor else 'no'}"))
        media, _ext = FILES[what]
        name = file_name(what, start, end, hood_record)
        return StreamingResponse(_encoded(pieces), media_type=media, headers={
            **SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    def track_reader():
        def tracks(strolls: list[dict]) -> Iterator[tuple[dict, tuple]]:
            for i in range(0, len(strolls), STROLLS_A_QUERY):
                group = strolls[i:i + STROLLS_A_QUERY]
                chunks = store.track_chunks_of([s["id"] for s in group])
                by: dict[str, list[dict]] = {}
                for c in chunks:
                    by.setdefault(c["stroll_id"], []).append(c)
                del chunks
                for s in group:
                    yield s, mapfiles.stroll_track(by.pop(s["id"], []))
        return tracks

    for path, method, run in (
            ("/console/exports", "GET", console.page(exports_page)),
            ("/console/exports/file", "GET", console.page(export_file))):
        _add(app, path, method, run)


def _encoded(pieces: Iterator[str]) -> Iterator[bytes]:
    for piece in pieces:
        if piece:
            yield piece.encode("utf-8")


__all__ = ["install_exports", "parse_range", "file_name", "BadExport"]
