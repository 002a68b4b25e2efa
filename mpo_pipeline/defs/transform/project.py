"""The dbt project as Dagster sees it: location, manifest (parsed on first use), CLI resource."""

import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
# Tests between two models (fact → dimension relationships) run in the step that builds the later
# model: "buildable" keeps them out of the daily-facts step, where the dimension is not built yet.
os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")

# The dbt next to this interpreter: `.venv/bin/python -m ...` does not put .venv/bin on PATH.
_local_dbt = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_local_dbt) if _local_dbt.exists() else (shutil.which("dbt") or "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


class MpoDbtCliResource(DbtCliResource):
    """The dbt CLI resource, without the dbt adapter dagster-dbt opens in the Dagster process.

    On every ``cli`` call dagster-dbt loads the dbt profile, project and base macros in process
    (a few CPU seconds, once per dbt step), only to let ``fetch_row_counts`` and
    ``fetch_column_metadata`` query the warehouse afterwards; this project uses neither. Without
    the adapter, dagster-dbt also streams the events as dbt prints them instead of after it exits.
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


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
    MpoDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=project.target_path
    ).wait()


if _manifest_is_stale(dbt_project):
    dg._utils.run_with_concurrent_update_guard(
        dbt_project.manifest_path, _parse, project=dbt_project
    )


def base_target_path() -> Path:
    """Where dagster-dbt puts each invocation's target folder, and looks for a partial parse."""
    # dagster-dbt's own rule: DBT_TARGET_PATH, else dbt's default ``target``, under the project.
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


def share_partial_parse(invocation: DbtCliInvocation) -> None:
    """Offer the parse state of a finished dbt invocation to the next ones.

    dagster-dbt seeds every invocation's target folder with the ``partial_parse.msgpack`` of the
    base target folder, but never writes one back there: without this, every dbt step of a run
    parses the whole project again (about ten CPU seconds). dbt discards a parse state made with
    other ``--vars`` (the pipeline's steps pass none: the daily window goes in the environment), so
    an invocation with ``--vars`` is not shared; dbt still checks the file (files, env vars,
    profile) and parses again whatever changed. The file is replaced in one rename: a concurrent
    reader sees the old one or the new one.
    """
    if "--vars" in invocation.process.args:
        return
    source = invocation.target_path / PARTIAL_PARSE_FILE
    target = base_target_path()
    if not source.is_file():
        return
    target.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{PARTIAL_PARSE_FILE}.", dir=target)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target / PARTIAL_PARSE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# dagster-dbt's folder per invocation: <op name>-<run id, 7 hex>-<random, 7 hex>.
_INVOCATION_FOLDER = re.compile(r"^[a-z0-9_]+-[0-9a-f]{7}-[0-9a-f]{7}$")
KEEP_INVOCATIONS = 30  # the newest invocation folders kept for debugging (about 6 MB each)
MIN_AGE_TO_PRUNE = timedelta(days=1)  # never a folder a run may still be writing


def prune_invocation_targets(
    base: Path | None = None,
    *,
    keep: int = KEEP_INVOCATIONS,
    min_age: timedelta = MIN_AGE_TO_PRUNE,
    now: float | None = None,
) -> list[Path]:
    """Delete the oldest dbt invocation folders of the base target folder; return them.

    dagster-dbt gives every dbt invocation a folder of its own (manifest, compiled SQL, logs:
    about 6 MB) and never removes one, so a daily schedule would fill the disk by gigabytes a
    year. The ``keep`` newest are kept, and any younger than ``min_age`` (a concurrent run's).
    """
    base = base or base_target_path()
    if not base.is_dir():
        return []
    folders = [p for p in base.iterdir() if p.is_dir() and _INVOCATION_FOLDER.match(p.name)]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = (time.time() if now is None else now) - min_age.total_seconds()
    removed = []
    for folder in folders[keep:]:
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def dbt_resource() -> MpoDbtCliResource:
    """The dbt CLI resource of this project (its dbt executable, no adapter in process)."""
    return MpoDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


@dg.definitions
def resources() -> dg.Definitions:
    """The dbt CLI resource shared by every dbt asset."""
    return dg.Definitions(resources={"dbt": dbt_resource()})
