"""Example marketplace inputs of the seller portal, for a simulator world: what ``make demo`` ships.

- ``seller_kpis``: the seller KPI file (``MPO_SELLER_KPIS``): one row per seller, day and currency
  with the seller's GMV and orders. GMV is the seller's ad-attributed revenue (SameSeller, from the
  simulator's ground truth) times 2 to 8, plus organic sales, rounded up to the currency's minor
  unit: always at least the ad revenue, as on a real marketplace.
- ``directory_with_caps``: the demo seller directory plus ``monthly_ad_spend_cap`` and
  ``cap_currency``: about half the sellers get a cap of 0.6 to 1.6 times their average monthly
  spend in one of their currencies, so that some caps are reached, some will be, some never.

Both are deterministic for a config and a date range. The files' format and validation are in
docs/seller_portal.md; dbt reads them (``int_seller_kpis``, ``int_seller_directory``).
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import MutableMapping
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig
from mpo_pipeline.simulator.config import ADVERTISER_PROFILES
from mpo_pipeline.simulator.directory import COLUMNS as DIRECTORY_COLUMNS
from mpo_pipeline.simulator.directory import directory_rows

KPI_COLUMNS = ("seller_name", "day", "currency", "gmv", "orders")
CAP_COLUMNS = ("monthly_ad_spend_cap", "cap_currency")
# Per currency: its minor unit and what one euro is worth in it (the simulator's own scale).
_PROFILES = {p.currency: p for p in ADVERTISER_PROFILES}
CAPPED_SHARE = 0.5


def _unit(key: str, salt: str) -> float:
    """A uniform number in [0, 1) from a stable hash (the same on every machine and run)."""
    digest = hashlib.blake2b(f"{salt}|{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _euro(currency: str) -> Decimal:
    """Units of ``currency`` worth one euro in the simulator (EUR 1, JPY 160)."""
    profile = _PROFILES.get(currency)
    if profile is None:
        return Decimal(1)
    return Decimal(str(profile.minor_per_euro_cent)) * 100 / Decimal(10) ** profile.decimals


def _minor_unit(currency: str) -> Decimal:
    profile = _PROFILES.get(currency)
    return Decimal(1).scaleb(-(profile.decimals if profile else 2))


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _seller_days(
    config: SimulatorConfig, start: date, end: date, time_zone: str
) -> dict[tuple[str, str, date], tuple[Decimal, Decimal]]:
    """(seller_name, currency, day) → (SameSeller revenue, cost) as served, every seller and day.

    Sellers are named as the simulator lists them today (a marketplace keys its files by its
    current seller keys); a quiet day is (0, 0).
    """
    truth = GroundTruth(config)
    out: dict[tuple[str, str, date], tuple[Decimal, Decimal]] = {}
    for advertiser in truth.advertisers():
        currency = advertiser["currencyName"]
        names = {int(s["id"]): s["sellerName"] for s in truth.sellers(advertiser["id"])}
        for name in names.values():
            for day in _days(start, end):
                out[(name, currency, day)] = (Decimal(0), Decimal(0))
        rows = truth.stats(
            "sellers", "SameSeller", advertiser["id"], start, end, time_zone=time_zone
        ).to_pylist()
        for row in rows:
            key = (names.get(row["sellerId"], row["sellerName"]), currency, row["day"])
            revenue, cost = out.get(key, (Decimal(0), Decimal(0)))
            out[key] = (revenue + row["revenue"], cost + row["cost"])
    return out


def seller_kpis(
    config: SimulatorConfig, start: date, end: date, *, time_zone: str = "UTC"
) -> list[dict]:
    """Example KPI rows of ``start..end``: seller_name, day, currency, gmv (Decimal), orders."""
    rows = []
    for (name, currency, day), (revenue, _cost) in sorted(
        _seller_days(config, start, end, time_zone).items()
    ):
        key = f"{config.seed}|{name}|{currency}"
        # organic sales: a level per seller (5..300 euros a day), varying ±50 % from day to day
        level = 5 + 295 * _unit(key, "level")
        organic = Decimal(str(round(level * (0.5 + _unit(f"{key}|{day}", "day")), 4)))
        multiplier = Decimal(str(round(2 + 6 * _unit(key, "multiplier"), 4)))
        gmv = (revenue * multiplier + organic * _euro(currency)).quantize(
            _minor_unit(currency), rounding=ROUND_CEILING
        )
        basket = 25 + 75 * _unit(key, "basket")  # euros per order
        orders = max(1, math.ceil(float(gmv / _euro(currency)) / basket))
        rows.append(
            {"seller_name": name, "day": day, "currency": currency, "gmv": gmv, "orders": orders}
        )
    return rows


def write_seller_kpis(
    config: SimulatorConfig, path: Path, start: date, end: date, *, time_zone: str = "UTC"
) -> Path:
    """Write the example KPI file of ``start..end``: Parquet if ``path`` ends in ``.parquet``,
    else CSV."""
    return write_kpi_rows(seller_kpis(config, start, end, time_zone=time_zone), path)


def write_kpi_rows(rows: list[dict], path: Path) -> Path:
    """Write KPI rows (``KPI_COLUMNS``; currency may be None): Parquet with typed columns if
    ``path`` ends in ``.parquet``, else CSV (an empty cell for a missing currency)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        table = pa.table(
            {
                "seller_name": pa.array([r["seller_name"] for r in rows], pa.string()),
                "day": pa.array([r["day"] for r in rows], pa.date32()),
                "currency": pa.array([r["currency"] for r in rows], pa.string()),
                "gmv": pa.array([r["gmv"] for r in rows], pa.decimal128(38, 9)),
                "orders": pa.array([r["orders"] for r in rows], pa.int64()),
            }
        )
        pq.write_table(table, path)
        return path
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=KPI_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "day": row["day"].isoformat(),
                    "currency": row["currency"] or "",
                    "gmv": f"{row['gmv']:f}",
                }
            )
    return path


