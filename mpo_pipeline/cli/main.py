"""``mpo-pipeline``: the command line behind the Makefile targets."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import duckdb
from rich.console import Console
from rich.markup import escape

from mpo_pipeline.config import ConfigError, Settings
from mpo_pipeline.core.object_store import storage_errors

# Reports are wide tables: don't squeeze them to 80 columns when piped to a file or CI log.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 150)


def _load(args: argparse.Namespace) -> int:
    from mpo_pipeline.core.dates import validate_load_range
    from mpo_pipeline.defs.ingest.partitions import range_tags
    from mpo_pipeline.runs.runner import prepare_environment, run_job

    settings = Settings.from_env()
    start, end = validate_load_range(
        args.start, args.end, first_day=settings.start_date, time_zone=settings.time_zone
    )
    prepare_environment(settings)
    console.print(
        f"[bold]load[/] {start}..{end} ({(end - start).days + 1} days, {settings.time_zone}) "
        f"from {settings.api_base_url} API {settings.api_version}"
    )
    summary = run_job("load", tags=range_tags(start.isoformat(), end.isoformat()), console=console)
    return _report(summary)


PUBLISHED_ASSET = "published_warehouse"


def _published_line(meta: dict) -> None:
    """Where BI finds the snapshot this run published (from the asset's metadata)."""
    console.print(
        f"published for BI (open read-only): [bold]{meta.get('path')}[/] "
        f"({meta.get('tables')} tables, {meta.get('rows')} rows, "
        f"{meta.get('publish_seconds')} s)",
        highlight=False,
    )


def _report(summary) -> int:
    from rich.table import Table

    table = Table(title=f"run {summary.run_id}")
    for column in ("asset", "rows", "files", "api calls", "retries"):
        table.add_column(column)
    for key, meta in sorted(summary.materializations.items()):
        table.add_row(
            key,
            str(meta.get("rows", "")),
            str(meta.get("files_written", "")),
            str(meta.get("api_calls", "")),
            str(meta.get("retries", "")),
        )
    console.print(table)
    for check in summary.failed_checks:
        console.print(f"[red]check failed:[/] {check}")
    if PUBLISHED_ASSET in summary.materializations:
        _published_line(summary.materializations[PUBLISHED_ASSET])
    if not summary.success:
        console.print(f"[red bold]run failed[/]: {summary.error or 'see below'}")
        console.print(summary.where_to_look(), markup=False, highlight=False)
        return 1
    console.print("[green bold]done[/]")
    return 0


def _close(args: argparse.Namespace) -> int:
    from mpo_pipeline.cli.finance import close_month
    from mpo_pipeline.core.dates import parse_month

    if args.reopen and not (args.reason or "").strip():
        raise ValueError('--reopen needs --reason "..." (it is recorded with the new close)')
    code = close_month(
        parse_month(args.month),
        console,
        reopen=args.reopen,
        reason=args.reason,
        closed_by=args.closed_by,
    )
    if code == 0:
        _show_publication(Settings.from_env(require_credentials=False).published_warehouse)
    return code


def _show_publication(path) -> int:
    """Print what BI sees at ``path`` (``meta.published_at``); 1 when nothing is published."""
    import duckdb

    from mpo_pipeline.warehouse.publish import read_publication

    path = path.resolve()
    try:
        row = read_publication(path)
    except (duckdb.Error, OSError) as exc:
        console.print(f"[red bold]cannot read[/] {path}: {exc}", highlight=False)
        return 1
    if row is None:
        console.print(
            f"nothing published at {path} yet: it appears after the first successful load "
            "(or run `mpo-pipeline publish`)",
            highlight=False,
        )
        return 1
    console.print(
        f"published for BI (open read-only): [bold]{path}[/]\n"
        f"  published_at {row['published_at'].isoformat()} by run {row['run_id'] or '-'}: "
        f"{row['tables']} tables ({row['schemas']}), {row['rows']} rows",
        highlight=False,
    )
    return 0


def _publish(args: argparse.Namespace) -> int:
    from mpo_pipeline.runs.runner import prepare_environment, run_job
    from mpo_pipeline.warehouse.access import describe, warehouse_exists

    settings = Settings.from_env(require_credentials=False)
    if not warehouse_exists(settings.target):
        raise ValueError(
            f"the warehouse {describe(settings.target)} does not exist yet: nothing to "
            "publish (run make load first)"
        )
    prepare_environment(settings)
    console.print(
        f"[bold]publish[/] {describe(settings.target)} -> {settings.published_warehouse.resolve()}",
        highlight=False,
    )
    return _report(run_job("publish", tags={"mpo/trigger": "cli"}, console=console))


def _published(args: argparse.Namespace) -> int:
    settings = Settings.from_env(require_credentials=False)
    return _show_publication(settings.published_warehouse)


def _export_statement(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mpo_pipeline.cli.finance import export_statement
    from mpo_pipeline.core.dates import parse_month

    return export_statement(
        parse_month(args.month), Path(args.out), console, fmt=args.format, as_closed=args.as_closed
    )


def _docs(args: argparse.Namespace) -> int:
    from mpo_pipeline.cli.dbt_docs import generate_docs
    from mpo_pipeline.warehouse.access import describe

    settings = Settings.from_env(require_credentials=False)
    console.print(f"[bold]dbt docs generate[/] for {describe(settings.target)}", highlight=False)
    try:
        index = generate_docs(settings, on_wait=console.print)
    except RuntimeError as exc:
        console.print(f"[red bold]error:[/] {exc}", soft_wrap=True)  # one line: paths stay whole
        return 1
    console.print(f"dbt docs: [bold]{index}[/] (open it in a browser)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mpo_pipeline.cli.demo import run_demo

    return run_demo(console, days=args.days)


def _dev(args: argparse.Namespace) -> int:
    from mpo_pipeline.cli.devserver import run_dev

    return run_dev(port=args.port)


def _serve_sellers(args: argparse.Namespace) -> int:
    from mpo_pipeline.seller_portal.commands import serve_sellers

    return serve_sellers(args)


def _seller_keys(args: argparse.Namespace) -> int:
    from mpo_pipeline.seller_portal.commands import seller_keys

    return seller_keys(args, console)


def _simulator(argv: list[str]) -> int:
    from mpo_pipeline.simulator.cli import main

    return main(argv)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "load": _load,
    "demo": _demo,
    "dev": _dev,
    "docs": _docs,
    "close": _close,
    "export-statement": _export_statement,
    "publish": _publish,
    "published": _published,
    "serve-sellers": _serve_sellers,
    "seller-keys": _seller_keys,
}


def build_parser() -> argparse.ArgumentParser:
    """The ``mpo-pipeline`` argument parser."""
    parser = argparse.ArgumentParser(prog="mpo-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("simulator", help="serve the local MPO API simulator", add_help=False)
    load = sub.add_parser("load", help="ingest + dbt for an inclusive date range, in one run")
    load.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    load.add_argument("--end", required=True, help="last day, YYYY-MM-DD (at most yesterday)")
    demo = sub.add_parser("demo", help="simulator + last 60 days + month close + report")
    demo.add_argument("--days", type=int, default=60, help="complete days to load (default 60)")
    close = sub.add_parser("close", help="month close: control totals, reconciliation, snapshot")
    close.add_argument("--month", required=True, help="month to close, YYYY-MM")
    close.add_argument("--reopen", action="store_true", help="close an already closed month again")
    close.add_argument("--reason", help="why (required with --reopen; recorded)")
    close.add_argument("--closed-by", help="who closes (default: the current user)")
    export = sub.add_parser("export-statement", help="the latest closed statement as CSV/Parquet")
    export.add_argument("--month", required=True, help="closed month, YYYY-MM")
    export.add_argument("--out", required=True, help="file to write: .csv or .parquet")
    export.add_argument(
        "--format",
        choices=["auto", "csv", "parquet", "both"],
        default="auto",
        help="auto (by --out suffix, default), csv, parquet, or both (FILE.csv and FILE.parquet)",
    )
    export.add_argument(
        "--as-closed",
        action="store_true",
        help="rebuild the statement from the DuckLake snapshot the close read and check it equals "
        "the close (time travel: DuckLake warehouse only)",
    )
    sub.add_parser("publish", help="publish the warehouse for BI now (read-only snapshot)")
    sub.add_parser("published", help="where BI's read-only snapshot is and how fresh it is")
    sub.add_parser("docs", help="dbt docs generate (offline) for the warehouse")
    dev = sub.add_parser("dev", help="the Dagster UI against the simulator")
    dev.add_argument("--port", type=int, default=3000, help="UI port on 127.0.0.1")
    from mpo_pipeline.seller_portal.commands import add_parsers

    add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulator"]:
        return _simulator(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, ValueError) as exc:
        console.print(f"[red bold]error:[/] {exc}", soft_wrap=True)  # one line: paths stay whole
        return 2
    except duckdb.Error as exc:
        # The warehouse out of reach (a DuckLake catalog down, a file locked): the message, not a
        # traceback; warehouse.access has already masked any password in it.
        console.print(f"[red bold]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    except storage_errors() as exc:
        # The lake out of reach (an S3 endpoint down, access denied, no such bucket), or a disk
        # error: what failed, not a traceback. Keys are never part of these messages.
        reason = str(exc) or type(exc).__name__
        console.print(f"[red bold]error:[/] {escape(reason)}", soft_wrap=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
