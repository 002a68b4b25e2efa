"""Parquet lake paths and atomic writes (docs/lake.md).

The lake is a folder or ``s3://bucket/prefix`` (``mpo_pipeline.core.object_store``). In a folder,
every file is written to a hidden temporary name in its final directory and renamed into place, so
a reader (DuckDB globbing ``*.parquet``) never sees half a file and a crashed run leaves nothing
visible but a ``.tmp`` file that the next run removes. On S3 an object is written by one PUT of
the whole file: it appears complete or not at all, and a crashed run leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mpo_pipeline.core.duckdb_extensions import configure_s3
from mpo_pipeline.core.object_store import LakePath, S3Options, is_object_store

ENDPOINTS: tuple[str, ...] = ("sellers", "campaigns", "seller_campaigns")
METADATA_ENTITIES: tuple[str, ...] = (
    "advertisers",
    "campaigns",
    "sellers",
    "seller_campaigns",
    "budgets",
)
TMP_SUFFIX = ".tmp"


def stats_path(lake: Path, endpoint: str, policy: str, day: date, advertiser_id: int) -> Path:
    """Where one advertiser's rows of one day, endpoint and policy live."""
    _check_endpoint(endpoint)
    return (
        lake
        / "stats"
        / f"endpoint={endpoint}"
        / f"policy={policy}"
        / f"report_date={day.isoformat()}"
        / f"advertiser_id={advertiser_id}.parquet"
    )


def control_path(lake: Path, endpoint: str, policy: str, month: date, advertiser_id: int) -> Path:
    """Where the API's own ``Month`` figure of one advertiser, endpoint and policy lives."""
    _check_endpoint(endpoint)
    return (
        lake
        / "control"
        / "interval=month"
        / f"endpoint={endpoint}"
        / f"policy={policy}"
        / f"month={month:%Y-%m}"
        / f"advertiser_id={advertiser_id}.parquet"
    )


def metadata_path(lake: Path, entity: str, snapshot_date: date) -> Path:
    """Where one metadata snapshot of an entity lives."""
    if entity not in METADATA_ENTITIES:
        raise ValueError(f"unknown metadata entity {entity!r}; expected one of {METADATA_ENTITIES}")
    return (
        lake
        / "metadata"
        / f"entity={entity}"
        / f"snapshot_date={snapshot_date.isoformat()}"
        / "part.parquet"
    )


def realtime_path(lake: Path, export_date: date, export_id: str) -> Path:
    """Where one real-time export lives (never overwritten: ids are unique)."""
    return lake / "realtime" / f"export_date={export_date.isoformat()}" / f"{export_id}.parquet"


def write_atomic(path: LakePath, write: Callable[[BinaryIO], object]) -> LakePath:
    """Write ``path`` through ``write(handle)`` on a temp file + fsync + rename (+ fsync of the
    folder); replaces any old file, and leaves nothing half-written behind on any failure.

    On S3 the bytes are built in memory and sent in one PUT (an object is replaced whole)."""
    if is_object_store(path):
        buffer = io.BytesIO()
        write(buffer)
        path.fs.pipe_file(path.path, buffer.getvalue())
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}{TMP_SUFFIX}"
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """``table`` as a zstd Parquet file at ``path``, atomically (``write_atomic``)."""
    return write_atomic(path, lambda handle: pq.write_table(table, handle, compression="zstd"))


def write_bytes_atomic(content: bytes, path: Path) -> Path:
    """``content`` at ``path``, atomically (``write_atomic``)."""
    return write_atomic(path, lambda handle: handle.write(content))


