"""Opening the warehouse from Python: where it is, a connection on it, rows, tables.

The warehouse is one of three targets (``MPO_WAREHOUSE``, ``mpo_pipeline.config.WarehouseTarget``):
a DuckDB file, or a DuckLake whose catalog is a SQLite file or a PostgreSQL database. ``connect``
is the one place that knows the difference: for a DuckLake it opens an in-memory DuckDB, loads
the extensions shipped as Python packages (``duckdb-extension-*``: nothing is downloaded at run
time), attaches the lake as ``warehouse`` and makes it the default database, so that every query
(``marts.x``, ``information_schema``, ``current_database()``) reads the same on every target.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb

from mpo_pipeline.config import Settings, WarehouseTarget
from mpo_pipeline.core.duckdb_extensions import (
    DUCKLAKE_EXTENSIONS,
    configure_s3,
    extension_file,
    load_extensions,
)
from mpo_pipeline.core.object_store import is_s3_url

# Re-exported: the warehouse's callers (dbt plugin, publish, tests) find them here.
__all__ = ["DUCKLAKE_EXTENSIONS", "configure_s3", "extension_file", "load_extensions"]

# The name the DuckLake is attached under (and dbt's `database` for it, dbt_project/profiles.yml).
DUCKLAKE_ALIAS = "warehouse"


def needs_s3(target: WarehouseTarget | Path | None = None, lake: str | None = None) -> bool:
    """Whether a connection must reach S3: the DuckLake keeps its data files there, or the lake
    is there (``MPO_LAKE_DIR``, read now unless ``lake`` is given): the warehouse's staging views
    read the lake."""
    lake = os.environ.get("MPO_LAKE_DIR", "") if lake is None else lake
    data_path = target.data_path if isinstance(target, WarehouseTarget) else ""
    return is_s3_url(data_path) or is_s3_url(lake)


def attach_ducklake(
    con: duckdb.DuckDBPyConnection, target: WarehouseTarget, *, read_only: bool = False
) -> None:
    """Attach the DuckLake ``target`` to ``con`` as ``warehouse`` (if it is not yet)."""
    if target.kind == "ducklake-sqlite" and not read_only:
        _sqlite_catalog_in_wal_mode(Path(target.location.reveal()))
    options = [f"data_path {_literal(target.data_path)}"]
    if read_only:
        options.append("read_only")
    con.execute(
        f"attach if not exists {_literal(target.attach_uri())} as {DUCKLAKE_ALIAS} "
        f"({', '.join(options)})"
    )


def _sqlite_catalog_in_wal_mode(catalog: Path) -> None:
    """Put the SQLite catalog in write-ahead-log mode (kept in the file), creating it if need be.

    In SQLite's default mode a reader's open transaction makes every writer's commit fail
    ("database is locked"); in WAL mode readers keep their snapshot while a writer commits. A
    catalog in use by another process cannot change mode: it is left as it is.
    """
    catalog.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(sqlite3.connect(catalog, timeout=1)) as db:
            db.execute("pragma journal_mode=wal").fetchall()
    except sqlite3.OperationalError:
        pass


def connect(
    target: WarehouseTarget | Path | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection on the warehouse ``target`` (the pipeline's by default; a ``Path`` is a file).

    A failure to reach a DuckLake's catalog is re-raised without the connection string (it may
    hold a password)."""
    if target is None:
        target = warehouse_target()
    if isinstance(target, Path) or target.kind == "file":
        path = target if isinstance(target, Path) else Path(target.attach_uri())
        con = duckdb.connect(str(path), read_only=read_only)
        if needs_s3(target):
            try:
                configure_s3(con)
            except BaseException:
                con.close()
                raise
        return con
    con = duckdb.connect(":memory:")
    try:
        load_extensions(con)
        if needs_s3(target):
            configure_s3(con)
        attach_ducklake(con, target, read_only=read_only)
        con.execute(f"use {DUCKLAKE_ALIAS}")
    except duckdb.Error as exc:
        con.close()
        message = str(exc).replace(target.location.reveal(), "<" + target.describe() + ">")
        raise type(exc)(message) from None
    return con


def connect_existing(target: WarehouseTarget | Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection on ``target``, or None if it was never created (nothing loaded yet:
    no DuckDB file, no SQLite catalog, or a PostgreSQL database holding no DuckLake catalog).

    Any other failure (a file locked by a writer, a server out of reach) is raised."""
    path = target if isinstance(target, Path) else target.path
    if path is not None and not path.is_file():
        return None
    try:
        return connect(target, read_only=True)
    except duckdb.InvalidInputException as exc:
        # DuckLake refuses to create a catalog through a read-only attach: "Existing DuckLake at
        # metadata catalog ... does not exist - and creating a new DuckLake is explicitly disabled"
        if "does not exist" in str(exc) and "creating a new DuckLake" in str(exc):
            return None
        raise


def warehouse_exists(target: WarehouseTarget | Path) -> bool:
    """Whether ``target`` was created (a first load or close made it); see ``connect_existing``."""
    con = connect_existing(target)
    if con is None:
        return False
    con.close()
    return True


def describe(target: WarehouseTarget | Path) -> str:
    """The warehouse for messages: a file's absolute path, a DuckLake without its password."""
    if isinstance(target, Path) or target.kind == "file":
        return str(Path(target if isinstance(target, Path) else target.attach_uri()).resolve())
    return target.describe()


def warehouse_target() -> WarehouseTarget:
    """The warehouse the environment names now (``MPO_WAREHOUSE``, ``MPO_WAREHOUSE_DATA_PATH``)."""
    target = Settings.from_env(require_credentials=False).warehouse_target
    assert target is not None
    return target


def warehouse_path() -> Path:
    """The DuckDB file dbt writes (``MPO_WAREHOUSE``, else ``$MPO_DATA_DIR/warehouse.duckdb``),
    read from the environment when called, so it always matches the one dbt ran against."""
    return Settings.from_env(require_credentials=False).warehouse.resolve()


def connect_read_only(
    target: WarehouseTarget | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A read-only connection on ``target`` (the pipeline's warehouse by default)."""
    if target is None:
        target = warehouse_target()
        if target.kind == "file":
            target = warehouse_path()
    return connect(target, read_only=True)


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


def supports_keys(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connected warehouse enforces PRIMARY KEY/UNIQUE (a DuckDB file does, a
    DuckLake refuses to create them)."""
    found = con.execute(
        "select type from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    return not found or found[0][0] != "ducklake"


def current_snapshot_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The DuckLake snapshot the connection reads (inside a transaction: the one it started on),
    or None on a DuckDB file (it has no snapshots to go back to)."""
    if supports_keys(con):
        return None
    found = con.execute("select id from ducklake_current_snapshot(current_database())").fetchall()
    return int(found[0][0])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
