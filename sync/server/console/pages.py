"""The console's pages: sign-in, redeeming an invite, and the program (neighborhoods,
routes, merchants, members, shifts), each list with its new and edit forms.

Every request passes ``gate`` first: who is signed in (``accounts.session_of``) and
whether the rules let them open the page (``rules.may_open_console``): no session goes
to the sign-in page, a member whose role may not opens a 403 page. Every POST carries
the CSRF token of its form. A program edit is a record entry written as the signed-in
member by ``storage.write_as`` (the same rules, merge and cursor as a push). Pages are
rendered with the coordinator's language (``stroll.i18n``: the app's catalogs).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from stroll.domain import StrollError, new_id
from stroll.domain import taxonomy as tx
from stroll.domain.ids import is_uuid
from stroll.domain.place_names import NAME_LANGUAGES
from stroll.domain.records import from_dict
from stroll.i18n import TIER1, Translator

from ... import protocol as p
from .. import members
from ..rules import may_manage_member
from ..storage import LoginTaken, Storage
from . import accounts
from .forms import FORMS, Problems, form_values, read_form, weekly
from .web import (HERE, KINDS, UPLOAD_MAX, Console, Ctx, Refused, _add, _read_form,
                  _safe_next, log)


def install(app: FastAPI, store: Storage, settings) -> Console:
    console = Console(store, settings)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"),
              name="console-static")

    def page(handler: Callable[..., Response]) -> Callable:
        """A GET page: gate, then the handler on a worker thread."""
        async def run(request: Request, **params):
            gated = await run_in_threadpool(console.gate, request)
            if isinstance(gated, Response):
                return gated
            try:
                return await run_in_threadpool(handler, gated, **params)
            except Refused as e:
                return console.refused(gated, e)
        return run

    def action(handler: Callable[..., Response]) -> Callable:
        """A POST: gate, the form read and its CSRF token checked, then the handler."""
        async def run(request: Request, **params):
            gated = await run_in_threadpool(console.gate, request)
            if isinstance(gated, Response):
                return gated
            try:
                form = await _read_form(request)
                console.check_csrf(gated, form)
                upload = None
                file = form.get("file")
                if isinstance(file, UploadFile):
                    upload = await file.read(UPLOAD_MAX + 1)
                    if len(upload) > UPLOAD_MAX:
                        raise Refused(413, "console.error.file_too_large",
                                      max_kb=UPLOAD_MAX // 1024)
                return await run_in_threadpool(handler, gated, form, upload, **params)
            except Refused as e:
                return console.refused(gated, e)
        return run

    # ---- sign-in, invites, language, sign-out -------------------------------------------
    def sign_in_page(ctx: Ctx, problem: str | None = None, login: str = "",
                     status: int = 200) -> Response:
        if ctx.signed and problem is None:
            return RedirectResponse(_safe_next(ctx.request.query_params.get("next")), 303)
        return console.render(ctx, "sign_in.html", status=status, problem=problem,
                              login=login,
                              next=_safe_next(ctx.request.query_params.get("next")))

    def sign_in(ctx: Ctx, form, _upload) -> Response:
        address = ctx.request.client.host if ctx.request.client else "?"
        login = accounts.normalize_login(form.get("login") or "")
        wait = console.failures.retry_after(address) or (
            login and console.failures.retry_after("login:" + login))
        if wait:
            log.warning("console sign-in from %s refused: over the rate limit", address)
            response = sign_in_page(ctx, ctx.tr.t("console.error.too_many",
                                                  minutes=max(1, -(-wait // 60))),
                                    login, status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        member_id = accounts.check_password(store, login, form.get("password") or "")
        if member_id is None:
            console.failures.hit(address)
            if login:
                console.failures.hit("login:" + login)
            log.warning("console sign-in from %s refused: wrong name or password", address)
            return sign_in_page(ctx, ctx.tr.t("console.error.wrong_password"), login,
                                status=401)
        token = accounts.start_session(store, member_id, console.hours)
        store.add_audit(at=members.iso(datetime.now(timezone.utc)), member_id=member_id,
                        device_id=None, action="console_sign_in", detail=address)
        response = RedirectResponse(_safe_next(form.get("next")), 303)
        console._cookie(response, accounts.SESSION_COOKIE, token, hours=console.hours)
        response.delete_cookie(accounts.FORM_COOKIE, path="/console")
        return response

    def redeem_page(ctx: Ctx, problems: Problems | None = None, values: dict | None = None,
                    status: int = 200) -> Response:
        values = values or {"code": ctx.request.query_params.get("code", "")}
        return console.render(ctx, "redeem.html", status=status, problems=problems or {},
                              values=values)

    def redeem(ctx: Ctx, form, _upload) -> Response:
        address = ctx.request.client.host if ctx.request.client else "?"
        wait = console.failures.retry_after(address)
        if wait:
            raise Refused(429, "console.error.too_many", minutes=max(1, -(-wait // 60)))
        code = form.get("code") or ""
        login = accounts.normalize_login(form.get("login") or "")
        password = form.get("password") or ""
        values = {"code": code, "login": login}
        problems = Problems()
        problem = accounts.login_problem(login)
        if problem:
            problems.add("login", problem, low=accounts.LOGIN_MIN, high=accounts.LOGIN_MAX)
        problem = accounts.password_problem(password, login)
        if problem:
            problems.add("password", problem, min=accounts.PASSWORD_MIN,
                         max=accounts.PASSWORD_MAX)
        elif password != (form.get("password_again") or ""):
            problems.add("password_again", "console.error.password_mismatch")
        normalized = p.normalize_invite_code(code)
        if len(normalized) != p.INVITE_LENGTH:
            problems.add("code", "console.error.invite_shape")
        if problems:
            return redeem_page(ctx, problems, values, 422)
        now = members.iso(datetime.now(timezone.utc))
        try:
            member_id = store.redeem_invite_for_console(
                code_hash=members.hash_secret(normalized), now=now, login=login,
                password_hash=accounts.hash_password(password), lang=ctx.tr.lang)
        except LoginTaken:
            problems.add("login", "console.error.login_taken")
            return redeem_page(ctx, problems, values, 409)
        if member_id is None:
            console.failures.hit(address)
            problems.add("code", "console.error.invite_invalid")
            return redeem_page(ctx, problems, values, 403)
        store.add_audit(at=now, member_id=member_id, device_id=None,
                        action="console_password", detail=address)
        token = accounts.start_session(store, member_id, console.hours)
        response = RedirectResponse("/console", 303)
        console._cookie(response, accounts.SESSION_COOKIE, token, hours=console.hours)
        response.delete_cookie(accounts.FORM_COOKIE, path="/console")
        return response

    def sign_out(ctx: Ctx, _form, _upload) -> Response:
        store.drop_console_session(ctx.signed.token_hash)
        response = RedirectResponse("/console/sign-in", 303)
        response.delete_cookie(accounts.SESSION_COOKIE, path="/console")
        return response

    def language(ctx: Ctx, form, _upload) -> Response:
        lang = form.get("lang")
        if lang not in TIER1:
            raise Refused(422, "console.error.unknown_choice")
        if ctx.signed:
            store.set_console_lang(ctx.signed.actor.member_id, lang)
        response = RedirectResponse(_safe_next(form.get("next")), 303)
        console._cookie(response, accounts.LANG_COOKIE, lang, hours=24 * 365,
                        http_only=False)
        return response

    # ---- the program ----------------------------------------------------------------------
    def home(ctx: Ctx) -> Response:
        by_type = store.count_records(list(KINDS.values()))
        counts = {kind: by_type[rtype] for kind, rtype in KINDS.items()}
        return console.render(ctx, "home.html", counts=counts)

    def choices(ctx: Ctx) -> dict[str, Any]:
        hoods = sorted(console.records("neighborhood"), key=lambda r: ctx.tr.place(r))
        routes = sorted(console.records("route"), key=lambda r: ctx.tr.place(r))
        return {"neighborhoods": hoods, "routes": routes,
                "spoken": tx.SPOKEN_LANGUAGES, "roles": tx.MEMBER_ROLES,
                "name_languages": NAME_LANGUAGES}

    def list_page(ctx: Ctx, kind: str) -> Response:
        rtype = _rtype(kind)
        tr = ctx.tr
        records = console.records(rtype)
        hood_name = {h["id"]: tr.place(h) for h in console.records("neighborhood")}
        if rtype == "shift":
            now = datetime.now(timezone.utc) - timedelta(hours=12)
            records = sorted((r for r in records
                              if datetime.fromisoformat(r["ends_at"]) >= now),
                             key=lambda r: r["starts_at"])
        spoken = _memo(lambda code: tr.t(f"spoken.{code}"))
        rows = [_row(tr, rtype, r, hood_name.get(r.get("neighborhood_id"), ""), spoken)
                for r in records]
        if rtype == "shift":
            confirmed = store.confirmed_counts()
            when, filled = _When(tr, console.tz), _memo(lambda n, capacity: tr.t(
                "console.shift.filled", confirmed=n, capacity=capacity))
            for row, r in zip(rows, records):
                row["when"] = when(r)
                row["filled"] = filled(confirmed.get(r["id"], 0), r["capacity"])
        else:
            rows.sort(key=lambda row: (row["hood"], row["name"]))
        query = ctx.request.query_params
        notice = None
        if query.get("saved", "").isdigit():
            notice = tr.t("console.saved", count=int(query["saved"]))
        elif query.get("cancelled"):
            notice = tr.t("console.shift.cancelled")
        return console.render(ctx, "list.html", kind=kind, rtype=rtype, rows=rows,
                              notice=notice)

    def form_page(ctx: Ctx, kind: str, record_id: str | None = None,
                  problems: Problems | None = None, values: dict | None = None,
                  status: int = 200, invite: members.Invite | None = None,
                  message: str | None = None) -> Response:
        rtype = _rtype(kind)
        record = None
        if record_id is not None:
            record = _existing(store, rtype, record_id)
        if values is None:
            values = form_values(rtype, record, console.tz)
            if record is None:
                values.update(_defaults(rtype, ctx.request.query_params))
        return console.render(
            ctx, "form.html", status=status, kind=kind, rtype=rtype, record=record,
            fields=FORMS[rtype], values=values, problems=problems or {}, invite=invite,
            invite_qr=invite.qr_svg(console.settings.public_url) if invite else None,
            message=message, **choices(ctx))

    def save(ctx: Ctx, form, upload, kind: str, record_id: str | None = None) -> Response:
        rtype = _rtype(kind)
        before = _existing(store, rtype, record_id) if record_id else None
        values = choices(ctx)
        fields, problems = read_form(
            rtype, form, neighborhoods={h["id"] for h in values["neighborhoods"]},
            routes={r["id"] for r in values["routes"]}, upload=upload, tz=console.tz)
        shown = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        shown["languages"] = form.getlist("languages")
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
                            "starts_at": start, "ends_at": end}
                           for i, (start, end) in enumerate(
                               weekly(record["starts_at"], record["ends_at"], weeks,
                                      console.tz))]
        for occurrence in occurrences:
            why = console.write(actor, rtype, occurrence)
            if why is not None:
                log.info("console write refused: %s", why)
                raise Refused(403, "console.error.not_allowed")
        return RedirectResponse(f"/console/{kind}?saved={len(occurrences)}", 303)

    def cancel_shift(ctx: Ctx, _form, _upload, record_id: str) -> Response:
        record = _existing(store, "shift", record_id)
        if console.write(ctx.signed.actor, "shift", record, op="delete") is not None:
            raise Refused(403, "console.error.not_allowed")
        return RedirectResponse("/console/shifts?cancelled=1", 303)

    def invite_member(ctx: Ctx, _form, _upload, record_id: str) -> Response:
        _existing(store, "member", record_id)
        try:
            invite = members.create_invite(store, ctx.signed.actor, record_id,
                                           console.invite_ttl)
        except p.CodedError:
            raise Refused(403, "console.error.admin_only") from None
        return form_page(ctx, "members", record_id, invite=invite, status=201)

    def revoke_member(ctx: Ctx, _form, _upload, record_id: str) -> Response:
        _existing(store, "member", record_id)
        try:
            out = members.revoke_member(store, ctx.signed.actor, record_id)
        except p.CodedError:
            raise Refused(403, "console.error.admin_only") from None
        return form_page(ctx, "members", record_id, message=ctx.tr.t(
            "console.member.revoked", devices=out["devices_revoked"]))

    # ---- routes ---------------------------------------------------------------------------
    for path, method, run in (
            ("/console", "GET", page(home)),
            ("/console/sign-in", "GET", page(sign_in_page)),
            ("/console/sign-in", "POST", action(sign_in)),
            ("/console/redeem", "GET", page(redeem_page)),
            ("/console/redeem", "POST", action(redeem)),
            ("/console/sign-out", "POST", action(sign_out)),
            ("/console/language", "POST", action(language)),
            ("/console/shifts/{record_id}/cancel", "POST", action(cancel_shift)),
            ("/console/members/{record_id}/invite", "POST", action(invite_member)),
            ("/console/members/{record_id}/revoke", "POST", action(revoke_member)),
            ("/console/{kind}", "GET", page(list_page)),
            ("/console/{kind}/new", "GET", page(form_page)),
            ("/console/{kind}/new", "POST", action(save)),
            ("/console/{kind}/{record_id}", "GET", page(form_page)),
            ("/console/{kind}/{record_id}", "POST", action(save))):
        _add(app, path, method, run)
    return console


def _rtype(kind: str) -> str:
    if kind not in KINDS:
        raise Refused(404, "console.error.no_page")
    return KINDS[kind]


def _existing(store: Storage, rtype: str, record_id: str) -> dict:
    record = store.live_record(rtype, record_id) if is_uuid(record_id) else None
    if record is None:
        raise Refused(404, "console.error.no_record")
    return record


def _defaults(rtype: str, query) -> dict:
    out: dict[str, Any] = {}
    if rtype in ("route", "merchant", "shift", "member") and query.get("neighborhood"):
        out["neighborhood_id"] = query.get("neighborhood")
    if rtype == "shift":
        out.update({"capacity": 6, "needs_lead": True, "weeks": 1})
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
    if rtype == "shift":
        row["name"] = tr.place(r, "title")
        return row
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
    if rtype in ("merchant", "member"):
        row["languages"] = ", ".join(spoken(code) for code in r.get("languages") or ())
    return row


class _When:
    """A shift's day and times in the program's time zone, as the list says them; the
    day and time texts made once each (three shifts a day share a day)."""

    def __init__(self, tr: Translator, tz: str):
        self.tr, self.zone = tr, ZoneInfo(tz)
        self.day = _memo(tr.day)
        self.span = _memo(lambda sh, sm, eh, em: tr.time_range(
            datetime(2000, 1, 1, sh, sm), datetime(2000, 1, 1, eh, em)))

    def __call__(self, shift: dict) -> str:
        starts = datetime.fromisoformat(shift["starts_at"]).astimezone(self.zone)
        ends = datetime.fromisoformat(shift["ends_at"]).astimezone(self.zone)
        return self.tr.t("console.shift.when", day=self.day(starts.date()),
                         time=self.span(starts.hour, starts.minute, ends.hour, ends.minute))
