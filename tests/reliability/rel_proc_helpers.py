"""Process plumbing of the reliability tests: ``mpo-pipeline load`` runs, their environment and
results, and a proxy server in a thread (processes in general: ``support.processes``)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import uvicorn
from support.processes import BIN, Child, clean_environ, wait_until

T = TypeVar("T")
MPO_PIPELINE = str(BIN / "mpo-pipeline")
FIRST_DAY = "2026-01-01"  # MPO_START_DATE of every scenario
RUN_ID = re.compile(r"\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


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
