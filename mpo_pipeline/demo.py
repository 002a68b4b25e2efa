"""``make demo``: the simulator, 60 complete days through Dagster and dbt, a month close, a report.

Everything runs through the real definitions: the same assets, checks and dbt models as
production, only pointed at a local simulator. Running it again reloads the same days (the lake
replaces them, the incremental facts replace their window): the result is identical.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from mpo_pipeline.config import Settings
from mpo_pipeline.dates import month_bounds, yesterday_in

DEMO_DAYS = 60


def run_demo(console: Console, days: int = DEMO_DAYS) -> int:
    """Run the demo end to end; return a process exit code."""
    from mpo_pipeline.simulator import SimulatorConfig, running_simulator

    started = time.monotonic()
    base = Settings.from_env(require_credentials=False)
    yesterday = yesterday_in(base.time_zone)
    start = yesterday - timedelta(days=days - 1)
    config = SimulatorConfig(today=datetime.now(UTC).date())
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
        settings = Settings.from_env()
        from mpo_pipeline.runner import prepare_environment, range_tags, run_job

        prepare_environment(settings)
        console.print(f"[bold]load[/] {start}..{yesterday} ({days} days) through Dagster + dbt")
        summary = run_job("load", tags=range_tags(start.isoformat(), yesterday.isoformat()))
        if not summary.success:
            console.print(f"[red bold]load failed:[/] {summary.error}")
            return 1
        close_month = _last_complete_month(yesterday)
        if close_month is not None and close_month >= start.replace(day=1):
            _close(console, close_month)
        from mpo_pipeline.report import print_report

        print_report(settings.warehouse.resolve(), start, yesterday, console)
    elapsed = time.monotonic() - started
    console.print(f"warehouse: [bold]{settings.warehouse.resolve()}[/] (open it read-only)")
    docs = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "index.html"
    console.print(f"dbt docs:  {docs if docs.exists() else 'run `make docs`'}")
    console.print(f"[green bold]demo done[/] in {elapsed:.0f} s")
    return 0


def _last_complete_month(yesterday):
    first, last = month_bounds(yesterday)
    if yesterday == last:
        return first
    return month_bounds(first - timedelta(days=1))[0]


def _close(console: Console, month) -> None:
    from mpo_pipeline.definitions import defs

    job_names = {job.name for job in defs().resolve_all_job_defs()}
    if "month_close" not in job_names:
        console.print("[yellow]month close is not available in this build; skipped[/]")
        return
    from mpo_pipeline.finance_cli import close_month

    close_month(month, console)
