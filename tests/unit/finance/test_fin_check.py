"""The reconciliation check outside a monthly run: open months that do not reconcile are a WARN."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from fin_unit_helpers import OCTOBER, add_statement_row, fake_warehouse, reconcile

from mpo_pipeline.defs.finance.reconciliation_check import month_reconciled
from mpo_pipeline.defs.resources import LakeResource, WarehouseResource
from mpo_pipeline.finance.close import CloseRequest, record_close

ADVERTISERS = (41111,)


def _evaluate(tmp_path: Path) -> dg.AssetCheckResult:
    lake = LakeResource(lake_dir=str(tmp_path / "lake"), time_zone="UTC")
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    return month_reconciled(dg.build_asset_check_context(), lake=lake, warehouse=warehouse)


def test_open_unreconciled_month_warns_and_names_the_metric(tmp_path):
    con = fake_warehouse(tmp_path / "w.duckdb")
    broken = {(41111, "sellers", "SameSeller"): {"sale_units": -3}}
    reconcile(con, OCTOBER, ADVERTISERS, broken=broken)
    con.close()
    result = _evaluate(tmp_path)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN  # a daily load is never blocked by it
    assert "2026-10 advertiser 41111 sellers/SameSeller sale_units: daily 997" in result.description
    assert result.metadata["failure_count"].value == 1


def test_closed_months_are_left_alone(tmp_path):
    con = fake_warehouse(tmp_path / "w.duckdb")
    reconcile(con, OCTOBER, ADVERTISERS, broken={(41111, "sellers", "AnySeller"): {"clicks": 2}})
    add_statement_row(con, OCTOBER, 41111, 5001)
    record_close(con, CloseRequest(OCTOBER, "ana"))  # restated after its close: adjustments
    con.close()
    result = _evaluate(tmp_path)
    assert result.passed
    assert "no open month" in result.description
