"""Process plumbing for the end-to-end tests: free ports, child processes, bounded waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # console scripts of this very environment


def free_port() -> int:
    """A TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any MPO_*/DAGSTER_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPO_", "DAGSTER_", "DBT_"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="False", DO_NOT_TRACK="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables of this process for the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.5
) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds.

    An exception from ``probe`` means "not yet", except an ``AssertionError``: that one is a
    definitive failure (e.g. the code location failed to load) and is raised at once.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
        except AssertionError:
            raise
        except Exception as exc:
            last_error, result = exc, None
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last error: {last_error!r})")


class Child:
    """A child process in its own process group, with its output in a log file."""

    def __init__(
        self, name: str, args: list[str], env: Mapping[str, str], log_dir: Path, cwd: Path = REPO
    ) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._log_fh = self.log.open("wb")
        # Own session: stopping the group also stops what it spawned (run workers, gRPC servers).
        self.proc = subprocess.Popen(
            args,
            env=dict(env),
            cwd=cwd,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def check_alive(self) -> None:
        """Fail loudly, with the end of its log, if the process died."""
        if not self.alive():
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left after ``grace`` seconds."""
        try:
            if self.alive():
                _signal_group(self.proc.pid, signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=grace)
            # Children may outlive the leader (e.g. a run worker): always sweep the group.
            _signal_group(self.proc.pid, signal.SIGKILL)
            if self.alive():
                self.proc.wait(timeout=10)
        finally:
            self._log_fh.close()


def _signal_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
