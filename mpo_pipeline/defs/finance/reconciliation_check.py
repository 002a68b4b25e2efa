"""Blocking check: the month's daily facts add up to the API's own Month figure.

In a run of a monthly partition (jobs ``month_close`` and ``control_totals``) it judges that month
with severity ERROR, so a failure stops the close in the same run. In any other run (the daily
``load``) it reports the open (not yet closed) months that no longer reconcile as a WARN: their
control totals predate a re-load, which is expected until the month is reconciled again.
"""

from datetime import date

import dagster as dg
import duckdb

from mpo_pipeline.core.dates import month_bounds
from mpo_pipeline.defs.finance.common import (
    MONTHLY_PARTITIONS,
    RECONCILIATION_KEY,
    month_of_partition,
)
from mpo_pipeline.defs.resources import LakeResource, WarehouseResource, settings
from mpo_pipeline.finance import readiness
from mpo_pipeline.finance.close import latest_close
from mpo_pipeline.warehouse.access import table_exists

MAX_LISTED = 50  # failures shown in the check's metadata


def run_month(context: dg.AssetCheckExecutionContext) -> date | None:
    """The month this run reconciles, when it runs one monthly partition; else None."""
    if not context.has_partition_key or context.job_def.partitions_def != MONTHLY_PARTITIONS:
        return None
    return month_of_partition(context.partition_key)


@dg.asset_check(
    asset=RECONCILIATION_KEY,
    name="month_reconciled",
    blocking=True,
    pool="duckdb",
    description=(
        "Every advertiser × endpoint × policy of the month reconciles (counts equal, money within "
        "the tolerance of rpt_monthly_reconciliation); names the failing month, advertiser, "
        "endpoint, policy and metric. ERROR (blocks the close) in a monthly run, else WARN."
    ),
)
def month_reconciled(
    context: dg.AssetCheckExecutionContext, lake: LakeResource, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    """Judge the run's month (ERROR) or the open months (WARN)."""
    month = run_month(context)
    policies = settings().attribution_policies
    with warehouse.reader() as con:
        if month is not None:
            advertisers = list(lake.advertiser_ids) or readiness.advertisers_in_lake(
                lake.path, month
            )
            failures = readiness.reconciliation_failures(con, month, advertisers, policies)
            if not advertisers:
                failures.append(readiness.absent_failure(month, 0, "*", "*", "no data in the lake"))
            missing = readiness.missing_files(lake.path, month, advertisers, policies)
            months = [month]
        else:
            months = _open_months(con)
            failures = [
                f for m in months for f in readiness.reconciliation_failures(con, m, [], policies)
            ]
            missing = []
    severity = dg.AssetCheckSeverity.ERROR if month is not None else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        passed=not failures,
        severity=severity,
        description=_describe(months, failures, missing, month is not None),
        metadata={
            "months": [f"{m:%Y-%m}" for m in months],
            "failure_count": len(failures),
            "failures": dg.MetadataValue.json([_as_json(f) for f in failures[:MAX_LISTED]]),
            "missing_lake_files": len(missing),
            "missing_examples": [str(m) for m in missing[:10]],
        },
    )


def _open_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    if not table_exists(con, "marts", "rpt_monthly_reconciliation"):
        return []
    months = [
        row[0]
        for row in con.execute(
            "select distinct month from marts.rpt_monthly_reconciliation order by month"
        ).fetchall()
    ]
    return [m for m in months if latest_close(con, m) is None]


def _describe(months, failures, missing, judged: bool) -> str:
    label = ", ".join(f"{m:%Y-%m}" for m in months) or "no open month with control totals"
    if not failures:
        return f"reconciled: {label}"
    text = f"{len(failures)} reconciliation failure(s) in {label}:\n{readiness.summarize(failures)}"
    if missing:
        text += (
            f"\nlikely cause: {len(missing)} lake file(s) missing:\n"
            f"{readiness.summarize(missing, 5)}"
        )
    elif judged:
        first, last = month_bounds(months[0])
        text += (
            "\nthe daily files in the lake disagree with the API's Month figure fetched for this "
            "run (days restated since they were loaded, or a damaged file): re-load the month "
            f"(make load START={first} END={last}), then reconcile or close again"
        )
    return text


def _as_json(failure: readiness.ReconciliationFailure) -> dict:
    return {
        "month": f"{failure.month:%Y-%m}",
        "advertiser_id": failure.advertiser_id,
        "endpoint": failure.endpoint,
        "policy": failure.policy,
        "metric": failure.metric,
        "daily": None if failure.daily is None else str(failure.daily),
        "control": None if failure.control is None else str(failure.control),
        "diff": None if failure.diff is None else str(failure.diff),
        "rel_diff": failure.rel_diff,
    }
