"""Per-openid message rate limits, checked before any database work.

With Redis configured the count is shared by every worker (a one-minute window per
openid that slides: the last minute's count, weighted by how much of it is still inside
the window, is added to this minute's, so a burst across the turn of a minute is not
counted afresh); without it each process counts on its own, which still keeps one flooding
user from occupying a worker.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol


class Limiter(Protocol):
    def hit(self, key: str) -> int:
        """Count one message; return how many this key sent in the current window."""


class LocalLimiter:
    def __init__(self, window: float = 60.0, max_keys: int = 100_000):
        self.window = window
        self.max_keys = max_keys
        self._counts: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            start, n = self._counts.pop(key, (now, 0))
            if now - start >= self.window:
                start, n = now, 0
            self._counts[key] = (start, n + 1)
            while len(self._counts) > self.max_keys:
                self._counts.popitem(last=False)
            return n + 1


class RedisLimiter:
    def __init__(self, client: Any, window: int = 60, prefix: str = "linli:rl:",
                 clock: Callable[[], float] = time.time):
        self.client = client
        self.window = window
        self.prefix = prefix
        self.clock = clock

    def hit(self, key: str) -> int:
        now = self.clock()
        bucket = int(now // self.window)
        name = f"{self.prefix}{key}:{bucket}"
        pipe = self.client.pipeline()
        pipe.incr(name)
        pipe.expire(name, self.window * 2)
        pipe.get(f"{self.prefix}{key}:{bucket - 1}")
        count, _, before = pipe.execute()
        still_inside = 1.0 - (now % self.window) / self.window
        return int(count) + round(int(before or 0) * still_inside)
