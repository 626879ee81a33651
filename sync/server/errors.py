"""The server's errors and the one place that turns every error into the one JSON
shape of docs/SYNC.md: ``{"error": {"code", "message", "details"}}``.

Errors carry a protocol error code only; its HTTP status comes from the protocol's
one table (``sync.protocol.ERROR_CODES``), here and nowhere else. HTTP errors that
come with a status only (an unknown path, a wrong method) get the table's generic
code of that status."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from stroll.domain import StrollError

from ..protocol import CodedError, ErrorBody, code_for_status, status_of

log = logging.getLogger("stroll.server")


class ApiError(CodedError, code="bad_request"):
    """A request the server refuses; ``details`` are its keyword arguments."""


class AuthRequired(ApiError, code="auth_required"):
    """No device token, or one that is wrong or revoked."""


class TokenExpired(AuthRequired, code="token_expired"):
    """A device token not used for longer than the server keeps one alive."""


class DeviceRevoked(AuthRequired, code="device_revoked"):
    """A device (or its member) a coordinator revoked: the device wipes its member's
    sensitive data and asks to sign in."""


class Forbidden(ApiError, code="forbidden"):
    """An enrolled device asks for what it may not do."""


class InviteInvalid(ApiError, code="invite_invalid"):
    """An invite code the server does not know, or one used or expired."""


class NotFound(ApiError, code="not_found"):
    """No such member or device."""


class TooManyRequests(ApiError, code="too_many_requests"):
    """Over a rate limit; ``details.retry_after`` seconds (also ``Retry-After``)."""


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(code, message, details or {}).to_dict(), status_code=status,
                        headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Every 4xx/5xx the app answers goes through here (pinned by a test)."""

    @app.exception_handler(StrollError)
    async def stroll_error(request: Request, exc: StrollError):
        status = status_of(exc.code)
        details = getattr(exc, "details", None)
        if details is None and hasattr(exc, "as_dict"):
            details = exc.as_dict()
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 429 and details and "retry_after" in details:
            headers = {"Retry-After": str(details["retry_after"])}
        return error_response(status, exc.code, str(exc), details, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = code_for_status(exc.status_code)
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, code, message, {},
                              getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{"field": ".".join(str(x) for x in e.get("loc", ())),
                   "reason": e.get("msg", "")} for e in exc.errors()]
        first = errors[0] if errors else {"field": "?", "reason": "invalid"}
        return error_response(status_of("invalid_message"), "invalid_message",
                              f"{first['field']}: {first['reason']}",
                              {"field": first["field"], "errors": errors})

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect):
        # The client went away before its body was all in (or the server closed a body
        # past SYNC_BODY_TIMEOUT, sync/server/edge.py): nobody reads this answer.
        return error_response(status_of("request_timeout"), "request_timeout",
                              "the connection closed before the request's body was all in")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(status_of("internal_error"), "internal_error",
                              "the server hit an unexpected error; it has been logged. "
                              "Retry later, and tell a coordinator if it keeps happening.")
