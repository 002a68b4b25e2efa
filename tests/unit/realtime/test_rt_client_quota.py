"""The hourly creation quota: a 429 on create never spins; secrets never leak."""

from __future__ import annotations

import logging
import traceback

import pytest
from rt_client_helpers import (
    CLIENT_SECRET,
    ROWS,
    TOKEN_PREFIX,
    FakeRealtimeApi,
    job,
    json_rows,
    make_client,
    problem,
    request,
)
from support.clocks import FakeClock

from mpo_pipeline.client import (
    MpoRateLimitError,
    MpoResponseError,
    RealtimeError,
    RealtimeQuotaError,
)


def test_quota_429_raises_at_once(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", problem(429, "quota-exceeded", "hourly", {"Retry-After": "1800"}))
    with make_client(api, clock) as client, pytest.raises(RealtimeQuotaError) as info:
        client.create_export(request())
    assert len(api.paths("create")) == 1  # one attempt, no retry loop
    assert clock.sleeps == []
    assert info.value.retry_after == 1800.0
    assert isinstance(info.value, MpoRateLimitError) and isinstance(info.value, RealtimeError)
    assert "hourly quota" in str(info.value) and "retry in 1800s" in str(info.value)
    assert client.metrics.rate_limited == 1


def test_quota_without_hint(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", problem(429, "quota-exceeded"))
    with make_client(api, clock, quota_wait_max=600) as client, pytest.raises(RealtimeQuotaError):
        client.create_export(request())
    assert len(api.paths("create")) == 1 and clock.sleeps == []


def test_short_quota_wait_is_waited_once(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", problem(429, "quota", headers={"Retry-After": "40"}), job("Pending"))
    with make_client(api, clock, quota_wait_max=60) as client:
        created = client.create_export(request())
    assert created.export_id and clock.sleeps == [40.0]


def test_second_quota_429_after_the_wait_gives_up(api: FakeRealtimeApi, clock: FakeClock) -> None:
    reset = {"x-ratelimit-reset": str(int(clock.wall()) + 30)}
    api.script("create", problem(429, "quota", headers=reset), problem(429, "quota", headers=reset))
    with make_client(api, clock, quota_wait_max=60) as client, pytest.raises(RealtimeQuotaError):
        client.create_export(request())
    assert len(api.paths("create")) == 2 and len(clock.sleeps) == 1


def test_429_on_polling_is_an_ordinary_retry(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Pending"))
    api.script("status", problem(429, "too-many-requests", headers={"Retry-After": "2"}))
    api.script("status", job("Done"))
    api.script("download", json_rows(ROWS))
    with make_client(api, clock) as client:
        assert client.run_export(request()).table.num_rows == 2


def test_secrets_never_in_errors_or_logs(
    api: FakeRealtimeApi, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f"secret {CLIENT_SECRET} token {TOKEN_PREFIX}1"
    api.script("create", problem(429, "quota", echo))
    caplog.set_level(logging.DEBUG)
    with make_client(api, clock) as client, pytest.raises(RealtimeQuotaError) as info:
        client.create_export(request())
    text = "".join(traceback.format_exception(info.value)) + caplog.text + repr(client)
    assert CLIENT_SECRET not in text and f"{TOKEN_PREFIX}1" not in text
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_failure_message_echoing_the_secret_is_scrubbed(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    api.script("create", job("Pending"))
    api.script("status", job("Done"))
    api.script("download", json_rows([{**ROWS[0], "advertiserId": "x" + CLIENT_SECRET}]))
    with make_client(api, clock) as client, pytest.raises(MpoResponseError) as info:
        client.run_export(request())
    assert "advertiserId" in str(info.value) and "***" in str(info.value)
    assert CLIENT_SECRET not in "".join(traceback.format_exception(info.value))
