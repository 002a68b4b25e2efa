"""The dbt ``ops`` models (models/ops) as Dagster assets, downstream of the real-time export.

They write DuckDB, so they run in pool ``duckdb`` and under the warehouse writer lock. The
translator maps their lake source (``mpo_lake.realtime_exports``) onto
``mpo_ops/realtime_export``; their metadata parents (``int_*_latest``) come from the upstream dbt
group.
"""

from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from mpo_pipeline.defs.transform.dbt_assets import warehouse_writer_for
from mpo_pipeline.defs.transform.project import dbt_project
from mpo_pipeline.defs.transform.translator import MpoDbtTranslator

OPS_SELECT = "path:models/ops"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=OPS_SELECT,
    name="dbt_ops",
    dagster_dbt_translator=MpoDbtTranslator(),
    project=dbt_project,
    pool="duckdb",
)
def dbt_ops(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
    """Real-time minutes, hourly activity, spend pace and went-dark (schema ``ops``)."""
    # The pool serialises writers inside one Dagster instance; the lock also keeps out every
    # other process (a CLI run, the publish step) that writes or snapshots the warehouse.
    with warehouse_writer_for(context):
        yield from dbt.cli(["build"], context=context).stream()


def ops_model_key(model: str) -> dg.AssetKey:
    """Asset key of one ops model, e.g. ``ops_went_dark``."""
    return get_asset_key_for_model([dbt_ops], model)
