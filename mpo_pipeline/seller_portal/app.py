"""The seller portal API: a read-only JSON API over the published warehouse (Starlette).

Routes: ``GET /v1/sellers/{seller}/performance`` and ``/campaigns`` (``?window=7&as_of=...``),
``GET /health`` and ``GET /openapi.json``. Everything under ``/v1/`` needs a key.

A request under ``/v1/`` is answered in this order, so that what a seller key learns never
depends on other sellers' data:

1. the key (``Authorization: Bearer <token>`` or ``X-API-Key: <token>``): none, malformed, wrong
   or revoked → one identical ``401``;
2. the key's token bucket → ``429`` + ``Retry-After``;
3. the seller id in the path: not canonical digits, or not a seller this key may read → one
   identical ``404``, decided without looking at any data (a seller key asking for another
   seller, existing or not, gets exactly what it gets for a seller that does not exist);
4. the query (``window``, ``as_of``) → ``400`` when malformed;
5. the snapshot: none yet → ``503``; a seller it does not know → the same ``404``; a window or
   date it does not hold → ``400``;
6. ``If-None-Match`` / ``If-Modified-Since`` → ``304``; else ``200`` with the rows, an ``ETag``
   and ``Last-Modified`` taken from the snapshot's publish time.

The endpoints run on the event loop: a request for the latest day whose key is in memory needs
no thread, no SQLite and no query (the key cache, the snapshot's slices). Only a key not in
memory yet and a past day go to a worker thread.

Money is an exact decimal string (DECIMAL columns), never a float.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import anyio
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mpo_pipeline.seller_portal.keys import MISSING, ApiKey, KeyVerifier
from mpo_pipeline.seller_portal.openapi import openapi_document
from mpo_pipeline.seller_portal.params import BadRequest, parse_report_query, parse_seller_id
from mpo_pipeline.seller_portal.queries import CAMPAIGNS, PERFORMANCE, REPORTS, Report
from mpo_pipeline.seller_portal.ratelimit import Limit, RateLimiter, retry_after
from mpo_pipeline.seller_portal.snapshot import (
    EPOCH,
    Snapshot,
    SnapshotStore,
    SnapshotUnavailable,
)

access_log = logging.getLogger("mpo_pipeline.seller_portal.access")
JSON = "application/json"
_encode = msgspec.json.Encoder().encode  # Decimal -> string, date -> YYYY-MM-DD
# Answers to a key: per key, revalidated against the ETag; errors are never stored.
OK_HEADERS = {"cache-control": "private, no-cache", "vary": "Authorization, X-API-Key"}
ERROR_HEADERS = {"cache-control": "no-store", "vary": "Authorization, X-API-Key"}


def _error(status: int, error: str, message: str, **headers: str) -> Response:
    body = _encode({"error": error, "message": message})
    return Response(body, status, headers={**ERROR_HEADERS, **headers}, media_type=JSON)


def unauthorized() -> Response:
    return _error(
        401,
        "unauthorized",
        "a valid API key is required: Authorization: Bearer <token>, or X-API-Key: <token>",
        **{"www-authenticate": 'Bearer realm="mpo-seller-portal"'},
    )


def not_found() -> Response:
    """The one answer for an unknown seller, another seller's id, and any unknown path."""
    return _error(404, "not_found", "no such seller or resource")


@dataclass
class Portal:
    """What the app serves from: the snapshot, the keys, the rate limits."""

    store: SnapshotStore
    verifier: KeyVerifier
    limiter: RateLimiter
    seller_limit: Limit
    portal_limit: Limit

    def limit_of(self, key: ApiKey) -> Limit:
        return self.portal_limit if key.scope == "portal" else self.seller_limit


def presented_token(request: Request) -> str | None:
    """The token the request carries, or None (none, not Bearer, or two different ones)."""
    authorizations = request.headers.getlist("authorization")
    api_keys = request.headers.getlist("x-api-key")
    if len(authorizations) > 1 or len(api_keys) > 1:
        return None
    tokens = set(api_keys)
    if authorizations:
        scheme, _, value = authorizations[0].strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        tokens.add(value.strip())
    if len(tokens) != 1:
        return None
    token = tokens.pop()
    return token or None


def etag_of(snapshot: Snapshot) -> str:
    """A strong ETag naming the snapshot (its publish time, in microseconds)."""
    micros = (snapshot.published_at - EPOCH) // timedelta(microseconds=1)
    return f'"p{micros:x}"'


