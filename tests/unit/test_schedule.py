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
