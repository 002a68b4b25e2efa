"""The dbt CLI resource the Dagster definitions give the dbt assets.

dagster-dbt's own resource opens a dbt adapter inside the Dagster process on every ``cli`` call
(it loads the dbt profile, the project and dbt's base macros: a few CPU seconds per dbt step),
only for metadata this project never fetches. The project's resource runs dbt without it.
"""

from __future__ import annotations

from mpo_pipeline.defs.transform.project import resources


def test_the_dbt_resource_runs_dbt_without_an_adapter_in_process(tmp_path):
    dbt = resources().resources["dbt"]
    invocation = dbt.cli(["--version"], target_path=tmp_path)
    invocation.wait()
    assert invocation.is_successful()
    # A dagster-dbt that renamed or dropped the hook the resource overrides opens one again.
    assert invocation.adapter is None
