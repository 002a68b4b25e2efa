"""The changes-of-the-world scenario: its small world, the pipeline's environment, the loads, and
what the warehouse must hold, computed in Python from the simulator's ground truth."""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_dbt import get_asset_key_for_model
from support.lake import STATS_LINEAGE

from mpo_pipeline.client import MpoClient
from mpo_pipeline.config import Settings
from mpo_pipeline.defs import resources as defs_resources
from mpo_pipeline.defs.ingest.checks import stats_checks
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS
from mpo_pipeline.defs.transform.dbt_assets import dbt_daily_facts, dbt_rollups, dbt_upstream
from mpo_pipeline.defs.transform.project import dbt_resource
from mpo_pipeline.ingest.extract import resolve_advertisers, snapshot_metadata
from mpo_pipeline.ingest.lake import stats_path
from mpo_pipeline.runs.runner import prepare_environment
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig, write_seller_directory
from mpo_pipeline.simulator.events import CurrencyChange, SellerRename, VersionRetirement

DAYS = [date(2025, 3, 2) + timedelta(days=i) for i in range(6)]  # day 1 .. day 6
FIRST, LAST = DAYS[0], DAYS[-1]
# Every day final (sales mature over 10 days): single sales show, and commissions with them.
TODAY = LAST + timedelta(days=11)
ADV, OTHER = 41111, 42222  # EUR (then USD) and JPY
# Delivers and sells before and after the changes, in ADV only, at a non-zero directory rate.
SELLER, OLD_NAME, NEW_NAME = 5010063352, "0063369", "MKT-90063"
RENAMED_ON, CHANGED_ON = DAYS[2], DAYS[3]  # the rename on day 3, the currency change on day 4
OLD_VERSION, NEW_VERSION = "2026-01", "2026-07"
WINDOW_DAYS = 2  # request windows of at most two days: several per advertiser and asset
# The first stats asset loads all its windows (2 advertisers x 4: a first day on its own, as the
# stream is new, then 2 + 2 + 1 days), then the next one meets the 410.
RETIRED_AFTER = 8
CONFIG = SimulatorConfig(
    seed=3,
    advertisers=2,
    campaigns=2,
    sellers=8,
    today=TODAY,
    seller_renames=(SellerRename(ADV, SELLER, NEW_NAME, RENAMED_ON),),
    currency_changes=(CurrencyChange(ADV, "USD", CHANGED_ON),),
    version_retirement=VersionRetirement(OLD_VERSION, after_stats_requests=RETIRED_AFTER),
)
ENDPOINT_KEYS = {
    "sellers": ("sellerId",),
    "seller_campaigns": ("campaignId", "sellerId"),
    "campaigns": ("campaignId",),
}
FACTS = {
    "sellers": "marts.fct_seller_stats_daily",
    "seller_campaigns": "marts.fct_seller_campaign_stats_daily",
    "campaigns": "marts.fct_campaign_stats_daily",
}
POLICIES = ("SameSeller", "AnySeller")
LINEAGE = set(STATS_LINEAGE)
# ISO 4217 minor units of the scenario's currencies (independent of the seed currency_minor_units)
MINOR_UNITS = {"EUR": 2, "USD": 2, "JPY": 0}


