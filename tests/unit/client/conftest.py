"""Fixtures of the MPO client tests (fake clock, fake API; no network, no real sleeping)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mpo_client_fakes import FakeApi
from support.clocks import FakeClock

from mpo_pipeline.client import backoff, ratelimit


@pytest.fixture(autouse=True)
def _isolated_limiters() -> Iterator[None]:
    ratelimit.reset_shared_limiters()
    yield
    ratelimit.reset_shared_limiters()


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff without jitter: waits are exactly 0.5, 1, 2, 4... (capped at 30)."""
    monkeypatch.setattr(backoff, "_random", lambda: 0.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> FakeApi:
    return FakeApi(clock)
