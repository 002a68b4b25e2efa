"""Publishing on its own: the ``publish`` job, and a publish after every real-time ops run.

The ``load``, ``control_totals`` and ``month_close`` jobs publish as their last step. The
``ops_realtime`` job (every 15 minutes once switched on) rebuilds only the ops models; the sensor
below publishes after each of its successful runs, so BI's ops tables follow within a minute.
"""

import dagster as dg

from mpo_pipeline.defs.monitoring.schedules import ops_realtime_job
from mpo_pipeline.defs.publish.assets import published_warehouse

publish_job = dg.define_asset_job(
    "publish",
    selection=dg.AssetSelection.assets(published_warehouse),
    description=(
        "Publish the warehouse as it is for BI (MPO_PUBLISHED_WAREHOUSE), e.g. after a dbt build "
        "run by hand. Every job that changes the warehouse already ends with it."
    ),
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ops_realtime_job],
    request_job=publish_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publish for BI after every successful ops_realtime run (ops models rebuilt).",
)
def publish_after_ops_realtime(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """One publish per successful ``ops_realtime`` run."""
    run_id = context.dagster_run.run_id
    return dg.RunRequest(
        run_key=f"publish-after-{run_id}",
        tags={"mpo/trigger": "publish_after_ops_realtime", "mpo/after_run": run_id},
    )
