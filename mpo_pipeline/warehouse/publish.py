"""Publish a read-only snapshot of the warehouse for BI: a new file, renamed over the old one.

DuckDB lets one process write a file or many processes read it, never both: a BI tool holding a
read-only connection on the pipeline's warehouse (``MPO_WAREHOUSE``) would make every load fail.
So that file stays private to the pipeline, and every run that changes it ends with
``publish_warehouse``, which writes ``MPO_PUBLISHED_WAREHOUSE`` like this:

1. under the warehouse writer lock (``mpo_pipeline.warehouse.lock``), so that no writer is half
   way through, the private file (and its write-ahead log, if any) is copied byte for byte to a
   hidden temporary file in the published file's directory (``.<name>.<uuid>.tmp``);
2. the copy is opened read-write (DuckDB replays the log): the views of the published schemas
   become tables, every other schema (staging, intermediate, ...) is dropped, the dbt
   descriptions of ``target/manifest.json`` become table and column comments, and
   ``meta.published_at`` / ``meta.published_tables`` say when, from what and how much;
3. the copy is checkpointed, closed and fsynced, then renamed over the published file
   (``os.replace``, atomic), and the directory is fsynced.

Readers never see a half-written file: a connection opened before the rename keeps reading the
snapshot it opened (on Linux the old inode lives while it is open), one opened after sees the new
one. The published file is never opened for writing, so no reader can make a publish wait. A crash
leaves the previous snapshot in place and a hidden temp file that the next publish deletes.

A byte copy plus pruning is what ``benchmarks/bench_publish.py`` measured fastest (a year of data:
about four times faster than ``create table as select`` per relation or ``COPY FROM DATABASE``,
which rewrite every row).

A DuckLake warehouse (``MPO_WAREHOUSE=ducklake:...``) has no file to copy: step 1 instead creates
the temporary file and fills it with ``create table as select`` per relation of the published
schemas, read from the lake attached read-only (one DuckLake snapshot for the whole copy); steps 2
and 3 are the same, so BI and the seller API read the same kind of file on every target.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.warehouse.access import (
    DUCKLAKE_ALIAS,
    attach_ducklake,
    configure_s3,
    connect_read_only,
    load_extensions,
    needs_s3,
    warehouse_exists,
)
from mpo_pipeline.warehouse.access import rows as query_rows
from mpo_pipeline.warehouse.lock import warehouse_writer

# What BI and finance query. The real-time monitoring models live in `ops`.
PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "finance", "ops")
META_SCHEMA = "meta"
DEFAULT_MANIFEST = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "manifest.json"
# Relations dbt leaves behind when a model build is interrupted: never published.
DBT_LEFTOVERS = ("__dbt_tmp", "__dbt_backup")
TEMP_SUFFIX = ".tmp"

PUBLISHED_AT_COMMENT = (
    "One row: when this snapshot of the pipeline's warehouse was taken (published_at, UTC), by "
    "which Dagster run, from which warehouse file, and how many tables and rows it holds. The "
    "file is replaced as a whole by the next publish; a connection keeps the snapshot it opened."
)
PUBLISHED_AT_COLUMNS = {
    "published_at": "When the snapshot was taken (UTC), under the warehouse writer lock.",
    "run_id": "Dagster run id that published it (null when published outside Dagster).",
    "source_warehouse": "The pipeline's private DuckDB file the snapshot was copied from.",
    "tables": "Number of published tables (rows of meta.published_tables).",
    "rows": "Total rows of the published tables.",
    "schemas": "The published schemas, comma-separated.",
}
PUBLISHED_TABLES_COMMENT = "One row per published table (grain: table_schema, table_name)."
PUBLISHED_TABLES_COLUMNS = {
    "table_schema": "Schema of the table (marts, finance or ops).",
    "table_name": "Name of the table.",
    "rows": "Rows of the table in this snapshot.",
    "materialized_from": "What it was in the pipeline's warehouse: table, or view (now a table).",
}


class PublishError(RuntimeError):
    """The snapshot could not be published; the previous one (if any) is untouched."""


@dataclass(frozen=True)
class PublishedTable:
    """One table of a published snapshot."""

    schema: str
    name: str
    rows: int
    materialized_from: str  # "table" or "view"

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class PublishReport:
    """What one publish did."""

    path: Path
    source: Path | str  # the warehouse file, or the DuckLake (password masked)
    published_at: datetime
    run_id: str | None
    tables: tuple[PublishedTable, ...]
    size_bytes: int
    seconds: float
    copy_seconds: float
    removed_temp_files: tuple[Path, ...] = field(default=())
    removed_logs: tuple[Path, ...] = field(default=())  # left by a read-write connection

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def rows_per_table(self) -> dict[str, int]:
        return {t.qualified: t.rows for t in self.tables}


def temp_prefix(published: Path) -> str:
    """Start of the hidden temp names of ``published`` (``.warehouse.duckdb.``)."""
    return f".{published.name}."


def stale_temp_files(published: Path) -> list[Path]:
    """Temp files a crashed publish left next to ``published`` (and their DuckDB WAL files)."""
    folder = published.parent
    if not folder.is_dir():
        return []
    prefix = temp_prefix(published)
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.startswith(prefix)
        and (p.name.endswith(TEMP_SUFFIX) or f"{TEMP_SUFFIX}.wal" in p.name)
    )


def publish_warehouse(
    private: Path,
    published: Path,
    *,
    run_id: str | None = None,
    manifest: Path | None = DEFAULT_MANIFEST,
    schemas: Iterable[str] = PUBLISHED_SCHEMAS,
    lock: bool = True,
    lock_timeout: float = 3600.0,
    on_wait: Callable[[str], None] | None = None,
    target: WarehouseTarget | None = None,
) -> PublishReport:
    """Publish a snapshot of the warehouse ``private`` at ``published`` (see the module doc).

    ``target``: the warehouse when it is a DuckLake (``private`` then only anchors the writer
    lock). ``lock=False`` is for callers that already hold the writer lock of ``private``. Raises
    ``PublishError`` (the previous snapshot untouched) when anything goes wrong.
    """
    started = time.perf_counter()
    private, published = Path(private).absolute(), Path(published).absolute()
    schemas = tuple(schemas)
    lake = target if target is not None and target.is_ducklake else None
    source: Path | str = lake.describe() if lake is not None else private
    if not (private.is_file() if lake is None else warehouse_exists(lake)):
        raise PublishError(
            f"the warehouse {source} does not exist yet: nothing to publish. Load data first "
            "(make load START=... END=...), then publish."
        )
    if published.resolve() == private.resolve():
        raise PublishError(
            f"MPO_PUBLISHED_WAREHOUSE is the warehouse itself ({private}); it must be another file"
        )
    if published.is_dir():
        raise PublishError(f"MPO_PUBLISHED_WAREHOUSE={published} is a directory, not a file")
    descriptions = dbt_descriptions(manifest) if manifest is not None else {}
    published.parent.mkdir(parents=True, exist_ok=True)
    guard = (
        warehouse_writer(lake or private, timeout=lock_timeout, on_wait=on_wait)
        if lock
        else nullcontext()
    )
    with guard:
        removed = _remove(stale_temp_files(published))
        temp = published.with_name(f"{temp_prefix(published)}{uuid.uuid4().hex}{TEMP_SUFFIX}")
        try:
            published_at = datetime.now(UTC)
            copy_started = time.perf_counter()
            kinds = None
            if lake is None:
                _copy_with_logs(private, temp)
            else:
                kinds = _copy_from_ducklake(lake, temp, schemas)
            copy_seconds = time.perf_counter() - copy_started
            tables = _prune_and_describe(
                temp,
                schemas=schemas,
                descriptions=descriptions,
                published_at=published_at,
                run_id=run_id,
                source=source,
                kinds=kinds,
                catalog=_catalog_name(private) if lake is None else None,
            )
            _fsync(temp)
            leftovers = _logs_of(temp)
            if leftovers:
                raise PublishError(f"DuckDB left {leftovers} after closing the snapshot")
            # A log next to the published file comes from a read-write connection to it (a
            # misconfigured tool): DuckDB would replay it onto the new snapshot and refuse to
            # open it ("WAL does not match database file"). Gone before the rename, so no reader
            # ever sees the new file with it.
            stray_logs = _remove(_logs_of(published))
            os.replace(temp, published)
            _fsync(published.parent)
        except BaseException as exc:
            _remove([temp, *_logs_of(temp)])
            if isinstance(exc, PublishError | KeyboardInterrupt | SystemExit):
                raise
            raise PublishError(
                f"publishing {source} to {published} failed ({type(exc).__name__}: {exc}); "
                "the previous snapshot is unchanged"
            ) from exc
    return PublishReport(
        path=published,
        source=source,
        published_at=published_at,
        run_id=run_id,
        tables=tuple(tables),
        size_bytes=published.stat().st_size,
        seconds=time.perf_counter() - started,
        copy_seconds=copy_seconds,
        removed_temp_files=tuple(removed),
        removed_logs=tuple(stray_logs),
    )


def read_publication(published: Path) -> dict[str, Any] | None:
    """The ``meta.published_at`` row of a published file, read-only; None if there is none yet."""
    published = Path(published)
    if not published.is_file():
        return None
    with closing(connect_read_only(published)) as con:
        found = query_rows(con, f"select * from {META_SCHEMA}.published_at")
    return found[0] if found else None


# -- the copy ----------------------------------------------------------------------------------


def _logs_of(database: Path) -> list[Path]:
    """DuckDB's write-ahead log files of ``database`` (``.wal``, ``.wal.checkpoint``, ...)."""
    folder = database.parent
    if not folder.is_dir():
        return []
    prefix = f"{database.name}.wal"
    return sorted(p for p in folder.iterdir() if p.name.startswith(prefix))


