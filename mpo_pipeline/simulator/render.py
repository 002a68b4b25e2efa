"""Serialising stats rows: JSON (``{"columns","data","rows","links"}``) and CSV."""

from __future__ import annotations

import csv
import io

import msgspec
import numpy as np

from .aggregate import StatsFrame
from .columns import served_columns

_ENCODER = msgspec.json.Encoder()


def _python_column(values: np.ndarray) -> list:
    """A numpy column as JSON-ready Python values: dates as strings, NaN as None."""
    if values.dtype.kind == "M":
        unit = "s" if values.dtype == np.dtype("datetime64[h]") else "D"
        return np.datetime_as_string(values, unit=unit).tolist()
    if values.dtype.kind == "f":
        nulls = np.isnan(values)
        if nulls.any():
            boxed = values.astype(object)
            boxed[nulls] = None
            return boxed.tolist()
    return values.tolist()


def table(frame: StatsFrame, policy: str) -> tuple[list[str], list[tuple]]:
    """Column names and row tuples of a frame as served."""
    cols = served_columns(frame, policy)
    names = [name for name, _ in cols]
    rows = list(zip(*(_python_column(v) for _, v in cols), strict=True)) if len(frame) else []
    return names, rows


def to_json(frame: StatsFrame, policy: str) -> bytes:
    """The JSON body of a stats response."""
    names, rows = table(frame, policy)
    return _ENCODER.encode({"columns": names, "data": rows, "rows": len(rows), "links": {}})


def to_csv(frame: StatsFrame, policy: str) -> bytes:
    """The CSV body: a header row, comma separator, '.' decimals, empty cells for null."""
    names, rows = table(frame, policy)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def encode(obj: object) -> bytes:
    """JSON-encode a plain object (management endpoints, errors)."""
    return _ENCODER.encode(obj)
