"""The device's HTTP conversation with the sync server (docs/SYNC.md).

``SyncClient`` sends requests and returns the protocol's own types (``EnrollResponse``,
``PushResponse``, ``PullResponse``, checked by their ``from_dict``). Every failure
becomes one of four exception classes, each telling the engine what to do next;
which one is decided by the status an answer means (``plan.meant_status``: the
protocol's ``ERROR_CODES`` for a code it knows, else the HTTP status):

- ``TransientError``: the network or the server had a bad moment (connection refused,
  reset or timed out, 5xx, 429, 408, a damaged 2xx). Retry later; nothing is wrong
  with the data.
- ``RejectedError``: the server refused a request for a reason that will not go away
  by retrying it unchanged (other 4xx, e.g. 409 ``sequence_gap`` or 413, which the
  engine's plan turns into "send again from" and "send smaller batches").
- ``AuthError``: 401. The phone's sync key is no longer accepted: ask to sign in again.
- ``UnsupportedVersion``: 426. The app is too old (or too new) for the server.

A failure's ``message`` is for the log; ``server_message`` is the server's own words,
where it sent some (the UI may show them, e.g. for 426); ``code``, ``status`` and
``details`` come from the server's error body. The words a person reads are the
UI's (``sync.failed.<code>`` in the catalogs).

Layering: imports ``stroll.domain``/``sync.protocol``/``sync.plan`` only; no Flet.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Sequence

import requests

from stroll.domain import StrollError
from sync import protocol
from sync.plan import meant_status
from sync.protocol import (EnrollResponse, ProtocolError, PullResponse, PushEntry,
                           PushResponse)

PROTOCOL_VERSION: int = protocol.PROTOCOL_VERSION


from sync.version import VERSION as APP_VERSION  # noqa: E402 - re-exported

# ---- failures ----------------------------------------------------------------------


class SyncError(StrollError):
    """Base of every sync failure. ``message`` says what happened, for the log;
    ``server_message`` is what the server said about it (None: it said nothing)."""

    code = "sync_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 details: dict | None = None, server_message: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        if code:
            self.code = code
        self.details = details or {}
        self.server_message = server_message


class TransientError(SyncError):
    """Retry later. ``reachable`` is False when no HTTP answer came back at all (the
    device is offline or the server is down) and True for an answer such as 503/429;
    ``retry_after`` is the server's hint in seconds, if it gave one."""

    code = "transient"

    def __init__(self, message: str, *, reachable: bool = False, retry_after: float | None = None,
                 **kw):
        super().__init__(message, **kw)
        self.reachable = reachable
        self.retry_after = retry_after


class RejectedError(SyncError):
    """The server refused this request and will refuse it again: keep, show, move on."""

    code = "rejected"


class AuthError(SyncError):
    """401: the sync key of this phone is not accepted. Sign in again."""

    code = "auth_required"


class UnsupportedVersion(SyncError):
    """426: this app version cannot sync with the server. ``server_message`` says what
    to do (which version to install), in the server's words; the app shows it as is."""

    code = "unsupported_protocol"


class ServerLostEntries(SyncError):
    """The server asks for entries this phone already had acknowledged and no longer
    keeps (e.g. the server was restored from an old backup). Needs a coordinator.
    Raised by the engine (``plan.ServerLost``), never by the client."""

    code = "server_lost_entries"


# ---- the HTTP client ---------------------------------------------------------------


def _error_body(resp: requests.Response) -> tuple[str | None, str | None, dict]:
    try:
        body = resp.json()
    except ValueError:
        return None, None, {}
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        # FastAPI's default shape, in case an error escaped the server's handler
        detail = body.get("detail") if isinstance(body, dict) else None
        return None, (detail if isinstance(detail, str) else None), {}
    details = err.get("details")
    return err.get("code"), err.get("message"), details if isinstance(details, dict) else {}


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _failure(what: str, status: int, code: str | None, message: str | None, details: dict,
             retry_after: float | None) -> SyncError:
    """The exception for a non-2xx answer, by the status it means (``meant_status``)."""
    kw = {"status": status, "code": code, "details": details, "server_message": message}
    meant = meant_status(status, code)
    log_words = " ".join(filter(None, (f"{what}: HTTP {status}", code)))
    if meant == 401:
        return AuthError(message or log_words, **kw)
    if meant == 426:
        return UnsupportedVersion(message or log_words, **kw)
    if meant in (408, 429) or meant >= 500:
        return TransientError(message or log_words, reachable=True, retry_after=retry_after,
                              **kw)
    return RejectedError(message or log_words, **kw)


