"""The heavy end-to-end scenarios of the reliability suite.

Each scenario drives real ``mpo-pipeline load`` processes (Dagster + dbt) against a simulator and
records what happened; the test modules only assert on the records. A scenario runs once per test
session, when the first fixture asks for it (``scenario``); later fixtures get the same record.
"""

from __future__ import annotations

import atexit
import csv
import json
import re
import shutil
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pyarrow.parquet as pq
import pytest
import rel_fakeapi_helpers as fake
import rel_truth_helpers as truth_helpers
from rel_dagster_helpers import claimed_slots, release_dead_runs, step_metadata, step_spans
from rel_proc_helpers import LoadRun, ServerThread, finish, load_environ, run_load, start_load
from support.processes import REPO, Child, clean_environ, wait_until

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig, running_simulator

SIM_TODAY = date(2026, 11, 1)  # fixed clock: the ground truth never moves during a scenario
DEMO_CLIENT = ("mpo-demo-client", "mpo-demo-secret")
LOAD_TIMEOUT = 480.0
# The project's own lock taken around a plain dbt command: how an operator runs dbt by hand
# (docs/operations.md shows the shell equivalent with flock(1)).
LOCKED_DBT = """\
import subprocess, sys, time
from pathlib import Path
from mpo_pipeline.warehouse.lock import warehouse_writer

with warehouse_writer(Path(sys.argv[1]), on_wait=lambda m: print(m, flush=True), poll=0.2):
    print(f"LOCK-ACQUIRED {time.time():.3f}", flush=True)
    code = subprocess.call(sys.argv[2:])
    print(f"LOCK-RELEASED {time.time():.3f}", flush=True)
sys.exit(code)
"""


def dbt_command(root: Path, *args: str) -> list[str]:
    """A plain ``dbt`` command on the project with target and logs under ``root``."""
    return [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir",
        str(REPO / "dbt_project"),
        "--profiles-dir",
        str(REPO / "dbt_project"),
        "--target-path",
        str(root / "target"),
        "--log-path",
        str(root / "logs"),
    ]


def start_locked_dbt(
    name: str, warehouse: Path, lake: Path, root: Path, dbt_args: list[str], **env: str
) -> Child:
    """Start ``dbt <dbt_args>`` holding the warehouse writer lock, as a child process."""
    script = root / "locked_dbt.py"
    root.mkdir(parents=True, exist_ok=True)
    script.write_text(LOCKED_DBT)
    environ = clean_environ(MPO_WAREHOUSE=str(warehouse), MPO_LAKE_DIR=str(lake), **env)
    command = [sys.executable, str(script), str(warehouse), *dbt_command(root, *dbt_args)]
    return Child(name, command, environ, root / "logs")


