"""The month-close scenario against the simulator: environment, loads, ground truth, lake edits."""

from __future__ import annotations

import csv
import os
import subprocess
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_dbt import get_asset_key_for_model

from mpo_pipeline.config import Settings
from mpo_pipeline.core.dates import month_bounds
from mpo_pipeline.defs import resources as defs_resources
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS
from mpo_pipeline.defs.resources import warehouse_resource
from mpo_pipeline.defs.transform.dbt_assets import dbt_daily_facts, dbt_rollups
from mpo_pipeline.defs.transform.project import DBT_EXECUTABLE, dbt_project, dbt_resource
from mpo_pipeline.ingest.lake import stats_path, write_parquet_atomic
from mpo_pipeline.runs.runner import prepare_environment
from mpo_pipeline.simulator import SimulatorConfig

OCTOBER = date(2026, 10, 1)
# Clock 1: Oct 30 and 31 are 3 and 2 days old (invalid-click cost not yet removed, sales still
# maturing). Clock 2: all of October is final, so late October restates in both directions.
CLOCK_1, CLOCK_2 = date(2026, 11, 2), date(2026, 11, 12)
CONFIG = SimulatorConfig(seed=5, advertisers=2, campaigns=3, sellers=40, today=CLOCK_1)
# The marketplace closes its books in Paris days: October 2026 ends with the 25-hour day of the
# change back to winter time (03:00 CEST -> 02:00 CET on 2026-10-25).
ZONE = "Europe/Paris"
DST_END = date(2026, 10, 25)
AROUND_DST_END = (DST_END - timedelta(days=1), DST_END, DST_END + timedelta(days=1))
# The columns of marts.fct_seller_stats_daily compared with the truth's /stats/sellers rows.
FACT_MEASURES = (
    "impressions",
    "clicks",
    "cost",
    "sale_units_same_seller",
    "revenue_same_seller",
    "sale_units_any_seller",
    "revenue_any_seller",
)
# The statement's money and count columns, in statement order.
MEASURES = (
    "impressions",
    "clicks",
    "media_cost",
    "ad_billing_amount",
    "sale_units_same_seller",
    "revenue_same_seller",
    "sale_units_any_seller",
    "revenue_any_seller",
)
# ISO 4217 minor units of the simulator's currencies, independent of the seed currency_minor_units
MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "BRL": 2, "JPY": 0}


