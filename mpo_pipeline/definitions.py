"""The one Dagster entry point: autoloads every definition under ``mpo_pipeline/defs/``."""

from pathlib import Path

import dagster as dg

from mpo_pipeline.core.dagster_patches import fix_pool_wait_spin

# Every process that loads this code location (CLI runs, run workers launched by the daemon, the
# code server) gets the fix: any of them may execute steps that wait for a pool slot.
fix_pool_wait_spin()


@dg.definitions
def defs() -> dg.Definitions:
    """All assets, checks, jobs, schedules and resources of the project."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
