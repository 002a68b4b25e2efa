"""Export the latest close of a month: one CSV a finance user opens in a spreadsheet, or Parquet.

The CSV has one line per seller (``line_type = seller``) then one total line per currency
(``line_type = total``; ratios recomputed from the summed bases, never summed). Billed amounts are
written with their currency's minor unit (``1234`` yen, ``12.30`` euros), exact amounts as they are
(``0.000012``). Files are written to a temporary name and renamed into place, so a failed export
leaves no half file.

With ``as_closed`` (a DuckLake warehouse only) the statement is rebuilt from the DuckLake snapshot
the latest close read (``source_snapshot_id``: ``marts.fct_seller_monthly_statement at (version =>
n)``) and written only if it equals the frozen close rows: the proof that the close froze what the
warehouse held then, whatever later dbt runs changed in the mart.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.finance import money
from mpo_pipeline.finance.close import STATEMENT, CloseRecord, latest_close
from mpo_pipeline.finance.schema import (
    ADDITIVE_COLUMNS,
    BILLED_COLUMNS,
    EXACT_MONEY_COLUMNS,
    MONEY_COLUMNS,
    STATEMENT_COLUMNS,
    STATEMENTS_TABLE,
    close_minor_unit,
    statement_select_list,
)
from mpo_pipeline.warehouse.access import connect_existing, describe

FORMATS = ("auto", "csv", "parquet", "both")
HEADER_COLUMNS = ("close_id", "closed_at", "closed_by")
RATE_COLUMNS = ("ad_fee_rate",)
RATIOS = {  # ratio: (numerator, denominator), recomputed from the bases
    "cr_{p}": ("sale_units_{p}", "clicks"),
    "cpo_{p}": ("media_cost", "sale_units_{p}"),
    "cos_{p}": ("media_cost", "revenue_{p}"),
    "roas_{p}": ("revenue_{p}", "media_cost"),
}


class ExportError(ValueError):
    """The statement cannot be exported; the message says why and what to do."""


def output_paths(out: Path, fmt: str = "auto") -> list[Path]:
    """The files an export writes: by ``fmt``, or by the suffix of ``out`` when ``auto``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    suffix = out.suffix.lower()
    if fmt == "both":
        return [out.with_suffix(".csv"), out.with_suffix(".parquet")]
    if fmt == "auto":
        if suffix not in (".csv", ".parquet"):
            raise ExportError(f"{out}: name the file .csv or .parquet (or pass --format)")
        return [out]
    return [out if suffix == f".{fmt}" else out.with_suffix(f".{fmt}")]


def export_statement(
    warehouse: WarehouseTarget | Path,
    month: date,
    out: Path,
    fmt: str = "auto",
    *,
    as_closed: bool = False,
) -> list[Path]:
    """Write the latest close of ``month`` in ``warehouse`` to ``out``; return the files written.

    ``as_closed``: write the statement rebuilt from the DuckLake snapshot the close read, after
    checking it equals the frozen rows (see :func:`read_as_closed`)."""
    paths = output_paths(out, fmt)
    for path in paths:
        _check_writable(path)
    if as_closed:
        close, table = read_as_closed(warehouse, month)
    else:
        close, table = read_latest_close(warehouse, month)
    for path in paths:
        if path.suffix.lower() == ".parquet":
            _atomic(path, lambda tmp: pq.write_table(_with_close(close, table), tmp))
        else:
            _atomic(path, lambda tmp: _write_csv(tmp, close, table.to_pylist()))
    return paths


def read_latest_close(
    warehouse: WarehouseTarget | Path, month: date
) -> tuple[CloseRecord, pa.Table]:
    """The latest close of ``month`` and its frozen rows (read-only on the warehouse)."""
    with _open(warehouse) as con:
        close = _latest_close(con, month)
        table = _frozen_rows(con, close)
    return close, table


