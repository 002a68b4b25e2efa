"""The append-only close tables of schema ``finance``, created by Python only.

``finance.month_closes`` has one row per close (who, when, why, which run);
``finance.month_close_statements`` holds the statement rows each close froze. Both are only ever
inserted into: no code path updates or deletes them, and dbt declares them as sources (never as
models), so a ``dbt build --full-refresh`` cannot drop them.

A statements table created by an older version (money as DECIMAL(18, 4), no minor unit, no
rate-changed flag) is brought up to date before the next close writes to it: missing columns are
added with ``alter table ... add column`` (NULL in the older closes) and narrower money columns are
widened to the current type (lossless: every stored value stays the same). Readers select the
columns through :func:`statement_select_list`, so older closes stay readable even on a read-only
connection to a table that was never migrated.

The closes table gained ``source_snapshot_id`` (the DuckLake snapshot a close read the statement
from, NULL on a DuckDB file and in older closes) the same way: added when missing, read as NULL
through :func:`close_select_list` where it is not there yet.
"""

from __future__ import annotations

import re

import duckdb

from mpo_pipeline.warehouse.access import supports_keys, table_exists

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
    ("currency_minor_unit", "integer"),
    ("is_in_seller_directory", "boolean"),
    ("impressions", "bigint"),
    ("clicks", "bigint"),
    ("media_cost", "decimal(38, 9)"),
    ("ad_fee_rate", "decimal(10, 6)"),
    ("ad_fee_rate_changed_in_month", "boolean"),
    ("ad_billing_amount", "decimal(38, 4)"),
    ("sale_units_same_seller", "bigint"),
    ("revenue_same_seller", "decimal(38, 9)"),
    ("sale_units_any_seller", "bigint"),
    ("revenue_any_seller", "decimal(38, 9)"),
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
# Money rounded once to the currency's minor unit (shown with exactly that many decimals); the
# other money columns are exact sums of the API's figures (shown as they are).
BILLED_COLUMNS = ("ad_billing_amount",)
# Closes made before ``currency_minor_unit`` existed rounded every billed amount to the cent,
# whatever the currency: that is their minor unit (a fact about those rows, not a default).
LEGACY_CLOSE_MINOR_UNIT = 2
EXACT_MONEY_COLUMNS = tuple(c for c in MONEY_COLUMNS if c not in BILLED_COLUMNS)
# Additive statement columns in statement order: what totals and adjustments are made of.
ADDITIVE_COLUMNS = tuple(c for c, _ in STATEMENT_COLUMNS if c in COUNT_COLUMNS + MONEY_COLUMNS)

# Columns of finance.month_closes added after its first version, with their types.
LATER_CLOSE_COLUMNS = {"source_snapshot_id": "bigint"}

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
    statement_rows bigint not null,
    source_snapshot_id bigint
)
"""

_KEY_COLUMNS = ("month", "advertiser_id", "seller_id", "currency")
_statement_columns = ",\n    ".join(
    f"{name} {typ}{' not null' if name in _KEY_COLUMNS else ''}" for name, typ in STATEMENT_COLUMNS
)
STATEMENTS_DDL = f"""
create table if not exists {STATEMENTS_TABLE} (
    close_id bigint not null,
    closed_at timestamp with time zone not null,
    {_statement_columns},
    -- currency: a month in which an advertiser's currency changed has a row per currency
    primary key (close_id, advertiser_id, seller_id, currency)
)
"""


def ensure_finance_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``finance`` and both close tables when missing; bring older tables up to date
    (add the missing columns, widen narrower money columns; no row changes)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    if supports_keys(con):
        con.execute(CLOSES_DDL)
        con.execute(STATEMENTS_DDL)
    else:
        # A DuckLake has no PRIMARY KEY/UNIQUE constraints: the same tables without their keys.
        # close_id stays unique because a close is only ever written under the writer lock, in
        # one transaction that reads max(close_id).
        con.execute(_without_keys(CLOSES_DDL))
        con.execute(_without_keys(STATEMENTS_DDL))
    have = table_columns(con, SCHEMA, "month_closes")
    for name, typ in LATER_CLOSE_COLUMNS.items():
        if name not in have:
            con.execute(f"alter table {CLOSES_TABLE} add column {name} {typ}")
    existing = table_columns(con, SCHEMA, "month_close_statements")
    for name, typ in STATEMENT_COLUMNS:
        if name not in existing:
            con.execute(f"alter table {STATEMENTS_TABLE} add column {name} {typ}")
        elif _is_narrower_decimal(existing[name], typ):
            con.execute(f"alter table {STATEMENTS_TABLE} alter column {name} set data type {typ}")


def _without_keys(ddl: str) -> str:
    """``ddl`` without its primary key (column constraint, table constraint and its comment)."""
    kept = [
        line.replace(" primary key", " not null")
        for line in ddl.splitlines()
        if not line.strip().startswith(("primary key", "-- currency: a month"))
    ]
    return "\n".join(kept).replace(",\n)", "\n)")


def close_minor_unit(stored: int | None) -> int:
    """The minor unit a close row's billed amounts were rounded to (its currency_minor_unit)."""
    return LEGACY_CLOSE_MINOR_UNIT if stored is None else int(stored)


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """column name -> DuckDB type (e.g. ``DECIMAL(18,4)``) of ``schema.table`` ({} if absent)."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return dict(rows)


def statement_select_list(con: duckdb.DuckDBPyConnection) -> str:
    """The select list of STATEMENT_COLUMNS from ``finance.month_close_statements``: a column the
    table does not have yet (a close table older than the column) reads as a typed NULL."""
    existing = table_columns(con, SCHEMA, "month_close_statements")
    return ", ".join(
        name if name in existing else f"cast(null as {typ}) as {name}"
        for name, typ in STATEMENT_COLUMNS
    )


def close_select_list(con: duckdb.DuckDBPyConnection, names: list[str]) -> str:
    """The select list of ``names`` from ``finance.month_closes``: a later column the table does
    not have yet reads as a typed NULL (a close table older than it, on a read-only connection)."""
    existing = table_columns(con, SCHEMA, "month_closes")
    return ", ".join(
        name
        if name in existing or name not in LATER_CLOSE_COLUMNS
        else f"cast(null as {LATER_CLOSE_COLUMNS[name]}) as {name}"
        for name in names
    )


_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)", re.IGNORECASE)


def _is_narrower_decimal(current: str, wanted: str) -> bool:
    """Whether DECIMAL ``current`` holds fewer integer or fraction digits than ``wanted`` (so a
    change of type to ``wanted`` keeps every value)."""
    have, want = _DECIMAL.fullmatch(current.strip()), _DECIMAL.fullmatch(wanted.strip())
    if not have or not want:
        return False
    (hp, hs), (wp, ws) = (map(int, have.groups()), map(int, want.groups()))
    return (hp - hs, hs) != (wp - ws, ws) and hp - hs <= wp - ws and hs <= ws


def finance_tables_exist(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether both close tables exist (i.e. some month was ever closed or prepared)."""
    return table_exists(con, SCHEMA, "month_closes") and table_exists(
        con, SCHEMA, "month_close_statements"
    )
