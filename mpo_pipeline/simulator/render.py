"""Serialising stats rows: JSON (``{"columns","data","rows","links"}``) and CSV.

Bodies are built as text, column by column with Arrow string kernels, then joined row-wise: no
Python object per row or value. Money is written from its exact integers (``money.money_text``:
``6.465823``, ``8.308E-6``, ``190758099``), never through float64; ratios as the shortest text of
their float (``0.35``, ``12.0``); JSON ``null`` / an empty CSV cell for a null ratio. JSON and CSV
carry the very same number text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .aggregate import StatsFrame
from .arrays import int64s, join, strings
from .columns import Column, served_columns
from .money import Money, money_text, ratio_text

_ENCODER = msgspec.json.Encoder()
_CHUNK_ROWS = 100_000  # rows formatted per step (bounded memory, 32-bit Arrow offsets)


def _json_string(text: str) -> str:
    return _ENCODER.encode(text).decode()


def _csv_field(text: str) -> str:
    """A CSV field with minimal quoting (as ``csv.writer`` writes it)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass(frozen=True)
class _Format:
    quote: Callable[[str], str]  # a text value as a field
    null: str  # a null ratio
    row_start: str
    row_end: str


_JSON = _Format(_json_string, "null", "[", "],")
_CSV = _Format(_csv_field, "", "", "\r\n")


def _labels(labels: np.ndarray, fmt: _Format) -> pa.Array:
    unique, inverse = np.unique(labels.astype(np.int64), return_inverse=True)
    unit = "s" if labels.dtype == np.dtype("datetime64[h]") else "D"
    texts = np.datetime_as_string(unique.astype(labels.dtype), unit=unit).tolist()
    return strings([fmt.quote(t) for t in texts]).take(int64s(inverse))


def _names(names: np.ndarray, seller_ids: np.ndarray, fmt: _Format) -> pa.Array:
    """Seller names, each quoted once per seller, or once per distinct name when a seller was
    renamed within the rows (its rows then carry the name of their own interval)."""
    _, first, inverse = np.unique(seller_ids, return_index=True, return_inverse=True)
    if np.any(names != names[first][inverse]):
        _, first, inverse = np.unique(names.astype(str), return_index=True, return_inverse=True)
    return strings([fmt.quote(t) for t in names[first].tolist()]).take(int64s(inverse))


def _tokens(values: Column, seller_ids: np.ndarray, fmt: _Format) -> pa.Array:
    if isinstance(values, Money):
        return money_text(values)
    if values.dtype.kind == "M":
        return _labels(values, fmt)
    if values.dtype.kind == "O":
        return _names(values, seller_ids, fmt)
    if values.dtype.kind == "f":
        return ratio_text(values, fmt.null)
    return pc.cast(int64s(values), pa.string())


def _rows(columns: list[Column], seller_ids: np.ndarray, fmt: _Format) -> memoryview:
    """Each row's fields joined by commas, between ``row_start`` and ``row_end``, concatenated."""
    tokens = [_tokens(v, seller_ids, fmt) for v in columns]
    if fmt.row_start:
        tokens[0] = join(fmt.row_start, tokens[0])
    tokens[-1] = join(tokens[-1], fmt.row_end)
    lines = join(*tokens, sep=",")
    _, offsets, data = lines.buffers()
    ends = np.frombuffer(offsets, np.int32, lines.offset + len(lines) + 1)[lines.offset :]
    return memoryview(data)[int(ends[0]) : int(ends[-1])]


def _slice(values: Column, start: int, stop: int) -> Column:
    if isinstance(values, Money):
        return Money(values.units[start:stop], values.nanos[start:stop])
    return values[start:stop]


def _body(frame: StatsFrame, policy: str, fmt: _Format) -> tuple[list[str], list[memoryview]]:
    cols = served_columns(frame, policy)
    names = [name for name, _ in cols]
    parts = [
        _rows(
            [_slice(v, start, start + _CHUNK_ROWS) for _, v in cols],
            frame.seller_id[start : start + _CHUNK_ROWS],
            fmt,
        )
        for start in range(0, len(frame), _CHUNK_ROWS)
    ]
    return names, parts


def to_json(frame: StatsFrame, policy: str) -> bytes:
    """The JSON body of a stats response."""
    names, parts = _body(frame, policy, _JSON)
    if parts:
        parts[-1] = parts[-1][:-1]  # the last row's trailing comma
    head = b'{"columns":' + _ENCODER.encode(names) + b',"data":['
    tail = b'],"rows":' + str(len(frame)).encode() + b',"links":{}}'
    return b"".join([head, *parts, tail])


def to_csv(frame: StatsFrame, policy: str) -> bytes:
    """The CSV body: a header row, comma separator, '.' decimals, empty cells for null."""
    names, parts = _body(frame, policy, _CSV)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(names)
    return b"".join([buf.getvalue().encode("utf-8"), *parts])


def encode(obj: object) -> bytes:
    """JSON-encode a plain object (management endpoints, errors)."""
    return _ENCODER.encode(obj)