class SyncClient:
    """One device's HTTP conversation with the server (docs/SYNC.md)."""

    def __init__(self, base_url: str, token: str | None = None, *, device_id: str | None = None,
                 timeout: float | tuple[float, float] = (5.0, 30.0), app_version: str = APP_VERSION,
                 probe_timeout: float = 2.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.device_id = device_id
        self.timeout = timeout
        self.probe_timeout = probe_timeout
        self.app_version = app_version
        self.session = session or requests.Session()
        self.bytes_sent = 0
        self.bytes_received = 0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    # ---- plumbing --------------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        h = protocol.request_headers(self.app_version, self.token)
        h["Accept"] = "application/json"
        return h

    def request(self, method: str, path: str, *, body: Any = None, params: dict | None = None,
                timeout: Any = None, extra_headers: dict | None = None) -> dict:
        """Send one request; return the JSON answer of a 2xx or raise a SyncError."""
        url = self.base_url + path
        headers = self.headers()
        headers.update(extra_headers or {})
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            resp = self.session.request(method, url, data=data, params=params, headers=headers,
                                        timeout=timeout or self.timeout)
            content = resp.content  # read the whole body here: a cut body is transient
        except requests.Timeout:
            raise TransientError(f"the server did not answer in time ({method} {path})") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as e:
            raise TransientError(f"could not reach the server ({type(e).__name__})") from None
        with self._lock:
            self.bytes_sent += len(data or b"")
            self.bytes_received += len(content)
        status = resp.status_code
        if 200 <= status < 300:
            try:
                return resp.json() if content else {}
            except ValueError:
                # a 2xx with a broken body: the answer was damaged on the way
                raise TransientError(f"the server's answer to {method} {path} was damaged",
                                     reachable=True, status=status) from None
        code, message, details = _error_body(resp)
        raise _failure(f"{method} {path}", status, code, message, details, _retry_after(resp))

    # ---- the protocol ------------------------------------------------------------------

    def health(self) -> bool:
        """Cheap probe: can the server be reached right now?"""
        try:
            self.request("GET", "/health", timeout=self.probe_timeout)
            return True
        except TransientError:
            return False
        except SyncError:
            return True  # it answered: reachable

    def enroll(self, device_name: str, invite_code: str) -> EnrollResponse:
        """Sign this device in as the member ``invite_code`` was made for; keeps and
        returns its device id and token (with the member's id, name and role)."""
        answer = self.request("POST", "/v1/devices", body={
            "device_name": device_name, "invite_code": invite_code})
        parsed = _checked(EnrollResponse, answer, "POST /v1/devices")
        self.device_id, self.token = parsed.device_id, parsed.token
        return parsed

    def sign_out(self) -> None:
        """Revoke this device's own token on the server (``DELETE /v1/devices/me``)."""
        self.request("DELETE", "/v1/devices/me")
        self.token = self.device_id = None

    def create_calendar_feed(self) -> str:
        """Make (or replace) the member's calendar feed (``POST /v1/calendar``): its
        address, a secret for a calendar app to subscribe to. An earlier address stops."""
        answer = self.request("POST", "/v1/calendar")
        url = answer.get("url") if isinstance(answer, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise TransientError("the server's answer to POST /v1/calendar was not understood",
                                 reachable=True)
        return url

    def stop_calendar_feed(self) -> None:
        """Stop the member's calendar feed (``DELETE /v1/calendar``)."""
        self.request("DELETE", "/v1/calendar")

    def push(self, entries: Sequence[PushEntry | dict],
             device_id: str | None = None) -> PushResponse:
        """Send entries (``PushEntry``, or their wire dicts); returns the checked answer."""
        answer = self.request("POST", "/v1/sync/push", body={
            "protocol": PROTOCOL_VERSION, "app_version": self.app_version,
            "device_id": device_id or self.device_id,
            "entries": [e.to_dict() if isinstance(e, PushEntry) else e for e in entries]})
        return _checked(PushResponse, answer, "POST /v1/sync/push")

    def pull(self, after: Any = 0, limit: int = protocol.DEFAULT_PULL_LIMIT) -> PullResponse:
        """One page of changes after ``after``, checked."""
        answer = self.request("GET", "/v1/sync/pull", params={"after": after, "limit": limit})
        return _checked(PullResponse, answer, "GET /v1/sync/pull")


def _checked(message_type, answer: dict, what: str):
    """``message_type.from_dict(answer)``; an answer that breaks the contract was
    damaged on the way (or the server is confused): transient."""
    try:
        return message_type.from_dict(answer)
    except ProtocolError as e:
        raise TransientError(f"the server's answer to {what} was not understood ({e})",
                             reachable=True) from None


__all__ = ["SyncClient", "SyncError", "TransientError", "RejectedError", "AuthError",
           "UnsupportedVersion", "ServerLostEntries", "PROTOCOL_VERSION", "APP_VERSION"]
