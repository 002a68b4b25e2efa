"""The lake's currency check under a currency change: one currency per advertiser *and day*.

A window whose days were loaded before and after an advertiser's currency changed holds two
currencies, legitimately (the warehouse keeps each day's and never adds them up); a day whose rows
carry two currencies cannot be split by anything downstream and must fail. Hand-built lake files,
written as extraction writes them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from mpo_pipeline.client.stats_schema import stats_schema
from mpo_pipeline.ingest import lake_checks
from mpo_pipeline.ingest.extract import Advertiser, stamp
from mpo_pipeline.ingest.lake import stats_path, write_parquet_atomic

DAY_1, DAY_2 = date(2025, 3, 4), date(2025, 3, 5)
EUR = Advertiser(id=41111, name="FR", currency="EUR", time_zone="Europe/Paris")
USD = Advertiser(id=41111, name="FR", currency="USD", time_zone="Europe/Paris")


def _stamped(advertiser: Advertiser, day: date, seller: int) -> pa.Table:
    row = {
        "sellerId": seller,
        "sellerName": f"S{seller}",
        "day": day,
        "impressions": 100,
        "clicks": 10,
        "cost": Decimal("1.5"),
        "saleUnits": 1,
        "revenue": Decimal("12.5"),
    }
    schema = stats_schema("sellers")
    table = pa.Table.from_pylist([{f.name: row.get(f.name) for f in schema}], schema=schema)
    return stamp(
        table,
        advertiser=advertiser,
        endpoint="sellers",
        policy="AnySeller",
        interval_size="Day",
        time_zone="UTC",
        api_version="2026-07",
        window_start=day,
        window_end=day,
        extracted_at=datetime(2025, 3, 6, tzinfo=UTC),
    )


def _write(lake: Path, day: date, *tables: pa.Table) -> None:
    path = stats_path(lake, "sellers", "AnySeller", day, EUR.id)
    write_parquet_atomic(pa.concat_tables(tables), path)


def test_days_in_different_currencies_pass(tmp_path: Path) -> None:
    _write(tmp_path, DAY_1, _stamped(EUR, DAY_1, 11))
    _write(tmp_path, DAY_2, _stamped(USD, DAY_2, 11))
    result = lake_checks.single_currency(tmp_path, "sellers", "AnySeller", DAY_1, DAY_2)
    assert result.passed, result.failures


def test_a_day_in_two_currencies_fails_naming_the_day(tmp_path: Path) -> None:
    _write(tmp_path, DAY_1, _stamped(EUR, DAY_1, 11))
    _write(tmp_path, DAY_2, _stamped(EUR, DAY_2, 11), _stamped(USD, DAY_2, 12))
    result = lake_checks.single_currency(tmp_path, "sellers", "AnySeller", DAY_1, DAY_2)
    assert not result.passed
    assert result.failures == [
        {"report_date": DAY_2.isoformat(), "advertiserId": EUR.id, "currencies": "['EUR', 'USD']"}
    ]
