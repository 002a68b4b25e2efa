"""The seller portal app in process: answers, defaults, caching headers, keys, access log."""

from __future__ import annotations

import logging
from email.utils import format_datetime

import anyio
import httpx
import pytest
from support.portal_fixtures import (
    EARLIER,
    LATEST,
    SELLER_A,
    SELLER_B,
    SELLER_C,
    UNKNOWN_SELLER,
    measures,
    perf_row,
    publish_rows,
)

from mpo_pipeline.seller_portal.app import Portal, create_app
from mpo_pipeline.seller_portal.keys import KeyStore, KeyVerifier
from mpo_pipeline.seller_portal.openapi import openapi_document
from mpo_pipeline.seller_portal.ratelimit import Limit, RateLimiter
from mpo_pipeline.seller_portal.snapshot import SnapshotStore

# Hand-written: what the API must answer for SELLER_A, 7 days, as of LATEST (portal_fixtures).
SELLER_A_LATEST_7 = [
    {
        "advertiser_id": 11, "currency": "EUR", "seller_name": "MKT-0042",
        "window_start": "2026-02-23", "window_end": "2026-03-01", "days_loaded": 7,
        "is_complete": True, "impressions": 1000, "clicks": 50,
        "sale_units_same_seller": 5, "sale_units_any_seller": 10,
        "cost": "12.345678901", "revenue_same_seller": "100.500000000",
        "revenue_any_seller": "201.000000000", "previous_cost": "10.000000001",
        "cost_change": "2.345678900", "gmv": "5000.250000000", "orders": 17,
        "ad_revenue_share_of_gmv": 0.0201, "cap_reached_on": None,
    },
    {
        "advertiser_id": 12, "currency": "JPY", "seller_name": "MKT-0042",
        "window_start": "2026-02-23", "window_end": "2026-03-01", "days_loaded": 7,
        "is_complete": True, "impressions": 300, "clicks": 3,
        "sale_units_same_seller": 0, "sale_units_any_seller": 0,
        "cost": "450.000000000", "revenue_same_seller": "0.000000000",
        "revenue_any_seller": "0.000000000", "previous_cost": None,
        "cost_change": None, "gmv": None, "orders": None,
        "ad_revenue_share_of_gmv": None, "cap_reached_on": None,
    },
]  # fmt: skip


class Env:
    """A published snapshot, a key file, and the app over them."""

    def __init__(self, tmp_path, *, seller_limit: Limit | None = None, publish=True):
        self.tmp_path = tmp_path
        self.published = tmp_path / "published" / "warehouse.duckdb"
        self.report = publish_rows(tmp_path / "private", self.published) if publish else None
        self.keys = KeyStore(tmp_path / "seller_keys.sqlite3")
        self.seller_a = self.keys.issue(seller_id=SELLER_A).token
        self.portal_token = self.keys.issue().token
        self.store = SnapshotStore(self.published, background=False)
        self.portal = Portal(
            self.store,
            KeyVerifier(self.keys.path),
            RateLimiter(),
            seller_limit=seller_limit or Limit(1000, 1000),
            portal_limit=Limit(1000, 1000),
        )
        self.app = create_app(self.portal)

    def get(self, path, token=None, **headers):
        if token:
            headers["authorization"] = f"Bearer {token}"
        return self.request(path, headers)

    def request(self, path, headers):
        async def go():
            transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://portal") as c:
                return await c.get(path, headers=headers)

        return anyio.run(go)


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.store.close()


def _subset(row, expected):
    return {k: row[k] for k in expected}


def test_a_seller_reads_its_rolling_figures_money_as_exact_strings(env):
    r = env.get(f"/v1/sellers/{SELLER_A}/performance?window=7", env.seller_a)
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("seller_id", "report", "window_days", "as_of_date")} == {
        "seller_id": SELLER_A,
        "report": "performance",
        "window_days": 7,
        "as_of_date": "2026-03-01",
    }
    assert [_subset(row, e) for row, e in zip(body["rows"], SELLER_A_LATEST_7, strict=True)] == (
        SELLER_A_LATEST_7
    )
    assert '"cost":"12.345678901"' in r.text  # a JSON string, never a float


