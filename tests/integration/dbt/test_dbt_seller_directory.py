"""The seller directory: chosen by MPO_SELLER_DIRECTORY (CSV/Parquet) or the demo seed, and
validated so that a bad file fails the build with a message naming the row and the problem. Rows may
be dated (optional valid_from); a directory without the column means one row per seller, valid since
ever. Also: a fresh lake (no folder at all) builds, with empty marts, and that full build is where
`make test` runs every dbt unit test (the pipeline's dbt steps leave them out).
"""

from __future__ import annotations

import csv
import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import synthetic_lake as lake
import yaml
from dbt_harness import PROJECT_DIR, DbtEnv

HEADER = list(lake.DIRECTORY_COLUMNS)
GOOD = [list(r) for r in lake.SELLER_DIRECTORY]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> DbtEnv:
    """A warehouse built over a lake that does not exist yet, with the seed directory."""
    root = tmp_path_factory.mktemp("dbt_fresh")
    env = DbtEnv(root, root / "no-lake-yet")
    env.build_output = env.run("build").output
    return env


def test_fresh_lake_builds_empty_marts(fresh):
    assert "ERROR=0" in fresh.build_output
    for relation in (
        "marts.fct_seller_campaign_stats_daily",
        "marts.fct_seller_stats_daily",
        "marts.fct_campaign_stats_daily",
        "marts.dim_sellers",
        "marts.dim_campaigns",
        "marts.fct_seller_monthly_statement",
        "marts.fct_marketplace_pnl_monthly",
        "marts.fct_seller_billing_daily",
        "marts.rpt_monthly_reconciliation",
    ):
        assert fresh.query(f"select count(*) as n from {relation}")[0]["n"] == 0, relation


