"""Asset checks on the landed stats, over the window of the run that landed them.

Checks that guard finance (cross-endpoint totals, policy invariants, rows in window, currency) are
blocking: a failure stops the dbt models downstream in the same run.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg
import pyarrow.compute as pc

from mpo_pipeline.core.dates import yesterday_in
from mpo_pipeline.defs.ingest.stats_assets import POLICY_SLUGS, stats_asset_key
from mpo_pipeline.defs.resources import LakeResource, settings
from mpo_pipeline.ingest import lake_checks
from mpo_pipeline.ingest.extract import days_between
from mpo_pipeline.ingest.lake import ENDPOINTS, read_parquet

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run_window(tags: dict[str, str]) -> tuple[date, date] | None:
    """The inclusive day range a run materialized, from its tags (None if unpartitioned)."""
    if RANGE_START in tags and RANGE_END in tags:
        return date.fromisoformat(tags[RANGE_START]), date.fromisoformat(tags[RANGE_END])
    if "dagster/partition" in tags:
        day = date.fromisoformat(tags["dagster/partition"])
        return day, day
    return None


def check_specs(policies: tuple[str, ...]) -> list[dg.AssetCheckSpec]:
    """Every check on the stats assets for the configured policies."""
    specs = []
    for endpoint in ENDPOINTS:
        for policy in policies:
            key = stats_asset_key(endpoint, policy)
            specs += [
                dg.AssetCheckSpec("rows_in_window", asset=key, blocking=True),
                dg.AssetCheckSpec("single_currency", asset=key, blocking=True),
                dg.AssetCheckSpec("all_days_loaded", asset=key, blocking=True),
                dg.AssetCheckSpec("non_empty_when_active", asset=key),
            ]
        if set(policies) >= {"SameSeller", "AnySeller"}:
            key = stats_asset_key(endpoint, "SameSeller")
            specs += [
                dg.AssetCheckSpec(
                    "policies_agree",
                    asset=key,
                    blocking=True,
                    additional_deps=[stats_asset_key(endpoint, "AnySeller")],
                ),
                dg.AssetCheckSpec(
                    "same_seller_within_any_seller",
                    asset=key,
                    blocking=True,
                    additional_deps=[stats_asset_key(endpoint, "AnySeller")],
                ),
            ]
    for policy in policies:
        specs.append(
            dg.AssetCheckSpec(
                "endpoints_agree",
                asset=stats_asset_key("seller_campaigns", policy),
                blocking=True,
                additional_deps=[stats_asset_key(e, policy) for e in ("sellers", "campaigns")],
            )
        )
    return specs


def _active_advertisers(lake: LakeResource) -> set[int]:
    """Advertisers whose latest seller-campaign snapshot has an active seller-campaign."""
    base = lake.path / "metadata" / "entity=seller_campaigns"
    snapshots = sorted(base.glob("snapshot_date=*/part.parquet"))
    if not snapshots:
        return set()
    table = read_parquet(snapshots[-1])
    active = pc.and_(pc.is_null(table["suspendedSince"]), pc.greater(table["bid"], 0))
    return set(table.filter(active).column("advertiserId").to_pylist())


def _evaluate(
    name: str,
    endpoint: str,
    policy: str,
    lake: LakeResource,
    start: date,
    end: date,
    advertisers: list[int],
) -> lake_checks.CheckResult:
    root = lake.path
    if name == "rows_in_window":
        return lake_checks.rows_in_window(root, endpoint, policy, start, end)
    if name == "single_currency":
        return lake_checks.single_currency(root, endpoint, policy, start, end)
    if name == "all_days_loaded":
        return lake_checks.missing_days(
            root, endpoint, policy, advertisers, days_between(start, end)
        )
    if name == "policies_agree":
        return lake_checks.policies_agree(root, endpoint, start, end)
    if name == "same_seller_within_any_seller":
        return lake_checks.same_seller_within_any_seller(root, endpoint, start, end)
    if name == "endpoints_agree":
        return lake_checks.endpoints_agree(root, policy, start, end)
    if name == "non_empty_when_active":
        active = _active_advertisers(lake)
        empty = [
            e
            for e in lake_checks.empty_days(
                root, endpoint, policy, advertisers, days_between(start, end)
            )
            if e["advertiserId"] in active
        ]
        return lake_checks.CheckResult(
            name, not empty, empty[:20], len(empty), "empty days while seller-campaigns were active"
        )
    raise ValueError(f"unknown check {name}")


def _advertisers_in_lake(lake: LakeResource, start: date, end: date) -> list[int]:
    """The configured advertisers, else those with a stats file on any day of the window."""
    if lake.advertiser_ids:
        return list(lake.advertiser_ids)
    # Every day of the window, not only its first: an advertiser whose first day is missing from
    # every endpoint is exactly what all_days_loaded must name.
    found = set()
    for day in days_between(start, end):
        for path in (lake.path / "stats").glob(f"endpoint=*/policy=*/report_date={day}/*.parquet"):
            found.add(int(path.stem.split("=", 1)[1]))
    return sorted(found)


@dg.multi_asset_check(specs=check_specs(settings().attribution_policies), can_subset=True)
def stats_checks(
    context: dg.AssetCheckExecutionContext, lake: LakeResource
) -> Iterator[dg.AssetCheckResult]:
    """Run the selected checks over this run's partition window (yesterday if unpartitioned)."""
    window = run_window(context.run.tags)
    if window is None:
        yesterday = yesterday_in(lake.time_zone)
        window = (yesterday, yesterday)
    start, end = window
    advertisers = _advertisers_in_lake(lake, start, end)
    for check_key in context.selected_asset_check_keys:
        endpoint, policy = _split_key(check_key.asset_key)
        result = _evaluate(check_key.name, endpoint, policy, lake, start, end, advertisers)
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=result.passed,
            severity=(
                dg.AssetCheckSeverity.WARN
                if check_key.name == "non_empty_when_active"
                else dg.AssetCheckSeverity.ERROR
            ),
            description=result.description,
            metadata={
                "window": f"{start}..{end}",
                "failure_count": result.failure_count,
                "failures": result.failures,
            },
        )


def _split_key(key: dg.AssetKey) -> tuple[str, str]:
    name = key.path[-1]
    for policy, slug in POLICY_SLUGS.items():
        if name.endswith("_" + slug):
            return name[: -len(slug) - 1], policy
    raise ValueError(f"not a stats asset key: {key}")
