"""Independent truth for the reliability tests: what the warehouse and the lake must hold.

Expected rows are computed here in plain Python from the simulator's ground truth
(``GroundTruth.stats``), following the warehouse contract (docs/architecture.md), never from
anything the pipeline produced.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from contextlib import closing
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from support.lake import STATS_LINEAGE

from mpo_pipeline.config import WarehouseTarget
from mpo_pipeline.ingest.lake import ENDPOINTS, read_parquet, stats_path
from mpo_pipeline.simulator import GroundTruth
from mpo_pipeline.warehouse.access import connect_read_only

POLICIES = ("SameSeller", "AnySeller")
SLUGS = {"SameSeller": "same_seller", "AnySeller": "any_seller"}
FACTS = {
    "seller_campaigns": "marts.fct_seller_campaign_stats_daily",
    "sellers": "marts.fct_seller_stats_daily",
    "campaigns": "marts.fct_campaign_stats_daily",
}
DIMENSIONS = {
    "seller_campaigns": ("campaignId", "sellerId"),
    "sellers": ("sellerId",),
    "campaigns": ("campaignId",),
}
KEY_COLUMNS = {
    "seller_campaigns": ["report_date", "advertiser_id", "campaign_id", "seller_id"],
    "sellers": ["report_date", "advertiser_id", "seller_id"],
    "campaigns": ["report_date", "advertiser_id", "campaign_id"],
}
STATEMENT = "marts.fct_seller_monthly_statement"
STATEMENT_KEYS = ["month", "advertiser_id", "seller_id"]
LINEAGE = STATS_LINEAGE
# DuckDB's single-writer errors and SQLite's (the Dagster instance) busy error.
LOCK_ERROR = re.compile(
    r"Could not set lock on file|Conflicting lock is held|database is locked", re.IGNORECASE
)


def days(start: date, end: date) -> list[date]:
    """Every day of an inclusive range."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def money(value: Decimal) -> Decimal:
    """A money value as the warehouse holds it: exactly what the API served (DECIMAL(38, 9))."""
    assert isinstance(value, Decimal), f"the truth serves money as decimals, got {value!r}"
    return value


def _ratio(numerator: Any, denominator: Any) -> float | None:
    return None if denominator == 0 else float(numerator) / float(denominator)


def _with_ratios(row: dict[str, Any]) -> dict[str, Any]:
    for slug in SLUGS.values():
        units, revenue = row[f"sale_units_{slug}"], row[f"revenue_{slug}"]
        row[f"cr_{slug}"] = _ratio(units, row["clicks"])
        row[f"cpo_{slug}"] = _ratio(row["cost"], units)
        row[f"cos_{slug}"] = _ratio(row["cost"], revenue)
        row[f"roas_{slug}"] = _ratio(revenue, row["cost"])
    return row


def expected_fact(truth: GroundTruth, endpoint: str, start: date, end: date) -> dict[tuple, dict]:
    """The rows of one daily fact for ``[start, end]`` (UTC days), keyed like ``KEY_COLUMNS``.

    Policy-independent metrics come from the AnySeller rows, sales and revenue of each policy
    from that policy's rows (0 when the policy has no row), ratios from the additive bases.
    """
    rows: dict[tuple, dict] = {}
    for advertiser in truth.advertisers():
        adv = int(advertiser["id"])
        for policy in POLICIES:
            table = truth.stats(endpoint, policy, adv, start, end, time_zone="UTC")
            slug = SLUGS[policy]
            for served in table.to_pylist():
                key = (served["day"], adv, *(served[d] for d in DIMENSIONS[endpoint]))
                row = rows.setdefault(
                    key,
                    {
                        "currency": advertiser["currencyName"],
                        "sale_units_same_seller": 0,
                        "revenue_same_seller": Decimal(0),
                        "sale_units_any_seller": 0,
                        "revenue_any_seller": Decimal(0),
                    },
                )
                if policy == "AnySeller" or "clicks" not in row:
                    row["impressions"] = served["impressions"]
                    row["clicks"] = served["clicks"]
                    row["cost"] = money(served["cost"])
                    if "sellerName" in served:
                        row["seller_name"] = served["sellerName"]
                row[f"sale_units_{slug}"] = served["saleUnits"]
                row[f"revenue_{slug}"] = money(served["revenue"])
    return {key: _with_ratios(row) for key, row in rows.items()}


def expected_statement(truth: GroundTruth, start: date, end: date) -> dict[tuple, dict]:
    """Additive columns of the monthly seller statement over the loaded days ``[start, end]``."""
    out: dict[tuple, dict] = {}
    for (day, adv, seller), row in expected_fact(truth, "sellers", start, end).items():
        key = (day.replace(day=1), adv, seller)
        total = out.setdefault(
            key,
            {
                "impressions": 0,
                "clicks": 0,
                "media_cost": Decimal(0),
                "sale_units_same_seller": 0,
                "revenue_same_seller": Decimal(0),
                "sale_units_any_seller": 0,
                "revenue_any_seller": Decimal(0),
            },
        )
        total["impressions"] += row["impressions"]
        total["clicks"] += row["clicks"]
        total["media_cost"] += row["cost"]
        for column in (
            "sale_units_same_seller",
            "revenue_same_seller",
            "sale_units_any_seller",
            "revenue_any_seller",
        ):
            total[column] += row[column]
    return out


