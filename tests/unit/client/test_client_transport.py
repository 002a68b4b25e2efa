"""Retries, waits and typed errors of the transport (through the public client)."""

from __future__ import annotations

import email.utils
import logging

import httpx
import pytest
from mpo_client_fakes import API_ROOT, BrokenStream, FakeApi, make_client, problem
from support.clocks import EPOCH

from mpo_pipeline.client import (
    DeprecationNotice,
    MpoApiVersionError,
    MpoError,
    MpoForbiddenError,
    MpoGatewayError,
    MpoNotFoundError,
    MpoRateLimitError,
    MpoResponseError,
    MpoServerError,
    MpoValidationError,
)

ADVERTISERS = [{"id": 1, "advertiserName": "A", "currencyName": "EUR", "timeZoneId": "UTC"}]


def ok() -> httpx.Response:
    return httpx.Response(200, json=ADVERTISERS)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_retryable_statuses_then_success(api: FakeApi, no_jitter: None, status: int) -> None:
    api.queue(problem(status), problem(status), ok())
    with make_client(api) as client:
        table = client.advertisers()
        assert table.num_rows == 1
        assert client.metrics.retries == 2
        assert client.metrics.calls == 3
        assert client.metrics.rate_limited == (2 if status == 429 else 0)
    assert api.clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadError("connection reset by peer"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
    ],
)
def test_transport_errors_then_success(api: FakeApi, no_jitter: None, error: Exception) -> None:
    api.queue(error, ok())
    with make_client(api) as client:
        assert client.advertisers().num_rows == 1
        assert client.metrics.retries == 1
    assert api.clock.sleeps == [0.5]


def test_connection_dropped_mid_body_is_retried(api: FakeApi, no_jitter: None) -> None:
    api.queue(httpx.Response(200, stream=BrokenStream()), ok())
    with make_client(api) as client:
        assert client.advertisers().num_rows == 1
    assert len(api.requests) == 2


def test_retry_logs_status_and_wait(
    api: FakeApi, no_jitter: None, caplog: pytest.LogCaptureFixture
) -> None:
    api.queue(problem(503), ok())
    with caplog.at_level(logging.WARNING, logger="mpo_pipeline.client"), make_client(api) as c:
        c.advertisers()
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 1
    assert "HTTP 503" in retries[0] and "0.50s" in retries[0] and "/advertisers" in retries[0]


def test_400_is_not_retried_and_names_the_problem(api: FakeApi) -> None:
    api.queue(
        problem(
            400,
            code="invalid-date-range",
            detail="endDate before startDate",
            trace_id="abc-trace-42",
        )
    )
    with make_client(api) as client, pytest.raises(MpoValidationError) as info:
        client.advertisers()
    assert len(api.requests) == 1
    assert api.clock.sleeps == []
    message = str(info.value)
    assert "invalid-date-range" in message
    assert "endDate before startDate" in message
    assert "abc-trace-42" in message
    assert "HTTP 400" in message
    assert f"GET {API_ROOT}/advertisers" in message
    assert info.value.status == 400
    assert info.value.trace_id == "abc-trace-42"


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            403,
            problem(403, code="forbidden", detail="consent revoked"),
            MpoForbiddenError,
            ["HTTP 403", "consent revoked", "access"],
        ),
        (
            404,
            problem(404, code="not-found", detail="advertiser 9 unknown"),
            MpoNotFoundError,
            ["HTTP 404", "advertiser 9 unknown", "MPO_API_VERSION"],
        ),
        (
            404,
            problem(404, code="unknown-version", detail="API version 2024-01 does not exist"),
            MpoApiVersionError,
            ["unknown", "MPO_API_VERSION", "2026-07"],
        ),
        (
            410,
            problem(410, code="version-retired", detail="gone"),
            MpoApiVersionError,
            ["retired", "bump MPO_API_VERSION", "410"],
        ),
    ],
)
def test_final_4xx_not_retried(
    api: FakeApi, status: int, body: httpx.Response, error: type[MpoError], words: list[str]
) -> None:
    api.queue(body)
    with make_client(api) as client, pytest.raises(error) as info:
        client.advertisers()
    assert len(api.requests) == 1
    assert api.clock.sleeps == []
    for word in words:
        assert word in str(info.value)
    assert not isinstance(info.value, MpoServerError)


def test_retry_after_seconds_honoured(api: FakeApi) -> None:
    api.queue(problem(429, headers={"Retry-After": "7"}), ok())
    with make_client(api) as client:
        client.advertisers()
    assert api.clock.sleeps == [7.0]


def test_retry_after_http_date_honoured(api: FakeApi) -> None:
    when = email.utils.formatdate(EPOCH + 12, usegmt=True)  # clock.wall() starts at EPOCH
    api.queue(problem(503, headers={"Retry-After": when}), ok())
    with make_client(api) as client:
        client.advertisers()
    assert api.clock.sleeps == [pytest.approx(12.0)]


