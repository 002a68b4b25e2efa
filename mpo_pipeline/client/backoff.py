"""How long to wait before retrying: server hints first, else capped exponential backoff."""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Mapping

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 30.0
MAX_SERVER_WAIT = 60.0

# Module-level so tests can make the jitter deterministic.
_random = random.random


def backoff_seconds(attempt: int) -> float:
    """Wait after failed attempt number ``attempt`` (1-based): 0.5, 1, 2, 4... capped at 30 s.

    Up to 25% jitter is taken off, so clients that failed together do not retry together.
    """
    base = min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** max(attempt - 1, 0))
    return base * (1.0 - 0.25 * _random())


def retry_after_seconds(value: str, now: float) -> float | None:
    """Parse ``Retry-After`` (delay seconds, or an HTTP date relative to wall time ``now``)."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(seconds, 0.0)


def reset_seconds(value: str, now: float) -> float | None:
    """Seconds until ``x-ratelimit-reset`` (Unix epoch seconds); None when absent or past."""
    try:
        seconds = float(value.strip()) - now
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def server_wait(headers: Mapping[str, str], now: float, *, throttled: bool) -> float | None:
    """The wait the server asked for, capped at 60 s; None when it gave no (usable) hint.

    ``Retry-After`` counts on any retryable answer. ``x-ratelimit-reset`` only when the answer
    is a 429 (``throttled``): the API sends it on every response, and on a 500 it says nothing
    about when the server will have recovered.
    """
    wait: float | None = None
    if "retry-after" in headers:
        wait = retry_after_seconds(headers["retry-after"], now)
    if wait is None and throttled and "x-ratelimit-reset" in headers:
        wait = reset_seconds(headers["x-ratelimit-reset"], now)
    return None if wait is None else min(wait, MAX_SERVER_WAIT)


def exhausted_budget_wait(headers: Mapping[str, str], now: float) -> float | None:
    """When ``x-ratelimit-remaining`` is 0: seconds until ``x-ratelimit-reset`` (capped)."""
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    if remaining is None or reset is None:
        return None
    try:
        if float(remaining) > 0:
            return None
    except ValueError:
        return None
    wait = reset_seconds(reset, now)
    return None if wait is None else min(wait, MAX_SERVER_WAIT)
