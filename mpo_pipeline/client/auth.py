"""OAuth2 client-credentials token cache for the MPO API.

One token is shared by every thread of a client. It is refreshed ahead of its expiry (60 s, or
10% of a short lifetime, whichever is smaller) and on demand after a 401.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import msgspec

from .errors import MpoAuthError

REFRESH_MARGIN = 60.0
SHORT_TTL_FRACTION = 0.1


class _TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: float
    token_type: str | None = None
    # Sent as null for client credentials; never required.
    refresh_token: str | None = None


def refresh_margin(expires_in: float) -> float:
    """Seconds before expiry at which a token is replaced."""
    return min(REFRESH_MARGIN, SHORT_TTL_FRACTION * expires_in)


class TokenProvider:
    """Fetches and caches bearer tokens; thread-safe.

    ``fetch`` posts the token form and returns the raw JSON body; it is given by the client so the
    request goes through the same transport (retries on 5xx and transport errors).
    """

    def __init__(self, fetch: Callable[[], bytes], monotonic: Callable[[], float]) -> None:
        self._fetch = fetch
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = float("-inf")
        # The last few tokens issued, so they can be scrubbed from any text we produce.
        self._issued: deque[str] = deque(maxlen=8)

    def token(self) -> str:
        """A valid access token, fetching a new one when none is cached or it is due."""
        with self._lock:
            token = self._token
            if token is None or self._monotonic() >= self._refresh_at:
                token = self._refresh_locked()
            return token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API answered 401 to it) unless another thread already did."""
        with self._lock:
            if self._token == token:
                self._token = None

    def issued_tokens(self) -> tuple[str, ...]:
        """Tokens issued so far (newest last), for redaction only."""
        return tuple(self._issued)

    def _refresh_locked(self) -> str:
        requested_at = self._monotonic()
        body = self._fetch()
        try:
            parsed = msgspec.json.decode(body, type=_TokenResponse)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            # The message names the problem (missing field, wrong type) but never echoes values.
            raise MpoAuthError(
                "POST /oauth2/token returned an unusable token response "
                f"({_describe(exc)}); expected JSON with access_token and expires_in"
            ) from None
        if not parsed.access_token or parsed.expires_in <= 0:
            raise MpoAuthError(
                "POST /oauth2/token returned an empty access_token or a non-positive expires_in"
            )
        self._issued.append(parsed.access_token)
        self._token = parsed.access_token
        self._refresh_at = requested_at + parsed.expires_in - refresh_margin(parsed.expires_in)
        return parsed.access_token


def _describe(exc: Exception) -> str:
    text = str(exc)
    # msgspec messages look like "Expected `str`, got `int` - at `$.access_token`": safe, but
    # keep only the first line in case a future version quotes input.
    return text.splitlines()[0] if text else type(exc).__name__