def _copy_with_logs(private: Path, temp: Path) -> None:
    """Byte copy of the private file and of its WAL files, if a writer left any."""
    shutil.copyfile(private, temp)
    for log in _logs_of(private):
        shutil.copyfile(log, temp.with_name(temp.name + log.name[len(private.name) :]))


def _copy_from_ducklake(
    target: WarehouseTarget, temp: Path, schemas: tuple[str, ...]
) -> dict[tuple[str, str], str]:
    """Create ``temp`` with a table per relation of ``schemas`` in the DuckLake ``target`` (its
    rows and column types, read in one transaction: one snapshot of the lake); return what each
    one was in the lake (``table`` or ``view``)."""
    kinds: dict[tuple[str, str], str] = {}
    here = "publish_copy"
    with closing(duckdb.connect(":memory:")) as con:
        # The copy under a name of its own (DuckDB would name it after the file: "warehouse"),
        # the lake under its usual one: dbt's views in it read "warehouse"."schema"."parent".
        con.execute(f"attach {_literal(str(temp))} as {here}")
        load_extensions(con)
        if needs_s3(target):  # data files, or views over the lake, on S3
            configure_s3(con)
        attach_ducklake(con, target, read_only=True)
        con.execute("begin")
        for schema, name, kind in _relations(con, DUCKLAKE_ALIAS):
            if schema not in schemas or name.endswith(DBT_LEFTOVERS):
                continue
            con.execute(f"create schema if not exists {here}.{_q(schema)}")
            con.execute(
                f"create table {here}.{_q(schema)}.{_q(name)} as "
                f"select * from {DUCKLAKE_ALIAS}.{_q(schema)}.{_q(name)}"
            )
            kinds[(schema, name)] = kind
        con.execute("commit")
        con.execute(f"detach {DUCKLAKE_ALIAS}")
        con.execute(f"checkpoint {here}")
        con.execute(f"detach {here}")
    return kinds


