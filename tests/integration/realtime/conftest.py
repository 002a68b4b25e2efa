"""Fixtures of the real-time integration tests: one simulator per module, fast job settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rt_sim_helpers import FAST, rt_config

from mpo_pipeline.client import ratelimit
from mpo_pipeline.simulator import RunningSimulator, running_simulator
from mpo_pipeline.simulator.realtime_service import RealtimeService, realtime_of


@pytest.fixture(scope="module")
def rt_sim() -> Iterator[RunningSimulator]:
    with running_simulator(rt_config()) as server:
        yield server


@pytest.fixture
def rt(rt_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealtimeService]:
    """The simulator's real-time service, reset to fast test settings for each test; the
    pipeline's clock (``MPO_NOW``) reads the simulator's real-time now."""
    service = realtime_of(rt_sim)
    service.reset()
    service.configure(**FAST)
    ratelimit.reset_shared_limiters()
    monkeypatch.setenv("MPO_NOW", service.now().isoformat())
    yield service
    service.reset()