def query(warehouse: Path | WarehouseTarget, sql: str) -> list[dict]:
    """Rows of ``sql`` on a read-only connection to the warehouse (a file or a DuckLake)."""
    with closing(connect_read_only(warehouse)) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def keyed(rows: Iterable[dict], keys: list[str], relation: str) -> dict[tuple, dict]:
    """Rows keyed by ``keys``; a duplicate key is an error (the pipeline duplicated a row)."""
    out: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        assert key not in out, f"{relation}: duplicate key {key}"
        out[key] = row
    return out


def _same(actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(float(actual), float(expected), rel_tol=1e-12, abs_tol=1e-15)
    return actual == expected


def compare(relation: str, actual: dict[tuple, dict], expected: dict[tuple, dict]) -> list[str]:
    """Differences between warehouse rows and expected rows (empty list = identical)."""
    problems: list[str] = []
    missing = sorted(set(expected) - set(actual), key=str)
    extra = sorted(set(actual) - set(expected), key=str)
    if missing:
        problems.append(f"{relation}: {len(missing)} rows missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{relation}: {len(extra)} unexpected rows, e.g. {extra[:3]}")
    for key in sorted(set(expected) & set(actual), key=str):
        for column, want in expected[key].items():
            got = actual[key].get(column, "<no such column>")
            if not _same(got, want):
                problems.append(f"{relation} {key} {column}: got {got!r}, expected {want!r}")
    return problems


def warehouse_differences(
    warehouse: Path | WarehouseTarget, truth: GroundTruth, start: date, end: date
) -> tuple[list[str], int]:
    """Compare the three daily facts and the statement with the truth; (problems, rows checked)."""
    problems: list[str] = []
    checked = 0
    for endpoint, relation in FACTS.items():
        actual = keyed(
            query(warehouse, f"select * from {relation}"), KEY_COLUMNS[endpoint], relation
        )
        expected = expected_fact(truth, endpoint, start, end)
        problems += compare(relation, actual, expected)
        checked += len(actual)
    actual = keyed(query(warehouse, f"select * from {STATEMENT}"), STATEMENT_KEYS, STATEMENT)
    problems += compare(STATEMENT, actual, expected_statement(truth, start, end))
    checked += len(actual)
    return problems, checked


def _canonical(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in rows)


def lake_differences(
    lake: Path, truth: GroundTruth, start: date, end: date, endpoints: Iterable[str] = ENDPOINTS
) -> tuple[list[str], int]:
    """Compare every landed day file with the truth; (problems, rows checked)."""
    problems: list[str] = []
    checked = 0
    for endpoint in endpoints:
        for policy in POLICIES:
            for advertiser in truth.advertisers():
                adv = int(advertiser["id"])
                served = truth.stats(endpoint, policy, adv, start, end, time_zone="UTC")
                by_day: dict[date, list[dict]] = {}
                for row in served.to_pylist():
                    by_day.setdefault(row["day"], []).append(row)
                for day in days(start, end):
                    path = stats_path(lake, endpoint, policy, day, adv)
                    if not path.exists():
                        problems.append(f"missing lake file {path}")
                        continue
                    table = read_parquet(path)
                    known = [c for c in table.column_names if c in served.column_names]
                    got = table.select(known).to_pylist()
                    if _canonical(got) != _canonical(by_day.get(day, [])):
                        problems.append(f"{path}: rows differ from the truth")
                    if set(table.column("currency").to_pylist()) - {advertiser["currencyName"]}:
                        problems.append(f"{path}: wrong currency")
                    checked += table.num_rows
    return problems, checked


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file below ``root`` (hidden temp files included), by relative path."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def sha256(path: Path) -> str | None:
    """sha256 of one file (None when it does not exist)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def marts_fingerprint(warehouse: Path) -> dict[str, str]:
    """A content hash of every table of the marts schema (sorted rows), by table name."""
    out: dict[str, str] = {}
    tables = query(
        warehouse,
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1",
    )
    for row in tables:
        rows = query(warehouse, f'select * from marts."{row["table_name"]}"')
        digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
        out[row["table_name"]] = f"{len(rows)} rows {digest[:16]}"
    return out


def lock_errors(text: str) -> list[str]:
    """Lines of ``text`` that report a DuckDB (or SQLite) lock conflict."""
    return [line.strip()[:300] for line in text.splitlines() if LOCK_ERROR.search(line)]
