"""The core both clients stand on: one connection pool, OAuth2, the call budget, retries, scrubbing.

:class:`~.client.MpoClient` (Standard Reporting and metadata, a dated version) and
:class:`~.realtime_client.RealtimeClient` (``preview``) differ only in the version segment of their
URLs and in what they do with the answers; everything below that is an :class:`ApiSession`:

- one ``httpx.Client`` (no redirects followed: a redirect would carry the bearer token elsewhere);
- the OAuth2 client-credentials token cache (:class:`~.auth.TokenProvider`), refreshed once on 401;
- the retrying :class:`~.transport.Transport`, paced by the per-application call budget shared by
  every session of the same base URL and client id in this process;
- redaction: every text built from a server answer is scrubbed of the secret and issued tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from mpo_pipeline.core.secret import Secret

from .auth import TokenProvider
from .errors import MpoResponseError, redact
from .http_errors import Exchange
from .metrics import ClientMetrics
from .ratelimit import shared_limiter
from .transport import Transport

API_ROOT = "marketing-solutions/marketplace-performance-outcomes"
T = TypeVar("T")


class ApiSession:
    """Authenticated, retried, budgeted calls to ``{base_url}/{api_version}/{API_ROOT}/...``."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        client_id: str,
        secret: Secret,
        *,
        max_calls_per_minute: int,
        timeout: float,
        max_attempts: int,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        monotonic: Callable[[], float],
        wall_clock: Callable[[], float],
        logger: logging.Logger,
    ) -> None:
        self.base_url = base_url
        self.api_version = api_version
        self.client_id = client_id
        self._secret = secret
        self.metrics = ClientMetrics()
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": "mpo-pipeline"},
            follow_redirects=False,
        )
        self._tokens = TokenProvider(self._fetch_token, monotonic)
        self._transport = Transport(
            self._http,
            api_version=api_version,
            max_attempts=max_attempts,
            limiter=shared_limiter(base_url, client_id, max_calls_per_minute, monotonic),
            metrics=self.metrics,
            sleep=sleep,
            wall_clock=wall_clock,
            logger=logger,
            secrets=self.known_secrets,
        )

    def known_secrets(self) -> tuple[str, ...]:
        """The client secret and every token issued so far (for redaction only)."""
        return (self._secret.reveal(), *self._tokens.issued_tokens())

    def _fetch_token(self) -> bytes:
        response = self._transport.send(
            "POST",
            f"{self.base_url}/oauth2/token",
            data={
                "client_id": self.client_id,
                "client_secret": self._secret.reveal(),
                "grant_type": "client_credentials",
            },
            token_request=True,
        )
        return response.content

    def url(self, path: str) -> str:
        """The full URL of an MPO path under this session's version."""
        return f"{self.base_url}/{self.api_version}/{API_ROOT}/{path}"

    def exchange(self, method: str, path: str, context: str) -> Exchange:
        """What an error about ``method path`` names (the path as sent, secrets scrubbed)."""
        raw = httpx.URL(self.url(path)).raw_path.decode("ascii", errors="replace")
        return Exchange(method, raw, context, self.known_secrets)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: object | None = None,
        accept: str = "application/json",
        passthrough: frozenset[int] = frozenset(),
        retry_unsent_only: bool = False,
        context: str = "",
    ) -> httpx.Response:
        """One call through the transport (retries, 401 refresh, typed errors); statuses in
        ``passthrough`` are returned to the caller at once, neither retried nor raised;
        ``retry_unsent_only`` retries only failures where the request cannot have been acted on
        (a call that must not run twice, like the real-time export creation)."""
        return self._transport.send(
            method,
            self.url(path),
            params=params,
            json=json,
            accept=accept,
            auth=self._tokens,
            passthrough=passthrough,
            retry_unsent_only=retry_unsent_only,
            context=context,
        )

    def send_consumed(
        self,
        method: str,
        path: str,
        consume: Callable[[httpx.Response], T],
        *,
        params: Mapping[str, Any] | None = None,
        context: str = "",
    ) -> T:
        """Like :meth:`send`, but a 2xx body goes to ``consume`` as it streams in (never held
        whole here) and its result is returned; a body cut short is retried like a failed call."""
        return self._transport.send(
            method,
            self.url(path),
            params=params,
            auth=self._tokens,
            context=context,
            consume=consume,
        )

    def scrubbed(self, parse: Callable[..., T], *args: Any) -> T:
        """Run a body parser; its errors quote the body, so scrub any secret a server echoed.

        The clean error is raised outside the ``except`` block so it carries no link
        (``__context__``) to the original message.
        """
        try:
            return parse(*args)
        except MpoResponseError as exc:
            text = redact(str(exc), self.known_secrets())
            if text == str(exc):
                raise
            clean = type(exc)(text)
        raise clean

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
