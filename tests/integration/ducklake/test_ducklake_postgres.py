"""The warehouse on DuckLake with its catalog in PostgreSQL (a real server on loopback).

The same world built by the same dbt project into the default DuckDB file and into
``MPO_WAREHOUSE=ducklake:postgres:...`` must give the same relations, row for row; the demo report
and the snapshot published for BI must be the same too. The password never reaches dbt's output.
"""

from __future__ import annotations

import pytest
from ducklake_helpers import (
    assert_same_warehouse,
    build,
    publish,
    published_contents,
    report,
    same,
    write_world,
)
from support.postgres import PASSWORD, USER, PostgresServer, available

pytestmark = pytest.mark.skipif(available() is not None, reason=f"PostgreSQL: {available()}")


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory, postgres):
    root = tmp_path_factory.mktemp("ducklake_pg")
    lake_dir, directory = write_world(root)
    conninfo = f"dbname=dagster host=127.0.0.1 port={postgres.port} user={USER}"
    file = build(root / "file", lake_dir, directory)
    with pytest.MonkeyPatch.context() as mp:
        # libpq reads the password from the environment: the connection string holds none ...
        mp.setenv("PGPASSWORD", PASSWORD)
        lake_env = {
            "MPO_WAREHOUSE": f"ducklake:postgres:{conninfo}",
            "MPO_WAREHOUSE_DATA_PATH": str(root / "ducklake_files"),
        }
        ducklake = build(root / "ducklake", lake_dir, directory, env=lake_env)
        yield {
            "root": root,
            "file": file,
            "ducklake": ducklake,
            "conninfo": conninfo,
        }


def test_the_ducklake_holds_the_same_warehouse_as_the_file(world):
    assert_same_warehouse(world["file"].target, world["ducklake"].target)
    assert "target='ducklake'" in world["ducklake"].output
    # The data files are Parquet under MPO_WAREHOUSE_DATA_PATH; the catalog is in PostgreSQL.
    assert list((world["root"] / "ducklake_files").rglob("*.parquet"))


def test_the_report_reads_the_same_from_both(world):
    assert report(world["ducklake"].target) == report(world["file"].target)


def test_the_snapshot_published_from_the_ducklake_is_the_files(world):
    root = world["root"]
    from_file = published_contents(publish(world["file"], root / "pub_file" / "warehouse.duckdb"))
    from_lake = published_contents(publish(world["ducklake"], root / "pub_lake" / "w.duckdb"))
    assert from_lake.keys() == from_file.keys()
    different = [key for key in from_file if not same(from_lake[key], from_file[key])]
    assert not different, f"the published snapshots differ in {different}"
    assert from_file["views"] == 0 and from_file["rows"]


def test_a_password_in_the_connection_string_is_never_printed(world, monkeypatch):
    """... and one in it works as well, and shows in no output or log of dbt."""
    monkeypatch.delenv("PGPASSWORD")
    root = world["root"]
    env = {
        "MPO_WAREHOUSE": f"ducklake:postgres:{world['conninfo']} password={PASSWORD}",
        "MPO_WAREHOUSE_DATA_PATH": str(root / "ducklake_files"),
    }
    dbt = world["ducklake"].env
    result = dbt.run("run", "--select", "dim_sellers", env=env)
    assert "1 of 1 OK" in result.output
    logs = "".join(p.read_text(errors="replace") for p in (dbt.root / "logs").rglob("*"))
    assert PASSWORD not in result.output + logs
