"""Raw real-time export bytes → an Arrow table of *raw* columns, whatever shape the file came in.

The download returns the file itself (reference §4, [ASSUME] raw bytes): ``text/csv`` or
``application/json``. The shapes met or allowed for are each unwrapped first and named (the name
travels into every error and into the lake's lineage):

- ``gzip``: a gzip stream (``application/gzip``, or the gzip magic bytes) around the file;
- ``oas-wrapper``: the OAS's ``FileStreamResultResponse``, ``{"data": {"type", "attributes":
  <the file, base64 or text>}, "errors", "warnings"}``;
- ``ndjson``: newline-delimited JSON objects (``application/x-ndjson``, or a JSON body of one
  object per line);
- ``csv`` / ``json``: the file itself.

Column names are undocumented, so nothing here renames or types anything: CSV cells stay strings
(empty = null), JSON values keep their JSON types. JSON may be a list of row objects,
``{"data": [row objects]}``, or the Standard API's ``{"columns", "data"}``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import zlib
from dataclasses import dataclass

import msgspec
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import MpoResponseError, body_snippet

GZIP_MAGIC = b"\x1f\x8b"
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
SNIFFED_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True)
class Unwrapped:
    """The export file inside a download: its bytes, how to parse them (``csv``, ``json`` or
    ``ndjson``) and the shape it came in (``gzip csv``, ``oas-wrapper json``...)."""

    content: bytes
    kind: str
    shape: str


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
    return _table(_rows_from_json(obj, context, content))


def _table(rows: list[dict]) -> pa.Table:
    """Row objects as a table; a column of mixed JSON types becomes text."""
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


def _gunzip(content: bytes, context: str) -> bytes:
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as exc:
        raise MpoResponseError(
            f"{context}: the gzip stream is corrupt ({exc}); nothing was written "
            "(download shape: gzip)"
        ) from None


def _oas_file(content: bytes) -> bytes | None:
    """The file inside an OAS ``FileStreamResultResponse`` body, or None if it is not one."""
    try:
        obj = msgspec.json.decode(content)
    except msgspec.DecodeError:
        return None
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, dict) or "attributes" not in data:
        return None
    inner = data["attributes"]
    if isinstance(inner, list):  # rows already decoded into the wrapper
        return msgspec.json.encode(inner)
    if not isinstance(inner, str):
        return None
    try:  # OAS `format: binary` in a JSON body: base64, else the file's own text
        return base64.b64decode(inner, validate=True)
    except (binascii.Error, ValueError):
        return inner.encode("utf-8")


def _sniff(content: bytes) -> str:
    head = content.lstrip()[:1]
    if head == b"[":
        return "json"
    if head == b"{":
        return "ndjson" if _is_ndjson(content) else "json"
    return "csv"


def _is_ndjson(content: bytes) -> bool:
    """One JSON object on the first line and more lines after it (a JSON document spread over
    lines never has a whole object on its first line)."""
    lines = (line for line in content.splitlines() if line.strip())
    first, second = next(lines, None), next(lines, None)
    if first is None or second is None or not first.lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(msgspec.json.decode(first), dict)
    except msgspec.DecodeError:
        return False


def unwrap_download(content: bytes, content_type: str | None, context: str) -> Unwrapped:
    """Peel gzip and the OAS wrapper off a download and tell its file's format (see module)."""
    kind = media_type(content_type)
    shape: list[str] = []
    if kind in GZIP_TYPES or content.startswith(GZIP_MAGIC):
        content, kind = _gunzip(content, context), ""
        shape.append("gzip")
    json_like = kind.endswith("json") and kind not in NDJSON_TYPES
    if json_like or (kind in SNIFFED_TYPES and content.lstrip()[:1] == b"{"):
        inner = _oas_file(content)
        if inner is not None:
            content, kind = inner, ""
            shape.append("oas-wrapper")
            if content.startswith(GZIP_MAGIC):
                content = _gunzip(content, context)
                shape.append("gzip")
    if kind in NDJSON_TYPES:
        file_kind = "ndjson"
    elif kind.endswith("json"):
        file_kind = "ndjson" if _is_ndjson(content) else "json"
    elif kind in CSV_TYPES:
        file_kind = "csv"
    elif kind in SNIFFED_TYPES:
        file_kind = _sniff(content)
    else:
        raise MpoResponseError(
            f"{context}: unexpected Content-Type {content_type!r} (CSV, JSON, NDJSON or gzip "
            f"expected): {body_snippet(content)}"
        )
    return Unwrapped(content, file_kind, " ".join([*shape, file_kind]))


def decode_ndjson(content: bytes, context: str) -> pa.Table:
    """Newline-delimited JSON: one row object per non-blank line."""
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = msgspec.json.decode(line)
        except msgspec.DecodeError as exc:
            raise MpoResponseError(
                f"{context}: line {number} of the NDJSON export is not JSON ({exc}): "
                f"{body_snippet(line)}"
            ) from None
        if not isinstance(row, dict):
            raise MpoResponseError(
                f"{context}: line {number} of the NDJSON export is not a row object: "
                f"{body_snippet(line)}"
            )
        rows.append(row)
    return _table(rows)


def decode_download(
    content: bytes, content_type: str | None, context: str, promised_rows: int | None = None
) -> tuple[pa.Table, str]:
    """The raw table of a download and its shape name (see module docstring).

    An empty file is an error unless the job said it has no rows (``promised_rows == 0``): even
    an export without rows has a CSV header or a JSON ``[]``, so zero bytes is a lost file.
    When ``promised_rows`` is known, the decoded rows must be exactly that many.
    """
    unwrapped = unwrap_download(content, content_type, context)
    try:
        table = _decode_file(unwrapped, context, promised_rows)
    except MpoResponseError as exc:
        raise MpoResponseError(f"{exc} (download shape: {unwrapped.shape})") from None
    return table, unwrapped.shape


def _decode_file(unwrapped: Unwrapped, context: str, promised_rows: int | None) -> pa.Table:
    content = unwrapped.content
    if not content.strip() and promised_rows != 0:
        promise = "an unknown number of" if promised_rows is None else str(promised_rows)
        raise MpoResponseError(
            f"{context}: the download is empty ({len(content)} bytes) but the job promised "
            f"{promise} rows; nothing was written"
        )
    decoders = {"csv": decode_csv, "json": decode_json, "ndjson": decode_ndjson}
    table = decoders[unwrapped.kind](content, context)
    if promised_rows is not None and table.num_rows != promised_rows:
        raise MpoResponseError(
            f"{context}: the job said rows_count={promised_rows} but the file has "
            f"{table.num_rows} rows; nothing was written"
        )
    return table


def decode_export(
    content: bytes, content_type: str | None, context: str, promised_rows: int | None = None
) -> pa.Table:
    """:func:`decode_download` without the shape name."""
    return decode_download(content, content_type, context, promised_rows)[0]
