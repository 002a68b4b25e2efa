"""Decoding a ``text/csv`` stats body (defensive: the client asks for JSON).

The CSV layout is undocumented; assumed: a header row with the JSON column names, commas,
``.`` decimals, empty cells for null. Columns are typed by name like the JSON path and go
through the same checks.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import MpoResponseError
from .money import money_array
from .stats_schema import EXTRA, MONEY, StatsRequest, arrow_type, plan_columns
from .stats_table import ParsedStats, finish_table


def parse_stats_csv(body: bytes, request: StatsRequest) -> ParsedStats:
    """Decode a CSV stats body into the same table :func:`parse_stats_json` builds."""
    if not body.strip():
        raise MpoResponseError(f"{request.describe()}: empty CSV body (no header row)")
    header = body.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    columns = [name.strip().strip('"') for name in header.split(",")]
    plan = plan_columns(columns, request)
    # Money is read as text and converted exactly (money.py), never through a float.
    types = {
        name: pa.string() if kind == MONEY else arrow_type(kind, request.interval)
        for name, kind in zip(plan.columns, plan.kinds, strict=True)
        if kind != EXTRA
    }
    money = [name for name, kind in zip(plan.columns, plan.kinds, strict=True) if kind == MONEY]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=["", "null", "NULL"],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise MpoResponseError(f"{request.describe()}: unreadable CSV body: {exc}") from None
    interval_column = request.interval_column
    if table.column(interval_column).null_count:
        raise MpoResponseError(f"{request.describe()}: column {interval_column!r} has empty values")
    arrays = {name: table.column(name) for name in table.column_names}
    for name in money:
        values = arrays[name].to_pylist()

        def fail(row: int, what: str, name: str = name) -> MpoResponseError:
            return MpoResponseError(f"{request.describe()}: column {name!r}, row {row}: {what}")

        arrays[name] = pa.chunked_array([money_array(values, fail)])
    return finish_table(arrays, plan.extras, request)
