"""Reading the lake and the warehouse back, to compare them with the simulator's ground truth."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from support.processes import REPO

from mpo_pipeline.ingest.lake import ENDPOINTS, stats_path
from mpo_pipeline.simulator import GroundTruth

POLICIES = ("SameSeller", "AnySeller")


def lineage_columns(doc: Path = REPO / "docs" / "lake.md") -> tuple[str, ...]:
    """The lineage columns, read from the table under "Lineage columns" in docs/lake.md."""
    text = doc.read_text()
    section = text.split("Lineage columns", 1)[1].split("\n\n", 2)[1]
    first_cells = re.findall(r"^\| ([^|]+) \|", section, flags=re.MULTILINE)
    columns = tuple(name for cell in first_cells for name in re.findall(r"`(\w+)`", cell))
    assert columns, "no lineage column table found in docs/lake.md"
    return columns


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _key(row: dict) -> tuple[str, ...]:
    return tuple(str(row.get(k)) for k in sorted(row))


def stats_days(lake: Path) -> set[date]:
    """Every report_date that has at least one stats file in the lake."""
    found = set()
    for path in (lake / "stats").glob("endpoint=*/policy=*/report_date=*"):
        if any(path.glob("*.parquet")):
            found.add(date.fromisoformat(path.name.split("=", 1)[1]))
    return found


def assert_lake_equals_truth(
    lake: Path, truth: GroundTruth, start: date, end: date, *, time_zone: str = "UTC"
) -> int:
    """Every day (of ``time_zone``), endpoint, policy and advertiser of the range holds exactly
    the truth's rows."""
    lineage = lineage_columns()
    compared = 0
    for endpoint in ENDPOINTS:
        for policy in POLICIES:
            for advertiser in (a["id"] for a in truth.advertisers()):
                expected = truth.stats(
                    endpoint, policy, advertiser, start, end, time_zone=time_zone
                )
                by_day: dict[date, list[dict]] = defaultdict(list)
                for row in expected.to_pylist():
                    by_day[row["day"]].append(row)
                for day in days(start, end):
                    table = pq.read_table(stats_path(lake, endpoint, policy, day, advertiser))
                    table = table.drop_columns([c for c in lineage if c in table.column_names])
                    got = sorted(table.to_pylist(), key=_key)
                    assert got == sorted(by_day[day], key=_key), (endpoint, policy, advertiser, day)
                    compared += len(got)
    return compared


def warehouse_has_marts(warehouse: Path) -> bool:
    """True once the dbt models have built the ``marts`` schema in the DuckDB file."""
    if not warehouse.exists():
        return False
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select count(*) from information_schema.schemata where schema_name = 'marts'"
        ).fetchall()
    return rows[0][0] > 0


def assert_daily_facts_equal_truth(
    warehouse: Path, truth: GroundTruth, start: date, end: date, *, time_zone: str = "UTC"
) -> None:
    """Daily seller-campaign facts: impressions, clicks and cost exactly as served, per day of
    ``time_zone``."""
    expected: dict[tuple[date, int], tuple[int, int, Decimal]] = {}
    for advertiser in (a["id"] for a in truth.advertisers()):
        table = truth.stats(
            "seller_campaigns", "SameSeller", advertiser, start, end, time_zone=time_zone
        )
        for row in table.to_pylist():
            key = (row["day"], advertiser)
            imp, clk, cost = expected.get(key, (0, 0, Decimal(0)))
            expected[key] = (imp + row["impressions"], clk + row["clicks"], cost + row["cost"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            select report_date, advertiser_id, sum(impressions), sum(clicks), sum(cost)
            from marts.fct_seller_campaign_stats_daily
            where report_date between ? and ?
            group by all
            """,
            [start, end],
        ).fetchall()
    got = {(r[0], r[1]): (int(r[2]), int(r[3]), r[4]) for r in rows}
    assert set(got) == set(expected), "days/advertisers of the daily facts differ from the truth"
    for key, (imp, clk, cost) in expected.items():
        assert got[key][:2] == (imp, clk), key
        # Exact: the warehouse sums the served decimals unrounded.
        assert got[key][2] == cost, (key, got[key][2], cost)
