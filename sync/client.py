"""The device side of the sync protocol: HTTP client, sync engine, background thread.

``SyncClient`` speaks docs/SYNC.md over HTTP (requests) and turns every failure into
one of four exception classes, each telling the engine what to do next:

- ``TransientError``: the network or the server had a bad moment (connection refused,
  reset or timed out, 5xx, 429, 408). Retry later; nothing is wrong with the data.
- ``RejectedError``: the server refused a request for a reason that will not go away
  by retrying it unchanged (4xx). Keep the data, show the reason, move on.
- ``AuthError``: 401. The phone's sync key is no longer accepted: ask to sign in again.
- ``UnsupportedVersion``: 426. The app is too old (or too new) for the server; the
  server's own message is shown to the user as is.

``SyncEngine`` runs one sync round (``sync_once``: push the outbox in order, then pull
pages until caught up) and, with ``start()``, a background thread that keeps the
device in sync while the app is open: a timer with exponential backoff and full
jitter, independent of new writes; a cheap ``GET /health`` probe every couple of
seconds while the server cannot be reached, so the device syncs within seconds of
connectivity returning; no retries after an auth failure until the user signs in
again. The UI never waits on the network: ``sync_now()`` only wakes the thread, and
the UI learns what happens through ``subscribe(callback)`` (``SyncStatus``).

Layering: imports ``stroll.store``/``stroll.domain``/``sync.protocol`` only; no Flet.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import requests

from stroll.domain import RECORD_TYPES, StrollError
from sync import protocol
from sync.protocol import ProtocolError, PullResponse, PushResponse

log = logging.getLogger("stroll.sync")

PROTOCOL_VERSION: int = protocol.PROTOCOL_VERSION


from sync.version import VERSION as APP_VERSION  # noqa: E402 - re-exported

# ---- failures ----------------------------------------------------------------------


class SyncError(StrollError):
    """Base of every sync failure. ``message`` is plain words a user can read."""

    code = "sync_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        if code:
            self.code = code
        self.details = details or {}


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
    """426: this app version cannot sync with the server. ``message`` is the server's."""

    code = "unsupported_protocol"


class SequenceGap(RejectedError):
    """409 ``sequence_gap``: the server wants the device's entries from ``expected`` on."""

    code = "sequence_gap"

    def __init__(self, message: str, expected: int, **kw):
        super().__init__(message, **kw)
        self.expected = expected


class ServerLostEntries(SyncError):
    """The server asks for entries this phone already had acknowledged and no longer
    keeps (e.g. the server was restored from an old backup). Needs a coordinator."""

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


def _damaged(what: str, e: ProtocolError) -> TransientError:
    return TransientError(f"the server's answer to {what} was not understood ({e})",
                          reachable=True)


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
        if status == 401:
            raise AuthError(message or "this phone's sync key was not accepted", status=status,
                            code=code, details=details)
        if status == 426:
            raise UnsupportedVersion(
                message or "this version of the app cannot sync with the server; update the app",
                status=status, code=code, details=details)
        if status in (408, 429) or status >= 500:
            raise TransientError(message or f"the server is busy or failing (HTTP {status})",
                                 reachable=True, retry_after=_retry_after(resp), status=status,
                                 code=code, details=details)
        if status == 409 and code == "sequence_gap":
            expected = details.get("expected")
            if isinstance(expected, int) and not isinstance(expected, bool):
                raise SequenceGap(message or "sequence gap", expected, status=status, code=code,
                                  details=details)
        raise RejectedError(message or f"the server refused {method} {path} (HTTP {status})",
                            status=status, code=code, details=details)

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

    def enroll(self, device_name: str, member_id: str | None = None, *,
               role: str | None = None, enroll_key: str | None = None) -> tuple[str, str]:
        """Register this phone; returns (device_id, token) and keeps them."""
        body: dict[str, Any] = {"device_name": device_name, "member_id": member_id}
        if role:
            body["role"] = role
        extra = {protocol.HEADER_ENROLL_KEY: enroll_key} if enroll_key else None
        answer = self.request("POST", "/v1/devices", body=body, extra_headers=extra)
        try:
            parsed = protocol.EnrollResponse.from_dict(answer)
        except ProtocolError as e:
            raise _damaged("POST /v1/devices", e) from None
        self.device_id, self.token = parsed.device_id, parsed.token
        return parsed.device_id, parsed.token

    def push(self, entries: list[dict], device_id: str | None = None) -> dict:
        """Send entries (wire form: seq, type, id, op, data, device_time); returns the
        checked answer as a dict (acked_through, results, server_time)."""
        answer = self.request("POST", "/v1/sync/push", body={
            "protocol": PROTOCOL_VERSION, "app_version": self.app_version,
            "device_id": device_id or self.device_id, "entries": entries})
        try:
            PushResponse.from_dict(answer)
        except ProtocolError as e:
            raise _damaged("POST /v1/sync/push", e) from None
        return answer

    def pull(self, after: Any = 0, limit: int = protocol.DEFAULT_PULL_LIMIT) -> dict:
        """One page of changes after ``after``; the checked answer as a dict."""
        answer = self.request("GET", "/v1/sync/pull", params={"after": after, "limit": limit})
        try:
            PullResponse.from_dict(answer)
        except ProtocolError as e:
            raise _damaged("GET /v1/sync/pull", e) from None
        return answer


