"""A short terminal report of the warehouse, read-only: totals, top sellers, checks, P&L.

Money is shown per its currency: billed amounts (rounded once to the minor unit) with exactly the
minor unit's decimals (whole yen, euro cents), exact amounts (API figures and their sums) as they
are, at least to the minor unit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.finance import money
from mpo_pipeline.finance.schema import LEGACY_CLOSE_MINOR_UNIT
from mpo_pipeline.warehouse.access import connect_read_only

# a column of that name gives the row's minor unit (and is not shown)
MINOR_UNIT = "currency_minor_unit"


def _table(
    title: str,
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list,
    *,
    billed: tuple[str, ...] = (),
    exact: tuple[str, ...] = (),
) -> Table:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    shown = [c for c in columns if c != MINOR_UNIT]
    table = Table(title=title, title_justify="left")
    for column in shown:
        table.add_column(column, justify="left" if column in _TEXT else "right")
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        digits = _minor_unit(row)
        cells = []
        for column in shown:
            value = row[column]
            if column in _TEXT:
                cells.append(str(value))
            elif value is not None and column in billed:
                cells.append(money.billed(value, digits, grouping=True))
            elif value is not None and column in exact:
                cells.append(money.exact(value, digits or 0, grouping=True))
            else:
                cells.append(_fmt(value))
        table.add_row(*cells)
    return table


_TEXT = {"advertiser", "currency", "seller_name", "month", "close_id", "endpoint", "policy"}


def _minor_unit(row: dict) -> int | None:
    """The row's own minor unit, else its currency's (None when unknown: exact amounts only)."""
    if row.get(MINOR_UNIT) is not None:
        return int(row[MINOR_UNIT])
    try:
        return money.minor_unit(row["currency"])
    except (KeyError, money.UnknownCurrency):
        return None


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return con.execute(sql, [schema, name]).fetchall()[0][0] > 0


def _has_column(con: duckdb.DuckDBPyConnection, schema: str, name: str, column: str) -> bool:
    sql = (
        "select count(*) from information_schema.columns "
        "where table_schema = ? and table_name = ? and column_name = ?"
    )
    return con.execute(sql, [schema, name, column]).fetchall()[0][0] > 0


def print_report(
    warehouse: Path | WarehouseTarget, start: date, end: date, console: Console
) -> None:
    """Print the demo report for report days ``start..end``."""
    with connect_read_only(warehouse) as con:
        console.print(
            _table(
                f"Totals per advertiser and currency, {start}..{end}",
                con,
                """
                select advertiser_id as advertiser, currency,
                       sum(impressions)::bigint as impressions, sum(clicks)::bigint as clicks,
                       sum(cost) as cost,
                       sum(revenue_same_seller) as revenue_same_seller,
                       sum(revenue_any_seller) as revenue_any_seller,
                       sum(revenue_any_seller) / nullif(sum(cost), 0) as roas_any_seller
                from marts.fct_campaign_stats_daily
                where report_date between ? and ?
                group by all order by all
                """,
                [start, end],
                exact=("cost", "revenue_same_seller", "revenue_any_seller"),
            )
        )
        console.print(
            _table(
                "Top 10 sellers by spend",
                con,
                """
                select f.advertiser_id as advertiser, f.seller_name, f.currency,
                       sum(f.cost) as cost, sum(f.clicks)::bigint as clicks,
                       sum(f.revenue_same_seller) / nullif(sum(f.cost), 0) as roas_same_seller
                from marts.fct_seller_stats_daily as f
                where f.report_date between ? and ?
                group by all order by cost desc limit 10
                """,
                [start, end],
                exact=("cost",),
            )
        )
        if _exists(con, "marts", "rpt_monthly_reconciliation"):
            console.print(
                _table(
                    "Monthly reconciliation (sum of days vs the API's Month figure)",
                    con,
                    """
                    select strftime(month, '%Y-%m') as month, count(*) as checks,
                           count(*) filter (where is_reconciled) as reconciled,
                           count(*) filter (where not is_reconciled) as not_reconciled
                    from marts.rpt_monthly_reconciliation
                    group by all order by all
                    """,
                    [],
                )
            )
        console.print(
            _table(
                "Marketplace ad P&L per month",
                con,
                """
                select strftime(month, '%Y-%m') as month, advertiser_id as advertiser, currency,
                       max(currency_minor_unit) as currency_minor_unit,
                       sum(media_cost) as media_cost, sum(ad_billing_amount) as ad_billing,
                       sum(ad_margin) as ad_margin, sum(commission_amount) as commission,
                       sum(contribution_margin) as contribution_margin
                from marts.fct_marketplace_pnl_monthly
                group by month, advertiser_id, currency order by all
                """,
                [],
                billed=("ad_billing", "ad_margin", "commission", "contribution_margin"),
                exact=("media_cost",),
            )
        )
        if _exists(con, "finance", "month_close_statements"):
            # closes older than currency_minor_unit rounded every billed amount to the cent
            minor_unit = (
                f"coalesce(max(currency_minor_unit), {LEGACY_CLOSE_MINOR_UNIT})"
                if _has_column(con, "finance", "month_close_statements", MINOR_UNIT)
                else str(LEGACY_CLOSE_MINOR_UNIT)
            )
            console.print(
                _table(
                    "Closed months",
                    con,
                    f"""
                    select strftime(month, '%Y-%m') as month, close_id, currency,
                           {minor_unit} as currency_minor_unit,
                           count(*) as sellers, sum(ad_billing_amount) as ad_billing
                    from finance.month_close_statements
                    group by month, close_id, currency order by all
                    """,
                    [],
                    billed=("ad_billing",),
                )
            )
