"""The warehouse writer lock serialises processes and times out clearly."""

import multiprocessing
import time
from pathlib import Path

import pytest

from mpo_pipeline.warehouse.lock import warehouse_writer


def _hold(path: str, seconds: float, ready) -> None:
    with warehouse_writer(Path(path)):
        ready.set()
        time.sleep(seconds)


def test_second_writer_waits_for_the_first(tmp_path: Path):
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path / "w.duckdb"), 1.5, ready))
    holder.start()
    assert ready.wait(30)
    messages = []
    started = time.monotonic()
    with warehouse_writer(tmp_path / "w.duckdb", on_wait=messages.append, poll=0.05):
        waited = time.monotonic() - started
    holder.join(30)
    assert waited > 0.5
    assert messages and "waiting for another writer" in messages[0]


def test_timeout_names_the_lock(tmp_path: Path):
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path / "w.duckdb"), 3, ready))
    holder.start()
    assert ready.wait(30)
    with (
        pytest.raises(TimeoutError, match=r"w\.duckdb\.writer\.lock"),
        warehouse_writer(tmp_path / "w.duckdb", timeout=0.3, poll=0.05),
    ):
        pass
    holder.join(30)
