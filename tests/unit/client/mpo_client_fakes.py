"""Test doubles for the MPO client tests: a fake clock and a scriptable fake API.

Imported by the test modules of this directory (pytest puts the directory on ``sys.path``).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from support.clocks import FakeClock

from mpo_pipeline.client import MpoClient

BASE_URL = "https://mpo.test"
API_VERSION = "2026-07"
CLIENT_ID = "client-abc"
CLIENT_SECRET = "s3cr3t-CLIENT-value-9f8e7d"
TOKEN_PREFIX = "tok3n-SECRET-"
API_ROOT = f"/{API_VERSION}/marketing-solutions/marketplace-performance-outcomes"

SELLER_CAMPAIGN_COLUMNS = [
    "campaignId",
    "sellerId",
    "sellerName",
    "day",
    "impressions",
    "clicks",
    "cost",
    "saleUnits",
    "revenue",
    "cr",
    "cpo",
    "cos",
    "roas",
]


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """A ``MockTransport`` handler: issues tokens, then serves queued or computed replies.

    API requests are recorded in ``requests`` with the fake time they were made at
    (``times``); token requests in ``token_requests``.
    """

    def __init__(self, clock: FakeClock, token_ttl: float = 900.0) -> None:
        self.clock = clock
        self.token_ttl = token_ttl
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.token_requests: list[httpx.Request] = []
        self.token_replies: deque[Reply] = deque()
        self.replies: deque[Reply] = deque()
        self.handler: Callable[[httpx.Request], httpx.Response] | None = None
        self.issued: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            self.token_requests.append(request)
            if self.token_replies:
                return _play(self.token_replies.popleft(), request)
            token = f"{TOKEN_PREFIX}{len(self.issued) + 1}"
            self.issued.append(token)
            return httpx.Response(
                200,
                json={
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": self.token_ttl,
                    "refresh_token": None,
                },
            )
        self.requests.append(request)
        self.times.append(self.clock.now)
        if self.replies:
            return _play(self.replies.popleft(), request)
        if self.handler is not None:
            return self.handler(request)
        return httpx.Response(200, json=[])

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def windows(self) -> list[tuple[str, str]]:
        """(startDate, endDate) of every stats request, in order."""
        return [(r.url.params["startDate"], r.url.params["endDate"]) for r in self.requests]


def _play(reply: Reply, request: httpx.Request) -> httpx.Response:
    if isinstance(reply, Exception):
        raise reply
    if isinstance(reply, httpx.Response):
        return reply
    return reply(request)


def make_client(api: FakeApi, **kwargs: Any) -> MpoClient:
    """An ``MpoClient`` wired to ``api`` and its fake clock."""
    clock = api.clock
    options: dict[str, Any] = {
        "transport": api.transport(),
        "sleep": clock.sleep,
        "monotonic": clock.monotonic,
        "wall_clock": clock.wall,
        "max_calls_per_minute": 10_000,
    }
    options.update(kwargs)
    return MpoClient(BASE_URL, API_VERSION, CLIENT_ID, CLIENT_SECRET, **options)


def problem(
    status: int,
    code: str = "invalid-request",
    detail: str = "bad thing",
    trace_id: str = "trace-123",
    title: str = "Title",
    headers: dict | None = None,
) -> httpx.Response:
    """An error response with the API's ``errors[]`` envelope."""
    body = {
        "errors": [
            {
                "traceId": trace_id,
                "traceIdentifier": trace_id,
                "type": "validation",
                "code": code,
                "instance": "/x",
                "title": title,
                "detail": detail,
            }
        ],
        "warnings": [],
    }
    return httpx.Response(status, json=body, headers=headers)


def stats_body(
    rows: list[list[Any]],
    columns: list[str] | None = None,
    *,
    rows_field: Any = "auto",
    extra: dict | None = None,
) -> bytes:
    """A stats JSON body (``rows`` defaults to ``len(rows)``)."""
    payload: dict[str, Any] = {
        "columns": columns if columns is not None else SELLER_CAMPAIGN_COLUMNS,
        "data": rows,
        "rows": len(rows) if rows_field == "auto" else rows_field,
        "links": {},
    }
    if extra:
        payload.update(extra)
    return json.dumps(payload).encode()


def sc_row(
    day: str = "2026-03-01",
    campaign: Any = 168423,
    seller: Any = 1110222,
    name: Any = "MKT-0042",
    impressions: Any = 100,
    clicks: Any = 4,
    cost: Any = 1.5,
    sales: Any = 1,
    revenue: Any = 20.0,
    cr: Any = 0.25,
    cpo: Any = 1.5,
    cos: Any = 0.075,
    roas: Any = 13.333,
) -> list[Any]:
    """One seller-campaigns row in the canonical column order."""
    return [
        campaign,
        seller,
        name,
        day,
        impressions,
        clicks,
        cost,
        sales,
        revenue,
        cr,
        cpo,
        cos,
        roas,
    ]


def json_response(body: bytes, status: int = 200, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=body, headers={"content-type": "application/json", **(headers or {})}
    )


class BrokenStream(httpx.SyncByteStream):
    """A body that dies mid-transfer, like a connection dropped by the server."""

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"columns": ["campaignId",'
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (incomplete chunked read)"
        )
