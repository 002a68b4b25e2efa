"""Finance definitions: jobs, schedule, pools, the blocking check, the close CLI's arguments."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from mpo_pipeline import cli
from mpo_pipeline.config import ConfigError, Settings
from mpo_pipeline.definitions import defs
from mpo_pipeline.defs.finance.common import (
    ADJUSTMENTS_KEY,
    CLOSE_OP,
    CLOSE_STATEMENTS_KEY,
    CLOSES_KEY,
    CONTROL_STAGING_KEY,
    CONTROL_TOTALS_KEY,
    MONTHLY_PARTITIONS,
    RECONCILIATION_KEY,
    STATEMENT_KEY,
)
from mpo_pipeline.defs.finance.control_totals import control_totals
from mpo_pipeline.defs.finance.jobs import (
    control_totals_job,
    month_close_job,
    month_close_schedule,
)
from mpo_pipeline.defs.finance.month_close import MonthCloseConfig, closed_by, month_close
from mpo_pipeline.defs.finance.reconciliation_check import month_reconciled


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def _selected(job, definitions) -> set[dg.AssetKey]:
    return set(job.selection.resolve(definitions.resolve_asset_graph()))


def test_all_definitions_resolve_together(definitions):
    # what `make demo` does before closing: every job of the repository, names unique
    names = {job.name for job in definitions.resolve_all_job_defs()}
    assert {"month_close", "control_totals", "load"} <= names
    assert month_close.op.name == CLOSE_OP != "month_close"


# Every job that changes the warehouse ends by publishing the BI snapshot.
PUBLISHED_KEY = dg.AssetKey("published_warehouse")


def test_jobs_are_monthly_and_select_the_close_chain(definitions):
    month_close_def = definitions.resolve_job_def("month_close")
    assert month_close_def.partitions_def == MONTHLY_PARTITIONS
    assert definitions.resolve_job_def("control_totals").partitions_def == MONTHLY_PARTITIONS
    keys = _selected(month_close_job, definitions)
    assert {
        CONTROL_TOTALS_KEY,
        CONTROL_STAGING_KEY,
        RECONCILIATION_KEY,
        CLOSE_STATEMENTS_KEY,
        CLOSES_KEY,
        ADJUSTMENTS_KEY,
        PUBLISHED_KEY,
    } == keys
    assert _selected(control_totals_job, definitions) == {
        CONTROL_TOTALS_KEY,
        CONTROL_STAGING_KEY,
        RECONCILIATION_KEY,
        PUBLISHED_KEY,
    }


def test_lineage_runs_statement_to_close_to_adjustments(definitions):
    graph = definitions.resolve_asset_graph()
    assert {STATEMENT_KEY, RECONCILIATION_KEY} <= graph.get(CLOSE_STATEMENTS_KEY).parent_keys
    assert {CLOSE_STATEMENTS_KEY, CLOSES_KEY} <= graph.get(ADJUSTMENTS_KEY).parent_keys
    assert CONTROL_TOTALS_KEY in graph.get(CONTROL_STAGING_KEY).parent_keys


def test_pools_groups_and_blocking_check():
    assert control_totals.op.pool == "mpo_api"
    assert month_close.op.pool == "duckdb"
    assert control_totals.group_names_by_key[CONTROL_TOTALS_KEY] == "mpo_finance"
    assert month_close.group_names_by_key[CLOSE_STATEMENTS_KEY] == "mpo_finance"
    [spec] = month_reconciled.check_specs
    assert spec.blocking and spec.asset_key == RECONCILIATION_KEY
    assert month_reconciled.op.pool == "duckdb"


def test_schedule_is_off_and_closes_the_previous_month():
    assert month_close_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert month_close_schedule.cron_schedule.split()[2] == "5"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 1, 5, 7, tzinfo=UTC)
    )
    request = month_close_schedule(context)
    assert request.partition_key == "2025-12-01"
    assert request.run_key == "month-close-2025-12"
    assert request.run_config["ops"][CLOSE_OP]["config"]["reason"]


def close_day_of_month(env: dict[str, str]) -> int:
    return Settings.from_env(env, require_credentials=False).close_day_of_month


def test_close_day_of_month_is_validated():
    assert close_day_of_month({}) == 5
    assert close_day_of_month({"MPO_CLOSE_DAY_OF_MONTH": " 12 "}) == 12
    for bad in ("0", "29", "x", "-1"):
        with pytest.raises(ConfigError, match="MPO_CLOSE_DAY_OF_MONTH"):
            close_day_of_month({"MPO_CLOSE_DAY_OF_MONTH": bad})


def test_closed_by_prefers_config_then_schedule():
    assert closed_by(MonthCloseConfig(closed_by="ana"), {}) == "ana"
    tags = {"dagster/schedule_name": "month_close_schedule"}
    assert closed_by(MonthCloseConfig(), tags) == "schedule month_close_schedule"
    assert closed_by(MonthCloseConfig(), {"mpo/closed_by": "bo"}) == "bo"


def test_cli_rejects_reopen_without_reason_and_bad_months(capsys):
    assert cli.main(["close", "--month", "2026-10", "--reopen"]) == 2
    assert cli.main(["close", "--month", "Oct-2026"]) == 2
    err = capsys.readouterr().err
    assert "--reopen needs --reason" in err
    assert "not a month of the form YYYY-MM" in err
