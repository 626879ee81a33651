"""A small connection pool, one per server process and backend."""
from __future__ import annotations

import queue
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .base import StorageUnavailable


class Pool:
    """At most ``size`` connections, reused LIFO. ``reset(conn)`` returns whether a
    returned connection is fit for reuse (else it is closed). psycopg_pool is not a
    dependency of the project, and this is all the server needs."""

    def __init__(self, connect: Callable[[], Any], size: int, *,
                 reset: Callable[[Any], bool], timeout: float = 30.0, what: str = "database"):
        self._connect = connect
        self._reset = reset
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._size = size
        self._timeout = timeout
        self._what = what
        self._all: set = set()
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if self._closed:
            raise StorageUnavailable(f"the {self._what} connection pool is closed")
        if not self._slots.acquire(timeout=self._timeout):
            raise StorageUnavailable(
                f"all {self._size} {self._what} connections stayed busy for "
                f"{self._timeout:.0f} s; retry later")
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
                with self._lock:
                    self._all.add(conn)
            healthy = False
            try:
                yield conn
            finally:
                try:
                    healthy = not self._closed and self._reset(conn)
                except Exception:
                    healthy = False
                if healthy:
                    self._idle.put(conn)
                else:
                    self._discard(conn)
        finally:
            self._slots.release()

    def _discard(self, conn) -> None:
        with self._lock:
            self._all.discard(conn)
        try:
            conn.close()
        except Exception:
            pass

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conns = list(self._all)
            self._all.clear()
        for c in conns:
            try:
                c.close()
            except Exception:
                pass
