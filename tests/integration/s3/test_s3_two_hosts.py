"""Two "hosts" load one lake on S3 into one DuckLake with a PostgreSQL catalog, as a local run does.

Real servers on loopback, started and stopped here: SeaweedFS (S3), PostgreSQL (the DuckLake
catalog and the writers' advisory lock) and the simulator. Each host is a data dir of its own (its
own Dagster instance, as on another machine); both name the same bucket and catalog:

  MPO_LAKE_DIR=s3://<bucket>/lake   MPO_WAREHOUSE=ducklake:postgres:...
  MPO_WAREHOUSE_DATA_PATH=s3://<bucket>/warehouse

What happens, in order:
1. host A loads January 1-20 while host B loads January 12-31 (overlapping), and a reference run
   loads the whole month into the default local lake and DuckDB file; a reader keeps querying the
   DuckLake's marts throughout.
2. host B loads January 25-31 again and is SIGKILLed while its dbt step runs; the catalog is read
   at once, then the same load is re-run to completion.
3. host A closes January (``mpo-pipeline close``) and exports the statement; the reference the same.

Everything the tests check is recorded while the servers run; the tests assert on the record.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil
import pytest
from integration.ducklake.ducklake_helpers import same
from reliability import rel_truth_helpers as truth_helpers
from reliability.rel_proc_helpers import (
    MPO_PIPELINE,
    LoadRun,
    finish,
    load_environ,
    run_load,
    start_load,
)
from support import postgres, seaweedfs
from support.processes import Child, patched_environ, wait_until

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.core.object_store import S3Options, lake_root
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig, running_simulator
from mpo_pipeline.warehouse.access import connect_existing, connect_read_only

pytestmark = [
    pytest.mark.skipif(postgres.available() is not None, reason=f"{postgres.available()}"),
    pytest.mark.skipif(seaweedfs.available() is not None, reason=f"{seaweedfs.available()}"),
    pytest.mark.timeout(1500),
]

CONFIG = SimulatorConfig(seed=23, advertisers=2, campaigns=2, sellers=25, today=date(2026, 2, 10))
DEMO_CLIENT = ("mpo-demo-client", "mpo-demo-secret")
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2026, 1, 31)
MONTH = "2026-01"
HOSTS = {"host-a": ("2026-01-01", "2026-01-20"), "host-b": ("2026-01-12", "2026-01-31")}
KILLED_RANGE = ("2026-01-25", "2026-01-31")
LOAD_TIMEOUT = 900.0
# Columns that say when or by which run a row was written, not what it is.
WHEN_WRITTEN = {"extracted_at", "closed_at", "close_id", "run_id"}
READ_BY_THE_READER = (
    "marts.fct_seller_campaign_stats_daily",
    "marts.fct_seller_monthly_statement",
    "marts.rpt_monthly_reconciliation",
)


@dataclass
class Record:
    """What the scenario saw."""

    loads: dict[str, LoadRun] = field(default_factory=dict)
    reader_reads: int = 0
    reader_not_yet: int = 0
    reader_errors: list[str] = field(default_factory=list)
    killed_in_dbt: bool = False
    after_kill_errors: list[str] = field(default_factory=list)
    after_kill_relations: int = 0
    marts: dict[str, dict] = field(default_factory=dict)  # "reference"/"ducklake" -> relation
    truth_problems: list[str] = field(default_factory=list)
    truth_rows: int = 0
    lake_keys: dict[str, set[str]] = field(default_factory=dict)
    lake_problems: list[str] = field(default_factory=list)
    closes: dict[str, LoadRun] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    secrets_in_files: list[str] = field(default_factory=list)


class Reader(threading.Thread):
    """A BI user who keeps querying the DuckLake's marts while the hosts load."""

    def __init__(self, target: WarehouseTarget, record: Record) -> None:
        super().__init__(daemon=True)
        self.target, self.record, self.done = target, record, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                con = connect_existing(self.target)
                if con is None:
                    self.record.reader_not_yet += 1
                else:
                    with closing(con):
                        for relation in READ_BY_THE_READER:
                            self._read(con, relation)
            except Exception as exc:
                self.record.reader_errors.append(f"{type(exc).__name__}: {exc}")
            self.done.wait(0.5)

    def _read(self, con, relation: str) -> None:
        schema, name = relation.split(".")
        found = con.execute(
            "select count(*) from information_schema.tables where table_catalog = "
            "current_database() and table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
        if not found:
            self.record.reader_not_yet += 1
            return
        con.execute(f"select count(*), sum(1) from {relation}").fetchall()
        self.record.reader_reads += 1


def _descendants_running_dbt(child: Child) -> bool:
    try:
        procs = psutil.Process(child.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for proc in procs:
        try:
            command = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if "/dbt " in command and (" build " in command or " run " in command):
            return True
    return False


def _relation_contents(con, relation: str) -> dict:
    columns = [
        (c[0], c[1])
        for c in con.execute(f"describe {relation}").fetchall()
        if c[0] not in WHEN_WRITTEN
    ]
    names = ", ".join(f'"{c}"' for c, _ in columns)
    rows = con.execute(f"select {names} from {relation} order by all").fetchall()
    return {"columns": columns, "rows": rows}


def _marts(target: WarehouseTarget | Path) -> dict[str, dict]:
    with closing(connect_read_only(target)) as con:
        relations = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'marts' order by 1"
        ).fetchall()
        return {r: _relation_contents(con, r) for (r,) in relations}


def _every_relation_reads(target: WarehouseTarget) -> tuple[int, list[str]]:
    """(relations read, errors) over every table and view of the DuckLake."""
    errors: list[str] = []
    with closing(connect_read_only(target)) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by all"
        ).fetchall()
        for schema, name in relations:
            try:
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()
            except Exception as exc:
                errors.append(f"{schema}.{name}: {exc}")
    return len(relations), errors


