"""A downloaded real-time export: the raw bytes as received, then the typed Arrow table.

The two steps are apart on purpose: :class:`RealtimeDownload` is what came over the wire (kept
as a file by the extraction before anything is parsed), :class:`RealtimeExport` the parsed result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from .errors import MpoResponseError
from .realtime_decode import decode_download, media_type
from .realtime_request import RealtimeReportRequest
from .realtime_status import ExportJob
from .realtime_table import type_export


@dataclass(frozen=True)
class RealtimeDownload:
    """One finished export as received: ``content`` is the body exactly as downloaded (after the
    redirect to storage, if there was one), ``redirected`` says whether there was;
    ``requested_at``/``extracted_at`` (UTC) when it was created and when the file arrived."""

    job: ExportJob
    request: RealtimeReportRequest
    content: bytes
    content_type: str
    polls: int
    requested_at: datetime
    extracted_at: datetime
    redirected: bool = False

    @property
    def export_id(self) -> str:
        return self.job.export_id

    @property
    def promised_rows(self) -> int | None:
        """The ``rows_count`` the finished job announced, if it did."""
        return promised_rows(self.job.message)


@dataclass(frozen=True)
class RealtimeExport:
    """One finished export.

    ``raw`` holds the file bytes exactly as downloaded (``content_type`` as sent, ``shape`` what
    was unwrapped: ``csv``, ``gzip json``, ``oas-wrapper csv``, ``ndjson``...); ``table`` the typed
    rows (:func:`~.realtime_table.realtime_schema`); ``extra_columns`` the unknown columns kept as
    text; ``polls`` the status calls made; ``requested_at``/``extracted_at`` when the export was
    created and received (UTC).
    """

    job: ExportJob
    request: RealtimeReportRequest
    content_type: str
    raw: bytes
    table: pa.Table
    extra_columns: tuple[str, ...]
    polls: int
    extracted_at: datetime
    shape: str = ""
    requested_at: datetime | None = None
    redirected: bool = False

    @property
    def export_id(self) -> str:
        return self.job.export_id


_ROWS_COUNT = re.compile(r"\brows_count\s*[=:]\s*(\d+)", re.IGNORECASE)


def promised_rows(message: str | None) -> int | None:
    """The row count a finished job's message announces (``rows_count=N``), if it says one."""
    match = _ROWS_COUNT.search(message or "")
    return int(match.group(1)) if match else None


def _check_currency(
    table: pa.Table, extras: tuple[str, ...], request: RealtimeReportRequest, context: str
) -> None:
    """An export that states its currency must state the requested one."""
    stated = [name for name in extras if name.lower() == "currency"]
    if not stated or request.currency is None or table.num_rows == 0:
        return
    values = pc.unique(pc.utf8_upper(table.column(stated[0]))).to_pylist()
    wrong = sorted(str(v) for v in values if v != request.currency)
    if wrong:
        raise MpoResponseError(
            f"{context}: currency {request.currency} was requested but the export states "
            f"{', '.join(wrong)} in column {stated[0]!r}; costs would be compared with budgets "
            "in the wrong currency, nothing was written"
        )


def parse_realtime_report_shape(
    content: bytes,
    content_type: str | None,
    request: RealtimeReportRequest,
    context: str = "",
    promised: int | None = None,
) -> tuple[pa.Table, tuple[str, ...], str]:
    """Unwrap, decode and type an export of ``request``: the table, its extra columns and the
    download shape (see :mod:`.realtime_decode`)."""
    context = context or "real-time export"
    raw, shape = decode_download(content, content_type, context, promised)
    try:
        typed = type_export(raw, request.dimensions, request.metrics, request.time_zone, context)
        _check_currency(typed.table, typed.extra_columns, request, context)
    except MpoResponseError as exc:
        raise MpoResponseError(f"{exc} (download shape: {shape})") from None
    return typed.table, typed.extra_columns, shape


def parse_realtime_report(
    content: bytes,
    content_type: str | None,
    request: RealtimeReportRequest,
    context: str = "",
    promised: int | None = None,
) -> tuple[pa.Table, tuple[str, ...]]:
    """Decode (CSV, JSON, NDJSON, gzip or the OAS wrapper) and type an export of ``request``."""
    table, extras, _shape = parse_realtime_report_shape(
        content, content_type, request, context, promised
    )
    return table, extras


def build_export(download: RealtimeDownload) -> RealtimeExport:
    """Parse a download into a :class:`RealtimeExport` (its row count checked against the job's
    ``rows_count``)."""
    table, extras, shape = parse_realtime_report_shape(
        download.content,
        download.content_type,
        download.request,
        f"real-time export {download.export_id}",
        download.promised_rows,
    )
    return RealtimeExport(
        job=download.job,
        request=download.request,
        content_type=media_type(download.content_type),
        raw=download.content,
        table=table,
        extra_columns=extras,
        polls=download.polls,
        extracted_at=download.extracted_at,
        shape=shape,
        requested_at=download.requested_at,
        redirected=download.redirected,
    )
