"""The real-time export asset: the last N minutes of the Real-Time API, landed in the lake.

Each materialization creates one export (``lookbackWindow`` minutes, default 120), waits for it and
writes ``lake/realtime/export_date=YYYY-MM-DD/{export_id}.parquet`` (never overwritten). When the
hourly creation quota is used up, the tick is skipped with a warning: nothing is materialized, so
the ``ops`` models downstream are not rebuilt on stale data. Raw data: monitoring only.
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from mpo_pipeline.client import RealtimeClient, RealtimeQuotaError, RealtimeReportRequest
from mpo_pipeline.defs.resources import LakeResource, MpoApiResource
from mpo_pipeline.extract import resolve_advertisers
from mpo_pipeline.realtime_extract import land_realtime_export

REALTIME_EXPORT_KEY = dg.AssetKey(["mpo_ops", "realtime_export"])


class RealtimeExportConfig(dg.Config):
    """Run config of one export (defaults suit the real API)."""

    lookback_minutes: int = Field(default=120, ge=60, le=1440, description="lookbackWindow")
    file_format: str = Field(default="Json", description="Csv or Json")
    poll_interval_seconds: float = Field(default=5.0, gt=0, description="first poll interval")
    max_poll_interval_seconds: float = Field(default=30.0, gt=0)
    job_timeout_seconds: float = Field(default=900.0, gt=0)
    quota_wait_seconds: float = Field(
        default=0.0, ge=0, description="wait once for the creation quota if it frees within this"
    )


def realtime_client(mpo_api: MpoApiResource, config: RealtimeExportConfig) -> RealtimeClient:
    """A real-time client on the connection settings of ``mpo_api`` (version ``preview``)."""
    return RealtimeClient(
        mpo_api.base_url,
        mpo_api.client_id,
        mpo_api.client_secret,
        max_calls_per_minute=mpo_api.max_calls_per_minute,
        poll_interval=config.poll_interval_seconds,
        max_poll_interval=max(config.max_poll_interval_seconds, config.poll_interval_seconds),
        job_timeout=config.job_timeout_seconds,
        quota_wait_max=config.quota_wait_seconds,
    )


@dg.asset(
    key=REALTIME_EXPORT_KEY,
    group_name="mpo_ops",
    pool="mpo_api",
    kinds={"parquet", "python"},
    output_required=False,
    description=(
        "Real-Time Asynchronous API export of the last `lookback_minutes` (default 120), one "
        "Parquet file per export under lake/realtime/export_date=YYYY-MM-DD/{export_id}.parquet. "
        "Raw data for monitoring (ops models); never used for billing or finance."
    ),
)
def realtime_export(
    context: dg.AssetExecutionContext,
    config: RealtimeExportConfig,
    mpo_api: MpoApiResource,
    lake: LakeResource,
) -> Iterator[dg.MaterializeResult]:
    """Create, poll and download one export; skip the tick when the creation quota is spent."""
    with mpo_api.client() as standard:
        advertisers = resolve_advertisers(standard, lake.advertiser_ids)
    request = RealtimeReportRequest(
        advertiser_ids=tuple(a.id for a in advertisers),
        lookback_minutes=config.lookback_minutes,
        file_format=config.file_format,
    )
    with realtime_client(mpo_api, config) as client:
        try:
            currencies = {a.id: a.currency for a in advertisers}
            report = land_realtime_export(client, lake.path, request, currencies)
        except RealtimeQuotaError as exc:
            # An hourly quota: retrying now would only fail again. The next tick tries anew.
            context.log.warning(f"real-time export skipped this tick (creation quota): {exc}")
            return
        calls = client.metrics.calls
    if report.written:
        context.log.info(f"landed export {report.export_id}: {report.rows} rows at {report.path}")
    else:
        context.log.warning(
            f"the API returned export {report.export_id}, already in the lake at {report.path} "
            "(a cached export for an identical request); the file is left as is"
        )
    if report.extra_columns:
        context.log.warning(f"real-time export has unknown columns, kept: {report.extra_columns}")
    yield dg.MaterializeResult(
        metadata={
            "export_id": report.export_id,
            "path": dg.MetadataValue.path(str(report.path)),
            "rows": report.rows,
            "written": report.written,
            "reused_export_id": report.reused,
            "first_minute": report.first_minute or "",
            "last_minute": report.last_minute or "",
            "clicks": report.clicks,
            "cost": report.cost,
            "polls": report.polls,
            "api_calls": calls,
            "content_type": report.content_type,
            "lookback_minutes": config.lookback_minutes,
            "advertisers": [a.id for a in advertisers],
        }
    )
