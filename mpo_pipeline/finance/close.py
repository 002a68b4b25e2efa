"""Month close: refuse an incomplete or unreconciled month, else freeze its statement.

A close appends one row to ``finance.month_closes`` and the month's rows of
``marts.fct_seller_monthly_statement`` to ``finance.month_close_statements`` under a new
``close_id``, in one transaction. On a DuckLake the close also records the snapshot it read the
statement at (``source_snapshot_id``): the statement can be rebuilt from it later (time travel).
A closed month is closed again only with ``reopen`` and a reason; earlier closes stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from mpo_pipeline.finance import readiness
from mpo_pipeline.finance.schema import (
    CLOSES_TABLE,
    SCHEMA,
    STATEMENT_COLUMNS,
    STATEMENTS_TABLE,
    close_minor_unit,
    close_select_list,
    ensure_finance_tables,
    finance_tables_exist,
    table_columns,
)
from mpo_pipeline.warehouse.access import current_snapshot_id
from mpo_pipeline.warehouse.access import rows as query_rows

STATEMENT = "marts.fct_seller_monthly_statement"


class CloseRefused(Exception):
    """The month cannot be closed; ``problems`` says why, one reason a line."""

    def __init__(self, month: date, problems: Sequence[str]) -> None:
        self.month = month
        self.problems = list(problems)
        super().__init__(
            f"month {month:%Y-%m} not closed:\n" + "\n".join(f"- {p}" for p in self.problems)
        )


@dataclass(frozen=True)
class CloseRequest:
    """Who asks to close which month, and whether it reopens an earlier close."""

    month: date
    closed_by: str
    reason: str | None = None
    reopen: bool = False
    run_id: str | None = None


@dataclass(frozen=True)
class CloseRecord:
    """One row of ``finance.month_closes``."""

    close_id: int
    month: date
    close_version: int
    closed_at: datetime
    closed_by: str
    reason: str | None
    is_reopen: bool
    run_id: str | None
    statement_rows: int
    # The DuckLake snapshot the close read the statement mart at; None on a DuckDB file and for
    # closes made before the column existed.
    source_snapshot_id: int | None = None


_RECORD_COLUMNS = ", ".join(f.name for f in fields(CloseRecord))


def _record_select_list(con: duckdb.DuckDBPyConnection) -> str:
    return close_select_list(con, [f.name for f in fields(CloseRecord)])


@dataclass(frozen=True)
class MonthContext:
    """What readiness is judged against: the lake, the advertisers, the policies, today."""

    lake_dir: Path
    today: date
    policies: Sequence[str]
    advertisers: Sequence[int] = field(default_factory=tuple)


def latest_close(con: duckdb.DuckDBPyConnection, month: date) -> CloseRecord | None:
    """The close that stands for ``month`` (highest close_id), or None if never closed."""
    if not finance_tables_exist(con):
        return None
    rows = con.execute(
        f"select {_record_select_list(con)} from {CLOSES_TABLE} where month = ? "
        "order by close_id desc limit 1",
        [month.replace(day=1)],
    ).fetchall()
    return CloseRecord(*rows[0]) if rows else None


def get_close(con: duckdb.DuckDBPyConnection, close_id: int) -> CloseRecord | None:
    """One close by its id, or None."""
    if not finance_tables_exist(con):
        return None
    rows = con.execute(
        f"select {_record_select_list(con)} from {CLOSES_TABLE} where close_id = ?", [close_id]
    ).fetchall()
    return CloseRecord(*rows[0]) if rows else None


def readiness_problems(con: duckdb.DuckDBPyConnection, month: date, ctx: MonthContext) -> list[str]:
    """Why the month is not complete: not over, files missing, or not reconciled."""
    first = month.replace(day=1)
    if not readiness.month_is_over(first, ctx.today):
        return [f"{first:%Y-%m} is not over yet (today is {ctx.today})"]
    advertisers = list(ctx.advertisers) or readiness.advertisers_in_lake(ctx.lake_dir, first)
    if not advertisers:
        return [f"nothing of {first:%Y-%m} is in the lake {ctx.lake_dir}: load the month first"]
    problems = []
    missing = readiness.missing_files(ctx.lake_dir, first, advertisers, ctx.policies)
    if missing:
        problems.append(
            f"{len(missing)} lake file(s) missing (days not loaded or control totals not "
            f"fetched):\n{readiness.summarize(missing)}"
        )
    failures = readiness.reconciliation_failures(con, first, advertisers, ctx.policies)
    if failures:
        problems.append(
            f"{len(failures)} reconciliation failure(s) (daily sum vs the API's Month figure):\n"
            f"{readiness.summarize(failures)}"
        )
    return problems


def permission_problems(con: duckdb.DuckDBPyConnection, request: CloseRequest) -> list[str]:
    """Why this request may not close the month even if it is complete (closed, no reason)."""
    previous = latest_close(con, request.month)
    if request.reopen and not (request.reason or "").strip():
        return ["reopen needs a reason (it is recorded with the new close)"]
    if previous is not None and not request.reopen:
        return [
            f"{request.month:%Y-%m} is already closed (close_id {previous.close_id}, "
            f"{previous.closed_at:%Y-%m-%d %H:%M} UTC by {previous.closed_by}); "
            "reopen with a reason to close it again"
        ]
    return []


def close_month(
    con: duckdb.DuckDBPyConnection,
    request: CloseRequest,
    ctx: MonthContext,
    *,
    now: datetime | None = None,
) -> CloseRecord:
    """Check the month and the request, then freeze the statement; raise CloseRefused if not."""
    problems = permission_problems(con, request) + readiness_problems(con, request.month, ctx)
    if problems:
        raise CloseRefused(request.month, problems)
    return record_close(con, request, now=now)


def record_close(
    con: duckdb.DuckDBPyConnection, request: CloseRequest, *, now: datetime | None = None
) -> CloseRecord:
    """Append the close and its statement rows in one transaction (no checks: see close_month)."""
    month = request.month.replace(day=1)
    closed_at = (now or datetime.now(UTC)).astimezone(UTC)
    columns = ", ".join(name for name, _ in STATEMENT_COLUMNS)
    ensure_finance_tables(con)
    con.execute("begin transaction")
    try:
        # A DuckLake transaction reads one snapshot from its start: the one the statement is read at
        snapshot = current_snapshot_id(con)
        close_id, version = con.execute(
            f"select coalesce(max(close_id), 0) + 1, "
            f"coalesce(max(close_version) filter (where month = ?), 0) + 1 from {CLOSES_TABLE}",
            [month],
        ).fetchall()[0]
        con.execute(
            f"insert into {STATEMENTS_TABLE} (close_id, closed_at, {columns}) "
            f"select ?, ?, {columns} from {STATEMENT} where month = ? "
            "order by advertiser_id, seller_id",
            [close_id, closed_at, month],
        )
        rows = con.execute(
            f"select count(*) from {STATEMENTS_TABLE} where close_id = ?", [close_id]
        ).fetchall()[0][0]
        record = CloseRecord(
            close_id=close_id,
            month=month,
            close_version=version,
            closed_at=closed_at,
            closed_by=request.closed_by,
            reason=request.reason,
            # A "reopen" of a month never closed is simply its first close.
            is_reopen=version > 1,
            run_id=request.run_id,
            statement_rows=rows,
            source_snapshot_id=snapshot,
        )
        values = [getattr(record, f.name) for f in fields(CloseRecord)]
        con.execute(
            f"insert into {CLOSES_TABLE} ({_RECORD_COLUMNS}) "
            f"values ({', '.join('?' for _ in values)})",
            values,
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return record


def close_totals(con: duckdb.DuckDBPyConnection, close_id: int) -> list[dict]:
    """The frozen statement of one close, summed per advertiser and currency: exact money summed
    exactly, billed amounts summed (each already at the minor unit), and the minor unit they were
    rounded to (``currency_minor_unit``; the cent for closes made before the column existed)."""
    has_minor_unit = "currency_minor_unit" in table_columns(con, SCHEMA, "month_close_statements")
    stored_minor_unit = "max(currency_minor_unit)" if has_minor_unit else "cast(null as integer)"
    totals = query_rows(
        con,
        f"""
        select advertiser_id, currency, {stored_minor_unit} as currency_minor_unit,
               count(*) as sellers,
               cast(sum(impressions) as bigint) as impressions,
               cast(sum(clicks) as bigint) as clicks,
               sum(media_cost) as media_cost,
               sum(ad_billing_amount) as ad_billing_amount,
               cast(sum(sale_units_same_seller) as bigint) as sale_units_same_seller,
               sum(revenue_same_seller) as revenue_same_seller,
               cast(sum(sale_units_any_seller) as bigint) as sale_units_any_seller,
               sum(revenue_any_seller) as revenue_any_seller
        from {STATEMENTS_TABLE}
        where close_id = ?
        group by advertiser_id, currency
        order by advertiser_id, currency
        """,
        [close_id],
    )
    for total in totals:
        total["currency_minor_unit"] = close_minor_unit(total["currency_minor_unit"])
    return totals
