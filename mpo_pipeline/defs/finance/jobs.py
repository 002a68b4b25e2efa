"""Finance jobs (``control_totals``, ``month_close``) and the optional monthly close schedule.

``MPO_CLOSE_DAY_OF_MONTH`` (1–28, default 5) is the day of the month on which the schedule, once
switched on in the UI, closes the previous month, one hour after the daily refresh
(``MPO_DAILY_SCHEDULE_HOUR`` + 1, at most 23) in ``MPO_TIME_ZONE``. It is off by default: finance
decides when a month is closed.
"""

from datetime import timedelta

import dagster as dg

from mpo_pipeline.defs.finance.common import (
    ADJUSTMENTS_KEY,
    CLOSE_OP,
    CONTROL_STAGING_KEY,
    RECONCILIATION_KEY,
)
from mpo_pipeline.defs.finance.control_totals import control_totals
from mpo_pipeline.defs.finance.month_close import month_close
from mpo_pipeline.defs.publish.assets import PUBLISHED_KEY
from mpo_pipeline.defs.resources import settings

# The staging view over the control files is rebuilt too: a view created before the first control
# file existed is an empty placeholder until its next build.
RECONCILE = (
    dg.AssetSelection.assets(control_totals)
    | dg.AssetSelection.assets(CONTROL_STAGING_KEY)
    | dg.AssetSelection.assets(RECONCILIATION_KEY)
)

# Both jobs change the warehouse, so both end by publishing the read-only snapshot for BI. When
# the blocking check month_reconciled fails, the publish is skipped with the rest: BI keeps the
# last snapshot of a successful run.
PUBLISH = dg.AssetSelection.assets(PUBLISHED_KEY)

control_totals_job = dg.define_asset_job(
    "control_totals",
    selection=RECONCILE | PUBLISH,
    description=(
        "Fetch the API's Month figures of one month into the lake and rebuild "
        "marts.rpt_monthly_reconciliation; the blocking check month_reconciled judges the month. "
        "Then publish the warehouse for BI."
    ),
)

# The close freezes the statement as the last load built it (the load job rebuilds the statement);
# fct_post_close_adjustments is rebuilt after the close, so it compares with the new close at once.
month_close_job = dg.define_asset_job(
    "month_close",
    selection=RECONCILE
    | dg.AssetSelection.assets(month_close)
    | dg.AssetSelection.assets(ADJUSTMENTS_KEY)
    | PUBLISH,
    description=(
        "Close one month: control totals, marts.rpt_monthly_reconciliation and its blocking "
        "check, the close snapshot of marts.fct_seller_monthly_statement, then "
        "fct_post_close_adjustments, then publish the warehouse for BI. Run config "
        f"ops.{CLOSE_OP}.config: closed_by, reason, reopen (true, with a reason, closes a closed "
        "month again)."
    ),
)


CLOSE_HOUR = min(settings().daily_schedule_hour + 1, 23)  # one hour after the daily refresh
CLOSE_DAY = settings().close_day_of_month  # MPO_CLOSE_DAY_OF_MONTH


@dg.schedule(
    job=month_close_job,
    cron_schedule=f"0 {CLOSE_HOUR} {CLOSE_DAY} * *",
    execution_timezone=settings().time_zone,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        f"On day {CLOSE_DAY} of every month (MPO_CLOSE_DAY_OF_MONTH, default 5): control "
        "totals, reconciliation and close of the previous month. Off by default."
    ),
)
def month_close_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Close the month before the scheduled date (a run key per month: never twice)."""
    previous = context.scheduled_execution_time.date().replace(day=1) - timedelta(days=1)
    month = previous.replace(day=1)
    return dg.RunRequest(
        run_key=f"month-close-{month:%Y-%m}",
        partition_key=month.isoformat(),
        run_config={"ops": {CLOSE_OP: {"config": {"reason": "scheduled month close"}}}},
        tags={"mpo/trigger": "month_close_schedule"},
    )
