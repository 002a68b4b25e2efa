"""dbt models as Dagster assets: daily facts partitioned like the lake, the rest unpartitioned.

Three groups keep the op graph acyclic: models upstream of the daily facts (seeds, staging,
intermediate), the daily facts (built only for the run's report-date window), and the models
downstream of them (dimensions, monthly statement, P&L, reconciliation, finance). All of them
write DuckDB, so all run in pool ``duckdb`` (limit 1).

The steps build models and run their data tests, not dbt's unit tests: those test the SQL of the
models, not the data, so a load need not pay for them again; ``make test`` runs them (the full
``dbt build`` of tests/integration/dbt/test_dbt_seller_directory.py).
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from mpo_pipeline.defs.ingest.partitions import DAILY_PARTITIONS
from mpo_pipeline.defs.resources import WarehouseResource
from mpo_pipeline.defs.transform.project import (
    dbt_project,
    prune_invocation_targets,
    share_partial_parse,
)
from mpo_pipeline.defs.transform.translator import MpoDbtTranslator

UPSTREAM = "resource_type:seed path:models/staging path:models/intermediate"
DAILY = "tag:daily"
TRANSLATOR = MpoDbtTranslator()
BUILD = ["build", "--exclude-resource-type", "unit_test"]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=UPSTREAM,
    name="dbt_upstream",
    dagster_dbt_translator=TRANSLATOR,
    project=dbt_project,
    pool="duckdb",
)
def dbt_upstream(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator:
    """Seeds, staging views and intermediate views (cheap: no data is copied)."""
    yield from dbt_build(context, dbt, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=DAILY,
    name="dbt_daily_facts",
    dagster_dbt_translator=TRANSLATOR,
    project=dbt_project,
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
)
def dbt_daily_facts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator:
    """The three daily facts, rebuilt only for the report days of this run's partition range."""
    window = context.partition_time_window
    # The window goes in the environment, not in --vars: see macros/report_window.sql.
    window_env = {
        "MPO_MIN_REPORT_DATE": window.start.date().isoformat(),
        "MPO_MAX_REPORT_DATE": (window.end - timedelta(days=1)).date().isoformat(),
    }
    context.log.info(f"building daily facts for {window_env}")
    yield from dbt_build(context, dbt, warehouse, window_env)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select="path:models/marts path:models/finance",
    exclude=DAILY,
    name="dbt_rollups",
    dagster_dbt_translator=TRANSLATOR,
    project=dbt_project,
    pool="duckdb",
)
def dbt_rollups(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator:
    """Dimensions, monthly statement, P&L and reconciliation, from the daily facts."""
    yield from dbt_build(context, dbt, warehouse)
    pruned = prune_invocation_targets()
    if pruned:
        context.log.info(f"removed {len(pruned)} old dbt invocation folder(s) of the target path")


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    env: Mapping[str, str] | None = None,
) -> Iterator:
    """``dbt build`` (data tests, no unit tests) of the asset's selection, under the warehouse
    writer lock, with ``env`` added to dbt's environment; its parse is left to the next steps.

    The pool ``duckdb`` serialises writers inside one Dagster instance; the lock also keeps out
    every other process (a CLI run, the publish step) that writes or snapshots the warehouse.
    """
    with warehouse.lock(on_wait=context.log.info):
        with _environment(env or {}):  # dbt starts (and copies it) in cli()
            invocation = dbt.cli(BUILD, context=context)
        yield from invocation.stream()
    share_partial_parse(invocation)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in this process's environment (which dbt inherits) for the block only."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in before.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
