"""A downloaded real-time export: the raw bytes as received and the typed Arrow table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from .realtime_decode import decode_export, media_type
from .realtime_request import RealtimeReportRequest
from .realtime_status import ExportJob
from .realtime_table import type_export


@dataclass(frozen=True)
class RealtimeExport:
    """One finished export.

    ``raw`` holds the file bytes exactly as downloaded (``content_type`` says CSV or JSON);
    ``table`` the typed rows (:func:`~.realtime_table.realtime_schema`); ``extra_columns`` the
    unknown columns kept as text; ``polls`` the status calls made; ``extracted_at`` when the file
    was received (UTC).
    """

    job: ExportJob
    request: RealtimeReportRequest
    content_type: str
    raw: bytes
    table: pa.Table
    extra_columns: tuple[str, ...]
    polls: int
    extracted_at: datetime

    @property
    def export_id(self) -> str:
        return self.job.export_id


_ROWS_COUNT = re.compile(r"\brows_count\s*[=:]\s*(\d+)", re.IGNORECASE)


def promised_rows(message: str | None) -> int | None:
    """The row count a finished job's message announces (``rows_count=N``), if it says one."""
    match = _ROWS_COUNT.search(message or "")
    return int(match.group(1)) if match else None


def parse_realtime_report(
    content: bytes,
    content_type: str | None,
    request: RealtimeReportRequest,
    context: str = "",
    promised: int | None = None,
) -> tuple[pa.Table, tuple[str, ...]]:
    """Decode (CSV or JSON, by ``content_type``) and type an export of ``request``."""
    context = context or "real-time export"
    raw = decode_export(content, content_type, context, promised)
    typed = type_export(raw, request.dimensions, request.metrics, request.time_zone, context)
    return typed.table, typed.extra_columns


def build_export(
    job: ExportJob,
    request: RealtimeReportRequest,
    content: bytes,
    content_type: str | None,
    polls: int,
    extracted_at: datetime,
) -> RealtimeExport:
    """Parse a download into a :class:`RealtimeExport`."""
    table, extras = parse_realtime_report(
        content,
        content_type,
        request,
        f"real-time export {job.export_id}",
        promised_rows(job.message),
    )
    return RealtimeExport(
        job=job,
        request=request,
        content_type=media_type(content_type),
        raw=content,
        table=table,
        extra_columns=extras,
        polls=polls,
        extracted_at=extracted_at,
    )