def _cli(name: str, env: dict[str, str], logs: Path, *args: str) -> LoadRun:
    return finish(Child(name, [MPO_PIPELINE, *args], env, logs), LOAD_TIMEOUT)


def _files_holding(root: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or path.stat().st_size > 50_000_000:
            continue
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}" for s in secrets if s.encode() in data]
    return found


def run_scenario(base: Path) -> Record:
    record = Record()
    logs = base / "logs"
    pg = postgres.PostgresServer().start()
    try:
        with (
            seaweedfs.seaweedfs_server(base / "s3") as s3,
            running_simulator(CONFIG) as sim,
        ):
            bucket = s3.make_bucket("mpo-shared")
            conninfo = f"dbname=dagster host=127.0.0.1 port={pg.port} user={postgres.USER}"
            shared = {
                **s3.env(bucket, "lake"),
                "MPO_WAREHOUSE": f"ducklake:postgres:{conninfo}",
                "MPO_WAREHOUSE_DATA_PATH": f"s3://{bucket}/warehouse",
                "PGPASSWORD": postgres.PASSWORD,
            }
            common = {"MPO_START_DATE": str(FIRST_DAY), "MPO_TODAY": "2026-02-10"}
            reference_env = load_environ(base / "reference", sim.url, *DEMO_CLIENT, **common)
            hosts = {
                name: load_environ(base / name, sim.url, *DEMO_CLIENT, **common, **shared)
                for name in HOSTS
            }
            target = WarehouseTarget.parse(
                shared["MPO_WAREHOUSE"], shared["MPO_WAREHOUSE_DATA_PATH"]
            )
            with patched_environ(shared):  # this process reads the lake and the warehouse too
                # 1. the two hosts at once, the reference beside them, a reader throughout
                children = [
                    start_load("reference", str(FIRST_DAY), str(LAST_DAY), reference_env, logs),
                    *(start_load(n, a, b, hosts[n], logs) for n, (a, b) in HOSTS.items()),
                ]
                reader = Reader(target, record)
                reader.start()
                for child in children:
                    record.loads[child.name] = finish(child, LOAD_TIMEOUT)
                reader.done.set()
                reader.join(30)

                # 2. a writer killed in its dbt step, then the same load again
                victim = start_load("host-b-killed", *KILLED_RANGE, hosts["host-b"], logs)
                try:
                    wait_until(
                        lambda: _descendants_running_dbt(victim) or not victim.alive(),
                        LOAD_TIMEOUT,
                        "the dbt step of the load to kill",
                        interval=0.1,
                    )
                    record.killed_in_dbt = victim.alive()
                    time.sleep(1.0)  # into its writes
                finally:
                    victim.kill()
                record.after_kill_relations, record.after_kill_errors = _every_relation_reads(
                    target
                )
                record.loads["host-b-rerun"] = run_load(
                    "host-b-rerun", *KILLED_RANGE, hosts["host-b"], logs, LOAD_TIMEOUT
                )

                # what the warehouse and the lake hold, against the local run and the truth
                record.marts["reference"] = _marts(base / "reference" / "warehouse.duckdb")
                record.marts["ducklake"] = _marts(target)
                truth = GroundTruth(CONFIG)
                record.truth_problems, record.truth_rows = truth_helpers.warehouse_differences(
                    target, truth, FIRST_DAY, LAST_DAY
                )
                fs = s3.filesystem()
                on_s3 = {k.split("/lake/", 1)[1] for k in fs.find(f"{bucket}/lake")}
                local_lake = base / "reference" / "lake"
                record.lake_keys = {
                    "ducklake": on_s3,
                    "reference": {
                        str(p.relative_to(local_lake)) for p in local_lake.rglob("*") if p.is_file()
                    },
                }
                s3_lake = lake_root(f"s3://{bucket}/lake", S3Options.from_env())
                record.lake_problems, _ = truth_helpers.lake_differences(
                    s3_lake, truth, FIRST_DAY, LAST_DAY
                )

                # 3. the close and the statement, on host A and on the reference
                for name, env in (("reference", reference_env), ("host-a", hosts["host-a"])):
                    close = _cli(f"{name}-close", env, logs, "close", "--month", MONTH)
                    record.closes[name] = close
                    out = base / f"{name}-statement.csv"
                    export = _cli(f"{name}-export", env, logs, "export-statement", "--month",
                                  MONTH, "--out", str(out))  # fmt: skip
                    record.closes[f"{name}-export"] = export
                    record.exports[name] = out.read_text() if out.exists() else ""
                out = base / "host-a-as-closed.csv"
                record.closes["host-a-as-closed"] = _cli(
                    "host-a-as-closed", hosts["host-a"], logs, "export-statement", "--month",
                    MONTH, "--out", str(out), "--as-closed",
                )  # fmt: skip
                record.exports["host-a-as-closed"] = out.read_text() if out.exists() else ""
            secrets = [s3.secret_key, postgres.PASSWORD]
            for name in ("host-a", "host-b", "reference"):
                record.secrets_in_files += _files_holding(base / name, secrets)
    finally:
        pg.stop()
    return record


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Record:
    return run_scenario(tmp_path_factory.mktemp("two-hosts"))


