"""Benchmark: does a daily dbt run cost what its window costs, not what the history costs?

Synthesises an MPO lake (docs/lake.md) of one advertiser with 2,000 sellers x 20 campaigns, about a
third of the seller-campaigns active on a given day, both attribution policies, a daily metadata
snapshot and a seller directory; once with 1 month and once with 1 year of history. For each it
does a full `dbt build`, then times the daily run: `dbt build` with the window of yesterday plus a
30-day lookback (vars min_report_date / max_report_date). Prints both timings and their ratio
(goal <= 1.5).

Run: .venv/bin/python benchmarks/bench_dbt.py [--keep DIR] [--repeat N]
(the daily runs of both histories are interleaved and the best of N kept, to damp the noise of a
shared machine)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
PROJECT_DIR = REPO / "dbt_project"

SELLERS = 2_000
CAMPAIGNS = 20
ACTIVE_SHARE = 0.35
ADVERTISER = 4242
CURRENCY = "EUR"
TIME_ZONE = "Europe/Paris"
YESTERDAY = date(2026, 3, 31)
LOOKBACK_DAYS = 30
POLICIES = ("SameSeller", "AnySeller")
EXTRACTED_AT = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)

SELLER_IDS = 10_000_000_000 + np.arange(SELLERS, dtype=np.int64)
# a tenth of the sellers use an all-digit key with leading zeros
SELLER_NAMES = np.array(
    [f"{i:07d}" if i % 10 == 0 else f"MKT-{i:05d}" for i in range(SELLERS)], dtype=object
)
CAMPAIGN_IDS = 500_000 + np.arange(CAMPAIGNS, dtype=np.int64)


def _const(value, n: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value], type=type_).take(pa.array(np.zeros(n, dtype=np.int64)))


def _ratio(num: np.ndarray, den: np.ndarray) -> pa.Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.round(num / den, 3)
    return pa.array(values, mask=den == 0, type=pa.float64())


def _stats_table(
    dims: dict, interval: date, metrics: dict, policy: str, endpoint: str, window: tuple[date, date]
) -> pa.Table:
    n = len(metrics["impressions"])
    cost = metrics["cost_cents"] / 100
    revenue = metrics["revenue_cents"] / 100
    units = metrics["sale_units"]
    columns = {
        **dims,
        "day": _const(interval, n, pa.date32()),
        "impressions": pa.array(metrics["impressions"], pa.int64()),
        "clicks": pa.array(metrics["clicks"], pa.int64()),
        "cost": pa.array(cost, pa.float64()),
        "saleUnits": pa.array(units, pa.int64()),
        "revenue": pa.array(revenue, pa.float64()),
        "cr": _ratio(units, metrics["clicks"]),
        "cpo": _ratio(cost, units),
        "cos": _ratio(cost, revenue),
        "roas": _ratio(revenue, cost),
        "advertiserId": _const(ADVERTISER, n, pa.int64()),
        "endpoint": _const(endpoint, n, pa.string()),
        "attribution_policy": _const(policy, n, pa.string()),
        "interval_size": _const("Day", n, pa.string()),
        "time_zone": _const(TIME_ZONE, n, pa.string()),
        "currency": _const(CURRENCY, n, pa.string()),
        "api_version": _const("2026-07", n, pa.string()),
        "window_start": _const(window[0], n, pa.date32()),
        "window_end": _const(window[1], n, pa.date32()),
        "extracted_at": _const(EXTRACTED_AT, n, pa.timestamp("us", tz="UTC")),
    }
    return pa.table(columns)


def write_stats_day(lake: Path, day: date, rng: np.random.Generator) -> int:
    active = rng.random((SELLERS, CAMPAIGNS)) < ACTIVE_SHARE
    s_idx, c_idx = np.nonzero(active)
    n = len(s_idx)
    impressions = rng.integers(50, 5_000, n)
    clicks = rng.binomial(impressions, 0.012)
    cost_cents = clicks * rng.integers(5, 80, n)
    units_any = rng.binomial(clicks, 0.06)
    units_same = rng.binomial(units_any, 0.7)
    price = rng.integers(500, 12_000, n)
    rev_any = units_any * price + rng.integers(0, 100, n) * (units_any > 0)
    rev_same = units_same * price
    per_policy = {"SameSeller": (units_same, rev_same), "AnySeller": (units_any, rev_any)}
    window = (day - timedelta(LOOKBACK_DAYS), day)

    def grouped(index: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
        return np.bincount(index, weights=values, minlength=size).astype(np.int64)

    seller_rows = np.unique(s_idx)
    campaign_rows = np.unique(c_idx)
    for policy, (units, revenue) in per_policy.items():
        base = {
            "impressions": impressions,
            "clicks": clicks,
            "cost_cents": cost_cents,
            "sale_units": units,
            "revenue_cents": revenue,
        }
        tables = {
            "seller_campaigns": _stats_table(
                {
                    "campaignId": pa.array(CAMPAIGN_IDS[c_idx]),
                    "sellerId": pa.array(SELLER_IDS[s_idx]),
                    "sellerName": pa.array(SELLER_NAMES[s_idx], pa.string()),
                },
                day,
                base,
                policy,
                "seller_campaigns",
                window,
            ),
            "sellers": _stats_table(
                {
                    "sellerId": pa.array(SELLER_IDS[seller_rows]),
                    "sellerName": pa.array(SELLER_NAMES[seller_rows], pa.string()),
                },
                day,
                {k: grouped(s_idx, SELLERS, v)[seller_rows] for k, v in base.items()},
                policy,
                "sellers",
                window,
            ),
            "campaigns": _stats_table(
                {"campaignId": pa.array(CAMPAIGN_IDS[campaign_rows])},
                day,
                {k: grouped(c_idx, CAMPAIGNS, v)[campaign_rows] for k, v in base.items()},
                policy,
                "campaigns",
                window,
            ),
        }
        for endpoint, table in tables.items():
            folder = (
                lake
                / "stats"
                / f"endpoint={endpoint}"
                / f"policy={policy}"
                / f"report_date={day.isoformat()}"
            )
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / f"advertiser_id={ADVERTISER}.parquet")
    return n


def metadata_tables() -> dict[str, pa.Table]:
    ts = pa.timestamp("us", tz="UTC")

    def common(n: int) -> dict:
        return {
            "advertiserId": _const(ADVERTISER, n, pa.int64()),
            "api_version": _const("2026-07", n, pa.string()),
            "extracted_at": _const(EXTRACTED_AT, n, ts),
        }

    sc_seller = np.repeat(SELLER_IDS, CAMPAIGNS)
    sc_campaign = np.tile(CAMPAIGN_IDS, SELLERS)
    n_sc = len(sc_seller)
    return {
        "advertisers": pa.table(
            {
                "id": pa.array([ADVERTISER], pa.int64()),
                "advertiserName": ["Bench Marketplace"],
                "currencyName": [CURRENCY],
                "timeZoneId": [TIME_ZONE],
                **common(1),
            }
        ),
        "campaigns": pa.table(
            {
                "id": pa.array(CAMPAIGN_IDS),
                "campaignName": [f"Campaign {i}" for i in range(CAMPAIGNS)],
                "adSetDeliveryStatus": ["Running"] * CAMPAIGNS,
                "status": pa.array(np.zeros(CAMPAIGNS, dtype=np.int64)),
                **common(CAMPAIGNS),
            }
        ),
        "sellers": pa.table(
            {
                "id": pa.array(SELLER_IDS),
                "sellerName": pa.array(SELLER_NAMES, pa.string()),
                **common(SELLERS),
            }
        ),
        "seller_campaigns": pa.table(
            {
                "id": pa.array([f"{s}.{c}" for s, c in zip(sc_seller, sc_campaign, strict=True)]),
                "sellerId": pa.array(sc_seller),
                "campaignId": pa.array(sc_campaign),
                "bid": pa.array(np.full(n_sc, 0.2)),
                "suspendedSince": pa.nulls(n_sc, ts),
                "suspensionReasons": pa.nulls(n_sc, pa.list_(pa.string())),
                **common(n_sc),
            }
        ),
    }


def write_directory(path: Path, rng: np.random.Generator) -> Path:
    # 95% of the sellers are in the marketplace's directory
    keep = rng.random(SELLERS) < 0.95
    lines = [
        "seller_name,seller_legal_name,country,seller_tier,account_manager,commission_rate,ad_fee_rate"
    ]
    for i in np.nonzero(keep)[0]:
        lines.append(
            f"{SELLER_NAMES[i]},Seller {i} Ltd,FR,{'gold' if i % 3 else 'silver'},AM {i % 17},"
            f"{rng.integers(5, 20) / 100:.2f},{rng.integers(0, 15) / 100:.2f}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def synthesise(root: Path, days: int, seed: int = 1) -> tuple[Path, Path, int, float]:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    lake = root / "lake"
    first = YESTERDAY - timedelta(days - 1)
    rows = 0
    meta = metadata_tables()
    for d in range(days):
        day = first + timedelta(d)
        rows += write_stats_day(lake, day, rng)
        snapshot = day + timedelta(1)  # the daily run of the next morning snapshots the metadata
        for entity, table in meta.items():
            folder = (
                lake / "metadata" / f"entity={entity}" / f"snapshot_date={snapshot.isoformat()}"
            )
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / "part.parquet")
    directory = write_directory(root / "seller_directory.csv", rng)
    return lake, directory, rows, time.perf_counter() - started


def dbt(root: Path, lake: Path, directory: Path, *args: str) -> tuple[float, float]:
    """Run dbt; return (wall seconds, dbt's own elapsed seconds from run_results.json)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
        MPO_WAREHOUSE=str(root / "warehouse.duckdb"),
        MPO_LAKE_DIR=str(lake),
        MPO_SELLER_DIRECTORY=str(directory),
    )
    executable = Path(sys.executable).with_name("dbt")
    command = [
        str(executable) if executable.exists() else "dbt",
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(root / "target"),
        "--log-path",
        str(root / "logs"),
    ]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-2000:]}")
    results = json.loads((root / "target" / "run_results.json").read_text())
    return wall, results["elapsed_time"]


