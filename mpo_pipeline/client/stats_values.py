"""Column-by-column conversion of decoded stats values, for the shapes the fast path refuses.

Each converter either returns an Arrow array of the contract type or raises
``MpoResponseError`` naming the column, the row and the offending value.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from .errors import MpoResponseError
from .money import money_array
from .stats_schema import COUNT, EXTRA, ID, INTERVAL, MONEY, NAME, RATIO, StatsRequest

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _fail(request: StatsRequest, name: str, row: int, what: str) -> MpoResponseError:
    return MpoResponseError(f"{request.describe()}: column {name!r}, row {row}: {what}")


def _ids(values: list[Any], name: str, offset: int, request: StatsRequest) -> pa.Array:
    out: list[int] = []
    for i, raw in enumerate(values):
        value = raw
        if isinstance(raw, str):
            if not (raw.isascii() and raw.isdigit()):
                raise _fail(request, name, offset + i, f"id {raw!r} is not a whole number")
            value = int(raw)
        if type(value) is not int:
            raise _fail(request, name, offset + i, f"id {raw!r} is not a whole number")
        if not INT64_MIN <= value <= INT64_MAX:
            raise _fail(request, name, offset + i, f"id {value} does not fit in int64")
        out.append(value)
    return pa.array(out, type=pa.int64())


def _names(values: list[Any], name: str, offset: int, request: StatsRequest) -> pa.Array:
    # A seller key is text even when the API sends it as a JSON number.
    out: list[str | None] = []
    for i, value in enumerate(values):
        if value is None or isinstance(value, str):
            out.append(value)
        elif type(value) is int:
            out.append(str(value))
        else:
            raise _fail(request, name, offset + i, f"{value!r} is not a string")
    return pa.array(out, type=pa.string())


def _counts(values: list[Any], name: str, offset: int, request: StatsRequest) -> pa.Array:
    out: list[int] = []
    for i, raw in enumerate(values):
        value = raw
        if type(raw) is float:
            if not raw.is_integer():
                raise _fail(request, name, offset + i, f"non-integer count {raw!r}")
            value = int(raw)
        if type(value) is not int:
            raise _fail(request, name, offset + i, f"count {value!r} is not a whole number")
        if not INT64_MIN <= value <= INT64_MAX:
            raise _fail(request, name, offset + i, f"count {value} does not fit in int64")
        out.append(value)
    return pa.array(out, type=pa.int64())


def _extra(values: list[Any]) -> pa.Array:
    """An unknown column with the type Arrow infers, or its values as JSON text if mixed."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array(
            [None if v is None else json.dumps(v, separators=(",", ":")) for v in values],
            type=pa.string(),
        )


def convert_column(
    values: list[Any], kind: str, name: str, offset: int, request: StatsRequest
) -> pa.Array:
    """Convert decoded values of one column; ``offset`` is the row number of ``values[0]``."""
    if kind == ID:
        try:
            return pa.array(values, type=pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return _ids(values, name, offset, request)
    if kind == NAME:
        try:
            return pa.array(values, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return _names(values, name, offset, request)
    if kind == COUNT:
        # Never pa.array(type=int64) on floats: Arrow would truncate 1.5 to 1 silently.
        if all(type(v) is int for v in values):
            try:
                return pa.array(values, type=pa.int64())
            except (pa.ArrowInvalid, OverflowError):
                pass
        return _counts(values, name, offset, request)
    if kind == MONEY:
        return money_array(values, lambda i, what: _fail(request, name, offset + i, what))
    if kind == RATIO:
        return pa.array(values, type=pa.float64())
    if kind == INTERVAL:
        return pa.array(values, type=pa.string())
    if kind == EXTRA:
        return _extra(values)
    raise ValueError(f"unknown column kind {kind!r}")
