"""Progress of a command-line run: one line per finished step and a live bar, from the event log.

Dagster's own console logger prints every event at DEBUG level (over 1,700 lines for the demo's
load); command-line runs turn it down to warnings and show this instead. The run executes in the
main thread (so Ctrl-C stops it as usual); a daemon thread follows its step events in the
instance's event log and draws them with rich.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    import dagster as dg

POLL_SECONDS = 0.5
QUIET_LOGGING: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Warnings Dagster gives on every load for how the dbt tests map onto its steps, not about the
# data: the relationship tests of the daily facts need the dimensions, so dbt runs them in the
# rollups step (its exit code still fails the run when one fails). Kept in the event log, not shown.
KNOWN_NOISE = (
    "emitted no result in step",
    "Logging an `AssetObservation` instead of an `AssetCheckResult`",
)


class _DropKnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in KNOWN_NOISE)


_NOISE_FILTER = _DropKnownNoise()
# Dagster also logs the first of them through this Python logger, outside the run's loggers.
_NOISY_PYTHON_LOGGER = "dagster._core.execution.plan.active"


def quiet_console_logger() -> dg.LoggerDefinition:
    """Dagster's colored console logger, without ``KNOWN_NOISE`` (level set by run config)."""
    import dagster as dg

    @dg.logger(
        config_schema={
            "log_level": dg.Field(str, is_required=False, default_value="WARNING"),
            "name": dg.Field(str, is_required=False, default_value="dagster"),
        },
        description="Dagster's console logger without known-harmless warnings.",
    )
    def _console(init_context: dg.InitLoggerContext) -> logging.Logger:
        log = dg.colored_console_logger.logger_fn(init_context)
        for handler in log.handlers:
            handler.addFilter(_DropKnownNoise())
        return log

    return _console


def step_line(step_key: str, ok: bool, seconds: float | None, detail: str = "") -> str:
    """``✓ mpo_stats__sellers_any_seller  2.1 s  60 files, 5,400 rows`` (rich markup)."""
    mark = "[green]✓[/]" if ok else "[red]✗[/]"
    took = f"{seconds:6.1f} s" if seconds is not None else "       "
    return f"{mark} {step_key:48} {took}  {detail}".rstrip()


def materialization_detail(metadata: dict[str, Any]) -> str:
    """What a step's materializations say in a few words (files and rows of a stats step)."""
    files = metadata.get("files_written")
    rows = metadata.get("rows")
    parts = []
    if isinstance(files, int):
        parts.append(f"{files:,} files")
    if isinstance(rows, int):
        parts.append(f"{rows:,} rows")
    return ", ".join(parts)


class RunProgress:
    """Follow the step events of run ``run_id`` and show them on ``console`` while it runs."""

    def __init__(self, console: Console, run_id: str, title: str, total_steps: int) -> None:
        self.console = console
        self.run_id = run_id
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task(title, total=total_steps)
        self.title = title
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="run-progress", daemon=True)
        self._cursor: str | None = None
        self._running: list[str] = []
        self._details: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> RunProgress:
        self.progress.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.progress.stop()

    def _follow(self) -> None:
        import dagster as dg

        try:
            with dg.DagsterInstance.get() as instance:
                while not self._stop.wait(POLL_SECONDS):
                    self._poll(instance)
                self._poll(instance)  # what happened between the last poll and the end
        except Exception as exc:  # progress is cosmetic: never let it break or hide the run
            self.console.print(f"[yellow](progress display stopped: {type(exc).__name__})[/]")

    def _poll(self, instance: dg.DagsterInstance) -> None:
        import dagster as dg

        kinds = {
            dg.DagsterEventType.STEP_START,
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.ASSET_MATERIALIZATION,
        }
        while True:
            page = instance.get_records_for_run(
                self.run_id, cursor=self._cursor, of_type=kinds, limit=500
            )
            for record in page.records:
                self._show(record.event_log_entry)
            self._cursor = page.cursor
            if not page.has_more:
                return

    def _show(self, entry: Any) -> None:
        event = entry.dagster_event
        step = entry.step_key or ""
        kind = event.event_type_value
        if kind == "STEP_START":
            self._running.append(step)
        elif kind == "ASSET_MATERIALIZATION":
            # A range run reports the same metadata on each partition's materialization: the
            # figures are the step's, not the day's, so they are taken once, never summed.
            known = self._details.setdefault(step, {})
            for key, value in event.step_materialization_data.materialization.metadata.items():
                if key in ("files_written", "rows") and isinstance(value.value, int):
                    known[key] = value.value
        else:
            if step in self._running:
                self._running.remove(step)
            ok = kind == "STEP_SUCCESS"
            duration = getattr(event.event_specific_data, "duration_ms", None) if ok else None
            seconds = duration / 1000 if duration is not None else None
            detail = materialization_detail(self._details.get(step, {}))
            self.progress.console.print(step_line(step, ok, seconds, detail))
            self.progress.advance(self.task)
        running = f": {', '.join(self._running)}" if self._running else ""
        self.progress.update(self.task, description=f"{self.title}{running}")


@contextmanager
def shown_on(
    console: Console, run_id: str, title: str, total_steps: int, log_path: Path
) -> Iterator[None]:
    """Show the run's progress on ``console``; send what steps print to stdout to ``log_path``.

    dagster-dbt echoes every dbt log line on stdout (hundreds per build): it goes to the run's log
    file instead, whose path the command prints when the run fails.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    noisy = logging.getLogger(_NOISY_PYTHON_LOGGER)
    if _NOISE_FILTER not in noisy.filters:
        noisy.addFilter(_NOISE_FILTER)
    with (
        open(log_path, "w", encoding="utf-8") as log,
        redirect_stdout(log),
        RunProgress(console, run_id, title, total_steps),
    ):
        yield