def point_at(monkeypatch, sim, root: Path) -> Settings:
    """Environment of a pipeline on ``root`` talking to ``sim``, in Paris days, whose "today" is
    the simulator's; restored by ``monkeypatch``."""
    directory = root / "seller_directory.csv"
    from mpo_pipeline.simulator import write_seller_directory

    write_seller_directory(sim.config, directory)
    values = {
        "MPO_API_BASE_URL": sim.url,
        "MPO_CLIENT_ID": sim.config.client_id,
        "MPO_CLIENT_SECRET": sim.config.client_secret,
        "MPO_DATA_DIR": str(root),
        "MPO_LAKE_DIR": str(root / "lake"),
        "MPO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "MPO_PUBLISHED_WAREHOUSE": str(root / "published" / "warehouse.duckdb"),
        "MPO_SELLER_DIRECTORY": str(directory),
        "MPO_TIME_ZONE": ZONE,
        "MPO_TODAY": sim.truth.today.isoformat(),
        "MPO_MAX_CALLS_PER_MINUTE": "10000",
        "DAGSTER_HOME": os.environ["DAGSTER_HOME"],
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    # Resources are built from settings cached per process: rebuild them for this environment.
    defs_resources.settings.cache_clear()
    settings = Settings.from_env()
    prepare_environment(settings)
    return settings


def move_clock(monkeypatch, sim, today: date) -> None:
    """Move the simulator's clock and the pipeline's "today" (``MPO_TODAY``) together."""
    sim.set_today(today)
    monkeypatch.setenv("MPO_TODAY", today.isoformat())


def reload_and_rebuild(start: date, end: date) -> list[dg.ExecuteInProcessResult]:
    """Re-fetch the stats of ``start..end``, then rebuild the daily facts and the rollups (incl.
    fct_post_close_adjustments) as the daily refresh does for its lookback window. Two runs: the
    facts read the lake through views that are not rebuilt here, so nothing else orders them."""
    resources = {
        **defs_resources.build_resources(defs_resources.settings()),
        "dbt": dbt_resource(),
    }
    tags = range_tags(start.isoformat(), end.isoformat())
    runs = [dg.materialize(STATS_ASSETS, resources=resources, tags=tags, raise_on_error=False)]
    if runs[0].success:
        runs.append(
            dg.materialize(
                [dbt_daily_facts, dbt_rollups], resources=resources, tags=tags, raise_on_error=False
            )
        )
    return runs


def rebuild_seller_facts(day: date) -> dg.ExecuteInProcessResult:
    """Rebuild marts.fct_seller_stats_daily for one day from the lake (no API call)."""
    dbt = dbt_resource()
    return dg.materialize(
        [dbt_daily_facts],
        selection=[get_asset_key_for_model([dbt_daily_facts], "fct_seller_stats_daily")],
        partition_key=day.isoformat(),
        resources={"dbt": dbt, "warehouse": warehouse_resource()},
        raise_on_error=False,
    )


def query(warehouse: Path, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a read-only query on the warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fee_rates(directory: Path) -> dict[str, Decimal]:
    """seller_name → ad_fee_rate of the seller directory (a seller missing from it pays 0)."""
    with open(directory, newline="", encoding="utf-8") as handle:
        return {r["seller_name"]: Decimal(r["ad_fee_rate"]) for r in csv.DictReader(handle)}


def truth_statement(
    truth, month: date, today: date, rates: dict[str, Decimal], *, time_zone: str
) -> dict:
    """The month's statement per (advertiser, seller) as the simulator served it at ``today``,
    computed in Python from ``/stats/sellers`` Day rows of ``time_zone``: money summed exactly,
    the ad billing (one directory rate per seller) rounded once, half away from zero, to the
    minor unit."""
    first, last = month_bounds(month)
    out: dict[tuple[int, int], dict] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    names: dict[tuple[int, int], str] = {}
    currencies = {a["id"]: a["currencyName"] for a in truth.advertisers()}
    for advertiser in currencies:
        for policy, suffix in (("SameSeller", "same_seller"), ("AnySeller", "any_seller")):
            table = truth.stats(
                "sellers", policy, advertiser, first, last, time_zone=time_zone, today=today
            )
            for row in table.to_pylist():
                seller = out[(advertiser, row["sellerId"])]
                names[(advertiser, row["sellerId"])] = row["sellerName"]
                seller[f"sale_units_{suffix}"] += row["saleUnits"]
                seller[f"revenue_{suffix}"] += Decimal(str(row["revenue"]))
                if policy == "AnySeller":  # policy-independent metrics counted once
                    seller["impressions"] += row["impressions"]
                    seller["clicks"] += row["clicks"]
                    seller["media_cost"] += Decimal(str(row["cost"]))
    for key, seller in out.items():
        rate = rates.get(names[key], Decimal(0))
        billing = Decimal(seller["media_cost"]) * (1 + rate)
        unit = Decimal(1).scaleb(-MINOR_UNITS[currencies[key[0]]])
        seller["ad_billing_amount"] = billing.quantize(unit, rounding=ROUND_HALF_UP)
    return dict(out)


def truth_seller_days(
    truth, advertiser: int, days: tuple[date, ...], today: date, time_zone: str
) -> dict[tuple[date, int], dict]:
    """marts.fct_seller_stats_daily of ``days`` as the truth's ``/stats/sellers`` Day rows in
    ``time_zone`` make it: (day, seller) -> measures (the policy-independent ones from the
    AnySeller row, a policy without a row counts 0)."""
    out: dict[tuple[date, int], dict] = {}
    for policy, suffix in (("AnySeller", "any_seller"), ("SameSeller", "same_seller")):
        rows = truth.stats(
            "sellers", policy, advertiser, min(days), max(days), time_zone=time_zone, today=today
        )
        for row in rows.to_pylist():
            fact = out.setdefault(
                (row["day"], row["sellerId"]),
                {
                    "impressions": row["impressions"],
                    "clicks": row["clicks"],
                    "cost": row["cost"],
                    "sale_units_same_seller": 0,
                    "revenue_same_seller": Decimal(0),
                    "sale_units_any_seller": 0,
                    "revenue_any_seller": Decimal(0),
                },
            )
            fact[f"sale_units_{suffix}"] = row["saleUnits"]
            fact[f"revenue_{suffix}"] = row["revenue"]
    return out


def local_day_in_utc(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """The UTC instants (naive) where ``day`` of ``time_zone`` starts and ends."""
    zone = ZoneInfo(time_zone)
    start, end = (datetime.combine(d, time(), tzinfo=zone) for d in (day, day + timedelta(1)))
    return start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None)


def utc_hour_counts(
    truth, advertiser: int, start: datetime, end: datetime, today: date
) -> dict[int, tuple[int, int]]:
    """seller -> (impressions, clicks) summed over the UTC hours ``[start, end)`` (naive UTC) of
    the truth's AnySeller ``/stats/sellers`` Hour rows requested in UTC."""
    rows = truth.stats(
        "sellers",
        "AnySeller",
        advertiser,
        start.date(),
        (end - timedelta(hours=1)).date(),
        interval="Hour",
        time_zone="UTC",
        today=today,
    )
    out: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in rows.to_pylist():
        if start <= row["hour"] < end:
            imp, clk = out[row["sellerId"]]
            out[row["sellerId"]] = (imp + row["impressions"], clk + row["clicks"])
    return dict(out)


def expected_adjustments(before: dict, after: dict) -> dict:
    """Per (advertiser, seller): closed, current and delta of every measure, changed rows only."""
    expected = {}
    for key in before.keys() | after.keys():
        old = before.get(key, dict.fromkeys(MEASURES, 0))
        new = after.get(key, dict.fromkeys(MEASURES, 0))
        deltas = {m: new[m] - old[m] for m in MEASURES}
        if any(deltas.values()):
            expected[key] = {"closed": old, "current": new, "delta": deltas}
    return expected


def bump_clicks(lake: Path, endpoint: str, policy: str, day: date, advertiser: int) -> None:
    """Rewrite one lake file with the first row's clicks increased by one."""
    path = stats_path(lake, endpoint, policy, day, advertiser)
    table = pq.read_table(path)
    clicks = table.column("clicks").to_pylist()
    clicks[0] += 1
    index = table.column_names.index("clicks")
    write_parquet_atomic(table.set_column(index, "clicks", pa.array(clicks, pa.int64())), path)


def dbt_full_refresh() -> subprocess.CompletedProcess:
    """``dbt run --full-refresh`` of every model, as an operator would after a model change."""
    return subprocess.run(
        [
            DBT_EXECUTABLE,
            "run",
            "--full-refresh",
            "--project-dir",
            str(dbt_project.project_dir),
            "--profiles-dir",
            str(dbt_project.project_dir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
