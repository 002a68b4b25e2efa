"""Per-key token buckets of the seller portal API (``429`` + ``Retry-After`` when one is empty)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

EPSILON = 1e-9  # a nanotoken: float sums of clock steps must not refuse a due request


@dataclass(frozen=True)
class Limit:
    """A bucket's shape: ``rate`` tokens a second refill it, up to ``burst`` tokens."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"a rate limit needs rate > 0 and burst >= 1, not {self}")


class RateLimiter:
    """One token bucket per key id; a request takes one token.

    ``clock`` returns seconds from any fixed origin (``time.monotonic`` by default; tests inject
    their own). Buckets are only made for authenticated keys, so their number is bounded by the
    number of issued keys.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, as of when)

    def take(self, key_id: str, limit: Limit) -> float:
        """Take a token for ``key_id``: 0.0 when granted, else the seconds until one is."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key_id, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max(0.0, now - then) * limit.rate)
            if tokens >= 1.0 - EPSILON:
                self._buckets[key_id] = (max(0.0, tokens - 1.0), now)
                return 0.0
            # A refusal leaves the bucket as it was: no token taken, and no rounding drift
            # from re-storing a refill computed at every refused request.
            return (1.0 - tokens) / limit.rate


def retry_after(wait: float) -> str:
    """The ``Retry-After`` value for a wait: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait)))
