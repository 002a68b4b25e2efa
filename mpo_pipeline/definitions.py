"""The one Dagster entry point: autoloads every definition under ``mpo_pipeline/defs/``."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """All assets, checks, jobs, schedules and resources of the project."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
