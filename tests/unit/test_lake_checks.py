"""The lake checks on a hand-built lake: each check passes on honest data and fails, naming the
offending rows, on the defect it exists for.

The lake is written the way extraction writes it (``stats_path`` + ``write_parquet_atomic`` +
lineage), from exact amounts chosen here; each endpoint's rows are then rounded one by one to six
decimals, as a reporting API does, so the endpoints disagree in the last decimals like real ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mpo_pipeline import lake_checks
from mpo_pipeline.client.stats_schema import stats_schema
from mpo_pipeline.extract import Advertiser, stamp
from mpo_pipeline.lake import stats_path, write_parquet_atomic

DAY = date(2026, 10, 25)
ADVERTISER = Advertiser(id=7, name="A", currency="EUR", time_zone="Europe/Paris")
MICRO = Decimal("0.000001")

# Exact cost of each (campaign, seller) on DAY, with nine decimals, so every per-row rounding to
# six loses something and the endpoints' sums disagree at the 6th decimal.
EXACT = {
    (c, s): Decimal((c * 7_919_993 + s * 104_729_111) % 1_000_000_007).scaleb(-8)
    for c in (1, 2, 3)
    for s in (11, 12, 13, 14, 15, 16, 17)
}


def _r6(value: Decimal) -> Decimal:
    return value.quantize(MICRO, rounding=ROUND_HALF_EVEN)


def _rows(endpoint: str, extra: Decimal) -> list[dict]:
    """The endpoint's rows, each rounded on its own; ``extra`` is added to the first row's cost."""
    groups: dict[tuple, Decimal] = {}
    for (campaign, seller), cost in EXACT.items():
        key = {
            "seller_campaigns": (campaign, seller),
            "sellers": (seller,),
            "campaigns": (campaign,),
        }[endpoint]
        groups[key] = groups.get(key, Decimal(0)) + cost
    rows = []
    for i, (key, cost) in enumerate(sorted(groups.items())):
        row = {
            "campaignId": key[0] if endpoint != "sellers" else None,
            "sellerId": key[-1] if endpoint != "campaigns" else None,
            "sellerName": f"S{key[-1]}" if endpoint != "campaigns" else None,
            "day": DAY,
            "impressions": 100,
            "clicks": 10,
            "cost": _r6(cost) + (extra if i == 0 else 0),
            "saleUnits": 1,
            "revenue": Decimal("12.5"),
        }
        rows.append(row)
    return rows


def write_day(
    lake: Path,
    endpoint: str,
    policy: str,
    *,
    extra: Decimal = Decimal(0),
    window: tuple[date, date] = (DAY, DAY),
    day: date = DAY,
    currency: str = "EUR",
    revenue: Decimal | None = None,
) -> None:
    rows = _rows(endpoint, extra)
    schema = stats_schema(endpoint)
    # impressions/clicks per row are constant; make counts agree across endpoints by scaling
    multiplicity = {"seller_campaigns": 1, "sellers": 3, "campaigns": 7}[endpoint]
    columns: dict[str, list] = {name: [] for name in schema.names}
    for row in rows:
        for name in schema.names:
            value = row.get(name)
            if name in ("impressions", "clicks"):
                value = value * multiplicity
            if name == "revenue" and revenue is not None:
                value = revenue
            if name == "day":
                value = day
            if name in ("cr", "cpo", "cos", "roas"):
                value = None
            columns[name].append(value)
    table = pa.table(columns, schema=schema)
    advertiser = Advertiser(ADVERTISER.id, ADVERTISER.name, currency, ADVERTISER.time_zone)
    table = stamp(
        table,
        advertiser=advertiser,
        endpoint=endpoint,
        policy=policy,
        interval_size="Day",
        time_zone="Europe/Paris",
        api_version="2026-07",
        window_start=window[0],
        window_end=window[1],
        extracted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    write_parquet_atomic(table, stats_path(lake, endpoint, policy, day, ADVERTISER.id))


def honest_lake(lake: Path, policies: tuple[str, ...] = ("SameSeller", "AnySeller")) -> None:
    for policy in policies:
        for endpoint in ("seller_campaigns", "sellers", "campaigns"):
            write_day(lake, endpoint, policy)


def test_endpoints_rounded_row_by_row_agree(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    totals = {
        endpoint: sum(r["cost"] for r in _rows(endpoint, Decimal(0)))
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
