"""The console's doors: signing in, redeeming an invite for a sign-in name and a
password, choosing the language, signing out. Who may do each is ``rules.CONSOLE``
(the first three are open to anyone: they are how one gets in)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from fastapi.responses import RedirectResponse, Response

from stroll.i18n import TIER1

from ... import protocol as p
from .. import members
from ..storage import LoginTaken
from . import accounts
from .forms import Problems
from .web import Console, Ctx, Refused, _safe_next, log


def routes(console: Console) -> list[tuple[str, str, Callable]]:
    """The doors' routes: (path, method, endpoint)."""
    store = console.store
    page, action = console.page, console.action

    # ---- sign-in, invites, language, sign-out -------------------------------------------
    def sign_in_page(ctx: Ctx, problem: str | None = None, login: str = "",
                     status: int = 200, next: str | None = None) -> Response:
        go_to = _safe_next(next or ctx.request.query_params.get("next"))
        if ctx.signed and problem is None:
            return RedirectResponse(go_to, 303)
        return console.render(ctx, "sign_in.html", status=status, problem=problem,
                              login=login, next=go_to)

    def sign_in(ctx: Ctx, form, _upload) -> Response:
        address = ctx.request.client.host if ctx.request.client else "?"
        login = accounts.normalize_login(form.get("login") or "")
        wait = console.failures.retry_after(address) or (
            login and console.failures.retry_after("login:" + login))
        if wait:
            log.warning("console sign-in from %s refused: over the rate limit", address)
            response = sign_in_page(ctx, ctx.tr.t("console.error.too_many",
                                                  minutes=max(1, -(-wait // 60))),
                                    login, status=429, next=form.get("next"))
            response.headers["Retry-After"] = str(wait)
            return response
        member_id = accounts.check_password(store, login, form.get("password") or "")
        if member_id is None:
            console.failures.hit(address)
            if login:
                console.failures.hit("login:" + login)
            log.warning("console sign-in from %s refused: wrong name or password", address)
            return sign_in_page(ctx, ctx.tr.t("console.error.wrong_password"), login,
                                status=401, next=form.get("next"))
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

    return [("/console/sign-in", "GET", page(sign_in_page)),
            ("/console/sign-in", "POST", action(sign_in)),
            ("/console/redeem", "GET", page(redeem_page)),
            ("/console/redeem", "POST", action(redeem)),
            ("/console/sign-out", "POST", action(sign_out)),
            ("/console/language", "POST", action(language))]
