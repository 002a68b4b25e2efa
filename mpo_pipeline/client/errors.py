"""Typed errors raised by the MPO client, and the helpers that build their messages.

Every message names the HTTP method, the path (with its query), the status and the API's own
``errors[]`` details (``code``/``title``/``detail``/``traceId``) so an operator can act on it
without a debugger. Messages never contain the client secret, an access token or an
``Authorization`` header: nothing here ever sees request headers or the token form, and every text
that comes from the server is passed through :func:`redact` with the secrets the caller knows of.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

_SNIPPET_CHARS = 300


class MpoError(Exception):
    """Base class of every error raised by :mod:`mpo_pipeline.client`."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.trace_id = trace_id


class MpoAuthError(MpoError):
    """The token endpoint refused the credentials, or the API rejected a fresh token (401)."""


class MpoValidationError(MpoError):
    """The API rejected the request itself (400 and other non-retryable 4xx): fix the request."""


class MpoForbiddenError(MpoError):
    """403: the app has no access to this resource (consent revoked, wrong advertiser...)."""


class MpoNotFoundError(MpoError):
    """404: the resource does not exist for this caller."""


class MpoApiVersionError(MpoError):
    """410, or a 404 that names the version: the configured ``MPO_API_VERSION`` is not served."""


class MpoRateLimitError(MpoError):
    """429 responses kept coming after every allowed attempt."""


class MpoServerError(MpoError):
    """5xx, 408, timeouts or transport failures persisted after every allowed attempt."""


class MpoResponseError(MpoError):
    """A successful response whose body is not what the API contract promises."""


class MpoGatewayError(MpoServerError, MpoResponseError):
    """A 5xx answered by a proxy page (HTML, not the API's JSON): both a server and a body error."""


class _Problem(msgspec.Struct):
    traceId: str | None = None
    traceIdentifier: str | None = None
    type: str | None = None
    code: str | None = None
    title: str | None = None
    detail: str | None = None


class _ProblemEnvelope(msgspec.Struct):
    errors: list[_Problem] | None = None


class _OAuthError(msgspec.Struct):
    error: str | None = None
    error_description: str | None = None


# A secret cut by a preview (``...``, a quote) leaves its first or last characters in the text;
# pieces this long are redacted too. Shorter ones carry too little of a secret to matter and would
# mask ordinary words.
_MIN_SECRET_PIECE = 8


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret in ``text``, and any start or end of it cut by a preview, by ``***``."""
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        text = text.replace(secret, "***")
        for size in range(len(secret) - 1, _MIN_SECRET_PIECE - 1, -1):
            for piece in (secret[:size], secret[-size:]):
                if piece in text:
                    text = text.replace(piece, "***")
    return text


def body_snippet(body: bytes) -> str:
    """A short one-line preview of a body, with an HTML page reduced to its ``<title>``."""
    text = body[: _SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, flags=re.IGNORECASE | re.DOTALL)
    if title:
        text = "HTML page: " + title.group(1)
    text = " ".join(text.split())
    if len(text) > _SNIPPET_CHARS:
        text = text[:_SNIPPET_CHARS] + "..."
    return text or "<empty body>"


def looks_like_html(body: bytes, content_type: str | None = None) -> bool:
    """True when a body is an HTML page (a proxy's error page rather than the API's JSON)."""
    if content_type and "html" in content_type.lower():
        return True
    head = body[:64].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def describe_problems(body: bytes) -> tuple[str, str | None]:
    """Summarise the API's ``{"errors": [...]}`` envelope (or an OAuth2 error, or the raw body).

    Returns the summary and the first ``traceId`` found.
    """
    try:
        envelope = msgspec.json.decode(body, type=_ProblemEnvelope)
    except (msgspec.DecodeError, msgspec.ValidationError):
        envelope = None
    if envelope is not None and envelope.errors:
        parts: list[str] = []
        trace_id: str | None = None
        for problem in envelope.errors:
            trace_id = trace_id or problem.traceId or problem.traceIdentifier
            fields = [
                f"{name}={value!r}"
                for name, value in (
                    ("code", problem.code),
                    ("title", problem.title),
                    ("detail", problem.detail),
                )
                if value
            ]
            parts.append(" ".join(fields) or "(empty problem)")
        return "; ".join(parts), trace_id
    try:
        oauth = msgspec.json.decode(body, type=_OAuthError)
    except (msgspec.DecodeError, msgspec.ValidationError):
        oauth = None
    if oauth is not None and oauth.error:
        text = f"error={oauth.error!r}"
        if oauth.error_description:
            text += f" error_description={oauth.error_description!r}"
        return text, None
    return f"body: {body_snippet(body)}", None


def problem_mentions_version(body: bytes) -> bool:
    """True when an error body talks about the API version (used to read a 404 correctly)."""
    return b"version" in body.lower()
