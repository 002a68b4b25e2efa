"""``mpo-pipeline dev``: the Dagster UI (``dagster dev``) against a local MPO API simulator.

``run_dev`` starts the simulator on a free loopback port, points the pipeline at it with the
simulator's demo credentials, prepares a persistent Dagster home under
``$MPO_DATA_DIR/dagster_home`` (SQLite storage, telemetry off, pools ``duckdb`` = 1 and
``mpo_api`` = 2) and runs ``dagster dev`` in the foreground until Ctrl-C or SIGTERM (to this
process or to its group); then ``dagster dev`` and every process it started are stopped within
``SHUTDOWN_GRACE`` seconds (SIGINT, then SIGKILL), and the simulator too. A user who set their
own ``MPO_API_BASE_URL`` (anything but the real API's default) keeps it, with their own
credentials, and no simulator is started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from mpo_pipeline.config import DEFAULT_BASE_URL, Settings
from mpo_pipeline.core.object_store import make_folder
from mpo_pipeline.runs.local_instance import ensure_instance

POOL_LIMITS: dict[str, int] = {"duckdb": 1, "mpo_api": 2, "mpo_realtime": 1}
LOCATION_NAME = "mpo_pipeline"  # the same code location name as in workspace.yaml (compose)
SIMULATOR_READY_TIMEOUT = 30.0
SHUTDOWN_GRACE = 30.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
INSTANCE_YAML = """\
# Written by `mpo-pipeline dev` for local use (SQLite storage under this directory).
# Production: see dagster.yaml at the repository root. Per-pool limits (duckdb = 1, mpo_api = 2,
# mpo_realtime = 1) are stored in the instance; `dagster instance concurrency get --all` shows
# them.
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 1
"""


class _Terminated(Exception):
    """SIGTERM reached this process (turned into an exception so that cleanup runs)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def read_dotenv(directory: Path) -> dict[str, str]:
    """Non-empty values of ``directory/.env`` (an empty value means "unset", as in .env.example)."""
    path = directory / ".env"
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # python-dotenv ships with dagster; the parser it uses

    return {k: v for k, v in dotenv_values(path).items() if v}


def workspace_yaml(module: str = "mpo_pipeline.definitions") -> str:
    """``dagster dev -m <module>``, but under the deployment's code location name."""
    return (
        "load_from:\n"
        "  - python_module:\n"
        f"      module_name: {module}\n"
        f"      location_name: {LOCATION_NAME}\n"
    )


def merged_environment(environ: Mapping[str, str], dotenv: Mapping[str, str]) -> dict[str, str]:
    """The process environment completed by ``.env`` (a variable set in the process wins)."""
    env = dict(environ)
    for key, value in dotenv.items():
        if not env.get(key):
            env[key] = value
    return env


def uses_own_api(env: Mapping[str, str]) -> bool:
    """True when the user pointed the pipeline at an API of their own (not the default one)."""
    url = env.get("MPO_API_BASE_URL", "").strip().rstrip("/")
    return bool(url) and url != DEFAULT_BASE_URL


def dev_environment(
    env: Mapping[str, str],
    settings: Settings,
    home: Path,
    simulator: tuple[str, str, str] | None,
) -> dict[str, str]:
    """Environment of ``dagster dev``: absolute data paths, Dagster home, API connection.

    ``simulator`` is ``(url, client_id, client_secret)`` when the simulator serves the API; its
    demo credentials then replace any the user set (those are meant for the real API and are
    never sent to the simulator).
    """
    out = dict(env)
    out["MPO_DATA_DIR"] = str(settings.data_dir.resolve())
    out["MPO_LAKE_DIR"] = str(settings.lake_dir.resolve())
    out.update(settings.target.environment())
    out["MPO_PUBLISHED_WAREHOUSE"] = str(settings.published_warehouse.resolve())
    if settings.seller_directory is not None:
        out["MPO_SELLER_DIRECTORY"] = str(settings.seller_directory.resolve())
    if settings.seller_kpis is not None:
        out["MPO_SELLER_KPIS"] = str(settings.seller_kpis.resolve())
    out["DAGSTER_HOME"] = str(home)
    out.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    if simulator is not None:
        url, client_id, client_secret = simulator
        out["MPO_API_BASE_URL"] = url
        out["MPO_CLIENT_ID"] = client_id
        out["MPO_CLIENT_SECRET"] = client_secret
    return out


