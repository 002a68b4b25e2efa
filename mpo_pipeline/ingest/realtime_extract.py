"""Landing real-time exports in the lake (plain Python; no DuckDB, no Dagster).

One tick of the monitoring (docs/realtime.md) asks for the last ``lookback`` minutes up to the
pipeline's clock (:func:`pipeline_now`), with an explicit ``startDate`` (so two ticks never send
the same body, which the API may answer with a cached id) and an explicit currency (one export per
currency of the advertisers). Each export, one at a time (:func:`one_export_at_a_time`), lands as:

- ``lake/realtime_raw/export_date=D/{export_id}.{ext}``: the bytes as downloaded, written before
  anything is parsed and removed once the parsed rows match the job's ``rows_count``;
- ``lake/realtime/export_date=D/{export_id}.parquet``: the typed rows plus lineage columns;
- ``lake/realtime_log/export_date=D/{export_id}.parquet``: one row saying when the export was
  requested, the window it claims, its rows and its newest activity (also for an empty export,
  which has no rows to carry that).

Files are never overwritten. An export id the API already handed out (landed in the lake, or seen
by this client) is *stale*: its data answer an older request, so nothing is written and the
report says so. ``export_date`` is the UTC day the file was downloaded.

The real-time data are raw (not deduplicated, not quality-checked): they feed the ``ops`` models
only, never billing, pricing or finance.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from mpo_pipeline.client import MpoResponseError, RealtimeClient, RealtimeReportRequest
from mpo_pipeline.client.realtime_decode import GZIP_MAGIC, NDJSON_TYPES, media_type
from mpo_pipeline.client.realtime_errors import RealtimeBusyError
from mpo_pipeline.client.realtime_result import RealtimeDownload, RealtimeExport
from mpo_pipeline.config import Settings
from mpo_pipeline.core.object_store import is_object_store
from mpo_pipeline.ingest import lake
from mpo_pipeline.ingest.extract import Advertiser

REALTIME_DIR = "realtime"
LOG_DIR = "realtime_log"
RAW_DIR = "realtime_raw"
LOCK_FILE = ".export.lock"  # in lake/realtime_log: not a Parquet file, never globbed
_UTC_US = pa.timestamp("us", tz="UTC")
# Columns the ops models read even when the export did not ask for them (null then).
OPTIONAL_COLUMNS = {"sellerName": pa.string(), "minute": pa.int32(), "displays": pa.int64()}


def pipeline_now(settings: Settings, wall: datetime | None = None) -> datetime:
    """The instant the monitoring judges freshness against (UTC, to the second).

    ``MPO_NOW`` when set; else the real time, moved onto ``MPO_TODAY``'s day (same time of day in
    ``MPO_TIME_ZONE``) when that is set: one clock with the rest of the pipeline. Never a time read
    from the data, so an outage or a stale export cannot stop the clock.
    """
    if settings.now is not None:
        return settings.now.astimezone(UTC)
    wall = (wall or datetime.now(UTC)).astimezone(UTC)
    if settings.today is None:
        return wall.replace(microsecond=0)
    zone = ZoneInfo(settings.time_zone)
    local = datetime.combine(settings.today, wall.astimezone(zone).time(), tzinfo=zone)
    return local.astimezone(UTC).replace(microsecond=0)


@contextmanager
def one_export_at_a_time(lake_dir: Path) -> Iterator[None]:
    """Hold the lake's export lock (across processes) or raise :class:`RealtimeBusyError`.

    "Do not create jobs in parallel": the lock is held from the creation to the landing, so a
    tick that overlaps a slow one skips instead of creating a second job. A lake on S3 has no
    file to lock: the lock is then a file of this machine's temp folder named after the lake
    (the real-time schedule runs on one Dagster daemon).
    """
    if is_object_store(lake_dir):
        digest = hashlib.sha256(str(lake_dir).encode()).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"mpo-realtime-{digest}{LOCK_FILE}"
    else:
        path = lake_dir / LOG_DIR / LOCK_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RealtimeBusyError(
                f"another real-time export of the lake {lake_dir} is being created or awaited "
                f"(lock {path}); this run creates none"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def plan_requests(
    advertisers: Sequence[Advertiser],
    now: datetime,
    lookback_minutes: int,
    dimensions: tuple[str, ...],
    metrics: tuple[str, ...],
    file_format: str,
) -> list[RealtimeReportRequest]:
    """One request per currency (advertisers sharing it together), from ``now - lookback``.

    The currency is always named: the API's default is a "local currency" that earlier revisions
    documented as EUR, and costs are compared with budgets in the advertiser's own currency.
    """
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=lookback_minutes)
    by_currency: dict[str, list[int]] = {}
    for adv in advertisers:
        if not adv.currency:
            raise ValueError(f"advertiser {adv.id} has no currency: its export cannot name one")
        by_currency.setdefault(adv.currency, []).append(adv.id)
    return [
        RealtimeReportRequest(
            advertiser_ids=tuple(ids),
            start=start,
            dimensions=dimensions,
            metrics=metrics,
            file_format=file_format,
            currency=currency,
        )
        for currency, ids in sorted(by_currency.items())
    ]


@dataclass
class RealtimeLandReport:
    """What one real-time extraction did, for asset metadata, checks and log lines."""

    export_id: str
    path: Path
    rows: int
    written: bool  # False: stale (an export id handed out before) or nothing new
    reused: bool  # the API returned an export id it had handed out before (stale data)
    polls: int
    content_type: str
    requested_at: datetime
    window_start: datetime
    window_end: datetime
    currency: str | None
    advertiser_ids: tuple[int, ...]
    shape: str = ""
    promised_rows: int | None = None
    raw_path: Path | None = None  # the raw download, kept (rows_count unknown or unmatched)
    first_landed: Path | None = None  # where a stale export id was landed before
    newest_activity: datetime | None = None  # end of the newest bucket with any activity
    first_minute: str | None = None
    last_minute: str | None = None
    clicks: int = 0
    cost: float = 0.0
    extra_columns: list[str] = field(default_factory=list)


def find_landed_export(lake_dir: Path, export_id: str) -> Path | None:
    """The lake file of ``export_id`` under any ``export_date``, if there is one."""
    matches = sorted((lake_dir / REALTIME_DIR).glob(f"export_date=*/{export_id}.parquet"))
    return matches[0] if matches else None


def _kept_raw(lake_dir: Path, export_id: str) -> Path | None:
    matches = sorted((lake_dir / RAW_DIR).glob(f"export_date=*/{export_id}.*"))
    return matches[0] if matches else None


def raw_extension(content: bytes, content_type: str) -> str:
    """The file extension of a raw download: what it is, as far as its first bytes tell."""
    kind = media_type(content_type)
    if content.startswith(GZIP_MAGIC):
        return "gz"
    if kind in NDJSON_TYPES:
        return "ndjson"
    if kind.endswith("json") or content.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv" if kind in ("text/csv", "application/csv", "text/plain", "") else "bin"


def _column(value: object, typ: pa.DataType, n: int) -> pa.Array:
    return pa.array([value] * n, type=typ)


def bucket_minutes(dimensions: tuple[str, ...]) -> int:
    """Length of one row's time bucket: 1 with ``Minute``, 60 with ``Hour``, else a day."""
    names = {d.lower() for d in dimensions}
    return 1 if "minute" in names else 60 if "hour" in names else 1440


