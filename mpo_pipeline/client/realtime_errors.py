"""Typed errors of the Real-Time Asynchronous API client (reference §4).

They extend the client's :class:`~mpo_pipeline.client.errors.MpoError` hierarchy, so a caller that
already handles ``MpoError`` handles these too. Messages name the export id and what to do, never a
secret or token.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from .backoff import reset_seconds, retry_after_seconds
from .errors import MpoError, MpoRateLimitError, MpoResponseError
from .http_errors import Exchange

# The real-time API's own access requirements (reference §4), named by every hint of this client.
REALTIME_SCOPE = "MarketingSolutions_Analytics_Read"
REALTIME_ACCESS_HINT = (
    f"the Real-Time API needs the scope {REALTIME_SCOPE} and an app onboarded to its beta, and "
    "lives only under the 'preview' version"
)


class RealtimeError(MpoError):
    """Base class of the real-time export errors.

    ``export_id`` is the id of the export the error is about (None when creation itself failed).
    """

    export_id: str | None = None


class RealtimeExportFailedError(RealtimeError):
    """The API reported the export job as ``Failure``: create a new export."""


class RealtimeExportExpiredError(RealtimeError):
    """The export job is ``Expired``: its file is gone, create a new export."""


class RealtimeTimeoutError(RealtimeError):
    """The export job was still not ``Done`` when the client's job timeout ran out."""


class RealtimeStatusError(RealtimeError, MpoResponseError):
    """The job reported a status this client cannot act on (one the API reference does not list,
    or ``Unknown`` too many times in a row): failing at once beats polling until the timeout."""


class RealtimeCreateUncertainError(RealtimeError):
    """The export creation may have been accepted but its answer was lost (a 5xx, a read timeout,
    a dropped connection). The API offers no way to list export jobs, so the job it may have
    created cannot be found; the creation is not retried (no duplicate job against the hourly
    quota)."""


class RealtimeBusyError(RealtimeError):
    """Another export of this lake is being created or awaited (one job at a time)."""


class RealtimeQuotaError(RealtimeError, MpoRateLimitError):
    """429 on export creation: the hourly creation quota is used up.

    ``retry_after`` is the number of seconds the server said to wait (``Retry-After`` or
    ``x-ratelimit-reset``), or None when it gave no hint. The client never loops on it: wait that
    long once, or skip this run.
    """

    retry_after: float | None = None


def is_per_minute_limit(headers: Mapping[str, str]) -> bool:
    """Whether a 429 is the per-application call budget rather than the hourly creation quota.

    Decided from the headers: the per-minute limit is the budget every API call spends, so its 429
    says ``x-ratelimit-remaining: 0`` (and ``x-ratelimit-reset`` within the minute). The creation
    quota refuses while that budget still has calls left (``x-ratelimit-remaining`` above 0) and
    says when a creation slot frees with ``Retry-After``. A 429 without the budget headers is taken
    for the quota: waiting longer than needed is cheap, a loop of creations is not.
    """
    remaining = headers.get("x-ratelimit-remaining")
    try:
        return remaining is not None and float(remaining) <= 0
    except ValueError:
        return False


def quota_error(response: httpx.Response, exchange: Exchange, now: float) -> RealtimeQuotaError:
    """The typed error of a quota 429, with the server's wait hint (``Retry-After``, else
    ``x-ratelimit-reset``; not capped: an hourly quota may free up only in tens of minutes)."""
    headers = response.headers
    wait = retry_after_seconds(headers["retry-after"], now) if "retry-after" in headers else None
    if wait is None and "x-ratelimit-reset" in headers:
        wait = reset_seconds(headers["x-ratelimit-reset"], now)
    when = f"the server says retry in {wait:.0f}s" if wait is not None else "no retry hint"
    error = exchange.error(
        RealtimeQuotaError,
        response,
        f"the hourly quota of real-time export creations is used up ({when}); skip this run "
        "or wait, and do not create exports in a loop",
    )
    assert isinstance(error, RealtimeQuotaError)
    error.retry_after = wait
    return error
