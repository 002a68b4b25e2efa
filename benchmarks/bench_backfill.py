"""Benchmark: a 1-year backfill at 40 calls/min, our windowed extraction against the naive one.

Run: ``.venv/bin/python benchmarks/bench_backfill.py [--naive-days 14] [--days 365]``.

Starts the MPO API simulator as its own process (1 advertiser × 20 campaigns × 2,000 sellers,
``--rate-limit 40``: a 41st call within a minute gets a 429), then runs two extractions, each in a
fresh spawned process so that its peak RSS is its own, both through ``extract.load_stats`` (the
code the Dagster stats assets run) for the six streams (3 endpoints × 2 attribution policies),
with a client budget of 40 calls/min:

- ours:  ``MpoClient(request_window_days=31)``: one request per 31-day window and stream, one
  Parquet file per day;
- naive: ``MpoClient(request_window_days=1)``: one request per day and stream.

A naive year at 40 calls/min takes about an hour (365 × 6 / 40 ≈ 55 min), so the naive strategy
is measured on the first ``--naive-days`` days of the same year and **extrapolated linearly** to
the year (calls, rows and wall time × days/naive_days). The extrapolation favours the naive side:
the measured span enjoys the budget's initial burst of 40 calls, which a real year would spend in
its first minute. Both lakes are compared on the common days (they must hold the same rows).
Printed: API calls, wall time, rows, rows/s and peak RSS of each, and the ratios (goal: at least
20× fewer calls and 5× less wall time).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

TODAY = date(2026, 11, 20)
ADVERTISERS, CAMPAIGNS, SELLERS = 1, 20, 2_000
RATE = 40  # calls per minute, enforced by the simulator and budgeted by the client
API_VERSION = "2026-07"
CLIENT = ("mpo-demo-client", "mpo-demo-secret")
GOAL_CALLS, GOAL_WALL = 20.0, 5.0
LINEAGE = ("window_start", "window_end", "extracted_at")


def _peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _extract(url: str, lake: str, start: date, end: date, window: int, out: mp.Queue) -> None:
    """Child process: every stream of ``[start, end]`` into ``lake``; figures go to ``out``."""
    from mpo_pipeline.client import MpoClient
    from mpo_pipeline.ingest.extract import load_stats, resolve_advertisers
    from mpo_pipeline.ingest.lake import ENDPOINTS

    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    rows = files = 0
    with MpoClient(
        url, API_VERSION, *CLIENT, max_calls_per_minute=RATE, request_window_days=window
    ) as client:
        advertisers = resolve_advertisers(client)
        for endpoint in ENDPOINTS:
            for policy in ("SameSeller", "AnySeller"):
                report = load_stats(
                    client,
                    Path(lake),
                    endpoint,
                    policy,
                    advertisers,
                    start,
                    end,
                    time_zone="UTC",
                    api_version=API_VERSION,
                )
                rows += report.rows
                files += report.files
        metrics = client.metrics.snapshot()
    out.put(
        {
            "wall": time.perf_counter() - started,
            "calls": metrics["calls"],
            "retries": metrics["retries"],
            "rate_limited": metrics["rate_limited"],
            "throttle_seconds": metrics["throttle_seconds"],
            "rows": rows,
            "files": files,
            "rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": rss_before,
        }
    )


def run_strategy(url: str, lake: Path, start: date, end: date, window: int) -> dict:
    """Run one extraction in a fresh spawned process and return its figures."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_extract, args=(url, str(lake), start, end, window, out))
    proc.start()
    figures = out.get(timeout=3 * 3600)
    proc.join(timeout=60)
    if proc.exitcode not in (0, None):
        raise RuntimeError(f"extraction process exited with {proc.exitcode}")
    return figures


def start_simulator(log: Path) -> tuple[subprocess.Popen, str]:
    """The simulator in its own process; returns it and its URL."""
    args = [
        sys.executable,
        "-m",
        "mpo_pipeline.simulator",
        "--port",
        "0",
        "--advertisers",
        str(ADVERTISERS),
        "--campaigns",
        str(CAMPAIGNS),
        "--sellers",
        str(SELLERS),
        "--rate-limit",
        str(RATE),
        "--today",
        TODAY.isoformat(),
    ]
    handle = log.open("wb")
    proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"listening on (http://\S+)", log.read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the simulator did not start:\n{log.read_text(errors='replace')}")


