"""The device's sync engine: one round, the backoff, and the background thread.

``SyncEngine`` runs one sync round (``sync_once``: push the outbox in order, then pull
pages until caught up) and, with ``start()``, a background thread that keeps the
device in sync while the app is open: a timer with exponential backoff and full
jitter, independent of new writes; a cheap ``GET /health`` probe every couple of
seconds while the server cannot be reached, so the device syncs within seconds of
connectivity returning; no retries after an auth failure until the user signs in
again. The UI never waits on the network: ``sync_now()`` only wakes the thread, and
the UI learns what happens through ``subscribe(callback)`` (``SyncStatus``).

Which entries a push carries and what its answer means is decided by ``sync.plan``
(pure); the engine applies those decisions to the store and the client. The engine
speaks codes, not sentences: ``SyncStatus`` carries a state, an error code the UI
translates (``sync.failed.<code>``), counts and the server's own message where the
server sent one.

Layering: imports ``stroll.store``/``stroll.domain``/``sync.*`` only; no Flet.
"""
from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from sync import plan
from sync.membership import MemberSession
from sync.client import (AuthError, RejectedError, ServerLostEntries, SyncClient, SyncError,
                         TransientError, UnsupportedVersion)

log = logging.getLogger("stroll.sync")

# ---- status for the UI ---------------------------------------------------------------

IDLE, SYNCING, OFFLINE, ERROR = "idle", "syncing", "offline", "error"
AUTH_REQUIRED = "auth_required"

# Why a round failed (``SyncStatus.error_code``); the UI's catalogs say each one.
FAILURE_CODES = ("server_unreachable", "server_busy", "auth_required", "unsupported_version",
               "rejected", "server_lost_entries", "device_failure", "sign_in_needed",
               "token_expired", "device_revoked", "invite_invalid", "pending_entries")
# 401 codes the app tells apart (any other 401 is auth_required)
_AUTH_CODES = ("sign_in_needed", "token_expired", "device_revoked")


@dataclass(frozen=True)
class SyncStatus:
    """What the sync badge shows, as values the UI puts into words.

    ``state`` is idle, syncing, offline, error or auth_required; ``error_code`` says
    why the last round failed (one of ``FAILURE_CODES``, None after a good round);
    ``last_error`` is the server's own message about it, where it sent one (e.g. the
    426 that says which app version to install), else None; ``progress`` is (sent,
    total) outbox entries while a sync pushes, else None."""

    state: str = IDLE
    pending: int = 0
    rejected: int = 0
    last_synced_at: str | None = None
    last_error: str | None = None
    progress: tuple[int, int] | None = None
    error_code: str | None = None


def error_code(e: SyncError) -> str:
    """The ``SyncStatus.error_code`` of a failure."""
    if isinstance(e, AuthError):
        return e.code if e.code in _AUTH_CODES else "auth_required"
    if e.code in ("invite_invalid", "pending_entries"):
        return e.code
    if isinstance(e, UnsupportedVersion):
        return "unsupported_version"
    if isinstance(e, TransientError):
        return "server_busy" if e.reachable else "server_unreachable"
    if isinstance(e, ServerLostEntries):
        return "server_lost_entries"
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


_KEEP: Any = object()  # ``_publish``: leave this part of the status as it is