def window_start(request: RealtimeReportRequest, requested_at: datetime) -> datetime:
    """Start of the window an export claims: ``startDate``, else ``lookbackWindow`` minutes
    before the request."""
    if request.start is not None:
        return request.start
    return requested_at - timedelta(minutes=request.lookback_minutes or 0)


def with_realtime_lineage(
    export: RealtimeExport, api_version: str, requested_at: datetime
) -> pa.Table:
    """The export's typed table plus lineage: ``export_id``, ``requested_at`` (the pipeline's
    clock when the request was built), ``lookback_minutes``, ``window_start``/``window_end`` (the
    window the export claims, :func:`window_start` to ``endDate`` or else ``requested_at``),
    ``bucket_minutes``, ``time_zone``, ``currency`` (the requested one), ``file_format``,
    ``api_version`` and ``extracted_at``; the optional columns the ops models read are added as
    nulls when the request left them out."""
    table, request, n = export.table, export.request, export.table.num_rows
    for name, typ in OPTIONAL_COLUMNS.items():
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(n, typ))
    columns: list[tuple[str, object, pa.DataType]] = [
        ("export_id", export.export_id, pa.string()),
        ("requested_at", requested_at, _UTC_US),
        ("lookback_minutes", request.lookback_minutes, pa.int64()),
        ("window_start", window_start(request, requested_at), _UTC_US),
        ("window_end", request.end or requested_at, _UTC_US),
        ("bucket_minutes", bucket_minutes(request.dimensions), pa.int64()),
        ("time_zone", request.time_zone, pa.string()),
        ("currency", request.currency, pa.string()),
        ("file_format", request.file_format, pa.string()),
        ("api_version", api_version, pa.string()),
        ("extracted_at", export.extracted_at, _UTC_US),
    ]
    for name, value, typ in columns:
        if name in table.column_names:  # an API column of the same name yields to lineage
            table = table.drop_columns([name])
        table = table.append_column(name, _column(value, typ, n))
    return table


def newest_activity(table: pa.Table, bucket: int) -> datetime | None:
    """End of the newest time bucket with any display, click or cost (None: no activity)."""
    if table.num_rows == 0 or "interval_start" not in table.column_names:
        return None
    active = None
    for metric in ("displays", "clicks", "cost"):
        if metric in table.column_names:
            positive = pc.fill_null(pc.greater(table.column(metric), 0), False)
            active = positive if active is None else pc.or_(active, positive)
    starts = table.column("interval_start")
    newest = pc.max(starts if active is None else pc.filter(starts, active)).as_py()
    return None if newest is None else newest + timedelta(minutes=bucket)


