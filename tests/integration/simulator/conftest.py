"""A simulator on loopback shared by the HTTP contract tests, and an authenticated client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sim_http_helpers import TODAY, get_token

from mpo_pipeline.simulator import RunningSimulator, SimulatorConfig, running_simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(SimulatorConfig(today=TODAY)) as running:
        yield running


@pytest.fixture(scope="session")
def api(sim: RunningSimulator) -> Iterator[httpx.Client]:
    """A client on ``{url}/2026-07/marketing-solutions/marketplace-performance-outcomes``."""
    headers = {"Authorization": f"Bearer {get_token(sim)}"}
    with httpx.Client(base_url=sim.api_url("2026-07"), headers=headers, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def token(sim: RunningSimulator) -> str:
    return get_token(sim)
