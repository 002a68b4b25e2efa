"""The simulator taught each way the monitoring could be fooled, and what a user sees for each:
a lost creation answer, a cached export for a new window, an outage, the currency default, an
undocumented status and every download shape (loopback, no Dagster run)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rt_sim_helpers import ADVERTISERS, fast_client, minute_rows, request, tick

from mpo_pipeline.client.realtime_errors import RealtimeCreateUncertainError, RealtimeStatusError
from mpo_pipeline.defs.monitoring.realtime_checks import data_is_fresh, export_is_new
from mpo_pipeline.ingest.extract import Advertiser
from mpo_pipeline.ingest.realtime_extract import land_realtime_export, plan_requests
from mpo_pipeline.simulator import RunningSimulator
from mpo_pipeline.simulator.realtime_service import RealtimeService

CREATE = "/stats/realtime-reports/export"
DIMENSIONS = ("AdvertiserId", "CampaignId", "SellerId", "SellerName", "Day", "Hour", "Minute")
METRICS = ("Clicks", "Displays", "Cost")


def _advertisers(sim: RunningSimulator) -> list[Advertiser]:
    return [
        Advertiser(a["id"], a["advertiserName"], a["currencyName"], a["timeZoneId"])
        for a in sim.truth.advertisers()
    ]


def _tick_requests(sim: RunningSimulator, rt: RealtimeService, file_format: str = "Json"):
    return plan_requests(_advertisers(sim), rt.now(), 120, DIMENSIONS, METRICS, file_format)


def test_a_lost_creation_answer_creates_no_duplicate(
    rt_sim: RunningSimulator, rt: RealtimeService
) -> None:
    rt.lose_create_answers()
    rt_sim.request_log.clear()
    with fast_client(rt_sim) as client, pytest.raises(RealtimeCreateUncertainError) as info:
        client.create_export(request())
    assert rt.jobs.created_count() == 1  # the API did create it; nobody created a second
    assert rt_sim.request_log.count(path_contains=CREATE) == 1
    assert "HTTP 502" in str(info.value) and "no way to list" in str(info.value)


def test_a_cached_export_for_a_new_window_is_stale(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt.configure(cache_scope="advertisers", cache_seconds=3600)
    with fast_client(rt_sim) as client:
        first = [
            land_realtime_export(client, tmp_path, r, rt.now()) for r in _tick_requests(rt_sim, rt)
        ]
        now = tick(rt, monkeypatch, 15)
        again = [land_realtime_export(client, tmp_path, r, now) for r in _tick_requests(rt_sim, rt)]
    assert all(r.written for r in first)
    assert [r.export_id for r in again] == [r.export_id for r in first]
    assert all(r.reused and not r.written for r in again)
    check = export_is_new(again)
    assert not check.passed and all(r.export_id in (check.description or "") for r in again)
    assert len(list(tmp_path.glob("realtime/export_date=*/*.parquet"))) == len(first)


def test_a_new_start_each_tick_defeats_the_identical_request_cache(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt.configure(cache_scope="request", cache_seconds=3600)
    with fast_client(rt_sim) as client:
        (eur, _jpy) = _tick_requests(rt_sim, rt)
        first = land_realtime_export(client, tmp_path, eur, rt.now())
        now = tick(rt, monkeypatch, 15)
        (eur_later, _jpy) = _tick_requests(rt_sim, rt)
        later = land_realtime_export(client, tmp_path, eur_later, now)
    assert first.written and later.written and later.export_id != first.export_id
    assert later.window_start == first.window_start + timedelta(minutes=15)


def test_an_outage_shows_as_silence_against_the_clock(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    outage = rt.now() - timedelta(minutes=75)
    rt.configure(outage_from=outage)
    with fast_client(rt_sim) as client:
        reports = [
            land_realtime_export(client, tmp_path, r, rt.now()) for r in _tick_requests(rt_sim, rt)
        ]
    truth = rt.truth(ADVERTISERS, rt.now() - timedelta(minutes=120))
    assert max(truth.column("minute").to_pylist()) < 60  # data exist, up to the outage only
    assert max(r.newest_activity for r in reports) == outage
    check = data_is_fresh(reports, tmp_path, rt.now(), 30)
    assert not check.passed and "75 min before now" in (check.description or "")


def test_an_outage_longer_than_the_window_lands_an_empty_export_and_fails(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    rt.configure(outage_from=rt.now() - timedelta(hours=3))
    with fast_client(rt_sim) as client:
        (eur, _jpy) = _tick_requests(rt_sim, rt)
        report = land_realtime_export(client, tmp_path, eur, rt.now())
    assert report.written and report.rows == 0 and report.newest_activity is None
    (log,) = tmp_path.glob("realtime_log/export_date=*/*.parquet")
    assert pq.read_table(log).to_pylist()[0]["rows"] == 0  # the empty export is on record
    check = data_is_fresh([report], tmp_path, rt.now(), 30)
    assert not check.passed and "no activity at all" in (check.description or "")


def test_the_currency_is_named_so_the_eur_default_cannot_mislabel_costs(
    rt_sim: RunningSimulator, rt: RealtimeService, tmp_path: Path
) -> None:
    rt.configure(default_currency="EUR")  # what earlier revisions of the reference said
    with fast_client(rt_sim) as client:
        reports = [
            land_realtime_export(client, tmp_path, r, rt.now()) for r in _tick_requests(rt_sim, rt)
        ]
        unnamed = client.run_export(request(advertiser_ids=(42222,)))  # JPY, currency left out
    landed = pq.read_table(next(r.path for r in reports if r.currency == "JPY"))
    truth = rt.truth((42222,), rt.now() - timedelta(minutes=120))
    assert minute_rows(landed.select(list(truth.column_names))) == minute_rows(truth)
    assert set(landed.column("currency").to_pylist()) == {"JPY"}
    # Left to the default, the same minutes come in EUR (160 yen a euro at the simulator's rate),
    # each rounded to the cent: what the old client would have labelled yen.
    yen = {row[:7]: row[9] / 100 for row in minute_rows(truth)}
    euros = {row[:7]: row[9] / 100 for row in minute_rows(unnamed.table)}
    assert euros.keys() <= yen.keys() and len(euros) > 100
    assert all(abs(euros[k] * 160 - yen[k]) <= 0.005 * 160 + 0.5 for k in euros)
    assert sum(euros.values()) * 100 < sum(yen.values())


def test_an_undocumented_status_fails_at_once(
    rt_sim: RunningSimulator, rt: RealtimeService
) -> None:
    rt.configure(pending_status="InProgress", job_seconds=30)
    rt_sim.request_log.clear()
    with fast_client(rt_sim) as client, pytest.raises(RealtimeStatusError) as info:
        client.run_export(request())
    # The creation already answers the status: no poll at all, let alone 30 s of them.
    assert "'InProgress'" in str(info.value)
    assert rt_sim.request_log.count(path_contains="/report-jobs/") == 0


@pytest.mark.parametrize(
    ("shape", "file_format", "landed_as"),
    [
        ("raw", "Csv", "csv"),
        ("gzip", "Csv", "gzip csv"),
        ("oas-wrapper", "Json", "oas-wrapper json"),
        ("ndjson", "Json", "ndjson"),
        ("redirect", "Json", "json"),
    ],
)
def test_each_download_shape_lands_the_truth(
    rt_sim: RunningSimulator,
    rt: RealtimeService,
    tmp_path: Path,
    shape: str,
    file_format: str,
    landed_as: str,
) -> None:
    rt.configure(download_shape=shape)
    rt_sim.request_log.clear()
    (eur, _jpy) = _tick_requests(rt_sim, rt, file_format)
    with fast_client(rt_sim) as client:
        report = land_realtime_export(client, tmp_path, eur, rt.now())
    assert report.shape == landed_as and report.raw_path is None  # rows_count matched
    landed = pq.read_table(report.path)
    truth = rt.truth(eur.advertiser_ids, eur.start)
    assert minute_rows(landed.select(list(truth.column_names))) == minute_rows(truth)
    storage = rt_sim.request_log.count(path_contains="/_storage/realtime/")
    assert storage == (1 if shape == "redirect" else 0)
    assert rt_sim.request_log.count(path_contains="/_storage/realtime/", status=200) == storage
