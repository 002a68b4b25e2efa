"""Child processes, environments, ports and bounded waits for the tests that start processes.

Every child runs in its own session, so that stopping it also stops what it spawned (dbt, run
workers, gRPC servers), and is only ever signalled through its own process group id.
"""

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
from typing import ClassVar, TypeVar

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # console scripts of this very environment


def free_port() -> int:
    """A TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any MPO_/DAGSTER_/DBT_ setting, plus ``extra``."""
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
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2
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
    """A child process in its own session, its stdout and stderr in two files of ``log_dir``."""

    instances: ClassVar[list[Child]] = []  # every child started, for a cleanup at exit

    def __init__(
        self, name: str, args: list[str], env: Mapping[str, str], log_dir: Path, cwd: Path = REPO
    ) -> None:
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
            cwd=cwd,
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

    def check_alive(self) -> None:
        """Fail loudly, with the end of its output, if the process died."""
        if not self.alive():
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")

    def output(self) -> str:
        """Everything the child wrote so far, stdout then stderr."""
        parts = [
            p.read_text(errors="replace") if p.exists() else ""
            for p in (self.stdout_path, self.stderr_path)
        ]
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
        signal_group(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        self._close()

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` seconds."""
        try:
            if self.alive():
                signal_group(self.proc.pid, signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=grace)
            # Children may outlive the leader (a dbt process, a run worker): sweep the group.
            signal_group(self.proc.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
        finally:
            self._close()

    def _close(self) -> None:
        if self.ended is None:
            self.ended = time.monotonic()
        for handle in (self._out, self._err):
            if not handle.closed:
                handle.close()


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to a process group that may be gone already."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
