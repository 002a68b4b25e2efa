"""Process plumbing for the reliability tests: child processes, environments, bounded waits.

Every child runs in its own session so that stopping it also stops what it spawned (dbt), and is
only ever signalled through its own process group id.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeVar

import uvicorn

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # console scripts of this very environment
MPO_PIPELINE = str(BIN / "mpo-pipeline")
FIRST_DAY = "2026-01-01"  # MPO_START_DATE of every scenario
RUN_ID = re.compile(r"\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any MPO_/DAGSTER_/DBT_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPO_", "DAGSTER_", "DBT_"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="False", DO_NOT_TRACK="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def load_environ(
    data_dir: Path, api_url: str, client_id: str, client_secret: str, **extra: str
) -> dict[str, str]:
    """The environment of a ``make load`` run against ``api_url`` with data under ``data_dir``."""
    settings = {
        "MPO_API_BASE_URL": api_url,
        "MPO_CLIENT_ID": client_id,
        "MPO_CLIENT_SECRET": client_secret,
        "MPO_DATA_DIR": str(data_dir),
        "MPO_START_DATE": FIRST_DAY,
        "MPO_TIME_ZONE": "UTC",
        "MPO_MAX_CALLS_PER_MINUTE": "10000",
    }
    return clean_environ(**{**settings, **extra})


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2
) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


class Child:
    """A child process in its own session, its stdout and stderr in two files of ``log_dir``."""

    instances: ClassVar[list[Child]] = []  # every child started, for the cleanup at exit

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.stdout_path = log_dir / f"{name}.stdout"
        self.stderr_path = log_dir / f"{name}.stderr"
        self._out = self.stdout_path.open("wb")
        self._err = self.stderr_path.open("wb")
        self.started = time.monotonic()
        self.ended: float | None = None
        self.proc = subprocess.Popen(
            args,
            env=dict(env),
            cwd=REPO,
            stdout=self._out,
            stderr=self._err,
            start_new_session=True,
        )
        Child.instances.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        """Everything the child wrote so far, stdout then stderr."""
        parts = [p.read_text(errors="replace") for p in (self.stdout_path, self.stderr_path)]
        return "\n".join(parts)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait(self, timeout: float) -> int:
        """The exit code; a child still running after ``timeout`` seconds is stopped, then fails."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise TimeoutError(
                f"{self.name} still running after {timeout:.0f} s; stopped. End of its output:\n"
                + self.tail()
            ) from None
        self._close()
        return code

    def kill(self) -> None:
        """SIGKILL the child's whole process group at once (a crash, as the OS would do it)."""
        _signal_group(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        self._close()

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` seconds."""
        if self.alive():
            _signal_group(self.proc.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # Children may outlive the leader (a dbt process): always sweep the group.
        _signal_group(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self.ended is None:
            self.ended = time.monotonic()
        for handle in (self._out, self._err):
            if not handle.closed:
                handle.close()


def _signal_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class LoadRun:
    """A finished ``mpo-pipeline load``: exit code, output, Dagster run id and wall time."""

    name: str
    code: int
    output: str
    seconds: float

    @property
    def run_id(self) -> str | None:
        """The Dagster run id (first one the output names)."""
        match = RUN_ID.search(self.output)
        return match.group(1) if match else None


def start_load(name: str, start: str, end: str, env: Mapping[str, str], log_dir: Path) -> Child:
    """Start ``mpo-pipeline load --start START --end END`` as a child process."""
    return Child(name, [MPO_PIPELINE, "load", "--start", start, "--end", end], env, log_dir)


def finish(child: Child, timeout: float) -> LoadRun:
    """Wait for a child (bounded) and collect what it did."""
    code = child.wait(timeout)
    seconds = (child.ended or time.monotonic()) - child.started
    return LoadRun(child.name, code, child.output(), seconds)


def run_load(
    name: str, start: str, end: str, env: Mapping[str, str], log_dir: Path, timeout: float
) -> LoadRun:
    """Run one ``mpo-pipeline load`` to completion (at most ``timeout`` seconds)."""
    return finish(start_load(name, start, end, env, log_dir), timeout)


class ServerThread:
    """Serve an ASGI app on a loopback port in a daemon thread (used for the corrupting proxy)."""

    def __init__(self, app, port: int = 0) -> None:
        import socket

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(128)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self._thread.start()
        wait_until(lambda: self._server.started, 15, "proxy server start", interval=0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
