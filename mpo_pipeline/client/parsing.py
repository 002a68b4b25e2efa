"""Decoding a stats response body into an Arrow table (the hot path).

JSON bodies never become dicts or pandas objects:

1. msgspec decodes the envelope (``columns``/``rows``/``links``) with each row of ``data`` kept
   as an undecoded ``msgspec.Raw`` slice of the body (zero-copy);
2. rows are then decoded a chunk at a time as ``list[tuple[...]]`` typed per column *by name*,
   so msgspec itself rejects a string in a count, a null id or a short row and says where;
3. each chunk becomes an Arrow struct array and its Python objects are freed before the next
   chunk is decoded, so at most one chunk of Python objects is alive (bounded peak memory).

:func:`~mpo_pipeline.client.stats_table.finish_table` then parses the interval and validates.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import msgspec
import pyarrow as pa

from .errors import MpoResponseError, body_snippet, looks_like_html
from .hotpath import POOL, gc_paused
from .money import MONEY_TYPE
from .stats_schema import (
    COUNT,
    EXTRA,
    ID,
    INTERVAL,
    MONEY,
    NAME,
    RATIO,
    ColumnPlan,
    StatsRequest,
    plan_columns,
)
from .stats_table import ParsedStats, finish_table
from .stats_values import convert_column

CHUNK_ROWS = 4_096


class _Envelope(msgspec.Struct):
    columns: list[str] | None = None
    # Rows stay undecoded here: they are decoded in chunks once the column types are known.
    data: list[msgspec.Raw] | None = None
    rows: int | None = None
    links: Any = None  # undocumented ("pagination links"); not used


_STRICT_TYPES: dict[str, Any] = {
    ID: int | str,
    NAME: str | int | None,
    INTERVAL: str,
    COUNT: int,
    # Decimal reads the number's digits as written: no binary rounding on the way in.
    MONEY: Decimal,
    RATIO: float | None,
    EXTRA: Any,
}
# Used only after the strict pass met a float in a count column: integral floats (14542.0) are
# accepted and checked one by one; 1.5 is still an error.
_TOLERANT_COUNT = int | float


@lru_cache(maxsize=64)
def _rows_decoder(kinds: tuple[str, ...], tolerant: bool) -> msgspec.json.Decoder:
    types = tuple(
        _TOLERANT_COUNT if tolerant and kind == COUNT else _STRICT_TYPES[kind] for kind in kinds
    )
    return msgspec.json.Decoder(list[tuple[types]])  # type: ignore[valid-type]


_AT = re.compile(r"at `\$\[(\d+)\](?:\[(\d+)\])?`")


def _row_error(
    exc: msgspec.ValidationError,
    columns: tuple[str, ...],
    part: list[msgspec.Raw],
    offset: int,
    request: StatsRequest,
) -> MpoResponseError:
    """Turn msgspec's ``... - at `$[row][col]``` into a message naming the row and column."""
    text = str(exc)
    detail = text.split(" - at ", maxsplit=1)[0]
    match = _AT.search(text)
    if match is None:
        return MpoResponseError(f"{request.describe()}: `data` is malformed: {text}")
    index = int(match.group(1))
    row = offset + index
    if match.group(2) is None:
        try:
            got = msgspec.json.decode(part[index])
        except (msgspec.DecodeError, IndexError):
            got = None
        if isinstance(got, list):
            detail = f"row has {len(got)} values but there are {len(columns)} columns"
        return MpoResponseError(f"{request.describe()}: row {row}: {detail}")
    position = int(match.group(2))
    column = columns[position] if position < len(columns) else f"#{position}"
    if "got `null`" in detail:
        detail = f"null is not allowed here ({detail})"
    elif "got `float`" in detail:
        detail = f"non-integer value ({detail})"
    return MpoResponseError(f"{request.describe()}: column {column!r}, row {row}: {detail}")


def _is_count_error(exc: msgspec.ValidationError, kinds: tuple[str, ...]) -> bool:
    text = str(exc)
    match = _AT.search(text)
    return bool(
        "got `float`" in text
        and match
        and match.group(2) is not None
        and int(match.group(2)) < len(kinds)
        and kinds[int(match.group(2))] == COUNT
    )


