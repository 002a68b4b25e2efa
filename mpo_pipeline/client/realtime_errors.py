"""Typed errors of the Real-Time Asynchronous API client (reference §4).

They extend the client's :class:`~mpo_pipeline.client.errors.MpoError` hierarchy, so a caller that
already handles ``MpoError`` handles these too. Messages name the export id and what to do, never a
secret or token.
"""

from __future__ import annotations

import httpx

from .backoff import reset_seconds, retry_after_seconds
from .errors import MpoError, MpoRateLimitError
from .http_errors import Exchange


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


class RealtimeQuotaError(RealtimeError, MpoRateLimitError):
    """429 on export creation: the hourly creation quota is used up.

    ``retry_after`` is the number of seconds the server said to wait (``Retry-After`` or
    ``x-ratelimit-reset``), or None when it gave no hint. The client never loops on it: wait that
    long once, or skip this run.
    """

    retry_after: float | None = None


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
