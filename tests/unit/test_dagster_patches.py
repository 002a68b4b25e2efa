"""A run waiting for a pool slot sleeps between claim checks instead of spinning a core.

Measured as the CPU time of the waiting run's thread over a 3 s wait: a spinning loop uses about
the whole 3 s of one core; a sleeping one, a few milliseconds per check.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg

from mpo_pipeline.dagster_patches import fix_pool_wait_spin
from mpo_pipeline.local_instance import ensure_instance


@dg.asset(pool="warehouse_test_pool")
def pooled() -> None:
    return None


def test_a_blocked_run_checks_its_claim_a_few_times_then_runs_when_the_slot_frees(tmp_path: Path):
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
        outcome = {}
        runner = threading.Thread(
            target=lambda: outcome.update(
                ok=job.execute_in_process(instance=instance, raise_on_error=False).success
            )
        )
        runner.start()
        time.sleep(1)  # the run starts and finds the slot taken
        clock = time.pthread_getcpuclockid(runner.ident)
        cpu_before = time.clock_gettime(clock)
        time.sleep(3)  # the slot stays held: the run must wait
        waiting_cpu = time.clock_gettime(clock) - cpu_before
        storage.free_concurrency_slots_for_run("holder")
        runner.join(timeout=60)
    # Unpatched Dagster 1.13 loops without sleeping: ~3 s of CPU in these 3 s.
    assert waiting_cpu < 0.3, f"the waiting run used {waiting_cpu:.2f} s of CPU in 3 s"
    assert outcome == {"ok": True}