def remove_stale_temp_files(root: LakePath) -> list[Path]:
    """Delete temp files left by a crashed writer below ``root``; return what was removed (none
    on S3, where nothing is written to a temp name)."""
    if is_object_store(root) or not root.exists():
        return []
    removed = []
    for tmp in root.rglob(f".*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def iter_days(
    table: pa.Table, column: str, days: Iterable[date]
) -> Iterator[tuple[date, pa.Table]]:
    """``table``'s rows of each requested day in turn (empty days included), one at a time.

    Rows sorted by day (the API's order) come out as zero-copy slices; otherwise each day is
    filtered out on its own. Either way no more than one day's copy exists at once.
    """
    days = list(days)
    if table.num_rows == 0:
        for day in days:
            yield day, table
        return
    values = table.column(column)
    if _ascending(values):
        labels = np.asarray(values.to_numpy(), dtype="datetime64[D]")
        wanted = np.asarray(days, dtype="datetime64[D]")
        starts = np.searchsorted(labels, wanted, side="left")
        stops = np.searchsorted(labels, wanted, side="right")
        del labels
        for day, first, stop in zip(days, starts.tolist(), stops.tolist(), strict=True):
            yield day, table.slice(first, stop - first)
        return
    for day in days:
        yield day, table.filter(pc.equal(values, pa.scalar(day, type=values.type)))


def split_by_day(table: pa.Table, column: str, days: Iterable[date]) -> dict[date, pa.Table]:
    """Split ``table`` on a date column into one table per requested day (empty ones included)."""
    return dict(iter_days(table, column, days))


def _ascending(values: pa.ChunkedArray) -> bool:
    if len(values) < 2 or values.null_count:
        return values.null_count == 0
    before, after = values.slice(0, len(values) - 1), values.slice(1)
    return bool(pc.all(pc.greater_equal(after, before)).as_py())


def recent_day_rows(
    lake: LakePath, endpoint: str, policy: str, advertiser_id: int, until: date, days: int = 7
) -> list[int]:
    """Rows of the latest ``days`` landed days on or before ``until`` of one stream and advertiser
    (read from the Parquet footers; newest first; empty when none was landed)."""
    root = lake / "stats" / f"endpoint={endpoint}" / f"policy={policy}"
    if not root.is_dir():
        return []
    name = f"advertiser_id={advertiser_id}.parquet"
    folders = sorted(
        (p for p in root.iterdir() if p.name.startswith("report_date=")),
        key=lambda p: p.name,
        reverse=True,
    )
    rows: list[int] = []
    for folder in folders:
        if folder.name > f"report_date={until.isoformat()}":
            continue
        path = folder / name
        if not path.is_file():
            continue
        try:
            rows.append(parquet_rows(path))
        except (OSError, pa.ArrowInvalid):
            continue  # a file being replaced, or damaged: the next one will do
        if len(rows) == days:
            break
    return rows


def parquet_rows(path: LakePath) -> int:
    """The rows of one lake file, from its footer."""
    if is_object_store(path):
        with path.open("rb") as handle:
            return pq.read_metadata(handle).num_rows
    return pq.read_metadata(path).num_rows


def read_parquet(path: LakePath) -> pa.Table:
    """One lake file as a table."""
    if is_object_store(path):
        with path.open("rb") as handle:
            return pq.read_table(handle)
    return pq.read_table(path)


def connect(lake: LakePath) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can read the lake (S3 access set up when it is on S3)."""
    con = duckdb.connect()
    if is_object_store(lake):
        try:
            configure_s3(con, S3Options.of_path(lake))
        except BaseException:
            con.close()
            raise
    return con


def with_lineage(table: pa.Table, **columns: object) -> pa.Table:
    """Append constant lineage columns (typed from the Python value) to every row."""
    for name, value in columns.items():
        if isinstance(value, datetime):
            typ: pa.DataType = pa.timestamp("us", tz="UTC")
        elif isinstance(value, date):
            typ = pa.date32()
        elif isinstance(value, int) and not isinstance(value, bool):
            typ = pa.int64()
        else:
            typ = pa.string()
        array = pa.repeat(pa.scalar(value, type=typ), table.num_rows)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, array)
        else:
            table = table.append_column(name, array)
    return table


def _check_endpoint(endpoint: str) -> None:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown stats endpoint {endpoint!r}; expected one of {ENDPOINTS}")


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
