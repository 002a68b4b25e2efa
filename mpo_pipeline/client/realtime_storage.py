"""Following the one redirect a real-time download may answer with (a file handed off to storage).

The API session never follows redirects: a redirect would carry the bearer token to another host.
A download answered with 301/302/303/307/308 is fetched here instead, from its ``Location``,
**without** the token, through its own connection pool (same ``httpx`` transport, so tests can
serve both). Exactly one redirect is followed; a second one is an error. A storage URL is usually
pre-signed: messages name its scheme, host and path, never its query (the signature).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlsplit

import httpx

from .backoff import backoff_seconds
from .errors import MpoResponseError, MpoServerError, redact
from .http_errors import Exchange

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def without_query(url: str) -> str:
    """``scheme://host/path`` of ``url``: a pre-signed query is a credential."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class StorageFetcher:
    """GETs a redirect target with retries on transport errors and 5xx (a read is idempotent)."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None,
        timeout: float,
        max_attempts: int,
        sleep: Callable[[float], None],
        secrets: Callable[[], Iterable[str]],
    ) -> None:
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._secrets = secrets
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": "mpo-pipeline"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def follow(self, redirect: httpx.Response, api_url: str, exchange: Exchange) -> httpx.Response:
        """The 2xx answer of ``redirect``'s ``Location`` (relative to ``api_url``)."""
        location = redirect.headers.get("location")
        if not location:
            raise MpoResponseError(
                exchange.message(
                    f"-> HTTP {redirect.status_code} without a Location header",
                    "the download redirected nowhere",
                )
            )
        url = urljoin(api_url, location)
        shown = without_query(url)
        attempt = 0
        while True:
            attempt += 1
            failure = None
            try:
                response = self._http.get(url, headers={"Accept": "text/csv, application/json"})
            except (httpx.TransportError, httpx.DecodingError) as exc:
                failure = f"{type(exc).__name__}: {redact(str(exc), self._secrets()) or '-'}"
            if failure is None and response.status_code < 500:
                break
            reason = failure or f"HTTP {response.status_code}"
            if attempt >= self._max_attempts:
                raise MpoServerError(
                    exchange.message(
                        f"-> redirected to {shown}, which failed after {attempt} attempt(s): "
                        f"{reason}",
                        "the export's storage kept failing; the file may still be fetched "
                        "until it expires",
                    )
                )
            self._sleep(backoff_seconds(attempt))
        status = response.status_code
        if status in REDIRECT_STATUSES:
            raise MpoResponseError(
                exchange.message(
                    f"-> redirected to {shown}, which redirected again (HTTP {status})",
                    "only one redirect is followed for a real-time download",
                )
            )
        if not 200 <= status < 300:
            raise MpoResponseError(
                exchange.message(
                    f"-> redirected to {shown}, which answered HTTP {status}",
                    "the export's storage refused the download (a pre-signed link may have "
                    "expired: create a new export)",
                )
            )
        return response