# ---- status for the UI ---------------------------------------------------------------

IDLE, SYNCING, OFFLINE, ERROR = "idle", "syncing", "offline", "error"
AUTH_REQUIRED = "auth_required"


@dataclass(frozen=True)
class SyncStatus:
    """What the sync badge shows. ``last_error`` is plain words, never a traceback;
    ``progress`` is (sent, total) outbox entries while a sync pushes, else None."""

    state: str = IDLE
    pending: int = 0
    rejected: int = 0
    last_synced_at: str | None = None
    last_error: str | None = None
    progress: tuple[int, int] | None = None
    # what went wrong, as a code a UI translates (``sync.failed.<code>`` in the catalogs):
    # server_unreachable, server_busy, auth_required, unsupported_version, rejected,
    # device_failure; ``last_error`` keeps the words (the server's own, where it gave some)
    error_code: str | None = None

    @property
    def message(self) -> str:
        """One line for the sync badge."""
        if self.state == SYNCING:
            if self.progress and self.progress[1]:
                return f"Sending changes — {self.progress[0]} of {self.progress[1]}"
            return "Syncing…"
        if self.last_error:
            return self.last_error
        if self.pending:
            return f"{_changes(self.pending)} {_wait_verb(self.pending)} on this phone"
        if self.rejected:
            return f"{_changes(self.rejected)} refused by the server — open them to fix"
        return "All changes sent" if self.last_synced_at else "Not synced yet"


def _changes(n: int) -> str:
    return f"{n} change{'' if n == 1 else 's'}"


def _wait_verb(n: int) -> str:
    return "waits" if n == 1 else "wait"


def _error_code(e: SyncError) -> str:
    if isinstance(e, AuthError):
        return "auth_required"
    if isinstance(e, UnsupportedVersion):
        return "unsupported_version"
    if isinstance(e, TransientError):
        return "server_busy" if e.reachable else "server_unreachable"
    return "rejected"


# ---- backoff ---------------------------------------------------------------------------


@dataclass
class Backoff:
    """Exponential backoff with full jitter: the n-th consecutive failure waits a
    uniformly random time in [0, min(cap, base * 2**(n-1))]."""

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = dataclasses.field(default_factory=random.Random)

    def ceiling(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.cap, self.base * (2 ** min(failures - 1, 30)))

    def delay(self, failures: int) -> float:
        return self.rng.uniform(0.0, self.ceiling(failures))


# ---- the engine ------------------------------------------------------------------------


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).astimezone().isoformat(timespec="seconds")


