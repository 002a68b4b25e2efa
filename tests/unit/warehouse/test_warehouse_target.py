"""MPO_WAREHOUSE names one of three targets; a malformed value is named, a password never shown."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from mpo_pipeline.config import ConfigError, Settings, WarehouseTarget
from mpo_pipeline.warehouse.access import (
    DUCKLAKE_EXTENSIONS,
    connect,
    connect_read_only,
    extension_file,
)

PASSWORD = "pg-Secret-42"


def test_a_path_is_a_duckdb_file_as_before():
    s = Settings.from_env({"MPO_WAREHOUSE": "some/dir/w.duckdb"}, require_credentials=False)
    assert s.target.kind == "file" and not s.target.is_ducklake
    assert s.warehouse == Path("some/dir/w.duckdb")
    assert s.target.environment() == {"MPO_WAREHOUSE": str(Path("some/dir/w.duckdb").resolve())}
    default = Settings.from_env({}, require_credentials=False)
    assert default.target.path == Path("data/warehouse.duckdb")


def test_sqlite_catalog(tmp_path):
    env = {"MPO_WAREHOUSE": f"ducklake:sqlite:{tmp_path}/cat.sqlite", "MPO_DATA_DIR": "d"}
    s = Settings.from_env(env, require_credentials=False)
    assert s.target.kind == "ducklake-sqlite"
    assert s.warehouse == tmp_path / "cat.sqlite"  # the writer lock lives next to it
    assert s.target.data_path == os.path.abspath("d/warehouse_files") + os.sep
    assert s.target.environment() == {
        "MPO_WAREHOUSE": f"ducklake:sqlite:{tmp_path}/cat.sqlite",
        "MPO_WAREHOUSE_DATA_PATH": s.target.data_path,
    }


@pytest.mark.parametrize(
    "conninfo",
    [
        f"dbname=mpo host=db.internal user=mpo password={PASSWORD}",
        f"dbname=mpo password='{PASSWORD}' host=db",
        f"postgresql://mpo:{PASSWORD}@db.internal:5432/mpo",
    ],
)
def test_postgres_catalog_never_shows_its_password(conninfo):
    env = {
        "MPO_WAREHOUSE": f"ducklake:postgres:{conninfo}",
        "MPO_WAREHOUSE_DATA_PATH": "s3://bucket/p",
    }
    s = Settings.from_env(env, require_credentials=False)
    target = s.target
    assert target.kind == "ducklake-postgres" and target.data_path == "s3://bucket/p/"
    assert target.path is None and s.warehouse == Path("data/warehouse.ducklake")
    assert target.attach_uri() == f"ducklake:postgres:{conninfo}"
    for shown in (repr(target), str(target), target.describe(), repr(s)):
        assert PASSWORD not in shown
        assert "***" in shown


@pytest.mark.parametrize(
    ("value", "data_path", "message"),
    [
        ("ducklake:mysql:host=x", "", "ducklake:sqlite:<catalog file> or ducklake:postgres:"),
        ("ducklake:", "", "ducklake:sqlite:<catalog file> or ducklake:postgres:"),
        ("ducklake:postgres:", "", "names no catalog"),
        ("ducklake:sqlite:", "", "names no catalog"),
        ("ducklake:sqlite:somewhere/", "", "must name the catalog file"),
        (f"ducklake:postgres:not a conninfo password={PASSWORD}", "", "keyword=value pairs"),
        ("ducklake:postgres:dbname=mpo", "gs://bucket/x", "must be a folder or s3://"),
        ("data/w.duckdb", "/tmp/files", "only for a DuckLake warehouse"),
    ],
)
def test_malformed_targets_are_named(value, data_path, message):
    env = {"MPO_WAREHOUSE": value, "MPO_WAREHOUSE_DATA_PATH": data_path}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env, require_credentials=False)
    assert message in str(info.value)
    assert PASSWORD not in str(info.value)


def test_the_extensions_come_from_their_packages():
    for name in DUCKLAKE_EXTENSIONS:
        path = extension_file(name)
        assert path.is_file() and f"v{duckdb.__version__}" in str(path)


def test_connect_opens_a_ducklake_and_readers_cannot_write(tmp_path):
    target = WarehouseTarget.parse(f"ducklake:sqlite:{tmp_path}/c.sqlite", str(tmp_path / "f"))
    with closing(connect(target)) as con:
        assert con.execute("select current_database()").fetchone() == ("warehouse",)
        con.execute("create schema marts; create table marts.t as select 42 as x")
    # readers of a SQLite catalog keep their snapshot while a writer commits (no "locked")
    with closing(sqlite3.connect(tmp_path / "c.sqlite")) as db:
        assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    with closing(connect_read_only(target)) as con:
        assert con.execute("select x from marts.t").fetchall() == [(42,)]
        with pytest.raises(duckdb.Error, match=r"read-only|read only"):
            con.execute("insert into marts.t values (1)")


def test_an_unreachable_catalog_hides_the_password():
    target = WarehouseTarget.parse(
        f"ducklake:postgres:host=127.0.0.1 port=1 dbname=x user=u password={PASSWORD} "
        "connect_timeout=2",
        "/tmp/unused",
    )
    with pytest.raises(duckdb.Error) as info:
        connect(target)
    assert PASSWORD not in str(info.value)
