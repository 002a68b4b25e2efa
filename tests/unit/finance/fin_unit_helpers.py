"""A fake warehouse (the two marts tables the close reads) and a fake lake of empty day files."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from mpo_pipeline.finance.readiness import METRICS, month_days
from mpo_pipeline.finance.schema import STATEMENT_COLUMNS
from mpo_pipeline.ingest.lake import ENDPOINTS, control_path, stats_path

POLICIES = ("SameSeller", "AnySeller")
OCTOBER = date(2026, 10, 1)
AFTER_OCTOBER = date(2026, 11, 5)


def fake_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """An empty warehouse with marts.fct_seller_monthly_statement and rpt_monthly_reconciliation."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    columns = ", ".join(f"{name} {typ}" for name, typ in STATEMENT_COLUMNS)
    con.execute(f"create table marts.fct_seller_monthly_statement ({columns})")
    metrics = ", ".join(
        f"{m}_daily decimal(18, 4), {m}_control decimal(18, 4), {m}_diff decimal(18, 4), "
        f"{m}_rel_diff double"
        for m in METRICS
    )
    con.execute(
        "create table marts.rpt_monthly_reconciliation (month date, advertiser_id bigint, "
        f"endpoint varchar, policy varchar, is_reconciled boolean, {metrics})"
    )
    return con


def add_statement_row(
    con: duckdb.DuckDBPyConnection,
    month: date,
    advertiser_id: int,
    seller_id: int,
    currency: str = "EUR",
    **values: object,
) -> None:
    """One statement row; unnamed measures default to small numbers."""
    row = {
        "month": month,
        "advertiser_id": advertiser_id,
        "seller_id": seller_id,
        "seller_name": f"MKT-{seller_id:05d}",
        "currency": currency,
        "currency_minor_unit": 0 if currency == "JPY" else 2,
        "is_in_seller_directory": True,
        "impressions": 100,
        "clicks": 10,
        "media_cost": Decimal("5.00"),
        "ad_fee_rate": Decimal("0.05"),
        "ad_fee_rate_changed_in_month": False,
        "ad_billing_amount": Decimal("5.25"),
        "sale_units_same_seller": 1,
        "revenue_same_seller": Decimal("20.00"),
        "sale_units_any_seller": 2,
        "revenue_any_seller": Decimal("30.00"),
        **values,
    }
    names = list(row)
    con.execute(
        f"insert into marts.fct_seller_monthly_statement ({', '.join(names)}) "
        f"values ({', '.join('?' for _ in names)})",
        [row[n] for n in names],
    )


def reconcile(
    con: duckdb.DuckDBPyConnection,
    month: date,
    advertisers: Iterable[int],
    broken: dict[tuple[int, str, str], dict[str, int]] | None = None,
    skip: Iterable[tuple[int, str, str]] = (),
) -> None:
    """Reconciliation rows for every advertiser × endpoint × policy: reconciled unless ``broken``
    gives a metric's diff for that (advertiser, endpoint, policy); ``skip`` leaves rows out."""
    broken = broken or {}
    for advertiser in advertisers:
        for endpoint in ENDPOINTS:
            for policy in POLICIES:
                key = (advertiser, endpoint, policy)
                if key in skip:
                    continue
                diffs = broken.get(key, {})
                values = []
                for m in METRICS:
                    diff = diffs.get(m, 0)
                    values += [1000 + diff, 1000, diff, diff / 1000]
                con.execute(
                    "insert into marts.rpt_monthly_reconciliation values "
                    f"(?, ?, ?, ?, ?, {', '.join('?' for _ in values)})",
                    [month, advertiser, endpoint, policy, not diffs, *values],
                )


def fake_lake(
    lake: Path,
    month: date,
    advertisers: Iterable[int],
    skip_days: Iterable[date] = (),
    control: bool = True,
) -> None:
    """Empty marker files for every day × endpoint × policy × advertiser (minus ``skip_days``):
    readiness only looks at which files exist."""
    skip = set(skip_days)
    for advertiser in advertisers:
        for endpoint in ENDPOINTS:
            for policy in POLICIES:
                paths = [
                    stats_path(lake, endpoint, policy, day, advertiser)
                    for day in month_days(month)
                    if day not in skip
                ]
                if control:
                    paths.append(control_path(lake, endpoint, policy, month, advertiser))
                for path in paths:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a query as dicts."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
