"""Turning decoded stats columns into the contract table: interval parsing, checks, column order.

Shared by the JSON and CSV decoders. All checks run vectorised in Arrow (or on the few distinct
interval values), so they cost little next to decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from .errors import MpoResponseError
from .stats_schema import (
    DIMENSIONS,
    ID_COLUMNS,
    NAME_COLUMNS,
    StatsRequest,
    expected_columns,
    interval_type,
)
from .timestamps import parse_date_text, parse_wall_clock

_COUNTS = ("impressions", "clicks", "saleUnits")


@dataclass(frozen=True)
class ParsedStats:
    """A decoded stats response: the table and the names of unknown (extra) columns."""

    table: pa.Table
    extra_columns: tuple[str, ...]


def parse_interval_value(text: str, interval: str, zone: ZoneInfo) -> date | datetime:
    """Parse one interval label.

    Day/Month/Year keep the calendar date as written. Hour becomes a naive wall-clock time in
    the requested zone (a value with an offset is converted to that zone first).
    """
    if interval == "Hour":
        return parse_wall_clock(text, zone)
    return parse_date_text(text)


def _window_bounds(request: StatsRequest) -> tuple[date, date]:
    """Earliest and latest bucket label a response to ``request`` may contain."""
    if request.interval == "Month":
        return request.start.replace(day=1), request.end
    if request.interval == "Year":
        return request.start.replace(month=1, day=1), request.end
    return request.start, request.end


class IntervalParser:
    """Parses the interval labels of one response, a column (or a chunk of one) at a time.

    Each distinct label is parsed once (a chunk of a day-sized response holds a few) and checked
    against the window; ``offset`` is the row number of the column's first value, for messages.
    """

    def __init__(self, request: StatsRequest) -> None:
        self.request = request
        self._zone = ZoneInfo(request.time_zone)
        self._bounds = _window_bounds(request)
        self._type = interval_type(request.interval)
        self._known: dict[str, Any] = {}

    def __call__(
        self, column: pa.Array | pa.ChunkedArray, offset: int = 0
    ) -> pa.Array | pa.ChunkedArray:
        uniques = pc.unique(column)
        values = pa.array([self._value(t, column, offset) for t in uniques.to_pylist()], self._type)
        return pc.take(values, pc.index_in(column, value_set=uniques))

    def _value(self, text: str, column: pa.Array | pa.ChunkedArray, offset: int) -> Any:
        if text in self._known:
            return self._known[text]
        request = self.request
        name = request.interval_column
        try:
            value = parse_interval_value(text, request.interval, self._zone)
        except ValueError as exc:
            row = offset + pc.index(column, text).as_py()
            raise MpoResponseError(
                f"{request.describe()}: column {name!r}, row {row}: {exc}"
            ) from None
        day = value.date() if isinstance(value, datetime) else value
        low, high = self._bounds
        if not low <= day <= high:
            row = offset + pc.index(column, text).as_py()
            raise MpoResponseError(
                f"{request.describe()}: column {name!r}, row {row}: {text!r} is outside the "
                f"requested window {request.start}..{request.end}"
            )
        self._known[text] = value
        return value


def _check_counts(arrays: dict[str, pa.ChunkedArray], request: StatsRequest) -> None:
    """Ids, counts, cost and revenue are never null; counts and cost never negative."""
    for name in (*DIMENSIONS[request.endpoint], *_COUNTS, "cost", "revenue"):
        column = arrays[name]
        if name in NAME_COLUMNS or len(column) == 0:
            continue
        if column.null_count:
            row = pc.index(pc.is_null(column), True).as_py()
            raise MpoResponseError(
                f"{request.describe()}: column {name!r}, row {row}: null is not allowed here"
            )
        if name in ID_COLUMNS or name == "revenue":
            continue
        smallest = pc.min(column).as_py()
        if smallest is not None and smallest < 0:
            row = pc.index(pc.less(column, 0), True).as_py()
            raise MpoResponseError(
                f"{request.describe()}: column {name!r}, row {row}: negative value {smallest}"
            )


# Odd 64-bit multipliers for the key fingerprint below.
_MIX = (-7046029254386353131, -4658895280553007687, 2870177450012600261)


def _as_int64(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_date32(column.type):
        column = column.cast(pa.int32())
    return column.cast(pa.int64())


def _strictly_increasing(columns: list[pa.ChunkedArray]) -> bool:
    """True when the rows are sorted by the key columns with no repeat (the usual API order)."""
    before = [c.slice(0, len(c) - 1) for c in columns]
    after = [c.slice(1) for c in columns]
    result = pc.greater(after[-1], before[-1])
    for prev, nxt in zip(reversed(before[:-1]), reversed(after[:-1]), strict=True):
        result = pc.or_(pc.greater(nxt, prev), pc.and_(pc.equal(nxt, prev), result))
    return bool(pc.all(result).as_py())


def _check_unique(arrays: dict[str, pa.ChunkedArray], request: StatsRequest) -> None:
    """One row per dimension ids + interval.

    Cheap tests first: rows sorted by the key with no repeat (a few vectorised comparisons;
    the interval first, the API's order, or last), then uniqueness of a wrapping 64-bit
    fingerprint of the key (a hash table as large as the response). Only when the fingerprint
    repeats (a duplicate, or a harmless collision) is the exact group-by run to name the
    duplicate.
    """
    keys = [c for c in DIMENSIONS[request.endpoint] if c in ID_COLUMNS]
    keys.append(request.interval_column)
    rows = len(arrays[keys[0]])
    if rows < 2:
        return
    columns = [arrays[name] for name in keys]
    if _strictly_increasing([columns[-1], *columns[:-1]]) or _strictly_increasing(columns):
        return
    ints = [_as_int64(column).combine_chunks() for column in columns]
    fingerprint = None
    for column, factor in zip(ints, _MIX, strict=False):
        part = pc.multiply(column, factor)  # wraps on overflow: fine for a fingerprint
        fingerprint = part if fingerprint is None else pc.add(fingerprint, part)
    if len(pc.unique(fingerprint)) == rows:
        return
    table = pa.table({k: arrays[k] for k in keys})
    groups = table.group_by(keys, use_threads=False).aggregate([([], "count_all")])
    if groups.num_rows == rows:
        return
    duplicated = groups.filter(pc.greater(groups["count_all"], 1)).slice(0, 1).to_pylist()[0]
    count = duplicated.pop("count_all")
    raise MpoResponseError(
        f"{request.describe()}: duplicate key {duplicated} appears {count} times "
        f"(one row per {', '.join(keys)} expected)"
    )


def finish_table(
    arrays: dict[str, pa.ChunkedArray], extras: tuple[str, ...], request: StatsRequest
) -> ParsedStats:
    """Parse the interval (unless already parsed), validate every rule, and order the columns
    canonically."""
    name = request.interval_column
    arrays = dict(arrays)
    if pa.types.is_string(arrays[name].type):  # not parsed while decoding (CSV)
        arrays[name] = IntervalParser(request)(arrays[name])
    _check_counts(arrays, request)
    _check_unique(arrays, request)
    order = [*expected_columns(request.endpoint, request.interval), *extras]
    table = pa.table({column: arrays[column] for column in order})
    return ParsedStats(table, extras)
