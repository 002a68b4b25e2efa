"""Three overlapping ``mpo-pipeline load`` runs and a ``dbt build`` at once on one data dir.

The loads share one Dagster instance (its ``duckdb`` pool, limit 1) and the cross-process writer
lock (``mpo_pipeline.warehouse.lock``) that every dbt step takes; the dbt build, started while the
loads' dbt steps run, takes the same lock the way an operator would by hand. What must hold: every
process succeeds, no output mentions a DuckDB lock conflict, at no sampled moment do two processes
have the DuckDB file open, the dbt steps of different runs never overlap, the dbt build really
queued on the lock, and the warehouse equals the ground truth of the union of the ranges.
Their dbt steps run the data tests, not dbt's unit tests, and only the first parses the project.

Separately: several first runs on a fresh data dir must not crash while creating the Dagster
instance they share.
"""

from __future__ import annotations

from collections import Counter

import pytest
from rel_proc_helpers import FIRST_DAY, finish
from rel_scenario_helpers import (
    CONCURRENT_RANGES,
    CONCURRENT_UNION,
    ConcurrencyResult,
    scenario,
    start_first_steps,
)
from support.processes import clean_environ

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def concurrent(request) -> ConcurrencyResult:
    return scenario("concurrency", request)


def test_every_load_and_the_dbt_build_succeed(concurrent):
    for name, run in concurrent.loads.items():
        print(f"\n{name} {CONCURRENT_RANGES[name]}: exit {run.code} in {run.seconds:.0f} s")
        assert run.code == 0, f"{name}:\n{run.output[-3000:]}"
    build = concurrent.dbt_build
    print(f"dbt build (locked): exit {build.code} in {build.seconds:.0f} s")
    own = {name: round(cpu) for name, cpu in concurrent.load_cpu_seconds.items()}
    print(
        f"CPU seconds of the processes themselves: {own}; of their descendants (dbt...): "
        f"{concurrent.descendant_cpu_seconds:.0f}"
    )
    assert build.code == 0, build.output[-3000:]


def test_no_lock_error_in_any_output(concurrent):
    assert {name: errors for name, errors in concurrent.lock_errors.items() if errors} == {}


def test_warehouse_writers_never_overlap(concurrent):
    print(
        f"\n{concurrent.opener_samples} samples, at most {concurrent.max_simultaneous_openers} "
        f"process(es) with the DuckDB file open; {concurrent.dbt_steps} dbt steps in "
        f"{len(CONCURRENT_RANGES)} runs"
    )
    assert concurrent.opener_samples > 50
    assert concurrent.max_simultaneous_openers == 1
    assert concurrent.opener_overlaps == []
    assert concurrent.dbt_steps == 3 * len(CONCURRENT_RANGES)
    assert concurrent.dbt_step_overlaps == []
    assert concurrent.external_lock is not None, "the dbt build never took the writer lock"
    assert concurrent.external_waited, "the dbt build never had to wait: the lock was not tested"


def test_warehouse_equals_truth_after_concurrent_loads(concurrent):
    start, end = CONCURRENT_UNION
    print(f"\n{start}..{end}: {concurrent.rows_checked} warehouse rows equal the ground truth")
    assert concurrent.lake_problems == [], concurrent.lake_problems[:10]
    assert concurrent.warehouse_problems == [], concurrent.warehouse_problems[:10]
    assert concurrent.rows_checked > 500


def test_dbt_steps_run_data_tests_not_unit_tests_and_reuse_one_parse(concurrent):
    """Unit tests test the models' SQL, not the data: the suite runs them in its full dbt build
    (tests/integration/dbt), a load does not. Every dbt step leaves its parse to the next ones,
    so in a data dir only the first one parses the whole project: the daily facts step gets its
    window from the environment at run time, not as --vars (which would make dbt parse again),
    and its incremental builds really are limited to the run's range."""
    steps = concurrent.dbt_step_runs
    daily = [s for s in steps if s.folder.startswith("dbt_daily_facts")]
    windows = {w for s in daily for w in s.windows}
    print(
        f"\n{len(steps)} dbt invocations; results by kind: "
        f"{sum((s.node_kinds for s in steps), Counter())}; full parses: "
        f"{[s.folder.split('-')[0] for s in steps if s.full_parse]}; windows: {sorted(windows)}"
    )
    assert len(steps) == concurrent.dbt_steps == 3 * len(CONCURRENT_RANGES)
    for step in steps:
        assert step.node_kinds["test"] > 0, step
        assert step.node_kinds["unit_test"] == 0, step
    assert [s.folder for s in steps[1:] if s.full_parse] == []
    ranges = {(a.isoformat(), b.isoformat()) for a, b in CONCURRENT_RANGES.values()}
    # the first daily build creates the tables (no window); the later ones replace their range
    assert len(daily) == len(CONCURRENT_RANGES)
    assert windows <= ranges and len(windows) >= len(ranges) - 1, windows


FIRST_RUNS = 6


@pytest.mark.parametrize("attempt", [1, 2])
def test_first_runs_on_a_fresh_data_dir_do_not_crash(tmp_path, attempt):
    """What every ``mpo-pipeline load`` does before its run (settings, data dir, the Dagster
    instance under ``$MPO_DATA_DIR/dagster_home``), by six processes at once on a new data dir.

    Unguarded, they race on creating the instance's SQLite storage and some die with
    ``alembic.util.exc.CommandError`` (or ``IntegrityError`` on ``alembic_version``);
    ``mpo_pipeline.runs.local_instance.ensure_instance`` creates it under a file lock.
    """
    env = clean_environ(
        MPO_CLIENT_ID="rel-client",
        MPO_CLIENT_SECRET="rel-secret",
        MPO_DATA_DIR=str(tmp_path / "data"),
        MPO_START_DATE=FIRST_DAY,
    )
    children = [start_first_steps(f"first-{i}", env, tmp_path / "logs") for i in range(FIRST_RUNS)]
    runs = [finish(child, 300) for child in children]
    crashed = {r.name: r.output.strip().splitlines()[-1] for r in runs if r.code != 0}
    print(f"\n{FIRST_RUNS - len(crashed)}/{FIRST_RUNS} started; crashed: {crashed}")
    assert crashed == {}
