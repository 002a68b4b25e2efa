"""A fix for a Dagster 1.13 bug that the command-line runs would otherwise pay for.

A run executed in process whose step waits for a pool slot (``duckdb``: another load's dbt step
holds it) should sleep until its next claim check. ``InstanceConcurrencyContext.
interval_to_next_pending_claim_check`` returns ``min([0, *intervals])``, which is never positive,
so ``ActiveExecution.sleep_til_ready`` never sleeps and the waiting run spins a whole core until
the slot frees (seen as four queued ``make load`` using ~30 % CPU each while doing nothing).
Until it is fixed upstream, the interval is the time to the earliest due check, at least zero.
"""

from __future__ import annotations

import time

_PATCHED = "_mpo_pending_claim_interval_fixed"


def _interval_to_next_pending_claim_check(self) -> float:
    if not self._pending_claims or not self._pending_timeouts:
        return 0.0
    now = time.time()
    return max(0.0, min(ready_at - now for ready_at in self._pending_timeouts.values()))


def fix_pool_wait_spin() -> None:
    """Make a run that waits for a pool slot sleep between claim checks (idempotent)."""
    from dagster._core.execution.plan.instance_concurrency_context import (
        InstanceConcurrencyContext,
    )

    if getattr(InstanceConcurrencyContext, _PATCHED, False):
        return
    InstanceConcurrencyContext.interval_to_next_pending_claim_check = (
        _interval_to_next_pending_claim_check
    )
    setattr(InstanceConcurrencyContext, _PATCHED, True)