def prepare_dbt_target(base: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` plus ``DBT_TARGET_PATH``: the scenario's dbt artifacts in a folder of its own.

    dagster-dbt gives every dbt invocation its own target folder under ``DBT_TARGET_PATH`` and
    seeds it with the ``partial_parse.msgpack`` found there, which the loads' plain dbt steps
    leave behind (``mpo_pipeline.defs.transform.project.share_partial_parse``): the scenario's
    first dbt step parses the project, the later ones reuse that parse.
    """
    return {**env, "DBT_TARGET_PATH": str(base / "dbt_target")}


def reuse_parse(base: Path, root: Path) -> None:
    """Give a hand-run dbt under ``root`` the loads' parse (see ``prepare_dbt_target``)."""
    parsed = base / "dbt_target" / "partial_parse.msgpack"
    if parsed.exists():
        (root / "target").mkdir(parents=True, exist_ok=True)
        shutil.copy(parsed, root / "target" / "partial_parse.msgpack")


FIRST_START = """\
import dagster as dg
from mpo_pipeline.config import Settings
from mpo_pipeline.runs.runner import prepare_environment

prepare_environment(Settings.from_env())
with dg.DagsterInstance.get() as instance:
    instance.get_runs(limit=1)
print("instance ready", flush=True)
"""


def start_first_steps(name: str, env: dict[str, str], log_dir: Path) -> Child:
    """What ``mpo-pipeline load`` does before its run: settings, data dir, Dagster instance."""
    return Child(name, [sys.executable, "-c", FIRST_START], env, log_dir)


def capture_tokens(sim) -> list[str]:
    """Record every access token the in-process simulator ``sim`` issues from now on."""
    store = sim._state.tokens  # the simulator's token store (tests only)
    issued: list[str] = []
    original = store.issue

    def issue() -> str:
        token = original()
        issued.append(token)
        return token

    store.issue = issue
    return issued


def stats_files(lake: Path) -> list[Path]:
    """Visible stats files of the lake."""
    return sorted((lake / "stats").rglob("*.parquet")) if (lake / "stats").exists() else []


def temp_files(lake: Path) -> list[Path]:
    """Writer temp files anywhere in the lake."""
    return sorted(lake.rglob(".*.tmp")) if lake.exists() else []


def duckdb_lake_counts(lake: Path) -> dict[str, tuple[int, int]]:
    """(files, rows) per endpoint as DuckDB sees the lake through the globs dbt reads."""
    out = {}
    with duckdb.connect() as con:
        for endpoint in truth_helpers.FACTS:
            glob = (
                lake / "stats" / f"endpoint={endpoint}" / "policy=*" / "report_date=*" / "*.parquet"
            )
            files = con.execute(f"select count(*) from glob('{glob}')").fetchall()[0][0]
            if not files:  # read_parquet fails on a glob that matches nothing
                out[endpoint] = (0, 0)
                continue
            rows = con.execute(
                f"select count(*) from read_parquet('{glob}', hive_partitioning = true, "
                "union_by_name = true)"
            ).fetchall()[0][0]
            out[endpoint] = (int(files), int(rows))
    return out


# -- kill -9 in the middle of the lake, then re-run ------------------------------------------------

KILL_CONFIG = SimulatorConfig(seed=7, advertisers=1, campaigns=3, sellers=40, today=SIM_TODAY)
KILL_RANGE = (date(2026, 10, 1), date(2026, 10, 12))
# Windows of at most 2 days (a first day on its own, then 2-day ones: about 7 per asset): the
# stats steps take a while at 250 ms per call.
KILL_WINDOW_DAYS = 2
KILL_AFTER_FILES = 12


@dataclass
class KillResult:
    """What the kill -9 scenario observed."""

    expected_files: int
    files_at_kill: int = 0
    temp_seen_before_kill: bool = False
    temp_left_by_kill: list[str] = field(default_factory=list)
    unreadable_after_kill: list[str] = field(default_factory=list)
    duckdb_after_kill: dict[str, tuple[int, int]] = field(default_factory=dict)
    duckdb_with_torn_temp: dict[str, tuple[int, int]] = field(default_factory=dict)
    duckdb_error: str | None = None
    killed_run_id: str | None = None
    rerun: LoadRun | None = None
    rerun_blocked: str | None = None  # why the plain re-run never finished
    released_runs: list[str] = field(default_factory=list)
    final: LoadRun | None = None
    temp_left_at_end: list[str] = field(default_factory=list)
    lake_problems: list[str] = field(default_factory=list)
    warehouse_problems: list[str] = field(default_factory=list)
    rows_checked: int = 0


def _simulator_child(name: str, config: SimulatorConfig, log_dir: Path, *extra: str) -> Child:
    args = [
        sys.executable,
        "-m",
        "mpo_pipeline.simulator",
        "--port",
        "0",
        "--seed",
        str(config.seed),
        "--advertisers",
        str(config.advertisers),
        "--campaigns",
        str(config.campaigns),
        "--sellers",
        str(config.sellers),
        "--today",
        str(config.today),
        *extra,
    ]
    return Child(name, args, clean_environ(), log_dir)


def _sim_url(child: Child) -> str:
    def probe() -> str | None:
        if not child.alive():
            raise RuntimeError(f"simulator exited:\n{child.tail()}")
        match = re.search(r"listening on (http://\S+)", child.output())
        return match.group(1) if match else None

    return wait_until(probe, 60, "simulator start")


def _watch_rerun(child: Child, home: Path, dead_run: str | None, timeout: float) -> str | None:
    """Wait for a re-run; stop it and say why if it stays queued behind the dead run's slot."""
    deadline = time.monotonic() + timeout
    blocked_since: float | None = None
    while child.alive() and time.monotonic() < deadline:
        time.sleep(1.0)
        if "(job load)" not in child.output():  # not yet at its run: still starting up
            continue
        held = claimed_slots(home)
        by_dead = [
            (pool, step) for pool, slots in held.items() for run, step in slots if run == dead_run
        ]
        if not by_dead:
            blocked_since = None
            continue
        blocked_since = blocked_since or time.monotonic()
        # The holder was SIGKILLed: its slot can never be released. A few seconds make sure the
        # re-run is not merely queued behind a live step.
        if time.monotonic() - blocked_since >= 20:
            child.stop()
            pool, step = by_dead[0]
            return (
                f"the re-run waited {time.monotonic() - blocked_since:.0f} s (and would wait "
                f"forever) for pool {pool!r}: its only slot is still claimed by step {step!r} of "
                f"the killed run {dead_run}"
            )
    if child.alive():
        child.stop()
        return f"the re-run did not finish within {timeout:.0f} s"
    return None


def run_kill_scenario(base: Path) -> KillResult:
    """Kill -9 a load once it has written some stats files, then re-run it to completion."""
    start, end = KILL_RANGE
    data, logs = base / "data", base / "logs"
    lake, home = data / "lake", data / "dagster_home"
    result = KillResult(expected_files=6 * len(truth_helpers.days(start, end)))
    sim = _simulator_child("kill-simulator", KILL_CONFIG, logs, "--latency-ms", "250")
    try:
        env = load_environ(
            data, _sim_url(sim), *DEMO_CLIENT, MPO_REQUEST_WINDOW_DAYS=str(KILL_WINDOW_DAYS)
        )
        first = start_load("kill-load-1", str(start), str(end), env, logs)

        def enough_files() -> bool:
            if not first.alive():
                raise RuntimeError(f"the load ended before the kill:\n{first.tail()}")
            return len(stats_files(lake)) >= KILL_AFTER_FILES

        wait_until(enough_files, 300, "first stats files", interval=0.05)
        # Aim the kill at a moment when a file is being written (at most 3 s more).
        hunt_until = time.monotonic() + 3.0
        while time.monotonic() < hunt_until and not temp_files(lake):
            time.sleep(0.002)
        result.temp_seen_before_kill = bool(temp_files(lake))
        first.kill()
        result.files_at_kill = len(stats_files(lake))
        result.temp_left_by_kill = [str(p) for p in temp_files(lake)]
        result.killed_run_id = LoadRun(first.name, -9, first.output(), 0).run_id

        for path in stats_files(lake):
            try:
                pq.read_table(path)
            except Exception as exc:
                result.unreadable_after_kill.append(f"{path}: {exc}")
        try:
            result.duckdb_after_kill = duckdb_lake_counts(lake)
            # What a kill in the middle of write_parquet_atomic leaves: half a file under the
            # writer's hidden temp name, next to complete files. DuckDB must not see it.
            victim = stats_files(lake)[0]
            torn = victim.parent / f".{victim.name}.{uuid.uuid4().hex}.tmp"
            torn.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
            result.duckdb_with_torn_temp = duckdb_lake_counts(lake)
        except duckdb.Error as exc:
            result.duckdb_error = str(exc)

        env = prepare_dbt_target(base, env)
        rerun = start_load("kill-load-2", str(start), str(end), env, logs)
        result.rerun_blocked = _watch_rerun(rerun, home, result.killed_run_id, 300)
        result.rerun = finish(rerun, 30)
        final = result.rerun
        if result.rerun_blocked:
            # The documented manual recovery (docs/operations.md), then the re-run again.
            result.released_runs = release_dead_runs(home, "process killed (kill -9)")
            final = run_load("kill-load-3", str(start), str(end), env, logs, LOAD_TIMEOUT)
        result.final = final
        result.temp_left_at_end = [str(p) for p in temp_files(lake)]
        if final.code == 0:
            truth = GroundTruth(KILL_CONFIG)
            result.lake_problems, _ = truth_helpers.lake_differences(lake, truth, start, end)
            result.warehouse_problems, result.rows_checked = truth_helpers.warehouse_differences(
                data / "warehouse.duckdb", truth, start, end
            )
    finally:
        sim.stop()
    return result


# -- overlapping loads and a dbt build at once -------------------------------------------------

CONCURRENT_CONFIG = SimulatorConfig(
    seed=21, advertisers=1, campaigns=3, sellers=40, today=SIM_TODAY
)
# Three loads, each pair overlapping (days 5-8 are in all three): two runs wait on the `duckdb`
# pool while one writes, and the hand-run dbt build waits on the lock behind them.
CONCURRENT_RANGES = {
    "load-a": (date(2026, 10, 1), date(2026, 10, 8)),
    "load-b": (date(2026, 10, 5), date(2026, 10, 12)),
    "load-c": (date(2026, 10, 3), date(2026, 10, 16)),
}
CONCURRENT_UNION = (date(2026, 10, 1), date(2026, 10, 16))


@dataclass(frozen=True)
class DbtStepRun:
    """What one dbt invocation of a load's dbt step left in its target folder."""

    folder: str  # <step>-<run id>-<hash>, under DBT_TARGET_PATH
    node_kinds: Counter  # results by resource type: test, unit_test, model, seed...
    full_parse: bool  # dbt parsed the whole project instead of reusing a saved parse
    windows: set[tuple[str, str]]  # report-date windows in the compiled SQL of a daily fact


_FULL_PARSE = "Unable to do partial parsing"  # what dbt logs before parsing everything again
_DAILY_FACT_SQL = "compiled/mpo_pipeline/models/marts/daily/fct_seller_stats_daily.sql"
_WINDOW = re.compile(r"report_date between date '([0-9-]{10})' and date '([0-9-]{10})'")


def dbt_step_runs(target: Path) -> list[DbtStepRun]:
    """The dbt invocations of the loads' dbt steps under ``target``, in the order they ended."""
    runs = []
    for results in target.glob("dbt_*/run_results.json"):
        document = json.loads(results.read_text())
        kinds = Counter(r["unique_id"].split(".", 1)[0] for r in document["results"])
        log = results.with_name("dbt.log")
        text = log.read_text(errors="replace") if log.exists() else ""
        ended = document["metadata"]["generated_at"]
        compiled = results.parent / _DAILY_FACT_SQL
        windows = set(_WINDOW.findall(compiled.read_text())) if compiled.exists() else set()
        step = DbtStepRun(results.parent.name, kinds, _FULL_PARSE in text, windows)
        runs.append((ended, step))
    return [run for _, run in sorted(runs, key=lambda pair: pair[0])]


class WarehouseOpeners(threading.Thread):
    """Samples which processes (of the given children's trees) have the DuckDB file open, and how
    much CPU each child and its descendants have used so far."""

    def __init__(self, children: list[Child], warehouse: Path, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.children = children
        self.paths = {str(warehouse), str(warehouse) + ".wal"}
        self.interval = interval
        self.samples = 0
        self.max_open = 0
        self.overlaps: list[str] = []
        self.own_cpu: dict[str, float] = {}  # CPU seconds of each child process itself
        self.tree_cpu: dict[int, float] = {}  # CPU seconds of every descendant seen, by pid
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            openers: dict[int, str] = {}
            for child in list(self.children):
                try:
                    root = psutil.Process(child.pid)
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in procs:
                    try:
                        times = proc.cpu_times()
                        if proc.pid == root.pid:
                            self.own_cpu[child.name] = times.user + times.system
                        else:
                            self.tree_cpu[proc.pid] = times.user + times.system
                        if any(f.path in self.paths for f in proc.open_files()):
                            openers[proc.pid] = " ".join(proc.cmdline()[:3])
                    except psutil.Error:
                        continue
            self.samples += 1
            self.max_open = max(self.max_open, len(openers))
            if len(openers) > 1:
                self.overlaps.append(f"{time.time():.1f}: {openers}")
            self.stop_event.wait(self.interval)


@dataclass
class ConcurrencyResult:
    """What the concurrent-writers scenario observed."""

    loads: dict[str, LoadRun] = field(default_factory=dict)
    dbt_build: LoadRun | None = None
    lock_errors: dict[str, list[str]] = field(default_factory=dict)
    opener_samples: int = 0
    max_simultaneous_openers: int = 0
    opener_overlaps: list[str] = field(default_factory=list)
    dbt_step_overlaps: list[str] = field(default_factory=list)
    dbt_steps: int = 0
    dbt_step_runs: list[DbtStepRun] = field(default_factory=list)
    external_lock: tuple[float, float] | None = None
    external_waited: bool = False
    load_cpu_seconds: dict[str, float] = field(default_factory=dict)  # the load processes' own
    descendant_cpu_seconds: float = 0.0  # dbt processes and other descendants (sampled)
    lake_problems: list[str] = field(default_factory=list)
    warehouse_problems: list[str] = field(default_factory=list)
    rows_checked: int = 0


def run_concurrency_scenario(base: Path) -> ConcurrencyResult:
    """Overlapping loads on one data dir at once, and a locked ``dbt build`` started while their
    dbt steps run.

    The data dir's Dagster instance is created first (as after any earlier run): several first runs
    on a fresh data dir race on its creation, which ``test_first_runs_on_a_fresh_data_dir``
    covers on its own.
    """
    data, logs = base / "data", base / "logs"
    warehouse, home = data / "warehouse.duckdb", data / "dagster_home"
    result = ConcurrencyResult()
    with running_simulator(CONCURRENT_CONFIG) as sim:
        env = load_environ(data, sim.url, *DEMO_CLIENT)
        ready = finish(start_first_steps("instance", env, logs), 300)
        if ready.code != 0:
            raise RuntimeError(f"creating the Dagster instance failed:\n{ready.output[-3000:]}")
        env = prepare_dbt_target(base, env)
        children = [
            start_load(name, str(a), str(b), env, logs)
            for name, (a, b) in CONCURRENT_RANGES.items()
        ]
        sampler = WarehouseOpeners(children, warehouse)
        sampler.start()

        def dbt_started() -> bool:
            if not any(c.alive() for c in children):
                return True
            # The load prints a line per finished step; dbt_upstream starts right after the
            # stats checks (the last step before dbt).
            return any("✓ stats_checks" in c.output() for c in children)

        wait_until(dbt_started, 600, "a dbt step of the loads", interval=0.2)
        reuse_parse(base, base / "dbt")
        children.append(
            start_locked_dbt("dbt-build", warehouse, data / "lake", base / "dbt", ["build"])
        )
        deadline = time.monotonic() + 900
        runs = [finish(c, max(deadline - time.monotonic(), 1)) for c in children]
        sampler.stop_event.set()
        sampler.join(timeout=5)
    result.loads = {r.name: r for r in runs[:-1]}
    result.dbt_build = runs[-1]
    result.lock_errors = {r.name: truth_helpers.lock_errors(r.output) for r in runs}
    result.opener_samples, result.max_simultaneous_openers = sampler.samples, sampler.max_open
    result.opener_overlaps = sampler.overlaps
    result.load_cpu_seconds = dict(sampler.own_cpu)
    result.descendant_cpu_seconds = sum(sampler.tree_cpu.values())
    spans = []
    for run in result.loads.values():
        if run.run_id:
            spans += step_spans(home, run.run_id, "dbt_")
    result.dbt_steps = len(spans)
    result.dbt_step_runs = dbt_step_runs(base / "dbt_target")
    for i, one in enumerate(spans):
        for other in spans[i + 1 :]:
            if one.run_id != other.run_id and one.start < other.end and other.start < one.end:
                result.dbt_step_overlaps.append(f"{one} overlaps {other}")
    marks = dict(re.findall(r"LOCK-(ACQUIRED|RELEASED) ([0-9.]+)", result.dbt_build.output))
    if len(marks) == 2:
        result.external_lock = (float(marks["ACQUIRED"]), float(marks["RELEASED"]))
    result.external_waited = "waiting for another writer" in result.dbt_build.output
    if all(r.code == 0 for r in runs):
        truth = GroundTruth(CONCURRENT_CONFIG)
        start, end = CONCURRENT_UNION
        result.lake_problems, _ = truth_helpers.lake_differences(data / "lake", truth, start, end)
        result.warehouse_problems, result.rows_checked = truth_helpers.warehouse_differences(
            warehouse, truth, start, end
        )
    return result


# -- faults, then bad responses and a bad seller directory on the same data dir -------------------

CANARY_SECRET = "SECRET-canary-" + uuid.uuid4().hex
FAULT_RATE_LIMIT = 30
FAULT_CONFIG = SimulatorConfig(
    seed=33,
    advertisers=1,
    campaigns=3,
    sellers=40,
    today=SIM_TODAY,
    rate_limit=FAULT_RATE_LIMIT,
    error_rate=0.3,
    drop_rate=0.1,
    latency_ms=20,
    token_ttl=5,
    client_secret=CANARY_SECRET,
    fault_seed=5,
)
FAULT_RANGE = (date(2026, 10, 1), date(2026, 10, 10))
FAULT_WINDOW_DAYS = 31
MAX_ATTEMPTS = 6  # MpoClient's default
# Responses of the corrupted run: (endpoint, policy) -> corruption, and what each must cause.
CORRUPTIONS: dict[tuple[str, str], tuple[fake.Corruption, str | None]] = {
    ("seller_campaigns", "AnySeller"): (fake.truncated, "body is not valid JSON (truncated"),
    ("sellers", "SameSeller"): (
        fake.set_cell("day", fake.day_before),
        "is outside the requested window 2026-10-01..2026-10-10",
    ),
    ("campaigns", "SameSeller"): (
        fake.problem(410, "deprecation", "version-decommissioned", "Gone", "decommissioned"),
        "is retired (410 Gone); bump MPO_API_VERSION",
    ),
    ("campaigns", "AnySeller"): (fake.add_column("viewableImpressions"), None),
    ("sellers", "AnySeller"): (fake.shuffle_columns, None),
}
BAD_DIRECTORIES = ("duplicate_seller_name", "rate_above_one")


@dataclass
class DirectoryCase:
    """A dbt build with a bad ``MPO_SELLER_DIRECTORY`` and the marts before and after it."""

    path: Path
    fragments: list[str]
    run: LoadRun
    marts_before: dict[str, str]
    marts_after: dict[str, str]


@dataclass
class FaultsResult:
    """What the fault, corrupted-response and bad-directory runs observed."""

    data: Path
    logs: Path
    load: LoadRun | None = None
    statuses: Counter = field(default_factory=Counter)
    api_calls: int = 0
    token_calls: int = 0
    client_calls: int = 0
    logical_requests: int = 0
    window_splits: int = 0
    call_bound: int = 0
    tokens: list[str] = field(default_factory=list)
    lake_problems: list[str] = field(default_factory=list)
    warehouse_problems: list[str] = field(default_factory=list)
    rows_checked: int = 0
    corrupted: LoadRun | None = None
    lake_before_corrupted: dict[str, str] = field(default_factory=dict)
    lake_after_corrupted: dict[str, str] = field(default_factory=dict)
    warehouse_sha_before: str | None = None
    warehouse_sha_after: str | None = None
    corrupted_lake_problems: list[str] = field(default_factory=list)
    extra_column_values: list[Any] = field(default_factory=list)
    directory_cases: dict[str, DirectoryCase] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)


def _count_bound(meta: dict[str, dict], advertisers: int) -> tuple[int, int, int, int]:
    """(logical requests, window splits, client-side calls, bound on API calls) of a load.

    Logical requests: every stats asset resolves the advertisers (1) and fetches its windows
    (sized by rows, so taken from what each asset reports it landed); the metadata snapshot
    makes 2 advertiser calls and 4 per advertiser. Each may take ``MAX_ATTEMPTS`` attempts plus
    one retry after a 401 (token refresh); a window split adds two windows.
    """
    stats_assets = [k for k in meta if k.startswith("mpo_stats/")]
    windows = sum(int(meta[k].get("windows", 0)) for k in stats_assets)
    logical = len(stats_assets) + windows + 2 + 4 * advertisers
    splits = sum(int(meta[k].get("window_splits", 0)) for k in stats_assets)
    client_calls = sum(int(meta[k].get("api_calls", 0)) for k in stats_assets)
    snapshot = meta.get("mpo_metadata/advertisers", {})
    client_calls += int(snapshot.get("api_calls_for_snapshot", 0))
    bound = (logical + 2 * splits) * (MAX_ATTEMPTS + 1)
    return logical, splits, client_calls, bound


def _bad_directory(path: Path, case: str) -> list[str]:
    """Write a directory with one bad row (from the demo seed); the message fragments expected."""
    with (REPO / "dbt_project" / "seeds" / "demo_seller_directory.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:41]  # CSV line n holds body[n - 2]
    if case == "duplicate_seller_name":
        body.append([body[0][0], "Copy SA", *body[0][2:]])
        line = len(body) + 1
        fragments = [
            f"line {line} (seller_name '{body[0][0]}')",
            f"seller_name is not unique (lines 2, {line})",
        ]
    else:
        body[1][header.index("commission_rate")] = "1.5"
        fragments = [
            f"line 3 (seller_name '{body[1][0]}')",
            "commission_rate '1.5' is not a number between 0 and 1",
        ]
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    return fragments


def run_faults_scenario(base: Path) -> FaultsResult:
    """A load through errors, drops, throttling and 5 s tokens; then corrupted responses and bad
    seller directories against the warehouse it built."""
    data, logs = base / "data", base / "logs"
    lake, warehouse, home = data / "lake", data / "warehouse.duckdb", data / "dagster_home"
    start, end = FAULT_RANGE
    result = FaultsResult(data=data, logs=logs)
    truth = GroundTruth(FAULT_CONFIG)
    with running_simulator(FAULT_CONFIG) as sim:
        tokens = capture_tokens(sim)
        env = load_environ(
            data,
            sim.url,
            FAULT_CONFIG.client_id,
            CANARY_SECRET,
            MPO_MAX_CALLS_PER_MINUTE=str(FAULT_RATE_LIMIT),
            MPO_REQUEST_WINDOW_DAYS=str(FAULT_WINDOW_DAYS),
        )
        env = prepare_dbt_target(base, env)
        result.load = run_load("faults-load", str(start), str(end), env, logs, LOAD_TIMEOUT)
        log = sim.request_log.snapshot()
        result.tokens = list(tokens)
    result.statuses = Counter(r.status for r in log if r.path != "/oauth2/token")
    result.api_calls = sum(result.statuses.values())
    result.token_calls = sum(1 for r in log if r.path == "/oauth2/token")
    if result.load.run_id:
        result.run_ids.append(result.load.run_id)
        meta = step_metadata(home, result.load.run_id)
        (
            result.logical_requests,
            result.window_splits,
            result.client_calls,
            result.call_bound,
        ) = _count_bound(meta, len(truth.advertisers()))
    if result.load.code != 0:
        return result
    result.lake_problems, _ = truth_helpers.lake_differences(lake, truth, start, end)
    result.warehouse_problems, result.rows_checked = truth_helpers.warehouse_differences(
        warehouse, truth, start, end
    )

    # The same API without faults, behind a proxy that corrupts some stats responses.
    clean = FAULT_CONFIG.with_(rate_limit=None, error_rate=0.0, drop_rate=0.0, token_ttl=900)
    with running_simulator(clean) as upstream:
        tokens = capture_tokens(upstream)
        rules = {key: rule for key, (rule, _) in CORRUPTIONS.items()}
        with ServerThread(fake.corrupting_proxy(upstream.url, rules)) as proxy:
            env_proxy = {**env, "MPO_API_BASE_URL": proxy.url, "MPO_MAX_CALLS_PER_MINUTE": "10000"}
            result.lake_before_corrupted = truth_helpers.file_hashes(lake / "stats")
            result.warehouse_sha_before = truth_helpers.sha256(warehouse)
            result.corrupted = run_load(
                "corrupted-load", str(start), str(end), env_proxy, logs, LOAD_TIMEOUT
            )
            result.lake_after_corrupted = truth_helpers.file_hashes(lake / "stats")
            result.warehouse_sha_after = truth_helpers.sha256(warehouse)
        result.tokens += tokens
    if result.corrupted.run_id:
        result.run_ids.append(result.corrupted.run_id)
    untouched = [("seller_campaigns", "SameSeller")] + [
        key for key, (_, error) in CORRUPTIONS.items() if error is None
    ]
    for endpoint, policy in untouched:
        problems, _ = truth_helpers.lake_differences(lake, truth, start, end, [endpoint])
        wanted = f"endpoint={endpoint}/policy={policy}/"
        result.corrupted_lake_problems += [p for p in problems if wanted in p]
    extra = pq.read_table(
        next((lake / "stats" / "endpoint=campaigns" / "policy=AnySeller").rglob("*.parquet"))
    )
    if "viewableImpressions" in extra.column_names:
        result.extra_column_values = extra.column("viewableImpressions").to_pylist()

    # A bad seller directory must fail the dbt build and leave the marts as they were.
    reuse_parse(base, base / "dbt")
    for case in BAD_DIRECTORIES:
        path = base / f"{case}.csv"
        fragments = _bad_directory(path, case)
        before = truth_helpers.marts_fingerprint(warehouse)
        child = start_locked_dbt(
            f"dbt-{case}",
            warehouse,
            lake,
            base / "dbt",
            ["build", "--select", "int_seller_directory+"],
            MPO_SELLER_DIRECTORY=str(path),
        )
        run = finish(child, 300)
        result.directory_cases[case] = DirectoryCase(
            path, fragments, run, before, truth_helpers.marts_fingerprint(warehouse)
        )
    return result


# -- starting and awaiting scenarios -----------------------------------------------------------

SCENARIOS: dict[str, Callable[[Path], Any]] = {
    "kill": run_kill_scenario,
    "concurrency": run_concurrency_scenario,
    "faults": run_faults_scenario,
}
_futures: dict[str, Future] = {}
_lock = threading.Lock()


def _run_in_thread(name: str, base: Path, future: Future) -> None:
    started = time.monotonic()
    try:
        value = SCENARIOS[name](base)
    except BaseException as exc:
        exc.add_note(f"scenario {name!r} failed after {time.monotonic() - started:.0f} s")
        exc.add_note("".join(traceback.format_exception(exc))[-4000:])
        future.set_exception(exc)
        return
    print(f"\n[reliability] scenario {name} took {time.monotonic() - started:.0f} s", flush=True)
    future.set_result(value)


def scenario(name: str, request: pytest.FixtureRequest, timeout: float = 840.0) -> Any:
    """The record of scenario ``name``, run once per session by the first fixture that asks.

    Scenarios run one at a time: each is a few CPU-heavy processes (loads, dbt), and ``make test``
    already runs two test groups at once on a 2-core machine; more at once only makes every wait
    bound tighter.
    """
    with _lock:
        if name not in _futures:
            future: Future = Future()
            _futures[name] = future
            base = request.getfixturevalue("tmp_path_factory").mktemp(f"rel-{name}")
            thread = threading.Thread(target=_run_in_thread, args=(name, base, future), daemon=True)
            thread.start()
    return _futures[name].result(timeout=timeout)


@atexit.register
def _stop_children() -> None:
    # A scenario thread cut short (Ctrl-C, pytest -x) must not leave loads running.
    for child in list(Child.instances):
        if child.alive():
            child.stop(grace=2)
