"""The client secret and access tokens never leak: exceptions, repr, logs, on every failure."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from mpo_client_fakes import CLIENT_SECRET, TOKEN_PREFIX, FakeApi, json_response, make_client

from mpo_pipeline.client import MpoClient, MpoError


def _echo_token(request: httpx.Request) -> str:
    return request.headers.get("authorization", "")


SCENARIOS: dict[str, Callable[[FakeApi], None]] = {}


def scenario(name: str) -> Callable:
    def register(setup: Callable[[FakeApi], None]) -> Callable[[FakeApi], None]:
        SCENARIOS[name] = setup
        return setup

    return register


@scenario("token 400 echoing the secret")
def _(api: FakeApi) -> None:
    api.token_replies.append(
        httpx.Response(
            400,
            json={
                "error": "invalid_client",
                "error_description": f"client_secret {CLIENT_SECRET} is not valid",
            },
        )
    )


@scenario("token 401 html")
def _(api: FakeApi) -> None:
    api.token_replies.append(httpx.Response(401, content=f"<html>{CLIENT_SECRET}</html>".encode()))


@scenario("token 500 persistent")
def _(api: FakeApi) -> None:
    api.token_replies.extend([httpx.Response(500, text=f"boom {CLIENT_SECRET}")] * 6)


@scenario("token transport error")
def _(api: FakeApi) -> None:
    api.token_replies.extend([httpx.ConnectError(f"refused for {CLIENT_SECRET}")] * 6)


@scenario("token response with bad types")
def _(api: FakeApi) -> None:
    api.token_replies.append(
        httpx.Response(200, json={"access_token": f"{TOKEN_PREFIX}x", "expires_in": "later"})
    )


@scenario("401 twice echoing the token")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(
        401,
        json={
            "errors": [
                {
                    "code": "unauthorized",
                    "detail": f"token {_echo_token(r)} rejected",
                    "traceId": "t",
                }
            ]
        },
    )


@scenario("400 echoing the token")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(
        400,
        json={
            "errors": [{"code": "bad", "detail": f"header was {_echo_token(r)}", "traceId": "t"}]
        },
    )


@scenario("403")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(403, text=_echo_token(r))


@scenario("404")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(404, text=_echo_token(r))


@scenario("410")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(410, text=_echo_token(r))


@scenario("503 persistent")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(503, text=_echo_token(r))


@scenario("429 persistent")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(429, text=_echo_token(r))


def _raise_read_error(r: httpx.Request) -> httpx.Response:
    raise httpx.ReadError(f"connection reset while sending {_echo_token(r)}")


@scenario("transport error persistent")
def _(api: FakeApi) -> None:
    api.handler = _raise_read_error


@scenario("200 body echoing the token")
def _(api: FakeApi) -> None:
    api.handler = lambda r: json_response(f"not json {_echo_token(r)}".encode())


@scenario("html 200 echoing the token")
def _(api: FakeApi) -> None:
    api.handler = lambda r: httpx.Response(
        200, text=f"<html><title>{_echo_token(r)}</title></html>"
    )


def _texts_of(exc: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return texts


def _assert_clean(texts: list[str], tokens: list[str]) -> None:
    for text in texts:
        assert CLIENT_SECRET not in text
        for token in tokens:
            assert token not in text
        assert "Bearer " + TOKEN_PREFIX not in text


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("call", ["stats", "metadata"])
def test_no_secret_anywhere(
    api: FakeApi, no_jitter: None, caplog: pytest.LogCaptureFixture, name: str, call: str
) -> None:
    SCENARIOS[name](api)
    caplog.set_level(logging.DEBUG)  # every logger, httpx included
    client = make_client(api, max_attempts=3)
    with client, pytest.raises(MpoError) as info:
        if call == "stats":
            client.stats("sellers", "SameSeller", 1, date(2026, 3, 1), date(2026, 3, 1))
        else:
            client.sellers(1)
    tokens = [*list(api.issued), f"{TOKEN_PREFIX}x"]
    texts = [*_texts_of(info.value), repr(client), str(client), repr(client.metrics)]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), record.exc_text or ""]
    texts.append(caplog.text)
    _assert_clean(texts, tokens)


def test_repr_never_shows_the_secret() -> None:
    client = MpoClient(
        "https://mpo.test",
        "2026-07",
        "id",
        CLIENT_SECRET,
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    with client:
        assert CLIENT_SECRET not in repr(client)
        assert CLIENT_SECRET not in str(vars(client).get("_secret"))