def _prune_and_describe(
    temp: Path,
    *,
    schemas: tuple[str, ...],
    descriptions: dict[tuple[str, str], Description],
    published_at: datetime,
    run_id: str | None,
    source: Path | str,
    kinds: dict[tuple[str, str], str] | None = None,
    catalog: str | None = None,
) -> list[PublishedTable]:
    """Turn the copy into the snapshot BI sees; return its tables. ``kinds``: what each table was
    in a DuckLake warehouse (its copy holds tables only). ``catalog``: the name the copy is
    opened under, the private file's (dbt's views name their parents ``"<catalog>"."schema"."x"``,
    and DuckDB names a file after its base name, which the copy's temp name need not share)."""
    with closing(duckdb.connect(":memory:" if catalog else str(temp))) as con:
        if needs_s3():  # a view becoming a table may read the lake, on S3
            configure_s3(con)
        if catalog:
            con.execute(f"attach {_literal(str(temp))} as {_q(catalog)}")
            con.execute(f"use {_q(catalog)}")
        con.execute("begin")  # one transaction: one commit for the hundreds of statements
        relations = _relations(con)
        if kinds is not None:
            # (their kind in the lake; in the copy every one is a table)
            relations = [(s, n, kinds.get((s, n), kind)) for s, n, kind in relations]
        kept = [r for r in relations if r[0] in schemas and not r[1].endswith(DBT_LEFTOVERS)]
        # Views first become tables (they may read other schemas: before anything is dropped).
        views = [(s, n) for s, n, kind in kept if kind == "view" and kinds is None]
        for schema, name in views:
            con.execute(
                f"create table {_q(schema)}.{_q(name + '__published')} as "
                f"select * from {_q(schema)}.{_q(name)}"
            )
        for schema, name in views:
            con.execute(f"drop view {_q(schema)}.{_q(name)}")
        for schema, name in views:
            con.execute(f"alter table {_q(schema)}.{_q(name + '__published')} rename to {_q(name)}")
        for schema, name, kind in relations:
            if (schema, name, kind) not in kept and schema in schemas:
                con.execute(f"drop {kind if kinds is None else 'table'} {_q(schema)}.{_q(name)}")
        for (schema,) in con.execute(
            "select schema_name from duckdb_schemas() "
            "where database_name = current_database() and not internal"
        ).fetchall():
            if schema not in schemas:
                con.execute(f"drop schema {_q(schema)} cascade")
        for schema, name, kind in _relations(con):  # whatever lives in `main`
            if schema not in schemas:
                con.execute(f"drop {kind} {_q(schema)}.{_q(name)}")

        tables = []
        for schema, name, kind in sorted(kept):
            rows = con.execute(f"select count(*) from {_q(schema)}.{_q(name)}").fetchall()[0][0]
            tables.append(PublishedTable(schema, name, int(rows), kind))
            _describe(con, schema, name, descriptions.get((schema, name.lower())))
        _write_meta(con, tables, schemas, published_at, run_id, source)
        con.execute("commit")
        con.execute("checkpoint")
    return tables


