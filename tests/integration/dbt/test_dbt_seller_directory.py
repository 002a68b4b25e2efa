"""The seller directory: chosen by MPO_SELLER_DIRECTORY (CSV/Parquet) or the demo seed, and
validated so that a bad file fails the build with a message naming the row and the problem. Also: a
fresh lake (no folder at all) builds, with empty marts.
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor

import pytest
import synthetic_lake as lake
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
        "marts.rpt_monthly_reconciliation",
    ):
        assert fresh.query(f"select count(*) as n from {relation}")[0]["n"] == 0, relation


def test_seed_is_the_default_directory(fresh):
    with open(PROJECT_DIR / "seeds" / "demo_seller_directory.csv", newline="") as f:
        seed = {row["seller_name"]: row for row in csv.DictReader(f)}
    rows = fresh.table("intermediate.int_seller_directory", ["seller_name"])
    assert {k[0] for k in rows} == set(seed)
    for (name,), row in rows.items():
        assert float(row["commission_rate"]) == pytest.approx(float(seed[name]["commission_rate"]))
        assert row["directory_source"].startswith("seed demo_seller_directory")


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


BAD_CASES = {
    "duplicate": ["line 6 (seller_name 'MKT-0001')", "seller_name is not unique (lines 2, 6)"],
    "rate": [
        "line 3 (seller_name '0042017')",
        "commission_rate '1.5' is not a number between 0 and 1",
    ],
    "missing_column": ["line 1 (header)", "missing required column(s) ad_fee_rate"],
    "empty_name": ["line 4:", "seller_name is empty"],
}


def _bad_directory(tmp, case):
    header, rows = list(HEADER), [list(r) for r in GOOD]
    if case == "duplicate":
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
    """Each bad directory in its own warehouse, two dbt processes at a time."""

    def attempt(case):
        root = tmp_path_factory.mktemp(f"dbt_bad_{case}")
        env = DbtEnv(root, root / "lake", _bad_directory(root, case))
        return env.seller_directory, env.run("run", "--select", "int_seller_directory", check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(BAD_CASES, pool.map(attempt, BAD_CASES), strict=True))


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_directory_fails_the_build_naming_the_row(bad_runs, case):
    path, result = bad_runs[case]
    assert not result.ok
    assert "int_seller_directory" in result.output
    assert f"MPO_SELLER_DIRECTORY={path}" in result.output
    for fragment in BAD_CASES[case]:
        assert fragment in result.output, (fragment, result.output[-3000:])
