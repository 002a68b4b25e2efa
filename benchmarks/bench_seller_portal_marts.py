"""Benchmark: which as-of dates should the seller portal marts hold, by what they cost to build?

Synthesises the 1-year world of `bench_dbt.py` (one advertiser, 2,000 sellers x 20 campaigns,
~35 % of the seller-campaigns active a day, both policies) plus a seller KPI file (one row per
seller and day), builds everything the portal marts read (`dbt run --select
+path:models/marts/seller_portal`), then rebuilds only the two marts (windows 7 and 30) with var
`seller_portal_as_of_days` = 1 (only the latest day: the default), 7 and 30, interleaved and the
best of N kept, and extrapolates to every day of the year (0): rows grow with the as-of dates, and
so does the cost (measured once on this 1-year world: every day ran out of 20 GB of memory after 9
minutes, so it is not run here). Prints, for each, the rows of both marts
and what building them costs: the SQL dbt compiled for the two marts, run again in this process
(`create table as`, DuckDB's default threads), CPU seconds (user + sys, every thread) and wall
seconds; the dbt command's own time is mostly parsing the project, the same for every choice.

Run: .venv/bin/python benchmarks/bench_seller_portal_marts.py [--keep DIR [--reuse]] [--repeat N]
[--days N] (--reuse: keep the world already built in DIR by an earlier --keep run)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_dbt  # the world of the dbt benchmark

PORTAL = "path:models/marts/seller_portal"
MARTS = ("rpt_seller_performance_rolling", "rpt_seller_campaign_performance_rolling")
AS_OF_DAYS = (1, 7, 30)


def write_kpis(path: Path, days: int, rng: np.random.Generator) -> Path:
    """One row per seller and day of the history: GMV and orders (EUR, like the world)."""
    first = bench_dbt.YESTERDAY - timedelta(days - 1)
    day_index = np.repeat(np.arange(days), bench_dbt.SELLERS)
    names = np.tile(bench_dbt.SELLER_NAMES, days)
    gmv = np.round(rng.gamma(2.0, 150.0, len(names)), 2)
    table = pa.table(
        {
            "seller_name": pa.array(names.tolist(), pa.string()),
            "day": pa.array([first + timedelta(int(d)) for d in day_index], pa.date32()),
            "currency": pa.array(["EUR"] * len(names), pa.string()),
            "gmv": pa.array(gmv, pa.float64()).cast(pa.decimal128(38, 9)),
            "orders": pa.array(np.maximum(1, (gmv / 60).astype(np.int64)), pa.int64()),
        }
    )
    pq.write_table(table, path)
    return path


def dbt(root: Path, *args: str, dbt_vars: dict | None = None) -> tuple[float, float, dict]:
    """Run dbt; return (CPU seconds of the dbt process, wall seconds, seconds per model)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
        MPO_WAREHOUSE=str(root / "warehouse.duckdb"),
        MPO_LAKE_DIR=str(root / "lake"),
        MPO_SELLER_DIRECTORY=str(root / "seller_directory.csv"),
        MPO_SELLER_KPIS=str(root / "seller_kpis.parquet"),
    )
    executable = Path(sys.executable).with_name("dbt")
    command = [
        str(executable) if executable.exists() else "dbt",
        *args,
        "--project-dir",
        str(bench_dbt.PROJECT_DIR),
        "--profiles-dir",
        str(bench_dbt.PROJECT_DIR),
        "--target-path",
        str(root / "target"),
        "--log-path",
        str(root / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        command, cwd=bench_dbt.REPO, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    per_model = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}
    return cpu, wall, per_model


def rows(root: Path) -> dict[str, int]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}


def build_cost(root: Path) -> tuple[float, float]:
    """CPU and wall seconds of the two marts' compiled SQL, run again as `create table as`."""
    compiled = root / "target" / "compiled" / "mpo_pipeline" / "models" / "marts" / "seller_portal"
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        for mart in MARTS:
            sql = (compiled / f"{mart}.sql").read_text()
            con.execute(f"create or replace temp table bench_{mart} as {sql}")
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the lake and warehouse in this directory")
    parser.add_argument("--repeat", type=int, default=2, help="builds per choice (best kept)")
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--reuse", action="store_true", help="reuse the world built in --keep")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench_portal_")) if args.keep is None else args.keep
    root = base / "world"
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"bench_seller_portal_marts: {bench_dbt.SELLERS:,} sellers x {bench_dbt.CAMPAIGNS} "
        f"campaigns, 1 advertiser, {args.days} days, windows 7 and 30",
        flush=True,
    )
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in AS_OF_DAYS}
    counts: dict[int, dict[str, int]] = {}
    try:
        if not (args.reuse and (root / "warehouse.duckdb").exists()):
            _lake, _directory, fact_rows, seconds = bench_dbt.synthesise(root, args.days)
            write_kpis(root / "seller_kpis.parquet", args.days, np.random.default_rng(7))
            print(f"synthesised {fact_rows:,} seller-campaign rows per policy in {seconds:.0f} s")
            cpu, wall, _ = dbt(root, "run", "--select", f"+{PORTAL}")
            print(f"upstream build: {wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)
        for _ in range(args.repeat):
            for n in AS_OF_DAYS:
                dbt_cpu, dbt_wall, _ = dbt(
                    root, "run", "--select", PORTAL, dbt_vars={"seller_portal_as_of_days": n}
                )
                counts[n] = rows(root)
                results[n].append(build_cost(root))
                cpu, wall = results[n][-1]
                print(
                    f"  as_of_days={n}: marts {cpu:.1f} s CPU, {wall:.1f} s wall (dbt command "
                    f"{dbt_cpu:.1f} s CPU, {dbt_wall:.1f} s wall), rows {counts[n]}",
                    flush=True,
                )
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"{'as-of dates':<32}{'seller rows':>14}{'campaign rows':>16}{'CPU s':>8}{'wall s':>8}")
    for n in AS_OF_DAYS:
        label = "latest day (default)" if n == 1 else f"last {n} days"
        cpu = min(r[0] for r in results[n])
        wall = min(r[1] for r in results[n])
        print(
            f"{label:<32}{counts[n][MARTS[0]]:>14,}{counts[n][MARTS[1]]:>16,}"
            f"{cpu:>8.1f}{wall:>8.1f}"
        )
    # every day: rows and CPU grow linearly with the as-of dates (slope between the two largest)
    low, high = AS_OF_DAYS[-2], AS_OF_DAYS[-1]
    per_day = (min(r[0] for r in results[high]) - min(r[0] for r in results[low])) / (high - low)
    every = args.days
    print(
        f"{f'every day ({every}), extrapolated':<32}"
        f"{counts[1][MARTS[0]] * every:>14,}{counts[1][MARTS[1]] * every:>16,}"
        f"{min(r[0] for r in results[high]) + per_day * (every - high):>8.0f}{'':>8}"
    )


if __name__ == "__main__":
    main()
