"""``mpo-pipeline close`` and ``export-statement``: month close and statement export for finance.

``close_month`` is what both the CLI and ``make demo`` call: it checks what it can without the API
(month over, days in the lake, not closed yet), then runs the Dagster job ``month_close`` for that
month (control totals, reconciliation with its blocking check, the close, the adjustments) and
prints the closed statement's totals per advertiser and currency.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from mpo_pipeline.config import Settings, WarehouseTarget
from mpo_pipeline.core.dates import month_bounds, today_in
from mpo_pipeline.core.object_store import resolved
from mpo_pipeline.finance import money, readiness
from mpo_pipeline.finance.close import (
    CloseRecord,
    CloseRequest,
    close_totals,
    get_close,
    latest_close,
)
from mpo_pipeline.finance.close import permission_problems as close_permission_problems
from mpo_pipeline.finance.schema import BILLED_COLUMNS, EXACT_MONEY_COLUMNS
from mpo_pipeline.warehouse.access import connect_existing, describe

CLOSE_JOB = "month_close"
CLOSE_OP = "close_month_snapshot"  # the close asset's op (mpo_pipeline.defs.finance.common)
CLOSE_ASSET = "finance/month_close_statements"
FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "


def close_month(
    month: date,
    console: Console,
    *,
    reopen: bool = False,
    reason: str | None = None,
    closed_by: str | None = None,
    already_closed_ok: bool = False,
) -> int:
    """Close ``month`` through Dagster and print its totals; return a process exit code.

    A month that is already closed (and no ``reopen``) is shown, not closed again: exit code 1,
    or 0 with ``already_closed_ok`` (the demo's idempotent re-run).
    """
    from mpo_pipeline.runs.runner import prepare_environment, run_job

    month = month.replace(day=1)
    settings = Settings.from_env()
    prepare_environment(settings)
    request = CloseRequest(
        month=month, closed_by=closed_by or _user(), reason=reason, reopen=reopen
    )
    if not reopen and _show_standing_close(console, settings, month):
        return 0 if already_closed_ok else 1
    problems = preflight_problems(settings, request)
    if problems:
        return _refused(console, month, problems)
    verb = "reopen and close" if reopen else "close"
    console.print(f"[bold]{verb}[/] {month:%Y-%m} (control totals, reconciliation, snapshot)")
    config = {"closed_by": request.closed_by, "reopen": reopen, "reason": reason}
    summary = run_job(
        CLOSE_JOB,
        partition_key=month.isoformat(),
        run_config={"ops": {CLOSE_OP: {"config": config}}},
        tags={"mpo/trigger": "cli", "mpo/closed_by": request.closed_by},
        console=console,
    )
    if not summary.success:
        details = failed_check_details(summary.run_id)
        error = (summary.error or "see the Dagster logs").removeprefix(FAILURE_PREFIX)
        code = _refused(console, month, details or [error])
        console.print(summary.where_to_look(), markup=False, highlight=False)
        return code
    close_id = int(summary.materializations[CLOSE_ASSET]["close_id"])
    with read_only(settings.target) as con:
        record = get_close(con, close_id) if con is not None else None
        totals = close_totals(con, close_id) if record is not None else []
    if record is None:  # the run reported a close that is not in the warehouse it reads
        where = describe(settings.target)
        return _refused(console, month, [f"close {close_id} not found in {where}"])
    print_close(console, record, totals)
    return 0


def preflight_problems(settings: Settings, request: CloseRequest) -> list[str]:
    """What already rules the close out, before any API call or dbt run."""
    month = request.month
    first_month = settings.start_date.replace(day=1)
    if month < first_month:
        return [f"{month:%Y-%m} is before MPO_START_DATE ({settings.start_date})"]
    today = today_in(settings.time_zone)
    if not readiness.month_is_over(month, today):
        last = month_bounds(month)[1]
        return [f"{month:%Y-%m} is not over: its last day {last} is not complete ({today} today)"]
    problems: list[str] = []
    with read_only(settings.target) as con:
        if con is not None:
            problems += close_permission_problems(con, request)
    lake = resolved(settings.lake_dir)
    advertisers = list(settings.advertiser_ids) or readiness.advertisers_in_lake(lake, month)
    if not advertisers:
        return [*problems, f"nothing of {month:%Y-%m} is in the lake {lake}: load the month first"]
    missing = readiness.missing_files(
        lake, month, advertisers, settings.attribution_policies, control=False
    )
    if missing:
        first, last = month_bounds(month)
        problems.append(
            f"{len(missing)} day file(s) not loaded:\n{readiness.summarize(missing)}\n"
            f"  load them with: make load START={first} END={last}"
        )
    return problems


@contextmanager
def read_only(
    target: WarehouseTarget | Path,
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection on the warehouse, None if it does not exist yet; a locked or
    unreachable warehouse becomes a ValueError that says so."""
    try:
        con = connect_existing(target)
    except duckdb.Error as exc:
        raise ValueError(
            f"cannot read the warehouse {describe(target)} (is a load or close writing it?): {exc}"
        ) from None
    if con is None:
        yield None
        return
    with con:
        yield con


def failed_check_details(run_id: str) -> list[str]:
    """The descriptions of the asset checks that failed in a run (what to fix, in words)."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    details = []
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            details.append(f"check {evaluation.check_name} failed: {evaluation.description}")
    return details


def print_close(console: Console, record: CloseRecord, totals: list[dict]) -> None:
    """The closed statement's totals per advertiser and currency, as a table: billed amounts with
    the currency's minor unit (whole yen, euro cents), exact amounts as they are."""
    title = (
        f"{record.month:%Y-%m} closed: close_id {record.close_id} "
        f"(version {record.close_version}) by {record.closed_by}"
    )
    table = Table(title=title)
    columns = [
        ("advertiser", "advertiser_id"),
        ("currency", "currency"),
        ("sellers", "sellers"),
        ("impressions", "impressions"),
        ("clicks", "clicks"),
        ("media cost", "media_cost"),
        ("ad billing", "ad_billing_amount"),
        ("units same", "sale_units_same_seller"),
        ("revenue same", "revenue_same_seller"),
        ("units any", "sale_units_any_seller"),
        ("revenue any", "revenue_any_seller"),
    ]
    for label, _ in columns:
        table.add_column(label, justify="left" if label == "currency" else "right")
    for row in totals:
        digits = row["currency_minor_unit"]
        cells = (_cell(key, row[key], digits) for _, key in columns[1:])
        table.add_row(str(row["advertiser_id"]), *cells)
    console.print(table)
    if record.reason:
        console.print(f"reason: {record.reason}")


def export_statement(
    month: date, out: Path, console: Console, fmt: str = "auto", *, as_closed: bool = False
) -> int:
    """Write the latest close of ``month`` to ``out`` (CSV and/or Parquet); return an exit code.

    ``as_closed``: the statement rebuilt from the DuckLake snapshot the close read, written only if
    it equals the frozen rows (a DuckDB file has no time travel: ExportError, exit code 2)."""
    from mpo_pipeline.finance.export import export_statement as export

    settings = Settings.from_env(require_credentials=False)
    written = export(settings.target, month.replace(day=1), out, fmt, as_closed=as_closed)
    if as_closed:
        console.print(
            f"{month:%Y-%m}: rebuilt from the DuckLake snapshot its latest close read; "
            "equal to the frozen close rows"
        )
    for path in written:
        console.print(f"[green]wrote[/] {path}")
    return 0


def _show_standing_close(console: Console, settings: Settings, month: date) -> bool:
    """If ``month`` is closed, say so (how to close it again) and show its totals; else False."""
    with read_only(settings.target) as con:
        record = latest_close(con, month) if con is not None else None
        if record is None:
            return False
        totals = close_totals(con, record.close_id)
    console.print(
        f"[yellow bold]{month:%Y-%m} is already closed[/] (close_id {record.close_id}, "
        f"{record.closed_at:%Y-%m-%d %H:%M} UTC by {record.closed_by}): not closed again; "
        'to replace it, pass --reopen --reason "..."'
    )
    print_close(console, record, totals)
    return True


def _refused(console: Console, month: date, problems: list[str]) -> int:
    console.print(f"[red bold]{month:%Y-%m} not closed:[/]")
    for problem in problems:
        text = problem.replace("\n", "\n    ")  # nest a problem's own list under it
        console.print(f"  - {text}", markup=False, highlight=False)
    return 1


def _cell(key: str, value: object, digits: int) -> str:
    if value is None:
        return "—"
    if key in BILLED_COLUMNS:
        return money.billed(value, digits, grouping=True)
    if key in EXACT_MONEY_COLUMNS:
        return money.exact(value, digits, grouping=True)
    if isinstance(value, Decimal):
        return f"{value:,f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
