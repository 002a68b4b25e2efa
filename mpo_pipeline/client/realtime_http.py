"""Two small bridges that let the shared :class:`~.transport.Transport` carry real-time calls.

- ``Transport.send`` only knows form bodies; the create call needs a JSON body. A ``JsonBody``
  passed as ``data`` is sent as ``application/json`` by :class:`RealtimeHttpClient`.
- A 429 on export creation means the *hourly* creation quota is spent: retrying it within the
  transport's backoff budget (seconds to a minute) would only burn attempts. The HTTP client
  raises :class:`QuotaSignal` for it instead, which the transport does not catch (it is no
  ``httpx`` error), so the realtime client sees the response at once and decides: wait once, or
  skip. Every other status still gets the transport's retries, token refresh and typed errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from .backoff import reset_seconds, retry_after_seconds
from .http_errors import Exchange
from .realtime_errors import RealtimeQuotaError


@dataclass(frozen=True)
class JsonBody:
    """A JSON request body; ``quota_limited`` marks the export-creation call."""

    content: bytes
    quota_limited: bool = False

    @classmethod
    def of(cls, obj: object, *, quota_limited: bool = False) -> JsonBody:
        return cls(msgspec.json.encode(obj), quota_limited)


class QuotaSignal(Exception):
    """A 429 answered to a quota-limited call; carries the response (never the request)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code} on a quota-limited call")
        self.response = response


class RealtimeHttpClient(httpx.Client):
    """``httpx.Client`` that sends :class:`JsonBody` data as JSON and signals quota 429s."""

    def request(  # type: ignore[override]
        self,
        method: str,
        url: httpx.URL | str,
        *,
        data: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if not isinstance(data, JsonBody):
            return super().request(method, url, data=data, headers=headers, **kwargs)
        headers = {**(headers or {}), "Content-Type": "application/json"}
        response = super().request(method, url, content=data.content, headers=headers, **kwargs)
        if data.quota_limited and response.status_code == 429:
            # The body is already read (request() reads it), so the signal is self-contained.
            raise QuotaSignal(response)
        return response


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