def read_as_closed(warehouse: WarehouseTarget | Path, month: date) -> tuple[CloseRecord, pa.Table]:
    """The latest close of ``month`` and its statement rebuilt from the DuckLake snapshot the close
    read, checked equal to the frozen rows; ExportError on a DuckDB file (no time travel), for a
    close that recorded no snapshot, or when the two differ."""
    if isinstance(warehouse, Path) or warehouse.kind == "file":
        raise ExportError(
            f"--as-closed needs time travel, which needs a DuckLake warehouse "
            f"(MPO_WAREHOUSE=ducklake:...): {describe(warehouse)} is a DuckDB file"
        )
    with _open(warehouse) as con:
        close = _latest_close(con, month)
        if close.source_snapshot_id is None:
            raise ExportError(
                f"close {close.close_id} of {month:%Y-%m} recorded no DuckLake snapshot (made "
                "on a DuckDB file or before snapshots were recorded): it cannot be rebuilt"
            )
        frozen = _frozen_rows(con, close)
        columns = ", ".join(f"cast({name} as {typ}) as {name}" for name, typ in STATEMENT_COLUMNS)
        try:
            rebuilt = con.sql(
                f"select {columns} from {STATEMENT} at (version => ?) where month = ? "
                "order by advertiser_id, currency, seller_id",
                params=[close.source_snapshot_id, close.month],
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise ExportError(
                f"cannot read {STATEMENT} at DuckLake snapshot {close.source_snapshot_id} "
                f"(close {close.close_id}; expired snapshots cannot be read): {exc}"
            ) from None
    if rebuilt.to_pylist() != frozen.to_pylist():
        raise ExportError(
            f"{month:%Y-%m}: the statement at DuckLake snapshot {close.source_snapshot_id} "
            f"({rebuilt.num_rows} rows) differs from the rows close {close.close_id} froze "
            f"({frozen.num_rows} rows)"
        )
    return close, rebuilt


def _open(warehouse: WarehouseTarget | Path) -> duckdb.DuckDBPyConnection:
    try:
        con = connect_existing(warehouse)
    except duckdb.Error as exc:
        raise ExportError(f"cannot open the warehouse {describe(warehouse)}: {exc}") from None
    if con is None:
        raise ExportError(f"no warehouse at {describe(warehouse)}: load and close a month first")
    return con


def _latest_close(con: duckdb.DuckDBPyConnection, month: date) -> CloseRecord:
    close = latest_close(con, month)
    if close is None:
        raise ExportError(
            f"{month:%Y-%m} was never closed: run `mpo-pipeline close --month {month:%Y-%m}`"
        )
    return close


def _frozen_rows(con: duckdb.DuckDBPyConnection, close: CloseRecord) -> pa.Table:
    # closes older than a column read it as NULL (schema.LEGACY_CLOSE_MINOR_UNIT for the unit)
    columns = statement_select_list(con)
    return con.sql(
        f"select {columns} from {STATEMENTS_TABLE} where close_id = ? "
        "order by advertiser_id, currency, seller_id",
        params=[close.close_id],
    ).to_arrow_table()


def currency_totals(rows: Iterable[dict]) -> list[dict]:
    """One row per currency: additive columns summed, ratios recomputed from the sums."""
    totals: dict[str, dict] = {}
    for row in rows:
        total = totals.setdefault(
            row["currency"],
            {c: Decimal(0) if c in MONEY_COLUMNS else 0 for c in ADDITIVE_COLUMNS}
            | {"sellers": 0, "currency_minor_unit": row.get("currency_minor_unit")},
        )
        total["sellers"] += 1
        for column in ADDITIVE_COLUMNS:
            if row[column] is not None:
                total[column] += row[column]
    out = []
    for currency, total in sorted(totals.items()):
        for policy in ("same_seller", "any_seller"):
            for ratio, (num, den) in RATIOS.items():
                n, d = total[num.format(p=policy)], total[den.format(p=policy)]
                total[ratio.format(p=policy)] = None if d == 0 else float(n) / float(d)
        out.append({"currency": currency, **total})
    return out


def _write_csv(path: Path, close: CloseRecord, rows: list[dict]) -> None:
    columns = ["line_type", "month", *HEADER_COLUMNS]
    columns += [name for name, _ in STATEMENT_COLUMNS if name != "month"]
    header = {
        "month": close.month.isoformat(),
        "close_id": close.close_id,
        "closed_at": close.closed_at.isoformat(timespec="seconds"),
        "closed_by": close.closed_by,
    }
    # utf-8-sig: spreadsheets then read seller names with accents correctly.
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**_formatted(row), **header, "line_type": "seller"})
        for total in currency_totals(rows):
            line = _formatted(total) | header | {"line_type": "total", "seller_name": "TOTAL"}
            writer.writerow(line)


def _formatted(row: dict) -> dict:
    digits = close_minor_unit(row.get("currency_minor_unit"))
    out = {}
    for key, value in row.items():
        if value is None:
            out[key] = ""
        elif key in BILLED_COLUMNS:
            # rounded to the minor unit: 1234 yen, 12.30 euros (not the storage's 12.3000)
            out[key] = money.billed(value, digits)
        elif key in EXACT_MONEY_COLUMNS:
            # exact: as it is, at least to the minor unit (12.30, 0.000012; never 12.300000000)
            out[key] = money.exact(value, digits)
        elif isinstance(value, Decimal) and key in RATE_COLUMNS:
            out[key] = f"{value.normalize():f}"
        elif isinstance(value, Decimal):
            out[key] = f"{value:f}"
        elif isinstance(value, float):
            out[key] = f"{value:.6f}"
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def _with_close(close: CloseRecord, table: pa.Table) -> pa.Table:
    columns = {
        "close_id": pa.array([close.close_id] * table.num_rows, pa.int64()),
        "closed_at": pa.array([close.closed_at] * table.num_rows, pa.timestamp("us", tz="UTC")),
        "closed_by": pa.array([close.closed_by] * table.num_rows, pa.string()),
    }
    for name, array in columns.items():
        table = table.append_column(name, array)
    return table


def _check_writable(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportError(f"{path} is a directory: give a file name")
    if not parent.is_dir():
        raise ExportError(f"cannot write {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"cannot write {path}: directory {parent} is not writable")


def _atomic(path: Path, write) -> None:
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
