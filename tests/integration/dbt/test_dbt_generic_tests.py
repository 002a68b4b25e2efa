"""The project's data tests fail on the defect each exists for, naming the offenders, and pass on
honest data.

One ``dbt build`` of the fixture project ``generic_tests_project`` (the real generic tests and
macros of dbt_project, on seeds holding the defects: see its ``seeds/_cases.yml``), with the
report window 2026-10-25..2026-10-26 and ``store_failures`` on. The statuses come from
``run_results.json``; the offenders from the failure tables dbt stored. Every expected value is
written here by hand from the seeds.
"""

from __future__ import annotations

import csv
import json
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_harness import PROJECT_DIR, REPO, DbtEnv, dbt_executable

FIXTURE = Path(__file__).parent / "generic_tests_project"
WINDOW = {"min_report_date": "2026-10-25", "max_report_date": "2026-10-26"}
CASES = (
    "uc",  # unique_combination
    "ex",  # expression_is_true
    "rt",  # ratio_matches_recomputation
    "rel",  # relationships_combination
    "totals",  # totals_match, money_tolerance 'rounding', window_column
    "stmt",  # totals_match, money_tolerance 0, compare_group_by / compare_columns
    "ro",  # rounded_once_to_minor_unit (macros/billing.sql)
    "nn",  # built-in not_null with where: __report_window__
    "av",  # built-in accepted_values
)
D25, D26, OCT = date(2026, 10, 25), date(2026, 10, 26), date(2026, 10, 1)


@dataclass
class Outcome:
    """One data test of the build: its status, failure count and the rows dbt stored."""

    status: str
    failures: int | None
    rows: list[dict]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Outcome], list[dict]]:
    """Return code, the tests' outcomes by name, and the seeds' results of one ``dbt build``."""
    root = tmp_path_factory.mktemp("generic_tests")
    env = DbtEnv(root=root, lake=root / "lake")
    command = [
        dbt_executable(),
        "build",
        "--project-dir",
        str(FIXTURE),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(root / "target"),
        "--log-path",
        str(root / "logs"),
        "--vars",
        json.dumps(WINDOW),
    ]
    proc = subprocess.run(
        command, cwd=REPO, env=env.env(), capture_output=True, text=True, timeout=600, check=False
    )
    run_results = root / "target" / "run_results.json"
    assert run_results.exists(), proc.stdout[-4000:] + proc.stderr[-2000:]
    results = json.loads(run_results.read_text())["results"]
    outcomes: dict[str, Outcome] = {}
    with duckdb.connect(str(env.warehouse), read_only=True) as con:
        for result in results:
            if not result["unique_id"].startswith("test."):
                continue
            cursor = con.execute(f"select * from {result['relation_name']}")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            name = result["unique_id"].split(".")[2]
            outcomes[name] = Outcome(result["status"], result["failures"], rows)
    seeds = [r for r in results if r["unique_id"].startswith("seed.")]
    return proc.returncode, outcomes, seeds


def outcome(build, name: str) -> Outcome:
    return build[1][name]


