"""``mpo-pipeline load`` against a hostile API: 30% 500/503 answers, 10% connections dropped
mid-body, 30 calls/min enforced with 429s, access tokens that live 5 s.

The result must still be exact (lake and warehouse equal the ground truth) and the number of API
calls must stay within a bound computed from the work: every logical request (one per planned
window, one advertiser lookup per asset, the metadata calls) may take at most ``MAX_ATTEMPTS``
attempts plus one retry after a 401, and a window split adds two windows.
"""

from __future__ import annotations

import pytest
from rel_scenario_helpers import (
    FAULT_CONFIG,
    FAULT_RANGE,
    FAULT_WINDOW_DAYS,
    MAX_ATTEMPTS,
    FaultsResult,
    scenario,
)

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def faults(request) -> FaultsResult:
    return scenario("faults", request)


def test_load_through_faults_succeeds(faults):
    run = faults.load
    print(f"\nfault load: exit {run.code} in {run.seconds:.0f} s")
    assert run.code == 0, run.output[-3000:]


def test_faults_really_happened(faults):
    statuses = dict(sorted(faults.statuses.items()))
    print(f"\nAPI responses by status (0 = dropped connection): {statuses}")
    print(f"tokens issued: {faults.token_calls} (lifetime {FAULT_CONFIG.token_ttl} s)")
    assert faults.statuses[500] + faults.statuses[503] >= 3
    assert faults.statuses[0] >= 1, "no connection was dropped"
    assert faults.token_calls >= 3, "the 5 s tokens were never renewed"


def test_api_calls_stay_within_the_stated_bound(faults):
    start, end = FAULT_RANGE
    print(
        f"\n{start}..{end}, window {FAULT_WINDOW_DAYS} days: {faults.logical_requests} logical "
        f"requests, {faults.window_splits} window splits; bound = (requests + 2 x splits) x "
        f"({MAX_ATTEMPTS} attempts + 1 token refresh) = {faults.call_bound} calls; made "
        f"{faults.api_calls} (server log), {faults.client_calls} (client metrics); "
        f"{faults.api_calls / max(faults.logical_requests, 1):.2f} calls per logical request"
    )
    assert faults.logical_requests > 0
    assert faults.logical_requests <= faults.api_calls <= faults.call_bound
    # What the assets report as api_calls is what the API really received.
    assert faults.client_calls == faults.api_calls


def test_lake_and_warehouse_are_exact_despite_faults(faults):
    assert faults.load.code == 0
    print(f"\n{faults.rows_checked} warehouse rows equal the ground truth")
    assert faults.lake_problems == [], faults.lake_problems[:10]
    assert faults.warehouse_problems == [], faults.warehouse_problems[:10]
    assert faults.rows_checked > 300
