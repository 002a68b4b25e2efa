"""The export asset on the simulator: lake layout and lineage, one export per currency, a cached
export reported by a failing check, quota skips, the dedicated pool of one slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from rt_sim_helpers import export_run_config, rt_resources, tick

from mpo_pipeline.defs.monitoring.realtime_assets import (
    REALTIME_EXPORT_KEY,
    REALTIME_POOL,
    realtime_export,
)
from mpo_pipeline.defs.monitoring.schedules import ops_realtime_schedule
from mpo_pipeline.simulator import RunningSimulator
from mpo_pipeline.simulator.realtime_service import RealtimeService

LINEAGE = (
    "export_id",
    "requested_at",
    "bucket_minutes",
    "lookback_minutes",
    "window_start",
    "window_end",
    "time_zone",
    "currency",
    "file_format",
    "api_version",
    "extracted_at",
)


def _materialize(
    sim: RunningSimulator, lake: Path, instance: dg.DagsterInstance | None = None, **config: object
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [realtime_export],
        resources=rt_resources(sim, lake),
        run_config=export_run_config(**config),
        instance=instance or dg.DagsterInstance.ephemeral(),
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = result.get_asset_materialization_events()
    assert event.asset_key == REALTIME_EXPORT_KEY
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_lands_one_file_per_export(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = datetime.now(UTC).date()
    first_run = _materialize(rt_sim, tmp_path, lookback_minutes=120)
    first = _metadata(first_run)
    tick(rt, monkeypatch, 15)
    second = _metadata(_materialize(rt_sim, tmp_path, lookback_minutes=120, file_format="Csv"))
    after = datetime.now(UTC).date()
    # one export per currency (EUR and JPY), named in the request; new ids on the next tick
    assert first["currencies"] == ["EUR", "JPY"] and second["currencies"] == ["EUR", "JPY"]
    assert not set(first["export_ids"]) & set(second["export_ids"])
    # export_date is the UTC day of the download: either side of a midnight during the test
    days = {f"export_date={d.isoformat()}" for d in (before, after)}
    files = sorted((tmp_path / "realtime").glob("export_date=*/*.parquet"))
    assert len(files) == 4 and {f.parent.name for f in files} <= days
    assert {f.stem for f in files} == {*first["export_ids"], *second["export_ids"]}
    tables = [pq.read_table(tmp_path / "realtime" / f.parent.name / f.name) for f in files]
    assert sum(t.num_rows for t in tables) == first["rows"] + second["rows"]
    assert all(set(LINEAGE) <= set(t.column_names) for t in tables)
    row = pq.read_table(first["paths"][0]).slice(0, 1).to_pylist()[0]
    assert row["api_version"] == "preview" and row["lookback_minutes"] is None
    assert row["requested_at"] == rt.now() - timedelta(minutes=15)  # the clock of the 1st tick
    assert row["window_start"] == row["requested_at"] - timedelta(minutes=120)
    currencies = {
        (a, c)
        for t in tables
        for a, c in zip(
            t.column("advertiserId").to_pylist(), t.column("currency").to_pylist(), strict=True
        )
    }
    assert currencies == {(41111, "EUR"), (42222, "JPY")}
    assert first["stale_export_ids"] == [] and first["download_shapes"] == ["json", "json"]
    assert second["download_shapes"] == ["csv", "csv"]
    checks = _checks(first_run)
    assert checks["realtime_export_is_new"].passed and checks["realtime_data_is_fresh"].passed


def test_a_cached_export_fails_the_check_and_is_not_overwritten(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    rt.configure(cache_seconds=60)
    first = _metadata(_materialize(rt_sim, tmp_path))
    paths = sorted((tmp_path / "realtime").glob("export_date=*/*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in paths]
    # The same tick again (the clock has not moved): identical requests, cached ids.
    again = _materialize(rt_sim, tmp_path)
    assert again.success and again.get_asset_materialization_events() == []
    stale = _checks(again)["realtime_export_is_new"]
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.ERROR
    assert all(e in (stale.description or "") for e in first["export_ids"])
    assert [p.stat().st_mtime_ns for p in paths] == stamps
    assert sorted((tmp_path / "realtime").glob("export_date=*/*.parquet")) == paths


def test_quota_skips_the_tick(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt.configure(hourly_quota=2)
    rt_sim.request_log.clear()
    _materialize(rt_sim, tmp_path)
    tick(rt, monkeypatch, 15)
    instance = dg.DagsterInstance.ephemeral()
    skipped = _materialize(rt_sim, tmp_path, instance=instance, lookback_minutes=90)
    assert skipped.success
    assert skipped.get_asset_materialization_events() == []
    messages = [entry.user_message for entry in instance.all_logs(skipped.run_id)]
    assert any("skipped this tick" in m and "hourly quota" in m for m in messages)
    assert rt_sim.request_log.count(path_contains="/realtime-reports/export", status=429) == 1
    assert len(list((tmp_path / "realtime").glob("export_date=*/*.parquet"))) == 2
    # Nothing new landed: the freshness check judges the newest export in the lake (25 min old).
    fresh = _checks(skipped)["realtime_data_is_fresh"]
    assert fresh.passed and "nothing new landed now" in (fresh.description or "")


def test_one_realtime_export_at_a_time() -> None:
    assert realtime_export.op.pool == REALTIME_POOL == "mpo_realtime"
    specs = {spec.name for spec in realtime_export.check_specs}
    assert specs == {"realtime_export_is_new", "realtime_data_is_fresh"}


def test_schedule_is_off_every_15_minutes() -> None:
    assert ops_realtime_schedule.cron_schedule == "*/15 * * * *"
    assert ops_realtime_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
