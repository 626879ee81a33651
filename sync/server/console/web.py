"""The console's web plumbing: who is asking (session, language), whether the page is
open to them (``gate``), the CSRF check, rendering a template with the security
headers, and writing a record as the signed-in member. The pages are ``pages.py``."""
from __future__ import annotations

import inspect
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from stroll.domain.ids import is_uuid
from stroll.i18n import TIER1, Translator

from ... import protocol as p
from .. import members
from ..limits import RateLimit
from ..rules import Actor, console_need, may_open_console
from ..storage import Storage
from . import accounts

log = logging.getLogger("stroll.server.console")
HERE = Path(__file__).resolve().parent
UPLOAD_MAX = 2 * 1024 * 1024      # a route's GPX or GeoJSON file
FORM_MAX_FIELDS = 200

# the list page of each program record type: its path and record type
KINDS = {"neighborhoods": "neighborhood", "routes": "route", "merchants": "merchant",
         "members": "member", "shifts": "shift", "partners": "partner"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class Refused(Exception):
    """A request the console answers with a page of its own (403, 404, 429...)."""

    def __init__(self, status: int, key: str, **params: Any):
        self.status, self.key, self.params = status, key, params
        super().__init__(key)


@dataclass
class Ctx:
    """One request as a page sees it: the language, who is signed in, the CSRF token
    its forms carry, the token to set in a cookie before sign-in."""
    request: Request
    tr: Translator
    signed: accounts.Signed | None
    form_token: str | None = None

    @property
    def csrf(self) -> str:
        return self.signed.csrf if self.signed else (self.form_token or "")


@lru_cache(maxsize=None)
def translator(lang: str) -> Translator:
    """The Translator of ``lang``, made once (its catalogs are read at start)."""
    return Translator(lang)


@lru_cache(maxsize=None)
def _language_menu() -> tuple[tuple[str, str], ...]:
    """The language menu: each console language by its own name."""
    return tuple((code, translator(code).t("language.name")) for code in TIER1)


def _lang_from(request: Request) -> str:
    chosen = request.cookies.get(accounts.LANG_COOKIE)
    if chosen in TIER1:
        return chosen
    for part in (request.headers.get("accept-language") or "").split(","):
        tag = part.split(";")[0].strip()
        low = tag.lower()
        if low.startswith("zh"):
            return "zh-Hans" if ("hans" in low or low in ("zh-cn", "zh-sg")) else "zh-Hant"
        base = low.split("-")[0]
        if base in TIER1:
            return base
    return "en"


ACTION_ENDINGS = ("/invite", "/revoke", "/confirm", "/cancel", "/refer", "/outcome")


def _page_path(request: Request) -> str:
    """The page a request shows, as a GET can open it again (the language menu goes
    back there): a page answered to an action (a new invite, a revocation) is its
    record's page."""
    path = request.url.path
    if request.method == "POST" and path.endswith(ACTION_ENDINGS):
        return path.rsplit("/", 1)[0]
    return path


def _safe_next(target: str | None) -> str:
    """A page of the console to go on to (never another site)."""
    if not target:
        return "/console"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or \
            "\\" in target:
        return "/console"
    return target


class Console:
    def __init__(self, store: Storage, settings):
        self.store = store
        self.settings = settings
        self.hours = settings.console_session_hours
        self.tz = settings.program_timezone
        self.invite_ttl = timedelta(hours=settings.invite_ttl_hours)
        self.failures = RateLimit(settings.console_sign_in_failures, 15 * 60)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(["html"]),
                               undefined=StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True)

    # ---- rendering --------------------------------------------------------------------
    def render(self, ctx: Ctx, template: str, status: int = 200, **values: Any) -> Response:
        tr = ctx.tr
        page = self.env.get_template(template).render(
            t=tr.t, tr=tr, place=tr.place, signed=ctx.signed, csrf=ctx.csrf, lang=tr.lang,
            languages=_language_menu(),
            path=_page_path(ctx.request), next_path=quote(ctx.request.url.path),
            kinds=list(KINDS), **values)
        response = HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)
        if ctx.form_token and not ctx.request.cookies.get(accounts.FORM_COOKIE):
            self._cookie(response, accounts.FORM_COOKIE, ctx.form_token, hours=12,
                         samesite="strict")
        return response

    def _cookie(self, response: Response, name: str, value: str, *, hours: float,
                samesite: str = "lax", http_only: bool = True) -> None:
        response.set_cookie(name, value, max_age=int(hours * 3600), path="/console",
                            httponly=http_only, samesite=samesite,
                            secure=self.settings.scheme == "https")

    def refused(self, ctx: Ctx, e: Refused) -> Response:
        return self.render(ctx, "message.html", status=e.status, message=ctx.tr.t(e.key,
                           **e.params), status_code=e.status)

    # ---- the two kinds of route -----------------------------------------------------------
    def page(self, handler: Callable[..., Response]) -> Callable:
        """A GET page: gate, then the handler on a worker thread."""
        async def run(request: Request, **params):
            gated = await run_in_threadpool(self.gate, request)
            if isinstance(gated, Response):
                return gated
            try:
                return await run_in_threadpool(handler, gated, **params)
            except Refused as e:
                return self.refused(gated, e)
        return run

    def action(self, handler: Callable[..., Response]) -> Callable:
        """A POST: gate, the form read and its CSRF token checked, then the handler."""
        async def run(request: Request, **params):
            gated = await run_in_threadpool(self.gate, request)
            if isinstance(gated, Response):
                return gated
            try:
                form = await _read_form(request)
                self.check_csrf(gated, form)
                upload = None
                file = form.get("file")
                if isinstance(file, UploadFile):
                    upload = await file.read(UPLOAD_MAX + 1)
                    if len(upload) > UPLOAD_MAX:
                        raise Refused(413, "console.error.file_too_large",
                                      max_kb=UPLOAD_MAX // 1024)
                return await run_in_threadpool(handler, gated, form, upload, **params)
            except Refused as e:
                return self.refused(gated, e)
        return run

    # ---- who is asking ------------------------------------------------------------------
    def context(self, request: Request) -> Ctx:
        signed = accounts.session_of(self.store, request.cookies.get(accounts.SESSION_COOKIE),
                                     self.hours)
        lang = signed.lang if signed and signed.lang in TIER1 else _lang_from(request)
        form_token = None
        if signed is None:
            form_token = request.cookies.get(accounts.FORM_COOKIE) or accounts.new_form_token()
        return Ctx(request, translator(lang), signed, form_token)

    def gate(self, request: Request) -> Ctx | Response:
        """The request's context when the page is open to its sender; else the answer
        (the sign-in page for no session, a 403 page for a role that may not)."""
        ctx = self.context(request)
        path = request.url.path
        if console_need(path) is None or may_open_console(path, ctx.signed and
                                                          ctx.signed.actor):
            return ctx
        if ctx.signed is None:
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/console/sign-in?next={quote(target)}", 303)
        return self.refused(ctx, Refused(403, "console.error.not_for_role",
                                         role=ctx.tr.t(f"role.{ctx.signed.actor.role}")))

    def check_csrf(self, ctx: Ctx, form) -> None:
        expected = ctx.signed.csrf if ctx.signed else ctx.request.cookies.get(
            accounts.FORM_COOKIE)
        if not accounts.same_token(expected, form.get("csrf")):
            raise Refused(403, "console.error.csrf")

    # ---- the program's records ----------------------------------------------------------
    def records(self, rtype: str) -> list[dict]:
        return self.store.records_of_type(rtype)

    def write_all(self, actor: Actor, rtype: str, records: list[dict]) -> str | None:
        """Write ``records`` as ``actor`` in one transaction (one group of the push's
        group commit): None when every one applied, else the first refusal."""
        now = datetime.now(timezone.utc)
        entries = [p.PushEntry(i + 1, rtype, r["id"], "upsert", r, members.iso(now))
                   for i, r in enumerate(records)]
        for result in self.store.write_as(actor, entries, now):
            if result.status != "applied":
                return result.error.message if result.error else "not written"
        return None

    def write(self, actor: Actor, rtype: str, record: dict, op: str = "upsert") -> str | None:
        """Write one record as ``actor``: None when applied, else why not (a message)."""
        now = datetime.now(timezone.utc)
        entry = p.PushEntry(1, rtype, record["id"], op, None if op == "delete" else record,
                            members.iso(now))
        (result,) = self.store.write_as(actor, [entry], now)
        if result.status == "applied":
            return None
        return result.error.message if result.error else "not written"


async def _read_form(request: Request):
    try:
        return await request.form(max_files=1, max_fields=FORM_MAX_FIELDS,
                                  max_part_size=UPLOAD_MAX)
    except Exception:  # noqa: BLE001 - a malformed or oversized form
        raise Refused(400, "console.error.bad_form") from None


def _add(app: FastAPI, path: str, method: str, run: Callable) -> None:
    """Add a console route: ``run(request, **path parameters)`` with the signature
    FastAPI reads (the request, then each ``{name}`` of ``path`` as text)."""
    names = re.findall(r"{(\w+)}", path)

    async def endpoint(request: Request, **params):
        return await run(request, **params)
    endpoint.__signature__ = inspect.Signature(
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                           annotation=Request)] +
        [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=str)
         for n in names])
    app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)


def existing(store, rtype: str, record_id: str) -> dict:
    """The live record ``rtype`` ``record_id``, or a 404 page."""
    record = store.live_record(rtype, record_id) if is_uuid(record_id) else None
    if record is None:
        raise Refused(404, "console.error.no_record")
    return record
