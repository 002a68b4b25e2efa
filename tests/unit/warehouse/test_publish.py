"""``mpo_pipeline.warehouse.publish``: the read-only snapshot for BI, written aside and renamed
into place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from mpo_pipeline.warehouse import publish
from mpo_pipeline.warehouse.lock import warehouse_writer
from mpo_pipeline.warehouse.publish import (
    PublishError,
    publish_warehouse,
    read_publication,
    stale_temp_files,
)

TABLE_TEXT = "One row per seller and day: the seller's clicks (it's quoted)."
CLICKS_TEXT = "Clicks on the seller's ads (count)."
CLOSES_TEXT = "One row per close of a month."
OPS_TEXT = "Real-time minutes (a view in the pipeline's warehouse)."


def make_private(path: Path, clicks: int = 10) -> Path:
    """A small warehouse with every kind of relation the real one has."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""
            create schema if not exists staging;
            create or replace table staging.demo_seed as select 1 as seller_id;
            create schema if not exists intermediate;
            create or replace view intermediate.int_sellers as select * from staging.demo_seed;
            create schema if not exists marts;
            create or replace table marts.fct_daily as
                select range as seller_id, {int(clicks)}::bigint as clicks from range(5);
            create or replace table marts.fct_daily__dbt_tmp as select 1 as leftover;
            create schema if not exists finance;
            create table if not exists finance.month_closes (close_id bigint, reason varchar);
            create schema if not exists ops;
            create or replace view ops.ops_minutes as
                select seller_id, 'now' as minute from intermediate.int_sellers;
            create or replace table main.stray as select 1 as x;
            """
        )
    return path


def write_manifest(path: Path) -> Path:
    """The parts of a dbt manifest the publish reads."""
    manifest = {
        "nodes": {
            "model.p.fct_daily": {
                "resource_type": "model",
                "name": "fct_daily",
                "alias": "fct_daily",
                "schema": "marts",
                "description": TABLE_TEXT,
                "columns": {
                    "seller_id": {"name": "seller_id", "description": "Seller id."},
                    "CLICKS": {"name": "CLICKS", "description": CLICKS_TEXT},
                    "not_a_column": {"name": "not_a_column", "description": "ignored"},
                },
            },
            "model.p.ops_minutes": {
                "resource_type": "model",
                "name": "ops_minutes",
                "alias": "ops_minutes",
                "schema": "ops",
                "description": OPS_TEXT,
                "columns": {},
            },
            "test.p.some_test": {"resource_type": "test", "name": "t", "schema": "marts"},
        },
        "sources": {
            "source.p.finance.month_closes": {
                "name": "month_closes",
                "identifier": "month_closes",
                "schema": "finance",
                "description": CLOSES_TEXT,
                "columns": {"reason": {"name": "reason", "description": "Why."}},
            }
        },
    }
    path.write_text(json.dumps(manifest))
    return path


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    return {
        "private": make_private(tmp_path / "data" / "warehouse.duckdb"),
        "published": tmp_path / "bi" / "warehouse.duckdb",
        "manifest": write_manifest(tmp_path / "manifest.json"),
    }


def _publish(paths: dict[str, Path], **kwargs) -> publish.PublishReport:
    return publish_warehouse(
        paths["private"], paths["published"], manifest=paths["manifest"], **kwargs
    )


def _rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _read_in_child(path: Path, sql: str) -> list:
    """What a new process (a new DuckDB instance) sees in ``path``."""
    code = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(json.dumps([list(r) for r in con.execute(sys.argv[2]).fetchall()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), sql], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_only_the_published_schemas_are_there_and_views_became_tables(paths):
    report = _publish(paths, run_id="run-1")
    schemas = _rows(
        paths["published"],
        "select schema_name from duckdb_schemas() "
        "where database_name = current_database() and not internal order by 1",
    )
    assert [s for (s,) in schemas] == ["finance", "marts", "meta", "ops"]
    relations = _rows(
        paths["published"],
        "select schema_name, table_name from duckdb_tables() order by 1, 2",
    )
    assert relations == [
        ("finance", "month_closes"),
        ("marts", "fct_daily"),
        ("meta", "published_at"),
        ("meta", "published_tables"),
        ("ops", "ops_minutes"),
    ]
    assert _rows(paths["published"], "select count(*) from duckdb_views() where not internal") == [
        (0,)
    ]
    # The ops view read staging and intermediate, which are gone: it is a table of its rows.
    assert _rows(paths["published"], "select * from ops.ops_minutes") == [(1, "now")]
    assert report.rows_per_table() == {
        "finance.month_closes": 0,
        "marts.fct_daily": 5,
        "ops.ops_minutes": 1,
    }
    assert {t.qualified: t.materialized_from for t in report.tables}["ops.ops_minutes"] == "view"


def test_dbt_descriptions_become_table_and_column_comments(paths):
    _publish(paths)
    tables = dict(
        ((s, t), c)
        for s, t, c in _rows(
            paths["published"], "select schema_name, table_name, comment from duckdb_tables()"
        )
    )
    assert tables[("marts", "fct_daily")] == TABLE_TEXT
    assert tables[("finance", "month_closes")] == CLOSES_TEXT
    assert tables[("ops", "ops_minutes")] == OPS_TEXT
    assert tables[("meta", "published_at")]
    columns = dict(
        ((t, c), comment)
        for t, c, comment in _rows(
            paths["published"],
            "select table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database()",
        )
    )
    assert columns[("fct_daily", "clicks")] == CLICKS_TEXT  # matched case-insensitively
    assert columns[("fct_daily", "seller_id")] == "Seller id."
    assert columns[("month_closes", "reason")] == "Why."
    assert columns[("month_closes", "close_id")] is None


def test_published_at_says_when_from_what_and_how_much(paths):
    report = _publish(paths, run_id="run-42")
    row = read_publication(paths["published"])
    assert row["run_id"] == "run-42"
    assert row["source_warehouse"] == str(paths["private"].absolute())
    assert row["published_at"] == report.published_at
    assert row["tables"] == 3 == len(report.tables)
    assert row["rows"] == 6 == report.rows
    assert row["schemas"] == "marts,finance,ops"
    listed = _rows(
        paths["published"],
        "select table_schema, table_name, rows from meta.published_tables order by 1, 2",
    )
    assert listed == [
        ("finance", "month_closes", 0),
        ("marts", "fct_daily", 5),
        ("ops", "ops_minutes", 1),
    ]
    assert report.size_bytes == paths["published"].stat().st_size > 0


def test_the_replace_is_atomic_and_an_open_connection_keeps_its_snapshot(paths):
    _publish(paths, run_id="first")
    before = paths["published"].stat().st_ino
    old = duckdb.connect(str(paths["published"]), read_only=True)
    try:
        assert old.execute("select sum(clicks) from marts.fct_daily").fetchall()[0][0] == 50
        make_private(paths["private"], clicks=20)
        _publish(paths, run_id="second")
        # The old connection still reads the snapshot it opened, as a whole.
        assert old.execute("select sum(clicks) from marts.fct_daily").fetchall()[0][0] == 50
        assert old.execute("select run_id from meta.published_at").fetchall()[0][0] == "first"
        # A new process sees the new snapshot (in this process DuckDB would hand back the
        # database instance the open connection holds).
        seen = _read_in_child(
            paths["published"],
            "select (select sum(clicks) from marts.fct_daily), run_id from meta.published_at",
        )
        assert seen == [[100, "second"]]
    finally:
        old.close()
    assert paths["published"].stat().st_ino != before  # a new file, renamed over the old one
    assert stale_temp_files(paths["published"]) == []
    assert sorted(p.name for p in paths["published"].parent.iterdir()) == ["warehouse.duckdb"]


def test_a_crash_mid_publish_leaves_the_old_snapshot_and_a_temp_file_the_next_one_removes(paths):
    _publish(paths, run_id="good")
    make_private(paths["private"], clicks=30)
    crash = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from mpo_pipeline.warehouse import publish\n"
        "publish._fsync = lambda path: os._exit(9)  # dies once the temp file is written\n"
        "publish.publish_warehouse(Path(sys.argv[1]), Path(sys.argv[2]), manifest=None)\n"
    )
    died = subprocess.run(
        [sys.executable, "-c", crash, str(paths["private"]), str(paths["published"])],
        check=False,
        capture_output=True,
        text=True,
    )
    assert died.returncode == 9, died.stderr
    left = stale_temp_files(paths["published"])
    assert left and all(p.name.startswith(".warehouse.duckdb.") for p in left)
    # Readers see the previous snapshot, whole.
    assert _read_in_child(
        paths["published"],
        "select (select sum(clicks) from marts.fct_daily), run_id from meta.published_at",
    ) == [[50, "good"]]
    report = _publish(paths, run_id="after")
    assert set(report.removed_temp_files) == set(left)
    assert stale_temp_files(paths["published"]) == []
    assert read_publication(paths["published"])["run_id"] == "after"


def test_a_failed_publish_removes_its_temp_file_and_keeps_the_old_snapshot(paths, monkeypatch):
    _publish(paths, run_id="good")
    content = paths["published"].read_bytes()

    def broken(*args, **kwargs):
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(publish, "_write_meta", broken)
    with pytest.raises(PublishError, match=r"disk full .*the previous snapshot is unchanged"):
        _publish(paths, run_id="bad")
    assert paths["published"].read_bytes() == content
    assert stale_temp_files(paths["published"]) == []


def test_a_warehouse_that_does_not_exist_yet_is_a_clear_error(tmp_path):
    published = tmp_path / "bi" / "warehouse.duckdb"
    with pytest.raises(PublishError, match=r"warehouse .*missing\.duckdb does not exist yet"):
        publish_warehouse(tmp_path / "missing.duckdb", published, manifest=None)
    assert not published.parent.exists()


def test_the_published_file_must_not_be_the_warehouse(paths):
    with pytest.raises(PublishError, match="is the warehouse itself"):
        publish_warehouse(paths["private"], paths["private"], manifest=None)


def test_the_write_ahead_log_of_the_warehouse_is_part_of_the_snapshot(paths):
    with duckdb.connect(str(paths["private"])) as con:
        con.execute("pragma disable_checkpoint_on_shutdown")
        con.execute("insert into marts.fct_daily values (99, 1000)")
    wal = paths["private"].with_name("warehouse.duckdb.wal")
    assert wal.exists()
    _publish(paths)
    assert _rows(paths["published"], "select sum(clicks) from marts.fct_daily") == [(1050,)]
    assert wal.exists()  # the pipeline's file is only read


def test_the_publish_reads_the_warehouse_under_the_writer_lock(paths):
    messages: list[str] = []
    held = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with warehouse_writer(paths["private"]):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(TimeoutError, match="writer lock"):
            _publish(paths, lock_timeout=0.5, on_wait=messages.append)
    finally:
        release.set()
        thread.join()
    assert messages and "waiting for another writer" in messages[0]
    assert not paths["published"].exists()
    _publish(paths)  # lock free: it goes through
    assert paths["published"].exists()


def test_a_missing_manifest_publishes_without_dbt_comments(paths, tmp_path):
    report = publish_warehouse(
        paths["private"], paths["published"], manifest=tmp_path / "no_manifest.json"
    )
    assert len(report.tables) == 3
    comments = _rows(
        paths["published"],
        "select comment from duckdb_tables() where schema_name = 'marts'",
    )
    assert comments == [(None,)]


def test_read_publication_of_nothing_is_none(tmp_path):
    assert read_publication(tmp_path / "nothing.duckdb") is None
    assert os.listdir(tmp_path) == []


def test_a_log_left_by_a_read_write_connection_is_removed_before_the_rename(paths):
    _publish(paths, run_id="first")
    # A tool that opened the published file read-write and wrote to it leaves a WAL behind, which
    # DuckDB would replay onto the next snapshot ("WAL does not match database file").
    with duckdb.connect(str(paths["published"])) as con:
        con.execute("pragma disable_checkpoint_on_shutdown")
        con.execute("insert into marts.fct_daily values (7, 7)")
    stray = paths["published"].with_name("warehouse.duckdb.wal")
    assert stray.exists()
    report = _publish(paths, run_id="second")
    assert report.removed_logs == (stray,)
    assert _read_in_child(paths["published"], "select run_id from meta.published_at") == [
        ["second"]
    ]


def test_views_naming_their_catalog_as_dbt_writes_them_publish_under_any_file_names(tmp_path):
    # dbt-duckdb qualifies a view's parents with the catalog, which DuckDB names after the file
    # ("w" for w.duckdb); the copy is a temp file of another name and the snapshot may be called
    # anything (here mpo.duckdb): the views must still be turned into tables.
    private = tmp_path / "data" / "w.duckdb"
    private.parent.mkdir(parents=True)
    with duckdb.connect(str(private)) as con:
        con.execute(
            """
            create schema marts;
            create table marts.fct_daily as select range as seller_id from range(3);
            create view marts.fct_daily_view as select * from "w"."marts"."fct_daily";
            """
        )
    published = tmp_path / "bi" / "mpo.duckdb"
    publish_warehouse(private, published, manifest=None)
    assert _rows(published, "select count(*) from marts.fct_daily_view") == [(3,)]
    kinds = _rows(
        published,
        "select table_type from information_schema.tables where table_name = 'fct_daily_view'",
    )
    assert kinds == [("BASE TABLE",)]
