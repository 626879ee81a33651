"""Limits at the edge: what a connection may cost the server before the app sees it.

uvicorn (0.54, the httptools parser) has a keep-alive timeout and a concurrency limit,
but no limit on how long a client may take to send a request's headers or body, nor on
their size (its ``h11_max_incomplete_event_size`` only binds the h11 parser). So
``stroll-server`` runs uvicorn with ``http="sync.server.edge:EdgeProtocol"``, uvicorn's
httptools protocol with:

- a header deadline (``SYNC_HEADER_TIMEOUT``): from connecting, or from the first byte of
  the next request on a kept-alive connection, until the headers are in. A connection
  that sent nothing is closed; one that sent part of a request gets ``408`` and is closed;
- a body deadline (``SYNC_BODY_TIMEOUT``): from the end of the headers until the whole
  body is in; then ``408`` (if the app has not answered yet) and closed;
- a size limit on the request line + headers (``SYNC_MAX_HEADER_BYTES``) and a limit on
  their number (``SYNC_MAX_HEADERS``): ``431`` and closed, once the limit is passed,
  without reading the rest;
- a limit on open connections (``SYNC_MAX_CONNECTIONS``): when a request's headers are in
  and the process has more connections open, the connection that has waited longest
  without a request (silent, half a header, or idle between requests) is closed to make
  room; only when every connection is busy with a request does the new one get ``503``
  ``unavailable`` with ``Retry-After`` (and is closed). So idle connections cannot
  starve ``/health`` or a push, whatever their number.

Every answer given here is the server's one JSON error shape
(``{"error": {"code", "message", "details"}}``; codes from ``sync.protocol.ERROR_CODES``).
The limits are read from the environment (``SYNC_*``) once per process, as the app is.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import resource
from dataclasses import dataclass
from typing import Any

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..protocol import ErrorBody, status_of
from .settings import Settings, load_settings

log = logging.getLogger("stroll.server.edge")


@dataclass(frozen=True)
class EdgeLimits:
    header_timeout: float
    body_timeout: float
    max_header_bytes: int
    max_headers: int
    max_connections: int

    @classmethod
    def of(cls, s: Settings) -> "EdgeLimits":
        return cls(s.header_timeout, s.body_timeout, s.max_header_bytes, s.max_headers,
                   s.max_connections)


@functools.cache
def process_limits() -> EdgeLimits:
    """This process's limits, from the environment (the workers rebuild them as they
    rebuild the app's settings)."""
    return EdgeLimits.of(load_settings())


def error_bytes(code: str, message: str, details: dict | None = None,
                headers: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    """A whole HTTP/1.1 answer with the one JSON error shape, closing the connection."""
    body = orjson.dumps(ErrorBody(code, message, details or {}).to_dict())
    head = [STATUS_LINE[status_of(code)],
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n"]
    head += [name + b": " + value + b"\r\n" for name, value in headers]
    return b"".join(head) + b"\r\n" + body


def unavailable_app(max_connections: int):
    """The ASGI app a request over the connection limit gets: 503, the JSON shape."""
    body = orjson.dumps(ErrorBody(
        "unavailable", f"the server is serving as many connections as it may "
                       f"({max_connections}): retry later",
        {"max_connections": max_connections}).to_dict())
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()),
               (b"retry-after", b"1"), (b"connection", b"close")]

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
    return app


# This process's connections that wait for a request's headers (silent, part of a head,
# or idle after an answer), oldest first: the ones closed to make room past the limit.
_waiting: dict["EdgeProtocol", None] = {}


class _Refused(Exception):
    """Raised from a parser callback: answer ``code`` and close, parse no further."""

    def __init__(self, code: str, message: str, details: dict):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of :class:`EdgeLimits`."""

    limits: EdgeLimits | None = None  # None: the process's limits (from the environment)

    def __init__(self, config, server_state, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.edge = self.limits or process_limits()
        self.limit_concurrency = None  # uvicorn's own check answers in plain text: ours
        self._app = self.app
        self._unavailable = unavailable_app(self.edge.max_connections)
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._in_head = False     # a request has begun and its headers are not all in
        self._head_bytes = 0      # bytes received while in a request's head
        self._header_count = 0
        self._received = False    # any byte of the current request received
        self._refused = False     # answered here and closing: read nothing more

    # -- connection --------------------------------------------------------------------

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.edge.header_timeout, self._head_late)
        _waiting[self] = None

    def connection_lost(self, exc: Exception | None) -> None:
        _waiting.pop(self, None)
        self._cancel_timers()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():  # kept alive: waits for the next request
            _waiting.pop(self, None)
            _waiting[self] = None

    def _make_room(self) -> bool:
        """Close the connection that has waited longest without a request; False when
        every other connection is busy with one."""
        for other in _waiting:
            if other is not self:
                del _waiting[other]
                other._refused = True
                other._cancel_timers()
                other.transport.close()
                return True
        return False

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._unset_keepalive_if_required()
        self._received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as e:
            if isinstance(e.__context__, _Refused):
                r = e.__context__
                self._refuse(r.code, r.message, r.details)
                return
            self._invalid()
            return
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            self._invalid()
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.edge.max_header_bytes:
                self._refuse("headers_too_large",
                             f"the request line and headers are over "
                             f"{self.edge.max_header_bytes} bytes",
                             {"max_bytes": self.edge.max_header_bytes})

    def _invalid(self) -> None:
        msg = "Invalid HTTP request received."
        self.logger.warning(msg)
        self._refused = True
        self._cancel_timers()
        self.send_400_response(msg)

    def _refuse(self, code: str, message: str, details: dict) -> None:
        """Answer ``code`` in the JSON shape (unless the app already answered) and close."""
        self._refused = True
        self._cancel_timers()
        self.logger.info("%s: %s", code, message)
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(error_bytes(code, message, details))
        self.transport.close()

    # -- deadlines -----------------------------------------------------------------------

    def _head_late(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if not self._received:  # a silent connection: nothing to answer
            self._refused = True
            self.transport.close()
            return
        self._refuse("request_timeout", f"the request's headers did not arrive within "
                     f"{self.edge.header_timeout:g} s",
                     {"timeout_seconds": self.edge.header_timeout})

    def _body_late(self) -> None:
        self._body_timer = None
        if not self.transport.is_closing():
            self._refuse("request_timeout", f"the request's body did not arrive within "
                         f"{self.edge.body_timeout:g} s",
                         {"timeout_seconds": self.edge.body_timeout})

    # -- parser callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._header_count = True, 0, 0
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.edge.header_timeout, self._head_late)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.edge.max_headers:
            raise _Refused("headers_too_large", f"the request has more than "
                           f"{self.edge.max_headers} headers",
                           {"max_headers": self.edge.max_headers})
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        _waiting.pop(self, None)
        self._body_timer = self.loop.call_later(self.edge.body_timeout, self._body_late)
        limit = self.edge.max_connections
        over = len(self.tasks) >= limit
        if not over and len(self.connections) > limit:
            over = not self._make_room()
        if over:
            self.logger.warning("every one of the %d connections is busy: 503", limit)
        self.app = self._unavailable if over else self._app
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        self._received = False
        super().on_message_complete()


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards ``wanted`` (never past the
    hard limit); the server needs one a connection. Returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return soft
