"""OAuth2 client credentials: form, caching, refresh ahead of expiry, 401 handling."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import httpx
import pytest
from mpo_client_fakes import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeApi, make_client, problem

from mpo_pipeline.client import MpoAuthError, MpoClient, MpoServerError
from mpo_pipeline.client.auth import refresh_margin
from mpo_pipeline.core.secret import Secret


def test_token_request_form(api: FakeApi) -> None:
    with make_client(api) as client:
        client.advertisers()
    (request,) = api.token_requests
    assert request.method == "POST"
    assert str(request.url) == "https://mpo.test/oauth2/token"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "grant_type": ["client_credentials"],
    }
    assert "authorization" not in request.headers


def test_secret_object_accepted(api: FakeApi) -> None:
    with MpoClient(
        BASE_URL,
        "2026-07",
        CLIENT_ID,
        Secret(CLIENT_SECRET),
        transport=api.transport(),
        sleep=api.clock.sleep,
        monotonic=api.clock.monotonic,
    ) as client:
        client.advertisers()
    assert parse_qs(api.token_requests[0].content.decode())["client_secret"] == [CLIENT_SECRET]


def test_token_cached_across_calls(api: FakeApi) -> None:
    with make_client(api) as client:
        for _ in range(5):
            client.advertisers()
            api.clock.advance(60)
        assert client.metrics.token_requests == 1
    assert len(api.token_requests) == 1
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer tok3n-SECRET-1"}


def test_refresh_margin() -> None:
    assert refresh_margin(900) == 60
    assert refresh_margin(5) == pytest.approx(0.5)
    assert refresh_margin(300) == 30


def test_token_refreshed_ahead_of_expiry(api: FakeApi) -> None:
    with make_client(api) as client:
        client.advertisers()
        api.clock.advance(900 - 60 - 1)  # still inside the margin
        client.advertisers()
        assert len(api.token_requests) == 1
        api.clock.advance(1)  # 60 s before expiry: refresh
        client.advertisers()
    assert len(api.token_requests) == 2
    assert api.requests[-1].headers["authorization"] == "Bearer tok3n-SECRET-2"


def test_short_ttl_still_works(clock) -> None:
    api = FakeApi(clock, token_ttl=5)
    with make_client(api) as client:
        client.advertisers()
        clock.advance(4)
        client.advertisers()
        assert len(api.token_requests) == 1
        clock.advance(0.6)  # 4.6 s: past 5 - 0.5
        client.advertisers()
    assert len(api.token_requests) == 2


def test_401_refreshes_once_and_retries(api: FakeApi) -> None:
    api.queue(problem(401, code="token-expired"), httpx.Response(200, json=[]))
    with make_client(api) as client:
        client.advertisers()
        assert client.metrics.token_requests == 2
    assert len(api.requests) == 2
    assert api.requests[0].headers["authorization"] == "Bearer tok3n-SECRET-1"
    assert api.requests[1].headers["authorization"] == "Bearer tok3n-SECRET-2"
    assert api.clock.sleeps == []


def test_second_401_raises_auth_error(api: FakeApi) -> None:
    api.handler = lambda request: problem(401, code="unauthorized", detail="token rejected")
    with make_client(api) as client, pytest.raises(MpoAuthError) as info:
        client.advertisers()
    assert len(api.requests) == 2
    assert len(api.token_requests) == 2
    assert "HTTP 401" in str(info.value)
    assert "token rejected" in str(info.value)


def test_token_endpoint_400_is_fatal_without_retry(api: FakeApi) -> None:
    api.token_replies.append(
        httpx.Response(
            400,
            json={"error": "invalid_client", "error_description": "Client authentication failed"},
        )
    )
    with make_client(api) as client, pytest.raises(MpoAuthError) as info:
        client.advertisers()
    assert len(api.token_requests) == 1
    assert api.requests == []
    assert api.clock.sleeps == []
    assert "invalid_client" in str(info.value)
    assert "MPO_CLIENT_ID" in str(info.value)


def test_token_endpoint_5xx_and_transport_errors_retried(api: FakeApi, no_jitter: None) -> None:
    api.token_replies.extend([httpx.Response(503), httpx.ConnectError("refused")])
    with make_client(api) as client:
        client.advertisers()
    assert len(api.token_requests) == 3
    assert api.clock.sleeps == [0.5, 1.0]


def test_token_endpoint_persistent_5xx(api: FakeApi, no_jitter: None) -> None:
    api.token_replies.extend([httpx.Response(500)] * 3)
    with make_client(api, max_attempts=3) as client, pytest.raises(MpoServerError):
        client.advertisers()
    assert len(api.token_requests) == 3


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"token_type": "Bearer"}', b'{"access_token": "x", "expires_in": "soon"}'],
)
def test_unusable_token_response(api: FakeApi, body: bytes) -> None:
    api.token_replies.append(httpx.Response(200, content=body))
    with make_client(api) as client, pytest.raises(MpoAuthError, match="token"):
        client.advertisers()


def test_refresh_token_not_required(api: FakeApi) -> None:
    api.token_replies.append(
        httpx.Response(200, json={"access_token": "tok3n-SECRET-x", "expires_in": 900})
    )
    with make_client(api) as client:
        client.advertisers()
    assert api.requests[0].headers["authorization"] == "Bearer tok3n-SECRET-x"


def test_one_token_fetch_for_concurrent_threads(api: FakeApi) -> None:
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    with make_client(api) as client:

        def work() -> None:
            try:
                barrier.wait()
                client.advertisers()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(api.token_requests) == 1
    assert len(api.requests) == 8
