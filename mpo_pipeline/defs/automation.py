"""Jobs and schedules: what runs together, and when."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from mpo_pipeline.config import Settings
from mpo_pipeline.core.dates import lookback_window
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.publish.assets import PUBLISHED_KEY
from mpo_pipeline.defs.resources import settings

# dbt_finance holds marts.fct_post_close_adjustments: every load refreshes the deltas of closed
# months against the statement it has just rebuilt.
WAREHOUSE_GROUPS = ("dbt_seeds", "dbt_staging", "dbt_intermediate", "dbt_marts", "dbt_finance")
# The run ends by publishing the read-only snapshot BI queries (mpo_pipeline.warehouse.publish).
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


def daily_refresh_schedule(s: Settings) -> dg.ScheduleDefinition:
    """The daily refresh of ``s``: at ``MPO_DAILY_SCHEDULE_HOUR`` in ``MPO_TIME_ZONE``."""

    @dg.schedule(
        name="daily_refresh",
        job=load_job,
        cron_schedule=f"0 {s.daily_schedule_hour} * * *",
        execution_timezone=s.time_zone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            "Every morning: yesterday plus the MPO_LOOKBACK_DAYS window (restated days), "
            "metadata, and the warehouse for that window, in one run."
        ),
    )
    def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """One run re-loading yesterday and the lookback window (days in ``MPO_TIME_ZONE``)."""
        # The tick's own day, not the pipeline's "today": a tick evaluated late (the daemon
        # catching up) loads the days it was scheduled for. Its date in MPO_TIME_ZONE, whatever
        # zone the instant comes in: at 06:00 in Tokyo it is still the day before in UTC.
        tick = context.scheduled_execution_time.astimezone(ZoneInfo(s.time_zone))
        yesterday = tick.date() - timedelta(days=1)
        start, end = lookback_window(yesterday, s.lookback_days, s.start_date)
        return dg.RunRequest(
            run_key=f"daily-{end.isoformat()}",
            tags={
                **range_tags(start.isoformat(), end.isoformat()),
                "mpo/trigger": "daily_refresh",
            },
        )

    return daily_refresh


daily_refresh = daily_refresh_schedule(settings())
