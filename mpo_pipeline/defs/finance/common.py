"""What the finance definitions share: monthly partitions and asset keys."""

from datetime import date

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from mpo_pipeline.defs.ingest.partitions import monthly_partitions
from mpo_pipeline.defs.transform.dbt_assets import dbt_rollups, dbt_upstream

MONTHLY_PARTITIONS = monthly_partitions()
GROUP = "mpo_finance"
CONTROL_TOTALS_KEY = dg.AssetKey(["mpo_finance", "control_totals"])
# The close writes two append-only tables; their keys are those dagster-dbt gives the dbt sources
# that declare them (source `finance`), so the lineage runs close → fct_post_close_adjustments.
CLOSE_STATEMENTS_KEY = dg.AssetKey(["finance", "month_close_statements"])
CLOSES_KEY = dg.AssetKey(["finance", "month_closes"])
STATEMENT_KEY = get_asset_key_for_model([dbt_rollups], "fct_seller_monthly_statement")
RECONCILIATION_KEY = get_asset_key_for_model([dbt_rollups], "rpt_monthly_reconciliation")
ADJUSTMENTS_KEY = get_asset_key_for_model([dbt_rollups], "fct_post_close_adjustments")
CONTROL_STAGING_KEY = get_asset_key_for_model([dbt_upstream], "stg_mpo__control_monthly_stats")
# The close asset's op: not "month_close", the job's name (ops and jobs share a namespace).
CLOSE_OP = "close_month_snapshot"  # run config: ops.close_month_snapshot.config


def month_of_partition(partition_key: str) -> date:
    """The first day of the month a monthly partition key (``YYYY-MM-DD``) stands for."""
    return date.fromisoformat(partition_key).replace(day=1)
