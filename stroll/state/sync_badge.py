"""The sync badge: what the screens say about sync, and the engine behind it.

``SyncService`` is process-wide (one per device database): it owns the sync engine
for the configured server address and fans its status out to every open session.
The engine calls back from its own thread; the UI hands each callback to the page's
loop (see stroll/ui/app.py) before it reaches ``AppState.apply_sync_status``, which
keeps the badge as a ``SyncView``. No Flet here.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional

from sync.client import SyncError
from sync.engine import FAILURE_CODES, error_code
from sync.membership import CALENDAR_URL, signed_in_member

log = logging.getLogger("stroll.state.sync_badge")

# Why a sync round failed (the engine's codes); each has ``sync.failed.<code>`` in the
# catalogs, the sentence the badge shows.
SYNC_ERROR_CODES = FAILURE_CODES

# What the sync badge says about the connection.
NO_SERVER, CONNECTING, ONLINE, SYNCING, OFFLINE, ERROR, AUTH = (
    "no_server", "connecting", "online", "syncing", "offline", "error", "auth")


@dataclass(frozen=True)
class SyncView:
    """The sync badge: immutable, replaced as a whole so the UI re-renders."""

    connection: str = NO_SERVER
    pending: int = 0
    rejected: int = 0
    last_synced_at: Optional[str] = None
    last_error: Optional[str] = None       # the engine's (or server's) own words
    error_code: Optional[str] = None       # what the UI says: ``sync.failed.<code>``

    @property
    def is_online(self) -> bool:
        return self.connection in (ONLINE, SYNCING)

    @property
    def needs_sign_in(self) -> bool:
        """Sync waits for a member to sign in (again) on this device."""
        return self.connection == AUTH or self.error_code in (
            "sign_in_needed", "token_expired", "device_revoked", "auth_required")


# ---- the sync engine, shared by the sessions of one process ---------------------------

def default_engine_factory(store, server_url: str, device_name: str):
    """A real ``SyncEngine`` talking HTTP to ``server_url`` (imported lazily)."""
    from sync.client import SyncClient
    from sync.engine import SyncEngine

    return SyncEngine(store, SyncClient(server_url), device_name=device_name or "stroll device")


class SyncService:
    """Owns the device's ``SyncEngine`` and fans its status out to listeners.

    ``configure(url, name)`` (re)starts the engine when the address changes; an empty
    address stops it. Listeners get ``(connection, status_or_None)`` from any thread.
    """

    def __init__(self, store, engine_factory: Callable[..., Any] = default_engine_factory):
        self.store = store
        self.engine_factory = engine_factory
        self.engine = None
        self.server_url = ""
        self.device_name = ""
        self._listeners: list[Callable[[str, Any], None]] = []
        self._unsubscribe: Optional[Callable[[], None]] = None
        self._connection = NO_SERVER
        self._last_status = None
        self._seen_round = False
        self._lock = threading.RLock()
        self._job: Optional[threading.Thread] = None

    @property
    def connection(self) -> str:
        return self._connection

    def configure(self, server_url: str, device_name: str = "") -> None:
        server_url = (server_url or "").strip().rstrip("/")
        with self._lock:
            if server_url == self.server_url and self.engine is not None:
                self.device_name = device_name
                self.engine.device_name = device_name or self.engine.device_name
                return
            self._stop_engine()
            self.server_url, self.device_name = server_url, device_name
            if not server_url:
                self._connection, self._last_status = NO_SERVER, None
                self._emit()
                return
            self._connection, self._seen_round = CONNECTING, False
            self.engine = self.engine_factory(self.store, server_url, device_name)
            self._unsubscribe = self.engine.subscribe(self._on_status)
            start = getattr(self.engine, "start", None)
            if start:
                start()

    def _stop_engine(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        if self.engine is not None:
            stop = getattr(self.engine, "stop", None)
            if stop:
                threading.Thread(target=stop, name="stroll-sync-stop", daemon=True).start()
            self.engine = None

    def stop(self) -> None:
        with self._lock:
            self._stop_engine()

    def _on_status(self, status) -> None:
        state = getattr(status, "state", "idle")
        with self._lock:
            if state == "syncing":
                self._seen_round, conn = True, SYNCING
            elif state == "idle":
                # the engine reports "idle" once on subscribing, before any round
                conn = ONLINE if self._seen_round else CONNECTING
            elif state == "offline":
                conn = OFFLINE
            elif state == "auth_required":
                conn = AUTH
            else:
                conn = ERROR
            self._connection, self._last_status = conn, status
        self._emit()

    def _emit(self) -> None:
        for cb in list(self._listeners):
            try:
                cb(self._connection, self._last_status)
            except Exception:  # one session's bug must not stop the others
                log.exception("sync listener failed")

    def subscribe(self, callback: Callable[[str, Any], None]) -> Callable[[], None]:
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)
        return unsubscribe

    def sync_now(self) -> bool:
        if self.engine is None:
            return False
        self.engine.sync_now()
        return True

    # ---- who is signed in on this device ------------------------------------------------

    def member(self) -> Optional[dict]:
        """``{"member_id", "name", "role"}`` of the member signed in here, or None:
        the engine's ``member()`` read off the store, so also with no server set."""
        return signed_in_member(self.store)

    def sign_in(self, invite_code: str, on_done: Callable[[Optional[dict], Optional[str]], None]
                ) -> None:
        """Sign this device in with ``invite_code`` on a background thread (never on the
        UI's loop): ``on_done(member, None)`` once signed in, ``on_done(None, code)``
        with the failure code (``sync.failed.<code>``) if not. Needs a configured
        server (``configure``)."""
        engine = self.engine
        if engine is None:
            raise RuntimeError("no server configured: configure(server_url) first")

        def job() -> Optional[dict]:
            engine.sign_in(invite_code, self.device_name or None)
            return engine.member()
        self._run("stroll-sign-in", job, on_done)

    def sign_out(self, on_done: Callable[[Optional[dict], Optional[str]], None]) -> None:
        """Sign the member out on a background thread; ``on_done(None, None)`` once
        done, ``on_done(member, "pending_entries")`` while records wait to be sent
        (never forced here: those records were written by this member)."""
        engine = self.engine
        if engine is None:
            raise RuntimeError("no server configured: configure(server_url) first")

        def job() -> None:
            engine.sign_out()
            return None
        self._run("stroll-sign-out", job, on_done)

    # ---- the member's calendar feed (docs/SYNC.md, Calendar feed) -----------------------

    def calendar_url(self) -> Optional[str]:
        """The address of the member's calendar feed kept on this device, or None."""
        return self.store.get_setting(CALENDAR_URL) or None

    def calendar_link(self, on_done: Callable[[Optional[str], Optional[str]], None]) -> None:
        """Make (or replace) the member's calendar feed on a background thread:
        ``on_done(url, None)``, or ``on_done(url kept before, code)`` when it failed."""
        engine = self._engine()
        self._run("stroll-calendar-link", engine.create_calendar_feed, on_done,
                  current=self.calendar_url)

    def stop_calendar_link(self, on_done: Callable[[Optional[str], Optional[str]], None]
                           ) -> None:
        """Stop the member's calendar feed on a background thread: ``on_done(None,
        None)``, or ``on_done(url still kept, code)`` when the server was not told."""
        engine = self._engine()

        def job() -> None:
            engine.stop_calendar_feed()
            return None
        self._run("stroll-calendar-stop", job, on_done, current=self.calendar_url)

    def _engine(self):
        if self.engine is None:
            raise RuntimeError("no server configured: configure(server_url) first")
        return self.engine

    def _run(self, name: str, job: Callable[[], Any],
             on_done: Callable[[Any, Optional[str]], None],
             current: Optional[Callable[[], Any]] = None) -> None:
        """``job`` on a thread of its own; ``on_done(its result, None)``, or, when it
        failed, ``on_done(current(), code)`` (default: the member signed in)."""
        def run() -> None:
            try:
                result, code = job(), None
            except SyncError as e:
                result, code = (current or self.member)(), error_code(e)
                log.info("%s failed (%s): %s", name, code, e)
            except Exception:  # a bug or a disk error: say so, keep the app up
                log.exception("%s failed", name)
                result, code = _quietly(current), "device_failure"
            try:
                on_done(result, code)
            except Exception:
                log.exception("%s: the caller's callback failed", name)
        with self._lock:
            self._job = threading.Thread(target=run, name=name, daemon=True)
            self._job.start()

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for the last sign-in, sign-out or calendar call to finish (tests,
        shutdown); True if it did."""
        job = self._job
        if job is not None:
            job.join(timeout)
            return not job.is_alive()
        return True


def _quietly(read: Optional[Callable[[], Any]]) -> Any:
    """``read()``, or None when there is nothing to read or it fails too."""
    try:
        return read() if read else None
    except Exception:  # the store failed as well: say nothing rather than fail again
        log.exception("reading the kept value failed")
        return None


__all__ = ["SyncService", "SyncView", "default_engine_factory", "SYNC_ERROR_CODES",
           "NO_SERVER", "CONNECTING", "ONLINE", "SYNCING", "OFFLINE", "ERROR", "AUTH"]
