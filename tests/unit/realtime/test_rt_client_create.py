"""The creation call is never blindly retried; 429s are told apart; statuses fail fast; hints.

Each test scripts the fake API (``httpx.MockTransport``) and asserts what a user sees: the typed
error, its message, and how many creations reached the API.
"""

from __future__ import annotations

import httpx
import pytest
from rt_client_helpers import EXPORT_ID, FakeRealtimeApi, job, make_client, problem, request
from support.clocks import FakeClock

from mpo_pipeline.client import MpoApiVersionError, MpoForbiddenError, RealtimeQuotaError
from mpo_pipeline.client.realtime_errors import (
    RealtimeCreateUncertainError,
    RealtimeStatusError,
    is_per_minute_limit,
)
from mpo_pipeline.simulator.faults import RateLimiter


def _raise(error: Exception):
    def reply(request: httpx.Request) -> httpx.Response:
        raise error

    return reply


@pytest.mark.parametrize(
    "lost",
    [
        problem(502, "bad-gateway", "upstream timed out"),
        problem(500, "internal-error"),
        _raise(httpx.ReadTimeout("timed out")),
        _raise(httpx.RemoteProtocolError("server disconnected without sending a response")),
    ],
    ids=["502", "500", "read-timeout", "dropped"],
)
def test_a_creation_that_may_have_been_accepted_is_not_sent_again(
    api: FakeRealtimeApi, clock: FakeClock, lost: object
) -> None:
    api.script("create", lost, job("Pending"))  # a retry would create a second job
    with make_client(api, clock) as client, pytest.raises(RealtimeCreateUncertainError) as info:
        client.create_export(request())
    assert len(api.paths("create")) == 1
    text = str(info.value)
    assert "offers no way to list export jobs" in text
    assert "hourly creation quota" in text and "advertisers [41111]" in text
    assert info.value.__context__ is None


@pytest.mark.parametrize(
    "refused",
    [httpx.ConnectError("connection refused"), httpx.ConnectTimeout("connect timed out")],
    ids=["refused", "connect-timeout"],
)
def test_a_creation_that_never_left_is_retried(
    api: FakeRealtimeApi, clock: FakeClock, refused: Exception
) -> None:
    api.script("create", _raise(refused), job("Pending"))
    with make_client(api, clock) as client:
        created = client.create_export(request())
    assert created.export_id == EXPORT_ID
    assert len(api.paths("create")) == 2 and client.metrics.retries == 1


def test_per_minute_429_on_create_is_waited_out_and_sent_again(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    budget = {"x-ratelimit-limit": "250", "x-ratelimit-remaining": "0"}
    budget["x-ratelimit-reset"] = str(int(clock.wall()) + 7)
    api.script("create", problem(429, "too-many-requests", headers=budget), job("Pending"))
    with make_client(api, clock) as client:
        created = client.create_export(request())
    assert created.export_id == EXPORT_ID and len(api.paths("create")) == 2
    assert sum(clock.sleeps) == pytest.approx(7.0)


def test_quota_429_with_calls_left_in_the_minute_is_the_quota(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    headers = {"x-ratelimit-limit": "250", "x-ratelimit-remaining": "212", "Retry-After": "1500"}
    api.script("create", problem(429, "realtime-export-quota-exceeded", headers=headers))
    with make_client(api, clock) as client, pytest.raises(RealtimeQuotaError) as info:
        client.create_export(request())
    assert len(api.paths("create")) == 1 and clock.sleeps == []
    assert info.value.retry_after == 1500.0


def test_the_simulators_two_429s_look_as_decided() -> None:
    limiter = RateLimiter(1, now=lambda: 1_000.0)
    limiter.hit()
    refused = limiter.hit()
    assert not refused.allowed and is_per_minute_limit(refused.headers())
    # The quota 429 leaves the per-minute budget alone: calls remain.
    assert not is_per_minute_limit({"x-ratelimit-remaining": "249", "retry-after": "3000"})
    assert not is_per_minute_limit({"retry-after": "3000"})  # no budget headers: the quota


def test_an_undocumented_status_fails_at_once_naming_it(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    api.script("create", job("Pending"))
    api.script("status", *[job("InProgress")] * 200)  # an old client polls these for 900 s
    with make_client(api, clock) as client, pytest.raises(RealtimeStatusError) as info:
        client.run_export(request())
    assert "'InProgress'" in str(info.value) and info.value.export_id == EXPORT_ID
    assert len(api.paths("status")) == 1 and clock.sleeps == [5.0]


def test_the_listed_unknown_status_is_polled_three_times_then_fails(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    api.script("create", job("Unknown"))
    api.script("status", *[job("Unknown")] * 200)
    with make_client(api, clock) as client, pytest.raises(RealtimeStatusError) as info:
        client.run_export(request())
    assert "'Unknown' 4 times in a row" in str(info.value)
    assert len(api.paths("status")) == 3


def test_403_and_410_hints_name_the_realtime_scope_and_version(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    api.script("create", problem(403, "forbidden"), problem(410, "version-decommissioned"))
    with make_client(api, clock) as client:
        with pytest.raises(MpoForbiddenError) as denied:
            client.create_export(request())
        with pytest.raises(MpoApiVersionError) as gone:
            client.create_export(request())
    for error in (denied.value, gone.value):
        text = str(error)
        assert "MarketingSolutions_Analytics_Read" in text and "'preview'" in text
        assert "MarketingSolutions_Campaign_Read" not in text and "2026-07" not in text
