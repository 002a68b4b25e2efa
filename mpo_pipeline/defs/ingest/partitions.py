"""The daily partitions shared by the stats assets and the daily dbt facts."""

from datetime import date, timedelta

import dagster as dg

from mpo_pipeline.defs.resources import settings


def daily_partitions() -> dg.DailyPartitionsDefinition:
    """Days in ``MPO_TIME_ZONE`` from ``MPO_START_DATE`` up to yesterday (the last complete day)."""
    s = settings()
    return dg.DailyPartitionsDefinition(
        start_date=s.start_date.isoformat(), timezone=s.time_zone, end_offset=0
    )


def monthly_partitions() -> dg.MonthlyPartitionsDefinition:
    """Months in ``MPO_TIME_ZONE`` from ``MPO_START_DATE``'s month to the last complete one."""
    s = settings()
    return dg.MonthlyPartitionsDefinition(
        start_date=s.start_date.replace(day=1).isoformat(), timezone=s.time_zone, end_offset=0
    )


def run_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The inclusive first and last day of the partition range this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


DAILY_PARTITIONS = daily_partitions()
