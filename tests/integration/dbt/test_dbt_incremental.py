"""Windowed (incremental) builds equal a full rebuild; a restated re-load replaces its window.

Warehouse A grows the way production does: a first load, then report-date windows (one of them the
Dagster way: `build --select tag:daily` with the window in the environment, then the unpartitioned
models), then a restated re-load of the last days (different sales, one day now empty) with the
window as dbt vars, the way an operator passes it. Warehouse B is a single full
build of the final lake, run in parallel. Both must equal the Python expectation, row for row.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import synthetic_lake as lake
from dbt_harness import DbtEnv, assert_rows_match

# The module fixture runs five dbt processes (two at once): with the other test groups on the
# same 2 cores it outlasted the default 300 s (and failed every test of the file).
pytestmark = pytest.mark.timeout(900)
FIRST_LOAD_END = date(2025, 2, 10)
WINDOW_2 = (date(2025, 2, 11), lake.LAST_DAY)
RESTATED_WINDOW = (date(2025, 2, 25), lake.LAST_DAY)
RESTATED_DAYS = [date(2025, 2, 26), date(2025, 2, 28), date(2025, 3, 2)]
EMPTIED = (101, date(2025, 3, 1))  # had rows, re-loaded with zero rows

KEYS = {
    "marts.fct_seller_campaign_stats_daily": [
        "report_date",
        "advertiser_id",
        "campaign_id",
        "seller_id",
    ],
    "marts.fct_seller_stats_daily": ["report_date", "advertiser_id", "seller_id"],
    "marts.fct_campaign_stats_daily": ["report_date", "advertiser_id", "campaign_id"],
    "marts.dim_sellers": ["advertiser_id", "seller_id"],
    "marts.dim_campaigns": ["advertiser_id", "campaign_id"],
    "marts.fct_seller_monthly_statement": ["month", "advertiser_id", "seller_id"],
    "marts.fct_marketplace_pnl_monthly": ["month", "advertiser_id", "seller_id"],
    "marts.fct_seller_billing_daily": ["report_date", "advertiser_id", "seller_id"],
    "marts.rpt_monthly_reconciliation": ["month", "advertiser_id", "endpoint", "policy"],
}


# Seeds (currency minor units, which `dbt run` alone does not load) and every model, in one dbt
# process; the tests run in the windowed builds.
SEEDS_AND_MODELS = ("build", "--exclude-resource-type", "test", "unit_test")


def window(lo: date, hi: date) -> dict:
    """The window as an operator passes it (dbt vars)."""
    return {"min_report_date": lo.isoformat(), "max_report_date": hi.isoformat()}


def window_env(lo: date, hi: date) -> dict[str, str]:
    """The window as the pipeline's daily-facts step passes it (environment, read at run time)."""
    return {"MPO_MIN_REPORT_DATE": lo.isoformat(), "MPO_MAX_REPORT_DATE": hi.isoformat()}