def not_modified(request: Request, snapshot: Snapshot, etag: str) -> bool:
    """Whether the client's copy is current (``If-None-Match`` first, else the date)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        return False
    return snapshot.published_at.replace(microsecond=0) <= when


async def _authenticate(portal: Portal, request: Request) -> ApiKey | Response:
    token = presented_token(request)
    key = portal.verifier.check(token) if token else None
    if key is MISSING:  # not in memory: read the key file in a worker thread
        key = await anyio.to_thread.run_sync(portal.verifier.verify, token)
    if not isinstance(key, ApiKey):
        return unauthorized()
    request.state.key_id = key.key_id  # for the access log: the id, never the token
    wait = portal.limiter.take(key.key_id, portal.limit_of(key))
    if wait > 0:
        return _error(
            429,
            "rate_limited",
            "too many requests for this key; retry after the delay in Retry-After",
            **{"retry-after": retry_after(wait)},
        )
    return key


async def _report_answer(portal: Portal, request: Request, report: Report) -> Response:
    key = await _authenticate(portal, request)
    if isinstance(key, Response):
        return key
    seller_id = parse_seller_id(request.path_params["seller"])
    if seller_id is None or not key.may_read(seller_id):
        return not_found()
    try:
        query = parse_report_query(request.query_params.multi_items())
    except BadRequest as exc:
        return _error(400, "bad_request", str(exc))
    try:
        with portal.store.use() as snapshot:
            if not snapshot.knows(seller_id):
                return not_found()
            return await _rows_answer(
                request, snapshot, report, seller_id, query.window, query.as_of
            )
    except SnapshotUnavailable:
        return _error(
            503, "unavailable", "no published snapshot to serve yet", **{"retry-after": "30"}
        )


async def _rows_answer(
    request: Request, snapshot: Snapshot, report: Report, seller_id: int, window, as_of
) -> Response:
    windows = snapshot.windows(report)
    if not windows:
        return _error(400, "bad_request", f"the published warehouse holds no {report.name} yet")
    if window is None:
        window = windows[0]
    if window not in windows:
        allowed = ", ".join(str(w) for w in windows)
        return _error(400, "bad_request", f"window must be one of: {allowed}")
    first, last = snapshot.as_of_range(report, window)  # type: ignore[misc]
    if as_of is None:
        as_of = last
    elif not snapshot.has_as_of(report, window, as_of):
        return _error(400, "bad_request", f"as_of must be a published day from {first} to {last}")
    etag = etag_of(snapshot)
    headers = {
        **OK_HEADERS,
        "etag": etag,
        "last-modified": format_datetime(snapshot.published_at, usegmt=True),
    }
    if not_modified(request, snapshot, etag):
        return Response(status_code=304, headers=headers)
    if snapshot.in_memory(report, window, as_of):
        rows = snapshot.rows(report, seller_id, window, as_of)
    else:  # a past day: a query on the file, in a worker thread
        rows = await anyio.to_thread.run_sync(snapshot.rows, report, seller_id, window, as_of)
    body = {
        "seller_id": seller_id,
        "report": report.name,
        "window_days": window,
        "as_of_date": as_of,
        "published_at": snapshot.published_at,
        "rows": msgspec.Raw(rows),
    }
    return Response(_encode(body), 200, headers=headers, media_type=JSON)


def create_app(portal: Portal) -> Starlette:
    """The ASGI app over ``portal`` (wrapped in the access log)."""
    openapi = _encode(openapi_document())

    def report_route(report: Report) -> Route:
        async def endpoint(request: Request) -> Response:
            return await _report_answer(portal, request, report)

        return Route(f"/v1/sellers/{{seller}}/{report.name}", endpoint, methods=["GET"])

    async def other_v1(request: Request) -> Response:
        key = await _authenticate(portal, request)
        return key if isinstance(key, Response) else not_found()

    async def health(request: Request) -> Response:
        try:
            with portal.store.use() as snapshot:
                body = {
                    "status": "ok",
                    "published_at": snapshot.published_at,
                    "reports": {
                        r.name: {
                            str(w): str(snapshot.as_of_range(r, w)[1])  # type: ignore[index]
                            for w in snapshot.windows(r)
                        }
                        for r in REPORTS
                    },
                }
        except SnapshotUnavailable:
            return _error(503, "unavailable", "no published snapshot to serve yet")
        return Response(_encode(body), 200, headers={"cache-control": "no-store"}, media_type=JSON)

    async def openapi_json(request: Request) -> Response:
        return Response(openapi, 200, media_type=JSON)

    async def json_not_found(request: Request, exc: Exception) -> Response:
        return not_found()

    async def json_method(request: Request, exc: Exception) -> Response:
        return _error(405, "method_not_allowed", "only GET", allow="GET")

    async def json_internal(request: Request, exc: Exception) -> Response:
        return _error(500, "internal", "internal error")

    app = Starlette(
        routes=[
            report_route(PERFORMANCE),
            report_route(CAMPAIGNS),
            Route("/v1/{rest:path}", other_v1, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
        ],
        exception_handlers={404: json_not_found, 405: json_method, 500: json_internal},
    )
    return AccessLog(app)  # type: ignore[return-value]


# -- access log ------------------------------------------------------------------------------------

_TOKENS = re.compile(r"mposk_([0-9a-f]{16})_\S*")
_LOGGED_PATH = 200  # characters of the path logged (a path may be 10 kB of junk)


def loggable_path(path: str) -> str:
    """The path as logged: tokens masked, non-ASCII escaped, long paths cut."""
    path = _TOKENS.sub(r"mposk_\1_***", path)
    text = ascii(path)[1:-1]
    return text if len(text) <= _LOGGED_PATH else text[:_LOGGED_PATH] + "..."


class AccessLog:
    """One log line per request: client, method, path, status, milliseconds, key id.

    Never the token (it travels in headers, which are not logged; one pasted in the path is
    masked), never the query string (a client may put anything there).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state: dict[str, Any] = scope.get("state") or {}
            client = scope.get("client") or ("-", 0)
            access_log.info(
                "%s %s %s %d %.1fms key=%s",
                client[0],
                scope["method"],
                loggable_path(scope["path"]),
                status,
                (time.perf_counter() - started) * 1000,
                state.get("key_id", "-"),
            )
