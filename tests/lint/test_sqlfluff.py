"""The dbt project's SQL passes SQLFluff (.sqlfluff), as `make lint` checks it.

Run inside the suite rather than before it: this file is one xdist group of about a minute of
CPU, scheduled among the others instead of adding its wall time ahead of pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What the dbt templater can lint: the nodes dbt compiles (macros and generic tests are skipped
# by .sqlfluffignore). The same paths as `make lint`.
PATHS = ["dbt_project/models", "dbt_project/analyses", "dbt_project/tests"]


@pytest.mark.timeout(900)
def test_dbt_project_sql_passes_sqlfluff() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPO_", "DBT_"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="False", DO_NOT_TRACK="1")
    result = subprocess.run(
        # One process: the suite's workers already use the cores.
        [sys.executable, "-m", "sqlfluff", "lint", *PATHS, "--processes", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"sqlfluff lint failed (exit {result.returncode}): fix the SQL (`sqlfluff fix <file>`"
        f" helps, but review its diff: it can break Jinja)\n{result.stdout}\n{result.stderr}"
    )
