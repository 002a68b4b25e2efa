"""One HTTP exchange with retries, the shared rate budget, token refresh on 401 and typed errors.

The loop follows openai-python's: attempt, classify the outcome, either return, raise a typed
error at once, or sleep (server hint or backoff) and try again up to ``max_attempts`` times.
Retried: transport errors (connect/read/protocol errors, a body cut short), timeouts, 408, 429
and 5xx. Everything else is final on the first answer. A request that must not run twice (the
real-time export creation) asks for ``retry_unsent_only``: then only the failures where the request
cannot have reached the server (connection refused, connect or pool timeout), 408 and 429 are
retried; any other failure raises :class:`MpoOutcomeUnknownError` at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import httpx
import msgspec

from .backoff import backoff_seconds, exhausted_budget_wait, server_wait
from .errors import MpoAuthError, MpoServerError, redact
from .http_errors import Exchange, exhausted_error, final_error
from .metrics import ClientMetrics, DeprecationNotice
from .ratelimit import RateLimiter

T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({408, 429})
# The request never left this machine: nothing can have been processed, a retry is always safe.
UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class MpoOutcomeUnknownError(MpoServerError):
    """A ``retry_unsent_only`` request failed after it may have reached the server (a 5xx, a read
    timeout, a connection dropped): the server may have acted on it, so it was not retried."""


_MAYBE_APPLIED = "the server may have acted on it, so it is not retried"


class TokenSource(Protocol):
    """What the transport needs from the token cache."""

    def token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


class Transport:
    """Sends requests through one ``httpx.Client`` with the retry policy of the MPO client."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_version: str,
        max_attempts: int,
        limiter: RateLimiter,
        metrics: ClientMetrics,
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float],
        logger: logging.Logger,
        secrets: Callable[[], Iterable[str]],
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self._http = http
        self._api_version = api_version
        self._max_attempts = max_attempts
        self._limiter = limiter
        self._metrics = metrics
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._log = logger
        self._secrets = secrets

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        json: object | None = None,
        accept: str = "application/json",
        auth: TokenSource | None = None,
        token_request: bool = False,
        passthrough: frozenset[int] = frozenset(),
        retry_unsent_only: bool = False,
        context: str = "",
        consume: Callable[[httpx.Response], Any] | None = None,
    ) -> Any:
        """Send until a 2xx arrives (returned) or a final failure (raised as an ``MpoError``).

        ``data`` is sent as a form, ``json`` as a JSON body. ``auth`` adds the bearer token and
        enables refresh-once-on-401. ``token_request`` marks the call to the token endpoint: it
        bypasses the call budget and any final non-2xx is an :class:`MpoAuthError`. A status in
        ``passthrough`` is returned at once, for the caller to judge (the real-time export
        creation's 429 is an hourly quota: retrying it within seconds only burns attempts).
        ``retry_unsent_only`` (a request that must not be applied twice): see the module docstring.
        ``consume`` reads a 2xx body as it streams in and its result is returned instead of the
        response; a connection dropped while it reads is retried like any transport failure (it
        is called afresh on the next attempt), and the body is never held whole by the transport.
        """
        if consume is not None and passthrough:
            raise ValueError("a consumed body has no passthrough statuses")
        body: dict[str, Any] = {"data": data}
        if json is not None:
            body = {"content": msgspec.json.encode(json)}
        request_url = httpx.URL(url, params=params) if params else httpx.URL(url)
        path = request_url.raw_path.decode("ascii", errors="replace")
        exchange = Exchange(method, path, context, self._secrets)
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            # Token first: fetching it may itself wait, and the budget slot is taken just before
            # the request it pays for.
            token = auth.token() if auth is not None else None
            if not token_request:
                waited = self._limiter.acquire(self._sleep)
                if waited > 0:
                    self._metrics.increment("throttle_waits")
                    self._metrics.increment("throttle_seconds", waited)
                    self._log.debug("rate budget: waited %.2fs before %s %s", waited, method, path)
            headers = {"Accept": accept}
            if json is not None:
                headers["Content-Type"] = "application/json"
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            self._metrics.increment("token_requests" if token_request else "calls")
            failure: str | None = None
            unsent = False
            result: Any = None
            try:
                if consume is None:
                    response = self._http.request(method, request_url, headers=headers, **body)
                else:
                    response, result = self._streamed(method, request_url, headers, body, consume)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                # Covers timeouts, connect/read errors and a connection dropped mid-body
                # (RemoteProtocolError): the body is read inside request() or consume(), so it
                # lands here.
                failure = f"{type(exc).__name__}: {redact(str(exc), self._secrets()) or '-'}"
                unsent = isinstance(exc, UNSENT_ERRORS)
            if failure is not None:
                if retry_unsent_only and not unsent:
                    raise MpoOutcomeUnknownError(
                        exchange.message(f"failed after it was sent: {failure}", _MAYBE_APPLIED),
                        method=method,
                        path=path,
                    )
                if attempt < self._max_attempts:
                    self._retry(method, path, failure, backoff_seconds(attempt), attempt)
                    continue
                # Raised outside the except block on purpose: the httpx exception holds the
                # request, Authorization header included, and must not travel with our error.
                raise exchange.failure(
                    f"failed after {attempt} attempt(s): {failure}",
                    "the API or the network kept failing",
                )

            self._observe(response, path, token_request)
            status = response.status_code
            if 200 <= status < 300 or status in passthrough:
                return response if consume is None else result
            if status == 401 and auth is not None and token is not None:
                if not refreshed:
                    refreshed = True
                    attempt -= 1  # the refresh retry is not one of the backoff attempts
                    auth.invalidate(token)
                    self._log.info("%s %s -> HTTP 401; refreshing the access token", method, path)
                    continue
                raise exchange.error(
                    MpoAuthError,
                    response,
                    "the API rejected a freshly issued access token twice; check the app's "
                    "permissions (MarketingSolutions_Campaign_Read)",
                )
            if retry_unsent_only and status >= 500:
                raise exchange.error(MpoOutcomeUnknownError, response, _MAYBE_APPLIED)
            if status in RETRYABLE_STATUSES or status >= 500:
                if status == 429:
                    self._metrics.increment("rate_limited")
                if attempt < self._max_attempts:
                    wait = server_wait(
                        response.headers, self._wall_clock(), throttled=status == 429
                    )
                    if wait is None:
                        wait = backoff_seconds(attempt)
                    self._retry(method, path, f"HTTP {status}", wait, attempt)
                    continue
                raise exhausted_error(response, exchange, attempt)
            raise final_error(response, exchange, self._api_version, token_request)

    # -- helpers -------------------------------------------------------------------------------

    def _streamed(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        body: dict[str, Any],
        consume: Callable[[httpx.Response], T],
    ) -> tuple[httpx.Response, T | None]:
        """One attempt whose 2xx body goes to ``consume`` as it arrives (others are read whole)."""
        request = self._http.build_request(method, url, headers=headers, **body)
        response = self._http.send(request, stream=True)
        try:
            if 200 <= response.status_code < 300:
                return response, consume(response)
            response.read()
            return response, None
        finally:
            response.close()

    def _retry(self, method: str, path: str, reason: str, wait: float, attempt: int) -> None:
        self._metrics.increment("retries")
        self._log.warning(
            "%s %s -> %s; retry %d/%d in %.2fs",
            method,
            path,
            reason,
            attempt,
            self._max_attempts - 1,
            wait,
        )
        if wait > 0:
            self._sleep(wait)

    def _observe(self, response: httpx.Response, path: str, token_request: bool) -> None:
        """Record deprecation headers and honour an exhausted server-side budget."""
        headers = response.headers
        if "deprecation" in headers or "sunset" in headers:
            notice = DeprecationNotice(
                api_version=self._api_version,
                deprecation=headers.get("deprecation"),
                sunset=headers.get("sunset"),
                path=path.split("?", 1)[0],
            )
            if self._metrics.add_deprecation(notice):
                self._log.warning(
                    "MPO API version %s is deprecated (Deprecation: %s, Sunset: %s, seen on %s); "
                    "move MPO_API_VERSION to a newer version before the sunset date",
                    notice.api_version,
                    notice.deprecation,
                    notice.sunset,
                    notice.path,
                )
        if not token_request:
            pause = exhausted_budget_wait(headers, self._wall_clock())
            if pause is not None:
                self._log.info("server budget exhausted; pausing calls for %.2fs", pause)
                self._limiter.pause_for(pause)
