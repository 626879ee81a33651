"""The console's program pages: neighborhoods, routes, merchants, members and shifts,
each a list (shifts: the week) with its new and edit forms; members' and merchants'
spreadsheets; a shift's roster. The doors (sign-in, invites) are ``doors.py``.

Every request passes ``Console.gate`` first (web.py): who is signed in and whether the
rules let them open the page (``rules.may_open_console``): no session goes to the
sign-in page, a member whose role may not opens a 403 page. Every POST carries the CSRF
token of its form. A program edit is a record entry written as the signed-in
member by ``storage.write_as`` (the same rules, merge and cursor as a push). Pages are
rendered with the coordinator's language (``stroll.i18n``: the app's catalogs).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from stroll.domain import StrollError, new_id
from stroll.domain import taxonomy as tx
from stroll.domain.geo import decode_track, simplify
from stroll.domain.place_names import NAME_LANGUAGES
from stroll.domain.records import from_dict
from stroll.domain.staffing import staffing
from stroll.i18n import Translator

from ... import protocol as p
from .. import members
from ..rules import may_manage_member, may_write
from ..storage import Storage
from ..storage.mbtiles import TileFile
from . import doors, spreadsheets
from .maps import install_maps
from .exports import install_exports
from .dashboard import install_dashboard
from .followups import install_followups
from .roster import Rosters
from .forms import CHOICES, FORMS, PATH_POINTS_MAX, Problems, form_values, read_form, week_of, weekly
from .web import HERE, KINDS, SECURITY_HEADERS, Console, Ctx, Refused, _add, existing, log


WALKS_SHOWN = 50   # ended strolls offered as a route's start


def install(app: FastAPI, store: Storage, settings) -> Console:
    console = Console(store, settings)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"),
              name="console-static")

    page, action = console.page, console.action
    rosters = Rosters(console, store)
    roster = rosters.roster

    # ---- the program ----------------------------------------------------------------------
    def home(ctx: Ctx) -> Response:
        by_type = store.count_records(list(KINDS.values()))
        counts = {kind: by_type[rtype] for kind, rtype in KINDS.items()}
        return console.render(ctx, "home.html", counts=counts)

    def choices(ctx: Ctx) -> dict[str, Any]:
        hoods = sorted(console.records("neighborhood"), key=lambda r: ctx.tr.place(r))
        routes = sorted(console.records("route"), key=lambda r: ctx.tr.place(r))
        return {"neighborhoods": hoods, "routes": routes, "roles": tx.MEMBER_ROLES,
                "name_languages": NAME_LANGUAGES,
                # each list of boxes: its codes and the catalog prefix of their words
                "boxes": {"languages": (tx.SPOKEN_LANGUAGES, "spoken."),
                          "referral_needs": (tx.REFERRAL_NEEDS, "referrals."),
                          "harm_types": (tx.HARM_TYPES, "harm_types.")}}

    def notice_of(ctx: Ctx) -> str | None:
        query = ctx.request.query_params
        if query.get("saved", "").isdigit():
            return ctx.tr.t("console.saved", count=int(query["saved"]))
        if query.get("cancelled"):
            return ctx.tr.t("console.shift.cancelled")
        return None

    def list_page(ctx: Ctx, kind: str) -> Response:
        rtype = _rtype(kind)
        if rtype == "shift":
            return week_page(ctx)
        tr = ctx.tr
        records = console.records(rtype)
        hood_name = {h["id"]: tr.place(h) for h in console.records("neighborhood")}
        spoken = _memo(lambda code: tr.t(f"spoken.{code}"))
        rows = [_row(tr, rtype, r, hood_name.get(r.get("neighborhood_id"), ""), spoken)
                for r in records]
        rows.sort(key=lambda row: (row["hood"], row["name"]))
        return console.render(ctx, "list.html", kind=kind, rtype=rtype, rows=rows,
                              notice=notice_of(ctx))

    def week_page(ctx: Ctx) -> Response:
        """The shifts of one week (Monday to Sunday, in the program's time zone), a
        column a day, each with its places and its staffing gaps."""
        zone = ZoneInfo(console.tz)
        try:
            asked = date.fromisoformat(ctx.request.query_params.get("week", ""))
        except ValueError:
            asked = datetime.now(zone).date()
        monday = week_of(asked)
        days = [monday + timedelta(days=i) for i in range(7)]
        people = {m["id"]: m for m in console.records("member")}
        crews: dict[str, list[dict]] = {}
        waiting: dict[str, int] = {}
        for shift_id, _signup, member_id, status in store.active_signups():
            if status == "confirmed":
                crews.setdefault(shift_id, []).append(people.get(member_id) or {})
            else:
                waiting[shift_id] = waiting.get(shift_id, 0) + 1
        by_day: dict[date, list[tuple[dict, Any, str]]] = {d: [] for d in days}
        for shift in console.records("shift"):
            starts = datetime.fromisoformat(shift["starts_at"]).astimezone(zone)
            if starts.date() in by_day:
                ends = datetime.fromisoformat(shift["ends_at"]).astimezone(zone)
                by_day[starts.date()].append((shift, staffing(
                    shift, crews.get(shift["id"], []), waiting.get(shift["id"], 0)),
                    ctx.tr.time_range(starts, ends)))
        for day in days:
            by_day[day].sort(key=lambda row: row[0]["starts_at"])
        short = sum(1 for d in days for _s, state, _t in by_day[d] if state.short)
        hood_of = {h["id"]: h for h in console.records("neighborhood")}
        return console.render(
            ctx, "week.html", kind="shifts", rtype="shift", days=days, by_day=by_day,
            hood_of=hood_of, short=short, notice=notice_of(ctx),
            previous=(monday - timedelta(days=7)).isoformat(),
            following=(monday + timedelta(days=7)).isoformat(),
            week_label=ctx.tr.t("console.week.of", start=ctx.tr.day(days[0]),
                                end=ctx.tr.day(days[-1])))

    def form_page(ctx: Ctx, kind: str, record_id: str | None = None,
                  problems: Problems | None = None, values: dict | None = None,
                  status: int = 200, invite: members.Invite | None = None,
                  message: str | None = None) -> Response:
        rtype = _rtype(kind)
        record = None
        if record_id is not None:
            record = existing(store, rtype, record_id)
        if values is None:
            values = form_values(rtype, record, console.tz)
            if record is None:
                values.update(_defaults(rtype, ctx.request.query_params))
                walked = ctx.request.query_params.get("stroll")
                if rtype == "route" and walked:
                    values.update(route_from_walk(ctx, walked))
        return console.render(
            ctx, "form.html", status=status, kind=kind, rtype=rtype, record=record,
            fields=FORMS[rtype], values=values, problems=problems or {}, invite=invite,
            invite_qr=invite.qr_svg(console.settings.public_url) if invite else None,
            invite_expires=ctx.tr.day_time(datetime.fromisoformat(invite.expires_at)
                                           .astimezone(ZoneInfo(console.tz)))
            if invite else None,
            message=message, roster=roster(ctx, record) if rtype == "shift" and record
            else None, **choices(ctx))

    def walks_page(ctx: Ctx) -> Response:
        """Ended strolls, the latest first, each a start for a new route."""
        ended = sorted((r for r in console.records("stroll") if r.get("ended_at")),
                       key=lambda r: r["started_at"], reverse=True)[:WALKS_SHOWN]
        hood_of = {h["id"]: h for h in console.records("neighborhood")}
        zone = ZoneInfo(console.tz)
        rows = [(r, ctx.tr.day_time(datetime.fromisoformat(r["started_at"]).astimezone(zone)),
                 ctx.tr.distance(r.get("distance_m") or 0)) for r in ended]
        return console.render(ctx, "walks.html", kind="routes", rows=rows, hood_of=hood_of)

    def route_from_walk(ctx: Ctx, stroll_id: str) -> dict:
        """A new route's fields from a walked stroll: its neighborhood, and its track
        simplified to the points a route needs (within 5 m of the walk)."""
        walked = existing(store, "stroll", stroll_id)
        chunks = sorted(store.records_where("track_chunk", "stroll_id", stroll_id),
                        key=lambda c: c.get("seq", 0))
        points = [(f.lat, f.lon) for c in chunks for f in decode_track(c["points"])]
        path = simplify(points, tolerance_m=5.0)[:PATH_POINTS_MAX]
        if len(path) < 2:
            raise Refused(404, "console.route.no_track")
        zone = ZoneInfo(console.tz)
        started = datetime.fromisoformat(walked["started_at"]).astimezone(zone)
        return {"neighborhood_id": walked.get("neighborhood_id"),
                "description": ctx.tr.t("console.route.walked_on",
                                        when=ctx.tr.day_time(started)),
                "path_text": "\n".join(f"{lat:.6f}, {lon:.6f}" for lat, lon in path)}

    def save(ctx: Ctx, form, upload, kind: str, record_id: str | None = None) -> Response:
        rtype = _rtype(kind)
        before = existing(store, rtype, record_id) if record_id else None
        values = choices(ctx)
        fields, problems = read_form(
            rtype, form, neighborhoods={h["id"] for h in values["neighborhoods"]},
            routes={r["id"] for r in values["routes"]}, upload=upload, tz=console.tz)
        shown = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        for f in FORMS[rtype]:
            if f.kind in CHOICES:
                shown[f.name] = form.getlist(f.name)
        if problems:
            return form_page(ctx, kind, record_id, problems, shown, 422)
        actor = ctx.signed.actor
        weeks = fields.pop("weeks", 1)
        if rtype == "merchant" and before is None:
            fields["created_at"] = members.iso(datetime.now(timezone.utc))
        data = {**(before or {}), **fields, "id": record_id or new_id()}
        try:
            record = from_dict(rtype, data).to_dict()
        except StrollError as e:
            problems.add(getattr(e, "field", None) or "form", "console.error.invalid",
                         reason=getattr(e, "reason", str(e)))
            return form_page(ctx, kind, record_id, problems, shown, 422)
        if rtype == "member" and before is None:
            refused = may_manage_member(actor, record.get("role"))
            if refused:
                raise Refused(403, "console.error.admin_only")
            try:
                _member, invite = members.create_member(store, actor, record,
                                                        console.invite_ttl)
            except p.ProtocolError as e:
                problems.add(e.field or "form", "console.error.invalid", reason=str(e))
                return form_page(ctx, kind, None, problems, shown, 422)
            return form_page(ctx, kind, record["id"], invite=invite, status=201)
        occurrences = [record]
        if rtype == "shift" and before is None and weeks > 1:
            occurrences = [{**record, "id": record["id"] if i == 0 else new_id(),
                            "starts_at": start, "ends_at": end, "series_id": record["id"]}
                           for i, (start, end) in enumerate(
                               weekly(record["starts_at"], record["ends_at"], weeks,
                                      console.tz))]
        for occurrence in occurrences:
            why = console.write(actor, rtype, occurrence)
            if why is not None:
                log.info("console write refused: %s", why)
                raise Refused(403, "console.error.not_allowed")
        where = f"/console/{kind}?saved={len(occurrences)}"
        if rtype == "shift":  # the week of the (first) shift saved
            first = datetime.fromisoformat(occurrences[0]["starts_at"])
            where += f"&week={week_of(first.astimezone(ZoneInfo(console.tz)).date())}"
        return RedirectResponse(where, 303)

    # ---- spreadsheets ----------------------------------------------------------------------
    def sheet_type(kind: str) -> str:
        rtype = _rtype(kind)
        if rtype not in spreadsheets.COLUMNS:
            raise Refused(404, "console.error.no_page")
        return rtype

    def export_csv(ctx: Ctx, kind: str) -> Response:
        rtype = sheet_type(kind)
        text = spreadsheets.export(rtype, console.records(rtype),
                                   console.records("neighborhood"))
        day = datetime.now(timezone.utc).date().isoformat()
        return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={**SECURITY_HEADERS, "Content-Disposition":
                                 f'attachment; filename="stroll-{kind}-{day}.csv"'})

    def import_page(ctx: Ctx, kind: str, reading: spreadsheets.Reading | None = None,
                    text: str = "", status: int = 200) -> Response:
        rtype = sheet_type(kind)
        return console.render(ctx, "import.html", status=status, kind=kind, rtype=rtype,
                              columns=spreadsheets.COLUMNS[rtype], reading=reading,
                              text=text)

    def import_csv(ctx: Ctx, form, upload, kind: str) -> Response:
        rtype = sheet_type(kind)
        data = upload if upload else (form.get("text") or "").encode("utf-8")
        if not data.strip():
            reading = spreadsheets.Reading(problems=[spreadsheets.Problem(
                0, "", "console.csv.no_file")])
            return import_page(ctx, kind, reading, status=422)
        existing = {r["id"]: r for r in console.records(rtype)}
        reading = spreadsheets.read(rtype, data, console.records("neighborhood"), existing)
        actor = ctx.signed.actor
        if not reading.problems:
            for record in reading.records:
                if may_write(rtype, actor, exists=record["id"] in existing, owner=None,
                             data=record, before=existing.get(record["id"])):
                    reading.problems.append(spreadsheets.Problem(
                        0, "role", "console.error.admin_only"))
                    break
        text = data.decode("utf-8-sig", errors="replace")
        if reading.problems:
            return import_page(ctx, kind, reading, text, status=422)
        if form.get("confirm") != "yes":
            return import_page(ctx, kind, reading, text)
        why = console.write_all(actor, rtype, reading.records)
        if why is not None:
            log.warning("console import partly refused: %s", why)
            raise Refused(409, "console.csv.refused")
        return RedirectResponse(f"/console/{kind}?saved={len(reading.records)}", 303)

    tiles = _tile_file(settings.mbtiles)

    def tile(ctx: Ctx, z: str, x: str, y: str) -> Response:
        """A basemap tile for the console's maps (404: none there)."""
        data = None
        if tiles is not None and z.isdigit() and x.isdigit() and y.removesuffix(
                ".png").isdigit():
            data = tiles.tile(int(z), int(x), int(y.removesuffix(".png")))
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})

    def invite_member(ctx: Ctx, _form, _upload, record_id: str) -> Response:
        existing(store, "member", record_id)
        try:
            invite = members.create_invite(store, ctx.signed.actor, record_id,
                                           console.invite_ttl)
        except p.CodedError:
            raise Refused(403, "console.error.admin_only") from None
        return form_page(ctx, "members", record_id, invite=invite, status=201)

    def revoke_member(ctx: Ctx, _form, _upload, record_id: str) -> Response:
        existing(store, "member", record_id)
        try:
            out = members.revoke_member(store, ctx.signed.actor, record_id)
        except p.CodedError:
            raise Refused(403, "console.error.admin_only") from None
        return form_page(ctx, "members", record_id, message=ctx.tr.t(
            "console.member.revoked", devices=out["devices_revoked"]))

    # ---- routes ---------------------------------------------------------------------------
    install_maps(app, console, store)
    install_exports(app, console, store)   # before /console/{kind}: its paths would match
    install_dashboard(app, console, store)  # before /console/{kind} would take its paths
    install_followups(app, console, store)
    for path, method, run in (
            *doors.routes(console),
            ("/console", "GET", page(home)),
            *rosters.routes,
            ("/console/routes/from-walk", "GET", page(walks_page)),
            ("/console/tiles/{z}/{x}/{y}", "GET", page(tile)),
            ("/console/{kind}/export.csv", "GET", page(export_csv)),
            ("/console/{kind}/import", "GET", page(import_page)),
            ("/console/{kind}/import", "POST", action(import_csv)),
            ("/console/members/{record_id}/invite", "POST", action(invite_member)),
            ("/console/members/{record_id}/revoke", "POST", action(revoke_member)),
            ("/console/{kind}", "GET", page(list_page)),
            ("/console/{kind}/new", "GET", page(form_page)),
            ("/console/{kind}/new", "POST", action(save)),
            ("/console/{kind}/{record_id}", "GET", page(form_page)),
            ("/console/{kind}/{record_id}", "POST", action(save))):
        _add(app, path, method, run)
    return console


