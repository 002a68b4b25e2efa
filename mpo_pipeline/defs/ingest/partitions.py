"""The daily partitions shared by the stats assets and the daily dbt facts."""

from datetime import date, timedelta

import dagster as dg

from mpo_pipeline.config import Settings
from mpo_pipeline.defs.resources import settings

# The tags that make one run cover an inclusive range of daily partitions, as the UI's
# single-run backfill of a range does.
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def range_tags(start: str, end: str) -> dict[str, str]:
    """Tags that make one run cover an inclusive partition range (as a single-run backfill)."""
    return {RANGE_START: start, RANGE_END: end}


def daily_partitions(s: Settings | None = None) -> dg.DailyPartitionsDefinition:
    """Days in ``MPO_TIME_ZONE`` from ``MPO_START_DATE`` up to yesterday (the last complete day).

    Yesterday is the pipeline's (``MPO_TODAY`` minus one day when it is set, so the partitions
    agree with every other notion of "today"; the real clock otherwise). ``s`` defaults to this
    process's settings.
    """
    s = s or settings()
    end = {"end_date": s.today.isoformat()} if s.today else {}  # end_date is exclusive
    return dg.DailyPartitionsDefinition(
        start_date=s.start_date.isoformat(), timezone=s.time_zone, end_offset=0, **end
    )


def monthly_partitions() -> dg.MonthlyPartitionsDefinition:
    """Months in ``MPO_TIME_ZONE`` from ``MPO_START_DATE``'s month to the last complete one."""
    s = settings()
    end = {"end_date": s.today.replace(day=1).isoformat()} if s.today else {}
    return dg.MonthlyPartitionsDefinition(
        start_date=s.start_date.replace(day=1).isoformat(),
        timezone=s.time_zone,
        end_offset=0,
        **end,
    )


def run_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The inclusive first and last day of the partition range this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


DAILY_PARTITIONS = daily_partitions()
