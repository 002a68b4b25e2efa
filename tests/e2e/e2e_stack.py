"""A production-like Dagster deployment on loopback, made of the real processes.

PostgreSQL (instance storage) + the MPO API simulator + ``dagster code-server start`` (gRPC) +
``dagster-webserver`` + ``dagster-daemon run`` (started on demand), wired like docker-compose.yml:
the repository's own ``dagster.yaml`` as the instance and its ``workspace.yaml`` with the code
server's address.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import yaml
from e2e_graphql import GraphQL
from support.postgres import PostgresServer
from support.processes import (
    BIN,
    REPO,
    Child,
    clean_environ,
    free_port,
    patched_environ,
    wait_until,
)

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig

LOCATION = "mpo_pipeline"
POOL_LIMITS = {"duckdb": 1, "mpo_api": 2, "mpo_realtime": 1}
START_TIMEOUT = 120.0


@dataclass
class Stack:
    """Handles on a running deployment."""

    url: str  # the webserver
    gql: GraphQL
    repository: str  # name of the code location's repository, for job selectors
    truth: GroundTruth
    sim_config: SimulatorConfig
    start_date: date  # MPO_START_DATE: first daily partition
    lake: Path
    warehouse: Path
    home: Path
    pg_env: dict[str, str]  # DAGSTER_PG_* of the PostgreSQL server
    children: dict[str, Child]
    start_daemon: Callable[[], None]  # idempotent
    time_zone: str = "UTC"  # MPO_TIME_ZONE of the deployment

    def check_alive(self) -> None:
        for child in self.children.values():
            child.check_alive()

    def logs(self) -> str:
        return "\n".join(f"== {n}\n{c.tail()}" for n, c in self.children.items())


def sim_config(today: date) -> SimulatorConfig:
    """Two advertisers (EUR/Paris, JPY/Tokyo), small enough for a fast end-to-end run."""
    return SimulatorConfig(seed=11, advertisers=2, campaigns=3, sellers=40, today=today)


def sim_args(config: SimulatorConfig, port: int) -> list[str]:
    return [
        sys.executable, "-m", "mpo_pipeline.simulator", "--host", "127.0.0.1",
        "--port", str(port), "--seed", str(config.seed), "--advertisers", str(config.advertisers),
        "--campaigns", str(config.campaigns), "--sellers", str(config.sellers),
        "--today", config.today.isoformat(),
    ]  # fmt: skip


def write_instance(home: Path) -> None:
    """The repository's dagster.yaml, verbatim, as this instance's configuration."""
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")


def write_workspace(path: Path, port: int) -> Path:
    """The repository's workspace.yaml with the code server's loopback address."""
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    server.update(host="127.0.0.1", port=port)
    path.write_text(yaml.safe_dump(workspace))
    return path


def init_instance(home: Path, pg_env: dict[str, str]) -> None:
    """What compose's `init` service does: create the schema, set the per-pool limits."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    with (
        patched_environ(pg_env),
        DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance,
    ):
        for pool, limit in POOL_LIMITS.items():
            instance.event_log_storage.set_concurrency_slots(pool, limit)


def code_server_ready(port: int) -> bool:
    from dagster._grpc.client import DagsterGrpcClient

    return DagsterGrpcClient(port=port, host="127.0.0.1").health_check_query() == "SERVING"


@contextmanager
def dagster_stack(root: Path, *, time_zone: str = "UTC") -> Iterator[Stack]:
    """Start everything under ``root`` (days in ``time_zone``); stop every process (and
    PostgreSQL) on exit."""
    today = datetime.now(ZoneInfo(time_zone)).date()
    config = sim_config(today)
    start_date = today - timedelta(days=60)
    logs = root / "logs"
    logs.mkdir(parents=True)
    home = root / "dagster_home"
    data = root / "data"
    ports = {name: free_port() for name in ("sim", "code", "web")}
    children: dict[str, Child] = {}

    with ExitStack() as stack:
        postgres = PostgresServer()
        stack.callback(postgres.stop)

        def spawn(name: str, args: list[str], env: dict[str, str]) -> Child:
            child = Child(name, args, env, logs)
            stack.callback(child.stop, grace=15.0)
            children[name] = child
            return child

        sim_url = f"http://127.0.0.1:{ports['sim']}"
        spawn("simulator", sim_args(config, ports["sim"]), clean_environ())
        postgres.start()
        write_instance(home)
        init_instance(home, postgres.env)
        env = clean_environ(
            **postgres.env,
            DAGSTER_HOME=str(home),
            MPO_API_BASE_URL=sim_url,
            MPO_CLIENT_ID=config.client_id,
            MPO_CLIENT_SECRET=config.client_secret,
            MPO_START_DATE=start_date.isoformat(),
            MPO_TIME_ZONE=time_zone,
            # one clock: Dagster's partitions end where the simulator's days do, whatever the
            # machine's date does during the test
            MPO_TODAY=today.isoformat(),
            MPO_MAX_CALLS_PER_MINUTE="6000",
            MPO_DATA_DIR=str(data),
            MPO_LAKE_DIR=str(data / "lake"),
            MPO_WAREHOUSE=str(data / "warehouse.duckdb"),
        )
        code = spawn(
            "code-server",
            [str(BIN / "dagster"), "code-server", "start", "-m", "mpo_pipeline.definitions",
             "-h", "127.0.0.1", "-p", str(ports["code"]), "--location-name", LOCATION],
            env,
        )  # fmt: skip
        wait_until(
            lambda: httpx.get(f"{sim_url}/health", timeout=2).status_code == 200,
            30,
            "simulator ready",
        )

        def code_ready() -> bool:
            code.check_alive()
            return code_server_ready(ports["code"])

        wait_until(code_ready, START_TIMEOUT, "gRPC code server ready", interval=1.0)
        workspace = write_workspace(root / "workspace.yaml", ports["code"])
        web = spawn(
            "webserver",
            [str(BIN / "dagster-webserver"), "-w", str(workspace), "-h", "127.0.0.1",
             "-p", str(ports["web"])],
            env,
        )  # fmt: skip
        url = f"http://127.0.0.1:{ports['web']}"

        def web_ready() -> bool:
            web.check_alive()
            return httpx.get(f"{url}/server_info", timeout=2).status_code == 200

        wait_until(web_ready, START_TIMEOUT, "webserver ready", interval=1.0)
        gql = GraphQL(url)
        stack.callback(gql.close)
        location = gql.loaded_location(LOCATION, 60)
        # Only the test's own runs: no schedule or sensor may fire while it measures the lake,
        # so switch them off (as in the UI) before the daemon starts.
        gql.stop_automation()

        def start_daemon() -> None:
            # Started on demand: backfills launched before it are picked up by its very first
            # iteration instead of waiting for the next 30 s tick.
            if "daemon" not in children:
                spawn("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)], env)

        yield Stack(
            url=url,
            gql=gql,
            repository=location["repositories"][0]["name"],
            truth=GroundTruth(config),
            sim_config=config,
            start_date=start_date,
            lake=data / "lake",
            warehouse=data / "warehouse.duckdb",
            home=home,
            pg_env=postgres.env,
            children=children,
            start_daemon=start_daemon,
            time_zone=time_zone,
        )