DEMO_TILES = HERE.parents[2] / "assets" / "tiles" / "demo.mbtiles"


def _tile_file(path: str | None) -> TileFile | None:
    """The console's basemap: the file set, else the demo basemap when it is there."""
    chosen = Path(path) if path else DEMO_TILES
    return TileFile(chosen) if chosen.is_file() else None


def _rtype(kind: str) -> str:
    if kind not in KINDS:
        raise Refused(404, "console.error.no_page")
    return KINDS[kind]


def _defaults(rtype: str, query) -> dict:
    out: dict[str, Any] = {}
    if rtype in ("route", "merchant", "shift", "member") and query.get("neighborhood"):
        out["neighborhood_id"] = query.get("neighborhood")
    if rtype == "shift":
        out.update({"capacity": 6, "min_group": 2, "needs_lead": True, "weeks": 1})
    if rtype == "member":
        out["role"] = "volunteer"
    return out


def _memo(fn: Callable) -> Callable:
    """``fn`` remembering its answers for the request (a list repeats few values)."""
    seen: dict = {}

    def once(*args):
        if args not in seen:
            seen[args] = fn(*args)
        return seen[args]
    return once


def _row(tr: Translator, rtype: str, r: dict, hood: str,
         spoken: Callable[[str], str]) -> dict[str, Any]:
    """What a list shows of a record: its texts in the coordinator's language (made
    here, once a row: a list of 500 shifts is 2,000 cells). ``spoken``: a spoken
    language's name."""
    row: dict[str, Any] = {"id": r["id"], "hood": hood}
    row["name"] = r["name"] if rtype == "member" else tr.place(r)
    if rtype == "neighborhood":
        row["city"] = r.get("city", "")
    elif rtype == "route":
        row["points"] = len(r.get("path") or ())
    elif rtype == "merchant":
        row["address"] = r.get("address", "")
    elif rtype == "member":
        row["role"] = tr.t(f"role.{r['role']}")
        row["lead"] = tr.t("console.yes") if r.get("trained_lead") else ""
    elif rtype == "partner":
        row["services"], row["phone"] = r.get("services", ""), r.get("phone", "")
    if rtype in ("merchant", "member", "partner"):
        row["languages"] = ", ".join(spoken(code) for code in r.get("languages") or ())
    return row

