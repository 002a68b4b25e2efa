"""The route table: token endpoint, the three stats endpoints and the management endpoints.

All API paths live under ``/{version}/marketing-solutions/marketplace-performance-outcomes``; the
gate (``gate.py``) has already checked the version, the token, the rate limit and the faults when a
handler runs. Handlers are synchronous, so Starlette runs the numpy work in its thread pool.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from . import metadata, realtime
from .aggregate import compute_stats
from .auth import token_endpoint
from .budgets import budgets
from .errors import ApiError
from .gate import Gate
from .render import encode, to_csv, to_json
from .state import SimulatorState
from .validation import (
    advertiser_ids,
    parse_date,
    parse_enum,
    parse_id_list,
    parse_int,
    stats_query,
)
from .world import Advertiser

PREFIX = "/{version}/marketing-solutions/marketplace-performance-outcomes"
VERSION_WITHOUT_TIME_ZONE = "2025-07"  # timeZoneId appeared in 2025-10 (reference §3.2)


def _state(request: Request) -> SimulatorState:
    return request.app.state.sim


def _json(obj: object) -> Response:
    return Response(encode(obj), media_type="application/json")


def _wants_csv(request: Request) -> bool:
    for item in request.headers.get("accept", "").split(","):
        media = item.split(";")[0].strip().lower()
        if media in ("text/csv", "application/json", "*/*", "application/*"):
            return media == "text/csv"
    return False


def _stats(endpoint: str):
    def handler(request: Request) -> Response:
        state = _state(request)
        query, policy = stats_query(
            request.query_params,
            endpoint,
            state.world,
            state.clock.today(),
            time_zones=request.path_params["version"] != VERSION_WITHOUT_TIME_ZONE,
        )
        frame = compute_stats(state.world, query, keep_empty=not state.config.drop_empty_rows)
        if _wants_csv(request):
            return Response(to_csv(frame, policy), media_type="text/csv")
        return Response(to_json(frame, policy), media_type="application/json")

    return handler


def _path_advertiser(request: Request) -> Advertiser:
    raw = request.path_params["advertiserId"]
    adv_id = parse_int(raw, "advertiserId", minimum=1, maximum=2**31 - 1)
    (only,) = advertiser_ids({"advertiserId": str(adv_id)}, _state(request).world)  # type: ignore[arg-type]
    return _state(request).world.advertiser(only)  # type: ignore[return-value]


def _query_advertisers(request: Request) -> list[Advertiser]:
    world = _state(request).world
    return [world.advertiser(i) for i in advertiser_ids(request.query_params, world)]  # type: ignore[misc]


def get_advertisers(request: Request) -> Response:
    state = _state(request)
    return _json(metadata.advertisers(state.world, state.clock.today()))


def get_advertiser(request: Request) -> Response:
    state = _state(request)
    return _json(metadata.advertiser(state.world, _path_advertiser(request), state.clock.today()))


def get_campaigns(request: Request) -> Response:
    return _json(metadata.campaigns(_path_advertiser(request), _state(request).clock.today()))


def get_sellers(request: Request) -> Response:
    state, params = _state(request), request.query_params
    today = state.clock.today()
    campaign_ids = parse_id_list(params, "campaignId")
    status = parse_enum(params, "sellerStatus", ("Active", "Inactive"), "")
    out = []
    for adv in _query_advertisers(request):
        active = metadata.seller_is_active(adv, today)
        in_campaign = None
        if campaign_ids is not None:
            chosen = [j for j, c in enumerate(adv.campaign_ids.tolist()) if c in campaign_ids]
            in_campaign = set(adv.sc_seller[[c in chosen for c in adv.sc_campaign]].tolist())
        for k, obj in enumerate(metadata.sellers(state.world, adv, today)):
            if params.get("sellerName") not in (None, obj["sellerName"]):
                continue
            if status and bool(active[k]) != (status == "Active"):
                continue
            if in_campaign is not None and k not in in_campaign:
                continue
            out.append(obj)
    return _json(out)


def _filter_seller_campaigns(objs: list[dict], request: Request) -> list[dict]:
    campaign_ids = parse_id_list(request.query_params, "campaignId")
    seller_ids = parse_id_list(request.query_params, "sellerId")
    return [
        o
        for o in objs
        if (campaign_ids is None or o["campaignId"] in campaign_ids)
        and (seller_ids is None or int(o["sellerId"]) in seller_ids)
    ]


def get_seller_campaigns(request: Request) -> Response:
    state = _state(request)
    objs = [
        o
        for adv in _query_advertisers(request)
        for o in metadata.seller_campaigns(state.world, adv, state.clock.today())
    ]
    return _json(_filter_seller_campaigns(objs, request))


def get_advertiser_seller_campaigns(request: Request) -> Response:
    state = _state(request)
    adv = _path_advertiser(request)
    return _json(metadata.seller_campaigns(state.world, adv, state.clock.today()))


def _budgets(request: Request, advertisers: list[Advertiser]) -> Response:
    state, params = _state(request), request.query_params
    end_after, start_before = params.get("endAfterDate"), params.get("startBeforeDate")
    out = []
    for adv in advertisers:
        out += budgets(
            state.world,
            adv,
            state.clock.today(),
            end_after=parse_date(end_after, "endAfterDate") if end_after else None,
            start_before=parse_date(start_before, "startBeforeDate") if start_before else None,
            campaign_ids=parse_id_list(params, "campaignId"),
            seller_ids=parse_id_list(params, "sellerId"),
            status=parse_enum(params, "status", ("Archived", "Current", "Scheduled"), "") or None,
            budget_type=params.get("type") or None,
        )
    return _json(out)


def get_budgets(request: Request) -> Response:
    return _budgets(request, _query_advertisers(request))


def get_advertiser_budgets(request: Request) -> Response:
    return _budgets(request, [_path_advertiser(request)])


def health(request: Request) -> Response:
    return _json({"status": "ok"})


def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response(request.url.path)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    error = ApiError(
        exc.status_code,
        "unknown",
        code,
        str(exc.detail),
        f"{request.method} {request.url.path} is not served",
        headers=dict(exc.headers or {}),
    )
    return error.response(request.url.path)


ROUTES = [
    Route("/oauth2/token", token_endpoint, methods=["POST"]),
    Route("/health", health),
    *realtime.routes(),
    Route(PREFIX + "/stats/sellers", _stats("sellers")),
    Route(PREFIX + "/stats/campaigns", _stats("campaigns")),
    Route(PREFIX + "/stats/seller-campaigns", _stats("seller_campaigns")),
    Route(PREFIX + "/advertisers", get_advertisers),
    Route(PREFIX + "/advertisers/{advertiserId}", get_advertiser),
    Route(PREFIX + "/advertisers/{advertiserId}/campaigns", get_campaigns),
    Route(PREFIX + "/advertisers/{advertiserId}/seller-campaigns", get_advertiser_seller_campaigns),
    Route(PREFIX + "/advertisers/{advertiserId}/budgets", get_advertiser_budgets),
    Route(PREFIX + "/sellers", get_sellers),
    Route(PREFIX + "/seller-campaigns", get_seller_campaigns),
    Route(PREFIX + "/budgets", get_budgets),
]


def create_app(state: SimulatorState) -> ASGIApp:
    """The simulator's ASGI application for ``state``."""
    app = Starlette(
        routes=ROUTES,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.sim = state
    return Gate(app, state)
