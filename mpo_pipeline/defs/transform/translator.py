"""How dbt nodes become Dagster assets: lake sources map onto the ingestion assets."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from mpo_pipeline.defs.ingest.metadata_assets import metadata_asset_key
from mpo_pipeline.defs.ingest.stats_assets import stats_asset_key
from mpo_pipeline.defs.resources import settings
from mpo_pipeline.defs.transform.freshness import daily_facts_freshness
from mpo_pipeline.ingest.lake import ENDPOINTS, METADATA_ENTITIES

LAKE_SOURCE = "mpo_lake"


def lake_source_keys(table: str) -> list[dg.AssetKey]:
    """The ingestion assets that write the files behind one lake source table."""
    policies = settings().attribution_policies
    for endpoint in ENDPOINTS:
        if table == f"stats_{endpoint}":
            return [stats_asset_key(endpoint, p) for p in policies]
    for entity in METADATA_ENTITIES:
        if table == f"metadata_{entity}":
            return [metadata_asset_key(entity)]
    if table.startswith("control_"):
        return [dg.AssetKey(["mpo_finance", "control_totals"])]
    if table.startswith("realtime"):
        return [dg.AssetKey(["mpo_ops", "realtime_export"])]
    return [dg.AssetKey([LAKE_SOURCE, table])]


class MpoDbtTranslator(DagsterDbtTranslator):
    """Groups models by folder and wires lake sources to every asset that writes them."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=False))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source" and (
            dbt_resource_props["source_name"] == LAKE_SOURCE
        ):
            return lake_source_keys(dbt_resource_props["name"])[0]
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "dbt_seeds"
        if len(fqn) > 2:
            return f"dbt_{fqn[1]}"
        return "dbt"

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or {}
        extra: list[dg.AssetKey] = []
        for upstream in node.get("depends_on", {}).get("nodes", []):
            source = manifest["sources"].get(upstream)
            if source and source["source_name"] == LAKE_SOURCE:
                extra += lake_source_keys(source["name"])[1:]
        if extra:
            spec = spec.merge_attributes(deps=extra)
        if "daily" in node.get("tags", []):
            spec = spec.replace_attributes(freshness_policy=daily_facts_freshness(settings()))
        return spec
