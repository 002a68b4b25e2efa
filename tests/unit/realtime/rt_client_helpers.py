"""Test doubles for the real-time client: a fake clock and a scriptable fake real-time API.

The API answers the token endpoint itself and serves the three real-time endpoints from queues
(``create``, ``status``, ``download``), and any call to ``storage.test`` (where a download may
redirect) from ``storage``; each queue item is an ``httpx.Response`` or a callable.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
from support.clocks import FakeClock

from mpo_pipeline.client import RealtimeClient, RealtimeReportRequest

BASE_URL = "https://mpo.test"
CLIENT_ID = "rt-client"
CLIENT_SECRET = "rt-s3cr3t-VALUE-77aa"
TOKEN_PREFIX = "rt-tok3n-"
ROOT = "/preview/marketing-solutions/marketplace-performance-outcomes"
EXPORT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
STORAGE_HOST = "storage.test"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def job_body(status: str, export_id: str = EXPORT_ID, message: str | None = None) -> dict:
    attributes = {"exportId": export_id, "status": status, "message": message}
    return {
        "data": {"type": "RealTimeProductReportJobStatus", "attributes": attributes},
        "errors": [],
        "warnings": [],
    }


def job(status: str, export_id: str = EXPORT_ID, message: str | None = None) -> httpx.Response:
    return httpx.Response(200, json=job_body(status, export_id, message))


def problem(
    status: int, code: str, detail: str = "", headers: dict | None = None
) -> httpx.Response:
    body = {
        "errors": [
            {"traceId": "t-1", "type": "quota", "code": code, "title": code, "detail": detail}
        ],
        "warnings": [],
    }
    return httpx.Response(status, json=body, headers=headers)


def json_rows(rows: list[dict]) -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(rows).encode(), headers={"content-type": "application/json"}
    )


def csv_file(text: str) -> httpx.Response:
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/csv"})


ROWS = [
    {
        "advertiserId": 41111,
        "campaignId": 168001,
        "sellerId": 5010000001,
        "sellerName": "0042017",
        "day": "2026-03-01",
        "hour": 11,
        "minute": 58,
        "clicks": 2,
        "displays": 30,
        "cost": 0.84,
    },
    {
        "advertiserId": 41111,
        "campaignId": 168002,
        "sellerId": 5010000002,
        "sellerName": "MKT-00001",
        "day": "2026-03-01",
        "hour": 11,
        "minute": 59,
        "clicks": 0,
        "displays": 7,
        "cost": 0.0,
    },
]


class FakeRealtimeApi:
    """A ``MockTransport`` handler; records every API request with its fake time."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.queues: dict[str, deque[Reply]] = {
            k: deque() for k in ("create", "status", "download", "storage")
        }
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oauth2/token":
            self.tokens += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"{TOKEN_PREFIX}{self.tokens}",
                    "token_type": "Bearer",
                    "expires_in": 900,
                },
            )
        self.requests.append(request)
        self.times.append(self.clock.now)
        kind = (
            "storage"
            if request.url.host == STORAGE_HOST
            else "create"
            if path.endswith("/realtime-reports/export")
            else "status"
            if "/report-jobs/" in path
            else "download"
        )
        queue = self.queues[kind]
        assert queue, f"no scripted reply left for {kind}: {request.method} {path}"
        reply = queue.popleft()
        return reply(request) if callable(reply) else reply

    def script(self, kind: str, *replies: Reply) -> None:
        self.queues[kind].extend(replies)

    def paths(self, kind: str) -> list[httpx.Request]:
        if kind == "storage":
            return [r for r in self.requests if r.url.host == STORAGE_HOST]
        marker = {
            "create": "/realtime-reports/export",
            "status": "/report-jobs/",
            "download": "/realtime-reports/",
        }[kind]
        return [
            r
            for r in self.requests
            if marker in r.url.path
            and r.url.host != STORAGE_HOST
            and (kind != "download" or not r.url.path.endswith("/export"))
        ]


def make_client(api: FakeRealtimeApi, clock: FakeClock, **kwargs: Any) -> RealtimeClient:
    return RealtimeClient(
        BASE_URL,
        CLIENT_ID,
        CLIENT_SECRET,
        transport=httpx.MockTransport(api),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        wall_clock=clock.wall,
        max_calls_per_minute=10_000,
        **kwargs,
    )


def request(**kwargs: Any) -> RealtimeReportRequest:
    base: dict[str, Any] = {"advertiser_ids": (41111,), "lookback_minutes": 120}
    return RealtimeReportRequest(**{**base, **kwargs})
