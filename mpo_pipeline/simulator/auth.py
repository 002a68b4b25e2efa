"""OAuth2 client-credentials: ``POST /oauth2/token`` and bearer-token checks.

Tokens are opaque random strings valid ``token_ttl`` seconds; several can be valid at once. The
response mirrors the real one: ``access_token``, ``token_type``, ``expires_in`` and
``refresh_token: null``. Bad client credentials give 400 ``invalid_client``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError, oauth_error
from .render import encode


class TokenStore:
    """Issued tokens and their expiry (monotonic clock)."""

    def __init__(self, ttl: int, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        token = "mpo-sim." + secrets.token_urlsafe(32)
        now = self._now()
        with self._lock:
            # Forget tokens long expired, but remember recent ones to say "expired".
            self._expiry = {t: e for t, e in self._expiry.items() if e > now - 3600}
            self._expiry[token] = now + self.ttl
        return token

    def check(self, token: str) -> str | None:
        """None when valid, else ``invalid-token`` or ``token-expired``."""
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "invalid-token"
        return None if self._now() < expiry else "token-expired"


def bearer_problem(authorization: str | None, store: TokenStore) -> ApiError | None:
    """The 401 for a request's ``Authorization`` header, or None when it is fine."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        code, detail = "missing-token", "an 'Authorization: Bearer <token>' header is required"
    else:
        code = store.check(token.strip()) or ""
        detail = "the access token has expired" if code == "token-expired" else "invalid token"
        if not code:
            return None
    return ApiError(
        401,
        "authentication",
        code,
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'},
    )


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return user, password


async def token_endpoint(request: Request) -> Response:
    """``POST /oauth2/token`` (form-encoded ``grant_type=client_credentials``)."""
    state = request.app.state.sim
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    grant = form.get("grant_type")
    if not grant:
        return oauth_error("invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported")
    creds = _basic_credentials(request.headers.get("authorization"))
    client_id, secret = creds or (form.get("client_id", ""), form.get("client_secret", ""))
    cfg = state.config
    good_id = secrets.compare_digest(client_id.encode(), cfg.client_id.encode())
    good_secret = secrets.compare_digest(secret.encode(), cfg.client_secret.encode())
    if not (good_id and good_secret):
        return oauth_error("invalid_client", "unknown client_id or wrong client_secret")
    body = {
        "access_token": state.tokens.issue(),
        "token_type": "Bearer",
        "expires_in": state.tokens.ttl,
        "refresh_token": None,
    }
    return Response(
        encode(body), media_type="application/json", headers={"Cache-Control": "no-store"}
    )
