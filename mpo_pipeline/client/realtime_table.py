"""Raw export columns → the typed real-time table (names matched case-insensitively).

The output column names of the real-time API are undocumented ([ASSUME] the requested dimension
and metric names, reference §4). Each raw column is matched to a known name ignoring case
(``CampaignId``, ``campaignid`` and ``campaignId`` are one column) and typed: ids and counts int64,
``cost`` float64, names text, ``day`` date32, ``hour``/``minute`` int32 (from numbers or from
timestamps). With ``Day`` present, ``interval_start`` (timestamp UTC) is the start of the row's
finest time bucket. A requested column that is missing or badly typed fails loudly; an unknown
extra column is kept as text and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .errors import MpoResponseError

# lower-case API name -> (lake name, kind)
COLUMNS: dict[str, tuple[str, str]] = {
    "advertiserid": ("advertiserId", "int"),
    "partnerid": ("partnerId", "int"),
    "campaignid": ("campaignId", "int"),
    "sellerid": ("sellerId", "int"),
    "productid": ("productId", "text"),
    "sellername": ("sellerName", "text"),
    "year": ("year", "int"),
    "month": ("month", "text"),
    "week": ("week", "text"),
    "day": ("day", "date"),
    "hour": ("hour", "hour"),
    "minute": ("minute", "minute"),
    "clicks": ("clicks", "int"),
    "displays": ("displays", "int"),
    "cost": ("cost", "float"),
}
_TYPES = {
    "int": pa.int64(),
    "text": pa.string(),
    "date": pa.date32(),
    "hour": pa.int32(),
    "minute": pa.int32(),
    "float": pa.float64(),
}
INTERVAL_START = "interval_start"
_UTC_US = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class RealtimeTable:
    """A typed export and the names of the unknown columns kept as text."""

    table: pa.Table
    extra_columns: tuple[str, ...]


def realtime_schema(dimensions: tuple[str, ...], metrics: tuple[str, ...]) -> pa.Schema:
    """The typed schema of an export of ``dimensions`` and ``metrics`` (before extra columns)."""
    fields = [pa.field(*_field(name)) for name in dimensions]
    if "day" in {d.lower() for d in dimensions}:
        fields.append(pa.field(INTERVAL_START, _UTC_US))
    fields += [pa.field(*_field(name)) for name in metrics]
    return pa.schema(fields)


def _field(api_name: str) -> tuple[str, pa.DataType]:
    name, kind = COLUMNS[api_name.lower()]
    return name, _TYPES[kind]


def _blank_to_null(array: pa.Array) -> pa.Array:
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        trimmed = pc.utf8_trim_whitespace(array)
        return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, array.type), trimmed)
    return array


def _to_int(array: pa.Array) -> pa.Array:
    try:
        return pc.cast(array, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # "12.0" or 12.0: accept only integral values.
        as_float = pc.cast(array, pa.float64())
        return pc.cast(as_float, pa.int64(), safe=True)


def _time_part(array: pa.Array, unit: str, limit: int) -> pa.Array:
    try:
        out = pc.cast(_to_int(array), pa.int32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # A timestamp such as 2026-03-01T11:59:00: keep its hour or minute.
        stamps = pc.cast(array, pa.timestamp("us"))
        out = pc.cast(pc.hour(stamps) if unit == "hour" else pc.minute(stamps), pa.int32())
    low, high = pc.min_max(out).values()
    if (low.is_valid and low.as_py() < 0) or (high.is_valid and high.as_py() >= limit):
        raise pa.ArrowInvalid(f"{unit} values outside 0..{limit - 1}")
    return out


def _to_date(array: pa.Array) -> pa.Array:
    try:
        return pc.cast(array, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pc.cast(pc.cast(array, pa.timestamp("us")), pa.date32())


def _convert(array: pa.Array, kind: str) -> pa.Array:
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), _TYPES[kind])
    if pa.types.is_boolean(array.type):
        raise pa.ArrowInvalid("booleans are not values of this column")
    array = _blank_to_null(array)
    if kind == "int":
        return _to_int(array)
    if kind == "float":
        return pc.cast(array, pa.float64())
    if kind == "text":
        return pc.cast(array, pa.string())
    if kind == "date":
        return _to_date(array)
    return _time_part(array, kind, 24 if kind == "hour" else 60)


def _interval_start(columns: dict[str, pa.Array], time_zone: str) -> pa.Array:
    micros = pc.cast(pc.cast(columns["day"], pa.timestamp("us")), pa.int64())
    for part, size in (("hour", 3_600_000_000), ("minute", 60_000_000)):
        if part in columns:
            micros = pc.add(micros, pc.multiply(pc.cast(columns[part], pa.int64()), size))
    local = pc.cast(micros, pa.timestamp("us"))
    # Buckets are labelled in the request's time zone; a DST fold resolves to its first instant.
    aware = pc.assume_timezone(local, time_zone, ambiguous="earliest", nonexistent="earliest")
    return pc.cast(aware, _UTC_US)


def type_export(
    raw: pa.Table,
    dimensions: tuple[str, ...],
    metrics: tuple[str, ...],
    time_zone: str,
    context: str,
) -> RealtimeTable:
    """Match, check and type the raw columns of one export."""
    by_lower: dict[str, str] = {}
    for name in raw.column_names:
        if name.lower() in by_lower:
            raise MpoResponseError(f"{context}: column {name!r} appears twice (ignoring case)")
        by_lower[name.lower()] = name
    wanted = [d.lower() for d in dimensions] + [m.lower() for m in metrics]
    missing = [COLUMNS[w][0] for w in wanted if w not in by_lower]
    if missing and raw.num_rows > 0:
        raise MpoResponseError(
            f"{context}: requested columns missing from the export: {missing}; "
            f"got {raw.column_names}"
        )
    typed: dict[str, pa.Array] = {}
    for key in wanted:
        name, kind = COLUMNS[key]
        if key not in by_lower:  # empty export without a header: typed empty column
            typed[name] = pa.array([], _TYPES[kind])
            continue
        source = by_lower[key]
        column = raw.column(source).combine_chunks()
        try:
            typed[name] = _convert(column, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            sample = column.slice(0, 3).to_pylist()
            raise MpoResponseError(
                f"{context}: column {source!r} is not {kind} ({str(exc).splitlines()[0]}); "
                f"first values {sample!r}"
            ) from None
    out = {COLUMNS[k][0]: typed[COLUMNS[k][0]] for k in (d.lower() for d in dimensions)}
    if "day" in typed:
        out[INTERVAL_START] = _interval_start(typed, time_zone)
    out.update({COLUMNS[k][0]: typed[COLUMNS[k][0]] for k in (m.lower() for m in metrics)})
    extras = [n for n in raw.column_names if n.lower() not in wanted]
    for name in extras:
        column = raw.column(name).combine_chunks()
        out[name] = pc.cast(column, pa.string())
    table = pa.table(out)
    extra_fields = [table.schema.field(name) for name in extras]
    schema = pa.schema([*realtime_schema(dimensions, metrics), *extra_fields])
    return RealtimeTable(table.cast(schema), tuple(extras))