def _log_row(report: RealtimeLandReport, export: RealtimeExport, api_version: str) -> pa.Table:
    request = export.request
    row = {
        "export_id": (report.export_id, pa.string()),
        "requested_at": (report.requested_at, _UTC_US),
        "window_start": (report.window_start, _UTC_US),
        "window_end": (report.window_end, _UTC_US),
        "lookback_minutes": (request.lookback_minutes, pa.int64()),
        "advertiser_ids": (",".join(map(str, request.advertiser_ids)), pa.string()),
        "currency": (request.currency, pa.string()),
        "time_zone": (request.time_zone, pa.string()),
        "file_format": (request.file_format, pa.string()),
        "download_shape": (export.shape, pa.string()),
        "redirected": (export.redirected, pa.bool_()),
        "rows": (report.rows, pa.int64()),
        "promised_rows": (report.promised_rows, pa.int64()),
        "newest_activity": (report.newest_activity, _UTC_US),
        "extracted_at": (export.extracted_at, _UTC_US),
        "api_version": (api_version, pa.string()),
    }
    return pa.table({name: pa.array([value], typ) for name, (value, typ) in row.items()})


def log_path(lake_dir: Path, export_date: object, export_id: str) -> Path:
    """``lake/realtime_log/export_date=D/{export_id}.parquet``."""
    return lake_dir / LOG_DIR / f"export_date={export_date}" / f"{export_id}.parquet"


def newest_logged_export(lake_dir: Path) -> dict | None:
    """The log row of the most recently requested export in the lake (None without one)."""
    days = sorted((lake_dir / LOG_DIR).glob("export_date=*"))[-2:]  # the last two export days
    rows = [
        row
        for day in days
        for path in day.glob("*.parquet")
        for row in lake.read_parquet(path).to_pylist()
    ]
    return max(
        rows, key=lambda r: (r["requested_at"], r["extracted_at"], r["export_id"]), default=None
    )


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
    requested_at: datetime | None = None,
) -> RealtimeLandReport:
    """Create, wait for, download and land one export (module docstring); never overwrites.

    ``requested_at`` is the pipeline's clock the request was built from (default: now, UTC).
    """
    requested_at = requested_at or datetime.now(UTC).replace(microsecond=0)
    job = client.create_export(request)
    report = RealtimeLandReport(
        export_id=job.export_id,
        path=Path(),
        rows=0,
        written=False,
        reused=job.reused,
        polls=0,
        content_type="",
        requested_at=requested_at,
        window_start=window_start(request, requested_at),
        window_end=request.end or requested_at,
        currency=request.currency,
        advertiser_ids=request.advertiser_ids,
    )
    landed = find_landed_export(lake_dir, job.export_id)
    kept = _kept_raw(lake_dir, job.export_id)
    if job.reused or landed is not None or kept is not None:
        # A cached id answers an older request: its data are not this window's. Not downloaded.
        report.reused, report.first_landed = True, landed or kept
        report.path = landed or Path()
        return report
    job, report.polls = client.wait_for_export(job)
    content, content_type, redirected = client.download_export(job.export_id)
    download = RealtimeDownload(
        job=job,
        request=request,
        content=content,
        content_type=content_type,
        polls=report.polls,
        requested_at=requested_at,
        extracted_at=datetime.now(UTC),
        redirected=redirected,
    )
    day = download.extracted_at.date()
    extension = raw_extension(content, content_type)
    raw_path = lake_dir / RAW_DIR / f"export_date={day}" / f"{job.export_id}.{extension}"
    lake.write_bytes_atomic(content, raw_path)  # before parsing: a failed parse can be redone
    failure: MpoResponseError | None = None
    try:
        export = client.parse(download)
    except MpoResponseError as exc:
        failure = exc
    if failure is not None:
        raise MpoResponseError(f"{failure}; the raw download is kept at {raw_path}")
    report.rows, report.promised_rows = export.table.num_rows, download.promised_rows
    report.content_type, report.shape = export.content_type, export.shape
    report.extra_columns = list(export.extra_columns)
    report.newest_activity = newest_activity(export.table, bucket_minutes(request.dimensions))
    path = lake.realtime_path(lake_dir, day, export.export_id)
    lake.write_parquet_atomic(with_realtime_lineage(export, client.api_version, requested_at), path)
    lake.write_parquet_atomic(
        _log_row(report, export, client.api_version), log_path(lake_dir, day, export.export_id)
    )
    report.path, report.written = path, True
    if report.promised_rows == report.rows:
        raw_path.unlink()  # the rows match the job's own count: the parsed file stands alone
    else:
        report.raw_path = raw_path  # no count to check against: keep the bytes
    return _summary(report, export.table)
