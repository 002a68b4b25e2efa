"""The daily schedule asks for yesterday plus the lookback window, as one run."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._utils.schedules import cron_string_iterator

from mpo_pipeline.defs.automation import daily_refresh, daily_refresh_schedule, load_job
from mpo_pipeline.defs.ingest.partitions import RANGE_END, RANGE_START, range_tags


def test_daily_refresh_requests_lookback_range():
    when = datetime(2026, 11, 29, 6, 0, tzinfo=ZoneInfo("UTC"))
    context = dg.build_schedule_context(scheduled_execution_time=when)
    request = daily_refresh(context)
    assert request.tags[RANGE_START] == "2026-10-29"
    assert request.tags[RANGE_END] == "2026-11-28"
    assert daily_refresh.job_name == load_job.name
    assert daily_refresh.execution_timezone == "UTC"
    assert daily_refresh.default_status == dg.DefaultScheduleStatus.RUNNING


def _settings(**env: str):
    from mpo_pipeline.config import Settings

    return Settings.from_env(env, require_credentials=False)


TOKYO = ZoneInfo("Asia/Tokyo")


def test_daily_refresh_in_tokyo_requests_tokyos_yesterday_though_utc_is_a_day_behind():
    # The deployed schedule reads MPO_TIME_ZONE at import; this one is built from Settings.
    schedule = daily_refresh_schedule(
        _settings(MPO_TIME_ZONE="Asia/Tokyo", MPO_START_DATE="2026-01-01")
    )
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "Asia/Tokyo")
    # The tick as the daemon computes it (its cron iterator), after 2026-11-28 12:00 UTC:
    after = datetime(2026, 11, 28, 12, 0, tzinfo=UTC).timestamp()
    tick = next(cron_string_iterator(after, schedule.cron_schedule, schedule.execution_timezone))
    assert tick == datetime(2026, 11, 29, 6, 0, tzinfo=TOKYO)
    assert tick.astimezone(UTC).date() == date(2026, 11, 28)  # 21:00 UTC, the day before
    # Tokyo's yesterday is 2026-11-28 (UTC's would be the 27th); 30 lookback days before it.
    # The same instant handed over in UTC must request the same days.
    for when in (tick, tick.astimezone(UTC)):
        request = schedule.evaluate_tick(
            dg.build_schedule_context(scheduled_execution_time=when)
        ).run_requests[0]
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-10-29", "2026-11-28")
        assert request.run_key == "daily-2026-11-28"


def test_daily_facts_deadline_follows_the_schedule_hour_and_wraps_midnight():
    from mpo_pipeline.defs.transform.freshness import daily_facts_freshness, deadline_hour

    assert deadline_hour(_settings()) == 9
    assert deadline_hour(_settings(MPO_DAILY_SCHEDULE_HOUR="22")) == 1
    policy = daily_facts_freshness(_settings(MPO_TIME_ZONE="Europe/Paris"))
    assert policy.deadline_cron == "0 9 * * *"
    assert policy.timezone == "Europe/Paris"
    assert policy.lower_bound_delta.total_seconds() == 24 * 3600


def test_the_daily_facts_and_the_published_snapshot_carry_the_freshness_policy():
    from mpo_pipeline.definitions import defs

    fresh = {}
    for node in defs().resolve_asset_graph().asset_nodes:
        if node.freshness_policy is not None:
            fresh[node.key.to_user_string()] = node.freshness_policy
    assert sorted(fresh) == [
        "marts/fct_campaign_stats_daily",
        "marts/fct_seller_campaign_stats_daily",
        "marts/fct_seller_stats_daily",
        "published_warehouse",
    ]
    assert {p.deadline_cron for p in fresh.values()} == {"0 9 * * *"}


def test_a_range_run_in_paris_gets_whole_local_days_across_both_dst_changes():
    from mpo_pipeline.defs.ingest.partitions import daily_partitions, run_days

    partitions = daily_partitions(
        _settings(MPO_TIME_ZONE="Europe/Paris", MPO_START_DATE="2026-01-01", MPO_TODAY="2026-11-01")
    )
    assert partitions.timezone == "Europe/Paris"
    assert partitions.get_last_partition_key() == "2026-10-31"  # MPO_TODAY's yesterday
    seen: list[tuple[date, date]] = []

    @dg.asset(partitions_def=partitions)
    def probe(context: dg.AssetExecutionContext) -> None:
        seen.append(run_days(context))

    # 2026-03-29 has 23 hours in Paris, 2026-10-25 has 25: the run's days are still the keys.
    for start, end in (("2026-03-28", "2026-03-29"), ("2026-10-25", "2026-10-25")):
        assert dg.materialize([probe], tags=range_tags(start, end)).success
    assert seen == [
        (date(2026, 3, 28), date(2026, 3, 29)),
        (date(2026, 10, 25), date(2026, 10, 25)),
    ]