def test_defaults_are_the_smallest_window_and_the_latest_day(env):
    default = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a).json()
    explicit = env.get(
        f"/v1/sellers/{SELLER_A}/performance?window=7&as_of={LATEST}", env.seller_a
    ).json()
    assert default == explicit and default["window_days"] == 7


def test_a_past_day_and_the_campaign_breakdown(env):
    past = env.get(f"/v1/sellers/{SELLER_A}/performance?as_of={EARLIER}", env.seller_a).json()
    assert past["as_of_date"] == "2026-02-28"
    assert [(r["clicks"], r["cost"]) for r in past["rows"]] == [(40, "11.100000000")]
    campaigns = env.get(f"/v1/sellers/{SELLER_A}/campaigns?window=7", env.seller_a).json()
    assert campaigns["report"] == "campaigns"
    assert [(r["advertiser_id"], r["campaign_id"], r["cost"]) for r in campaigns["rows"]] == [
        (11, 501, "7.300000000"),
        (11, 502, "5.045678901"),
    ]
    thirty = env.get(f"/v1/sellers/{SELLER_B}/campaigns?window=30", env.portal_token).json()
    assert thirty["rows"] == []  # a known seller without campaign rows in that window


def test_a_known_seller_without_rows_that_day_gets_an_empty_list(env):
    r = env.get(f"/v1/sellers/{SELLER_C}/performance?window=30", env.portal_token)
    assert (r.status_code, r.json()["rows"]) == (200, [])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("window=14", "window must be one of: 7, 30"),
        ("as_of=2026-01-01", "as_of must be a published day from 2026-02-28 to 2026-03-01"),
        ("window=abc", "window must be a number of days, e.g. window=7"),
        ("as_of=yesterday", "as_of must be a date, YYYY-MM-DD"),
        ("token=abc", "unknown query parameter; allowed: window, as_of"),
    ],
)
def test_a_query_the_snapshot_cannot_answer_is_a_400(env, query, message):
    r = env.get(f"/v1/sellers/{SELLER_A}/performance?{query}", env.seller_a)
    assert (r.status_code, r.json()) == (400, {"error": "bad_request", "message": message})


