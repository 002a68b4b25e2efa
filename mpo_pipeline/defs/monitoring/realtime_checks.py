"""Checks that the real-time monitoring is not judging old data (docs/realtime.md).

Two checks belong to the export asset and are emitted by it on every tick, whether or not it
landed anything (:data:`EXPORT_CHECK_SPECS`):

- ``realtime_export_is_new`` fails when the API handed back an export id it had handed out before
  (a cached export: its rows answer an older request, so nothing was written);
- ``realtime_data_is_fresh`` fails when the newest activity the monitoring can see (the exports
  landed this tick, else the newest one in the lake) ends more than
  ``MPO_REALTIME_MAX_SILENCE_MINUTES`` before the pipeline's clock: an outage, stale exports, or
  ticks skipped for too long.

A third, ``ops_realtime_is_current``, reads the built ``ops_realtime_horizon`` (the warehouse BI
sees) with the same bound. All three fail with severity ERROR and never block: a monitoring gap
must be seen, and the went-dark models must still run on an outage.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dagster as dg

from mpo_pipeline.config import Settings
from mpo_pipeline.defs.resources import WarehouseResource
from mpo_pipeline.ingest.realtime_extract import RealtimeLandReport, newest_logged_export

EXPORT_KEY = dg.AssetKey(["mpo_ops", "realtime_export"])
# The dbt model's asset key (its schema and name), spelled out so that this module does not
# load the dbt manifest: the export asset and its unit tests import it.
HORIZON_KEY = dg.AssetKey(["ops", "ops_realtime_horizon"])
EXPORT_IS_NEW = "realtime_export_is_new"
DATA_IS_FRESH = "realtime_data_is_fresh"
EXPORT_CHECK_SPECS = [
    dg.AssetCheckSpec(
        EXPORT_IS_NEW,
        asset=EXPORT_KEY,
        description=(
            "ERROR when the API returned an export id it had handed out before (a cached export "
            "answering an older request)."
        ),
    ),
    dg.AssetCheckSpec(
        DATA_IS_FRESH,
        asset=EXPORT_KEY,
        description=(
            "ERROR when the newest real-time activity ends more than "
            "MPO_REALTIME_MAX_SILENCE_MINUTES before the pipeline's clock (an outage, stale "
            "exports or skipped ticks)."
        ),
    ),
]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def export_is_new(reports: list[RealtimeLandReport]) -> dg.AssetCheckResult:
    """Fail naming every export id of this tick that the API had handed out before."""
    stale = [r for r in reports if r.reused]
    listing = [
        {
            "export_id": r.export_id,
            "advertisers": ",".join(map(str, r.advertiser_ids)),
            "requested_window": f"{_iso(r.window_start)} .. {_iso(r.window_end)}",
            "first_landed": str(r.first_landed or "seen earlier by this run"),
        }
        for r in stale
    ]
    if stale:
        description = (
            f"stale: the API returned {len(stale)} export id(s) it had handed out before "
            f"({', '.join(r.export_id for r in stale)}); their rows answer an older request, "
            "so nothing was written and the monitoring did not move"
        )
    elif reports:
        description = f"{len(reports)} new export id(s)"
    else:
        description = "no export was created this tick"
    return dg.AssetCheckResult(
        check_name=EXPORT_IS_NEW,
        asset_key=EXPORT_KEY,
        passed=not stale,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={"stale_exports": dg.MetadataValue.json(listing)},
    )


def data_is_fresh(
    reports: list[RealtimeLandReport], lake_dir: Path, now: datetime, max_silence_minutes: int
) -> dg.AssetCheckResult:
    """Fail when the newest activity ends more than ``max_silence_minutes`` before ``now``."""
    landed = [r for r in reports if r.written]
    if landed:
        ids = [r.export_id for r in landed]
        newest = max((r.newest_activity for r in landed if r.newest_activity), default=None)
        source = f"the export(s) landed now ({', '.join(ids)})"
    else:
        row = newest_logged_export(lake_dir)
        ids = [row["export_id"]] if row else []
        newest = row["newest_activity"] if row else None
        source = (
            f"the newest export in the lake ({row['export_id']}, requested at "
            f"{_iso(row['requested_at'])}), nothing new landed now"
            if row
            else "no export in the lake"
        )
    silence = None if newest is None else (now - newest).total_seconds() / 60
    passed = silence is not None and silence <= max_silence_minutes
    if newest is None:
        description = (
            f"{source} hold(s) no activity at all: a total outage, or exports that stopped "
            "coming; the went-dark check cannot judge silence it cannot see"
        )
    else:
        description = (
            f"the newest activity, in {source}, ends at {_iso(newest)}: {silence:.0f} min "
            f"before now ({_iso(now)}), {'within' if passed else 'beyond'} the "
            f"{max_silence_minutes} min allowed"
        )
        if not passed:
            description += " (an outage, stale or cached exports, or skipped ticks)"
    return dg.AssetCheckResult(
        check_name=DATA_IS_FRESH,
        asset_key=EXPORT_KEY,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "now": _iso(now),
            "newest_activity": _iso(newest),
            "silence_minutes": round(silence, 1) if silence is not None else -1.0,
            "max_silence_minutes": max_silence_minutes,
            "exports": ids,
        },
    )


@dg.asset_check(
    asset=HORIZON_KEY,
    name="ops_realtime_is_current",
    blocking=False,
    pool="duckdb",
    description=(
        "ERROR when the ops models' newest real-time activity lags the pipeline's clock by more "
        "than MPO_REALTIME_MAX_SILENCE_MINUTES, or when they hold no export at all."
    ),
)
def ops_realtime_is_current(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from mpo_pipeline.defs.monitoring.checks import (
        query_rows,  # the dbt assets' module: loaded by now
    )

    limit = Settings.from_env(require_credentials=False).realtime_max_silence_minutes
    rows = query_rows(warehouse, "select * from ops.ops_realtime_horizon")
    if not rows:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description="the ops models hold no real-time export",
        )
    horizon = rows[0]
    lag = horizon["data_lag_minutes"]
    passed = lag is not None and float(lag) <= limit
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"newest activity {lag} min before the clock's {horizon['now']} (at most {limit})"
            if lag is not None
            else f"no activity in the exports read, as of {horizon['now']}"
        ),
        metadata={
            "now": str(horizon["now"]),
            "newest_activity": str(horizon["newest_activity"]),
            "data_lag_minutes": float(lag) if lag is not None else -1.0,
            "latest_export_id": str(horizon["latest_export_id"]),
            "max_silence_minutes": limit,
        },
    )
