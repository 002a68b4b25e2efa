"""The ASGI gate in front of the routes: version, auth, rate limit, faults, request log.

For every ``/{version}/marketing-solutions/...`` call, in this order: unknown version → 404,
retired version → 410 (also a served version once ``VersionRetirement`` retires it),
missing/invalid/expired token → 401, over the rate limit → 429, then the configured latency, a
random 500/503, and possibly a dropped connection (headers and part of the body sent, then the
connection aborted). Deprecated versions get ``Deprecation``/``Sunset`` headers and every API
response gets ``x-ratelimit-*`` headers.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import realtime, versions
from .auth import bearer_problem
from .errors import ApiError
from .faults import DroppedConnection
from .state import DROPPED, SimulatorState

API_ROOT = "marketing-solutions"
MPO_PREFIX = "/marketing-solutions/marketplace-performance-outcomes"
_UNTRACKED = ("/health",)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _version_error(version: str, kind: str, rest: str) -> ApiError | None:
    if kind == "retired":
        return ApiError(
            410,
            "deprecation",
            "version-decommissioned",
            "Gone",
            f"API version {version} has been decommissioned; use a newer version",
        )
    if kind == "unknown" or (kind == "preview") != realtime.is_realtime_path(rest):
        return ApiError(
            404, "unknown", "not-found", "Not Found", f"no such resource in API version {version!r}"
        )
    return None


class Gate:
    """ASGI middleware applying the API's cross-cutting behaviour."""

    def __init__(self, app: ASGIApp, state: SimulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            parts = scope["path"].split("/", 3)
            if len(parts) >= 3 and parts[2] == API_ROOT:
                await self._api(scope, receive, tracking_send, parts[1])
            else:
                await self.app(scope, receive, tracking_send)
        except DroppedConnection:
            status[0] = DROPPED
            raise
        finally:
            if scope["path"] not in _UNTRACKED:
                self.state.request_log.append(scope["method"], scope["path"], status[0])

    async def _api(self, scope: Scope, receive: Receive, send: Send, version: str) -> None:
        state, path = self.state, scope["path"]
        rest = path[len(version) + 1 + len(MPO_PREFIX) :]
        headers = versions.deprecation_headers(version)
        kind = versions.classify(version)
        if state.retirement.is_retired(version, rest.startswith("/stats/")):
            # retired while running: the very 410 (body, no extra headers) of a retired version
            kind, headers = "retired", {}
        problem = _version_error(version, kind, rest)
        problem = problem or bearer_problem(_header(scope, b"authorization"), state.tokens)
        if problem is None:
            rate = state.limiter.hit()
            headers.update(rate.headers())
            if not rate.allowed:
                problem = ApiError(
                    429,
                    "quota",
                    "too-many-requests",
                    "Too Many Requests",
                    f"rate limit of {rate.limit} calls per minute exceeded",
                )
        if problem is not None:
            await problem.response(path, headers)(scope, receive, send)
            return
        fault = state.faults.next()
        if state.config.latency_ms:
            await asyncio.sleep(state.config.latency_ms / 1000)
        if fault.error_status is not None:
            error = (
                ApiError(
                    500,
                    "unknown",
                    "internal-error",
                    "Internal Server Error",
                    "simulated server error",
                )
                if fault.error_status == 500
                else ApiError(
                    503,
                    "availability",
                    "service-unavailable",
                    "Service Unavailable",
                    "simulated unavailability",
                )
            )
            await error.response(path, headers)(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        held: list[Message] = []

        async def decorated_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            if fault.drop:
                held.append(message)  # sent truncated once the whole response is known
            else:
                await send(message)

        await self.app(scope, receive, decorated_send)
        if fault.drop and held:
            body = b"".join(m.get("body", b"") for m in held[1:])
            await send(held[0])
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            raise DroppedConnection(path)
