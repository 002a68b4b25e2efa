"""The published warehouse in Dagster: one asset, last in every job that changes the warehouse."""

from __future__ import annotations

import dagster as dg
import pytest

from mpo_pipeline.defs.finance.common import (
    ADJUSTMENTS_KEY,
    CLOSE_STATEMENTS_KEY,
    CLOSES_KEY,
    RECONCILIATION_KEY,
    STATEMENT_KEY,
)
from mpo_pipeline.defs.monitoring.dbt_ops import ops_model_key
from mpo_pipeline.defs.publish.assets import GROUP, PUBLISHED_KEY, published_warehouse
from mpo_pipeline.defs.publish.jobs import publish_after_ops_realtime

DAILY_FACTS = [
    dg.AssetKey(["marts", name])
    for name in (
        "fct_seller_campaign_stats_daily",
        "fct_seller_stats_daily",
        "fct_campaign_stats_daily",
    )
]


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    from mpo_pipeline.definitions import defs

    return defs()


def test_every_job_that_writes_the_warehouse_publishes(definitions):
    graph = definitions.resolve_asset_graph()
    for name in ("load", "month_close", "control_totals", "publish"):
        job = definitions.resolve_job_def(name)
        keys = set(job.asset_layer.selected_asset_keys)
        assert PUBLISHED_KEY in keys, name
    ingest = definitions.resolve_job_def("ingest")
    assert PUBLISHED_KEY not in set(ingest.asset_layer.selected_asset_keys)
    assert graph.get(PUBLISHED_KEY).child_keys == set()


def test_it_comes_after_the_marts_the_close_and_the_ops_models(definitions):
    parents = definitions.resolve_asset_graph().get(PUBLISHED_KEY).parent_keys
    assert {
        *DAILY_FACTS,
        STATEMENT_KEY,
        RECONCILIATION_KEY,
        ADJUSTMENTS_KEY,
        CLOSE_STATEMENTS_KEY,
        CLOSES_KEY,
        ops_model_key("ops_went_dark"),
    } <= parents
    assert not any(key.path[0] in ("staging", "intermediate") for key in parents)


def test_pool_group_and_freshness_like_the_daily_facts(definitions):
    assert published_warehouse.op.pool == "duckdb"
    assert published_warehouse.group_names_by_key[PUBLISHED_KEY] == GROUP
    graph = definitions.resolve_asset_graph()
    policy = graph.get(PUBLISHED_KEY).freshness_policy
    assert policy is not None
    assert policy == graph.get(DAILY_FACTS[0]).freshness_policy


def test_ops_runs_are_followed_by_a_publish():
    sensor = publish_after_ops_realtime
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == "publish"
    assert [job.name for job in sensor._monitored_jobs] == ["ops_realtime"]
