"""The real-time export asset: the last N minutes of the Real-Time API, landed in the lake.

Each materialization asks for ``lookback_minutes`` (default 120) up to the pipeline's clock, one
export per currency of the advertisers, one at a time (pool ``mpo_realtime`` of one slot, and a
lock in the lake against any other process), and lands each as described in
:mod:`mpo_pipeline.ingest.realtime_extract`. Every tick emits the checks of
:mod:`~mpo_pipeline.defs.monitoring.realtime_checks` (a cached export id, data older than the clock
allows), even when nothing lands. When the hourly creation quota is used up, or another export is
still in flight, the tick lands nothing: nothing is materialized, so the ``ops`` models downstream
are not rebuilt, and the freshness check says how old the data have grown. Raw data: monitoring
only.
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from mpo_pipeline.client import RealtimeClient, RealtimeQuotaError
from mpo_pipeline.client.realtime_errors import RealtimeBusyError
from mpo_pipeline.config import Settings
from mpo_pipeline.defs.monitoring.realtime_checks import (
    EXPORT_CHECK_SPECS,
    data_is_fresh,
    export_is_new,
)
from mpo_pipeline.defs.resources import LakeResource, MpoApiResource
from mpo_pipeline.ingest.extract import resolve_advertisers
from mpo_pipeline.ingest.realtime_extract import (
    RealtimeLandReport,
    land_realtime_export,
    one_export_at_a_time,
    pipeline_now,
    plan_requests,
)

REALTIME_EXPORT_KEY = dg.AssetKey(["mpo_ops", "realtime_export"])
# One slot (the instance's default pool limit is 1): "do not create jobs in parallel".
REALTIME_POOL = "mpo_realtime"


class RealtimeExportConfig(dg.Config):
    """Run config of one export (defaults suit the real API)."""

    lookback_minutes: int = Field(
        default=120, ge=60, le=1440, description="minutes before the clock (startDate)"
    )
    file_format: str = Field(default="Json", description="Csv or Json")
    poll_interval_seconds: float = Field(
        default=5.0, gt=0, description="first poll interval (never below 5 s against the API)"
    )
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


def _log_reports(context: dg.AssetExecutionContext, reports: list[RealtimeLandReport]) -> None:
    for report in reports:
        if report.written:
            context.log.info(
                f"landed export {report.export_id} ({report.currency}, {report.shape}): "
                f"{report.rows} rows at {report.path}"
            )
        if report.reused:
            context.log.warning(
                f"the API returned export {report.export_id} again (a cached export, first "
                f"landed at {report.first_landed}); stale, nothing written"
            )
        if report.raw_path is not None:
            context.log.warning(
                f"export {report.export_id}: no rows_count to check the {report.rows} parsed "
                f"rows against; the raw download is kept at {report.raw_path}"
            )
        if report.extra_columns:
            context.log.warning(
                f"export {report.export_id} has unknown columns, kept: {report.extra_columns}"
            )


def _metadata(reports: list[RealtimeLandReport], calls: int, config: RealtimeExportConfig) -> dict:
    landed = [r for r in reports if r.written]
    return {
        "export_ids": [r.export_id for r in landed],
        "paths": [str(r.path) for r in landed],
        "rows": sum(r.rows for r in landed),
        "currencies": [r.currency or "" for r in landed],
        "download_shapes": [r.shape for r in landed],
        "requested_at": landed[0].requested_at.isoformat(),
        "window_start": landed[0].window_start.isoformat(),
        "first_minute": min((r.first_minute or "" for r in landed), default=""),
        "last_minute": max((r.last_minute or "" for r in landed), default=""),
        "newest_activity": max(
            (r.newest_activity.isoformat() for r in landed if r.newest_activity), default=""
        ),
        "clicks": sum(r.clicks for r in landed),
        "polls": sum(r.polls for r in landed),
        "api_calls": calls,
        "stale_export_ids": [r.export_id for r in reports if r.reused],
        "lookback_minutes": config.lookback_minutes,
        "advertisers": [a for r in reports for a in r.advertiser_ids],
    }


@dg.asset(
    key=REALTIME_EXPORT_KEY,
    group_name="mpo_ops",
    pool=REALTIME_POOL,
    kinds={"parquet", "python"},
    output_required=False,
    check_specs=EXPORT_CHECK_SPECS,
    description=(
        "Real-Time Asynchronous API exports of the last `lookback_minutes` (default 120) up to the "
        "pipeline's clock, one per currency, one Parquet file each under "
        "lake/realtime/export_date=YYYY-MM-DD/{export_id}.parquet (plus the export log). Raw data "
        "for monitoring (ops models); never used for billing or finance."
    ),
)
def realtime_export(
    context: dg.AssetExecutionContext,
    config: RealtimeExportConfig,
    mpo_api: MpoApiResource,
    lake: LakeResource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Create, poll, download and land the exports of one tick; always emit the checks."""
    # Read at run time, not the process's cached settings: MPO_NOW may differ between runs.
    settings = Settings.from_env(require_credentials=False)
    now = pipeline_now(settings)
    with mpo_api.client() as standard:
        advertisers = resolve_advertisers(standard, lake.advertiser_ids)
    requests = plan_requests(
        advertisers,
        now,
        config.lookback_minutes,
        settings.realtime_dimensions,
        settings.realtime_metrics,
        config.file_format,
    )
    reports: list[RealtimeLandReport] = []
    with realtime_client(mpo_api, config) as client:
        try:
            with one_export_at_a_time(lake.path):
                for request in requests:
                    reports.append(land_realtime_export(client, lake.path, request, now))
        except (RealtimeQuotaError, RealtimeBusyError) as exc:
            # An hourly quota, or a job still in flight: retrying now would only fail again.
            context.log.warning(f"real-time export skipped this tick: {exc}")
        calls = client.metrics.calls
    _log_reports(context, reports)
    checks = [
        export_is_new(reports),
        data_is_fresh(reports, lake.path, now, settings.realtime_max_silence_minutes),
    ]
    if any(r.written for r in reports):
        yield dg.MaterializeResult(metadata=_metadata(reports, calls, config), check_results=checks)
    else:
        yield from checks
