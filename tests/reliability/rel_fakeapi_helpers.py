"""Bad responses on demand: an in-process fake MPO API (``httpx.MockTransport``) serving the
simulator's ground truth, and a corrupting reverse proxy (Starlette) in front of a real simulator.

A *corruption* takes the stats document the API would have served (``columns``/``data``/``rows``/
``links``) and the requested window, and returns the reply to send instead: (status, headers,
body bytes).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mpo_pipeline.client import MpoClient
from mpo_pipeline.simulator import GroundTruth

Reply = tuple[int, dict[str, str], bytes]
Corruption = Callable[[dict[str, Any], date, date], Reply]
JSON = {"content-type": "application/json"}
BASE_URL = "https://mpo.reliability.test"
API_VERSION = "2026-07"
STATS_PATHS = {
    "stats/sellers": "sellers",
    "stats/campaigns": "campaigns",
    "stats/seller-campaigns": "seller_campaigns",
}
TRACE_ID = "rel-trace-0001"


def new_token() -> str:
    """An access token in the simulator's format (``mpo-sim.`` + 43 url-safe characters)."""
    return "mpo-sim." + secrets.token_urlsafe(32)


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def stats_document(
    truth: GroundTruth, endpoint: str, policy: str, advertiser: int, start: date, end: date
) -> dict[str, Any]:
    """What the API serves for one stats request, built from the ground truth."""
    table = truth.stats(endpoint, policy, advertiser, start, end, time_zone="UTC")
    data = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    return {"columns": table.column_names, "data": data, "rows": len(data), "links": {}}


# Money (Decimal) goes out as JSON numbers with its exact digits, as the API writes it.
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def as_json(document: Any, status: int = 200) -> Reply:
    """A JSON reply."""
    return status, dict(JSON), _ENCODER.encode(document)


# -- corruptions -------------------------------------------------------------------------------


