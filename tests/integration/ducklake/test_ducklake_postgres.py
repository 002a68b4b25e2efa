"""The warehouse on DuckLake with its catalog in PostgreSQL (a real server on loopback).

The same world built by the same dbt project into the default DuckDB file and into
``MPO_WAREHOUSE=ducklake:postgres:...`` must give the same relations, row for row; the demo report
and the snapshot published for BI must be the same too; so must a month close made through the
asset's connection (``WarehouseResource.writer()``) and what the command line shows and exports of
it. The password never reaches dbt's output.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime

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
from integration.dbt import synthetic_lake as lake
from rich.console import Console
from support.postgres import PASSWORD, USER, PostgresServer, available

from mpo_pipeline import cli
from mpo_pipeline.cli import finance as cli_finance
from mpo_pipeline.config import Settings
from mpo_pipeline.defs.resources import WarehouseResource
from mpo_pipeline.finance.close import (
    CloseRefused,
    CloseRequest,
    MonthContext,
    close_month,
    close_totals,
    record_close,
)
from mpo_pipeline.warehouse.access import connect_existing, rows, warehouse_exists

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
            "lake_dir": lake_dir,
            "lake_env": lake_env,
        }


def test_the_ducklake_holds_the_same_warehouse_as_the_file(world):
    assert_same_warehouse(world["file"].target, world["ducklake"].target)
    # One thread whatever MPO_DBT_THREADS says (the harness sets 2): on a PostgreSQL catalog
    # two threads lost a model's temp relation ("..__dbt_tmp does not exist")
    assert "Concurrency: 1 threads (target='ducklake')" in world["ducklake"].output
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


# February 2025 of the synthetic world: every day loaded, but advertiser 101's AnySeller revenue
# is off by 5.00 in the control totals (synthetic_lake.CONTROL_OFF): its reconciliation fails.
FEBRUARY = date(2025, 2, 1)
CLOSED_AT = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)


def _close_february(world, which: str) -> dict:
    """Close February on one warehouse through the asset's writer connection: refused first with
    the month's reconciliation failure, then frozen without the checks (``record_close``, what
    ``close_month`` does once they pass); what it wrote."""
    built = world[which]
    if which == "file":
        resource = WarehouseResource(database=str(built.target))
    else:  # the connection string is a literal here; the definitions pass it as an EnvVar
        env = world["lake_env"]
        resource = WarehouseResource(
            database=str(world["root"] / "ducklake" / "warehouse.ducklake"),
            ducklake=env["MPO_WAREHOUSE"],
            ducklake_data_path=env["MPO_WAREHOUSE_DATA_PATH"],
        )
    request = CloseRequest(month=FEBRUARY, closed_by="finance-test")
    everyone = MonthContext(world["lake_dir"], date(2025, 4, 1), lake.POLICIES)
    with resource.writer() as con:
        with pytest.raises(CloseRefused) as refused:
            close_month(con, request, everyone, now=CLOSED_AT)
        record = record_close(con, request, now=CLOSED_AT)
        totals = close_totals(con, record.close_id)
        frozen = rows(con, "select * from finance.month_close_statements order by all")
    return {"refused": refused.value.problems, "record": record, "totals": totals,
            "frozen": frozen}  # fmt: skip


def _settings_env(world, which: str, monkeypatch) -> Settings:
    """Point the command line at one of the two warehouses (as MPO_* variables)."""
    for name in ("MPO_WAREHOUSE", "MPO_WAREHOUSE_DATA_PATH", "MPO_ADVERTISER_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MPO_DATA_DIR", str(world["root"] / f"data_{which}"))
    monkeypatch.setenv("MPO_LAKE_DIR", str(world["lake_dir"]))
    monkeypatch.setenv("MPO_START_DATE", "2025-01-01")
    if which == "file":
        monkeypatch.setenv("MPO_WAREHOUSE", str(world["file"].target))
    else:
        for name, value in world["lake_env"].items():
            monkeypatch.setenv(name, value)
    return Settings.from_env(require_credentials=False)


def _what_the_cli_shows(world, which: str, monkeypatch, tmp_path) -> dict:
    settings = _settings_env(world, which, monkeypatch)
    out = io.StringIO()
    shown = cli_finance._show_standing_close(Console(file=out, width=250), settings, FEBRUARY)
    request = CloseRequest(month=FEBRUARY, closed_by="someone-else")
    problems = cli_finance.preflight_problems(settings, request)
    csv_file = tmp_path / which / "february.csv"
    csv_file.parent.mkdir()
    code = cli.main(["export-statement", "--month", "2025-02", "--out", str(csv_file)])
    return {"shown": shown, "printed": out.getvalue(), "problems": problems, "code": code,
            "csv": csv_file.read_text()}  # fmt: skip


def test_a_month_close_and_its_export_are_the_same_on_both(world, monkeypatch, tmp_path):
    """Last in the module: it adds the finance tables to both warehouses (the same rows)."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    on_file, on_lake = _close_february(world, "file"), _close_february(world, "ducklake")
    assert on_lake["refused"] == on_file["refused"]
    assert any("reconciliation failure" in p for p in on_file["refused"])
    # the same close but for the snapshot it read: a DuckDB file has none
    assert on_file["record"].source_snapshot_id is None
    assert on_lake["record"].source_snapshot_id is not None
    assert replace(on_lake["record"], source_snapshot_id=None) == on_file["record"]
    assert on_file["record"].statement_rows > 0
    assert same(on_lake["totals"], on_file["totals"])
    assert same(on_lake["frozen"], on_file["frozen"])
    assert {r["advertiser_id"] for r in on_file["frozen"]} == {101, 202, 303}

    cli_file = _what_the_cli_shows(world, "file", monkeypatch, tmp_path)
    cli_lake = _what_the_cli_shows(world, "ducklake", monkeypatch, tmp_path)
    assert cli_file["shown"] and cli_file["code"] == 0
    assert cli_lake == cli_file
    assert "2025-02 is already closed" in cli_file["printed"]
    assert "already closed" in cli_file["problems"][0]
    assert cli_file["csv"].count("\n") > on_file["record"].statement_rows


def test_an_empty_catalog_database_is_no_warehouse_yet(world, postgres, monkeypatch, tmp_path):
    """A PostgreSQL database without a DuckLake catalog reads as "not created yet", as a missing
    file does: the close shows nothing, export and publish say to load first."""
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=postgres.port, user=USER,
                             password=PASSWORD, dbname="postgres")  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("create database empty_catalog")
    admin.close()
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    conninfo = world["conninfo"].replace("dbname=dagster", "dbname=empty_catalog")
    world_env = {**world, "lake_env": {"MPO_WAREHOUSE": f"ducklake:postgres:{conninfo}",
                 "MPO_WAREHOUSE_DATA_PATH": str(tmp_path / "files")}}  # fmt: skip
    settings = _settings_env(world_env, "ducklake", monkeypatch)
    assert not warehouse_exists(settings.target)
    assert connect_existing(settings.target) is None
    console = Console(file=io.StringIO())
    assert not cli_finance._show_standing_close(console, settings, FEBRUARY)
    out = str(tmp_path / "x.csv")
    assert cli.main(["export-statement", "--month", "2025-02", "--out", out]) == 2
    assert cli.main(["publish"]) == 2
    assert warehouse_exists(world["ducklake"].target)
