"""Command-line runs show one line per finished step, read from the run's event log."""

from __future__ import annotations

import uuid

import dagster as dg
from rich.console import Console

from mpo_pipeline.runs.progress import (
    QUIET_LOGGING,
    RunProgress,
    materialization_detail,
    step_line,
)


@dg.asset
def first_step() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"files_written": 3, "rows": 1234})


@dg.asset(deps=[first_step])
def second_step() -> None:
    return None


@dg.asset(deps=[second_step])
def failing_step() -> None:
    raise RuntimeError("boom")


def test_step_line_and_detail():
    assert materialization_detail({"files_written": 60, "rows": 5400}) == "60 files, 5,400 rows"
    assert materialization_detail({"start": "2026-01-01"}) == ""
    line = step_line("mpo_metadata", True, 1.25, "5 files")
    assert line.startswith("[green]✓[/] mpo_metadata ") and line.endswith("1.2 s  5 files")
    assert step_line("dbt_rollups", False, None).startswith("[red]✗[/] dbt_rollups")


def _run(selection: list) -> tuple[bool, str]:
    job = dg.define_asset_job("progress_job", selection=selection).resolve(
        asset_graph=dg.Definitions(
            assets=[first_step, second_step, failing_step]
        ).resolve_asset_graph()
    )
    console = Console(record=True, width=200, force_terminal=False)
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.get() as instance, RunProgress(console, run_id, "test", 3):
        result = job.execute_in_process(
            instance=instance, run_id=run_id, run_config=QUIET_LOGGING, raise_on_error=False
        )
    return result.success, console.export_text()


def test_every_finished_step_is_shown_once_with_its_figures():
    ok, text = _run([first_step, second_step, failing_step])
    assert not ok
    lines = [line for line in text.splitlines() if line and line[0] in "✓✗"]
    assert len(lines) == 3, text
    assert lines[0].startswith("✓ first_step") and lines[0].endswith("3 files, 1,234 rows")
    assert lines[1].startswith("✓ second_step")
    assert lines[2].startswith("✗ failing_step")


@dg.asset
def warning_step(context) -> None:
    context.log.warning("Blocking asset check 'x' emitted no result in step 'y'; proceeding")
    context.log.warning("API version 2025-07 is deprecated; bump MPO_API_VERSION")
    context.log.info("loading sellers/AnySeller")


def test_console_logger_keeps_real_warnings_and_drops_known_noise(capfd):
    from mpo_pipeline.runs.progress import quiet_console_logger

    job = (
        dg.define_asset_job("warning_job", selection=[warning_step])
        .resolve(asset_graph=dg.Definitions(assets=[warning_step]).resolve_asset_graph())
        .with_logger_defs({"console": quiet_console_logger()})
    )
    with dg.DagsterInstance.get() as instance:
        assert job.execute_in_process(instance=instance, run_config=QUIET_LOGGING).success
    printed = capfd.readouterr()
    text = printed.out + printed.err
    assert "is deprecated; bump MPO_API_VERSION" in text
    assert "emitted no result" not in text
    assert "loading sellers/AnySeller" not in text  # info: below the command line's level
    assert "STEP_START" not in text
