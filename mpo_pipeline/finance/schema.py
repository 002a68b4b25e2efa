"""The append-only close tables of schema ``finance`` (DESIGN.md §7), created by Python only.

``finance.month_closes`` has one row per close (who, when, why, which run);
``finance.month_close_statements`` holds the statement rows each close froze. Both are only ever
inserted into: no code path updates or deletes them, and dbt declares them as sources (never as
models), so a ``dbt build --full-refresh`` cannot drop them.
"""

from __future__ import annotations

import duckdb

SCHEMA = "finance"
CLOSES_TABLE = f"{SCHEMA}.month_closes"
STATEMENTS_TABLE = f"{SCHEMA}.month_close_statements"

# The columns of marts.fct_seller_monthly_statement that a close freezes, with their types.
STATEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("month", "date"),
    ("advertiser_id", "bigint"),
    ("seller_id", "bigint"),
    ("seller_name", "varchar"),
    ("currency", "varchar"),
    ("is_in_seller_directory", "boolean"),
    ("impressions", "bigint"),
    ("clicks", "bigint"),
    ("media_cost", "decimal(18, 4)"),
    ("ad_fee_rate", "decimal(10, 6)"),
    ("ad_billing_amount", "decimal(18, 4)"),
    ("sale_units_same_seller", "bigint"),
    ("revenue_same_seller", "decimal(18, 4)"),
    ("sale_units_any_seller", "bigint"),
    ("revenue_any_seller", "decimal(18, 4)"),
    ("cr_same_seller", "double"),
    ("cpo_same_seller", "double"),
    ("cos_same_seller", "double"),
    ("roas_same_seller", "double"),
    ("cr_any_seller", "double"),
    ("cpo_any_seller", "double"),
    ("cos_any_seller", "double"),
    ("roas_any_seller", "double"),
)
COUNT_COLUMNS = (
    "impressions",
    "clicks",
    "sale_units_same_seller",
    "sale_units_any_seller",
)
MONEY_COLUMNS = (
    "media_cost",
    "ad_billing_amount",
    "revenue_same_seller",
    "revenue_any_seller",
)
# Additive statement columns in statement order: what totals and adjustments are made of.
ADDITIVE_COLUMNS = tuple(c for c, _ in STATEMENT_COLUMNS if c in COUNT_COLUMNS + MONEY_COLUMNS)

CLOSES_DDL = f"""
create table if not exists {CLOSES_TABLE} (
    close_id bigint primary key,
    month date not null,
    close_version integer not null,
    closed_at timestamp with time zone not null,
    closed_by varchar not null,
    reason varchar,
    is_reopen boolean not null,
    run_id varchar,
    statement_rows bigint not null
)
"""

_statement_columns = ",\n    ".join(
    f"{name} {typ}{' not null' if name in ('month', 'advertiser_id', 'seller_id') else ''}"
    for name, typ in STATEMENT_COLUMNS
)
STATEMENTS_DDL = f"""
create table if not exists {STATEMENTS_TABLE} (
    close_id bigint not null,
    closed_at timestamp with time zone not null,
    {_statement_columns},
    primary key (close_id, advertiser_id, seller_id)
)
"""


def ensure_finance_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``finance`` and both close tables when missing (never alters existing ones)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(CLOSES_DDL)
    con.execute(STATEMENTS_DDL)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists in the connected database."""
    rows = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return rows[0][0] > 0


def finance_tables_exist(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether both close tables exist (i.e. some month was ever closed or prepared)."""
    return table_exists(con, SCHEMA, "month_closes") and table_exists(
        con, SCHEMA, "month_close_statements"
    )