def test_etag_and_last_modified_come_from_the_publish_time(env):
    r = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a)
    published_at = env.report.published_at
    assert r.headers["last-modified"] == format_datetime(published_at, usegmt=True)
    micros = int(published_at.timestamp()) * 1_000_000 + published_at.microsecond
    assert r.headers["etag"] == f'"p{micros:x}"'
    etag = r.headers["etag"]
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = env.get(
            f"/v1/sellers/{SELLER_A}/performance", env.seller_a, **{"if-none-match": if_none_match}
        )
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == etag
    stale = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a, **{"if-none-match": '"x"'})
    assert stale.status_code == 200
    since = env.get(
        f"/v1/sellers/{SELLER_A}/performance",
        env.seller_a,
        **{"if-modified-since": r.headers["last-modified"]},
    )
    assert since.status_code == 304
    # a new publish: the client's copy is stale, whatever it sends
    rows = [perf_row(LATEST, 7, 11, SELLER_A, "MKT-0042", "EUR", **measures(1, 2, "3", "4"))]
    publish_rows(env.tmp_path / "private", env.published, performance=rows, campaigns=[])
    fresh = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a, **{"if-none-match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert [(x["clicks"], x["cost"]) for x in fresh.json()["rows"]] == [(2, "3.000000000")]


class Untouchable:
    """A snapshot store that fails the test if a request reads it."""

    path = None

    def use(self):
        raise AssertionError("the answer read the snapshot")


def test_another_seller_is_refused_without_reading_any_data(env):
    """So nothing about another seller (existence, timing) can show through a seller key."""
    env.portal.store = Untouchable()
    for seller in (SELLER_B, UNKNOWN_SELLER, SELLER_C):
        r = env.get(f"/v1/sellers/{seller}/performance?window=7", env.seller_a)
        assert (r.status_code, r.json()["error"]) == (404, "not_found")


def test_the_key_may_come_as_x_api_key(env):
    ok = env.request(f"/v1/sellers/{SELLER_A}/performance", {"x-api-key": env.seller_a})
    assert ok.status_code == 200
    both = env.request(
        f"/v1/sellers/{SELLER_A}/performance",
        {"x-api-key": env.seller_a, "authorization": f"Bearer {env.seller_a}"},
    )
    assert both.status_code == 200
    for headers in (
        {"x-api-key": env.seller_a, "authorization": f"Bearer {env.portal_token}"},  # two keys
        {"authorization": f"Basic {env.seller_a}"},
        {"authorization": env.seller_a},
        {"authorization": "Bearer "},
    ):
        r = env.request(f"/v1/sellers/{SELLER_A}/performance", headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer realm="mpo-seller-portal"'


def test_a_key_over_its_rate_gets_429_with_retry_after(tmp_path):
    env = Env(tmp_path, seller_limit=Limit(rate=1, burst=2))
    codes = [
        env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    r = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert r.json()["error"] == "rate_limited"
    other = env.keys.issue(seller_id=SELLER_B).token
    assert env.get(f"/v1/sellers/{SELLER_B}/performance", other).status_code == 200
    env.store.close()


def test_nothing_published_yet_is_a_503_until_a_publish(tmp_path):
    env = Env(tmp_path, publish=False)
    assert env.get("/health").status_code == 503
    r = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a)
    assert (r.status_code, r.json()["error"], r.headers["retry-after"]) == (
        503,
        "unavailable",
        "30",
    )
    report = publish_rows(tmp_path / "private", env.published)
    health = env.get("/health").json()
    assert health == {
        "status": "ok",
        "published_at": report.published_at.isoformat().replace("+00:00", "Z"),
        "reports": {
            "performance": {"7": "2026-03-01", "30": "2026-03-01"},
            "campaigns": {"7": "2026-03-01", "30": "2026-03-01"},
        },
    }
    assert env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a).status_code == 200
    env.store.close()


def test_the_access_log_names_the_key_id_never_the_token(env, caplog):
    caplog.set_level(logging.INFO, logger="mpo_pipeline.seller_portal.access")
    env.get(f"/v1/sellers/{SELLER_A}/performance?window=7", env.seller_a)
    env.get(f"/v1/sellers/{env.seller_a}/performance", env.seller_a)  # a token in the path
    wrong = env.seller_a[:-1] + ("x" if env.seller_a[-1] != "x" else "y")
    env.get(f"/v1/sellers/{SELLER_A}/performance", wrong)
    env.get("/v1/sellers/" + "é" * 5000 + "/performance", env.seller_a)
    lines = [r.getMessage() for r in caplog.records if r.name.endswith(".access")]
    assert len(lines) == 4
    key_id = env.seller_a.split("_")[1]
    secret = env.seller_a.split("_", 2)[2]
    assert all(secret[:8] not in line for line in lines)
    assert f"/v1/sellers/{SELLER_A}/performance 200" in lines[0] and f"key={key_id}" in lines[0]
    assert "window" not in lines[0]  # no query string
    assert f"mposk_{key_id}_***" in lines[1]
    assert lines[2].endswith("key=-") and " 401 " in lines[2]
    assert len(lines[3]) < 400 and "\\xe9" in lines[3]


def test_openapi_describes_every_route_and_answer(env):
    doc = env.get("/openapi.json").json()
    assert doc == openapi_document() and doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/v1/sellers/{seller}/performance",
        "/v1/sellers/{seller}/campaigns",
        "/health",
        "/openapi.json",
    }
    for report in ("performance", "campaigns"):
        op = doc["paths"][f"/v1/sellers/{{seller}}/{report}"]["get"]
        assert set(op["responses"]) == {"200", "304", "400", "401", "404", "429", "503"}
        row = doc["components"]["schemas"][f"{report}_row"]["properties"]
        assert row["cost"]["type"] == "string" and row["clicks"]["type"] == "integer"
        assert "seller_id" not in row and ("campaign_id" in row) == (report == "campaigns")
    answer = env.get(f"/v1/sellers/{SELLER_A}/performance", env.seller_a).json()
    described = doc["components"]["schemas"]["performance_row"]["properties"]
    assert set(answer["rows"][0]) == set(described)
