"""Decoding the MPO management lists (bare JSON arrays) into Arrow tables (docs/lake.md).

Field names are the API's. Ids are normalised to int64 whether they arrive as numbers or digit
strings, except the seller-campaign ``id`` (``"{sellerId}.{campaignId}"``) which stays text.
Unknown fields (``productSet``...) are ignored; a missing optional field is null; a missing or
malformed id is an ``MpoResponseError`` naming the entity, the row and the field. Lineage
columns (``advertiserId``, ``api_version``, ``extracted_at``) are added by the ingestion layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pyarrow as pa

from .errors import MpoResponseError, body_snippet, looks_like_html
from .timestamps import parse_date_text, parse_utc

ENTITIES: tuple[str, ...] = ("advertisers", "campaigns", "sellers", "seller_campaigns", "budgets")


class _Bad(ValueError):
    """A value that does not fit its field."""


def _id(value: Any) -> int:
    number = value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    if type(number) is int and -(2**63) <= number < 2**63:
        return number
    raise _Bad(f"{value!r} is not a whole-number id")


def _opt_int(value: Any) -> int | None:
    return None if value is None else _id(value)


def _text_id(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    if type(value) is int:
        return str(value)
    raise _Bad(f"{value!r} is not an id")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"{value!r} is not text")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)  # budgets are created with string amounts ("100.50")
        except ValueError:
            pass
    raise _Bad(f"{value!r} is not a number")


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _Bad(f"{value!r} is not true/false")


def _date(value: Any) -> Any:
    if value is None or value == "":  # "" = open-ended budget
        return None
    if not isinstance(value, str):
        raise _Bad(f"{value!r} is not a date")
    try:
        return parse_date_text(value)
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _timestamp(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Bad(f"{value!r} is not a date-time")
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _list_of(item: Callable[[Any], Any]) -> Callable[[Any], list[Any] | None]:
    def convert(value: Any) -> list[Any] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise _Bad(f"{value!r} is not a list")
        return [item(v) for v in value]

    return convert


def _required_text(value: Any) -> str:
    text = _text(value)
    if text is None:
        raise _Bad("null")
    return text


Field = tuple[str, Callable[[Any], Any], pa.DataType, bool]  # name, converter, type, required

_UTC = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, tuple[Field, ...]] = {
    "advertisers": (
        ("id", _id, pa.int64(), True),
        ("advertiserName", _text, pa.string(), False),
        ("currencyName", _text, pa.string(), False),
        ("timeZoneId", _text, pa.string(), False),
    ),
    "campaigns": (
        ("id", _id, pa.int64(), True),
        ("campaignName", _text, pa.string(), False),
        ("adSetDeliveryStatus", _text, pa.string(), False),
        ("status", _opt_int, pa.int64(), False),
    ),
    "sellers": (
        ("id", _id, pa.int64(), True),
        ("sellerName", _text, pa.string(), False),
    ),
    "seller_campaigns": (
        ("id", _text_id, pa.string(), True),
        ("sellerId", _id, pa.int64(), True),
        ("campaignId", _id, pa.int64(), True),
        ("bid", _number, pa.float64(), False),
        ("suspendedSince", _timestamp, _UTC, False),
        ("suspensionReasons", _list_of(_required_text), pa.list_(pa.string()), False),
    ),
    "budgets": (
        ("id", _id, pa.int64(), True),
        ("sellerId", _id, pa.int64(), True),
        ("campaignIds", _list_of(_id), pa.list_(pa.int64()), False),
        ("budgetType", _text, pa.string(), False),
        ("amount", _number, pa.float64(), False),
        ("startDate", _date, pa.date32(), False),
        ("endDate", _date, pa.date32(), False),
        ("isSuspended", _bool, pa.bool_(), False),
        ("spend", _number, pa.float64(), False),
        ("status", _text, pa.string(), False),  # any string: the docs disagree on the values
    ),
}


def metadata_schema(entity: str) -> pa.Schema:
    """The Arrow schema of a metadata entity's table."""
    return pa.schema([pa.field(name, type_) for name, _, type_, _ in SCHEMAS[entity]])


def parse_metadata(body: bytes, entity: str, context: str = "") -> pa.Table:
    """Decode a bare JSON array of ``entity`` objects into a table with :func:`metadata_schema`."""
    where = f"{entity}{f' ({context})' if context else ''}"
    if entity not in SCHEMAS:
        raise ValueError(f"unknown metadata entity {entity!r}; expected one of {ENTITIES}")
    if looks_like_html(body):
        raise MpoResponseError(f"{where}: got an HTML page instead of JSON ({body_snippet(body)})")
    try:
        items = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise MpoResponseError(
            f"{where}: body is not valid JSON (truncated or malformed: {exc}): "
            f"{body_snippet(body[:120])!r}"
        ) from None
    if not isinstance(items, list):
        raise MpoResponseError(
            f"{where}: expected a JSON array, got {type(items).__name__}: "
            f"{body_snippet(body[:120])!r}"
        )
    fields = SCHEMAS[entity]
    columns: list[list[Any]] = [[] for _ in fields]
    for row, item in enumerate(items):
        if not isinstance(item, dict):
            raise MpoResponseError(f"{where}: row {row} is not an object: {item!r:.80}")
        for (name, convert, _, required), column in zip(fields, columns, strict=True):
            value = item.get(name)
            if value is None and required:
                raise MpoResponseError(f"{where}: row {row}: field {name!r} is missing or null")
            try:
                column.append(convert(value))
            except _Bad as exc:
                raise MpoResponseError(f"{where}: row {row}, field {name!r}: {exc}") from None
    return pa.table(
        [
            pa.array(column, type=type_)
            for (_, _, type_, _), column in zip(fields, columns, strict=True)
        ],
        schema=metadata_schema(entity),
    )
