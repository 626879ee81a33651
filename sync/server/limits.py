"""Rate limits of one server process: a sliding window of events per key (a client
address). Several server processes each keep their own window, so the limit a
deployment enforces is the setting times the processes (docs/SYNC.md, Limits)."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable


class RateLimit:
    """At most ``events`` per ``seconds`` for each key."""

    def __init__(self, events: int, seconds: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.events = events
        self.seconds = seconds
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:  # forget the quietest keys first
                for k in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.seconds]:
                    del self._hits[k]
            hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait when ``key`` is at its limit now, else None."""
        with self._lock:
            now = self.clock()
            hits = self._window(key, now)
            if len(hits) < self.events:
                return None
            return max(1, math.ceil(hits[0] + self.seconds - now))

    def hit(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._window(key, now).append(now)
