"""Six daily-partitioned stats assets, one per endpoint × attribution policy, from one factory."""

import dagster as dg

from mpo_pipeline.defs.ingest.partitions import DAILY_PARTITIONS, run_days
from mpo_pipeline.defs.resources import LakeResource, MpoApiResource, settings
from mpo_pipeline.ingest.extract import load_stats, resolve_advertisers
from mpo_pipeline.ingest.lake import ENDPOINTS

POLICY_SLUGS = {"SameSeller": "same_seller", "AnySeller": "any_seller"}


def stats_asset_key(endpoint: str, policy: str) -> dg.AssetKey:
    """Key of the lake asset of one endpoint and policy, e.g. ``mpo_stats/sellers_any_seller``."""
    return dg.AssetKey(["mpo_stats", f"{endpoint}_{POLICY_SLUGS[policy]}"])


def build_stats_asset(endpoint: str, policy: str) -> dg.AssetsDefinition:
    """One lake asset: ``Day`` stats of ``endpoint`` under ``policy`` for every advertiser."""

    @dg.asset(
        key=stats_asset_key(endpoint, policy),
        group_name="mpo_stats",
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="mpo_api",
        kinds={"parquet", "python"},
        description=(
            f"MPO `/stats/{endpoint.replace('_', '-')}` with clickAttributionPolicy={policy}, "
            "one Parquet file per day and advertiser under "
            f"lake/stats/endpoint={endpoint}/policy={policy}/."
        ),
        tags={"endpoint": endpoint, "policy": policy},
    )
    def _stats(
        context: dg.AssetExecutionContext, mpo_api: MpoApiResource, lake: LakeResource
    ) -> dg.MaterializeResult:
        start, end = run_days(context)
        context.log.info(f"loading {endpoint}/{policy} for {start}..{end}")
        with mpo_api.client() as client:
            advertisers = resolve_advertisers(client, lake.advertiser_ids)
            report = load_stats(
                client,
                lake.path,
                endpoint,
                policy,
                advertisers,
                start,
                end,
                time_zone=lake.time_zone,
                api_version=mpo_api.api_version,
                on_file=None,
            )
            metrics = client.metrics
        if report.extra_columns:
            context.log.warning(f"API sent unknown columns, kept: {sorted(report.extra_columns)}")
        for notice in metrics.deprecations:
            context.log.warning(
                f"API version {notice.api_version} is deprecated "
                f"(Deprecation={notice.deprecation}, Sunset={notice.sunset}); bump MPO_API_VERSION"
            )
        return dg.MaterializeResult(
            metadata={
                "start": start.isoformat(),
                "end": end.isoformat(),
                "advertisers": [a.id for a in advertisers],
                "files_written": report.files,
                "rows": report.rows,
                "rows_per_day": report.rows_per_day,
                "windows": report.windows,
                "api_calls": metrics.calls,
                "retries": metrics.retries,
                "window_splits": metrics.window_splits,
                "api_version": mpo_api.api_version,
                "extra_columns": sorted(report.extra_columns),
                "deprecation_warnings": [
                    f"{n.api_version}: Deprecation={n.deprecation} Sunset={n.sunset}"
                    for n in metrics.deprecations
                ],
            }
        )

    return _stats


STATS_ASSETS = [
    build_stats_asset(endpoint, policy)
    for endpoint in ENDPOINTS
    for policy in settings().attribution_policies
]
