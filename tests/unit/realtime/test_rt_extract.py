"""Landing one export (fake API, temporary lake): raw bytes kept until the rows are proven, stale
ids written nowhere, one request per currency, the pipeline's clock, one export at a time, and the
two checks the asset emits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from rt_client_helpers import EXPORT_ID, ROWS, FakeRealtimeApi, job, json_rows, make_client, request
from support.clocks import FakeClock

from mpo_pipeline.client import MpoResponseError
from mpo_pipeline.client.realtime_errors import RealtimeBusyError
from mpo_pipeline.config import Settings
from mpo_pipeline.defs.monitoring.realtime_checks import data_is_fresh, export_is_new
from mpo_pipeline.ingest.extract import Advertiser
from mpo_pipeline.ingest.realtime_extract import (
    RealtimeLandReport,
    land_realtime_export,
    one_export_at_a_time,
    pipeline_now,
    plan_requests,
)

NOW = datetime(2026, 3, 1, 12, 0, 42, tzinfo=UTC)


def _land(api: FakeRealtimeApi, clock: FakeClock, lake: Path, message: str | None):
    api.script("create", job("Done", message=message))
    api.script("download", json_rows(ROWS))
    with make_client(api, clock) as client:
        return land_realtime_export(client, lake, request(), NOW)


def test_raw_bytes_are_removed_once_the_rows_match_rows_count(
    api: FakeRealtimeApi, clock: FakeClock, tmp_path: Path
) -> None:
    report = _land(api, clock, tmp_path, "rows_count=2")
    assert report.written and report.rows == 2 and report.raw_path is None
    assert list((tmp_path / "realtime_raw").rglob("*.*")) == []
    (log,) = (tmp_path / "realtime_log").glob("export_date=*/*.parquet")
    row = pq.read_table(log).to_pylist()[0]
    assert (row["export_id"], row["rows"], row["promised_rows"]) == (EXPORT_ID, 2, 2)
    assert row["requested_at"] == NOW and row["window_start"] == NOW - timedelta(minutes=120)
    # the newest activity ends with the minute 11:59 of ROWS (7 displays, no click)
    assert row["newest_activity"] == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    data = pq.read_table(report.path).to_pylist()
    assert {r["requested_at"] for r in data} == {NOW} and {r["bucket_minutes"] for r in data} == {1}


def test_raw_bytes_stay_when_no_rows_count_proves_the_parse(
    api: FakeRealtimeApi, clock: FakeClock, tmp_path: Path
) -> None:
    report = _land(api, clock, tmp_path, "done")
    assert report.written and report.raw_path is not None
    assert report.raw_path.suffix == ".json"
    assert report.raw_path.read_bytes() == json_rows(ROWS).content


def test_raw_bytes_stay_and_are_named_when_the_rows_do_not_match(
    api: FakeRealtimeApi, clock: FakeClock, tmp_path: Path
) -> None:
    with pytest.raises(MpoResponseError) as info:
        _land(api, clock, tmp_path, "rows_count=5")
    (raw,) = (tmp_path / "realtime_raw").glob("export_date=*/*.json")
    assert f"the raw download is kept at {raw}" in str(info.value)
    assert "rows_count=5 but the file has 2 rows" in str(info.value)
    assert raw.read_bytes() == json_rows(ROWS).content
    assert not (tmp_path / "realtime").exists() and not list(tmp_path.rglob("*.parquet"))


def test_an_export_id_handed_out_again_is_stale_and_not_downloaded(
    api: FakeRealtimeApi, clock: FakeClock, tmp_path: Path
) -> None:
    first = _land(api, clock, tmp_path, "rows_count=2")
    api.script("create", job("Done", message="rows_count=2"))  # the same id: a cached export
    with make_client(api, clock) as client:  # a new client: the lake alone knows the id
        again = land_realtime_export(client, tmp_path, request(), NOW + timedelta(minutes=15))
    assert again.reused and not again.written and again.first_landed == first.path
    assert len(api.paths("download")) == 1
    check = export_is_new([again])
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert EXPORT_ID in (check.description or "") and "older request" in (check.description or "")


def test_one_request_per_currency_naming_it() -> None:
    advertisers = [
        Advertiser(1, "a", "EUR", "Europe/Paris"),
        Advertiser(2, "b", "JPY", "Asia/Tokyo"),
        Advertiser(3, "c", "EUR", "Europe/Paris"),
    ]
    dims, metrics = ("AdvertiserId", "CampaignId", "SellerId", "Day", "Hour"), ("Clicks", "Cost")
    eur, jpy = plan_requests(advertisers, NOW, 120, dims, metrics, "Csv")
    assert (eur.advertiser_ids, eur.currency) == ((1, 3), "EUR")
    assert (jpy.advertiser_ids, jpy.currency) == ((2,), "JPY")
    assert eur.attributes()["currency"] == "EUR" and eur.dimensions == dims
    assert eur.attributes()["startDate"] == "2026-03-01T10:00:00Z"
    assert "lookbackWindow" not in eur.attributes() and "endDate" not in eur.attributes()
    with pytest.raises(ValueError, match="advertiser 4 has no currency"):
        plan_requests([Advertiser(4, "d", "", None)], NOW, 120, dims, metrics, "Csv")


def test_the_clock_is_mpo_now_else_the_real_time_on_mpo_today() -> None:
    wall = datetime(2026, 12, 4, 8, 30, 15, 999, tzinfo=UTC)
    pinned = Settings(client_id="", client_secret=None, now=NOW)  # type: ignore[arg-type]
    assert pipeline_now(pinned, wall) == NOW
    today = Settings(
        client_id="", client_secret=None, today=date(2026, 3, 1), time_zone="Asia/Tokyo"
    )  # type: ignore[arg-type]
    # 08:30 UTC is 17:30 in Tokyo: the same time of day, on MPO_TODAY's day
    assert pipeline_now(today, wall) == datetime(2026, 3, 1, 8, 30, 15, tzinfo=UTC)
    real = Settings(client_id="", client_secret=None)  # type: ignore[arg-type]
    assert pipeline_now(real, wall) == wall.replace(microsecond=0)


def test_a_second_export_waits_for_none(tmp_path: Path) -> None:
    with (
        one_export_at_a_time(tmp_path),
        pytest.raises(RealtimeBusyError, match="being created or awaited"),
        one_export_at_a_time(tmp_path),
    ):
        pass
    with one_export_at_a_time(tmp_path):  # released
        pass


def _report(newest: datetime | None, written: bool = True) -> RealtimeLandReport:
    return RealtimeLandReport(
        export_id="e-1",
        path=Path("x"),
        rows=0 if newest is None else 10,
        written=written,
        reused=not written,
        polls=1,
        content_type="application/json",
        requested_at=NOW,
        window_start=NOW - timedelta(minutes=120),
        window_end=NOW,
        currency="EUR",
        advertiser_ids=(1,),
        newest_activity=newest,
    )


@pytest.mark.parametrize(
    ("newest_minutes_ago", "passed", "words"),
    [
        (10, True, "10 min before now"),
        (30, True, "within the 30 min"),
        (31, False, "beyond the 30 min allowed (an outage"),
        (None, False, "hold(s) no activity at all: a total outage"),
    ],
)
def test_freshness_is_judged_against_the_clock(
    tmp_path: Path, newest_minutes_ago: int | None, passed: bool, words: str
) -> None:
    newest = None if newest_minutes_ago is None else NOW - timedelta(minutes=newest_minutes_ago)
    check = data_is_fresh([_report(newest)], tmp_path, NOW, 30)
    assert check.passed is passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert words in (check.description or "")


def test_without_a_new_export_the_lake_log_is_judged(
    api: FakeRealtimeApi, clock: FakeClock, tmp_path: Path
) -> None:
    assert not data_is_fresh([], tmp_path, NOW, 30).passed  # no export at all
    _land(api, clock, tmp_path, "rows_count=2")  # newest activity 12:00
    later = NOW + timedelta(minutes=20)
    assert data_is_fresh([_report(None, written=False)], tmp_path, later, 30).passed
    stale = data_is_fresh([], tmp_path, later + timedelta(minutes=15), 30)
    assert not stale.passed and f"newest export in the lake ({EXPORT_ID}" in (
        stale.description or ""
    )