@dataclass(eq=False)
class SyncEngine(MemberSession):
    """Keeps one device's store in sync with the server.

    ``clock()`` returns wall-clock epoch seconds (for ``sync.last_synced_at``);
    ``sleep(seconds)`` replaces the thread's interruptible wait in tests (by default the
    thread waits on an event that ``sync_now()`` and ``stop()`` set). The settings may
    be changed between rounds (``push_batch``, ``pull_limit``, ``backoff``, ...).
    """

    store: Any
    client: SyncClient
    _: KW_ONLY
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Any] | None = None
    device_name: str = "stroll device"
    push_batch: int = 500
    push_batch_bytes: int = 1_000_000
    pull_limit: int = 1000
    idle_interval: float = 30.0
    probe_interval: float = 2.0
    backoff: Backoff = dataclasses.field(default_factory=Backoff)

    def __post_init__(self) -> None:
        if self.backoff is None:
            self.backoff = Backoff()
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
        store, client = self.store, self.client
        token = store.get_setting("sync.token")
        if token:
            client.token = token
            client.device_id = store.get_setting("sync.device_id")
        if store.get_setting("sync.auth_required"):
            self._state, self._error_code = AUTH_REQUIRED, "auth_required"
            self._error = store.get_setting("sync.last_error")

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
                          progress=self._progress, error_code=self._error_code)

    def _call(self, callback, status) -> None:
        try:
            callback(status)
        except Exception:  # a listener's bug must not stop sync
            log.exception("sync status listener failed")

    def _publish(self, state: str | None = None, *, code: str | None = _KEEP,
                 server_message: str | None = None, progress: Any = _KEEP) -> None:
        """Tell the listeners; ``code`` (with the server's message) replaces the error."""
        if state is not None:
            self._state = state
        if code is not _KEEP:
            self._error_code, self._error = code, server_message if code else None
        if progress is not _KEEP:
            self._progress = progress
        status = self.status()
        for cb in list(self._listeners):
            self._call(cb, status)

    # ---- one round -----------------------------------------------------------------------

    def ensure_enrolled(self) -> None:
        """The device's token, or AuthError ``sign_in_needed``: a device syncs only
        once a member signed it in with an invite code (``sign_in``)."""
        if self.client.token and self.client.device_id:
            return
        token = self.store.get_setting("sync.token")
        if token:
            self.client.token = token
            self.client.device_id = self.store.get_setting("sync.device_id")
            return
        raise AuthError("this device is not signed in: enter an invite code",
                        code="sign_in_needed")

    def sync_once(self) -> dict:
        """Push every pending entry, then pull until caught up. Raises a SyncError
        (after recording its code in ``sync.last_error_code``) when the round cannot
        finish."""
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
            except Exception:  # a bug or a disk error: keep the app up
                log.exception("sync round failed")
                self._publish(ERROR, code="device_failure", progress=None)
                raise
            # survivor details the server now has leave a device that need not keep them
            self.store.purge_sensitive()
            now = _iso(self.clock())
            self.store.set_setting("sync.last_synced_at", now)
            self.store.set_setting("sync.last_error", None)
            self.store.set_setting("sync.last_error_code", None)
            if self.store.get_setting("sync.auth_required"):
                self.store.set_setting("sync.auth_required", None)
            self.rounds += 1
            self._publish(IDLE, code=None, progress=None)
            return {"pushed": pushed, "pulled": pulled, "synced_at": now}

    def _failed(self, e: SyncError) -> None:
        """Record and publish a failed round: offline (transient), auth_required, error."""
        code = error_code(e)
        state = (AUTH_REQUIRED if isinstance(e, AuthError)
                 else OFFLINE if isinstance(e, TransientError) else ERROR)
        log.info("sync round failed (%s): %s", code, e.message)
        try:
            self.store.set_setting("sync.last_error", e.server_message)
            self.store.set_setting("sync.last_error_code", code)
            if state == AUTH_REQUIRED:
                self.store.set_setting("sync.auth_required", True)
            if code == "device_revoked":  # a lost phone: nothing of the member stays
                self._forget_member()
                self.store.set_setting("sync.last_error_code", code)
        finally:
            self._publish(state, code=code, server_message=e.server_message, progress=None)

    # push ----------------------------------------------------------------------------

    def _offset(self, first_pending_seq: int) -> int:
        offset = self.store.get_setting("sync.seq_offset")
        if offset is None:
            offset = plan.first_offset(first_pending_seq)
            self.store.set_setting("sync.seq_offset", offset)
        return int(offset)

    def _next_batch(self, limits: plan.Limits) -> plan.Batch | None:
        rows = self.store.outbox_entries(limit=limits.entries)
        return plan.next_batch(rows, self._offset(rows[0]["seq"]), limits) if rows else None

    def _push_all(self) -> dict:
        """Push the outbox in batches, applying the plan's decision on each answer."""
        total = self.store.pending_count()
        counts = {"sent": 0, "applied": 0, "duplicate": 0, "rejected": 0}
        decisions: dict[str, dict] = {}
        gap_retries = 0
        limits = plan.Limits.of(self.push_batch, self.push_batch_bytes)
        if total:
            self._publish(progress=(0, total))
        while (batch := self._next_batch(limits)) is not None:
            self.store.note_attempt(list(batch.seqs))
            try:
                answer = self.client.push(batch.entries)
            except RejectedError as e:
                step = plan.after_refusal(batch, limits, status=e.status or 0, code=e.code,
                                          message=e.server_message, details=e.details,
                                          gap_retries=gap_retries)
            else:
                step = plan.after_answer(batch, answer)
            if isinstance(step, plan.Shrink):
                limits = step.limits
                continue
            if isinstance(step, (plan.ServerLost, plan.BatchRefused, plan.NothingAcknowledged)):
                raise _stuck(step, batch)
            if isinstance(step, plan.ResendFrom):
                self.store.acknowledge(step.acked)
                counts["sent"] += len(step.acked)
                gap_retries += 1
            else:
                gap_retries = 0
                self.store.acknowledge(step.acked, dict(step.refused))
                decisions.update(step.decisions)
                for key, n in (("sent", len(step.acked) + len(step.refused)),
                               ("rejected", len(step.refused)), ("applied", step.applied),
                               ("duplicate", step.duplicate)):
                    counts[key] += n
            self._publish(progress=(min(counts["sent"], total), max(total, counts["sent"])))
        return {**counts, "decisions": decisions}

    # pull ----------------------------------------------------------------------------

    def _pull_all(self) -> int:
        cursor = self.store.get_setting("sync.cursor", 0)
        pulled = 0
        for _ in range(1_000_000):
            page = self.client.pull(after=cursor, limit=self.pull_limit)
            self.store.apply_remote([c.to_dict() for c in page.changes], page.next_cursor)
            pulled += len(page.changes)
            if not page.has_more or page.next_cursor == cursor:
                break
            cursor = page.next_cursor
        return pulled

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

    def _wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when woken (sync_now/stop) before that."""
        if self.sleep is not None:
            self.sleep(seconds)
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


def _stuck(step: plan.ServerLost | plan.BatchRefused | plan.NothingAcknowledged,
           batch: plan.Batch) -> SyncError:
    """The failure that ends a push the plan cannot go on with (message for the log)."""
    if isinstance(step, plan.NothingAcknowledged):
        return TransientError("the server acknowledged none of the changes sent",
                              reachable=True)
    if isinstance(step, plan.ServerLost):
        return ServerLostEntries(
            f"the server is missing changes {step.expected}–{step.first - 1} from this phone, "
            "which it had confirmed (restored from an old backup?)",
            code="server_lost_entries", details=step.details)
    first = batch.entries[0]
    return RejectedError(
        f"the server refused changes from this phone ({step.message or step.code}); the "
        f"first waiting is {first.type} {first.id}", status=step.status, code=step.code,
        details=step.details, server_message=step.message)


__all__ = ["SyncEngine", "SyncStatus", "Backoff", "FAILURE_CODES", "error_code", "IDLE",
           "SYNCING", "OFFLINE", "ERROR", "AUTH_REQUIRED"]
