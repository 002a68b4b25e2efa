"""A short terminal report of the warehouse, read-only: totals, top sellers, checks, P&L."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table


def _table(title: str, con: duckdb.DuckDBPyConnection, sql: str, params: list) -> Table:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in _TEXT else "right")
    for row in cursor.fetchall():
        table.add_row(
            *(str(v) if c in _TEXT else _fmt(v) for c, v in zip(columns, row, strict=True))
        )
    return table


_TEXT = {"advertiser", "currency", "seller_name", "month", "close_id", "endpoint", "policy"}


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return con.execute(sql, [schema, name]).fetchall()[0][0] > 0


def totals_by_advertiser(warehouse: Path, start: date, end: date) -> list[tuple]:
    """(advertiser_id, currency, impressions, clicks, cost, revenue_any_seller) over the range."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """
            select advertiser_id, currency, sum(impressions)::bigint, sum(clicks)::bigint,
                   sum(cost), sum(revenue_any_seller)
            from marts.fct_campaign_stats_daily
            where report_date between ? and ?
            group by all order by all
            """,
            [start, end],
        ).fetchall()


def print_report(warehouse: Path, start: date, end: date, console: Console) -> None:
    """Print the demo report for report days ``start..end``."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
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
                       sum(media_cost) as media_cost, sum(ad_billing_amount) as ad_billing,
                       sum(ad_margin) as ad_margin, sum(commission_amount) as commission,
                       sum(contribution_margin) as contribution_margin
                from marts.fct_marketplace_pnl_monthly
                group by all order by all
                """,
                [],
            )
        )
        if _exists(con, "finance", "month_close_statements"):
            console.print(
                _table(
                    "Closed months",
                    con,
                    """
                    select strftime(month, '%Y-%m') as month, close_id, currency,
                           count(*) as sellers, sum(ad_billing_amount) as ad_billing
                    from finance.month_close_statements
                    group by all order by all
                    """,
                    [],
                )
            )
