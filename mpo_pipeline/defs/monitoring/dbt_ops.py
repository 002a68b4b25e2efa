"""The dbt ``ops`` models (models/ops) as Dagster assets, downstream of the real-time export.

They write DuckDB, so they run in pool ``duckdb`` and under the warehouse writer lock. The
translator maps their lake sources (``mpo_lake.realtime_exports``, ``realtime_export_log``) onto
``mpo_ops/realtime_export``; their metadata parents (``int_*_latest``) come from the upstream dbt
group. Every build gets the pipeline's clock in the environment variable ``MPO_OPS_NOW``: the
models judge freshness and silence against it, never against a time read from the data. (An
environment variable, not ``--vars``: dbt re-parses only the model that reads it when it changes,
where changed ``--vars`` throw the whole partial parse away, about ten CPU seconds every tick.)
"""

from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from mpo_pipeline.config import Settings
from mpo_pipeline.defs.resources import WarehouseResource
from mpo_pipeline.defs.transform.dbt_assets import dbt_build
from mpo_pipeline.defs.transform.project import dbt_project
from mpo_pipeline.defs.transform.translator import MpoDbtTranslator
from mpo_pipeline.ingest.realtime_extract import pipeline_now

OPS_SELECT = "path:models/ops"
OPS_NOW_VARIABLE = "MPO_OPS_NOW"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=OPS_SELECT,
    name="dbt_ops",
    dagster_dbt_translator=MpoDbtTranslator(),
    project=dbt_project,
    pool="duckdb",
)
def dbt_ops(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator:
    """Real-time minutes, hourly activity, spend pace and went-dark (schema ``ops``)."""
    # Read at run time (not the process's cached settings): MPO_NOW may differ between runs.
    now = pipeline_now(Settings.from_env(require_credentials=False)).isoformat()
    context.log.info(f"building the ops models as of {now}")
    yield from dbt_build(context, dbt, warehouse, {OPS_NOW_VARIABLE: now})


def ops_model_key(model: str) -> dg.AssetKey:
    """Asset key of one ops model, e.g. ``ops_went_dark``."""
    return get_asset_key_for_model([dbt_ops], model)
