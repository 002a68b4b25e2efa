"""Benchmark: CPU burnt by a run that waits for a pool slot, with and without the Dagster fix.

Run: ``.venv/bin/python benchmarks/bench_pool_wait.py [--wait 3]``.

A job whose only asset is in a pool of limit 1 runs in process while another holder keeps the
slot for ``--wait`` seconds; the CPU time of the waiting run's thread over that wait is measured
(``pthread_getcpuclockid``). Each variant runs in a fresh spawned process: Dagster 1.13 as it is
(the naive baseline, which never sleeps between claim checks) and with
``mpo_pipeline.core.dagster_patches.fix_pool_wait_spin``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _measure(patched: bool, wait: float, queue: mp.Queue) -> None:
    import dagster as dg

    from mpo_pipeline.core.dagster_patches import fix_pool_wait_spin
    from mpo_pipeline.runs.local_instance import ensure_instance

    if patched:
        fix_pool_wait_spin()

    @dg.asset(pool="bench_pool")
    def pooled() -> None:
        return None

    with tempfile.TemporaryDirectory(prefix="mpo-bench-pool-") as tmp:
        home = Path(tmp) / "home"
        ensure_instance(home)
        job = dg.define_asset_job("pooled_job", selection=[pooled]).resolve(
            asset_graph=dg.Definitions(assets=[pooled]).resolve_asset_graph()
        )
        with dg.DagsterInstance.from_config(str(home)) as instance:
            storage = instance.event_log_storage
            storage.set_concurrency_slots("bench_pool", 1)
            storage.claim_concurrency_slot("bench_pool", "holder", "step")
            outcome: dict[str, bool] = {}
            runner = threading.Thread(
                target=lambda: outcome.update(
                    ok=job.execute_in_process(
                        instance=instance, raise_on_error=False, run_config=QUIET
                    ).success
                )
            )
            runner.start()
            time.sleep(1)  # the run starts and finds the slot taken
            clock = time.pthread_getcpuclockid(runner.ident)
            before = time.clock_gettime(clock)
            time.sleep(wait)
            cpu = time.clock_gettime(clock) - before
            storage.free_concurrency_slots_for_run("holder")
            runner.join(timeout=120)
    queue.put({"cpu": cpu, "ok": outcome.get("ok", False)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=3.0)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    results = {}
    for name, patched in (("dagster as is", False), ("with the fix", True)):
        queue: mp.Queue = ctx.Queue()
        process = ctx.Process(target=_measure, args=(patched, args.wait, queue))
        process.start()
        results[name] = queue.get()
        process.join()
        r = results[name]
        print(f"{name:<16} CPU {r['cpu']:6.2f} s over a {args.wait:.0f} s wait; run ok: {r['ok']}")
    ratio = results["dagster as is"]["cpu"] / max(results["with the fix"]["cpu"], 1e-3)
    print(f"the fix uses {ratio:,.0f}x less CPU while waiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
