"""The export asset on the simulator: lake layout and lineage, never overwriting, quota skips."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
from rt_sim_helpers import ADVERTISERS, export_run_config, rt_resources

from mpo_pipeline.defs.ops.realtime_assets import REALTIME_EXPORT_KEY, realtime_export
from mpo_pipeline.defs.ops.schedules import ops_realtime_schedule
from mpo_pipeline.simulator import RunningSimulator
from mpo_pipeline.simulator.realtime_service import RealtimeService

LINEAGE = (
    "export_id",
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


def test_lands_one_file_per_export(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    before = datetime.now(UTC).date()
    first = _metadata(_materialize(rt_sim, tmp_path, lookback_minutes=120))
    second = _metadata(_materialize(rt_sim, tmp_path, lookback_minutes=120, file_format="Csv"))
    after = datetime.now(UTC).date()
    assert first["export_id"] != second["export_id"]
    # export_date is the UTC day of the download: either side of a midnight during the test
    days = {f"export_date={d.isoformat()}" for d in (before, after)}
    files = sorted((tmp_path / "realtime").glob("export_date=*/*.parquet"))
    assert len(files) == 2 and {f.parent.name for f in files} <= days
    assert {f.stem for f in files} == {first["export_id"], second["export_id"]}
    table = pq.read_table(files[[f.stem for f in files].index(first["export_id"])])
    assert table.num_rows == first["rows"] > 0
    assert set(LINEAGE) <= set(table.column_names)
    row = table.slice(0, 1).to_pylist()[0]
    assert row["api_version"] == "preview" and row["lookback_minutes"] == 120
    assert row["export_id"] == first["export_id"]
    currencies = dict(
        zip(
            table.column("advertiserId").to_pylist(),
            table.column("currency").to_pylist(),
            strict=True,
        )
    )
    assert currencies == {41111: "EUR", 42222: "JPY"}
    assert set(table.column("advertiserId").to_pylist()) == set(ADVERTISERS)
    assert first["written"] and not first["reused_export_id"]


def test_cached_export_is_not_overwritten(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    rt.configure(cache_seconds=60)
    first = _metadata(_materialize(rt_sim, tmp_path))
    (path,) = (tmp_path / "realtime").glob("export_date=*/*.parquet")
    stamp = path.stat().st_mtime_ns
    again = _metadata(_materialize(rt_sim, tmp_path))
    assert again["export_id"] == first["export_id"]
    assert not again["written"] and again["reused_export_id"]
    assert path.stat().st_mtime_ns == stamp
    assert len(list((tmp_path / "realtime").glob("export_date=*/*.parquet"))) == 1


def test_quota_skips_the_tick(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    rt.configure(hourly_quota=1)
    rt_sim.request_log.clear()
    _materialize(rt_sim, tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    skipped = _materialize(rt_sim, tmp_path, instance=instance, lookback_minutes=90)
    assert skipped.success
    assert skipped.get_asset_materialization_events() == []
    messages = [entry.user_message for entry in instance.all_logs(skipped.run_id)]
    assert any("skipped this tick (creation quota)" in m for m in messages)
    assert rt_sim.request_log.count(path_contains="/realtime-reports/export", status=429) == 1
    assert len(list((tmp_path / "realtime").glob("export_date=*/*.parquet"))) == 1


def test_schedule_is_off_every_15_minutes() -> None:
    assert ops_realtime_schedule.cron_schedule == "*/15 * * * *"
    assert ops_realtime_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
