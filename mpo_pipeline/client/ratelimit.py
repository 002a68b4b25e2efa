"""Client-side call budget shared by every client of one application in this process.

The MPO API limits calls per *application* (client id), not per connection, so every
:class:`~mpo_pipeline.client.MpoClient` talking to the same base URL with the same client id must
draw from one budget. :func:`shared_limiter` keeps one :class:`RateLimiter` per such key.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter:
    """A sliding-window budget of ``max_calls`` per ``period`` seconds, plus server-imposed pauses.

    Thread-safe: each caller *reserves* its slot under the lock and then sleeps outside it, so
    concurrent callers queue up in order instead of all waking at once.
    """

    def __init__(self, max_calls: int, monotonic: Clock, period: float = 60.0) -> None:
        if max_calls < 1:
            raise ValueError(f"max_calls_per_minute must be at least 1, got {max_calls}")
        self.max_calls = max_calls
        self.period = period
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # Start times of the last `max_calls` reserved calls, oldest first (may lie in the future
        # when callers are queued).
        self._slots: deque[float] = deque()
        self._paused_until = float("-inf")

    def lower_budget(self, max_calls: int) -> None:
        """Shrink the budget (a second client asking for fewer calls wins; never grows)."""
        if max_calls < 1:
            raise ValueError(f"max_calls_per_minute must be at least 1, got {max_calls}")
        with self._lock:
            self.max_calls = min(self.max_calls, max_calls)

    def acquire(self, sleep: Sleep) -> float:
        """Wait (with ``sleep``) until a call is allowed, and account for it; return the wait."""
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._paused_until)
            while len(self._slots) > self.max_calls:
                self._slots.popleft()
            if len(self._slots) == self.max_calls:
                slot = max(slot, self._slots[0] + self.period)
                self._slots.popleft()
            self._slots.append(slot)
            wait = slot - now
        if wait > 0:
            sleep(wait)
        return max(wait, 0.0)

    def pause_for(self, seconds: float) -> None:
        """Allow no call for ``seconds`` from now (the server said its budget is spent)."""
        if seconds <= 0:
            return
        with self._lock:
            self._paused_until = max(self._paused_until, self._monotonic() + seconds)


_registry: dict[tuple[str, str, Clock], RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(base_url: str, client_id: str, max_calls: int, monotonic: Clock) -> RateLimiter:
    """The process-wide limiter for ``(base_url, client_id)``, created on first use.

    The clock is part of the key because reservations made on one clock mean nothing on
    another: production clients all share ``time.monotonic``; tests with a fake clock get their
    own limiter.
    """
    key = (base_url.rstrip("/"), client_id, monotonic)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter(max_calls, monotonic)
        else:
            limiter.lower_budget(max_calls)
        return limiter


def reset_shared_limiters() -> None:
    """Forget every shared limiter (for tests)."""
    with _registry_lock:
        _registry.clear()
