"""A process-wide exclusive lock for writers of the DuckDB warehouse file.

DuckDB allows one writing process per file. Dagster's ``duckdb`` pool (limit 1) serialises writers
launched through one Dagster instance; this lock also covers writers started outside it (two
``make load`` at once, a run in the UI plus a CLI close), so they queue instead of failing.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_path(warehouse: Path) -> Path:
    """The lock file next to the warehouse (``warehouse.duckdb.writer.lock``)."""
    return warehouse.with_name(warehouse.name + ".writer.lock")


@contextmanager
def warehouse_writer(
    warehouse: Path,
    *,
    timeout: float = 3600.0,
    on_wait: Callable[[str], None] | None = None,
    poll: float = 0.5,
) -> Iterator[None]:
    """Hold the exclusive writer lock of ``warehouse`` for the block; wait at most ``timeout``."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process has held the warehouse writer lock {path} for "
                        f"{timeout:.0f} s; is a dbt build or month close stuck?"
                    ) from None
                if on_wait is not None and not announced:
                    on_wait(f"waiting for another writer of {warehouse} to finish")
                    announced = True
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
