"""Jobs and schedules: what runs together, and when."""

from datetime import timedelta

import dagster as dg

from mpo_pipeline.dates import lookback_window
from mpo_pipeline.defs.publish.assets import PUBLISHED_KEY
from mpo_pipeline.defs.resources import settings
from mpo_pipeline.runner import range_tags

# dbt_finance holds marts.fct_post_close_adjustments: every load refreshes the deltas of closed
# months against the statement it has just rebuilt.
WAREHOUSE_GROUPS = ("dbt_seeds", "dbt_staging", "dbt_intermediate", "dbt_marts", "dbt_finance")
# The run ends by publishing the read-only snapshot BI queries (mpo_pipeline.publish).
LOAD_SELECTION = dg.AssetSelection.groups(
    "mpo_stats", "mpo_metadata", *WAREHOUSE_GROUPS
) | dg.AssetSelection.assets(PUBLISHED_KEY)

load_job = dg.define_asset_job(
    "load",
    selection=LOAD_SELECTION,
    description=(
        "Ingest a day range (stats for every endpoint and policy, a metadata snapshot), build "
        "the warehouse for it and publish the read-only snapshot for BI. Launch it for a "
        "partition range: one run for the whole range."
    ),
)

ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.groups("mpo_stats", "mpo_metadata"),
    description="Only the extraction into the Parquet lake (no DuckDB writes).",
)


@dg.schedule(
    job=load_job,
    cron_schedule=f"0 {settings().daily_schedule_hour} * * *",
    execution_timezone=settings().time_zone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Every morning: yesterday plus the MPO_LOOKBACK_DAYS window (restated days), metadata, "
        "and the warehouse for that window, in one run."
    ),
)
def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One run re-loading yesterday and the lookback window (days in ``MPO_TIME_ZONE``)."""
    s = settings()
    # scheduled_execution_time is in execution_timezone = MPO_TIME_ZONE.
    yesterday = context.scheduled_execution_time.date() - timedelta(days=1)
    start, end = lookback_window(yesterday, s.lookback_days, s.start_date)
    return dg.RunRequest(
        run_key=f"daily-{end.isoformat()}",
        tags={**range_tags(start.isoformat(), end.isoformat()), "mpo/trigger": "daily_refresh"},
    )