def prepare_home(home: Path) -> Path:
    """Create the Dagster home with a local ``dagster.yaml`` (kept if present) and pool limits."""
    ensure_instance(home, INSTANCE_YAML)
    (home / "workspace.yaml").write_text(workspace_yaml())
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        storage = instance.event_log_storage
        if storage.supports_global_concurrency_limits:
            explicit = {p.name for p in storage.get_pool_limits() if not p.from_default}
            # A limit the user changed in the UI is theirs to keep.
            for pool, limit in POOL_LIMITS.items():
                if pool not in explicit:
                    storage.set_concurrency_slots(pool, limit)
    return home


def start_simulator(port: int, env: Mapping[str, str]) -> tuple[subprocess.Popen, str]:
    """Start ``python -m mpo_pipeline.simulator`` on loopback; returns the process and its URL."""
    command = [sys.executable, "-m", "mpo_pipeline.simulator", "--host", "127.0.0.1"]
    proc = subprocess.Popen([*command, "--port", str(port)], env=dict(env), start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(proc: subprocess.Popen, url: str, timeout: float = SIMULATOR_READY_TIMEOUT) -> None:
    """Wait until the simulator at ``url`` answers its health check (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the simulator exited with code {proc.returncode} ({url})")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the simulator at {url} was not ready within {timeout} s")


def stop(proc: subprocess.Popen, sig: int, grace: float) -> int:
    """Send ``sig`` to ``proc`` (if alive), wait ``grace`` seconds, then kill it."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal still counts as alive
        return True
    return True


def stop_group(proc: subprocess.Popen, grace: float) -> int:
    """Stop ``proc`` and every process of its group (it leads one: ``start_new_session``).

    SIGINT goes to the whole group, as Ctrl-C in a terminal would: that is the shutdown
    ``dagster dev`` and its code servers handle (they ignore SIGTERM for minutes). What is still
    alive after ``grace`` seconds, leader or not, gets SIGKILL.
    """
    pgid = proc.pid
    deadline = time.monotonic() + grace
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    # The leader may be gone while its children still shut down: give them the rest of the grace.
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
    return proc.wait(timeout=10)


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def _foreground(proc: subprocess.Popen) -> int:
    """Wait for ``dagster dev``; when this process is stopped, stop its whole process group."""
    try:
        return proc.wait()
    except _Terminated:
        stop_group(proc, SHUTDOWN_GRACE)
    return 0


def run_dev(port: int = 3000, simulator_port: int | None = None) -> int:
    """Run the Dagster UI on ``127.0.0.1:port`` against the simulator; returns an exit code."""
    env = merged_environment(os.environ, read_dotenv(Path.cwd()))
    settings = Settings.from_env(env, require_credentials=False)
    home = Path(env.get("DAGSTER_HOME") or settings.data_dir / "dagster_home").resolve()
    make_folder(settings.lake_dir)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    prepare_home(home)

    # Ctrl-C (SIGINT) and SIGTERM, to this process alone or to its whole group, take one path:
    # the children run in process groups of their own, so they hear only what we send them.
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in STOP_SIGNALS}
    simulator: subprocess.Popen | None = None
    try:
        connection = None
        if not uses_own_api(env):
            from mpo_pipeline.simulator.config import SimulatorConfig

            demo = SimulatorConfig()
            simulator, url = start_simulator(simulator_port or free_port(), env)
            wait_ready(simulator, url)
            connection = (url, demo.client_id, demo.client_secret)
        dev_env = dev_environment(env, settings, home, connection)
        # (a DuckLake's connection string is shown with its password masked)
        shown = settings.target.describe() if settings.target.is_ducklake else None
        print(
            f"Dagster UI:  http://127.0.0.1:{port}\n"
            f"MPO API:     {dev_env.get('MPO_API_BASE_URL', DEFAULT_BASE_URL)}"
            + (" (simulator, demo credentials)" if connection else "")
            + f"\nDAGSTER_HOME={home}\nlake: {dev_env['MPO_LAKE_DIR']}"
            f"  warehouse: {shown or dev_env['MPO_WAREHOUSE']}",
            flush=True,
        )
        command = [sys.executable, "-m", "dagster", "dev", "-w", str(home / "workspace.yaml")]
        # cwd = the Dagster home: dagster would otherwise load ./.env over this environment.
        proc = subprocess.Popen(
            [*command, "-h", "127.0.0.1", "-p", str(port)],
            env=dev_env,
            cwd=home,
            start_new_session=True,
        )
        return _foreground(proc)
    except _Terminated:  # stopped while starting up
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if simulator is not None:
            stop(simulator, signal.SIGTERM, 10.0)
