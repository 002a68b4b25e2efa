"""kill -9 of ``mpo-pipeline load`` while it writes the lake, then a re-run.

The simulator runs as its own process with 250 ms of latency per call and 2-day request windows,
so the six stats steps take several seconds; the load is SIGKILLed (its whole process group) once
some stats files exist, aiming at a moment when a temp file is open. What must hold:

- no partial file is ever visible: every ``*.parquet`` reads, and DuckDB's ``read_parquet`` over
  the globs dbt uses works and ignores writer temp files (a torn half-file is planted under the
  writer's temp name to prove it, whatever the kill happened to leave);
- a plain re-run completes, leaves no temp file, and the warehouse equals the ground truth.
"""

from __future__ import annotations

import pytest
from rel_scenario_helpers import KILL_RANGE, KillResult, scenario

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def killed(request) -> KillResult:
    return scenario("kill", request)


def test_kill_landed_in_the_middle_of_the_lake(killed):
    print(
        f"\nkilled with {killed.files_at_kill}/{killed.expected_files} stats files written; "
        f"temp file open at the kill: {killed.temp_seen_before_kill}; "
        f"temp files left by the kill: {len(killed.temp_left_by_kill)}"
    )
    assert 0 < killed.files_at_kill < killed.expected_files
    assert killed.killed_run_id is not None


def test_no_partial_or_temp_file_visible_after_the_kill(killed):
    assert killed.unreadable_after_kill == []
    assert killed.duckdb_error is None, killed.duckdb_error
    seen = sum(files for files, _ in killed.duckdb_after_kill.values())
    assert seen == killed.files_at_kill, killed.duckdb_after_kill
    # The torn temp file changes nothing DuckDB sees.
    assert killed.duckdb_with_torn_temp == killed.duckdb_after_kill


def test_rerun_after_the_kill_is_not_blocked_by_the_dead_run(killed):
    """The killed run's ``mpo_api`` pool slot would stay claimed in the local Dagster instance
    and make every later load wait forever; the next command-line run releases it by itself
    (``mpo_pipeline.runs.local_instance``). If not, the suite applies the manual recovery of
    docs/operations.md §3.5 to check the rest."""
    assert killed.rerun_blocked is None, (
        f"{killed.rerun_blocked}. Manual recovery released runs {killed.released_runs}."
    )
    assert killed.rerun is not None and killed.rerun.code == 0, killed.rerun.output[-3000:]


def test_rerun_completes_and_leaves_no_temp_file(killed):
    assert killed.final is not None and killed.final.code == 0, killed.final.output[-3000:]
    assert killed.temp_left_at_end == []


def test_warehouse_after_kill_and_rerun_equals_truth(killed):
    assert killed.final is not None and killed.final.code == 0
    start, end = KILL_RANGE
    print(f"\n{start}..{end}: {killed.rows_checked} warehouse rows equal the ground truth")
    assert killed.lake_problems == [], killed.lake_problems[:10]
    assert killed.warehouse_problems == [], killed.warehouse_problems[:10]
    assert killed.rows_checked > 500
