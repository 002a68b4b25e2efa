"""How fresh the daily facts must be: rebuilt by the daily run, every day, before a deadline."""

import functools
from datetime import timedelta

import dagster as dg

from mpo_pipeline.config import Settings

# The daily run (ingest of ~31 days for 6 streams + metadata + dbt) takes minutes at demo scale
# and well under an hour at 2,000 sellers; three hours leave room for API retries and a queue.
DEADLINE_AFTER_SCHEDULE = timedelta(hours=3)


def deadline_hour(settings: Settings) -> int:
    """Hour (in ``MPO_TIME_ZONE``) by which the daily facts must have been rebuilt that day."""
    return (settings.daily_schedule_hour + DEADLINE_AFTER_SCHEDULE.seconds // 3600) % 24


def daily_facts_freshness(settings: Settings) -> dg.FreshnessPolicy:
    """Fail when a daily fact was not materialized in the 24 hours before today's deadline.

    One window per day, ending ``DEADLINE_AFTER_SCHEDULE`` after the daily schedule, in the
    schedule's time zone: a missed or failed daily run turns the facts stale in the UI that morning.
    """
    return _cron_policy(deadline_hour(settings), settings.time_zone)


# Dagster validates a cron policy by walking its schedule (about 20 ms each), and the translator
# asks for one per daily node (the facts and their tests): build each policy once per process.
@functools.cache
def _cron_policy(hour: int, time_zone: str) -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.cron(
        deadline_cron=f"0 {hour} * * *",
        lower_bound_delta=timedelta(hours=24),
        timezone=time_zone,
    )
