"""``make docs``: the dbt documentation site of the warehouse, generated offline."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from mpo_pipeline.config import Settings
from mpo_pipeline.warehouse.lock import warehouse_writer

DOCS_TIMEOUT = 600.0
# A target path of its own: the default target/ holds the manifest.json Dagster loads its asset
# graph from, which a docs run must not rewrite under a running code location.
DOCS_TARGET = "target/docs"


def generate_docs(settings: Settings, on_wait: Callable[[str], None] | None = None) -> Path:
    """Run ``dbt docs generate`` against the settings' warehouse; return ``index.html``.

    dbt-duckdb opens the file for writing even to read the catalog, so it takes the warehouse
    writer lock like every dbt build (a load in progress is waited for, not broken).
    """
    from mpo_pipeline.defs.transform.project import DBT_EXECUTABLE, DBT_PROJECT_DIR

    env = {
        **os.environ,
        **settings.target.environment(),
        "MPO_LAKE_DIR": str(settings.lake_dir.resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    command = [
        DBT_EXECUTABLE,
        "docs",
        "generate",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        DOCS_TARGET,
    ]
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with warehouse_writer(settings.target, on_wait=on_wait):
        proc = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=DOCS_TIMEOUT, check=False
        )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise RuntimeError(f"dbt docs generate failed (exit {proc.returncode}):\n{tail}")
    index = DBT_PROJECT_DIR / DOCS_TARGET / "index.html"
    if not index.exists():
        raise RuntimeError(f"dbt docs generate succeeded but wrote no {index}")
    return index