def truncated(doc: dict, start: date, end: date) -> Reply:
    """The body cut in the middle (a proxy or a dying connection delivered half of it)."""
    status, headers, body = as_json(doc)
    return status, headers, body[: len(body) // 2]


def html_page(status: int) -> Corruption:
    """A gateway's HTML error page instead of the API's JSON."""
    page = (
        f"<!DOCTYPE html><html><head><title>{status} Bad Gateway</title></head>"
        f"<body><h1>{status} Bad Gateway</h1><hr>nginx</body></html>"
    ).encode()

    def reply(doc: dict, start: date, end: date) -> Reply:
        return status, {"content-type": "text/html"}, page

    return reply


def drop_column(name: str) -> Corruption:
    """An expected column missing from ``columns`` and from every row."""

    def reply(doc: dict, start: date, end: date) -> Reply:
        i = doc["columns"].index(name)
        columns = doc["columns"][:i] + doc["columns"][i + 1 :]
        data = [row[:i] + row[i + 1 :] for row in doc["data"]]
        return as_json({**doc, "columns": columns, "data": data})

    return reply


def add_column(name: str) -> Corruption:
    """A column the contract does not know, with a value per row (row number × 7)."""

    def reply(doc: dict, start: date, end: date) -> Reply:
        data = [[*row, i * 7] for i, row in enumerate(doc["data"])]
        return as_json({**doc, "columns": [*doc["columns"], name], "data": data})

    return reply


def shuffle_columns(doc: dict, start: date, end: date) -> Reply:
    """The same columns and values in another order (reversed)."""
    order = list(reversed(range(len(doc["columns"]))))
    columns = [doc["columns"][i] for i in order]
    data = [[row[i] for i in order] for row in doc["data"]]
    return as_json({**doc, "columns": columns, "data": data})


def rows_off_by_one(doc: dict, start: date, end: date) -> Reply:
    """``rows`` disagrees with the length of ``data``."""
    return as_json({**doc, "rows": len(doc["data"]) + 1})


def set_cell(column: str, value: Any, row: int = 0) -> Corruption:
    """One value of one row replaced (``value`` may be a callable of the window start)."""

    def reply(doc: dict, start: date, end: date) -> Reply:
        data = [list(r) for r in doc["data"]]
        data[row][doc["columns"].index(column)] = value(start) if callable(value) else value
        return as_json({**doc, "data": data})

    return reply


def duplicate_first_row(doc: dict, start: date, end: date) -> Reply:
    """The first row served twice (same key)."""
    data = [doc["data"][0], *doc["data"]]
    return as_json({**doc, "data": data, "rows": len(data)})


def not_an_envelope(doc: dict, start: date, end: date) -> Reply:
    """A JSON array where the report envelope belongs."""
    return as_json(doc["data"])


def problem(status: int, kind: str, code: str, title: str, detail: str) -> Corruption:
    """The API's ``{"errors": [...]}`` envelope with ``status``."""
    envelope = {
        "errors": [
            {
                "traceId": TRACE_ID,
                "traceIdentifier": TRACE_ID,
                "type": kind,
                "code": code,
                "instance": "/stats",
                "title": title,
                "detail": detail,
            }
        ],
        "warnings": [],
    }

    def reply(doc: dict, start: date, end: date) -> Reply:
        return as_json(envelope, status)

    return reply


def day_before(start: date) -> str:
    """The day before the window: a row dated outside it."""
    return (start - timedelta(days=1)).isoformat()


# -- the in-process fake API -------------------------------------------------------------------


class FakeMpo:
    """A ``MockTransport`` handler serving ground-truth stats, optionally corrupted.

    ``token_reply`` replaces the token endpoint's answer; ``api_reply`` answers every API call
    (e.g. a 401) before the stats are even computed. Issued tokens are kept in ``tokens``.
    """

    def __init__(
        self,
        truth: GroundTruth,
        corrupt: Corruption | None = None,
        *,
        token_reply: Reply | None = None,
        api_reply: Reply | None = None,
    ) -> None:
        self.truth = truth
        self.corrupt = corrupt
        self.token_reply = token_reply
        self.api_reply = api_reply
        self.tokens: list[str] = []
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            if self.token_reply is not None:
                return _response(self.token_reply)
            token = new_token()
            self.tokens.append(token)
            body = {"access_token": token, "token_type": "Bearer", "expires_in": 900}
            return _response(as_json(body))
        self.calls += 1
        if self.api_reply is not None:
            return _response(self.api_reply)
        endpoint = STATS_PATHS[request.url.path.split("marketplace-performance-outcomes/")[1]]
        params = request.url.params
        start = date.fromisoformat(params["startDate"])
        end = date.fromisoformat(params["endDate"])
        doc = stats_document(
            self.truth,
            endpoint,
            params["clickAttributionPolicy"],
            int(params["advertiserId"]),
            start,
            end,
        )
        if self.corrupt is None:
            return _response(as_json(doc))
        return _response(self.corrupt(doc, start, end))


def _response(reply: Reply) -> httpx.Response:
    status, headers, body = reply
    return httpx.Response(status, headers=headers, content=body)


def fake_client(api: FakeMpo, client_secret: str, **kwargs: Any) -> MpoClient:
    """An ``MpoClient`` on ``api`` that never sleeps (retries and backoff cost no time)."""
    return MpoClient(
        BASE_URL,
        API_VERSION,
        "rel-client",
        client_secret,
        transport=httpx.MockTransport(api),
        sleep=lambda seconds: None,
        max_calls_per_minute=10_000,
        **kwargs,
    )


# -- the corrupting proxy ----------------------------------------------------------------------


def corrupting_proxy(upstream: str, rules: dict[tuple[str, str], Corruption]) -> Starlette:
    """A reverse proxy to ``upstream`` that corrupts the successful stats responses of some
    (endpoint, policy) pairs, e.g. ``{("seller_campaigns", "AnySeller"): truncated}``.

    Everything else (token endpoint, metadata, other stats) passes through unchanged.
    """
    client = httpx.AsyncClient(base_url=upstream, timeout=120)

    async def forward(request: Request) -> Response:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "accept", "content-type")
        }
        upstream_response = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        status, body = upstream_response.status_code, upstream_response.content
        reply_headers = {
            k: v
            for k, v in upstream_response.headers.items()
            if k.lower().startswith(("content-type", "x-ratelimit", "deprecation", "sunset"))
        }
        suffix = request.url.path.split("marketplace-performance-outcomes/")[-1]
        rule = rules.get(
            (STATS_PATHS.get(suffix, ""), request.query_params.get("clickAttributionPolicy", ""))
        )
        if rule is not None and status == 200:
            params = request.query_params
            status, reply_headers, body = rule(
                json.loads(body),
                date.fromisoformat(params["startDate"]),
                date.fromisoformat(params["endDate"]),
            )
        return Response(body, status_code=status, headers=reply_headers)

    methods = ["GET", "POST"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
