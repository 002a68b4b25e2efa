"""Statement export: CSV with per-currency totals, Parquet, and clear errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fin_unit_helpers import (
    AFTER_OCTOBER,
    OCTOBER,
    POLICIES,
    add_statement_row,
    fake_lake,
    fake_warehouse,
    reconcile,
)
from rich.console import Console

from mpo_pipeline import cli
from mpo_pipeline.cli.finance import print_close
from mpo_pipeline.finance.close import CloseRequest, MonthContext, close_month, close_totals
from mpo_pipeline.finance.export import ExportError, export_statement, output_paths


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """October closed twice (the second close stands) with sellers in EUR and USD."""
    root = tmp_path_factory.mktemp("export")
    con = fake_warehouse(root / "w.duckdb")
    fake_lake(root / "lake", OCTOBER, (41111, 42222))
    reconcile(con, OCTOBER, (41111, 42222))
    add_statement_row(con, OCTOBER, 41111, 5001, media_cost=Decimal("0.10"), clicks=4)
    add_statement_row(con, OCTOBER, 41111, 5002, seller_name="0042017", revenue_same_seller=0)
    add_statement_row(con, OCTOBER, 42222, 6001, currency="USD", clicks=0, media_cost=0)
    ctx = MonthContext(lake_dir=root / "lake", today=AFTER_OCTOBER, policies=POLICIES)
    close_month(con, CloseRequest(OCTOBER, "ana"), ctx)
    con.execute("update marts.fct_seller_monthly_statement set impressions = 7")
    now = datetime(2026, 11, 6, tzinfo=UTC)
    close_month(con, CloseRequest(OCTOBER, "bo", "restated", reopen=True), ctx, now=now)
    con.close()
    return root / "w.duckdb"


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_csv_has_sellers_then_totals_per_currency(warehouse, tmp_path):
    [path] = export_statement(warehouse, OCTOBER, tmp_path / "oct.csv")
    lines = _read_csv(path)
    sellers = [r for r in lines if r["line_type"] == "seller"]
    totals = [r for r in lines if r["line_type"] == "total"]
    assert lines[-2:] == totals  # totals come last
    assert [r["seller_id"] for r in sellers] == ["5001", "5002", "6001"]
    assert {r["close_id"] for r in lines} == {"2"}  # the latest close
    assert {r["closed_by"] for r in lines} == {"bo"}
    assert sellers[1]["seller_name"] == "0042017"  # text, leading zero kept
    assert sellers[0]["media_cost"] == "0.10"  # cents, not 0.1000
    assert {r["impressions"] for r in sellers} == {"7"}
    eur, usd = totals
    assert (eur["currency"], eur["media_cost"], eur["clicks"]) == ("EUR", "5.10", "14")
    assert eur["cr_same_seller"] == f"{2 / 14:.6f}"  # recomputed from the sums, not summed
    assert (usd["currency"], usd["media_cost"], usd["roas_same_seller"]) == ("USD", "0.00", "")


def test_parquet_keeps_types(warehouse, tmp_path):
    [path] = export_statement(warehouse, OCTOBER, tmp_path / "oct.parquet")
    table = pq.read_table(path)
    assert table.num_rows == 3
    assert table.schema.field("media_cost").type == pa.decimal128(38, 9)  # exact
    assert table.schema.field("ad_billing_amount").type == pa.decimal128(38, 4)  # billed
    assert table.schema.field("currency_minor_unit").type == pa.int32()
    assert table.schema.field("seller_id").type == pa.int64()
    assert set(table.column("close_id").to_pylist()) == {2}


def test_both_formats(warehouse, tmp_path):
    written = export_statement(warehouse, OCTOBER, tmp_path / "oct", fmt="both")
    assert [p.name for p in written] == ["oct.csv", "oct.parquet"]
    assert all(p.exists() for p in written)
    assert not list(tmp_path.glob(".*tmp"))


def test_month_never_closed(warehouse, tmp_path):
    with pytest.raises(ExportError, match=r"2026-09 was never closed"):
        export_statement(warehouse, datetime(2026, 9, 1).date(), tmp_path / "sep.csv")


def test_unwritable_paths(warehouse, tmp_path):
    with pytest.raises(ExportError, match=r"directory .*missing does not exist"):
        export_statement(warehouse, OCTOBER, tmp_path / "missing" / "oct.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ExportError, match=r"is a directory"):
        export_statement(warehouse, OCTOBER, tmp_path / "folder.csv")
    with pytest.raises(ExportError, match=r"\.csv or \.parquet"):
        output_paths(tmp_path / "oct.xlsx")


def test_no_warehouse(tmp_path):
    with pytest.raises(ExportError, match=r"no warehouse"):
        export_statement(tmp_path / "none.duckdb", OCTOBER, tmp_path / "oct.csv")


def test_cli_reports_errors_with_exit_code_2(warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MPO_WAREHOUSE", str(warehouse))
    out = tmp_path / "oct.csv"
    assert cli.main(["export-statement", "--month", "2026-10", "--out", str(out)]) == 0
    assert out.exists()
    assert cli.main(["export-statement", "--month", "2026-9", "--out", str(out)]) == 2
    assert cli.main(["export-statement", "--month", "2026-09", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not a month of the form YYYY-MM" in err
    assert "2026-09 was never closed" in err


def test_as_closed_needs_a_ducklake(warehouse, tmp_path, monkeypatch, capsys):
    """A DuckDB file keeps no snapshots: --as-closed refuses, exit code 2, and writes nothing."""
    out = tmp_path / "oct.csv"
    with pytest.raises(ExportError, match=r"needs a DuckLake warehouse .* is a DuckDB file"):
        export_statement(warehouse, OCTOBER, out, as_closed=True)
    monkeypatch.setenv("MPO_WAREHOUSE", str(warehouse))
    assert (
        cli.main(["export-statement", "--month", "2026-10", "--out", str(out), "--as-closed"]) == 2
    )
    assert "time travel" in capsys.readouterr().err and not out.exists()


def test_money_is_shown_with_the_minor_unit_of_its_currency(tmp_path):
    """Billed amounts with the currency's minor unit (whole yen, euro cents), exact amounts as
    they are: in the CSV export and in the totals `mpo-pipeline close` prints."""
    con = fake_warehouse(tmp_path / "w.duckdb")
    fake_lake(tmp_path / "lake", OCTOBER, (41111, 43333))
    reconcile(con, OCTOBER, (41111, 43333))
    add_statement_row(
        con,
        OCTOBER,
        41111,
        5001,
        media_cost=Decimal("0.000012000"),
        ad_billing_amount=Decimal("0.0000"),
    )
    add_statement_row(
        con,
        OCTOBER,
        43333,
        7001,
        currency="JPY",
        media_cost=Decimal("1176.190476190"),
        ad_billing_amount=Decimal("1235.0000"),
        revenue_same_seller=Decimal("190758099"),
    )
    add_statement_row(
        con,
        OCTOBER,
        43333,
        7002,
        currency="JPY",
        media_cost=Decimal("100.5"),
        ad_billing_amount=Decimal("1000000.0000"),
    )
    ctx = MonthContext(lake_dir=tmp_path / "lake", today=AFTER_OCTOBER, policies=POLICIES)
    record = close_month(con, CloseRequest(OCTOBER, "ana"), ctx)
    totals = close_totals(con, record.close_id)
    con.close()

    [path] = export_statement(tmp_path / "w.duckdb", OCTOBER, tmp_path / "oct.csv")
    lines = {(r["line_type"], r["seller_id"], r["currency"]): r for r in _read_csv(path)}
    eur, yen = lines[("seller", "5001", "EUR")], lines[("seller", "7001", "JPY")]
    assert (eur["ad_billing_amount"], eur["media_cost"]) == ("0.00", "0.000012")
    assert (yen["ad_billing_amount"], yen["media_cost"]) == ("1235", "1176.19047619")
    assert yen["revenue_same_seller"] == "190758099" and yen["currency_minor_unit"] == "0"
    yen_total = lines[("total", "", "JPY")]
    assert (yen_total["ad_billing_amount"], yen_total["media_cost"]) == ("1001235", "1276.69047619")
    assert lines[("total", "", "EUR")]["ad_billing_amount"] == "0.00"

    console = Console(file=io.StringIO(), width=250)
    print_close(console, record, totals)
    printed = console.file.getvalue()
    assert "1,001,235 " in printed and "1,001,235.00" not in printed  # whole yen
    assert "1,276.69047619" in printed  # exact yen cost, as it is
    assert "0.000012" in printed and " 0.00 " in printed  # euro cost exact, billing in cents
