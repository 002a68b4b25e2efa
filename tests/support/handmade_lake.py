"""A hand-built lake of one advertiser and day, written the way extraction writes it
(``stats_path`` + ``write_parquet_atomic`` + lineage), from exact amounts chosen here; each
endpoint's rows are rounded one by one to six decimals, as a reporting API does, so the endpoints
disagree in the last decimals like real ones. Used by the lake checks' and asset checks' tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pyarrow as pa

from mpo_pipeline.client.stats_schema import stats_schema
from mpo_pipeline.ingest.extract import Advertiser, stamp
from mpo_pipeline.ingest.lake import stats_path, write_parquet_atomic

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


def endpoint_rows(endpoint: str, extra: Decimal) -> list[dict]:
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
    """Write one endpoint and policy of ``day``; ``extra`` is added to the first row's cost."""
    rows = endpoint_rows(endpoint, extra)
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
    """Every endpoint of DAY for ``policies``, with nothing wrong."""
    for policy in policies:
        for endpoint in ("seller_campaigns", "sellers", "campaigns"):
            write_day(lake, endpoint, policy)