def test_ratelimit_reset_honoured(api: FakeApi) -> None:
    headers = {
        "x-ratelimit-limit": "250",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(EPOCH) + 9),
    }
    api.queue(problem(429, headers=headers), ok())
    with make_client(api) as client:
        client.advertisers()
    # One wait only: the retry sleep and the "remaining: 0" pause end at the same instant.
    assert api.clock.sleeps == [pytest.approx(9.0)]
    assert api.times[1] - api.times[0] == pytest.approx(9.0)


def test_server_waits_are_capped(api: FakeApi) -> None:
    api.queue(problem(429, headers={"Retry-After": "3600"}), ok())
    with make_client(api) as client:
        client.advertisers()
    assert api.clock.sleeps == [60.0]


def test_remaining_zero_on_success_delays_next_call(api: FakeApi) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(EPOCH) + 20)}
    api.queue(httpx.Response(200, json=ADVERTISERS, headers=headers), ok())
    with make_client(api) as client:
        client.advertisers()
        assert api.clock.sleeps == []
        client.advertisers()
    assert api.clock.sleeps == [pytest.approx(20.0)]
    assert api.times[1] - api.times[0] == pytest.approx(20.0)


def test_backoff_is_capped_with_jitter_and_attempts_bounded(api: FakeApi) -> None:
    api.handler = lambda request: problem(503)
    with make_client(api, max_attempts=10) as client, pytest.raises(MpoServerError) as info:
        client.advertisers()
    assert len(api.requests) == 10
    sleeps = api.clock.sleeps
    assert len(sleeps) == 9
    bases = [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    for wait, base in zip(sleeps, bases, strict=True):
        assert 0.75 * base <= wait <= base
    assert "after 10 attempt(s)" in str(info.value)
    assert "HTTP 503" in str(info.value)


def test_exhausted_429_raises_rate_limit_error(api: FakeApi, no_jitter: None) -> None:
    api.handler = lambda request: problem(429, code="quota", detail="too many calls")
    with make_client(api, max_attempts=3) as client, pytest.raises(MpoRateLimitError) as info:
        client.advertisers()
    assert len(api.requests) == 3
    assert api.clock.sleeps == [0.5, 1.0]
    assert "too many calls" in str(info.value)


def test_exhausted_transport_errors_raise_server_error(api: FakeApi, no_jitter: None) -> None:
    api.handler = lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("timed out"))
    with make_client(api, max_attempts=4) as client, pytest.raises(MpoServerError) as info:
        client.advertisers()
    assert len(api.requests) == 4
    assert "ReadTimeout" in str(info.value)


def test_html_502_after_retries_is_a_gateway_error(api: FakeApi, no_jitter: None) -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body/></html>"
    api.handler = lambda request: httpx.Response(
        502, content=page, headers={"content-type": "text/html"}
    )
    with make_client(api, max_attempts=2) as client, pytest.raises(MpoGatewayError) as info:
        client.advertisers()
    assert isinstance(info.value, MpoServerError)
    assert isinstance(info.value, MpoResponseError)
    assert "502 Bad Gateway" in str(info.value)
    assert "HTML" in str(info.value)


def test_deprecation_headers_captured_once(api: FakeApi, caplog: pytest.LogCaptureFixture) -> None:
    headers = {"Deprecation": "true", "Sunset": "Wed, 01 Jul 2026 00:00:00 GMT"}
    api.handler = lambda request: httpx.Response(200, json=ADVERTISERS, headers=headers)
    with caplog.at_level(logging.WARNING, logger="mpo_pipeline.client"), make_client(api) as c:
        c.advertisers()
        c.advertisers()
        c.sellers(5)
        assert c.metrics.deprecations == [
            DeprecationNotice(
                api_version="2026-07",
                deprecation="true",
                sunset="Wed, 01 Jul 2026 00:00:00 GMT",
                path=f"{API_ROOT}/advertisers",
            )
        ]
    warnings = [r for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(warnings) == 1
    assert "Sunset" in warnings[0].getMessage()


def test_request_headers_and_url(api: FakeApi) -> None:
    with make_client(api) as client:
        client.budgets(42, end_after_date=__import__("datetime").date(2026, 1, 1))
    request = api.requests[0]
    assert request.url.path == f"{API_ROOT}/budgets"
    assert dict(request.url.params) == {"advertiserId": "42", "endAfterDate": "2026-01-01"}
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"] == "Bearer tok3n-SECRET-1"


def test_ratelimit_reset_ignored_on_5xx(api: FakeApi, no_jitter: None) -> None:
    # The API sends x-ratelimit-* on every answer; on a 500 they say nothing about recovery.
    headers = {"x-ratelimit-remaining": "200", "x-ratelimit-reset": str(int(EPOCH) + 59)}
    api.queue(problem(500, headers=headers), ok())
    with make_client(api) as client:
        client.advertisers()
    assert api.clock.sleeps == [0.5]