def _catalog_name(database: Path) -> str:
    """The catalog name DuckDB gives the file ``database`` (``w.duckdb``: ``w``)."""
    return database.name.lstrip(".").split(".")[0]


def _relations(
    con: duckdb.DuckDBPyConnection, database: str | None = None
) -> list[tuple[str, str, str]]:
    """(schema, name, table|view) of ``database`` (the current one by default)."""
    where = "current_database()" if database is None else _literal(database)
    return [
        (schema, name, kind)
        for schema, name, kind in con.execute(
            "select schema_name, table_name, 'table' from duckdb_tables() "
            f"where database_name = {where} and not temporary "
            "union all "
            "select schema_name, view_name, 'view' from duckdb_views() "
            f"where database_name = {where} and not internal and not temporary "
            "order by 1, 2"
        ).fetchall()
    ]


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    tables: list[PublishedTable],
    schemas: tuple[str, ...],
    published_at: datetime,
    run_id: str | None,
    source: Path | str,
) -> None:
    meta = _q(META_SCHEMA)
    con.execute(f"create schema {meta}")
    con.execute(
        f"create table {meta}.published_tables (table_schema varchar not null, "
        "table_name varchar not null, rows bigint not null, materialized_from varchar not null)"
    )
    if tables:
        con.executemany(
            f"insert into {meta}.published_tables values (?, ?, ?, ?)",
            [(t.schema, t.name, t.rows, t.materialized_from) for t in tables],
        )
    con.execute(
        f"create table {meta}.published_at (published_at timestamp with time zone not null, "
        "run_id varchar, source_warehouse varchar not null, tables integer not null, "
        "rows bigint not null, schemas varchar not null)"
    )
    con.execute(
        f"insert into {meta}.published_at values (?, ?, ?, ?, ?, ?)",
        [
            published_at,
            run_id,
            str(source),
            len(tables),
            sum(t.rows for t in tables),
            ",".join(schemas),
        ],
    )
    _describe(con, META_SCHEMA, "published_at", (PUBLISHED_AT_COMMENT, PUBLISHED_AT_COLUMNS))
    _describe(
        con, META_SCHEMA, "published_tables", (PUBLISHED_TABLES_COMMENT, PUBLISHED_TABLES_COLUMNS)
    )


# -- descriptions --------------------------------------------------------------------------------

Description = tuple[str, dict[str, str]]  # (table description, {column name: description})


def dbt_descriptions(manifest: Path) -> dict[tuple[str, str], Description]:
    """Descriptions of every dbt model, seed, snapshot and source, by (schema, relation name).

    Relation and column names are lower-cased (DuckDB matches them case-insensitively). A
    missing manifest means no comments from dbt, not a failed publish.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        return {}
    data = json.loads(manifest.read_text())
    out: dict[tuple[str, str], Description] = {}
    nodes = [
        (n, n.get("alias") or n["name"])
        for n in data.get("nodes", {}).values()
        if n.get("resource_type") in ("model", "seed", "snapshot")
    ]
    nodes += [(s, s.get("identifier") or s["name"]) for s in data.get("sources", {}).values()]
    for node, relation in nodes:
        columns = {
            name.lower(): (column.get("description") or "").strip()
            for name, column in (node.get("columns") or {}).items()
        }
        key = (str(node.get("schema", "")).lower(), str(relation).lower())
        out[key] = ((node.get("description") or "").strip(), columns)
    return out


def _describe(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, description: Description | None
) -> None:
    """``COMMENT ON`` the table and its columns (existing comments stay where dbt has none)."""
    if description is None:
        return
    table_text, columns = description
    target = f"{_q(schema)}.{_q(name)}"
    if table_text:
        con.execute(f"comment on table {target} is {_literal(table_text)}")
    if not columns:
        return
    present = {
        row[0].lower(): row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, text in columns.items():
        if text and column in present:
            con.execute(f"comment on column {target}.{_q(present[column])} is {_literal(text)}")


# -- small helpers -------------------------------------------------------------------------------


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Flush a file's (or a directory's entries') data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(paths: Iterable[Path]) -> list[Path]:
    removed = []
    for path in paths:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed
