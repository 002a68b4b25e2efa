"""Create → poll → download with a fake clock: intervals, backoff, statuses, timeouts."""

from __future__ import annotations

import json

import pytest
from rt_client_helpers import (
    EXPORT_ID,
    ROOT,
    ROWS,
    FakeRealtimeApi,
    job,
    json_rows,
    make_client,
    problem,
    request,
)
from support.clocks import FakeClock

from mpo_pipeline.client import (
    ExportStatus,
    MpoNotFoundError,
    RealtimeExportExpiredError,
    RealtimeExportFailedError,
    RealtimeTimeoutError,
)


def test_full_cycle_polls_politely_with_backoff(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending"))
    api.script("status", job("PENDING"), job("pending"), job("Unknown"), job("DONE", message="n=2"))
    api.script("download", json_rows(ROWS))
    with make_client(api, clock) as client:
        export = client.run_export(request())
    assert export.export_id == EXPORT_ID and export.polls == 4
    assert export.job.status is ExportStatus.DONE and export.job.message == "n=2"
    # 5 s first (the API's floor), then x1.5 up to the 30 s cap.
    assert clock.sleeps == [5.0, 7.5, 11.25, 16.875]
    gaps = [b - a for a, b in zip(api.times, api.times[1:], strict=False)]
    assert all(gap >= 5.0 for gap in gaps[:-1])  # polls never closer than the interval
    create = api.requests[0]
    assert create.method == "POST"
    assert create.url.path == f"{ROOT}/stats/realtime-reports/export"
    assert create.headers["content-type"] == "application/json"
    assert json.loads(create.content)["data"]["attributes"]["lookbackWindow"] == 120
    assert api.requests[1].url.path == f"{ROOT}/stats/report-jobs/{EXPORT_ID}"
    assert api.requests[-1].url.path == f"{ROOT}/stats/realtime-reports/{EXPORT_ID}"
    assert export.table.num_rows == 2 and export.raw.startswith(b"[")


def test_interval_is_injectable_and_capped(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending"))
    api.script("status", *[job("Pending")] * 5, job("Done"))
    api.script("download", json_rows(ROWS))
    with make_client(api, clock, poll_interval=6.0, max_poll_interval=12.0, poll_backoff=2) as c:
        c.run_export(request())
    assert clock.sleeps == [6.0, 12.0, 12.0, 12.0, 12.0, 12.0]


def test_polling_faster_than_the_apis_5_seconds_is_refused(api: FakeRealtimeApi) -> None:
    with pytest.raises(ValueError, match=r"poll interval 2.0s is below 5.0s"):
        make_client(api, FakeClock(), poll_interval=2.0)


def test_no_poll_comes_sooner_than_5_seconds_near_the_deadline(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    # 22 s of timeout, polls every 10 s: after two waits 2 s are left, and the last wait must
    # still be the API's 5 s, not the 2 s left before the deadline.
    api.script("create", job("Pending"))
    api.script("status", *[job("Pending")] * 3)
    with (
        make_client(api, clock, poll_interval=10.0, poll_backoff=1, job_timeout=22.0) as c,
        pytest.raises(RealtimeTimeoutError),
    ):
        c.run_export(request())
    assert clock.sleeps == [10.0, 10.0, 5.0]
    gaps = [b - a for a, b in zip(api.times, api.times[1:], strict=False)]
    assert min(gaps) >= 5.0


def test_done_at_creation_needs_no_poll(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Done"))
    api.script("download", json_rows(ROWS))
    with make_client(api, clock) as client:
        export = client.run_export(request())
    assert export.polls == 0 and clock.sleeps == []


@pytest.mark.parametrize("status", ["Failure", "FAILURE", "failure"])
def test_failure_is_a_typed_error(api: FakeRealtimeApi, clock: FakeClock, status: str) -> None:
    api.script("create", job("Pending"))
    api.script("status", job(status, message="internal error"))
    with make_client(api, clock) as client, pytest.raises(RealtimeExportFailedError) as info:
        client.run_export(request())
    assert info.value.export_id == EXPORT_ID
    assert "failed" in str(info.value) and "internal error" in str(info.value)
    assert not api.paths("download")


def test_expired_while_polling(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending"))
    api.script("status", job("EXPIRED"))
    with make_client(api, clock) as client, pytest.raises(RealtimeExportExpiredError) as info:
        client.run_export(request())
    assert info.value.export_id == EXPORT_ID and "create a new export" in str(info.value)


def test_expired_at_download_is_explained(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Done"))
    api.script("download", problem(404, "export-expired", "gone"))
    api.script("status", job("Expired"))
    with make_client(api, clock) as client, pytest.raises(RealtimeExportExpiredError):
        client.run_export(request())


def test_unexplained_download_404_stays_not_found(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Done"))
    api.script("download", problem(404, "not-found"))
    api.script("status", job("Done"))
    with make_client(api, clock) as client, pytest.raises(MpoNotFoundError):
        client.run_export(request())


def test_timeout_bounds_the_wait(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending"))
    api.script("status", *[job("Pending")] * 50)
    with (
        make_client(api, clock, job_timeout=60.0) as client,
        pytest.raises(RealtimeTimeoutError) as info,
    ):
        client.run_export(request())
    assert sum(clock.sleeps) == pytest.approx(60.0)
    assert len(api.paths("status")) <= 6
    assert "still 'Pending'" in str(info.value)


def test_server_errors_on_reads_are_retried_by_the_shared_transport(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    api.script("create", job("Pending"))
    api.script("status", problem(500, "boom"), job("Done"))
    api.script("download", problem(503, "unavailable"), json_rows(ROWS))
    with make_client(api, clock) as client:
        export = client.run_export(request())
    assert export.table.num_rows == 2
    assert client.metrics.retries == 2


def test_cached_export_id_is_flagged(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending"), job("Done"))
    with make_client(api, clock) as client:
        first = client.create_export(request())
        again = client.create_export(request())
    assert first.export_id == again.export_id
    assert not first.reused and again.reused


def test_unsafe_export_id_is_refused(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending", export_id="../../etc/passwd"))
    with make_client(api, clock) as client, pytest.raises(Exception, match="plain token"):
        client.create_export(request())
