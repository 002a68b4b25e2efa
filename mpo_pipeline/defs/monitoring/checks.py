"""Operational warnings from the ``ops`` models: seller-campaigns that went dark or overpace.

Both checks are non-blocking and fail with severity WARN: real-time data are raw, so they alert a
human and never stop anything. They read the warehouse read-only, in pool ``duckdb`` (no writer
holds the file while they run).
"""

import dagster as dg

from mpo_pipeline.defs.monitoring.dbt_ops import ops_model_key
from mpo_pipeline.defs.resources import WarehouseResource
from mpo_pipeline.warehouse.access import rows

MAX_LISTED = 25  # rows shown in the check's metadata


def query_rows(warehouse: WarehouseResource, sql: str) -> list[dict]:
    """Rows of a read-only query on the warehouse."""
    with warehouse.reader() as con:
        return rows(con, sql)


def _listing(rows: list[dict], columns: tuple[str, ...]) -> dg.MetadataValue:
    shown = [{c: str(row[c]) for c in columns} for row in rows[:MAX_LISTED]]
    return dg.MetadataValue.json(shown)


def warn_on_rows(rows: list[dict], what: str, columns: tuple[str, ...]) -> dg.AssetCheckResult:
    """Pass without rows; else a WARN naming up to ``MAX_LISTED`` of them."""
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(rows)} seller-campaign(s) {what}" if rows else f"none {what}",
        metadata={"count": len(rows), "seller_campaigns": _listing(rows, columns)},
    )


@dg.asset_check(
    asset=ops_model_key("ops_went_dark"),
    name="no_seller_campaign_went_dark",
    blocking=False,
    pool="duckdb",
    description=(
        "WARN when an active seller-campaign with a bid and a budget had clicks before the last "
        "hour of real-time data and none in it."
    ),
)
def no_seller_campaign_went_dark(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rows = query_rows(
        warehouse,
        "select * from ops.ops_went_dark order by clicks_before desc, advertiser_id, "
        "campaign_id, seller_id",
    )
    columns = ("advertiser_id", "campaign_id", "seller_id", "seller_name", "dark_since")
    return warn_on_rows(rows, "went dark (no click in the last hour)", (*columns, "clicks_before"))


@dg.asset_check(
    asset=ops_model_key("ops_seller_campaign_pace"),
    name="no_seller_campaign_overpacing",
    blocking=False,
    pool="duckdb",
    description="WARN when a seller-campaign spends faster than its current budget allows.",
)
def no_seller_campaign_overpacing(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rows = query_rows(
        warehouse,
        "select * from ops.ops_seller_campaign_pace where is_overpacing "
        "order by hours_to_exhaust nulls last, advertiser_id, campaign_id, seller_id",
    )
    columns = ("advertiser_id", "campaign_id", "seller_id", "seller_name", "hourly_run_rate")
    return warn_on_rows(rows, "overpacing their budget", (*columns, "budget_remaining"))