def seed_rows(name: str) -> list[dict]:
    with (FIXTURE / "seeds" / f"{name}.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_every_case_ran_and_only_the_defects_failed(build):
    returncode, outcomes, seeds = build
    assert returncode == 1  # test failures, nothing else
    assert seeds and all(s["status"] == "success" for s in seeds), seeds
    prefixes = {name.split("_")[0] for name in outcomes}
    assert prefixes == set(CASES)
    assert len(outcomes) == 2 * len(CASES)
    for name, result in outcomes.items():
        honest = name.split("__")[0].endswith("_good")
        assert result.status == ("pass" if honest else "fail"), (name, result)
        assert (result.failures == 0) == honest and len(result.rows) == result.failures, name


def test_unique_combination_names_each_repeated_key(build):
    rows = outcome(build, "uc_bad__unique_combination").rows
    assert sorted(rows, key=lambda r: r["report_date"]) == [
        {"report_date": D25, "advertiser_id": 202, "seller_id": 11, "occurrences": 3},
        {"report_date": D26, "advertiser_id": 101, "seller_id": 11, "occurrences": 2},
    ]


def test_expression_is_true_fails_on_false_and_on_null(build):
    rows = outcome(build, "ex_bad__expression_is_true").rows
    assert {r["seller_id"]: r["clicks_closed"] for r in rows} == {12: 2, 13: None}


def test_ratio_matches_recomputation_names_the_row(build):
    rows = outcome(build, "rt_bad__cr_matches_recomputation").rows
    # 11: rounded to 3 decimals; 12: a ratio on zero clicks; 13: NULL though computable;
    # 14: NULL denominator. 16 is as wrong as 11 but dated outside the window.
    keys = {(r["report_date"], r["advertiser_id"], r["seller_id"]) for r in rows}
    assert keys == {(D25, 101, 11), (D25, 101, 12), (D25, 101, 13), (D26, 101, 14)}
    by_seller = {r["seller_id"]: r for r in rows}
    assert by_seller[11]["actual"] == 0.333 and by_seller[11]["expected"] == pytest.approx(1 / 3)
    assert by_seller[12]["expected"] is None and by_seller[13]["actual"] is None


def test_relationships_combination_judges_the_pair_not_each_column(build):
    rows = outcome(build, "rel_child_bad__pairs_exist").rows
    # seller 11 exists, under advertiser 101 only; (101, 99) is outside the window
    assert {(r["advertiser_id"], r["seller_id"]) for r in rows} == {(202, 11), (101, 13)}


def _sums(rows: list[dict], keys: tuple[str, ...]) -> dict[tuple, Decimal]:
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[tuple(row[k] for k in keys)] += Decimal(row["cost"])
    return totals


def test_totals_match_passes_rounding_noise(build):
    keys = ("report_date", "advertiser_id", "seller_id")
    sellers = _sums(seed_rows("totals_sellers_good"), keys)
    seller_campaigns = _sums(seed_rows("totals_seller_campaigns"), keys)
    # the premise: each endpoint was rounded row by row, so their sums really disagree
    gaps = {k: sellers[k] - seller_campaigns[k] for k in sellers}
    assert gaps[("2026-10-25", "101", "11")] == Decimal("0.000001")
    assert gaps[("2026-10-25", "101", "12")] == Decimal("-0.000001")
    assert outcome(build, "totals_sellers_good__match_seller_campaigns").status == "pass"


def test_totals_match_names_a_one_cent_gap_a_count_and_a_missing_side(build):
    rows = outcome(build, "totals_sellers_bad__match_seller_campaigns").rows
    by_key = {(r["report_date"], r["advertiser_id"], r["seller_id"]): r for r in rows}
    # 2026-10-27 has the same one-cent gap as seller 11, outside the window
    assert set(by_key) == {(D25, 101, 11), (D25, 101, 12), (D25, 101, 13)}
    cent = by_key[(D25, 101, 11)]
    assert (cent["cost_model"], cent["cost_compare"]) == (Decimal("0.380369"), Decimal("0.370368"))
    assert (by_key[(D25, 101, 12)]["clicks_model"], by_key[(D25, 101, 12)]["clicks_compare"]) == (
        21,
        20,
    )
    assert by_key[(D25, 101, 13)]["impressions_compare"] is None


def test_totals_match_with_zero_tolerance_names_a_micro_unit(build):
    rows = outcome(build, "stmt_bad__match_daily").rows
    by_key = {(r["month"], r["advertiser_id"], r["seller_id"]): r for r in rows}
    assert set(by_key) == {(OCT, 101, 11), (OCT, 101, 12)}
    micro = by_key[(OCT, 101, 11)]
    assert micro["media_cost_model"] - micro["media_cost_compare"] == Decimal("0.000001")
    assert by_key[(OCT, 101, 12)]["impressions_model"] == 201
    assert outcome(build, "stmt_good__match_daily").status == "pass"


def test_rounded_once_names_half_even_and_double_rounding(build):
    rows = outcome(build, "ro_bad__billed_rounded_once").rows
    assert {r["row_id"]: r["billed"] for r in rows} == {
        1: Decimal("0.12"),  # 0.125 half to even
        2: Decimal("12"),  # 12.5 yen half to even
        3: Decimal("0.13"),  # 0.1249 rounded to 0.125 first
    }


def test_not_null_follows_the_report_window(build):
    # the honest seed has a NULL advertiser too, on 2026-10-27: outside this run's window
    assert any(r["advertiser_id"] == "" for r in seed_rows("nn_good"))
    assert outcome(build, "nn_good__advertiser_id_not_null").status == "pass"
    rows = outcome(build, "nn_bad__advertiser_id_not_null").rows
    assert rows == [{"report_date": D26, "advertiser_id": None, "seller_id": 12}]


def test_accepted_values_names_each_unknown_value(build):
    rows = outcome(build, "av_bad__endpoint_accepted").rows
    assert {r["value_field"]: r["n_records"] for r in rows} == {"Sellers": 1, "seller-campaigns": 1}