def parse_stats_json(body: bytes, request: StatsRequest) -> ParsedStats:
    """Decode a JSON stats body into a validated table in canonical column order."""
    if looks_like_html(body):
        raise MpoResponseError(
            f"{request.describe()}: got an HTML page instead of JSON ({body_snippet(body)})"
        )
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
    except msgspec.ValidationError as exc:  # (a subclass of DecodeError: test it first)
        raise MpoResponseError(
            f"{request.describe()}: body is not a stats report envelope ({exc})"
        ) from None
    except msgspec.DecodeError as exc:
        raise MpoResponseError(
            f"{request.describe()}: body is not valid JSON (truncated or malformed: {exc}); "
            f"{len(body)} bytes starting {body_snippet(body[:80])!r}"
        ) from None
    if envelope.columns is None:
        raise MpoResponseError(f"{request.describe()}: response has no `columns`")
    if envelope.data is None:
        raise MpoResponseError(f"{request.describe()}: response has no `data`")
    if envelope.rows is not None and envelope.rows != len(envelope.data):
        raise MpoResponseError(
            f"{request.describe()}: `rows` says {envelope.rows} but `data` has "
            f"{len(envelope.data)} rows"
        )
    plan = plan_columns(envelope.columns, request)
    with gc_paused():
        arrays = _decode_rows(envelope.data, plan, request)
    del envelope
    return finish_table(arrays, plan.extras, request)


def _decode_chunk(
    part: list[msgspec.Raw], offset: int, plan: ColumnPlan, request: StatsRequest
) -> tuple[list[tuple[Any, ...]], bool]:
    """Decode one chunk of rows; True as second item when counts needed the tolerant types."""
    buffer = b"[" + b",".join(part) + b"]"
    try:
        return _rows_decoder(plan.kinds, False).decode(buffer), False
    except msgspec.ValidationError as exc:
        if not _is_count_error(exc, plan.kinds):
            raise _row_error(exc, plan.columns, part, offset, request) from None
    try:
        return _rows_decoder(plan.kinds, True).decode(buffer), True
    except msgspec.ValidationError as exc:
        raise _row_error(exc, plan.columns, part, offset, request) from None


def _decode_rows(
    raws: list[msgspec.Raw], plan: ColumnPlan, request: StatsRequest
) -> dict[str, pa.ChunkedArray]:
    """Arrow columns of every row, decoded and converted one chunk at a time."""
    known = [
        (i, name, kind)
        for i, (name, kind) in enumerate(zip(plan.columns, plan.kinds, strict=True))
        if kind != EXTRA
    ]
    struct_type = pa.struct([pa.field(name, _FAST_TYPES[kind]) for _, name, kind in known])
    extra_values: dict[int, list[Any]] = {
        i: [] for i, kind in enumerate(plan.kinds) if kind == EXTRA
    }
    chunks: list[pa.StructArray] = []
    for offset in range(0, len(raws), CHUNK_ROWS):
        part = raws[offset : offset + CHUNK_ROWS]
        rows, tolerant = _decode_chunk(part, offset, plan, request)
        chunk: pa.StructArray | None = None
        if not tolerant and not extra_values:
            try:
                chunk = pa.array(rows, type=struct_type, memory_pool=POOL)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                chunk = None  # a digit-string id, a numeric sellerName...: column by column
        if chunk is None:
            # Never the struct path with tolerant counts: Arrow would truncate 1.5 to 1.
            parts = [
                convert_column([r[i] for r in rows], kind, name, offset, request)
                for i, name, kind in known
            ]
            chunk = pa.StructArray.from_arrays(parts, fields=list(struct_type))
            for i, values in extra_values.items():
                values.extend(r[i] for r in rows)
        chunks.append(chunk)
        del rows
    if not chunks:
        chunks.append(pa.array([], type=struct_type))
    arrays = {
        name: pa.chunked_array([c.field(j) for c in chunks], type=struct_type[j].type)
        for j, (_, name, _) in enumerate(known)
    }
    for i, values in extra_values.items():
        name = plan.columns[i]
        arrays[name] = pa.chunked_array([convert_column(values, EXTRA, name, 0, request)])
    return arrays


_FAST_TYPES: dict[str, pa.DataType] = {
    ID: pa.int64(),
    NAME: pa.string(),
    INTERVAL: pa.string(),
    COUNT: pa.int64(),
    MONEY: MONEY_TYPE,
    RATIO: pa.float64(),
}
