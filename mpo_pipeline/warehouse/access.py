"""Reading the warehouse from Python: where it is, a read-only connection, rows, tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from mpo_pipeline.config import Settings


def warehouse_path() -> Path:
    """The DuckDB file dbt writes (``MPO_WAREHOUSE``, else ``$MPO_DATA_DIR/warehouse.duckdb``),
    read from the environment when called, so it always matches the one dbt ran against."""
    return Settings.from_env(require_credentials=False).warehouse.resolve()


def connect_read_only(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection on ``path`` (the pipeline's warehouse by default)."""
    return duckdb.connect(str(path or warehouse_path()), read_only=True)


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a query as dicts keyed by column name."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists in the connected database."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return found[0][0] > 0