def same_rows(ours: Path, naive: Path, start: date, end: date) -> tuple[bool, int]:
    """Whether both lakes hold the same rows (lineage aside) for ``[start, end]``; rows compared."""
    import pyarrow.parquet as pq

    from mpo_pipeline.ingest.lake import ENDPOINTS

    compared = 0
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    for endpoint in ENDPOINTS:
        for policy in ("SameSeller", "AnySeller"):
            for day in days:
                folder = Path(
                    "stats", f"endpoint={endpoint}", f"policy={policy}", f"report_date={day}"
                )
                files = [sorted((root / folder).glob("*.parquet")) for root in (ours, naive)]
                if not files[0] or [f.name for f in files[0]] != [f.name for f in files[1]]:
                    return False, compared
                a, b = (pq.read_table(f[0]).drop_columns(list(LINEAGE)) for f in files)
                if not a.equals(b):
                    return False, compared
                compared += a.num_rows
    return True, compared


def _fmt_wall(seconds: float) -> str:
    return f"{seconds:,.0f} s ({seconds / 60:.1f} min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="backfill length (default 365)")
    parser.add_argument("--naive-days", type=int, default=14, help="naive span measured")
    args = parser.parse_args()
    end = TODAY - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    naive_end = start + timedelta(days=args.naive_days - 1)
    scale = args.days / args.naive_days

    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        root = Path(tmp)
        sim, url = start_simulator(root / "simulator.log")
        try:
            print(
                f"simulator: {ADVERTISERS} advertiser x {CAMPAIGNS} campaigns x {SELLERS:,} "
                f"sellers, {RATE} calls/min enforced (429 beyond); client budget {RATE} calls/min"
            )
            print(f"backfill {start}..{end} ({args.days} days), 6 streams, UTC days")
            ours = run_strategy(url, root / "ours", start, end, 31)
            naive = run_strategy(url, root / "naive", start, naive_end, 1)
            identical, compared = same_rows(root / "ours", root / "naive", start, naive_end)
        finally:
            sim.terminate()
            try:
                sim.wait(timeout=30)
            except subprocess.TimeoutExpired:
                sim.kill()

    extrapolated = {
        "calls": 1 + (naive["calls"] - 1) * scale,  # the advertiser lookup is made once
        "wall": naive["wall"] * scale,
        "rows": naive["rows"] * scale,
    }
    floor_minutes = (extrapolated["calls"] - RATE) / RATE + 1  # after the first minute's burst
    print()
    header = (
        f"{'strategy':50} {'api calls':>10} {'wall':>20} {'rows':>12} {'rows/s':>9} {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))

    def line(label: str, calls: float, wall: float, rows: float, rss: float | None) -> None:
        rss_text = f"{rss:,.0f} MB" if rss is not None else "-"
        print(
            f"{label:50} {calls:>10,.0f} {_fmt_wall(wall):>20} {rows:>12,.0f} "
            f"{rows / wall:>9,.0f} {rss_text:>9}"
        )

    line(
        f"ours: 31-day windows, {args.days} days",
        ours["calls"],
        ours["wall"],
        ours["rows"],
        ours["rss_mb"],
    )
    line(
        f"naive: 1 request/day/stream, {args.naive_days} days (measured)",
        naive["calls"],
        naive["wall"],
        naive["rows"],
        naive["rss_mb"],
    )
    line(
        f"naive: extrapolated linearly to {args.days} days",
        extrapolated["calls"],
        extrapolated["wall"],
        extrapolated["rows"],
        None,
    )
    print()
    print(
        f"ours: {ours['files']:,} files, {ours['retries']} retries, {ours['rate_limited']} x 429, "
        f"{ours['throttle_seconds']:.0f} s waiting for the call budget; RSS after imports "
        f"{ours['rss_after_imports_mb']:.0f} MB"
    )
    print(
        f"naive (measured): {naive['files']:,} files, {naive['retries']} retries, "
        f"{naive['rate_limited']} x 429, {naive['throttle_seconds']:.0f} s waiting for the budget"
    )
    print(
        f"naive extrapolation = measured x {args.days}/{args.naive_days} (linear). It is "
        f"optimistic for the naive side: {extrapolated['calls']:,.0f} calls at {RATE}/min need "
        f"at least {floor_minutes:.1f} min, whatever the server's speed."
    )
    print(
        f"same rows on the {args.naive_days} common days: {'yes' if identical else 'NO'} "
        f"({compared:,} rows compared)"
    )
    calls_ratio = extrapolated["calls"] / ours["calls"]
    wall_ratio = extrapolated["wall"] / ours["wall"]
    floor_ratio = floor_minutes * 60 / ours["wall"]
    print(
        f"ratio naive/ours: {calls_ratio:.1f}x fewer API calls (goal >= {GOAL_CALLS:.0f}x: "
        f"{'met' if calls_ratio >= GOAL_CALLS else 'NOT met'}), {wall_ratio:.1f}x less wall time "
        f"(goal >= {GOAL_WALL:.0f}x: {'met' if wall_ratio >= GOAL_WALL else 'NOT met'}; "
        f"{floor_ratio:.1f}x against the rate-limit floor)"
    )


if __name__ == "__main__":
    main()
