"""Month close as a Dagster asset: a thin wrapper around ``mpo_pipeline.finance.close``.

It writes the append-only tables ``finance.month_closes`` and ``finance.month_close_statements``
(one multi-asset, two keys), in pool ``duckdb`` and under the warehouse writer lock.
"""

import dagster as dg

from mpo_pipeline.core.dates import today_in
from mpo_pipeline.defs.finance.common import (
    CLOSE_OP,
    CLOSE_STATEMENTS_KEY,
    CLOSES_KEY,
    GROUP,
    MONTHLY_PARTITIONS,
    RECONCILIATION_KEY,
    STATEMENT_KEY,
    month_of_partition,
)
from mpo_pipeline.defs.resources import LakeResource, WarehouseResource, settings
from mpo_pipeline.finance.close import (
    CloseRefused,
    CloseRequest,
    MonthContext,
    close_month,
    close_totals,
)


class MonthCloseConfig(dg.Config):
    """Run config of the close: ``reopen: true`` with a ``reason`` closes a closed month again."""

    reopen: bool = False
    reason: str | None = None
    closed_by: str | None = None


def closed_by(config: MonthCloseConfig, tags: dict[str, str]) -> str:
    """Who or what closes: the config's ``closed_by``, else the schedule, else the run's tag."""
    if config.closed_by:
        return config.closed_by
    if "dagster/schedule_name" in tags:
        return f"schedule {tags['dagster/schedule_name']}"
    return tags.get("mpo/closed_by", "dagster run")


@dg.multi_asset(
    name=CLOSE_OP,
    specs=[
        dg.AssetSpec(
            CLOSE_STATEMENTS_KEY,
            group_name=GROUP,
            deps=[STATEMENT_KEY, RECONCILIATION_KEY],
            kinds={"duckdb", "python"},
            description=(
                "finance.month_close_statements: the month's rows of "
                "marts.fct_seller_monthly_statement frozen under a new close_id (append-only)."
            ),
        ),
        dg.AssetSpec(
            CLOSES_KEY,
            group_name=GROUP,
            deps=[STATEMENT_KEY, RECONCILIATION_KEY],
            kinds={"duckdb", "python"},
            description=(
                "finance.month_closes: one row per close (close_id, month, closed_at, closed_by, "
                "reason, run_id, reopen flag), append-only."
            ),
        ),
    ],
    partitions_def=MONTHLY_PARTITIONS,
    pool="duckdb",
)
def month_close(
    context: dg.AssetExecutionContext,
    config: MonthCloseConfig,
    lake: LakeResource,
    warehouse: WarehouseResource,
):
    """Close the partition's month, or fail with the reasons it may not be closed."""
    month = month_of_partition(context.partition_key)
    request = CloseRequest(
        month=month,
        closed_by=closed_by(config, context.run.tags),
        reason=config.reason,
        reopen=config.reopen,
        run_id=context.run.run_id,
    )
    ctx = MonthContext(
        lake_dir=lake.path,
        today=today_in(lake.time_zone),
        policies=settings().attribution_policies,
        advertisers=tuple(lake.advertiser_ids),
    )
    with warehouse.writer(on_wait=context.log.info) as con:
        try:
            record = close_month(con, request, ctx)
        except CloseRefused as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        totals = close_totals(con, record.close_id)
    context.log.info(
        f"closed {month:%Y-%m}: close_id {record.close_id}, {record.statement_rows} rows"
    )
    metadata = {
        "month": f"{month:%Y-%m}",
        "close_id": record.close_id,
        "close_version": record.close_version,
        "closed_at": record.closed_at.isoformat(),
        "closed_by": record.closed_by,
        "reason": record.reason or "",
        "is_reopen": record.is_reopen,
        "statement_rows": record.statement_rows,
        "totals": dg.MetadataValue.json([{k: str(v) for k, v in row.items()} for row in totals]),
    }
    yield dg.MaterializeResult(asset_key=CLOSE_STATEMENTS_KEY, metadata=metadata)
    yield dg.MaterializeResult(
        asset_key=CLOSES_KEY, metadata={k: metadata[k] for k in ("month", "close_id", "closed_by")}
    )
