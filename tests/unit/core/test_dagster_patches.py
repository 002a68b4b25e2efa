"""A run waiting for a pool slot sleeps between claim checks instead of spinning a core.

The fix is checked where it acts, without timing anything: the interval Dagster sleeps before
its next claim check is the time to the earliest due check (never the constant 0 of the
unpatched code), and a run blocked on a held slot still runs once the slot frees. The CPU a
waiting run burns with and without the fix is measured in ``benchmarks/bench_pool_wait.py``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
from dagster._core.execution.plan.instance_concurrency_context import (
    InstanceConcurrencyContext,
)

from mpo_pipeline.core import dagster_patches
from mpo_pipeline.core.dagster_patches import fix_pool_wait_spin
from mpo_pipeline.runs.local_instance import ensure_instance


@dg.asset(pool="warehouse_test_pool")
def pooled() -> None:
    return None


def test_the_interval_is_the_time_to_the_earliest_due_check(monkeypatch) -> None:
    monkeypatch.setattr(dagster_patches.time, "time", lambda: 1_000.0)
    context = SimpleNamespace(
        _pending_claims={"step_a", "step_b"},
        _pending_timeouts={"step_a": 1_004.5, "step_b": 1_002.0},
    )
    assert dagster_patches._interval_to_next_pending_claim_check(context) == 2.0
    overdue = SimpleNamespace(_pending_claims={"a"}, _pending_timeouts={"a": 990.0})
    assert dagster_patches._interval_to_next_pending_claim_check(overdue) == 0.0
    idle = SimpleNamespace(_pending_claims=set(), _pending_timeouts={})
    assert dagster_patches._interval_to_next_pending_claim_check(idle) == 0.0


def test_the_patch_replaces_dagsters_method_once() -> None:
    fix_pool_wait_spin()
    fix_pool_wait_spin()
    method = InstanceConcurrencyContext.interval_to_next_pending_claim_check
    assert method is dagster_patches._interval_to_next_pending_claim_check


def test_a_blocked_run_waits_for_the_slot_then_runs(tmp_path: Path) -> None:
    fix_pool_wait_spin()
    home = tmp_path / "home"
    ensure_instance(home)
    job = dg.define_asset_job("pooled_job", selection=[pooled]).resolve(
        asset_graph=dg.Definitions(assets=[pooled]).resolve_asset_graph()
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("warehouse_test_pool", 1)
        assert storage.claim_concurrency_slot("warehouse_test_pool", "holder", "step").is_claimed
        outcome: dict[str, bool] = {}
        blocked = threading.Event()
        real_check = InstanceConcurrencyContext.interval_to_next_pending_claim_check

        def watched(self) -> float:
            if self._pending_claims:
                blocked.set()  # the run found the slot taken and is waiting for it
            return real_check(self)

        InstanceConcurrencyContext.interval_to_next_pending_claim_check = watched
        try:
            runner = threading.Thread(
                target=lambda: outcome.update(
                    ok=job.execute_in_process(instance=instance, raise_on_error=False).success
                )
            )
            runner.start()
            assert blocked.wait(timeout=120), "the run never waited for the held slot"
            assert runner.is_alive() and outcome == {}, "the run went ahead without the slot"
            storage.free_concurrency_slots_for_run("holder")
            runner.join(timeout=120)
        finally:
            InstanceConcurrencyContext.interval_to_next_pending_claim_check = real_check
    assert outcome == {"ok": True}
