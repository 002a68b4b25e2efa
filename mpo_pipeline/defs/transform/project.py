"""The dbt project as Dagster sees it: location, manifest (parsed on first use), CLI resource."""

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
# Tests between two models (fact → dimension relationships) run in the step that builds the later
# model: "buildable" keeps them out of the daily-facts step, where the dimension is not built yet.
os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")

# The dbt next to this interpreter: `.venv/bin/python -m ...` does not put .venv/bin on PATH.
_local_dbt = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_local_dbt) if _local_dbt.exists() else (shutil.which("dbt") or "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [
        p
        for folder in ("models", "macros", "seeds", "tests")
        for p in (DBT_PROJECT_DIR / folder).rglob("*")
        if p.is_file()
    ]
    sources.append(DBT_PROJECT_DIR / "dbt_project.yml")
    return any(p.stat().st_mtime > built for p in sources)


# A fresh clone has no manifest: parse once (a few seconds) instead of requiring a build step.
def _parse(project: DbtProject) -> None:
    DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=project.target_path
    ).wait()


if _manifest_is_stale(dbt_project):
    dg._utils.run_with_concurrent_update_guard(
        dbt_project.manifest_path, _parse, project=dbt_project
    )


@dg.definitions
def resources() -> dg.Definitions:
    """The dbt CLI resource shared by every dbt asset."""
    return dg.Definitions(
        resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)}
    )
