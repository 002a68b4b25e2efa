"""The reconciliation check in a monthly run, through Dagster: it judges that month with severity
ERROR and blocks the run, naming each failing metric, each advertiser × endpoint × policy without
a reconciliation row and, as the likely cause, the lake files missing; a reconciled month passes.

The warehouse and lake are the fakes of ``fin_unit_helpers`` (the reconciliation rows and day
files written by hand). The stand-in for the dbt model only gives the run its monthly partition.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from fin_unit_helpers import fake_lake, fake_warehouse, reconcile

from mpo_pipeline.defs.finance.common import MONTHLY_PARTITIONS, RECONCILIATION_KEY
from mpo_pipeline.defs.finance.reconciliation_check import month_reconciled
from mpo_pipeline.defs.resources import LakeResource, warehouse_resource
from mpo_pipeline.ingest.lake import stats_path

# The first month of the partitions (MPO_START_DATE is pinned to 2025-01-01 for the tests).
JANUARY = date(2025, 1, 1)
ADVERTISERS = (41111, 42222)


@dg.asset(key=RECONCILIATION_KEY, partitions_def=MONTHLY_PARTITIONS)
def reconciliation_model() -> dg.MaterializeResult:
    """Stands in for the dbt model: the month's rows are already in the fake warehouse."""
    return dg.MaterializeResult()


def judge(lake: Path) -> tuple[bool, dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [reconciliation_model, month_reconciled],
        partition_key=JANUARY.isoformat(),
        resources={
            "lake": LakeResource(lake_dir=str(lake), time_zone="UTC"),
            "warehouse": warehouse_resource(),
        },
        raise_on_error=False,
    )
    [evaluation] = result.get_asset_check_evaluations()
    return result.success, evaluation


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MPO_WAREHOUSE", str(tmp_path / "w.duckdb"))
    con = fake_warehouse(tmp_path / "w.duckdb")
    fake_lake(tmp_path / "lake", JANUARY, ADVERTISERS)
    return con, tmp_path / "lake"


def test_reconciled_month_passes(world) -> None:
    con, lake = world
    reconcile(con, JANUARY, ADVERTISERS)
    con.close()
    success, evaluation = judge(lake)
    assert success
    assert evaluation.passed
    assert evaluation.description == "reconciled: 2025-01"
    assert evaluation.metadata["failure_count"].value == 0


def test_unreconciled_month_blocks_naming_metrics_rows_and_missing_files(world) -> None:
    con, lake = world
    broken = {(41111, "sellers", "SameSeller"): {"clicks": 2}}
    reconcile(con, JANUARY, ADVERTISERS, broken=broken, skip=[(42222, "campaigns", "AnySeller")])
    con.close()
    stats_path(lake, "sellers", "SameSeller", date(2025, 1, 17), 41111).unlink()
    success, evaluation = judge(lake)
    assert not success  # blocking, ERROR: the close stops here
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    text = evaluation.description
    assert "2 reconciliation failure(s) in 2025-01" in text
    assert "2025-01 advertiser 41111 sellers/SameSeller clicks: daily 1002" in text
    assert "2025-01 advertiser 42222 campaigns/AnySeller: no reconciliation row" in text
    assert "likely cause: 1 lake file(s) missing" in text
    assert "stats sellers/SameSeller advertiser 41111 2025-01-17" in text
    failures = evaluation.metadata["failures"].value
    assert {(f["advertiser_id"], f["endpoint"], f["policy"], f["metric"]) for f in failures} == {
        (41111, "sellers", "SameSeller", "clicks"),
        (42222, "campaigns", "AnySeller", "no reconciliation row (control totals not loaded?)"),
    }
    assert evaluation.metadata["missing_lake_files"].value == 1
