"""Reading (and, for the crash recovery, repairing) the local Dagster instance of a data dir."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
POOLS = ("mpo_api", "duckdb")


@contextmanager
def instance_at(home: Path) -> Iterator[dg.DagsterInstance]:
    """The Dagster instance that ``mpo-pipeline`` used under ``home`` (its SQLite storage)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def run_statuses(home: Path) -> dict[str, str]:
    """Status of every run of the instance, by run id."""
    with instance_at(home) as instance:
        return {r.run_id: r.status.value for r in instance.get_runs()}


def claimed_slots(home: Path) -> dict[str, list[tuple[str, str]]]:
    """Concurrency slots held per pool, as (run id, step key)."""
    with instance_at(home) as instance:
        storage = instance.event_log_storage
        return {
            pool: [(c.run_id, c.step_key) for c in storage.get_concurrency_info(pool).claimed_slots]
            for pool in POOLS
        }


def release_dead_runs(home: Path, reason: str) -> list[str]:
    """Mark every unfinished run failed and free its pool slots; return their ids.

    This is the manual recovery docs/operations.md describes for a run whose process died
    (kill -9, OOM, reboot): only call it when no run of this instance is alive.
    """
    released = []
    with instance_at(home) as instance:
        for run in instance.get_runs():
            if run.status in FINISHED:
                continue
            instance.report_run_failed(run, reason)
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            released.append(run.run_id)
    return released


@dataclass(frozen=True)
class StepSpan:
    """When one step of one run started and ended (epoch seconds)."""

    run_id: str
    step_key: str
    start: float
    end: float


def step_spans(home: Path, run_id: str, prefix: str) -> list[StepSpan]:
    """Start and end of every step of ``run_id`` whose key starts with ``prefix``."""
    starts: dict[str, float] = {}
    spans = []
    with instance_at(home) as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or not (entry.step_key or "").startswith(prefix):
                continue
            if event.event_type_value == "STEP_START":
                starts[entry.step_key] = entry.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                began = starts.get(entry.step_key, entry.timestamp)
                spans.append(StepSpan(run_id, entry.step_key, began, entry.timestamp))
    return spans


def step_metadata(home: Path, run_id: str) -> dict[str, dict]:
    """Materialization metadata of a run, by asset key (e.g. ``mpo_stats/sellers_any_seller``)."""
    out: dict[str, dict] = {}
    with instance_at(home) as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or event.event_type_value != "ASSET_MATERIALIZATION":
                continue
            materialization = event.step_materialization_data.materialization
            out[materialization.asset_key.to_user_string()] = {
                k: v.value for k, v in materialization.metadata.items()
            }
    return out


def event_log_texts(home: Path) -> Iterator[tuple[str, str]]:
    """(run id, serialized event) for every event of every run of the instance."""
    with instance_at(home) as instance:
        for run in instance.get_runs():
            for entry in instance.all_logs(run.run_id):
                yield run.run_id, dg.serialize_value(entry)
