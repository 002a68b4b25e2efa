"""Decoding a stats response body into an Arrow table (the hot path).

JSON bodies never become dicts or pandas objects, and are never held whole when they stream in:

1. the envelope's head (``{"columns": [...], "data": [``) gives the column names;
2. rows are then decoded a chunk of bytes at a time (cut between two rows) as
   ``list[tuple[...]]`` typed per column *by name*, so msgspec itself rejects a string in a
   count, a null id or a short row and says where;
3. each chunk becomes an Arrow struct array and its Python objects (and bytes) are freed before
   the next chunk is decoded, so what a response costs is its Arrow columns plus one chunk.

An envelope of another shape is decoded whole (each row an undecoded ``msgspec.Raw`` slice of the
body, then the same chunked conversion). :func:`~mpo_pipeline.client.stats_table.finish_table`
then parses the interval and validates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    interval_type,
    plan_columns,
)
from .stats_table import IntervalParser, ParsedStats, finish_table
from .stats_values import convert_column

CHUNK_ROWS = 4_096  # rows per step when the envelope decoder split them
CHUNK_BYTES = 256 * 1024  # body bytes per step when streaming (~3,000 seller-campaign rows)
HEAD_LIMIT = 1 << 20  # an envelope whose rows do not start within this is read whole
MAX_MISSES = 4  # cuts inside a value in a row before the chunk grows geometrically

# The head of the usual envelope: its columns, then the rows ({"columns":[...],"data":[...).
_HEAD = re.compile(rb'\s*\{\s*"columns"\s*:\s*(\[[^\[\]]*\])\s*,\s*"data"\s*:\s*\[')
_BETWEEN_ROWS = re.compile(rb"\]\s*,\s*\[")
_COLUMNS = msgspec.json.Decoder(list[str])
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])


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
    """Decode a whole JSON stats body into a validated table in canonical column order."""
    return parse_stats_stream((body,), request)


def parse_stats_stream(pieces: Iterable[bytes], request: StatsRequest) -> ParsedStats:
    """Decode a JSON stats body arriving in pieces (e.g. ``httpx.Response.iter_bytes()``).

    The body is never held whole: once the envelope's head (``{"columns": [...], "data": [``) is
    read, rows are decoded about :data:`CHUNK_BYTES` at a time, cut between two rows (``],[``),
    and only their Arrow columns are kept. A cut that falls inside a value (a text or an unknown
    column holding ``],[``) does not decode as JSON and is moved further. An envelope of another
    shape (other key order, not JSON, an HTML page) is read whole and decoded as such.
    """
    source = iter(pieces)
    buf: bytes | bytearray = b""
    head = None
    for piece in source:
        buf = _append(buf, piece)
        head = _HEAD.match(buf)
        if head is not None or len(buf) >= HEAD_LIMIT:
            break
    if head is None:
        return _parse_whole(bytes(buf) + b"".join(source), request)
    try:
        columns = _COLUMNS.decode(head.group(1))
    except msgspec.DecodeError:
        return _parse_whole(bytes(buf) + b"".join(source), request)
    rows = _Rows(plan_columns(columns, request), request)
    snippet = bytes(buf[:80])
    received = len(buf)
    pos = head.end()
    want = CHUNK_BYTES
    misses = 0
    with gc_paused():
        while True:
            while len(buf) - pos > want:
                boundary = _BETWEEN_ROWS.search(buf, pos + want)
                if boundary is None:
                    break  # no row ends after the target yet: wait for more bytes
                if rows.feed(b"[" + buf[pos : boundary.start() + 1] + b"]"):
                    pos = boundary.end() - 1  # the next row's "["
                    want = CHUNK_BYTES
                    misses = 0
                else:
                    # The cut fell inside a value: try the next one; after a few misses take
                    # bigger steps (a malformed body is then read to its end and reported).
                    misses += 1
                    want = boundary.end() - pos if misses < MAX_MISSES else 2 * want
            piece = next(source, None)
            if piece is None:
                break
            if isinstance(buf, bytearray) and pos > CHUNK_BYTES and 2 * pos > len(buf):
                del buf[:pos]
                pos = 0
            buf = _append(buf, piece)
            received += len(piece)
        tail = _decode_tail(b'{"data":[' + buf[pos:], received, snippet, request)
        del buf
        for offset in range(0, len(tail.data or ()), CHUNK_ROWS):
            rows.feed_raws((tail.data or [])[offset : offset + CHUNK_ROWS])
    if tail.rows is not None and tail.rows != rows.count:
        raise MpoResponseError(
            f"{request.describe()}: `rows` says {tail.rows} but `data` has {rows.count} rows"
        )
    return finish_table(rows.arrays(), rows.plan.extras, request)


def _append(buf: bytes | bytearray, piece: bytes) -> bytes | bytearray:
    """``buf`` + ``piece``, growing one bytearray in place once there are two pieces."""
    if not buf:
        return piece
    if isinstance(buf, bytes):
        buf = bytearray(buf)
    buf += piece
    return buf


def _decode_tail(
    tail: bytes | bytearray, received: int, snippet: bytes, request: StatsRequest
) -> _Envelope:
    """Decode an envelope: the rows left after the last cut (re-opened as ``{"data":[...``) or a
    body held whole; ``received`` bytes in all, starting with ``snippet``, for the error."""
    try:
        return msgspec.json.decode(tail, type=_Envelope)
    except msgspec.ValidationError as exc:  # (a subclass of DecodeError: test it first)
        raise MpoResponseError(
            f"{request.describe()}: body is not a stats report envelope ({exc})"
        ) from None
    except msgspec.DecodeError as exc:
        raise MpoResponseError(
            f"{request.describe()}: body is not valid JSON (truncated or malformed: {exc}); "
            f"{received} bytes starting {body_snippet(snippet)!r}"
        ) from None


def _parse_whole(body: bytes, request: StatsRequest) -> ParsedStats:
    """Decode a body held whole (an envelope :func:`parse_stats_stream` cannot cut)."""
    if looks_like_html(body):
        raise MpoResponseError(
            f"{request.describe()}: got an HTML page instead of JSON ({body_snippet(body)})"
        )
    envelope = _decode_tail(body, len(body), body[:80], request)
    if envelope.columns is None:
        raise MpoResponseError(f"{request.describe()}: response has no `columns`")
    if envelope.data is None:
        raise MpoResponseError(f"{request.describe()}: response has no `data`")
    if envelope.rows is not None and envelope.rows != len(envelope.data):
        raise MpoResponseError(
            f"{request.describe()}: `rows` says {envelope.rows} but `data` has "
            f"{len(envelope.data)} rows"
        )
    rows = _Rows(plan_columns(envelope.columns, request), request)
    with gc_paused():
        for offset in range(0, len(envelope.data), CHUNK_ROWS):
            rows.feed_raws(envelope.data[offset : offset + CHUNK_ROWS])
    del envelope
    return finish_table(rows.arrays(), rows.plan.extras, request)


class _NotJson(Exception):
    """A buffer of rows is not valid JSON: the cut fell inside a value."""


def _raws(buffer: bytes) -> list[msgspec.Raw]:
    try:
        return _RAWS.decode(buffer)
    except msgspec.DecodeError:
        raise _NotJson from None


def _decode_buffer(
    buffer: bytes, offset: int, plan: ColumnPlan, request: StatsRequest
) -> tuple[list[tuple[Any, ...]], bool]:
    """Decode a JSON array of rows; True as second item when counts needed the tolerant types.

    A type error is reported only if the buffer is valid JSON (else ``_NotJson``): a cut inside
    a value can make the last row look short.
    """
    try:
        return _rows_decoder(plan.kinds, False).decode(buffer), False
    except msgspec.ValidationError as exc:  # (a subclass of DecodeError: test it first)
        part = _raws(buffer)
        if not _is_count_error(exc, plan.kinds):
            raise _row_error(exc, plan.columns, part, offset, request) from None
    except msgspec.DecodeError:
        raise _NotJson from None
    try:
        return _rows_decoder(plan.kinds, True).decode(buffer), True
    except msgspec.ValidationError as exc:
        raise _row_error(exc, plan.columns, _raws(buffer), offset, request) from None
    except msgspec.DecodeError:
        raise _NotJson from None


class _Rows:
    """Arrow columns of every row fed so far, converted one chunk at a time.

    At most one chunk of Python objects is alive; what is kept is Arrow, the interval already
    parsed (the values of unknown columns excepted: they are converted once all rows are in,
    their type inferred over all).
    """

    def __init__(self, plan: ColumnPlan, request: StatsRequest) -> None:
        self.plan = plan
        self.request = request
        self.count = 0
        self._known = [
            (i, name, kind)
            for i, (name, kind) in enumerate(zip(plan.columns, plan.kinds, strict=True))
            if kind != EXTRA
        ]
        self._struct = pa.struct(
            [pa.field(name, _FAST_TYPES[kind]) for _, name, kind in self._known]
        )
        self._interval = [kind for _, _, kind in self._known].index(INTERVAL)
        self._parse_intervals = IntervalParser(request)
        self._types = [
            interval_type(request.interval) if kind == INTERVAL else _FAST_TYPES[kind]
            for _, _, kind in self._known
        ]
        self._columns: list[list[pa.Array]] = [[] for _ in self._known]
        self._extra_values: dict[int, list[Any]] = {
            i: [] for i, kind in enumerate(plan.kinds) if kind == EXTRA
        }

    def feed(self, buffer: bytes) -> bool:
        """Decode a JSON array of rows; False (nothing kept) when it is not valid JSON."""
        try:
            rows, tolerant = _decode_buffer(buffer, self.count, self.plan, self.request)
        except _NotJson:
            return False
        self._add(rows, tolerant)
        return True

    def feed_raws(self, part: list[msgspec.Raw]) -> None:
        """Decode rows already split by the envelope decoder."""
        rows, tolerant = _decode_buffer(
            b"[" + b",".join(part) + b"]", self.count, self.plan, self.request
        )
        self._add(rows, tolerant)

    def _add(self, rows: list[tuple[Any, ...]], tolerant: bool) -> None:
        if not rows:
            return
        parts: list[pa.Array] | None = None
        if not tolerant and not self._extra_values:
            try:
                chunk = pa.array(rows, type=self._struct, memory_pool=POOL)
                parts = [chunk.field(j) for j in range(len(self._known))]
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                parts = None  # a digit-string id, a numeric sellerName...: column by column
        if parts is None:
            # Never the struct path with tolerant counts: Arrow would truncate 1.5 to 1.
            parts = [
                convert_column([r[i] for r in rows], kind, name, self.count, self.request)
                for i, name, kind in self._known
            ]
            for i, values in self._extra_values.items():
                values.extend(r[i] for r in rows)
        parts[self._interval] = self._parse_intervals(parts[self._interval], self.count)
        for column, part in zip(self._columns, parts, strict=True):
            column.append(part)
        self.count += len(rows)

    def arrays(self) -> dict[str, pa.ChunkedArray]:
        """The columns by name (known ones chunked as decoded, then the unknown ones)."""
        arrays = {
            name: pa.chunked_array(self._columns[j], type=self._types[j])
            for j, (_, name, _) in enumerate(self._known)
        }
        self._columns = [[] for _ in self._known]
        for i, values in self._extra_values.items():
            name = self.plan.columns[i]
            arrays[name] = pa.chunked_array([convert_column(values, EXTRA, name, 0, self.request)])
        return arrays


_FAST_TYPES: dict[str, pa.DataType] = {
    ID: pa.int64(),
    NAME: pa.string(),
    INTERVAL: pa.string(),
    COUNT: pa.int64(),
    MONEY: MONEY_TYPE,
    RATIO: pa.float64(),
}
