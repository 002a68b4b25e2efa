"""Running the simulator: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx
import uvicorn

from .app import create_app
from .config import SimulatorConfig
from .faults import silence_dropped_connection_logs
from .state import RequestLog, SimulatorState
from .truth import GroundTruth

DEFAULT_VERSION = "2026-07"
MPO_PATH = "/marketing-solutions/marketplace-performance-outcomes"


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (port 0 = a free port chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def make_server(state: SimulatorState, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for the simulator app (no lifespan, no access log)."""
    silence_dropped_connection_logs()
    config = uvicorn.Config(
        create_app(state),
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    return uvicorn.Server(config)


class RunningSimulator:
    """Handle on a simulator serving in a background thread."""

    def __init__(self, state: SimulatorState, url: str) -> None:
        self._state = state
        self.url = url

    @property
    def config(self) -> SimulatorConfig:
        return self._state.config

    @property
    def truth(self) -> GroundTruth:
        """Ground truth bound to the same config and the live clock."""
        return self._state.truth

    @property
    def request_log(self) -> RequestLog:
        return self._state.request_log

    @property
    def today(self) -> date:
        return self._state.clock.today()

    def set_today(self, today: date | None) -> None:
        """Move the simulated clock (``None`` = follow the real UTC date)."""
        self._state.clock.set_today(today)

    def api_url(self, version: str = DEFAULT_VERSION) -> str:
        """``{url}/{version}/marketing-solutions/marketplace-performance-outcomes``."""
        return f"{self.url}/{version}{MPO_PATH}"


def _wait_ready(url: str, thread: threading.Thread, server: uvicorn.Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the simulator server thread exited during startup")
        if server.started:
            try:
                if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.01)
    raise TimeoutError(f"the simulator at {url} was not ready within {timeout} s")


@contextmanager
def running_simulator(
    config: SimulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 15.0,
) -> Iterator[RunningSimulator]:
    """Serve the simulator on ``host`` (free port by default) until the block exits."""
    state = SimulatorState.create(config or SimulatorConfig())
    sock = bind_socket(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    server = make_server(state)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="mpo-simulator", daemon=True
    )
    thread.start()
    try:
        _wait_ready(url, thread, server, startup_timeout)
        yield RunningSimulator(state, url)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