def test_both_hosts_and_the_reference_load_while_a_reader_reads(world):
    for name, run in world.loads.items():
        print(f"{name}: exit {run.code} in {run.seconds:.0f} s")
        assert run.code == 0, f"{name}:\n{run.output[-3000:]}"
    print(f"reader: {world.reader_reads} reads, {world.reader_not_yet} before the marts existed")
    assert world.reader_errors == []
    assert world.reader_reads > 0


def test_a_writer_killed_in_dbt_leaves_a_readable_catalog_and_a_rerun_completes(world):
    assert world.killed_in_dbt, "the load ended before its dbt step could be killed"
    assert world.after_kill_errors == []
    assert world.after_kill_relations > 30
    assert world.loads["host-b-rerun"].code == 0


def test_the_ducklake_marts_equal_the_local_runs(world):
    reference, ducklake = world.marts["reference"], world.marts["ducklake"]
    assert sorted(ducklake) == sorted(reference)
    assert len(reference) > 10
    # DOUBLEs to 1e-12: a parallel sum of doubles (the reconciliation's tolerances) may differ in
    # its last bit from one build to the next, whatever the target
    different = [r for r in reference if not same(ducklake[r], reference[r])]
    assert different == []
    facts = reference["marts.fct_seller_campaign_stats_daily"]["rows"]
    assert len(facts) > 100


def test_the_ducklake_equals_the_truth_and_the_lake_on_s3_the_local_lake(world):
    assert world.truth_problems == []
    assert world.truth_rows > 100
    assert world.lake_problems == []
    # the same objects as the local lake's files: no temp object, nothing missing
    assert world.lake_keys["ducklake"] == world.lake_keys["reference"]


def test_the_close_and_the_statement_are_the_same(world):
    for name in ("reference", "host-a"):
        close = world.closes[name]
        print(f"{name} close: exit {close.code}\n{close.output[-1500:]}")
    assert world.closes["host-a"].code == world.closes["reference"].code == 0
    assert world.closes["host-a-export"].code == 0
    lines = _statement(world.exports["host-a"])
    assert lines == _statement(world.exports["reference"])
    assert len(lines) > 10
    assert world.closes["host-a-as-closed"].code == 0
    assert world.exports["host-a-as-closed"] == world.exports["host-a"]


def _statement(text: str) -> list[dict[str, str]]:
    """An exported statement's lines without the columns that say when it was closed."""
    lines = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert lines and "closed_at" in lines[0]
    return [{k: v for k, v in line.items() if k not in WHEN_WRITTEN} for line in lines]


def test_no_key_or_password_is_written_to_a_file(world):
    assert world.secrets_in_files == []
