"""Landing real-time exports in the lake (plain Python; no DuckDB, no Dagster).

One export becomes ``lake/realtime/export_date=YYYY-MM-DD/{export_id}.parquet`` (docs/lake.md):
the typed rows of :class:`~mpo_pipeline.client.RealtimeExport` plus lineage columns. Files are never
overwritten: export ids are unique, and when the API hands back a cached export id that is already
in the lake, nothing is written. ``export_date`` is the UTC day the file was downloaded.

The real-time data are raw (not deduplicated, not quality-checked): they feed the ``ops`` models
only, never billing, pricing or finance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from mpo_pipeline import lake
from mpo_pipeline.client import RealtimeClient, RealtimeExport, RealtimeReportRequest

REALTIME_DIR = "realtime"
_UTC_US = pa.timestamp("us", tz="UTC")


@dataclass
class RealtimeLandReport:
    """What one real-time extraction did, for asset metadata and log lines."""

    export_id: str
    path: Path
    rows: int
    written: bool  # False: the export id was already in the lake (cached export), left as is
    reused: bool  # the API returned an export id seen before
    polls: int
    content_type: str
    first_minute: str | None = None
    last_minute: str | None = None
    clicks: int = 0
    cost: float = 0.0
    extra_columns: list[str] = field(default_factory=list)


def find_landed_export(lake_dir: Path, export_id: str) -> Path | None:
    """The lake file of ``export_id`` under any ``export_date``, if there is one."""
    matches = sorted((lake_dir / REALTIME_DIR).glob(f"export_date=*/{export_id}.parquet"))
    return matches[0] if matches else None


def _currency(
    table: pa.Table, requested: str | None, currencies: Mapping[int, str]
) -> pa.Array | pa.ChunkedArray:
    """The currency of each row: the requested one, else its advertiser's (null if unknown)."""
    if requested or "advertiserId" not in table.column_names:
        return pa.array([requested] * table.num_rows, pa.string())
    keys = pa.array(list(currencies), pa.int64())
    position = pc.index_in(table.column("advertiserId"), value_set=keys)
    return pc.take(pa.array(list(currencies.values()), pa.string()), position)


def with_realtime_lineage(
    export: RealtimeExport, api_version: str, currencies: Mapping[int, str] | None = None
) -> pa.Table:
    """The export's typed table plus ``export_id``, ``lookback_minutes``, ``window_start``/
    ``window_end`` (explicit request window, null with a lookback), ``time_zone``, ``currency``
    (the requested one, else the row's advertiser's from ``currencies``), ``file_format``,
    ``api_version`` and ``extracted_at``."""
    table, request, n = export.table, export.request, export.table.num_rows
    columns: list[tuple[str, object, pa.DataType]] = [
        ("export_id", export.export_id, pa.string()),
        ("lookback_minutes", request.lookback_minutes, pa.int64()),
        ("window_start", request.start, _UTC_US),
        ("window_end", request.end, _UTC_US),
        ("time_zone", request.time_zone, pa.string()),
        ("currency", _currency(table, request.currency, currencies or {}), pa.string()),
        ("file_format", request.file_format, pa.string()),
        ("api_version", api_version, pa.string()),
        ("extracted_at", export.extracted_at, _UTC_US),
    ]
    for name, value, typ in columns:
        array = (
            value
            if isinstance(value, pa.Array | pa.ChunkedArray)
            else pa.array([value] * n, type=typ)
        )
        if name in table.column_names:  # an API column of the same name yields to lineage
            table = table.drop_columns([name])
        table = table.append_column(name, array)
    return table


def _summary(report: RealtimeLandReport, table: pa.Table) -> RealtimeLandReport:
    if table.num_rows and "interval_start" in table.column_names:
        low, high = pc.min_max(table.column("interval_start")).values()
        report.first_minute = low.as_py().isoformat() if low.is_valid else None
        report.last_minute = high.as_py().isoformat() if high.is_valid else None
    if "clicks" in table.column_names:
        report.clicks = int(pc.sum(table.column("clicks")).as_py() or 0)
    if "cost" in table.column_names:
        report.cost = float(pc.sum(table.column("cost")).as_py() or 0.0)
    return report


def land_realtime_export(
    client: RealtimeClient,
    lake_dir: Path,
    request: RealtimeReportRequest,
    currencies: Mapping[int, str] | None = None,
) -> RealtimeLandReport:
    """Create, wait for, download and land one export; never overwrites a landed export.

    ``currencies`` (advertiser id → ``currencyName``) fills the ``currency`` column when the
    request leaves the currency to the API (each advertiser's own)."""
    export = client.run_export(request)
    report = RealtimeLandReport(
        export_id=export.export_id,
        path=Path(),
        rows=export.table.num_rows,
        written=False,
        reused=export.job.reused,
        polls=export.polls,
        content_type=export.content_type,
        extra_columns=list(export.extra_columns),
    )
    existing = find_landed_export(lake_dir, export.export_id)
    if existing is not None:
        report.path, report.reused = existing, True
        return _summary(report, export.table)
    path = lake.realtime_path(lake_dir, export.extracted_at.date(), export.export_id)
    table = with_realtime_lineage(export, client.api_version, currencies)
    lake.write_parquet_atomic(table, path)
    report.path, report.written = path, True
    return _summary(report, export.table)
