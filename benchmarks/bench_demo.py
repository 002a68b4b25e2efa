"""Benchmark: wall time of ``mpo-pipeline demo`` (what ``make demo`` runs), cold and again.

Run: ``.venv/bin/python benchmarks/bench_demo.py``.

Runs the demo twice as a subprocess in a fresh temporary data dir (its own lake, warehouse and
Dagster home; no ``MPO_*`` variable inherited): the first run starts from nothing, the second
re-loads the same 60 days and must be idempotent. Prints both wall times, the exit codes, and the
rows, clicks and cost of the daily facts and the statement after each run (identical when the
re-run is idempotent).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
FACTS = {
    "marts.fct_seller_campaign_stats_daily": "cost",
    "marts.fct_seller_stats_daily": "cost",
    "marts.fct_campaign_stats_daily": "cost",
    "marts.fct_seller_monthly_statement": "media_cost",
}


def fact_totals(warehouse: Path) -> dict[str, tuple]:
    """(rows, clicks, cost) of each daily fact and of the statement (read-only connection)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: tuple(
                con.execute(f"select count(*), sum(clicks), sum({cost}) from {table}").fetchall()[0]
            )
            for table, cost in FACTS.items()
        }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MPO_", "DAGSTER_"))}
        env.update(MPO_DATA_DIR=str(data), DBT_SEND_ANONYMOUS_USAGE_STATS="False", DO_NOT_TRACK="1")
        results = []
        for label in ("first run (cold)", "second run (idempotent re-run)"):
            started = time.perf_counter()
            proc = subprocess.run(
                [str(BIN / "mpo-pipeline"), "demo"],
                env=env,
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            wall = time.perf_counter() - started
            counts = fact_totals(data / "warehouse.duckdb") if proc.returncode == 0 else {}
            results.append((label, proc.returncode, wall, counts))
            if proc.returncode != 0:
                print(f"{label}: exit {proc.returncode}\n{(proc.stdout + proc.stderr)[-3000:]}")
                break
    print(f"{'mpo-pipeline demo (60 days, Dagster + dbt)':42} {'exit':>4} {'wall':>9}")
    for label, code, wall, _ in results:
        print(f"{label:42} {code:>4} {wall:>8.1f}s")
    if len(results) == 2 and results[0][3]:
        for table, (rows, clicks, cost) in results[0][3].items():
            print(f"{table}: {rows:,} rows, {clicks:,} clicks, cost {cost:,}")
        same = results[0][3] == results[1][3]
        print(f"rows, clicks and cost identical after the re-run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
