"""BI readers on the published warehouse while a load and a month close run.

Two reader processes query ``MPO_PUBLISHED_WAREHOUSE`` (a custom path outside the data dir) all
the time: one opens a new read-only connection for every round, one holds a single read-only
connection from the first snapshot to the end, as a pooled BI tool does. Meanwhile a first short
load publishes the first snapshot, then a load of the rest of the month and the month close run as
``mpo-pipeline`` child processes. What must hold:

- the load and the close exit 0, no output mentions a DuckDB lock conflict, and their publish
  steps take seconds (they never wait on the readers);
- the readers see no error, and every snapshot they see is whole (the three daily facts agree on
  total clicks; ``meta.published_at`` and ``meta.published_tables`` match what they count);
- the reconnecting reader sees the three snapshots in order, ending with the close's rows in
  ``finance.month_close_statements``, as the pipeline's own warehouse holds them;
- the held connection keeps answering, from the snapshot it opened, until the end.

Before publishing existed the pipeline had no file for BI: the readers never see a snapshot and
the test fails waiting for it; pointed at the pipeline's own warehouse instead, they make the
load fail with ``Could not set lock on file``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
import rel_truth_helpers as truth_helpers
from rel_dagster_helpers import step_metadata
from rel_proc_helpers import MPO_PIPELINE, LoadRun, finish, load_environ, run_load
from rel_publish_helpers import start_reader, wait_for_reads
from rel_scenario_helpers import DEMO_CLIENT, LOAD_TIMEOUT, SIM_TODAY, prepare_dbt_target
from support.processes import Child

from mpo_pipeline.simulator import SimulatorConfig, running_simulator

pytestmark = pytest.mark.timeout(900)

CONFIG = SimulatorConfig(seed=19, advertisers=2, campaigns=2, sellers=6, today=SIM_TODAY)
FIRST = (date(2026, 10, 1), date(2026, 10, 1))
REST = (date(2026, 10, 2), date(2026, 10, 31))
MONTH = "2026-10"
FACTS = tuple(truth_helpers.FACTS.values())
PUBLISHED_ASSET = "published_warehouse"


@dataclass
class PublishScenario:
    """What the readers, the runs and the two warehouses showed."""

    runs: dict[str, LoadRun] = field(default_factory=dict)
    readers: dict[str, dict] = field(default_factory=dict)
    publish_seconds: dict[str, float] = field(default_factory=dict)
    private_clicks: list[int] = field(default_factory=list)
    private_close_rows: int = 0
    published: Path | None = None
    published_folder: list[str] = field(default_factory=list)


def _run_close(env: dict[str, str], logs: Path) -> LoadRun:
    child = Child("close", [MPO_PIPELINE, "close", "--month", MONTH], env, logs)
    return finish(child, LOAD_TIMEOUT)


@pytest.fixture(scope="module")
def published_run(tmp_path_factory) -> PublishScenario:
    base = tmp_path_factory.mktemp("rel-publish")
    data, logs = base / "data", base / "logs"
    out = PublishScenario(published=base / "bi" / "mpo.duckdb")
    with running_simulator(CONFIG) as sim:
        env = load_environ(data, sim.url, *DEMO_CLIENT, MPO_PUBLISHED_WAREHOUSE=str(out.published))
        env = prepare_dbt_target(base, env)
        readers = {
            mode: start_reader(f"reader-{mode}", mode, out.published, base)
            for mode in ("reconnect", "hold")
        }
        try:
            first = run_load("load-first", *map(str, FIRST), env, logs, LOAD_TIMEOUT)
            out.runs["load-first"] = first
            assert first.code == 0, first.output[-3000:]
            wait_for_reads(list(readers.values()), 20, 60, f"both readers reading {out.published}")
            out.runs["load"] = run_load("load", *map(str, REST), env, logs, LOAD_TIMEOUT)
            out.runs["close"] = _run_close(env, logs)
            if all(run.code == 0 for run in out.runs.values()):
                # The reconnecting reader's next round sees the close's snapshot.
                wait_for_reads(
                    [readers["reconnect"]],
                    readers["reconnect"].seen()["ok"] + 5,
                    30,
                    "reads after the close",
                )
        finally:
            out.readers = {mode: reader.finish() for mode, reader in readers.items()}
    out.published_folder = sorted(p.name for p in out.published.parent.iterdir())
    home = data / "dagster_home"
    for name, run in out.runs.items():
        if run.run_id:
            meta = step_metadata(home, run.run_id).get(PUBLISHED_ASSET, {})
            if "publish_seconds" in meta:
                out.publish_seconds[name] = float(meta["publish_seconds"])
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        out.private_clicks = [
            con.execute(f"select sum(clicks) from {fact}").fetchall()[0][0] for fact in FACTS
        ]
        out.private_close_rows = con.execute(
            "select count(*) from finance.month_close_statements"
        ).fetchall()[0][0]
    return out


def test_load_and_close_succeed_without_lock_errors_or_waits(published_run):
    for name, run in published_run.runs.items():
        print(f"{name}: exit {run.code} in {run.seconds:.0f} s")
        assert run.code == 0, f"{name}:\n{run.output[-3000:]}"
        assert truth_helpers.lock_errors(run.output) == [], name
        assert "waiting for another writer" not in run.output, name
    assert set(published_run.runs) == {"load-first", "load", "close"}
    print(f"publish seconds per run: {published_run.publish_seconds}")
    assert set(published_run.publish_seconds) == set(published_run.runs)
    assert max(published_run.publish_seconds.values()) < 30  # a copy of a small file, never a wait
    assert published_run.published_folder == ["mpo.duckdb"]  # no temp file, no stray log


def test_readers_see_no_error_and_only_whole_snapshots(published_run):
    for mode, seen in published_run.readers.items():
        print(
            f"reader {mode}: {seen['queries']} rounds, {seen['ok']} ok, {seen['errors']} errors, "
            f"{len(seen['snapshots'])} distinct snapshot(s), slowest round "
            f"{seen['max_round_seconds']:.2f} s"
        )
        assert seen["errors"] == 0, seen["error_examples"]
        assert seen["inconsistent"] == []
        assert seen["ok"] >= 20


def test_the_reconnecting_reader_follows_every_publish_to_the_close(published_run):
    seen = published_run.readers["reconnect"]
    run_ids = [run_id for _, run_id, _ in seen["snapshots"]]
    assert run_ids == [published_run.runs[name].run_id for name in ("load-first", "load", "close")]
    published_at = [at for at, _, _ in seen["snapshots"]]
    print(
        f"reconnecting reader: snapshots of {', '.join(published_at)}; ended on the close's "
        f"{seen['closes_seen']} statement rows"
    )
    assert published_at == sorted(published_at)
    assert seen["closes_seen"] == published_run.private_close_rows > 0
    assert [seen["clicks"]] * 3 == published_run.private_clicks


def test_the_held_connection_keeps_its_snapshot_and_keeps_answering(published_run):
    seen = published_run.readers["hold"]
    assert [run_id for _, run_id, _ in seen["snapshots"]] == [
        published_run.runs["load-first"].run_id
    ]
    # Still answering after the close (its last round came after the reconnecting reader saw it).
    close_seen_at = published_run.readers["reconnect"]["snapshots"][-1][2]
    print(
        f"held connection: {seen['ok']} rounds on the first snapshot, the last one "
        f"{seen['last_ok'] - close_seen_at:.1f} s after the close's snapshot appeared"
    )
    assert seen["last_ok"] > close_seen_at
