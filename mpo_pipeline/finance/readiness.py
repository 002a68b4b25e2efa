"""Is a month ready to close? Over, every day loaded, and reconciled with the API's Month figure.

Each function returns the problems it finds (empty = fine) so that the month-close asset, the
reconciliation check and the CLI can all explain exactly what is missing or wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb

from mpo_pipeline.core.dates import month_bounds
from mpo_pipeline.core.object_store import LakePath, is_object_store
from mpo_pipeline.ingest.lake import ENDPOINTS, control_path, stats_path
from mpo_pipeline.warehouse.access import rows as query_rows
from mpo_pipeline.warehouse.access import table_exists

RECONCILIATION = "marts.rpt_monthly_reconciliation"
METRICS = ("impressions", "clicks", "cost", "sale_units", "revenue")
COUNT_METRICS = ("impressions", "clicks", "sale_units")
# Mirror the dbt vars reconciliation_abs_tolerance / _rel_tolerance (dbt_project.yml): used only
# to say *which* metric broke a row that dbt already marked as not reconciled.
ABS_TOLERANCE = Decimal("0.01")
REL_TOLERANCE = Decimal("0.0001")
_ADVERTISER_FILE = re.compile(r"advertiser_id=(\d+)\.parquet$")


@dataclass(frozen=True)
class MissingFile:
    """A lake file the month needs and does not have."""

    kind: str  # "stats" (one day) or "control" (the Month figure)
    endpoint: str
    policy: str
    advertiser_id: int
    day: date

    def __str__(self) -> str:
        when = self.day.isoformat() if self.kind == "stats" else f"{self.day:%Y-%m} (Month)"
        return f"{self.kind} {self.endpoint}/{self.policy} advertiser {self.advertiser_id} {when}"


@dataclass(frozen=True)
class ReconciliationFailure:
    """A metric of one month, advertiser, endpoint and policy whose daily sum misses the control."""

    month: date
    advertiser_id: int
    endpoint: str
    policy: str
    metric: str
    daily: Decimal | int | None
    control: Decimal | int | None
    diff: Decimal | int | None
    rel_diff: float | None

    def __str__(self) -> str:
        if self.daily is None:
            return (
                f"{self.month:%Y-%m} advertiser {self.advertiser_id} {self.endpoint}/{self.policy}:"
                f" {self.metric}"
            )
        rel = "" if self.rel_diff is None else f", {self.rel_diff:+.4%}"
        return (
            f"{self.month:%Y-%m} advertiser {self.advertiser_id} {self.endpoint}/{self.policy} "
            f"{self.metric}: daily {self.daily} vs Month {self.control} (diff {self.diff:+}{rel})"
        )


def month_days(month: date) -> list[date]:
    """Every day of the month containing ``month``."""
    first, last = month_bounds(month)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def month_is_over(month: date, today: date) -> bool:
    """True once the month's last day is complete, i.e. ``today`` is after it."""
    return month_bounds(month)[1] < today


def advertisers_in_lake(lake_dir: LakePath, month: date) -> list[int]:
    """Advertisers with at least one stats or control file for the month."""
    found: set[int] = set()
    patterns = [
        f"stats/endpoint=*/policy=*/report_date={month:%Y-%m}-*/advertiser_id=*.parquet",
        f"control/interval=month/endpoint=*/policy=*/month={month:%Y-%m}/advertiser_id=*.parquet",
    ]
    for pattern in patterns:
        for path in lake_dir.glob(pattern):
            match = _ADVERTISER_FILE.search(path.name)
            if match:
                found.add(int(match.group(1)))
    return sorted(found)