def point_at(monkeypatch, sim, root: Path, version: str) -> Settings:
    """The environment of a pipeline on ``root`` talking to ``sim`` with API ``version``."""
    directory = root / "seller_directory.csv"
    write_seller_directory(sim.config, directory)
    values = {
        "MPO_API_BASE_URL": sim.url,
        "MPO_API_VERSION": version,
        "MPO_CLIENT_ID": sim.config.client_id,
        "MPO_CLIENT_SECRET": sim.config.client_secret,
        "MPO_DATA_DIR": str(root),
        "MPO_LAKE_DIR": str(root / "lake"),
        "MPO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "MPO_SELLER_DIRECTORY": str(directory),
        "MPO_MAX_CALLS_PER_MINUTE": "10000",
        "MPO_REQUEST_WINDOW_DAYS": str(WINDOW_DAYS),
        "MPO_TODAY": TODAY.isoformat(),
        "DAGSTER_HOME": os.environ["DAGSTER_HOME"],
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    # Resources are built from settings cached per process: rebuild them for this environment.
    defs_resources.settings.cache_clear()
    settings = Settings.from_env()
    prepare_environment(settings)
    return settings


def snapshot_each_day(sim, settings: Settings, days: list[date]) -> None:
    """The metadata snapshot the daily run takes every day, with the simulator's clock on that
    day (through the extraction function the metadata asset calls, dated by the simulated day)."""
    with MpoClient(
        settings.api_base_url,
        settings.api_version,
        settings.client_id,
        settings.client_secret,
        max_calls_per_minute=settings.max_calls_per_minute,
    ) as client:
        for day in days:
            sim.set_today(day)
            advertisers = resolve_advertisers(client)
            snapshot_metadata(
                client,
                settings.lake_dir,
                advertisers,
                day,
                api_version=settings.api_version,
                budgets_since=FIRST,
            )
    sim.set_today(TODAY)


# The models the tests read, and every model and seed they are built from (dbt tests included).
TARGETS = (
    (dbt_daily_facts, "fct_campaign_stats_daily"),
    (dbt_daily_facts, "fct_seller_campaign_stats_daily"),
    (dbt_rollups, "fct_marketplace_pnl_monthly"),
)


def load(settings: Settings, *, warehouse: bool) -> dg.ExecuteInProcessResult:
    """One Dagster run of the six stats assets for day 1..6; with ``warehouse``, their checks and
    the dbt build of the models the tests read (and of everything they are built from)."""
    assets: list = [*STATS_ASSETS]
    selection = None
    if warehouse:
        assets += [stats_checks, dbt_upstream, dbt_daily_facts, dbt_rollups]
        keys = [get_asset_key_for_model([a], model) for a, model in TARGETS]
        stats = dg.AssetSelection.assets(*STATS_ASSETS)
        selection = stats | dg.AssetSelection.assets(*keys).upstream().materializable()
    return dg.materialize(
        assets,
        selection=selection,
        resources={
            **defs_resources.build_resources(settings),
            "dbt": dbt_resource(),
        },
        tags=range_tags(FIRST.isoformat(), LAST.isoformat()),
        raise_on_error=False,
    )


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Per failed step of a run, its error message and those of the errors that caused it."""
    out = []
    for event in result.get_step_failure_events():
        error, messages = event.step_failure_data.error, []
        while error is not None:
            messages.append(error.message.strip())
            error = error.cause
        out.append(" <- ".join(messages))
    return out


def query(warehouse: Path, sql: str) -> list[dict]:
    """Rows of a read-only query on the warehouse; none when the build never made the relation
    (each test then fails on its own comparison instead of the whole scenario erroring)."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            cursor = con.execute(sql)
        except duckdb.CatalogException:
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def lake_day(lake: Path, endpoint: str, policy: str, day: date, advertiser: int) -> list[dict]:
    """One landed day's rows without lineage, in a stable order (empty when not landed)."""
    path = stats_path(lake, endpoint, policy, day, advertiser)
    table = pq.read_table(path)
    return _sorted(table.drop_columns([c for c in table.column_names if c in LINEAGE]))


def truth_day(truth: GroundTruth, endpoint: str, policy: str, day: date, advertiser: int) -> list:
    """The rows the simulator serves for one day, in the same order as ``lake_day``."""
    return _sorted(truth.stats(endpoint, policy, advertiser, day, day, time_zone="UTC"))


def _sorted(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: tuple(str(r[k]) for k in sorted(r)))


def expected_facts(truth: GroundTruth, endpoint: str) -> dict[tuple, dict]:
    """The daily fact of ``endpoint`` as it must be, per (report_date, advertiser_id, *ids):
    each day's seller name and currency, both policies side by side."""
    out: dict[tuple, dict] = {}
    for adv in (ADV, OTHER):
        for policy in POLICIES:
            suffix = "same_seller" if policy == "SameSeller" else "any_seller"
            rows = truth.stats(endpoint, policy, adv, FIRST, LAST, time_zone="UTC").to_pylist()
            for row in rows:
                key = (row["day"], adv, *(row[k] for k in ENDPOINT_KEYS[endpoint]))
                fact = out.setdefault(key, {"currency": truth.currency_on(adv, row["day"])})
                if "sellerName" in row:
                    fact["seller_name"] = row["sellerName"]
                for column in ("impressions", "clicks", "cost"):
                    fact[column] = row[column]
                fact[f"sale_units_{suffix}"] = row["saleUnits"]
                fact[f"revenue_{suffix}"] = row["revenue"]
    for fact in out.values():  # a policy without a row for the key counts as 0
        for suffix in ("same_seller", "any_seller"):
            fact.setdefault(f"sale_units_{suffix}", 0)
            fact.setdefault(f"revenue_{suffix}", Decimal(0))
    return out


def directory_rates(path: Path) -> dict[str, tuple[Decimal, Decimal]]:
    """seller_name → (ad_fee_rate, commission_rate) of the directory file the pipeline read."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            r["seller_name"]: (Decimal(r["ad_fee_rate"]), Decimal(r["commission_rate"]))
            for r in csv.DictReader(handle)
        }


def _billed(amount: Decimal, currency: str) -> Decimal:
    """Rounded once, half away from zero, to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]), rounding=ROUND_HALF_UP)


def expected_statement(truth: GroundTruth, rates: dict) -> dict[tuple, dict]:
    """March's statement and P&L per (advertiser_id, seller_id, currency): each part sums only
    the days in its currency; a seller is billed at the rates of its latest name (0 outside the
    directory)."""
    latest = {
        (adv, int(s["id"])): s["sellerName"] for adv in (ADV, OTHER) for s in truth.sellers(adv)
    }
    sums: dict[tuple, dict] = defaultdict(lambda: defaultdict(Decimal))
    for (_, adv, seller), fact in expected_facts(truth, "sellers").items():
        part = sums[(adv, seller, fact["currency"])]
        for column in (
            "impressions",
            "clicks",
            "cost",
            "sale_units_same_seller",
            "revenue_same_seller",
            "sale_units_any_seller",
            "revenue_any_seller",
        ):
            part[column] += fact[column]
    out = {}
    for (adv, seller, currency), part in sums.items():
        name = latest[(adv, seller)]
        fee, commission = rates.get(name, (Decimal(0), Decimal(0)))
        billing = _billed(part["cost"] * (1 + fee), currency)
        margin = _billed(billing - part["cost"], currency)
        commission_amount = _billed(part["revenue_same_seller"] * commission, currency)
        out[(adv, seller, currency)] = {
            "seller_name": name,
            "currency_minor_unit": MINOR_UNITS[currency],
            "impressions": int(part["impressions"]),
            "clicks": int(part["clicks"]),
            "media_cost": part["cost"],
            "ad_billing_amount": billing,
            "sale_units_same_seller": int(part["sale_units_same_seller"]),
            "revenue_same_seller": part["revenue_same_seller"],
            "sale_units_any_seller": int(part["sale_units_any_seller"]),
            "revenue_any_seller": part["revenue_any_seller"],
            "ad_margin": margin,
            "commission_amount": commission_amount,
            "contribution_margin": margin + commission_amount,
        }
    return out