def write_days(root, cells, lo: date, hi: date) -> None:
    for day in lake.days():
        if lo <= day <= hi:
            for adv in lake.ADVERTISERS:
                lake.write_stats_day(root, cells, day, adv)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    cells = lake.generate()
    restated = lake.restate(cells, RESTATED_DAYS, EMPTIED)
    assert any(k[1] == EMPTIED[0] and k[0] == EMPTIED[1] for k in cells), "emptied day had rows"

    # B: one full build of the final (restated) lake, in parallel with A's sequence
    root_b = tmp_path_factory.mktemp("dbt_full")
    lake.write_lake(root_b / "lake", restated)
    full = DbtEnv(root_b, root_b / "lake", lake.write_directory_csv(root_b / "sellers.csv"))
    full_errors: list[BaseException] = []

    def build_full():
        try:
            full.run(*SEEDS_AND_MODELS)
        except BaseException as exc:  # surfaced below
            full_errors.append(exc)

    thread = threading.Thread(target=build_full)
    thread.start()

    # A: first load, then windows, then the restated re-load
    root_a = tmp_path_factory.mktemp("dbt_windows")
    lake_a = root_a / "lake"
    inc = DbtEnv(root_a, lake_a, lake.write_directory_csv(root_a / "sellers.csv"))
    write_days(lake_a, cells, lake.FIRST_DAY, FIRST_LOAD_END)
    lake.write_metadata(lake_a)
    inc.run(*SEEDS_AND_MODELS)
    first_load = inc.query("select max(report_date) as d from marts.fct_seller_stats_daily")[0]["d"]

    write_days(lake_a, cells, *WINDOW_2)
    inc.run("build", "--select", "tag:daily", env=window_env(*WINDOW_2))
    inc.run("run", "--exclude", "tag:daily")
    before_restatement = inc.table(
        "marts.fct_seller_stats_daily", KEYS["marts.fct_seller_stats_daily"]
    )

    write_days(lake_a, restated, *RESTATED_WINDOW)
    lake.write_control(lake_a, restated)
    restated_build = inc.run("build", vars=window(*RESTATED_WINDOW))

    thread.join()
    if full_errors:
        raise full_errors[0]
    return {
        "cells": cells,
        "restated": restated,
        "inc": inc,
        "full": full,
        "first_load": first_load,
        "before_restatement": before_restatement,
        "restated_build": restated_build,
    }


def test_first_load_only_saw_its_days(scenario):
    assert scenario["first_load"] == FIRST_LOAD_END


@pytest.mark.parametrize("relation", list(KEYS))
def test_windowed_builds_equal_full_rebuild(scenario, relation):
    inc = scenario["inc"].table(relation, KEYS[relation])
    full = scenario["full"].table(relation, KEYS[relation])
    assert_rows_match(relation, inc, full)


def test_restated_marts_match_python(scenario):
    restated, inc = scenario["restated"], scenario["inc"]
    endpoints = {
        "marts.fct_seller_campaign_stats_daily": "seller_campaigns",
        "marts.fct_seller_stats_daily": "sellers",
        "marts.fct_campaign_stats_daily": "campaigns",
    }
    for relation, endpoint in endpoints.items():
        assert_rows_match(
            relation, inc.table(relation, KEYS[relation]), lake.expected_daily(restated, endpoint)
        )
    statement, pnl = lake.expected_monthly(restated)
    for relation, expected in (
        ("marts.fct_seller_monthly_statement", statement),
        ("marts.fct_marketplace_pnl_monthly", pnl),
    ):
        assert_rows_match(relation, inc.table(relation, KEYS[relation]), expected)
    relation = "marts.rpt_monthly_reconciliation"
    assert_rows_match(
        relation, inc.table(relation, KEYS[relation]), lake.expected_reconciliation(restated)
    )


def test_restatement_changed_sales_and_emptied_a_day(scenario):
    before = scenario["before_restatement"]
    after = scenario["inc"].table(
        "marts.fct_seller_stats_daily", KEYS["marts.fct_seller_stats_daily"]
    )
    changed = [k for k in after if k[0] in RESTATED_DAYS]
    assert changed and all(
        after[k]["revenue_any_seller"] != before[k]["revenue_any_seller"] for k in changed
    )
    # clicks and cost did not change with the restatement
    assert all(after[k]["cost"] == before[k]["cost"] for k in changed)
    emptied_before = [k for k in before if (k[1], k[0]) == EMPTIED]
    assert emptied_before, "the emptied day had rows before the re-load"
    assert not [k for k in after if (k[1], k[0]) == EMPTIED]
    # days outside the restated window are untouched
    untouched = [k for k in before if k[0] < RESTATED_WINDOW[0]]
    assert untouched and all(after[k] == before[k] for k in untouched)


def test_windowed_build_ran_the_data_tests_on_the_window(scenario):
    output = scenario["restated_build"].output
    assert "data test" in output and "ERROR=0" in output
