"""Snapshots of the MPO metadata: advertisers, campaigns, sellers, seller-campaigns, budgets."""

from datetime import datetime

import dagster as dg

from mpo_pipeline.core.dates import today_in
from mpo_pipeline.defs.resources import LakeResource, MpoApiResource
from mpo_pipeline.ingest.extract import resolve_advertisers, snapshot_metadata
from mpo_pipeline.ingest.lake import METADATA_ENTITIES


def metadata_asset_key(entity: str) -> dg.AssetKey:
    """Key of one metadata snapshot asset, e.g. ``mpo_metadata/sellers``."""
    return dg.AssetKey(["mpo_metadata", entity])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            metadata_asset_key(entity),
            group_name="mpo_metadata",
            kinds={"parquet", "python"},
            description=(
                f"Snapshot of MPO {entity.replace('_', '-')} under "
                f"lake/metadata/entity={entity}/snapshot_date=YYYY-MM-DD/ (latest run of the day)."
            ),
        )
        for entity in METADATA_ENTITIES
    ],
    pool="mpo_api",
    # The UI's "Materialize" of a fact and its upstream selects only the entities the fact
    # reads (the advertisers, for their currency): each entity is a snapshot of its own.
    can_subset=True,
)
def mpo_metadata(context: dg.AssetExecutionContext, mpo_api: MpoApiResource, lake: LakeResource):
    """One snapshot of each selected metadata entity (all by default); budgets include past ones
    since MPO_START_DATE."""
    keys = context.selected_asset_keys
    selected = [e for e in METADATA_ENTITIES if metadata_asset_key(e) in keys]
    # The pipeline's day (MPO_TIME_ZONE, MPO_TODAY): the warehouse dates each day's currency by it.
    snapshot_date = today_in(lake.time_zone)
    with mpo_api.client() as client:
        advertisers = resolve_advertisers(client, lake.advertiser_ids)
        rows = snapshot_metadata(
            client,
            lake.path,
            advertisers,
            snapshot_date,
            api_version=mpo_api.api_version,
            budgets_since=datetime.fromisoformat(lake.start_date).date(),
            entities=selected,
        )
        calls = client.metrics.calls
    for entity in selected:
        yield dg.MaterializeResult(
            asset_key=metadata_asset_key(entity),
            metadata={
                "snapshot_date": snapshot_date.isoformat(),
                "rows": rows[entity],
                "api_calls_for_snapshot": calls,
            },
        )
