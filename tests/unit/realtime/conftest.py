"""Fixtures of the real-time client tests: fake clock, scripted fake API, isolated limiters."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from rt_client_helpers import FakeRealtimeApi
from support.clocks import FakeClock

from mpo_pipeline.client import backoff, ratelimit


@pytest.fixture(autouse=True)
def _isolated_limiters() -> Iterator[None]:
    ratelimit.reset_shared_limiters()
    yield
    ratelimit.reset_shared_limiters()


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backoff, "_random", lambda: 0.0)


@pytest.fixture(autouse=True)
def _no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every wait must go through the injected fake clock."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"real time.sleep({seconds}) called")

    monkeypatch.setattr(time, "sleep", refuse)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> FakeRealtimeApi:
    return FakeRealtimeApi(clock)
