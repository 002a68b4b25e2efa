"""The published warehouse as a Dagster asset: the read-only snapshot BI queries.

It runs last in every job that changes the warehouse (``load``, ``control_totals``,
``month_close``, ``publish``), downstream of the marts, the month close and the ops models, in pool
``duckdb`` and under the warehouse writer lock (``mpo_pipeline.warehouse.publish``). A failed run
publishes nothing: BI keeps the last good snapshot.
"""

import dagster as dg

from mpo_pipeline.defs.finance.common import CLOSE_STATEMENTS_KEY, CLOSES_KEY
from mpo_pipeline.defs.monitoring.dbt_ops import dbt_ops
from mpo_pipeline.defs.resources import WarehouseResource, settings
from mpo_pipeline.defs.transform.dbt_assets import dbt_daily_facts, dbt_rollups
from mpo_pipeline.defs.transform.freshness import daily_facts_freshness
from mpo_pipeline.defs.transform.project import dbt_project
from mpo_pipeline.warehouse.publish import PUBLISHED_SCHEMAS, PublishError, publish_warehouse

PUBLISHED_KEY = dg.AssetKey("published_warehouse")
GROUP = "mpo_publish"
# Everything the snapshot holds: the marts and finance models, the close tables, the ops models.
PUBLISHED_PARENTS = sorted(
    {*dbt_daily_facts.keys, *dbt_rollups.keys, *dbt_ops.keys, CLOSE_STATEMENTS_KEY, CLOSES_KEY},
    key=lambda key: key.to_user_string(),
)


@dg.asset(
    key=PUBLISHED_KEY,
    group_name=GROUP,
    deps=PUBLISHED_PARENTS,
    pool="duckdb",
    kinds={"duckdb", "python"},
    # The daily run publishes last: the snapshot is due by the daily facts' deadline.
    freshness_policy=daily_facts_freshness(settings()),
    description=(
        f"Read-only snapshot of the warehouse for BI at MPO_PUBLISHED_WAREHOUSE: schemas "
        f"{', '.join(PUBLISHED_SCHEMAS)} as tables with their dbt descriptions as comments, and "
        "meta.published_at. Written as a new file and renamed over the old one at the end of "
        "every run that changes the warehouse; open connections keep their snapshot. See "
        "docs/bi.md."
    ),
)
def published_warehouse(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Copy the warehouse under the writer lock, prune it for BI, rename it into place."""
    try:
        report = publish_warehouse(
            warehouse.path,
            warehouse.published_path,
            run_id=context.run.run_id,
            manifest=dbt_project.manifest_path,
            on_wait=context.log.info,
            target=warehouse.target(),
        )
    except PublishError as exc:
        raise dg.Failure(description=str(exc)) from None
    if report.removed_temp_files:
        context.log.warning(
            f"removed {len(report.removed_temp_files)} temp file(s) left by an interrupted "
            f"publish: {', '.join(p.name for p in report.removed_temp_files)}"
        )
    if report.removed_logs:
        context.log.warning(
            f"removed {', '.join(p.name for p in report.removed_logs)} next to {report.path}: a "
            "tool opened the published file read-write; open it read-only (docs/bi.md)"
        )
    context.log.info(
        f"published {len(report.tables)} tables ({report.rows} rows, "
        f"{report.size_bytes / 1e6:.1f} MB) to {report.path} in {report.seconds:.2f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "published_at": dg.MetadataValue.timestamp(report.published_at),
            "path": dg.MetadataValue.path(str(report.path)),
            "source_warehouse": dg.MetadataValue.path(str(report.source)),  # password masked
            "size_bytes": report.size_bytes,
            "tables": len(report.tables),
            "rows": report.rows,
            "rows_per_table": dg.MetadataValue.json(report.rows_per_table()),
            "run_id": report.run_id or "",
            "publish_seconds": round(report.seconds, 3),
            "copy_seconds": round(report.copy_seconds, 3),
            "removed_temp_files": len(report.removed_temp_files),
            "removed_stray_logs": len(report.removed_logs),
        }
    )
