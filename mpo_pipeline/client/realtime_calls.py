"""The Real-Time API's calls over an :class:`~.session.ApiSession`: its own access hints, and the
retry policy of the one call that must not run twice.

The creation has an hourly quota and "do not create jobs in parallel": it is retried only when it
cannot have reached the API (connection refused, connect timeout); after a 5xx, a read timeout or
a dropped connection it may have created a job that the API offers no way to list, so
:class:`~.realtime_errors.RealtimeCreateUncertainError` says what to check instead. A 429 on
creation is told apart by its headers (:func:`~.realtime_errors.is_per_minute_limit`): the
per-minute call budget is waited out and the creation sent again (a refused call created
nothing); the hourly quota is waited out once when short, else raised, never looped on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from .backoff import backoff_seconds, server_wait
from .errors import MpoApiVersionError, MpoAuthError, MpoForbiddenError
from .http_errors import exhausted_error
from .realtime_errors import (
    REALTIME_ACCESS_HINT,
    RealtimeCreateUncertainError,
    is_per_minute_limit,
    quota_error,
)
from .session import ApiSession
from .transport import MpoOutcomeUnknownError

CREATE_PATH = "stats/realtime-reports/export"
# A 429 on creation is returned by the transport, never retried there: the policy below tells the
# per-minute budget from the hourly creation quota.
QUOTA_STATUSES = frozenset({429})
# Answered with this client's own hints (the real-time scope and version), not the Standard API's.
ACCESS_STATUSES = frozenset({403, 410})


class RealtimeCalls:
    """Sends the real-time calls of one client (thread-safe: it keeps no state of its own)."""

    def __init__(
        self,
        session: ApiSession,
        *,
        max_attempts: int,
        quota_wait_max: float,
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float],
        logger: logging.Logger,
    ) -> None:
        self._session = session
        self._max_attempts = max_attempts
        self._quota_wait_max = quota_wait_max
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._log = logger

    def send(
        self,
        method: str,
        path: str,
        *,
        passthrough: frozenset[int] = frozenset(),
        context: str = "",
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call; 401/403/410 errors name the real-time scope and version."""
        denied: MpoAuthError | None = None
        try:
            response = self._session.send(
                method, path, passthrough=passthrough | ACCESS_STATUSES, context=context, **kwargs
            )
        except MpoAuthError as exc:
            denied = exc
        if denied is not None:  # raised outside the except block: no link to the first error
            raise MpoAuthError(
                f"{denied.message}; {REALTIME_ACCESS_HINT}",
                status=denied.status,
                method=denied.method,
                path=denied.path,
                trace_id=denied.trace_id,
            )
        status = response.status_code
        if status in ACCESS_STATUSES and status not in passthrough:
            exchange = self._session.exchange(method, path, context)
            if status == 403:
                raise exchange.error(
                    MpoForbiddenError,
                    response,
                    f"access denied: check the advertiser ids; {REALTIME_ACCESS_HINT}",
                )
            raise exchange.error(
                MpoApiVersionError,
                response,
                f"API version {self._session.api_version!r} is retired (410 Gone); "
                f"{REALTIME_ACCESS_HINT}: check which version the Real-Time API lives under now",
            )
        return response

    def create(self, body: object, context: str) -> httpx.Response:
        """POST the create body once (see the module docstring for what is retried)."""
        quota_waited = False
        throttled = 0
        while True:
            lost: MpoOutcomeUnknownError | None = None
            try:
                response = self.send(
                    "POST",
                    CREATE_PATH,
                    json=body,
                    passthrough=QUOTA_STATUSES,
                    retry_unsent_only=True,
                    context=context,
                )
            except MpoOutcomeUnknownError as exc:
                lost = exc
            if lost is not None:
                raise self._uncertain(lost)
            if response.status_code not in QUOTA_STATUSES:
                return response
            self._session.metrics.increment("rate_limited")
            exchange = self._session.exchange("POST", CREATE_PATH, context)
            now = self._wall_clock()
            if is_per_minute_limit(response.headers):
                # The per-application budget refused the call: nothing was created.
                throttled += 1
                if throttled >= self._max_attempts:
                    raise exhausted_error(response, exchange, throttled)
                wait = server_wait(response.headers, now, throttled=True)
                wait = backoff_seconds(throttled) if wait is None else wait
                self._log.warning(
                    "real-time export creation hit the per-minute call limit; retrying in %.1fs",
                    wait,
                )
                self._sleep(wait)
                continue
            error = quota_error(response, exchange, now)
            wait = error.retry_after
            if not quota_waited and wait is not None and wait <= self._quota_wait_max:
                quota_waited = True
                self._log.warning("real-time export quota used up; waiting %.0fs once", wait)
                self._sleep(wait)
                continue
            self._log.warning("%s", error.message)
            raise error

    def _uncertain(self, lost: MpoOutcomeUnknownError) -> RealtimeCreateUncertainError:
        """The error of a creation whose answer was lost after it reached the API."""
        error = RealtimeCreateUncertainError(
            f"{lost.message}. The API may have created an export job that this run cannot see "
            "(the Real-Time API offers no way to list export jobs), so the creation is not sent "
            "again: a second job would spend the hourly creation quota twice. Check the quota "
            "before forcing a run by hand; the next scheduled run creates a new export",
            status=lost.status,
            method=lost.method,
            path=lost.path,
            trace_id=lost.trace_id,
        )
        self._log.error("%s", error.message)
        return error
