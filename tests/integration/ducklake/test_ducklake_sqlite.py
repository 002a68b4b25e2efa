"""The warehouse on DuckLake with its catalog in a SQLite file (several processes of one machine).

The same world built into the default DuckDB file and into ``MPO_WAREHOUSE=ducklake:sqlite:...``
gives the same relations row for row, and the same published snapshot; a reader attached to the
lake while dbt rebuilds a model keeps reading without error.
"""

from __future__ import annotations

from contextlib import closing

import pytest
from ducklake_helpers import (
    assert_same_warehouse,
    build,
    publish,
    published_contents,
    same,
    write_world,
)

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.warehouse.access import connect_read_only


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("ducklake_sqlite")
    lake_dir, directory = write_world(root)
    lake_env = {
        "MPO_WAREHOUSE": f"ducklake:sqlite:{root / 'catalog.sqlite'}",
        "MPO_WAREHOUSE_DATA_PATH": str(root / "ducklake_files"),
    }
    return {
        "root": root,
        "file": build(root / "file", lake_dir, directory),
        "ducklake": build(root / "ducklake", lake_dir, directory, env=lake_env),
        "env": lake_env,
    }


def test_the_ducklake_holds_the_same_warehouse_as_the_file(world):
    assert_same_warehouse(world["file"].target, world["ducklake"].target)
    # dbt ran on one thread: a SQLite catalog takes one commit at a time
    assert "Concurrency: 1 threads (target='ducklake')" in world["ducklake"].output


def test_the_snapshot_published_from_the_ducklake_is_the_files(world):
    root = world["root"]
    from_file = published_contents(publish(world["file"], root / "pub_file" / "warehouse.duckdb"))
    from_lake = published_contents(publish(world["ducklake"], root / "pub_lake" / "w.duckdb"))
    assert from_lake.keys() == from_file.keys()
    different = [key for key in from_file if not same(from_lake[key], from_file[key])]
    assert not different, f"the published snapshots differ in {different}"


def test_a_reader_keeps_its_snapshot_while_dbt_rebuilds(world):
    target = world["ducklake"].target
    assert isinstance(target, WarehouseTarget)
    query = "select count(*), max(campaign_id) from marts.dim_campaigns"
    with closing(connect_read_only(target)) as reader:
        reader.execute("begin")
        before = reader.execute(query).fetchall()
        result = world["ducklake"].env.run(
            "run", "--select", "dim_campaigns", "--full-refresh", env=world["env"]
        )
        assert "1 of 1 OK" in result.output
        assert reader.execute(query).fetchall() == before
        reader.execute("commit")
