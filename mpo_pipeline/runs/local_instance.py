"""The local Dagster instance that command-line runs use (``$MPO_DATA_DIR/dagster_home``).

Two things a long-running local instance needs that Dagster leaves to the deployment:

- **Safe first start.** Several ``mpo-pipeline`` processes started at once on a fresh data dir all
  try to create the instance's SQLite storage; unguarded, some die in alembic. The first creation is
  done under an exclusive file lock, and ``dagster.yaml`` is written atomically.
- **Recovery from dead runs.** A run whose process was killed (kill -9, OOM, reboot) stays
  ``STARTED`` forever and keeps its pool slots (``mpo_api``, ``duckdb``), so every later run would
  wait for them. Command-line runs are tagged with the host, pid and start time of their process;
  before each run, those whose process is gone are marked failed and their slots are freed. Runs
  launched by the daemon or the UI carry no such tag and are left to Dagster's run monitoring.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

INSTANCE_YAML = """\
# Written by mpo-pipeline for local runs. Production: see dagster.yaml at the repo root.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""

HOST_TAG = "mpo/host"
PID_TAG = "mpo/pid"
PROCESS_START_TAG = "mpo/process_start"


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_instance(home: Path, config_yaml: str = INSTANCE_YAML) -> None:
    """Create ``home`` with its ``dagster.yaml`` (kept if present) and storage, once, safely
    across processes."""
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    with _exclusive(home / ".mpo-instance.lock"):
        config = home / "dagster.yaml"
        if not config.exists():
            partial = home / f".dagster.yaml.{os.getpid()}.tmp"
            partial.write_text(config_yaml)
            os.replace(partial, config)
        marker = home / ".mpo-instance-ready"
        if not marker.exists():
            # Opening the instance creates and migrates its SQLite storage; once done, later
            # openings only read it, which is safe from any number of processes.
            with dg.DagsterInstance.from_config(str(home)) as instance:
                instance.get_runs(limit=1)
            marker.touch()


def process_start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), or None if unknown/gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may hold spaces, so split after its ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def owner_tags() -> dict[str, str]:
    """Tags naming this process as the owner of a run."""
    pid = os.getpid()
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(pid)}
    started = process_start_time(pid)
    if started is not None:
        tags[PROCESS_START_TAG] = started
    return tags


def owner_is_gone(tags: dict[str, str], host: str | None = None) -> bool:
    """True when the tags name a process of this host that no longer runs (pid reuse included)."""
    if tags.get(HOST_TAG) != (host or socket.gethostname()) or not tags.get(PID_TAG, "").isdigit():
        return False
    pid = int(tags[PID_TAG])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, owned by another user
    recorded = tags.get(PROCESS_START_TAG)
    return recorded is not None and process_start_time(pid) not in (None, recorded)


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the unfinished command-line runs whose process died and free their pool slots."""
    import dagster as dg

    unfinished = dg.RunsFilter(
        statuses=[
            dg.DagsterRunStatus.QUEUED,
            dg.DagsterRunStatus.NOT_STARTED,
            dg.DagsterRunStatus.STARTING,
            dg.DagsterRunStatus.STARTED,
            dg.DagsterRunStatus.CANCELING,
        ],
        tags={HOST_TAG: socket.gethostname()},
    )
    released = []
    for run in instance.get_runs(filters=unfinished):
        if not owner_is_gone(run.tags):
            continue
        instance.report_run_failed(
            run, f"its process (pid {run.tags[PID_TAG]}) is gone (killed, out of memory, reboot)"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released
