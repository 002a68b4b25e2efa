"""Which typed error an HTTP failure becomes, and its message.

Every message names the method, the path with its query, the status, the API's ``errors[]``
details and ``traceId``, the request context (endpoint, advertiser, window) and what to do. It is
passed through :func:`~mpo_pipeline.client.errors.redact` with every secret the client knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from .errors import (
    MpoApiVersionError,
    MpoAuthError,
    MpoError,
    MpoForbiddenError,
    MpoGatewayError,
    MpoNotFoundError,
    MpoRateLimitError,
    MpoResponseError,
    MpoServerError,
    MpoValidationError,
    describe_problems,
    looks_like_html,
    problem_mentions_version,
    redact,
)

CURRENT_VERSION_HINT = "a current stable version (e.g. 2026-07)"


@dataclass(frozen=True)
class Exchange:
    """The request an error is about."""

    method: str
    path: str
    context: str
    # Called when a message is built: tokens issued during the exchange must be known too.
    secrets: Callable[[], Iterable[str]]

    def message(self, what: str, hint: str = "") -> str:
        """``GET /path?query <what> [context] — hint``, scrubbed of secrets."""
        text = f"{self.method} {self.path} {what}"
        if self.context:
            text += f" [{self.context}]"
        if hint:
            text += f" — {hint}"
        return redact(text, self.secrets())

    def error(self, cls: type[MpoError], response: httpx.Response, hint: str) -> MpoError:
        """An error of type ``cls`` describing ``response``."""
        problems, trace_id = describe_problems(response.content)
        what = f"-> HTTP {response.status_code} {response.reason_phrase}: {problems}"
        if trace_id:
            what += f" (traceId={trace_id})"
        return cls(
            self.message(what, hint),
            status=response.status_code,
            method=self.method,
            path=self.path,
            trace_id=trace_id,
        )

    def failure(self, what: str, hint: str) -> MpoServerError:
        """A transport failure (no response at all) after every attempt."""
        return MpoServerError(self.message(what, hint), method=self.method, path=self.path)


def exhausted_error(response: httpx.Response, exchange: Exchange, attempts: int) -> MpoError:
    """The error for a retryable status (408/429/5xx) still seen after the last attempt."""
    if response.status_code == 429:
        return exchange.error(
            MpoRateLimitError,
            response,
            f"still rate limited after {attempts} attempt(s); lower MPO_MAX_CALLS_PER_MINUTE "
            "or spread the runs",
        )
    if looks_like_html(response.content, response.headers.get("content-type")):
        return exchange.error(
            MpoGatewayError,
            response,
            f"a gateway answered with an HTML page, not the API's JSON, after {attempts} "
            "attempt(s)",
        )
    return exchange.error(
        MpoServerError, response, f"server error persisted after {attempts} attempt(s)"
    )


def final_error(
    response: httpx.Response, exchange: Exchange, api_version: str, token_request: bool
) -> MpoError:
    """The error for a status that is not retried (4xx other than 401/408/429, 3xx)."""
    status = response.status_code
    if token_request:
        return exchange.error(
            MpoAuthError,
            response,
            "the token endpoint refused the client credentials; check MPO_CLIENT_ID and "
            "MPO_CLIENT_SECRET",
        )
    if status == 410:
        return exchange.error(
            MpoApiVersionError,
            response,
            f"API version {api_version!r} is retired (410 Gone); bump MPO_API_VERSION to "
            + CURRENT_VERSION_HINT,
        )
    if status == 404 and problem_mentions_version(response.content):
        return exchange.error(
            MpoApiVersionError,
            response,
            f"API version {api_version!r} is unknown to the API; set MPO_API_VERSION to "
            + CURRENT_VERSION_HINT,
        )
    if status == 404:
        return exchange.error(
            MpoNotFoundError,
            response,
            f"not found: check the ids, and that MPO_API_VERSION={api_version!r} is a version "
            "the API serves",
        )
    if status == 403:
        return exchange.error(
            MpoForbiddenError,
            response,
            "access denied: check the advertiser id and that the app is granted access to it "
            "(consent, MarketingSolutions_Campaign_Read)",
        )
    if status < 400:
        return exchange.error(MpoResponseError, response, "unexpected non-2xx status")
    return exchange.error(
        MpoValidationError, response, "the API rejected the request; fix its parameters"
    )
