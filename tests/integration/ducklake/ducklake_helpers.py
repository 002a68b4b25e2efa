"""One small world built by dbt into a DuckDB file and into a DuckLake, and compared.

The world is the synthetic lake of the dbt tests (``integration/dbt/synthetic_lake.py``: three
advertisers, two month ends, both policies, exact money). Each target gets the same ``dbt build``
(models and seeds; the data tests run in the dbt suite), then a windowed rebuild of the daily facts
(the ``replace_window`` incremental: a delete and an insert in one transaction).
"""

from __future__ import annotations

import io
import math
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from integration.dbt import synthetic_lake as lake
from integration.dbt.dbt_harness import DbtEnv
from rich.console import Console

from mpo_pipeline.cli.report import print_report
from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.warehouse.access import connect_read_only
from mpo_pipeline.warehouse.publish import PUBLISHED_SCHEMAS, publish_warehouse

# What is compared: every relation dbt builds, whatever it is materialized as.
SCHEMAS = ("staging", "intermediate", *PUBLISHED_SCHEMAS)
WINDOW = {"min_report_date": "2025-02-20", "max_report_date": "2025-03-03"}


@dataclass
class Built:
    """One target after the build: how to open it, and dbt's output of both runs."""

    target: WarehouseTarget | Path
    env: DbtEnv
    output: str


def write_world(root: Path) -> tuple[Path, Path]:
    """The synthetic lake and its seller directory under ``root``."""
    lake.write_lake(root / "lake", lake.generate())
    return root / "lake", lake.write_directory_csv(root / "sellers.csv")


def build(root: Path, lake_dir: Path, directory: Path, env: dict[str, str] | None = None) -> Built:
    """``dbt build`` (no data tests) then a windowed rebuild of the daily facts, in ``root``;
    ``env`` overrides ``MPO_WAREHOUSE`` (default: ``root/warehouse.duckdb``) and the like."""
    root.mkdir(parents=True, exist_ok=True)
    dbt = DbtEnv(root, lake_dir, directory)
    first = dbt.run("build", "--exclude-resource-type", "test", "--exclude-resource-type",
                    "unit_test", env=env)  # fmt: skip
    window = dbt.run("run", "--select", "path:models/marts/daily", vars=WINDOW, env=env)
    if env and env.get("MPO_WAREHOUSE", "").startswith("ducklake:"):
        target: WarehouseTarget | Path = WarehouseTarget.parse(
            env["MPO_WAREHOUSE"], env["MPO_WAREHOUSE_DATA_PATH"]
        )
    else:
        target = dbt.warehouse
    return Built(target, dbt, first.output + window.output)


def relations(target: WarehouseTarget | Path) -> dict[tuple[str, str], str]:
    """(schema, name) -> table|view of the schemas dbt builds."""
    with closing(connect_read_only(target)) as con:
        found = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() order by all"
        ).fetchall()
    return {(s, n): t for s, n, t in found if s in SCHEMAS}


def contents(con, schema: str, name: str) -> tuple[list, list]:
    """(column names and types, every row in a total order) of one relation."""
    columns = con.execute(f'describe "{schema}"."{name}"').fetchall()
    rows = con.execute(f'select * from "{schema}"."{name}" order by all').fetchall()
    return [(c[0], c[1]) for c in columns], rows


def same(a, b) -> bool:
    """Equal, but DOUBLEs to 1e-12 (a parallel sum of doubles, e.g. the reconciliation's rounding
    tolerances, may differ in its last bit from one run to the next, whatever the target)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def assert_same_warehouse(reference: WarehouseTarget | Path, other: WarehouseTarget | Path):
    """Same relations, same kinds, same columns and types, same rows (all of them)."""
    expected, actual = relations(reference), relations(other)
    assert actual == expected
    assert len(expected) > 30  # staging, intermediate, marts, finance, ops
    with closing(connect_read_only(reference)) as ref, closing(connect_read_only(other)) as con:
        different = [
            f"{s}.{n}" for s, n in expected if not same(contents(ref, s, n), contents(con, s, n))
        ]
        total = ref.execute("select count(*) from marts.fct_seller_campaign_stats_daily").fetchone()
    assert not different, f"relations that differ: {different}"
    assert total[0] > 100


def report(target: WarehouseTarget | Path) -> str:
    """The demo report of the whole synthetic period, as printed."""
    out = io.StringIO()
    print_report(target, lake.FIRST_DAY, lake.LAST_DAY, Console(file=out, width=200))
    return out.getvalue()


def publish(built: Built, published: Path) -> Path:
    """Publish ``built`` to ``published`` (a DuckLake's lock anchors next to its data)."""
    manifest = built.env.root / "target" / "manifest.json"
    if isinstance(built.target, Path):
        publish_warehouse(built.target, published, manifest=manifest)
    else:
        anchor = built.env.root / "warehouse.ducklake"
        publish_warehouse(anchor, published, manifest=manifest, target=built.target)
    return published


def published_contents(path: Path) -> dict:
    """Everything BI sees in a published file but its publication time and source."""
    with closing(connect_read_only(path)) as con:
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where database_name = current_database() order by all"
        ).fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() order by all"
        ).fetchall()
        views = con.execute(
            "select count(*) from duckdb_views() where database_name = current_database() "
            "and not internal"
        ).fetchone()[0]
        meta = con.execute("select tables, rows, schemas from meta.published_at").fetchall()
        rows = {
            (s, n): con.execute(f'select * from "{s}"."{n}" order by all').fetchall()
            for s, n, _ in tables
            if s != "meta"
        }
        listed = con.execute("select * from meta.published_tables order by all").fetchall()
    return {"tables": tables, "columns": columns, "views": views, "meta": meta, "rows": rows,
            "listed": listed}  # fmt: skip
