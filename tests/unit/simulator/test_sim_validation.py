"""Parameter validation, rate limiter, fault dice and tokens (no HTTP)."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.datastructures import QueryParams

from mpo_pipeline.simulator import SimulatorConfig
from mpo_pipeline.simulator.auth import TokenStore
from mpo_pipeline.simulator.errors import ApiError
from mpo_pipeline.simulator.faults import FaultPlan, RateLimiter
from mpo_pipeline.simulator.validation import parse_date, stats_query
from mpo_pipeline.simulator.versions import classify, deprecation_headers
from mpo_pipeline.simulator.world import build_world

TODAY = date(2026, 11, 20)
WORLD = build_world(SimulatorConfig())


def _query(**params: str):
    return stats_query(QueryParams(params), "seller_campaigns", WORLD, TODAY)


def _code(**params: str) -> tuple[int, str]:
    with pytest.raises(ApiError) as err:
        _query(**params)
    return err.value.status, err.value.code


def test_defaults_and_date_forms():
    q, policy = _query()
    assert (q.start, q.end, q.interval, policy, q.time_zone) == (
        TODAY,
        TODAY,
        "Day",
        "AnySeller",
        None,
    )
    assert q.advertiser_ids == (41111, 42222)
    q, _ = _query(startDate="2026-01-31T00:00:00Z", endDate="2026-02-01T23:59:59.123+01:00")
    assert (q.start, q.end) == (date(2026, 1, 31), date(2026, 2, 1))
    q, _ = _query(campaignId="168001,168002", sellerId="5010000000", count="5")
    assert q.campaign_ids == (168001, 168002) and q.seller_ids == (5010000000,) and q.count == 5
    assert parse_date("2026-03-01", "x") == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"startDate": "2025-01-01", "endDate": "2026-01-02"}, (400, "date-range-too-large")),
        (
            {"startDate": "2026-01-01", "endDate": "2026-02-01", "intervalSize": "Hour"},
            (400, "date-range-too-large"),
        ),
        ({"startDate": "2026-02-01", "endDate": "2026-01-01"}, (400, "invalid-date-range")),
        ({"endDate": "2026-11-21"}, (400, "date-in-future")),
        ({"endDate": "21/11/2026"}, (400, "invalid-date-format")),
        ({"intervalSize": "day"}, (400, "invalid-enum-value")),
        ({"clickAttributionPolicy": "anyseller"}, (400, "invalid-enum-value")),
        ({"timeZoneId": "Mars/Olympus"}, (400, "invalid-time-zone")),
        ({"count": "0"}, (400, "invalid-parameter")),
        ({"advertiserId": "abc"}, (400, "invalid-parameter")),
        ({"advertiserId": "999"}, (403, "advertiser-not-accessible")),
    ],
)
def test_invalid_requests(params, expected):
    assert _code(**params) == expected


def test_range_limits_are_inclusive():
    _query(startDate="2025-01-01", endDate="2026-01-01")  # one year
    _query(startDate="2026-01-01", endDate="2026-01-31", intervalSize="Hour")  # 31 days


def test_versions():
    assert [
        classify(v)
        for v in ("2026-07", "2025-10", "2025-04", "2024-07", "2023-01", "2026-04", "v2", "preview")
    ] == [
        "supported",
        "deprecated",
        "retired",
        "retired",
        "retired",
        "unknown",
        "unknown",
        "preview",
    ]
    assert deprecation_headers("2025-07")["Deprecation"] == "true"
    assert deprecation_headers("2025-07")["Sunset"].endswith("GMT")
    assert deprecation_headers("2026-07") == {}


def test_rate_limiter_sliding_window():
    now = [1_000.0]
    limiter = RateLimiter(3, now=lambda: now[0])
    decisions = [limiter.hit() for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert [d.reset for d in decisions] == [1_000, 1_000, 1_060, 1_060]
    now[0] = 1_060.5
    assert limiter.hit().allowed
    unlimited = RateLimiter(None, now=lambda: now[0])
    assert all(unlimited.hit().allowed for _ in range(300))


def test_fault_dice_replay():
    a = [FaultPlan(5, 0.3, 0.2).next() for _ in range(1)]
    plan1, plan2 = FaultPlan(5, 0.3, 0.2), FaultPlan(5, 0.3, 0.2)
    seq1 = [plan1.next() for _ in range(200)]
    assert seq1 == [plan2.next() for _ in range(200)]
    assert a[0] == seq1[0]
    errors = sum(f.error_status is not None for f in seq1)
    assert 30 < errors < 90 and {f.error_status for f in seq1} == {None, 500, 503}
    assert 15 < sum(f.drop for f in seq1) < 65
    assert [FaultPlan(6, 0.3, 0.2).next() for _ in range(50)] != seq1[:50]


def test_tokens_expire():
    now = [0.0]
    store = TokenStore(10, now=lambda: now[0])
    token = store.issue()
    assert store.check(token) is None and store.check("nope") == "invalid-token"
    now[0] = 10.0
    assert store.check(token) == "token-expired"
