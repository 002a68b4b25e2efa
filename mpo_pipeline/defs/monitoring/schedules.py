"""The real-time monitoring job and its 15-minute schedule (off by default: the Real-Time API is a
beta open only to onboarded clients, and its creation quota is small). Two ticks never create
exports at once: the export asset holds the one slot of pool ``mpo_realtime`` and a lake lock;
docs/realtime.md."""

import dagster as dg

from mpo_pipeline.defs.monitoring.dbt_ops import dbt_ops
from mpo_pipeline.defs.monitoring.realtime_assets import realtime_export

ops_realtime_job = dg.define_asset_job(
    "ops_realtime",
    selection=dg.AssetSelection.assets(realtime_export, dbt_ops),
    description=(
        "Export the last minutes of the Real-Time API into the lake and rebuild the ops models "
        "(went-dark and spend-pace warnings; freshness checks against the pipeline's clock). "
        "Monitoring only, never finance."
    ),
)

ops_realtime_schedule = dg.ScheduleDefinition(
    name="ops_realtime_every_15_minutes",
    job=ops_realtime_job,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every 15 minutes: one real-time export and the ops models. Off by default.",
)
