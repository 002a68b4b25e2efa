"""The lake checks on a hand-built lake: each check passes on honest data and fails, naming the
offending rows, on the defect it exists for.

The lake is written the way extraction writes it, each endpoint's rows rounded one by one as a
reporting API does (``support.handmade_lake``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from support.handmade_lake import ADVERTISER, DAY, endpoint_rows, honest_lake, write_day

from mpo_pipeline.ingest import lake_checks
from mpo_pipeline.ingest.lake import stats_path, write_parquet_atomic


def test_endpoints_rounded_row_by_row_agree(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    totals = {
        endpoint: sum(r["cost"] for r in endpoint_rows(endpoint, Decimal(0)))
        for endpoint in ("seller_campaigns", "sellers", "campaigns")
    }
    # the premise: per-row rounding really makes the endpoints disagree
    assert len(set(totals.values())) > 1, totals
    result = lake_checks.endpoints_agree(tmp_path, "AnySeller", DAY, DAY)
    assert result.passed, result.failures


def test_endpoints_one_cent_gap_fails(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_day(tmp_path, "campaigns", "AnySeller", extra=Decimal("0.01"))
    result = lake_checks.endpoints_agree(tmp_path, "AnySeller", DAY, DAY)
    assert not result.passed
    assert result.failures[0]["report_date"] == DAY.isoformat()
    assert result.failures[0]["advertiserId"] == ADVERTISER.id
    assert "campaigns: " in result.failures[0]["totals"]


def test_endpoints_missing_row_worth_a_cent_fails(tmp_path: Path) -> None:
    """A seller-campaign row of 0.01 missing from the finest endpoint only."""
    honest_lake(tmp_path)
    # seller_campaigns loses 0.01 on one row: as if a row worth a cent had not been served
    write_day(tmp_path, "seller_campaigns", "AnySeller", extra=Decimal("-0.01"))
    result = lake_checks.endpoints_agree(tmp_path, "AnySeller", DAY, DAY)
    assert not result.passed and result.failure_count == 1


def test_endpoint_missing_for_a_day_fails(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_day(tmp_path, "sellers", "AnySeller", day=date(2026, 10, 26))
    write_day(tmp_path, "seller_campaigns", "AnySeller", day=date(2026, 10, 26))
    result = lake_checks.endpoints_agree(tmp_path, "AnySeller", DAY, date(2026, 10, 26))
    assert not result.passed
    assert [f["report_date"] for f in result.failures] == ["2026-10-26"]


def test_policies_agree_within_rounding_and_not_beyond(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_day(tmp_path, "sellers", "SameSeller", extra=Decimal("0.000001"))
    assert lake_checks.policies_agree(tmp_path, "sellers", DAY, DAY).passed
    write_day(tmp_path, "sellers", "SameSeller", extra=Decimal("0.01"))
    result = lake_checks.policies_agree(tmp_path, "sellers", DAY, DAY)
    assert not result.passed and result.failure_count == 1
    assert result.failures[0]["sellerId"] == 11


def test_same_seller_above_any_seller_fails(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    assert lake_checks.same_seller_within_any_seller(tmp_path, "sellers", DAY, DAY).passed
    write_day(tmp_path, "sellers", "SameSeller", revenue=Decimal("13.5"))
    result = lake_checks.same_seller_within_any_seller(tmp_path, "sellers", DAY, DAY)
    assert not result.passed and result.failure_count == 7


def test_row_outside_its_window_fails(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    assert lake_checks.rows_in_window(tmp_path, "sellers", "AnySeller", DAY, DAY).passed
    write_day(tmp_path, "sellers", "AnySeller", window=(date(2026, 10, 1), date(2026, 10, 24)))
    result = lake_checks.rows_in_window(tmp_path, "sellers", "AnySeller", DAY, DAY)
    assert not result.passed
    assert result.failures[0]["report_date"] == DAY.isoformat()


def test_two_currencies_in_one_day_of_an_advertiser_fail(tmp_path: Path) -> None:
    """A currency change between days is legitimate (each day keeps its own); two currencies in
    one day's rows could not be split by anything downstream."""
    honest_lake(tmp_path)
    assert lake_checks.single_currency(tmp_path, "sellers", "AnySeller", DAY, DAY).passed
    write_day(tmp_path, "sellers", "AnySeller", day=date(2026, 10, 26), currency="USD")
    changed = lake_checks.single_currency(tmp_path, "sellers", "AnySeller", DAY, date(2026, 10, 26))
    assert changed.passed
    path = stats_path(tmp_path, "sellers", "AnySeller", DAY, ADVERTISER.id)
    table = pq.read_table(path)
    mixed = pa.array(["EUR"] + ["USD"] * (table.num_rows - 1))
    write_parquet_atomic(
        table.set_column(table.column_names.index("currency"), "currency", mixed), path
    )
    result = lake_checks.single_currency(tmp_path, "sellers", "AnySeller", DAY, date(2026, 10, 26))
    assert not result.passed
    assert [(f["report_date"], f["advertiserId"]) for f in result.failures] == [
        (DAY.isoformat(), ADVERTISER.id)
    ]


def test_missing_day_is_named(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    days = [DAY, date(2026, 10, 26)]
    result = lake_checks.missing_days(tmp_path, "sellers", "AnySeller", [ADVERTISER.id], days)
    assert not result.passed
    assert result.failures == [{"advertiserId": ADVERTISER.id, "report_date": "2026-10-26"}]