class SyncEngine:
    """Keeps one device's store in sync with the server.

    ``clock()`` returns wall-clock epoch seconds (for ``sync.last_synced_at``);
    ``sleep(seconds)`` replaces the thread's interruptible wait in tests (by default the
    thread waits on an event that ``sync_now()`` and ``stop()`` set).
    """

    def __init__(self, store, client: SyncClient, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Any] | None = None, device_name: str = "stroll device",
                 member_id: str | None = None, role: str | None = None,
                 enroll_key: str | None = None, push_batch: int = 500,
                 push_batch_bytes: int = 1_000_000, pull_limit: int = 1000,
                 idle_interval: float = 30.0, probe_interval: float = 2.0,
                 backoff: Backoff | None = None):
        self.store = store
        self.client = client
        self.clock = clock
        self._sleep = sleep
        self.device_name = device_name
        self.member_id = member_id
        self.role = role
        self.enroll_key = enroll_key
        self.push_batch = push_batch
        self.push_batch_bytes = push_batch_bytes
        self.pull_limit = pull_limit
        self.idle_interval = idle_interval
        self.probe_interval = probe_interval
        self.backoff = backoff or Backoff()
        self._listeners: list[Callable[[SyncStatus], Any]] = []
        self._state = IDLE
        self._error: str | None = None
        self._error_code: str | None = None
        self._progress: tuple[int, int] | None = None
        self._round_lock = threading.Lock()  # one sync round at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self.rounds = 0
        token = store.get_setting("sync.token")
        if token:
            client.token = token
            client.device_id = store.get_setting("sync.device_id")
        if store.get_setting("sync.auth_required"):
            self._state = AUTH_REQUIRED
            self._error, self._error_code = _AUTH_WORDS, "auth_required"

    # ---- status ----------------------------------------------------------------------

    def subscribe(self, callback: Callable[[SyncStatus], Any]) -> Callable[[], None]:
        """Call ``callback(status)`` now and on every change (from the sync thread:
        a UI must hand it to its own loop). Returns a function that unsubscribes."""
        self._listeners.append(callback)
        self._call(callback, self.status())

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)
        return unsubscribe

    def status(self) -> SyncStatus:
        s = self.store.sync_status()
        return SyncStatus(state=self._state, pending=s["pending"], rejected=s["rejected"],
                          last_synced_at=s["last_synced_at"], last_error=self._error,
                          progress=self._progress,
                          error_code=self._error_code if self._error else None)

    def _call(self, callback, status) -> None:
        try:
            callback(status)
        except Exception:  # a listener's bug must not stop sync
            log.exception("sync status listener failed")

    def _publish(self, state: str | None = None, *, error: str | None | bool = False,
                 code: str | None = None, progress: tuple[int, int] | None | bool = False) -> None:
        if state is not None:
            self._state = state
        if error is not False:
            self._error = error
            self._error_code = code if error else None
        if progress is not False:
            self._progress = progress
        status = self.status()
        for cb in list(self._listeners):
            self._call(cb, status)

    # ---- one round -----------------------------------------------------------------------

    def ensure_enrolled(self) -> None:
        if self.client.token and self.client.device_id:
            return
        token = self.store.get_setting("sync.token")
        if token:
            self.client.token = token
            self.client.device_id = self.store.get_setting("sync.device_id")
            return
        device_id, token = self.client.enroll(self.device_name, self.member_id, role=self.role,
                                              enroll_key=self.enroll_key)
        with self.store.transaction():
            self.store.set_setting("sync.device_id", device_id)
            self.store.set_setting("sync.token", token)
            # the new device id's sequence starts at 1 with this phone's next pending entry
            self.store.set_setting("sync.seq_offset", None)

    def sync_once(self) -> dict:
        """Push every pending entry, then pull until caught up. Raises a SyncError
        (after recording it in ``sync.last_error``) when the round cannot finish."""
        with self._round_lock:
            self._publish(SYNCING, progress=None)
            try:
                self.ensure_enrolled()
                push_error: SyncError | None = None
                try:
                    pushed = self._push_all()
                except (RejectedError, ServerLostEntries) as e:
                    # the queue is stuck for a reason retrying will not fix: still
                    # receive what others sent, then say what is wrong
                    push_error, pushed = e, {}
                pulled = self._pull_all()
                if push_error is not None:
                    raise push_error
            except SyncError as e:
                self._failed(e)
                raise
            except Exception as e:  # a bug or a disk error: plain words, keep the app up
                log.exception("sync round failed")
                self._publish(ERROR, error=f"Sync failed on this phone ({type(e).__name__}); "
                              "changes are kept and will be sent later",
                              code="device_failure", progress=None)
                raise
            now = _iso(self.clock())
            self.store.set_setting("sync.last_synced_at", now)
            self.store.set_setting("sync.last_error", None)
            self.store.set_setting("sync.last_error_code", None)
            if self.store.get_setting("sync.auth_required"):
                self.store.set_setting("sync.auth_required", None)
            self.rounds += 1
            self._publish(IDLE, error=None, progress=None)
            return {"pushed": pushed, "pulled": pulled, "synced_at": now}

    def _failed(self, e: SyncError) -> None:
        """Record and publish a failed round: offline (transient), auth_required, error."""
        words, code = self._words(e), _error_code(e)
        state = (AUTH_REQUIRED if isinstance(e, AuthError)
                 else OFFLINE if isinstance(e, TransientError) else ERROR)
        try:
            self.store.set_setting("sync.last_error", words)
            self.store.set_setting("sync.last_error_code", code)
            if state == AUTH_REQUIRED:
                self.store.set_setting("sync.auth_required", True)
        finally:
            self._publish(state, error=words, code=code, progress=None)

    # push ----------------------------------------------------------------------------

    def _offset(self, first_pending_seq: int) -> int:
        offset = self.store.get_setting("sync.seq_offset")
        if offset is None:
            offset = first_pending_seq - 1
            self.store.set_setting("sync.seq_offset", offset)
        return int(offset)

    def _batch(self, limit: int, max_bytes: int) -> list[dict]:
        entries = self.store.outbox_entries(limit=limit)
        size, out = 0, []
        for e in entries:
            size += len(json.dumps(e["payload"], ensure_ascii=False).encode("utf-8")) + 200
            if out and size > max_bytes:
                break
            out.append(e)
        return out

    def _push_all(self) -> dict:
        total = self.store.pending_count()
        sent = applied = duplicate = rejected = 0
        decisions: dict[str, dict] = {}
        gap_retries = 0
        limit = max(1, min(self.push_batch, protocol.MAX_BATCH_ENTRIES))
        max_bytes = max(1, min(self.push_batch_bytes, protocol.MAX_BODY_BYTES // 2))
        if total:
            self._publish(progress=(0, total))
        while True:
            entries = self._batch(limit, max_bytes)
            if not entries:
                break
            offset = self._offset(entries[0]["seq"])
            wire = [{"seq": e["seq"] - offset, "type": e["record_type"], "id": e["record_id"],
                     "op": e["op"], "data": e["payload"], "device_time": e["device_time"]}
                    for e in entries]
            seqs = [e["seq"] for e in entries]
            self.store.note_attempt(seqs)
            try:
                answer = self.client.push(wire)
            except SequenceGap as gap:
                expected = gap.expected + offset  # back to this phone's numbering
                if expected <= seqs[0] or gap_retries > 3:
                    raise ServerLostEntries(
                        f"The server is missing changes {expected - offset}–{seqs[0] - offset - 1} "
                        "from this phone, which were already confirmed. Ask a coordinator to "
                        "check the server's backup; your other changes wait on this phone.",
                        code="server_lost_entries", details=gap.details) from None
                # entries below ``expected`` were applied by an earlier push whose answer
                # was lost: acknowledge them and send again from ``expected``
                below = [s for s in seqs if s < expected]
                self.store.acknowledge(below)
                sent += len(below)
                gap_retries += 1
                self._publish(progress=(min(sent, total), max(total, sent)))
                continue
            except RejectedError as e:
                if e.status == 413 and len(entries) > 1:
                    # the server takes smaller batches: halve and go on
                    limit = max(1, len(entries) // 2)
                    max_bytes = max(1, max_bytes // 2)
                    continue
                first = entries[0]
                raise RejectedError(
                    f"The server refused changes from this phone ({e.message}). They are kept "
                    f"on this phone; the first waiting is {first['record_type']} "
                    f"{first['record_id']}.", status=e.status, code=e.code,
                    details=e.details) from None
            gap_retries = 0
            acked, refused = self._results(answer, entries, offset, decisions)
            if not acked and not refused:
                raise TransientError("the server acknowledged none of the changes sent",
                                     reachable=True)
            self.store.acknowledge(acked, refused)
            sent += len(acked) + len(refused)
            rejected += len(refused)
            applied += sum(1 for r in answer.get("results", []) if r.get("status") == "applied")
            duplicate += sum(1 for r in answer.get("results", [])
                             if r.get("status") == "duplicate")
            self._publish(progress=(min(sent, total), max(total, sent)))
        return {"sent": sent, "applied": applied, "duplicate": duplicate, "rejected": rejected,
                "decisions": decisions}

    def _results(self, answer: dict, entries: list[dict], offset: int,
                 decisions: dict) -> tuple[list[int], dict[int, str]]:
        by_seq = {e["seq"]: e for e in entries}
        acked: list[int] = []
        refused: dict[int, str] = {}
        seen: set[int] = set()
        for r in answer.get("results") or []:
            try:
                seq = int(r["seq"]) + offset
            except (KeyError, TypeError, ValueError):
                continue
            if seq not in by_seq:
                continue
            seen.add(seq)
            if r.get("status") == "rejected":
                err = r.get("error") or {}
                refused[seq] = (err.get("message") if isinstance(err, dict) else None) \
                    or str(err) or "refused by the server"
            else:
                acked.append(seq)
                if r.get("decision") is not None:
                    decisions[by_seq[seq]["record_id"]] = r["decision"]
        through = answer.get("acked_through")
        if isinstance(through, int):
            for seq in by_seq:
                if seq not in seen and seq - offset <= through:
                    acked.append(seq)
        return acked, refused

    # pull ----------------------------------------------------------------------------

    def _pull_all(self) -> int:
        cursor = self.store.get_setting("sync.cursor", 0)
        pulled = 0
        for _ in range(1_000_000):
            page = self.client.pull(after=cursor, limit=self.pull_limit)
            try:
                changes = page["changes"]
                next_cursor = page["next_cursor"]
                has_more = bool(page.get("has_more"))
            except (KeyError, TypeError):
                raise TransientError("the server's answer to pull was incomplete",
                                     reachable=True) from None
            known = [c for c in changes if c.get("type") in RECORD_TYPES]
            if len(known) != len(changes):
                log.warning("skipped %d changes of record types this app does not know",
                            len(changes) - len(known))
            self.store.apply_remote(known, next_cursor)
            pulled += len(changes)
            if not has_more or next_cursor == cursor:
                break
            cursor = next_cursor
        return pulled

    # ---- words for people ---------------------------------------------------------------

    def _words(self, e: SyncError) -> str:
        pending = self.store.pending_count()
        waiting = (f" — {_changes(pending)} {_wait_verb(pending)} on this phone and will be "
                   "sent automatically" if pending else "")
        if isinstance(e, AuthError):
            return _AUTH_WORDS
        if isinstance(e, UnsupportedVersion):
            return e.message
        if isinstance(e, TransientError):
            if e.reachable:
                return f"Server busy{waiting or ' — will try again automatically'}"
            return f"Server not reachable{waiting or ' — will try again automatically'}"
        if isinstance(e, (ServerLostEntries, RejectedError)):
            return e.message
        return f"Sync failed: {e.message}{waiting}"

    # ---- the background thread ------------------------------------------------------------

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stopping.clear()
        self._wake.set()  # first round right away
        self._thread = threading.Thread(target=self._run, name="stroll-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def sync_now(self) -> None:
        """Ask for a round as soon as possible. Never blocks; safe from any thread."""
        self._wake.set()

    def sign_in_again(self, device_name: str | None = None) -> None:
        """Forget the refused sync key; the next round enrolls this phone again (pending
        entries are renumbered for the new device id) and the thread resumes."""
        with self.store.transaction():
            for key in ("sync.token", "sync.device_id", "sync.seq_offset",
                        "sync.auth_required"):
                self.store.set_setting(key, None)
        self.client.token = self.client.device_id = None
        if device_name:
            self.device_name = device_name
        self._publish(IDLE, error=None)
        self._wake.set()

    def _wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when woken (sync_now/stop) before that."""
        if self._sleep is not None:
            self._sleep(seconds)
            woken = self._wake.is_set()
        else:
            woken = self._wake.wait(max(0.0, seconds))
        return woken

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            delay, probe = self.idle_interval, False
            try:
                self.sync_once()
                self.failures = 0
            except AuthError:
                # no retries: wait for sign_in_again() / sync_now() / stop()
                while not self._stopping.is_set() and not self._wait(3600):
                    pass
                continue
            except TransientError as e:
                self.failures += 1
                delay = self.backoff.delay(self.failures)
                if e.retry_after is not None:
                    delay = max(delay, min(e.retry_after, self.backoff.cap))
                probe = not e.reachable
            except UnsupportedVersion:
                self.failures += 1
                delay = self.backoff.cap * 10  # until the app is updated; sync_now retries
            except Exception:  # SyncError or a bug (already logged and published)
                self.failures += 1
                delay = self.backoff.delay(self.failures)
            if self._stopping.is_set():
                break
            if probe:
                self._wait_probing(delay)
            else:
                self._wait(delay)

    def _wait_probing(self, delay: float) -> None:
        """Offline: wait out the backoff delay, but probe /health every
        ``probe_interval`` seconds and return early as soon as it answers."""
        deadline = time.monotonic() + delay
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._wait(min(self.probe_interval, left)):
                return
            if self.client.health():
                return


_AUTH_WORDS = ("Sign in again to sync: the server no longer accepts this phone's sync key. "
               "Your changes are kept on this phone.")

__all__ = ["SyncClient", "SyncEngine", "SyncStatus", "Backoff", "SyncError", "TransientError",
           "RejectedError", "AuthError", "UnsupportedVersion", "SequenceGap",
           "ServerLostEntries", "PROTOCOL_VERSION", "APP_VERSION"]
