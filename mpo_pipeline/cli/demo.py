"""``make demo``: the simulator, 60 complete days through Dagster and dbt, a month close, a report.

It ends by printing the published snapshot to open (``MPO_PUBLISHED_WAREHOUSE``), never the
pipeline's private warehouse.

Everything runs through the real definitions: the same assets, checks and dbt models as
production, only pointed at a local simulator. Running it again reloads the same days (the lake
replaces them, the incremental facts replace their window): the result is identical.
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from mpo_pipeline.config import Settings
from mpo_pipeline.core.dates import month_bounds, yesterday_in

DEMO_DAYS = 60


def run_demo(console: Console, days: int = DEMO_DAYS) -> int:
    """Run the demo end to end; return a process exit code."""
    from mpo_pipeline.simulator import SimulatorConfig, running_simulator

    started = time.monotonic()
    base = Settings.from_env(require_credentials=False)
    yesterday = yesterday_in(base.time_zone)
    start = demo_start(yesterday, days)
    # One clock: the simulator's "today" is the pipeline's (MPO_TODAY when set).
    config = SimulatorConfig(today=yesterday + timedelta(days=1))
    with running_simulator(config) as sim:
        console.print(f"[bold]simulator[/] {sim.url} (seed {config.seed}, today {sim.today})")
        os.environ.update(
            {
                "MPO_API_BASE_URL": sim.url,
                "MPO_CLIENT_ID": config.client_id,
                "MPO_CLIENT_SECRET": config.client_secret,
            }
        )
        if base.start_date > start:
            os.environ["MPO_START_DATE"] = start.isoformat()
        from mpo_pipeline.seller_portal.kpis import prepare_demo_seller_inputs

        # Example seller KPIs and a directory with spend caps, unless the user set their own.
        for name, path in prepare_demo_seller_inputs(
            config, base.data_dir, start, yesterday, time_zone=base.time_zone
        ).items():
            console.print(f"[bold]{name}[/] {path} (example)", highlight=False)
        settings = Settings.from_env()
        from mpo_pipeline.defs.ingest.partitions import range_tags
        from mpo_pipeline.runs.runner import prepare_environment, run_job

        prepare_environment(settings)
        loaded = (yesterday - start).days + 1
        console.print(f"[bold]load[/] {start}..{yesterday} ({loaded} days) through Dagster + dbt")
        summary = run_job(
            "load", tags=range_tags(start.isoformat(), yesterday.isoformat()), console=console
        )
        if not summary.success:
            console.print(f"[red bold]load failed:[/] {summary.error}")
            console.print(summary.where_to_look(), markup=False, highlight=False)
            return 1
        close_month = _last_complete_month(yesterday)
        if close_month >= start:
            if _close(console, close_month) != 0:
                return 1
        else:
            console.print(f"no complete month in {start}..{yesterday}: month close skipped")
        from mpo_pipeline.cli.report import print_report

        print_report(settings.target, start, yesterday, console)
    docs = _docs(console, settings)
    elapsed = time.monotonic() - started
    # The pipeline's own warehouse stays private (a reader there would block the next load):
    # point BI tools and notebooks at the snapshot every run publishes (docs/bi.md).
    published = settings.published_warehouse.resolve()
    console.print(
        f"open for BI (read-only snapshot, refreshed by every run): [bold]{published}[/]",
        highlight=False,
    )
    console.print(f"dbt docs:  [bold]{docs}[/]" if docs else "dbt docs:  run `make docs`")
    console.print(f"[green bold]demo done[/] in {elapsed:.0f} s")
    return 0


def _docs(console: Console, settings: Settings) -> Path | None:
    """Generate the dbt docs site; a failure is reported, not fatal (the data are loaded)."""
    from mpo_pipeline.cli.dbt_docs import generate_docs

    console.print("[bold]dbt docs generate[/]")
    try:
        return generate_docs(settings)
    except (RuntimeError, OSError) as exc:
        console.print(f"[yellow]dbt docs not generated:[/] {exc}")
        return None


def demo_start(yesterday: date, days: int = DEMO_DAYS) -> date:
    """First day loaded: ``days`` complete days back, earlier if needed to hold a whole month.

    With 60 days ending on the 30th of a 31-day month, the last complete month would miss its
    first day and could not be closed; the demo then starts on that month's first day instead.
    """
    start = yesterday - timedelta(days=days - 1)
    if days >= DEMO_DAYS:
        start = min(start, _last_complete_month(yesterday))
    return start


def _last_complete_month(yesterday: date) -> date:
    """First day of the newest month whose last day is at most ``yesterday``."""
    first, last = month_bounds(yesterday)
    if yesterday == last:
        return first
    return month_bounds(first - timedelta(days=1))[0]


def _close(console: Console, month: date) -> int:
    """Close the month (a re-run shows the standing close instead); return an exit code."""
    from mpo_pipeline.cli.finance import close_month

    return close_month(month, console, closed_by="make demo", already_closed_ok=True)
