"""Published snapshots with hand-written rows of the two seller marts, for the portal API tests.

``publish_rows`` builds a small private warehouse holding the contract tables
(``mpo_pipeline.seller_portal.contract``) and publishes it with the real ``publish_warehouse``
(copy, prune, ``meta.published_at``, atomic rename). Imported by the tests of this directory and
by ``tests/integration/seller_portal/test_serve_sellers.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from mpo_pipeline.seller_portal.contract import (
    CAMPAIGN_COLUMNS,
    PERFORMANCE_COLUMNS,
    create_table_sql,
)
from mpo_pipeline.seller_portal.queries import CAMPAIGNS_TABLE, PERFORMANCE_TABLE
from mpo_pipeline.warehouse.publish import PublishReport, publish_warehouse

LATEST = date(2026, 3, 1)
EARLIER = date(2026, 2, 28)
SELLER_A = 1_110_222  # two advertisers (EUR and JPY)
SELLER_B = 1_110_225
SELLER_C = 987_654_321_012  # only in the 30-day window of the earlier day
UNKNOWN_SELLER = 1_110_999


def perf_row(
    as_of: date, window: int, advertiser: int, seller: int, name: str, currency: str, **values
) -> dict[str, Any]:
    """A performance row: the keys, the window's dates, and whatever measures are given."""
    return {
        "as_of_date": as_of,
        "window_days": window,
        "advertiser_id": advertiser,
        "seller_id": seller,
        "seller_name": name,
        "currency": currency,
        "window_start": as_of - timedelta(days=window - 1),
        "window_end": as_of,
        "days_loaded": window,
        "is_complete": True,
        **values,
    }


def measures(impressions: int, clicks: int, cost: str, revenue: str) -> dict[str, Any]:
    """The additive measures of one row (the rest of the contract's columns stay null)."""
    return {
        "impressions": impressions,
        "clicks": clicks,
        "sale_units_same_seller": clicks // 10,
        "sale_units_any_seller": clicks // 5,
        "cost": Decimal(cost),
        "revenue_same_seller": Decimal(revenue),
        "revenue_any_seller": Decimal(revenue) * 2,
    }


def default_performance_rows() -> list[dict[str, Any]]:
    a, b, c = SELLER_A, SELLER_B, SELLER_C
    kpis = {
        "previous_cost": Decimal("10.000000001"),
        "cost_change": Decimal("2.3456789"),
        "gmv": Decimal("5000.25"),
        "orders": 17,
        "ad_revenue_share_of_gmv": 0.0201,
    }
    return [
        perf_row(LATEST, 7, 11, a, "MKT-0042", "EUR", **measures(1000, 50, "12.345678901", "100.5"))
        | kpis,
        perf_row(LATEST, 7, 12, a, "MKT-0042", "JPY", **measures(300, 3, "450", "0")),
        perf_row(LATEST, 30, 11, a, "MKT-0042", "EUR", **measures(4000, 210, "49.999999999", "7")),
        perf_row(EARLIER, 7, 11, a, "MKT-0042", "EUR", **measures(900, 40, "11.1", "90")),
        perf_row(LATEST, 7, 11, b, "MKT/0077 é", "EUR", **measures(10, 1, "0.000000001", "1")),
        perf_row(LATEST, 30, 11, b, "MKT/0077 é", "EUR", **measures(20, 2, "0.5", "2")),
        perf_row(EARLIER, 30, 11, c, "718", "EUR", **measures(5, 0, "0", "0")),
    ]


def default_campaign_rows() -> list[dict[str, Any]]:
    a, b = SELLER_A, SELLER_B
    rows = [
        (501, perf_row(LATEST, 7, 11, a, "MKT-0042", "EUR", **measures(600, 30, "7.3", "60.5"))),
        (
            502,
            perf_row(LATEST, 7, 11, a, "MKT-0042", "EUR", **measures(400, 20, "5.045678901", "40")),
        ),
        (
            501,
            perf_row(LATEST, 7, 11, b, "MKT/0077 é", "EUR", **measures(10, 1, "0.000000001", "1")),
        ),
        (
            501,
            perf_row(
                LATEST, 30, 11, a, "MKT-0042", "EUR", **measures(4000, 210, "49.999999999", "7")
            ),
        ),
    ]
    return [row | {"campaign_id": campaign} for campaign, row in rows]


def _insert(con: duckdb.DuckDBPyConnection, relation: str, columns, rows) -> None:
    if not rows:
        return
    names = [name for name, _ in columns]
    marks = ", ".join("?" for _ in names)
    con.executemany(
        f"insert into {relation} ({', '.join(names)}) values ({marks})",
        [[row.get(name) for name in names] for row in rows],
    )


def publish_rows(
    workdir: Path,
    published: Path,
    performance: list[dict[str, Any]] | None = None,
    campaigns: list[dict[str, Any]] | None = None,
) -> PublishReport:
    """Write the rows into a fresh private warehouse under ``workdir`` and publish it."""
    workdir.mkdir(parents=True, exist_ok=True)
    private = workdir / "warehouse.duckdb"
    private.unlink(missing_ok=True)
    with duckdb.connect(str(private)) as con:
        con.execute("create schema marts")
        con.execute(create_table_sql(PERFORMANCE_TABLE, PERFORMANCE_COLUMNS))
        con.execute(create_table_sql(CAMPAIGNS_TABLE, CAMPAIGN_COLUMNS))
        rows = default_performance_rows() if performance is None else performance
        _insert(con, PERFORMANCE_TABLE, PERFORMANCE_COLUMNS, rows)
        rows = default_campaign_rows() if campaigns is None else campaigns
        _insert(con, CAMPAIGNS_TABLE, CAMPAIGN_COLUMNS, rows)
    return publish_warehouse(private, published, manifest=None)
