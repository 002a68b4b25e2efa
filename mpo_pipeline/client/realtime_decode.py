"""Raw real-time export bytes → an Arrow table of *raw* columns, by ``Content-Type``.

The download returns the file itself (reference §4, [ASSUME] raw bytes): ``text/csv`` or
``application/json``. Its column names are undocumented, so nothing here renames or types
anything: CSV cells stay strings (empty = null), JSON values keep their JSON types. JSON may be a
list of row objects, ``{"data": [row objects]}``, or the Standard API's ``{"columns", "data"}``.
"""

from __future__ import annotations

import io

import msgspec
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import MpoResponseError, body_snippet


def media_type(content_type: str | None) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv`` (lower case; empty when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_csv(content: bytes, context: str) -> pa.Table:
    """A CSV file (header row) as an all-string table; empty cells are null."""
    if not content.strip():
        return pa.table({})
    try:
        table = pacsv.read_csv(
            io.BytesIO(content),
            read_options=pacsv.ReadOptions(use_threads=False),
            # Strings everywhere: seller names may be all digits with leading zeros.
            convert_options=pacsv.ConvertOptions(
                column_types=None, strings_can_be_null=True, auto_dict_encode=False
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise MpoResponseError(
            f"{context}: the CSV export could not be read ({str(exc).splitlines()[0]}): "
            f"{body_snippet(content)}"
        ) from None
    return table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))


def _rows_from_json(obj: object, context: str, content: bytes) -> list[dict]:
    if isinstance(obj, dict) and isinstance(obj.get("data"), list):
        columns = obj.get("columns")
        if isinstance(columns, list):
            # A row shorter or longer than the header is a broken file, never null-padded.
            for index, row in enumerate(obj["data"]):
                if not isinstance(row, list) or len(row) != len(columns):
                    size = len(row) if isinstance(row, list) else type(row).__name__
                    raise MpoResponseError(
                        f"{context}: row {index} has {size} values but the export has "
                        f"{len(columns)} columns ({', '.join(map(str, columns))})"
                    )
            return [dict(zip(columns, row, strict=True)) for row in obj["data"]]
        obj = obj["data"]
    if isinstance(obj, list) and all(isinstance(r, dict) for r in obj):
        return obj
    raise MpoResponseError(
        f"{context}: the JSON export is neither a list of rows nor a {{columns, data}} "
        f"object: {body_snippet(content)}"
    )


def decode_json(content: bytes, context: str) -> pa.Table:
    """A JSON export as a table; every column keeps its JSON type (mixed types become text)."""
    try:
        obj = msgspec.json.decode(content) if content.strip() else []
    except msgspec.DecodeError as exc:
        raise MpoResponseError(
            f"{context}: the JSON export is not valid JSON ({exc}): {body_snippet(content)}"
        ) from None
    rows = _rows_from_json(obj, context, content)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(columns)


def decode_export(
    content: bytes, content_type: str | None, context: str, promised_rows: int | None = None
) -> pa.Table:
    """Pick the decoder from ``Content-Type`` (a body that starts like JSON when it is unset).

    An empty body is an error unless the job said it has no rows (``promised_rows == 0``): even
    an export without rows has a CSV header or a JSON ``[]``, so zero bytes is a lost file.
    When ``promised_rows`` is known, the decoded rows must be exactly that many.
    """
    if not content.strip() and promised_rows != 0:
        promise = "an unknown number of" if promised_rows is None else str(promised_rows)
        raise MpoResponseError(
            f"{context}: the download is empty ({len(content)} bytes) but the job promised "
            f"{promise} rows; nothing was written"
        )
    table = _decode_by_type(content, content_type, context)
    if promised_rows is not None and table.num_rows != promised_rows:
        raise MpoResponseError(
            f"{context}: the job said rows_count={promised_rows} but the file has "
            f"{table.num_rows} rows; nothing was written"
        )
    return table


def _decode_by_type(content: bytes, content_type: str | None, context: str) -> pa.Table:
    kind = media_type(content_type)
    if kind.endswith("json"):
        return decode_json(content, context)
    if kind in ("text/csv", "application/csv", "text/plain"):
        return decode_csv(content, context)
    if not kind:
        head = content.lstrip()[:1]
        return (
            decode_json(content, context) if head in (b"[", b"{") else decode_csv(content, context)
        )
    raise MpoResponseError(
        f"{context}: unexpected Content-Type {content_type!r} (CSV or JSON expected): "
        f"{body_snippet(content)}"
    )
