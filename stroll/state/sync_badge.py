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

from sync.engine import FAILURE_CODES

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


__all__ = ["SyncService", "SyncView", "default_engine_factory", "SYNC_ERROR_CODES",
           "NO_SERVER", "CONNECTING", "ONLINE", "SYNCING", "OFFLINE", "ERROR", "AUTH"]
