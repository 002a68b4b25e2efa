"""End to end: the simulator switches a seller-campaign off → the export asset lands the minutes →
the dbt ops models see it went dark → the asset check warns (WARN, not blocking). Then, one tick
later, a total outage: every busy seller-campaign goes dark and the freshness checks fail."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from rt_sim_helpers import export_run_config, fast_client, request, rt_resources, tick

from mpo_pipeline.defs.ingest.metadata_assets import mpo_metadata
from mpo_pipeline.defs.monitoring.checks import (
    no_seller_campaign_overpacing,
    no_seller_campaign_went_dark,
)
from mpo_pipeline.defs.monitoring.dbt_ops import dbt_ops, ops_model_key
from mpo_pipeline.defs.monitoring.realtime_assets import realtime_export
from mpo_pipeline.defs.monitoring.realtime_checks import HORIZON_KEY, ops_realtime_is_current
from mpo_pipeline.defs.resources import warehouse_resource
from mpo_pipeline.defs.transform.project import dbt_resource
from mpo_pipeline.ingest.realtime_extract import land_realtime_export
from mpo_pipeline.simulator import RunningSimulator
from mpo_pipeline.simulator.realtime_service import RealtimeService

Key = tuple[int, int, int]  # advertiser, campaign, seller


def _eligible(sim: RunningSimulator) -> set[Key]:
    """Seller-campaigns active with a bid and a current budget not used up (metadata truth)."""
    out = set()
    for adv in (a["id"] for a in sim.truth.advertisers()):
        active = {
            (int(o["sellerId"]), o["campaignId"])
            for o in sim.truth.seller_campaigns(adv)
            if o["suspendedSince"] is None and (o["bid"] or 0) > 0
        }
        for b in sim.truth.budgets(adv):
            funded = b["amount"] is None or b["amount"] > (b["spend"] or 0)
            for campaign in b["campaignIds"]:
                if b["status"] == "Current" and funded and (int(b["sellerId"]), campaign) in active:
                    out.add((adv, campaign, int(b["sellerId"])))
    return out


def _clicks(rt: RealtimeService, start_minutes_ago: int, end_minutes_ago: int) -> Counter:
    start = rt.now() - timedelta(minutes=start_minutes_ago)
    end = rt.now() - timedelta(minutes=end_minutes_ago)
    counts: Counter = Counter()
    for r in rt.truth(None, start, end).to_pylist():
        counts[(r["advertiserId"], r["campaignId"], r["sellerId"])] += r["clicks"]
    return counts


def test_went_dark_end_to_end(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("MPO_LAKE_DIR", str(lake))
    monkeypatch.setenv("MPO_WAREHOUSE", str(warehouse))
    resources = rt_resources(rt_sim, lake)
    assert dg.materialize([mpo_metadata], resources=resources).success

    # Latency 10 min: the export (lookback 120) holds [now-120, now-10); the dark hour is
    # [now-70, now-10), the baseline what comes before. Switch the busiest eligible
    # seller-campaign off at now-75.
    eligible = _eligible(rt_sim)
    baseline = _clicks(rt, 120, 75)
    target = max(eligible, key=lambda k: (baseline[k], k))
    assert baseline[target] >= 3, "the seed gives no seller-campaign busy enough"
    # An export from before the switch-off: the newer export must supersede its minutes.
    with fast_client(rt_sim) as client:
        before = land_realtime_export(client, lake, request(lookback_minutes=120), rt.now())
        assert before.written
    rt.switch_off(*target, at=rt.now() - timedelta(minutes=75))
    last_hour = _clicks(rt, 70, 10)
    assert last_hour[target] == 0
    control = max((k for k in eligible if k != target), key=lambda k: (last_hour[k], k))
    assert last_hour[control] > 0

    # The views the ops models read (latest metadata), as the upstream dbt group would build them.
    # dbt targets go below tmp_path; the ops build re-uses this run's partial parse (same env).
    dbt_target = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(dbt_target))
    dbt = dbt_resource()
    upstream = ["run", "--select", "+path:models/ops", "--exclude", "path:models/ops"]
    assert dbt.cli(upstream, target_path=dbt_target, raise_on_error=False).wait().is_successful()

    checks_run = [no_seller_campaign_went_dark, no_seller_campaign_overpacing]
    assets = [realtime_export, dbt_ops, *checks_run, ops_realtime_is_current]
    assert ops_model_key("ops_realtime_horizon") == HORIZON_KEY
    result = dg.materialize(
        assets,
        resources={**resources, "dbt": dbt, "warehouse": warehouse_resource()},
        run_config=export_run_config(),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success  # WARN checks never fail the run

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    dark = checks["no_seller_campaign_went_dark"]
    assert not dark.passed and dark.severity == dg.AssetCheckSeverity.WARN
    assert _listed(dark) >= {target} and control not in _listed(dark)
    for fresh in ("realtime_export_is_new", "realtime_data_is_fresh", "ops_realtime_is_current"):
        assert checks[fresh].passed, checks[fresh].description

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select advertiser_id, campaign_id, seller_id, clicks_before, clicks_last_60m "
            "from ops.ops_went_dark"
        ).fetchall()
        hourly = con.execute("select count(*), sum(clicks) from ops.ops_seller_campaign_hourly")
        assert hourly.fetchall()[0][1] > 0
        # Three exports over the same minutes: only the newer ones' rows are kept.
        kept = con.execute("select distinct export_id from ops.ops_realtime_minutes").fetchall()
        assert before.export_id not in {k for (k,) in kept} and len(kept) == 2
        assert len(list(lake.glob("realtime/export_date=*/*.parquet"))) == 3
    flagged = {r[:3]: r[3:] for r in rows}
    assert flagged[target] == (baseline[target], 0)
    assert checks["no_seller_campaign_overpacing"].severity == dg.AssetCheckSeverity.WARN

    # The next tick, 15 minutes later: nothing was delivered for the last 75 minutes.
    now = tick(rt, monkeypatch, 15)
    rt.configure(outage_from=now - timedelta(minutes=75))
    # the baseline before the silent hour [now-70, now-10), as the lake holds it
    before_silence = _clicks(rt, 130, 70)
    expected = {k for k in eligible if before_silence[k] >= 3}
    assert len(expected) > 2
    outage = dg.materialize(
        assets,
        resources={**resources, "dbt": dbt, "warehouse": warehouse_resource()},
        run_config=export_run_config(),
        instance=dg.DagsterInstance.ephemeral(),
    )
    checks = {e.check_name: e for e in outage.get_asset_check_evaluations()}
    dark = checks["no_seller_campaign_went_dark"]
    assert not dark.passed and dark.metadata["count"].value == len(expected)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        went_dark = con.execute(
            "select advertiser_id, campaign_id, seller_id from ops.ops_went_dark"
        ).fetchall()
    assert set(went_dark) == expected
    for stale in ("realtime_data_is_fresh", "ops_realtime_is_current"):
        assert not checks[stale].passed and checks[stale].severity == dg.AssetCheckSeverity.ERROR
    assert "75 min before now" in (checks["realtime_data_is_fresh"].description or "")
    assert checks["realtime_export_is_new"].passed


def _listed(check: dg.AssetCheckEvaluation) -> set[Key]:
    return {
        (int(r["advertiser_id"]), int(r["campaign_id"]), int(r["seller_id"]))
        for r in check.metadata["seller_campaigns"].value
    }
