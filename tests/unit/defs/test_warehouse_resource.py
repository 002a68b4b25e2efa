"""The ``warehouse`` resource: the one way assets and checks reach the DuckDB warehouse.

``writer()`` holds the cross-process writer lock for exactly as long as its connection is open
(also when the block raises), ``reader()`` cannot write, and the resource built from the settings
names the warehouse and the published snapshot the environment names.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

import duckdb
import pytest

from mpo_pipeline.config import Settings
from mpo_pipeline.defs.resources import WarehouseResource, build_resources
from mpo_pipeline.warehouse.lock import lock_path


def lock_is_held(warehouse: Path) -> bool:
    """Whether some handle holds the writer lock (probed without waiting)."""
    with open(lock_path(warehouse), "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def test_writer_holds_the_lock_while_its_connection_is_open(tmp_path: Path) -> None:
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    messages: list[str] = []
    with warehouse.writer(on_wait=messages.append) as con:
        con.execute("create table t as select 42 as answer")
        assert lock_is_held(warehouse.path)
    assert not lock_is_held(warehouse.path)
    with warehouse.reader() as con:
        assert con.execute("select answer from t").fetchall() == [(42,)]
    assert messages == []  # nobody else wrote: no waiting was announced


def test_a_failing_writer_closes_its_connection_before_releasing_the_lock(
    tmp_path: Path,
) -> None:
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError, match="close refused"), warehouse.writer() as con:
        kept = con
        raise RuntimeError("close refused")
    assert not lock_is_held(warehouse.path)
    with pytest.raises(duckdb.ConnectionException):
        kept.execute("select 1")
    # the next writer (another process would need the file free) opens it at once
    with warehouse.writer() as con:
        con.execute("create table t (x int)")


def test_reader_cannot_write(tmp_path: Path) -> None:
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    with warehouse.writer() as con:
        con.execute("create table t (x int)")
    with warehouse.reader() as con, pytest.raises(duckdb.InvalidInputException, match="read-only"):
        con.execute("insert into t values (1)")


def test_built_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPO_WAREHOUSE", str(tmp_path / "private" / "w.duckdb"))
    monkeypatch.setenv("MPO_PUBLISHED_WAREHOUSE", str(tmp_path / "bi" / "w.duckdb"))
    resource = build_resources(Settings.from_env(require_credentials=False))["warehouse"]
    assert isinstance(resource, WarehouseResource)
    assert resource.path == tmp_path / "private" / "w.duckdb"
    assert resource.published_path == tmp_path / "bi" / "w.duckdb"