def directory_with_caps(
    config: SimulatorConfig, start: date, end: date, *, time_zone: str = "UTC"
) -> list[dict]:
    """The demo directory rows plus a monthly spend cap (whole currency units) for about half."""
    spend: dict[tuple[str, str], Decimal] = {}
    for (name, currency, _day), (_revenue, cost) in _seller_days(
        config, start, end, time_zone
    ).items():
        spend[(name, currency)] = spend.get((name, currency), Decimal(0)) + cost
    months = Decimal((end - start).days + 1) / Decimal(30)
    rows = []
    for row in directory_rows(config):
        name = row["seller_name"]
        currencies = sorted(c for n, c in spend if n == name)
        key = f"{config.seed}|{name}"
        cap, currency = None, None
        if currencies and _unit(key, "capped") < CAPPED_SHARE:
            currency = currencies[int(_unit(key, "currency") * len(currencies))]
            monthly = spend[(name, currency)] / months
            factor = Decimal(str(round(0.6 + _unit(key, "factor"), 4)))
            cap = max((monthly * factor).quantize(Decimal(1), rounding=ROUND_CEILING), Decimal(1))
        rows.append({**row, "monthly_ad_spend_cap": cap, "cap_currency": currency})
    return rows


def write_directory_with_caps(
    config: SimulatorConfig, path: Path, start: date, end: date, *, time_zone: str = "UTC"
) -> Path:
    """Write the demo seller directory with its cap columns as CSV (empty = no cap)."""
    return write_directory_rows(directory_with_caps(config, start, end, time_zone=time_zone), path)


def write_directory_rows(rows: list[dict], path: Path) -> Path:
    """Write directory rows with cap columns as CSV: rates with 4 decimals, empty = no cap."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=(*DIRECTORY_COLUMNS, *CAP_COLUMNS), lineterminator="\n"
        )
        writer.writeheader()
        for row in rows:
            cap = row["monthly_ad_spend_cap"]
            writer.writerow(
                {
                    **row,
                    "commission_rate": f"{row['commission_rate']:.4f}",
                    "ad_fee_rate": f"{row['ad_fee_rate']:.4f}",
                    "monthly_ad_spend_cap": "" if cap is None else f"{cap:f}",
                    "cap_currency": row["cap_currency"] or "",
                }
            )
    return path


def prepare_demo_seller_inputs(
    config: SimulatorConfig,
    data_dir: Path,
    start: date,
    end: date,
    *,
    time_zone: str = "UTC",
    env: MutableMapping[str, str] = os.environ,
) -> dict[str, Path]:
    """Write the demo's KPI file and capped directory under ``data_dir`` and point ``env`` at them.

    A variable the user set (``MPO_SELLER_KPIS``, ``MPO_SELLER_DIRECTORY``) is left alone: their
    own file wins. Returns the variables set, with the absolute paths written.
    """
    written: dict[str, Path] = {}
    data_dir = Path(data_dir).resolve()
    if not env.get("MPO_SELLER_KPIS", "").strip():
        path = write_seller_kpis(
            config, data_dir / "seller_kpis.csv", start, end, time_zone=time_zone
        )
        written["MPO_SELLER_KPIS"] = path
    if not env.get("MPO_SELLER_DIRECTORY", "").strip():
        path = write_directory_with_caps(
            config, data_dir / "seller_directory.csv", start, end, time_zone=time_zone
        )
        written["MPO_SELLER_DIRECTORY"] = path
    for name, path in written.items():
        env[name] = str(path)
    return written
