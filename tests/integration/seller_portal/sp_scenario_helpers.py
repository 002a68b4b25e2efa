"""The seller portal scenario: a small simulator world ingested through Dagster, the warehouse built
by dbt, and the ground truth (``GroundTruth``) the tests compare the rolling marts with.

Paths of a built world (``PortalWorld``), for any test that needs a warehouse with the marts:
``root/lake``, ``root/warehouse.duckdb`` (the pipeline's private file), ``root/published/
warehouse.duckdb`` (the published snapshot, as ``mpo-pipeline serve-sellers`` reads it).
``build_example_world(root)`` builds one with the example KPI file and capped directory of
``mpo_pipeline.seller_portal.kpis`` (``Truth`` gives the expected sums).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from mpo_pipeline.config import Settings
from mpo_pipeline.defs import resources as defs_resources
from mpo_pipeline.defs.ingest.metadata_assets import mpo_metadata
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS
from mpo_pipeline.defs.transform.project import DBT_EXECUTABLE, dbt_project
from mpo_pipeline.ingest.lake import stats_path
from mpo_pipeline.runs.runner import prepare_environment
from mpo_pipeline.seller_portal.kpis import write_directory_with_caps, write_seller_kpis
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig, running_simulator
from mpo_pipeline.warehouse.publish import publish_warehouse

# Two advertisers (EUR and JPY) sharing half of their 10 sellers, 60 days: the 30-day window and
# the 30 days before it are both loaded.
CONFIG = SimulatorConfig(seed=5, advertisers=2, campaigns=2, sellers=10, today=date(2026, 3, 20))
FIRST_DAY, AS_OF = date(2026, 1, 15), date(2026, 3, 15)
ENDPOINTS = ("sellers", "seller_campaigns")
POLICIES = ("SameSeller", "AnySeller")
COUNTS = ("impressions", "clicks", "sale_units_same_seller", "sale_units_any_seller")
MONEY = ("cost", "revenue_same_seller", "revenue_any_seller")
MEASURES = COUNTS + MONEY
PORTAL_MODELS = "path:models/marts/seller_portal"


@dataclass
class PortalWorld:
    """Where a built world lives."""

    root: Path

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.root / "published" / "warehouse.duckdb"


def point_at(monkeypatch, sim, world: PortalWorld, directory: Path, kpis: Path | None) -> Settings:
    """Environment of a pipeline on ``world`` talking to ``sim``; restored by ``monkeypatch``."""
    values = {
        "MPO_API_BASE_URL": sim.url,
        "MPO_CLIENT_ID": sim.config.client_id,
        "MPO_CLIENT_SECRET": sim.config.client_secret,
        "MPO_DATA_DIR": str(world.root),
        "MPO_LAKE_DIR": str(world.lake),
        "MPO_WAREHOUSE": str(world.warehouse),
        "MPO_PUBLISHED_WAREHOUSE": str(world.published),
        "MPO_SELLER_DIRECTORY": str(directory),
        "MPO_SELLER_KPIS": str(kpis or ""),
        "MPO_MAX_CALLS_PER_MINUTE": "10000",
        "MPO_DBT_THREADS": "1",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    defs_resources.settings.cache_clear()  # resources are built from settings cached per process
    settings = Settings.from_env()
    prepare_environment(settings)
    return settings


@dataclass
class Build:
    """What building a world did."""

    ingest_ok: bool
    returncode: int
    output: str  # of `dbt run`

    @property
    def ok(self) -> bool:
        return self.ingest_ok and self.returncode == 0


def build(world: PortalWorld, settings: Settings, dbt_vars: dict | None = None) -> Build:
    """Ingest FIRST_DAY..AS_OF through Dagster, build the portal marts and what they read with
    dbt, and publish the warehouse (in the environment ``point_at`` set)."""
    ingest_ok = ingest(FIRST_DAY, AS_OF).success
    returncode, output = dbt(world, "run", "--select", f"+{PORTAL_MODELS}", dbt_vars=dbt_vars)
    if ingest_ok and returncode == 0:
        publish_warehouse(world.warehouse, settings.published_warehouse, manifest=None)
    return Build(ingest_ok, returncode, output)


def build_example_world(root: Path, dbt_vars: dict | None = None) -> tuple[PortalWorld, Build]:
    """A world of CONFIG built and published with the example seller inputs (for the serving
    side's tests); the environment is restored afterwards."""
    world = PortalWorld(Path(root))
    inputs = world.root / "inputs"
    directory = write_directory_with_caps(CONFIG, inputs / "seller_directory.csv", FIRST_DAY, AS_OF)
    kpis = write_seller_kpis(CONFIG, inputs / "seller_kpis.csv", FIRST_DAY, AS_OF)
    with pytest.MonkeyPatch.context() as mp, running_simulator(CONFIG) as sim:
        settings = point_at(mp, sim, world, directory, kpis)
        outcome = build(world, settings, dbt_vars)
    defs_resources.settings.cache_clear()
    return world, outcome


def ingest(first: date, last: date) -> dg.ExecuteInProcessResult:
    """Land the seller and seller-campaign stats of ``first..last`` (both policies) and a metadata
    snapshot through the real Dagster assets (the campaigns endpoint is not needed here)."""
    resources = defs_resources.build_resources(defs_resources.settings())
    assets = [a for a in STATS_ASSETS if a.key.path[-1].startswith(ENDPOINTS)]
    return dg.materialize(
        [*assets, mpo_metadata],
        resources=resources,
        tags=range_tags(first.isoformat(), last.isoformat()),
        raise_on_error=False,
    )


def dbt(world: PortalWorld, *args: str, dbt_vars: dict | None = None) -> tuple[int, str]:
    """One dbt command on ``world`` in this process's environment (target and logs under root)."""
    command = [
        DBT_EXECUTABLE,
        *args,
        "--project-dir",
        str(dbt_project.project_dir),
        "--profiles-dir",
        str(dbt_project.project_dir),
        "--target-path",
        str(world.root / "target"),
        "--log-path",
        str(world.root / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False, env=dict(os.environ)
    )
    return proc.returncode, proc.stdout + proc.stderr


def query(database: Path, sql: str) -> list[dict]:
    """Rows of a read-only query."""
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def remove_day(lake: Path, day: date, advertiser: int) -> list[Path]:
    """Delete the seller and seller-campaign files of one day and advertiser (every policy)."""
    removed = []
    for endpoint in ENDPOINTS:
        for policy in POLICIES:
            path = stats_path(lake, endpoint, policy, day, advertiser)
            path.unlink()
            removed.append(path)
    return removed


class Truth:
    """Daily rows as the simulator served them, summed in Python with exact decimals."""

    def __init__(self, config: SimulatorConfig, first: date, last: date) -> None:
        self.truth = GroundTruth(config)
        self.advertisers = {a["id"]: a["currencyName"] for a in self.truth.advertisers()}
        self.names = {
            (adv, int(s["id"])): s["sellerName"]
            for adv in self.advertisers
            for s in self.truth.sellers(adv)
        }
        # (endpoint, key, day) -> measures; key = (advertiser, seller[, campaign])
        self.daily: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
        for endpoint in ENDPOINTS:
            for adv in self.advertisers:
                for policy in POLICIES:
                    table = self.truth.stats(endpoint, policy, adv, first, last, time_zone="UTC")
                    for row in table.to_pylist():
                        key = (adv, row["sellerId"])
                        if endpoint == "seller_campaigns":
                            key += (row["campaignId"],)
                        self._add(endpoint, key, row, policy)

    def _add(self, endpoint: str, key: tuple, row: dict, policy: str) -> None:
        sums = self.daily[(endpoint, key, row["day"])]
        suffix = "same_seller" if policy == "SameSeller" else "any_seller"
        sums[f"sale_units_{suffix}"] += row["saleUnits"]
        sums[f"revenue_{suffix}"] += Decimal(row["revenue"])
        if policy == "AnySeller":  # impressions, clicks and cost do not depend on the policy
            sums["impressions"] += row["impressions"]
            sums["clicks"] += row["clicks"]
            sums["cost"] += Decimal(row["cost"])

    def keys(self, endpoint: str) -> set[tuple]:
        return {key for (e, key, _day) in self.daily if e == endpoint}

    def window(
        self, endpoint: str, key: tuple, first: date, last: date, skip: Iterable[date] = ()
    ) -> dict:
        """Sums of ``first..last`` for ``key`` (0 for a quiet window), days in ``skip`` left out."""
        out = dict.fromkeys(MEASURES, 0)
        day = first
        while day <= last:
            if day not in skip:
                for m, v in self.daily.get((endpoint, key, day), {}).items():
                    out[m] += v
            day += timedelta(days=1)
        return out

    def has_rows(self, endpoint: str, key: tuple, first: date, last: date) -> bool:
        return any(
            (endpoint, key, first + timedelta(days=i)) in self.daily
            for i in range((last - first).days + 1)
        )

    def daily_cost(self, key: tuple, day: date) -> Decimal:
        return Decimal(self.daily.get(("sellers", key, day), {}).get("cost", 0))


def ratio(numerator, denominator) -> float | None:
    """A ratio as the marts define it: DOUBLE division, NULL on a zero (or NULL) denominator."""
    if denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def cap_reached_on(daily_costs: list[Decimal], as_of: date, cap: Decimal) -> date | None:
    """The day a monthly cap is reached, by hand: ``daily_costs`` are the month's days 1..as_of.

    Reached already: the first day the running total is >= cap. Otherwise the first day after
    as_of on which the month-to-date pace (used / days elapsed) gets there, within the month.
    """
    running = Decimal(0)
    for i, cost in enumerate(daily_costs):
        running += cost
        if running >= cap:
            return as_of.replace(day=i + 1)
    elapsed = len(daily_costs)
    if running == 0:
        return None
    day = as_of
    while True:
        day += timedelta(days=1)
        if day.month != as_of.month:
            return None
        if running * (elapsed + (day - as_of).days) >= cap * elapsed:
            return day
