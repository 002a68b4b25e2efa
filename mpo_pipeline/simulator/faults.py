"""Faults on demand: rate limiting (429), server errors (500/503), latency, dropped connections.

Fault dice are counter-based on ``fault_seed`` and the sequence number of the API call, so a serial
client that failed replays exactly the same faults.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .hashing import hash_key, uniforms

NOMINAL_LIMIT = 250  # the real per-application limit, reported when no limit is enforced
WINDOW_SECONDS = 60.0
_T_FAULT = 401


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds when a call is allowed again

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    """A sliding one-minute window of calls; ``limit=None`` reports but never refuses."""

    def __init__(self, limit: int | None, now: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._now = now
        self._lock = threading.Lock()
        self._hits: deque[float] = deque()

    def hit(self) -> RateDecision:
        """Count one call (unless refused) and say whether it may proceed."""
        limit = self.limit if self.limit is not None else NOMINAL_LIMIT
        now = self._now()
        with self._lock:
            while self._hits and self._hits[0] <= now - WINDOW_SECONDS:
                self._hits.popleft()
            allowed = self.limit is None or len(self._hits) < limit
            if allowed:
                self._hits.append(now)
            remaining = max(0, limit - len(self._hits))
            # "When a call is allowed again" (reference §6): now while calls remain, else when
            # the oldest call in the window leaves it.
            if remaining > 0:
                reset = math.ceil(now)
            else:
                reset = math.ceil((self._hits[0] if self._hits else now) + WINDOW_SECONDS)
            return RateDecision(allowed, limit, remaining, reset)


@dataclass(frozen=True)
class Fault:
    error_status: int | None  # 500 or 503, or None
    drop: bool  # send the headers and part of the body, then drop the connection


class FaultPlan:
    """Replayable fault dice for the n-th API call."""

    def __init__(self, seed: int, error_rate: float, drop_rate: float) -> None:
        self.seed, self.error_rate, self.drop_rate = seed, error_rate, drop_rate
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> Fault:
        with self._lock:
            n = next(self._counter)
        u_err, u_kind = uniforms(hash_key(self.seed, _T_FAULT, n))
        u_drop, _ = uniforms(hash_key(self.seed, _T_FAULT + 1, n))
        error = None
        if float(u_err) < self.error_rate:
            error = 500 if float(u_kind) < 0.5 else 503
        return Fault(error, float(u_drop) < self.drop_rate)


class DroppedConnection(Exception):
    """Raised after a partial body so that the server aborts the connection."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def silence_dropped_connection_logs() -> None:
    """Keep uvicorn from logging a traceback for every deliberate drop."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())