def missing_files(
    lake_dir: LakePath,
    month: date,
    advertisers: Sequence[int],
    policies: Sequence[str],
    *,
    control: bool = True,
) -> list[MissingFile]:
    """Every day × advertiser × endpoint × policy file (and Month control file) that is absent."""
    missing = []
    for endpoint in ENDPOINTS:
        for policy in policies:
            landed = _month_files(lake_dir, endpoint, policy, month)
            for advertiser in advertisers:
                for day in month_days(month):
                    path = stats_path(lake_dir, endpoint, policy, day, advertiser)
                    if not (path.path in landed if landed is not None else path.exists()):
                        missing.append(MissingFile("stats", endpoint, policy, advertiser, day))
                path = control_path(lake_dir, endpoint, policy, month, advertiser)
                if control and not path.exists():
                    missing.append(
                        MissingFile("control", endpoint, policy, advertiser, month.replace(day=1))
                    )
    return missing


def _month_files(lake_dir: LakePath, endpoint: str, policy: str, month: date) -> set[str] | None:
    """On S3, the keys of one stream's month, from one listing of the month's key prefix (a HEAD
    per day file would be thousands of requests for a large account); None in a folder, where
    asking for each file costs nothing."""
    if not is_object_store(lake_dir):
        return None
    folder = lake_dir / "stats" / f"endpoint={endpoint}" / f"policy={policy}"
    return set(folder.fs.find(folder.path, prefix=f"report_date={month:%Y-%m}-"))


def reconciliation_failures(
    con: duckdb.DuckDBPyConnection,
    month: date,
    advertisers: Sequence[int],
    policies: Sequence[str],
) -> list[ReconciliationFailure]:
    """Failing metrics of the month in rpt_monthly_reconciliation, plus expected rows it lacks."""
    first = month.replace(day=1)
    if not table_exists(con, "marts", "rpt_monthly_reconciliation"):
        return [absent_failure(first, 0, "*", "*", "no marts.rpt_monthly_reconciliation: run dbt")]
    columns = ", ".join(f"{m}_daily, {m}_control, {m}_diff, {m}_rel_diff" for m in METRICS)
    rows = query_rows(
        con,
        f"select advertiser_id, endpoint, policy, is_reconciled, {columns} "
        f"from {RECONCILIATION} where month = ? order by advertiser_id, endpoint, policy",
        [first],
    )
    failures: list[ReconciliationFailure] = []
    seen = set()
    for row in rows:
        seen.add((row["advertiser_id"], row["endpoint"], row["policy"]))
        if not row["is_reconciled"]:
            failures += _failing_metrics(first, row)
    for advertiser in advertisers:
        for endpoint in ENDPOINTS:
            for policy in policies:
                if (advertiser, endpoint, policy) not in seen:
                    reason = "no reconciliation row (control totals not loaded?)"
                    failures.append(absent_failure(first, advertiser, endpoint, policy, reason))
    return failures


def _failing_metrics(month: date, row: dict) -> list[ReconciliationFailure]:
    def failure(metric: str) -> ReconciliationFailure:
        return ReconciliationFailure(
            month,
            row["advertiser_id"],
            row["endpoint"],
            row["policy"],
            metric,
            row[f"{metric}_daily"],
            row[f"{metric}_control"],
            row[f"{metric}_diff"],
            row[f"{metric}_rel_diff"],
        )

    nonzero = [m for m in METRICS if row[f"{m}_diff"] not in (0, None)]
    beyond = [
        m
        for m in nonzero
        if m in COUNT_METRICS
        or abs(Decimal(row[f"{m}_diff"]))
        > max(ABS_TOLERANCE, REL_TOLERANCE * abs(Decimal(row[f"{m}_control"] or 0)))
    ]
    # A stricter tolerance passed to dbt than the defaults above: name every metric that moved.
    return [failure(m) for m in (beyond or nonzero or list(METRICS))]


def absent_failure(month: date, advertiser: int, endpoint: str, policy: str, reason: str):
    return ReconciliationFailure(
        month, advertiser, endpoint, policy, reason, None, None, None, None
    )


def summarize(items: Sequence[object], limit: int = 10) -> str:
    """The first ``limit`` items, one a line, and how many more there are."""
    lines = [f"  - {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  - ... and {len(items) - limit} more")
    return "\n".join(lines)
