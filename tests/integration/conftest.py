"""Shared fixture: one simulator on loopback per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ingest_helpers import small_config

from mpo_pipeline.simulator import running_simulator


@pytest.fixture(scope="module")
def sim() -> Iterator:
    with running_simulator(small_config()) as server:
        yield server
