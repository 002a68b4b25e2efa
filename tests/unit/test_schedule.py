"""The daily schedule asks for yesterday plus the lookback window, as one run."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from mpo_pipeline.defs.automation import daily_refresh, load_job
from mpo_pipeline.runner import RANGE_END, RANGE_START


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