def _declared_unit_tests() -> set[str]:
    """Unique ids of the unit tests declared in the project's YAML files (read here, not by dbt)."""
    declared = set()
    for path in (PROJECT_DIR / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            declared.add(f"unit_test.mpo_pipeline.{test['model']}.{test['name']}")
    return declared


def test_full_build_runs_and_passes_every_unit_test(fresh):
    """The dbt steps of a load exclude unit tests (mpo_pipeline.defs.transform.dbt_assets): this
    build is where the suite runs them, all of them."""
    results = json.loads((fresh.root / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    declared = _declared_unit_tests()
    print(f"\n{len(ran)} unit tests run, {len(declared)} declared")
    assert len(declared) >= 8
    assert set(ran) == declared
    assert set(ran.values()) == {"pass"}


def test_seed_is_the_default_directory(fresh):
    with open(PROJECT_DIR / "seeds" / "demo_seller_directory.csv", newline="") as f:
        seed = {row["seller_name"]: row for row in csv.DictReader(f)}
    rows = fresh.table("intermediate.int_seller_directory", ["seller_name"])
    assert {k[0] for k in rows} == set(seed)
    for (name,), row in rows.items():
        assert float(row["commission_rate"]) == pytest.approx(float(seed[name]["commission_rate"]))
        assert row["directory_source"].startswith("seed demo_seller_directory")


def test_directory_without_valid_from_is_valid_since_ever(fresh):
    # the seed has no valid_from column: one history row per seller, valid since ever, current
    with open(PROJECT_DIR / "seeds" / "demo_seller_directory.csv", newline="") as f:
        names = {row["seller_name"] for row in csv.DictReader(f)}
    rows = fresh.query("select * from marts.dim_seller_rates_history")
    assert {r["seller_name"] for r in rows} == names and len(rows) == len(names)
    assert all(r["valid_from"] is None and r["valid_to"] is None for r in rows)
    assert all(r["is_current"] for r in rows)


def test_dated_parquet_directory(fresh, tmp_path):
    # valid_from as a Parquet DATE column (null = since ever) reads like the CSV text
    table = pa.table(
        {
            "seller_name": ["A-1", "A-1", "B-2"],
            "seller_legal_name": ["A SA", "A SA", "B SA"],
            "country": ["FR", "FR", "DE"],
            "seller_tier": ["gold", "gold", "silver"],
            "account_manager": ["Ann", "Ann", "Bo"],
            "commission_rate": [0.1, 0.12, 0.2],
            "ad_fee_rate": [0.05, 0.07, 0.1],
            "valid_from": pa.array([None, date(2025, 2, 15), None], pa.date32()),
        }
    )
    path = tmp_path / "dated.parquet"
    pq.write_table(table, path)
    env = DbtEnv(fresh.root, fresh.lake, path)
    env.run("run", "--select", "int_seller_directory")
    rows = env.table("intermediate.int_seller_directory", ["seller_name", "valid_from"])
    assert set(rows) == {("A-1", None), ("A-1", date(2025, 2, 15)), ("B-2", None)}
    assert rows[("A-1", None)]["valid_to"] == date(2025, 2, 15)
    assert rows[("A-1", date(2025, 2, 15))]["valid_to"] is None
    assert rows[("A-1", date(2025, 2, 15))]["source_line"] == 2  # Parquet: row number


def test_parquet_directory_keeps_text_names(fresh, tmp_path):
    env = DbtEnv(fresh.root, fresh.lake, lake.write_directory_parquet(tmp_path / "sellers.parquet"))
    env.run("run", "--select", "int_seller_directory")
    rows = env.table("intermediate.int_seller_directory", ["seller_name"])
    assert {k[0] for k in rows} == {r[0] for r in lake.SELLER_DIRECTORY}
    # Parquet rows are numbered like CSV lines under a header: first row = 2
    assert rows[("0042017",)]["source_line"] == 2
    assert str(rows[("US-SELLER-1",)]["ad_fee_rate"]) == "0.033300"


def _write(path, header, rows):
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return path


DATED_HEADER = [*HEADER, "valid_from"]
BAD_CASES = {
    "duplicate": ["line 6 (seller_name 'MKT-0001')", "seller_name is not unique (lines 2, 6)"],
    # dated directories: two rows of one seller from the same day, or both since ever
    "duplicate_valid_from": [
        "line 7 (seller_name 'MKT-0001')",
        "seller_name is not unique (lines 6, 7) with the same valid_from 2025-03-01",
    ],
    "duplicate_empty_valid_from": [
        "line 6 (seller_name '0042017')",
        "seller_name is not unique (lines 3, 6) with the same empty valid_from",
    ],
    "bad_valid_from": [
        "line 4 (seller_name 'MKT-0002')",
        "valid_from '2025-02-30' is not a date (YYYY-MM-DD",
    ],
    "rate": [
        "line 3 (seller_name '0042017')",
        "commission_rate '1.5' is not a number between 0 and 1",
    ],
    "missing_column": ["line 1 (header)", "missing required column(s) ad_fee_rate"],
    "empty_name": ["line 4:", "seller_name is empty"],
}


def _bad_directory(tmp, case):
    header, rows = list(HEADER), [list(r) for r in GOOD]
    if case in ("duplicate_valid_from", "duplicate_empty_valid_from", "bad_valid_from"):
        header, rows = list(DATED_HEADER), [[*r, ""] for r in GOOD]
    if case == "duplicate_valid_from":
        rows.append(["MKT-0001", "Une SARL", "FR", "gold", "Eve", "0.1", "0.2", "2025-03-01"])
        rows.append(["MKT-0001", "Une SARL", "FR", "gold", "Eve", "0.1", "0.3", "2025-03-01"])
    elif case == "duplicate_empty_valid_from":
        rows.append(["0042017", "Numeriek BV", "NL", "bronze", "Carla", "0.1", "0.1", ""])
    elif case == "bad_valid_from":
        rows[2][7] = "2025-02-30"
    elif case == "duplicate":
        rows.append(["MKT-0001", "Copy SA", "FR", "gold", "Eve", "0.1", "0.1"])
    elif case == "rate":
        rows[1][5] = "1.5"
    elif case == "missing_column":
        header, rows = header[:-1], [r[:-1] for r in rows]
    elif case == "empty_name":
        rows[2][0] = ""
    return _write(tmp / f"{case}.csv", header, rows)


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Each bad directory against one empty warehouse, one after the other: a failed run leaves
    nothing behind, and every run after the first reuses its parse of the project (dbt parses
    again only the macro that reads MPO_SELLER_DIRECTORY)."""
    root = tmp_path_factory.mktemp("dbt_bad")
    runs = {}
    for case in BAD_CASES:
        env = DbtEnv(root, root / "lake", _bad_directory(root, case))
        runs[case] = (
            env.seller_directory,
            env.run("run", "--select", "int_seller_directory", check=False),
        )
    return runs


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_directory_fails_the_build_naming_the_row(bad_runs, case):
    path, result = bad_runs[case]
    assert not result.ok
    assert "int_seller_directory" in result.output
    assert f"MPO_SELLER_DIRECTORY={path}" in result.output
    for fragment in BAD_CASES[case]:
        assert fragment in result.output, (fragment, result.output[-3000:])
