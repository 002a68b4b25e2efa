"""Run the project's Dagster jobs from the command line (``make load``, ``make close``, demo).

Runs go through the real Dagster definitions and a persistent Dagster instance
(``$DAGSTER_HOME``, by default ``$MPO_DATA_DIR/dagster_home``), so they show up in ``make dev``.
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from mpo_pipeline.config import Settings
from mpo_pipeline.core.object_store import is_object_store, make_folder
from mpo_pipeline.runs.local_instance import ensure_instance, owner_tags, release_dead_runs
from mpo_pipeline.runs.progress import QUIET_LOGGING, quiet_console_logger, shown_on

logger = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """What a run did: success, its id and the metadata of each materialization."""

    success: bool
    run_id: str
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    error: str | None = None
    log_path: Path | None = None  # what the steps printed (dbt's log), for command-line runs

    def where_to_look(self) -> str:
        """Where the details of a failed run are: the step output file and the Dagster UI."""
        place = f"step output (dbt's log): {self.log_path}; " if self.log_path else ""
        return f"{place}run {self.run_id} in the Dagster UI (make dev)"


def prepare_environment(settings: Settings) -> Path:
    """Point Dagster and dbt at this settings' data dir; return the Dagster home."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster_home").resolve()
    ensure_instance(home)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["MPO_LAKE_DIR"] = str(settings.lake_dir.resolve())
    os.environ.update(settings.target.environment())
    # The read-only snapshot for BI (mpo_pipeline.warehouse.publish), resolved like the warehouse.
    os.environ["MPO_PUBLISHED_WAREHOUSE"] = str(settings.published_warehouse.resolve())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    if is_object_store(settings.lake_dir):
        os.environ.update(settings.s3.environment())
    make_folder(settings.lake_dir)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    settings.published_warehouse.parent.mkdir(parents=True, exist_ok=True)
    return home


def run_job(
    job_name: str,
    *,
    tags: dict[str, str] | None = None,
    run_config: dict[str, Any] | None = None,
    partition_key: str | None = None,
    console: Console | None = None,
) -> RunSummary:
    """Execute one job of the project's definitions in this process, on the Dagster instance.

    With a ``console``, Dagster's own console log is turned down to warnings and the run's steps
    are shown there as they finish (``mpo_pipeline.runs.progress``).
    """
    import dagster as dg

    from mpo_pipeline.definitions import defs

    job = defs().resolve_job_def(job_name)
    run_id = str(uuid.uuid4())  # known before the run starts, so progress can follow it
    log_path: Path | None = None
    shown: AbstractContextManager[object] = nullcontext()
    if console is not None:
        job = job.with_logger_defs({"console": quiet_console_logger()})
        run_config = {**QUIET_LOGGING, **(run_config or {})}
        log_path = Path(os.environ["DAGSTER_HOME"]) / "run_logs" / f"{run_id}.log"
        shown = shown_on(console, run_id, job_name, len(job.graph.nodes), log_path)
        console.print(f"run {run_id} (job {job_name})", style="dim", highlight=False)
    with dg.DagsterInstance.get() as instance:
        released = release_dead_runs(instance)
        if released:
            logger.warning(
                "marked %d run(s) whose process died as failed and freed their pool slots: %s",
                len(released),
                ", ".join(released),
            )
        with shown:
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                tags={**(tags or {}), **owner_tags()},
                run_config=run_config or {},
                partition_key=partition_key,
                raise_on_error=False,
            )
    summary = RunSummary(success=result.success, run_id=result.run_id, log_path=log_path)
    for event in result.all_events:
        if event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            summary.materializations[mat.asset_key.to_user_string()] = {
                k: v.value for k, v in mat.metadata.items()
            }
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                summary.failed_checks.append(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                )
        if event.is_step_failure and summary.error is None:
            summary.error = event.step_failure_data.error.message.strip()
    return summary
