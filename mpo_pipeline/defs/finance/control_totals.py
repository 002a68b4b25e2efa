"""The API's own ``Month`` figure per endpoint × policy × advertiser: the reconciliation control."""

import dagster as dg

from mpo_pipeline.core.dates import month_bounds
from mpo_pipeline.defs.finance.common import (
    CONTROL_TOTALS_KEY,
    GROUP,
    MONTHLY_PARTITIONS,
    month_of_partition,
)
from mpo_pipeline.defs.resources import LakeResource, MpoApiResource, settings
from mpo_pipeline.ingest.extract import load_control_totals, resolve_advertisers
from mpo_pipeline.ingest.lake import ENDPOINTS


@dg.asset(
    key=CONTROL_TOTALS_KEY,
    group_name=GROUP,
    partitions_def=MONTHLY_PARTITIONS,
    pool="mpo_api",
    kinds={"parquet", "python"},
    description=(
        "The API's intervalSize=Month figure of every stats endpoint × attribution policy × "
        "advertiser over the whole month, under lake/control/interval=month/ (one file each). "
        "marts.rpt_monthly_reconciliation compares the sum of the daily facts with it."
    ),
)
def control_totals(
    context: dg.AssetExecutionContext, mpo_api: MpoApiResource, lake: LakeResource
) -> dg.MaterializeResult:
    """Fetch and land the month's control totals (replacing any earlier fetch of that month)."""
    month = month_of_partition(context.partition_key)
    first, last = month_bounds(month)
    files = rows = 0
    rows_per_file: dict[str, int] = {}
    with mpo_api.client() as client:
        advertisers = resolve_advertisers(client, lake.advertiser_ids)
        for endpoint in ENDPOINTS:
            for policy in settings().attribution_policies:
                report = load_control_totals(
                    client,
                    lake.path,
                    endpoint,
                    policy,
                    advertisers,
                    month,
                    time_zone=lake.time_zone,
                    api_version=mpo_api.api_version,
                )
                files += report.files
                rows += report.rows
                rows_per_file[f"{endpoint}/{policy}"] = report.rows
        calls = client.metrics.calls
    context.log.info(f"control totals {first:%Y-%m}: {files} files, {rows} rows")
    return dg.MaterializeResult(
        metadata={
            "month": f"{first:%Y-%m}",
            "window": f"{first}..{last}",
            "advertisers": [a.id for a in advertisers],
            "files_written": files,
            "rows": rows,
            "rows_per_endpoint_policy": rows_per_file,
            "api_calls": calls,
        }
    )
