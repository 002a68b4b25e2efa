"""Production-like end to end: PostgreSQL instance, gRPC code server, webserver, daemon, and
backfills launched through the webserver's GraphQL API exactly as the Dagster UI launches them.

Three overlapping backfills run at once (launched as soon as the deployment is up):
  A  an asset backfill of the six stats assets over days 10..16 (``partitionsByAssets``);
  B  the ``load`` job's "Materialize" dialog for the daily facts and everything upstream of
     them in the job (stats, dbt staging/intermediate, daily facts; ``assetSelection`` +
     ``partitionNames``), days 5..20;
  C  the ``load`` job's partitions tab "Launch backfill" (the whole job), days 12..27.
Each is one run per range (``BackfillPolicy.single_run``). The only thing the UI would not send
is ``runConfigData`` selecting the in-process executor: step subprocesses (each re-importing the
project) would not fit three concurrent runs into this suite's CPU budget of 2 cores.

The deployment reports in Tokyo days (MPO_TIME_ZONE=Asia/Tokyo, east of UTC): partitions, lake,
facts and the daily schedule's window are compared with the simulator's truth in Tokyo days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest
from e2e_graphql import (
    asset_range_backfill_params,
    job_backfill_params,
    lock_errors,
    step_intervals,
)
from e2e_lake import (
    assert_daily_facts_equal_truth,
    assert_lake_equals_truth,
    days,
    warehouse_has_marts,
)
from e2e_queries import ASSET_NODES, ASSET_PARTITIONS, JOB_PARTITIONS
from e2e_stack import LOCATION, Stack, dagster_stack
from support.postgres import available
from support.processes import REPO, patched_environ

from mpo_pipeline.ingest.lake import stats_path

pytestmark = [
    pytest.mark.skipif(available() is not None, reason=f"PostgreSQL: {available()}"),
    # Setup (deployment + three backfills) happens inside the first tests' budget.
    pytest.mark.timeout(900),
]

STATS_KEYS = {
    ("mpo_stats", f"{endpoint}_{policy}")
    for endpoint in ("sellers", "campaigns", "seller_campaigns")
    for policy in ("same_seller", "any_seller")
}
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
RUNS_TIMEOUT = 720.0  # the daemon ticks every 30 s; the dbt steps of B and C run one at a time
STATUS_TIMEOUT = 45.0  # the daemon marks a backfill completed on its next tick after the run
RANGES = {"A": (10, 16), "B": (5, 20), "C": (12, 27)}  # day offsets from MPO_START_DATE
# East of UTC: at the daily schedule's hour (default MPO_DAILY_SCHEDULE_HOUR 6) Tokyo is already
# on the next day, UTC (21:00) still on the previous one.
ZONE = "Asia/Tokyo"
SCHEDULE_HOUR = 6
LOOKBACK_DAYS = 30  # the default MPO_LOOKBACK_DAYS
SCHEDULE_TICKS = """
query DailyRefreshTicks($selector: ScheduleSelector!, $cursor: Float, $limit: Int) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      cronSchedule
      executionTimezone
      futureTicks(cursor: $cursor, limit: $limit) {
        results {
          timestamp
          evaluationResult {
            runRequests { runKey tags { key value } }
            error { message }
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""


@dataclass
class Launched:
    ids: dict[str, str]  # backfill id per name of RANGES
    ranges: dict[str, tuple[date, date]]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with dagster_stack(tmp_path_factory.mktemp("e2e-stack"), time_zone=ZONE) as running:
        yield running


@pytest.fixture(scope="module")
def asset_graph(stack: Stack) -> dict[tuple[str, ...], dict]:
    return {tuple(n["assetKey"]["path"]): n for n in stack.gql(ASSET_NODES)["assetNodes"]}


def _names(start: date, end: date) -> list[str]:
    return [d.isoformat() for d in days(start, end)]


@pytest.fixture(scope="module")
def launched(stack: Stack, asset_graph: dict[tuple[str, ...], dict]) -> Launched:
    """Launch A, B and C back to back, the way a user clicks through the UI."""
    ranges = {
        name: (stack.start_date + timedelta(days=a), stack.start_date + timedelta(days=b))
        for name, (a, b) in RANGES.items()
    }
    a_start, a_end = (d.isoformat() for d in ranges["A"])
    load = {key for key, node in asset_graph.items() if "load" in node["jobNames"]}
    daily = {key for key in load if _is_daily(asset_graph[key])}
    b_keys = [list(key) for key in sorted(_upstream(asset_graph, daily) & load)]
    params = {
        "A": asset_range_backfill_params(
            [list(k) for k in sorted(STATS_KEYS)], a_start, a_end, "e2e A: stats"
        ),
        "B": job_backfill_params(
            stack.repository, LOCATION, "load", _names(*ranges["B"]), "e2e B", b_keys
        ),
        "C": job_backfill_params(stack.repository, LOCATION, "load", _names(*ranges["C"]), "e2e C"),
    }
    ids = {
        name: stack.gql.launch_backfill({**body, "runConfigData": IN_PROCESS})
        for name, body in params.items()
    }
    stack.start_daemon()
    return Launched(ids=ids, ranges=ranges)


def _is_daily(node: dict) -> bool:
    return node["isPartitioned"] and node["partitionDefinition"]["type"] == "TIME_WINDOW"


def _upstream(asset_graph: dict[tuple[str, ...], dict], roots: set) -> set[tuple[str, ...]]:
    """``roots`` and all their ancestors in the asset graph."""
    seen, todo = set(roots), list(roots)
    while todo:
        for parent in asset_graph[todo.pop()]["dependencyKeys"]:
            key = tuple(parent["path"])
            if key in asset_graph and key not in seen:
                seen.add(key)
                todo.append(key)
    return seen


@pytest.fixture(scope="module")
def finished(stack: Stack, launched: Launched) -> dict[str, dict]:
    """The three backfills once all their runs have finished."""
    names = list(launched.ids)
    states = stack.gql.wait_backfills(
        [launched.ids[n] for n in names], RUNS_TIMEOUT, stack.check_alive, until_status=False
    )
    return dict(zip(names, states, strict=True))


def _single_run_of(backfill: dict, start: date, end: date, stack: Stack) -> dict:
    """The one run of a single-run backfill, which must have succeeded for the whole range."""
    assert len(backfill["runs"]) == 1, backfill["runs"]
    (run,) = backfill["runs"]
    assert run["status"] == "SUCCESS", stack.gql.run_failures(run["runId"]) or stack.logs()
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/asset_partition_range_start"] == start.isoformat()
    assert tags["dagster/asset_partition_range_end"] == end.isoformat()
    return run


def test_asset_graph_and_daily_partitions(
    stack: Stack, asset_graph: dict, launched: Launched
) -> None:
    assert set(asset_graph) >= STATS_KEYS
    for key in STATS_KEYS:
        node = asset_graph[key]
        assert node["groupName"] == "mpo_stats"
        assert node["isPartitioned"] and node["partitionDefinition"]["type"] == "TIME_WINDOW"
        assert node["backfillPolicy"]["policyType"] == "SINGLE_RUN"
        assert "mpo_api" in node["pools"]
    assert any(n["groupName"] == "mpo_metadata" for n in asset_graph.values())

    # Tokyo days from MPO_START_DATE up to yesterday (the last complete day): the day before
    # MPO_TODAY, a Tokyo date pinned by the stack (the simulator's today).
    expected = _names(stack.start_date, stack.truth.today - timedelta(days=1))
    key = {"path": ["mpo_stats", "sellers_any_seller"]}
    node = stack.gql(ASSET_PARTITIONS, {"assetKey": key})["assetNodeOrError"]
    assert node["__typename"] == "AssetNode"
    assert ZONE in node["partitionDefinition"]["description"]
    assert node["partitionKeysByDimension"][0]["partitionKeys"] == expected

    selector = {
        "pipelineName": "load",
        "repositoryName": stack.repository,
        "repositoryLocationName": LOCATION,
    }
    job = stack.gql(JOB_PARTITIONS, {"selector": selector})["pipelineOrError"]
    assert job["__typename"] == "Pipeline", job
    assert job["partitionKeysOrError"]["partitionKeys"] == expected


def test_the_daily_schedule_requests_tokyos_yesterday(stack: Stack) -> None:
    """Three ticks of the deployed daily schedule, evaluated by the code server (as the daemon
    would) for the two mornings before MPO_TODAY and MPO_TODAY's own."""
    tokyo = ZoneInfo(ZONE)
    today = stack.truth.today  # MPO_TODAY, a Tokyo date
    mornings = [today - timedelta(days=n) for n in (2, 1, 0)]
    selector = {
        "repositoryName": stack.repository,
        "repositoryLocationName": LOCATION,
        "scheduleName": "daily_refresh",
    }
    cursor = datetime.combine(mornings[0], time(), tzinfo=tokyo).timestamp()
    variables = {"selector": selector, "cursor": cursor, "limit": len(mornings)}
    schedule = stack.gql(SCHEDULE_TICKS, variables)["scheduleOrError"]
    assert schedule["__typename"] == "Schedule", schedule
    assert (schedule["cronSchedule"], schedule["executionTimezone"]) == (
        f"0 {SCHEDULE_HOUR} * * *",
        ZONE,
    )
    ticks = schedule["futureTicks"]["results"]
    assert len(ticks) == len(mornings)
    for morning, tick in zip(mornings, ticks, strict=True):
        fires = datetime.combine(morning, time(SCHEDULE_HOUR), tzinfo=tokyo)
        assert tick["timestamp"] == fires.timestamp()
        # In UTC the tick is still on the previous day: a window ending on the UTC date's
        # yesterday would miss Tokyo's last complete day.
        assert datetime.fromtimestamp(tick["timestamp"], UTC).date() == morning - timedelta(1)
        evaluation = tick["evaluationResult"]
        assert evaluation["error"] is None, evaluation["error"]
        (request,) = evaluation["runRequests"]
        tags = {t["key"]: t["value"] for t in request["tags"]}
        yesterday = morning - timedelta(days=1)
        start = max(stack.start_date, yesterday - timedelta(days=LOOKBACK_DAYS))
        assert tags["dagster/asset_partition_range_start"] == start.isoformat()
        assert tags["dagster/asset_partition_range_end"] == yesterday.isoformat()
        assert request["runKey"] == f"daily-{yesterday.isoformat()}"
    # MPO_TODAY's tick asks for the last daily partition, the day before MPO_TODAY.
    assert tags["dagster/asset_partition_range_end"] == (today - timedelta(days=1)).isoformat()


def test_asset_backfill_of_a_range_is_one_run_that_lands_exactly_the_truth(
    stack: Stack, launched: Launched, finished: dict[str, dict]
) -> None:
    backfill = finished["A"]
    assert backfill["isAssetBackfill"]
    _single_run_of(backfill, *launched.ranges["A"], stack)
    compared = assert_lake_equals_truth(
        stack.lake, stack.truth, *launched.ranges["A"], time_zone=ZONE
    )
    assert compared > 100


def test_overlapping_job_backfills_each_run_once_and_succeed(
    stack: Stack, launched: Launched, finished: dict[str, dict]
) -> None:
    for name in ("B", "C"):
        assert not finished[name]["isAssetBackfill"]
        _single_run_of(finished[name], *launched.ranges[name], stack)


def test_no_lock_error_and_duckdb_writers_never_overlap(
    stack: Stack, finished: dict[str, dict]
) -> None:
    writers: list[tuple[float, float]] = []
    for backfill in finished.values():
        for run in backfill["runs"]:
            events = stack.gql.run_messages(run["runId"])
            assert lock_errors(events) == [], run["runId"]
            writers += step_intervals(events, "dbt_")
    # Pool `duckdb` (limit 1) must have serialised every dbt step across the concurrent runs.
    assert len(writers) >= 2, f"expected dbt steps in the backfill runs, saw {writers}"
    writers.sort()
    for (_, end), (start, _) in pairwise(writers):
        assert start >= end - 0.5, f"two DuckDB writers overlapped: {writers}"


def test_lake_and_warehouse_equal_the_truth_over_all_ranges(
    stack: Stack, launched: Launched, finished: dict[str, dict]
) -> None:
    first = min(start for start, _ in launched.ranges.values())
    last = max(end for _, end in launched.ranges.values())
    assert assert_lake_equals_truth(stack.lake, stack.truth, first, last, time_zone=ZONE) > 100
    # the lineage and the facts say which zone the days are cut in
    lake_file = stats_path(stack.lake, "sellers", "AnySeller", last, _advertisers(stack)[0])
    assert set(pq.read_table(lake_file, columns=["time_zone"]).column(0).to_pylist()) == {ZONE}
    # the dbt models are part of the `load` job: the marts must be there
    assert warehouse_has_marts(stack.warehouse), "the backfills built no marts"
    first = min(launched.ranges["B"][0], launched.ranges["C"][0])
    assert_daily_facts_equal_truth(stack.warehouse, stack.truth, first, last, time_zone=ZONE)
    with duckdb.connect(str(stack.warehouse), read_only=True) as con:
        zones = con.execute(
            "select distinct time_zone from marts.fct_seller_campaign_stats_daily"
        ).fetchall()
    assert zones == [(ZONE,)]


def test_tokyo_days_are_not_utc_days(stack: Stack, launched: Launched) -> None:
    # Guards the comparisons above: the lake of a pipeline asking for UTC days would differ.
    first = min(start for start, _ in launched.ranges.values())
    last = max(end for _, end in launched.ranges.values())
    differing = []
    for advertiser in _advertisers(stack):
        totals = {
            zone: _clicks_per_day(stack, advertiser, first, last, zone) for zone in (ZONE, "UTC")
        }
        differing += [d for d in days(first, last) if totals[ZONE][d] != totals["UTC"][d]]
    pairs = len(_advertisers(stack)) * ((last - first).days + 1)
    assert 2 * len(differing) > pairs, differing  # most days of every advertiser


def _advertisers(stack: Stack) -> list[int]:
    return [a["id"] for a in stack.truth.advertisers()]


def _clicks_per_day(stack: Stack, advertiser: int, first: date, last: date, zone: str) -> dict:
    table = stack.truth.stats("sellers", "AnySeller", advertiser, first, last, time_zone=zone)
    per_day = dict.fromkeys(days(first, last), 0)
    for row in table.to_pylist():
        per_day[row["day"]] += row["clicks"]
    return per_day


def test_backfills_complete_successfully(
    stack: Stack, launched: Launched, finished: dict[str, dict]
) -> None:
    states = stack.gql.wait_backfills(list(launched.ids.values()), STATUS_TIMEOUT)
    assert [b["status"] for b in states] == ["COMPLETED_SUCCESS"] * len(states), stack.logs()


def test_the_repositorys_dagster_yaml_runs_on_postgres_with_the_pools(stack: Stack) -> None:
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    assert (stack.home / "dagster.yaml").read_text() == (REPO / "dagster.yaml").read_text()
    with (
        patched_environ(stack.pg_env),
        DagsterInstance.from_ref(InstanceRef.from_dir(str(stack.home))) as instance,
    ):
        assert type(instance.run_storage).__module__.startswith("dagster_postgres")
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        limits = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
        assert limits["duckdb"] == 1
        assert limits["mpo_api"] == 2