def slowest(root: Path, n: int = 5) -> list[str]:
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    top = sorted(results, key=lambda r: -r["execution_time"])[:n]
    return [f"{r['unique_id'].split('.')[-1][:60]} {r['execution_time']:.2f}s" for r in top]


def prepare(label: str, days: int, base: Path) -> dict:
    """Synthesise the lake and do the full build."""
    root = base / label.replace(" ", "_")
    root.mkdir(parents=True)
    lake, directory, rows, gen_seconds = synthesise(root, days)
    print(
        f"[{label}] synthesised {days} days, {rows:,} seller-campaign rows per policy, "
        f"in {gen_seconds:.1f}s",
        flush=True,
    )
    full_wall, full_dbt = dbt(root, lake, directory, "build")
    print(f"[{label}] full build: {full_wall:.1f}s wall, {full_dbt:.1f}s in dbt", flush=True)
    return {
        "label": label,
        "root": root,
        "lake": lake,
        "directory": directory,
        "rows": rows,
        "gen": gen_seconds,
        "full_wall": full_wall,
        "full_dbt": full_dbt,
        "daily": [],
    }


def daily_run(run: dict) -> None:
    """One daily build: yesterday plus the lookback window, every model and test."""
    window = (
        f"{{min_report_date: '{YESTERDAY - timedelta(LOOKBACK_DAYS)}', "
        f"max_report_date: '{YESTERDAY}'}}"
    )
    wall, in_dbt = dbt(run["root"], run["lake"], run["directory"], "build", "--vars", window)
    run["daily"].append((wall, in_dbt))
    print(
        f"[{run['label']}] daily build (window {LOOKBACK_DAYS + 1} days): {wall:.1f}s wall, "
        f"{in_dbt:.1f}s in dbt; slowest: {', '.join(slowest(run['root'], 3))}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the lakes and warehouses in this directory")
    parser.add_argument("--repeat", type=int, default=3, help="daily runs per history (best kept)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench_dbt_")) if args.keep is None else args.keep
    base.mkdir(parents=True, exist_ok=True)
    print(
        f"bench_dbt: {SELLERS:,} sellers x {CAMPAIGNS} campaigns, 1 advertiser, "
        f"~{ACTIVE_SHARE:.0%} active per day; daily window = yesterday + {LOOKBACK_DAYS} days; "
        f"threads={os.environ.get('MPO_DBT_THREADS', '2')}",
        flush=True,
    )
    try:
        month = prepare("1 month", 30, base)
        year = prepare("1 year", 365, base)
        # interleaved, so that a busy machine slows both alike; the best run of each is kept
        for _ in range(args.repeat):
            daily_run(month)
            daily_run(year)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    for run in (month, year):
        run["daily_wall"] = min(w for w, _ in run["daily"])
        run["daily_dbt"] = min(e for _, e in run["daily"])
    ratio_wall = year["daily_wall"] / month["daily_wall"]
    ratio_dbt = year["daily_dbt"] / month["daily_dbt"]
    print()
    header = ("history", "rows/policy", "synth s", "full build s", "daily run s", "daily in dbt s")
    widths = (10, 14, 9, 14, 13, 16)
    print(
        "".join(
            f"{h:<{w}}" if i == 0 else f"{h:>{w}}"
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    for label, r in (("1 month", month), ("1 year", year)):
        cells = (
            label,
            f"{r['rows']:,}",
            f"{r['gen']:.1f}",
            f"{r['full_wall']:.1f}",
            f"{r['daily_wall']:.1f}",
            f"{r['daily_dbt']:.1f}",
        )
        print(
            "".join(
                f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    print(
        f"daily run, 1 year / 1 month: {ratio_wall:.2f}x wall clock, {ratio_dbt:.2f}x inside dbt "
        f"(goal <= 1.5) -> {'OK' if max(ratio_wall, ratio_dbt) <= 1.5 else 'ABOVE GOAL'}"
    )


if __name__ == "__main__":
    main()
