"""``mpo_pipeline.cli.devserver.run_dev`` (``make dev``): the Dagster UI against a local
simulator."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
import yaml
from e2e_graphql import GraphQL
from e2e_queries import ASSET_NODES
from support.processes import REPO, Child, clean_environ, free_port, wait_until

from mpo_pipeline.cli.devserver import (
    LOCATION_NAME,
    dev_environment,
    merged_environment,
    uses_own_api,
    workspace_yaml,
)
from mpo_pipeline.config import Settings
from mpo_pipeline.simulator import SimulatorConfig

DEMO = SimulatorConfig()


def test_process_environment_wins_over_dotenv_and_empty_values_are_unset() -> None:
    env = merged_environment(
        {"MPO_CLIENT_ID": "from-shell", "MPO_TIME_ZONE": ""},
        {"MPO_CLIENT_ID": "from-dotenv", "MPO_TIME_ZONE": "Europe/Paris", "MPO_X": "1"},
    )
    assert env == {"MPO_CLIENT_ID": "from-shell", "MPO_TIME_ZONE": "Europe/Paris", "MPO_X": "1"}


@pytest.mark.parametrize(
    ("url", "own"),
    [
        ("", False),
        ("https://api.criteo.com", False),  # the default (and .env.example's value)
        ("https://api.criteo.com/", False),
        ("http://127.0.0.1:8765", True),
        ("https://staging.example.com", True),
    ],
)
def test_only_a_non_default_api_url_counts_as_the_users_own(url: str, own: bool) -> None:
    assert uses_own_api({"MPO_API_BASE_URL": url}) is own


def test_dev_environment_points_at_the_simulator_with_absolute_paths(tmp_path: Path) -> None:
    user = {"MPO_CLIENT_ID": "real-id", "MPO_CLIENT_SECRET": "real-secret", "MPO_DATA_DIR": "rel"}
    settings = Settings.from_env(user, require_credentials=False)
    simulator = ("http://127.0.0.1:1234", DEMO.client_id, DEMO.client_secret)
    env = dev_environment(user, settings, tmp_path / "home", simulator)
    assert env["MPO_API_BASE_URL"] == "http://127.0.0.1:1234"
    # The user's credentials are for the real API: never sent to the simulator.
    assert (env["MPO_CLIENT_ID"], env["MPO_CLIENT_SECRET"]) == (DEMO.client_id, DEMO.client_secret)
    for name in ("MPO_DATA_DIR", "MPO_LAKE_DIR", "MPO_WAREHOUSE", "DAGSTER_HOME"):
        assert Path(env[name]).is_absolute(), name
    assert env["MPO_LAKE_DIR"] == str(Path("rel/lake").resolve())

    own = dev_environment(user, settings, tmp_path / "home", None)
    assert own["MPO_CLIENT_ID"] == "real-id"


def test_workspace_uses_the_deployments_location_name() -> None:
    (entry,) = yaml.safe_load(workspace_yaml())["load_from"]
    assert entry["python_module"] == {
        "module_name": "mpo_pipeline.definitions",
        "location_name": LOCATION_NAME,
    }
    deployed = yaml.safe_load((REPO / "workspace.yaml").read_text())["load_from"][0]
    assert deployed["grpc_server"]["location_name"] == LOCATION_NAME


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _code_process(root: psutil.Process) -> psutil.Process | None:
    """The process that imports the project (the gRPC server started by dagster dev)."""
    for proc in root.children(recursive=True):
        try:
            if "api grpc" in " ".join(proc.cmdline()):
                return proc
        except psutil.NoSuchProcess:
            continue
    return None


# What a service manager or `docker stop` does (SIGTERM to the whole process group), and Ctrl-C
# reaching only the command (SIGINT to the leader, e.g. from a supervisor that signals its child).
STOPS = {
    "sigterm-to-the-group": (signal.SIGTERM, True),
    "sigint-to-the-leader": (signal.SIGINT, False),
}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("how", list(STOPS))
def test_run_dev_serves_the_ui_against_the_simulator_and_stops_everything(
    tmp_path: Path, how: str
) -> None:
    # A .env copied from .env.example (real API URL, empty credentials) must not win.
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    start = datetime.now(UTC).date() - timedelta(days=10)
    env = clean_environ(MPO_START_DATE=start.isoformat(), MPO_TIME_ZONE="UTC")
    port = free_port()
    script = (
        f"import sys; from mpo_pipeline.cli.devserver import run_dev; sys.exit(run_dev({port}))"
    )
    dev = Child("dev", [sys.executable, "-c", script], env, tmp_path, cwd=tmp_path)
    gql = GraphQL(f"http://127.0.0.1:{port}")
    try:

        def ui_ready() -> dict | None:
            if not dev.alive():
                raise AssertionError(f"run_dev exited early:\n{dev.tail()}")
            return gql.location(LOCATION_NAME)

        wait_until(ui_ready, 180, "dagster dev UI with the code location", interval=1.0)
        keys = {tuple(n["assetKey"]["path"]) for n in gql(ASSET_NODES)["assetNodes"]}
        assert ("mpo_stats", "sellers_any_seller") in keys
        limits = gql("{ instance { concurrencyLimits { concurrencyKey slotCount } } }")
        slots = {
            c["concurrencyKey"]: c["slotCount"] for c in limits["instance"]["concurrencyLimits"]
        }
        assert slots["duckdb"] == 1 and slots["mpo_api"] == 2

        root = psutil.Process(dev.proc.pid)
        code = wait_until(lambda: _code_process(root), 30, "gRPC code process")
        code_env = code.environ()
        assert code_env["MPO_API_BASE_URL"].startswith("http://127.0.0.1:")
        assert code_env["MPO_CLIENT_ID"] == DEMO.client_id
        assert code_env["MPO_LAKE_DIR"] == str(tmp_path / "data" / "lake")
        home = tmp_path / "data" / "dagster_home"
        assert code_env["DAGSTER_HOME"] == str(home)
        assert yaml.safe_load((home / "dagster.yaml").read_text())["telemetry"]["enabled"] is False

        descendants = root.children(recursive=True)
        assert any("api grpc" in " ".join(p.cmdline()) for p in descendants)
        sig, to_group = STOPS[how]
        if to_group:  # the simulator and dagster dev get nothing from us directly
            os.killpg(dev.proc.pid, sig)
        else:
            os.kill(dev.proc.pid, sig)
        assert dev.proc.wait(timeout=120) == 0, dev.tail()
        # The command returns only once what it started is gone (zombies are dead, not yet reaped).
        alive = [p for p in descendants if _running(p)]
        assert not alive, f"left running: {[p.pid for p in alive]}\n{dev.tail()}"
    finally:
        gql.close()
        dev.stop()
