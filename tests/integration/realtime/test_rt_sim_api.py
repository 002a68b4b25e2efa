"""Create → poll → download against the simulator on loopback: formats, Failure, Expired,
the hourly quota, slow jobs, cached ids and the request contract."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from rt_sim_helpers import ADVERTISERS, fast_client, minute_rows, request

from mpo_pipeline.client import (
    RealtimeExportExpiredError,
    RealtimeExportFailedError,
    RealtimeQuotaError,
    RealtimeTimeoutError,
)
from mpo_pipeline.simulator import RunningSimulator
from mpo_pipeline.simulator.realtime_service import RealtimeService

CREATE = "/stats/realtime-reports/export"


def test_json_and_csv_match_the_truth(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    with fast_client(rt_sim) as client:
        as_json = client.run_export(request(file_format="Json"))
        as_csv = client.run_export(request(file_format="Csv"))
    assert as_json.content_type == "application/json" and as_csv.content_type == "text/csv"
    assert as_json.raw.startswith(b"[{") and as_csv.raw.startswith(b"AdvertiserId,")
    assert as_json.table.equals(as_csv.table)
    truth = rt.truth(ADVERTISERS, rt.now() - timedelta(minutes=120))
    assert minute_rows(as_json.table) == minute_rows(truth)
    assert as_json.table.num_rows > 1000
    last = max(as_json.table.column("interval_start").to_pylist())
    assert last == rt.data_horizon() - timedelta(minutes=1)  # 10 minutes of latency
    assert as_json.job.message == f"rows_count={as_json.table.num_rows}"


def test_failure(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    rt.fail_next()
    with fast_client(rt_sim) as client, pytest.raises(RealtimeExportFailedError) as info:
        client.run_export(request())
    assert info.value.export_id and "failed" in str(info.value)
    download = f"/stats/realtime-reports/{info.value.export_id}"
    assert rt_sim.request_log.count(path_contains=download) == 0


def test_expired(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    rt.configure(expire_seconds=0.2)
    with fast_client(rt_sim) as client:
        job, _ = client.wait_for_export(client.create_export(request()))
        time.sleep(0.3)
        with pytest.raises(RealtimeExportExpiredError):
            client.download_export(job.export_id)
        rt.configure(expire_seconds=3600)
        job = client.create_export(request(lookback_minutes=90))
        rt.expire(job.export_id)
        with pytest.raises(RealtimeExportExpiredError):
            client.wait_for_export(job)


def test_quota_is_not_spun_on(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    rt.configure(hourly_quota=2)
    rt_sim.request_log.clear()
    with fast_client(rt_sim) as client:
        client.create_export(request(lookback_minutes=60))
        client.create_export(request(lookback_minutes=61))
        with pytest.raises(RealtimeQuotaError) as info:
            client.create_export(request(lookback_minutes=62))
    assert info.value.retry_after is not None and 3500 < info.value.retry_after <= 3600
    assert rt_sim.request_log.count(path_contains=CREATE) == 3
    assert rt_sim.request_log.count(path_contains=CREATE, status=429) == 1


def test_cached_id_for_identical_requests(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    rt.configure(cache_seconds=60, hourly_quota=1)
    with fast_client(rt_sim) as client:
        first = client.run_export(request())
        again = client.run_export(request())
    assert again.export_id == first.export_id and again.job.reused and again.polls == 0
    assert again.table.equals(first.table)


def test_slow_job_is_polled_until_done(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    rt.configure(job_seconds=0.6)
    started = time.monotonic()
    with fast_client(rt_sim, poll_interval=0.1, max_poll_interval=0.2) as client:
        export = client.run_export(request())
    assert time.monotonic() - started >= 0.6
    assert 3 <= export.polls <= 8


def test_timeout_with_a_fake_clock(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    rt.configure(job_seconds=600)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with (
        fast_client(
            rt_sim,
            poll_interval=5,
            max_poll_interval=10,
            job_timeout=60,
            sleep=sleep,
            monotonic=lambda: now[0],
        ) as client,
        pytest.raises(RealtimeTimeoutError),
    ):
        client.run_export(request())
    # the client waited on the injected clock only: 60 simulated seconds, its whole timeout
    assert now[0] == pytest.approx(60)


def _create(rt_sim: RunningSimulator, attributes: dict, version: str = "preview") -> httpx.Response:
    token = httpx.post(
        rt_sim.url + "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": rt_sim.config.client_id,
            "client_secret": rt_sim.config.client_secret,
        },
    ).json()["access_token"]
    body = {"data": {"type": "RealTimeProductReportJob", "attributes": attributes}}
    return httpx.post(
        rt_sim.api_url(version) + CREATE, json=body, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize(
    ("attributes", "status", "code"),
    [
        ({"advertiserIds": ["41111"], "lookbackWindow": 59}, 400, "invalid-lookback-window"),
        ({"advertiserIds": ["41111"], "lookbackWindow": 1441}, 400, "invalid-lookback-window"),
        (
            {"advertiserIds": ["41111"], "lookbackWindow": 60, "startDate": "2026-03-01T10:00Z"},
            400,
            "mutually-exclusive-fields",
        ),
        ({"advertiserIds": ["41111"], "colour": "red"}, 400, "unknown-field"),
        ({"lookbackWindow": 60}, 400, "required-field"),
        ({"advertiserIds": ["99999"]}, 403, "forbidden"),
        ({"advertiserIds": ["41111"], "metrics": ["Revenue"]}, 400, "invalid-enum-value"),
    ],
)
def test_request_contract(
    rt_sim: RunningSimulator, rt: RealtimeService, attributes: dict, status: int, code: str
) -> None:
    response = _create(rt_sim, attributes)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code


def test_preview_only_and_defaults(rt_sim: RunningSimulator, rt: RealtimeService) -> None:
    assert _create(rt_sim, {"advertiserIds": ["41111"]}, version="2026-07").status_code == 404
    created = _create(rt_sim, {"advertiserIds": ["41111"], "fileFormat": "JSON"})
    attributes = created.json()["data"]["attributes"]
    assert created.status_code == 200 and attributes["status"] == "Pending"
    assert _create(rt_sim, {"advertiserIds": ["41111"]}, version="experimental").status_code == 200
