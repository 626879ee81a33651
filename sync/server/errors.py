"""The server's errors and the one place that turns every error into the one JSON
shape of docs/SYNC.md: ``{"error": {"code", "message", "details"}}``."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stroll.domain import StrollError

from ..protocol import ErrorBody

log = logging.getLogger("stroll.server")


class ApiError(StrollError):
    code = "bad_request"
    status = 400

    def __init__(self, message: str, **details):
        self.details = details
        super().__init__(message)


class AuthRequired(ApiError):
    code = "auth_required"
    status = 401


class Forbidden(ApiError):
    code = "forbidden"
    status = 403


_HTTP_CODES = {400: "bad_request", 401: "auth_required", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large",
               415: "unsupported_media_type", 422: "invalid_message", 429: "too_many_requests",
               500: "internal_error", 503: "unavailable"}


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(code, message, details or {}).to_dict(), status_code=status,
                        headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Every 4xx/5xx the app answers goes through here (pinned by a test)."""

    @app.exception_handler(StrollError)
    async def stroll_error(request: Request, exc: StrollError):
        status = getattr(exc, "status", 400)
        details = getattr(exc, "details", None)
        if details is None and hasattr(exc, "as_dict"):
            details = exc.as_dict()
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return error_response(status, exc.code, str(exc), details, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
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
        return error_response(422, "invalid_message",
                              f"{first['field']}: {first['reason']}",
                              {"field": first["field"], "errors": errors})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error",
                              "the server hit an unexpected error; it has been logged. "
                              "Retry later, and tell a coordinator if it keeps happening.")
