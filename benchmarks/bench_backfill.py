"""Benchmark: a 1-year backfill at 40 calls/min: windows sized by rows, fixed 31-day windows and
the naive way, for an account and one five times larger.

Run: ``.venv/bin/python benchmarks/bench_backfill.py [--days 365] [--naive-days 14]
[--max-rows N] [--accounts 2000,10000]``.

For each account (1 advertiser × 20 campaigns × 2,000 sellers, then × 10,000 sellers) the MPO API
simulator runs as its own process (``--rate-limit 40``: a 41st call within a minute gets a 429)
and the year is extracted through ``extract.load_stats`` (the code the Dagster stats assets run)
for the six streams (3 endpoints × 2 attribution policies), with a client budget of 40 calls/min,
each extraction in a fresh spawned process so that its peak RSS is its own:

- sized: ``MpoClient()`` as configured by default: each window holds as many days as keep its
  response under ``MPO_MAX_ROWS_PER_REQUEST`` rows, from the stream's rows per day (a first day
  on its own when nothing is known), bodies decoded as they stream in, one Parquet file per day;
- fixed: ``MpoClient(request_window_days=31, max_rows_per_request=None)``: one request per
  31-day window and stream, as before windows were sized (same decoding);
- naive (first account only): ``request_window_days=1``: one request per day and stream.

Per extraction: API calls, wall time, rows, peak RSS (VmHWM) of the process, its RSS after the
imports and after the first API call (the advertiser lookup, which loads pyarrow's compute
and the HTTP stack), and the largest response (rows, body bytes). Goals: the larger account's
peak RSS within 1.3× of the smaller's with sized windows, and its growth over the RSS after
imports at most 3× the largest response body; at most 40 calls for the first account's year,
with the same rows as fixed windows (every file compared, lineage aside).

A naive year at 40 calls/min takes about an hour (365 × 6 / 40 ≈ 55 min), so the naive strategy
is measured on the first ``--naive-days`` days of the same year and **extrapolated linearly** to
the year (calls, rows and wall time × days/naive_days). The extrapolation favours the naive side:
the measured span enjoys the budget's initial burst of 40 calls, which a real year would spend in
its first minute. Both lakes are compared on the common days (they must hold the same rows).
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
ADVERTISERS, CAMPAIGNS = 1, 20
RATE = 40  # calls per minute, enforced by the simulator and budgeted by the client
API_VERSION = "2026-07"
CLIENT = ("mpo-demo-client", "mpo-demo-secret")
GOAL_CALLS, GOAL_WALL = 20.0, 5.0  # naive / sized
GOAL_SIZED_CALLS = 40  # sized windows, first account, one year
GOAL_PEAK_RATIO, GOAL_GROWTH = 1.3, 3.0
LINEAGE = ("window_start", "window_end", "extracted_at")
POLICIES = ("SameSeller", "AnySeller")
MB = 1024 * 1024


def _rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident set size of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _extract(
    url: str,
    lake: str,
    start: date,
    end: date,
    sizing: dict,
    out: mp.Queue,
) -> None:
    """Child process: every stream of ``[start, end]`` into ``lake``; figures go to ``out``."""
    from mpo_pipeline.client import MpoClient
    from mpo_pipeline.ingest.extract import load_stats, resolve_advertisers
    from mpo_pipeline.ingest.lake import ENDPOINTS

    rss_imports = _rss_mb("VmRSS")
    started = time.perf_counter()
    rows = files = 0
    with MpoClient(url, API_VERSION, *CLIENT, max_calls_per_minute=RATE, **sizing) as client:
        advertisers = resolve_advertisers(client)
        rss_ready = _rss_mb("VmRSS")
        for endpoint in ENDPOINTS:
            for policy in POLICIES:
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
            "max_rows": metrics["max_window_rows"],
            "max_bytes": metrics["max_window_bytes"],
            "rows": rows,
            "files": files,
            "rss_mb": _rss_mb(),
            "rss_imports_mb": rss_imports,
            "rss_ready_mb": rss_ready,
        }
    )


def run_strategy(url: str, lake: Path, start: date, end: date, **sizing) -> dict:
    """Run one extraction in a fresh spawned process and return its figures."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_extract, args=(url, str(lake), start, end, sizing, out))
    proc.start()
    figures = out.get(timeout=3 * 3600)
    proc.join(timeout=60)
    if proc.exitcode not in (0, None):
        raise RuntimeError(f"extraction process exited with {proc.exitcode}")
    return figures


def start_simulator(log: Path, sellers: int) -> tuple[subprocess.Popen, str]:
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
        str(sellers),
        "--rate-limit",
        str(RATE),
        "--today",
        TODAY.isoformat(),
    ]
    handle = log.open("wb")
    proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        match = re.search(r"listening on (http://\S+)", log.read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the simulator did not start:\n{log.read_text(errors='replace')}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def same_rows(ours: Path, other: Path, start: date, end: date) -> tuple[bool, int]:
    """Whether both lakes hold the same rows (lineage aside) for ``[start, end]``; rows compared."""
    import pyarrow.parquet as pq

    from mpo_pipeline.ingest.lake import ENDPOINTS

    compared = 0
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    for endpoint in ENDPOINTS:
        for policy in POLICIES:
            for day in days:
                folder = Path(
                    "stats", f"endpoint={endpoint}", f"policy={policy}", f"report_date={day}"
                )
                files = [sorted((root / folder).glob("*.parquet")) for root in (ours, other)]
                if not files[0] or [f.name for f in files[0]] != [f.name for f in files[1]]:
                    return False, compared
                for mine, theirs in zip(*files, strict=True):
                    a, b = (pq.read_table(f).drop_columns(list(LINEAGE)) for f in (mine, theirs))
                    if not a.equals(b):
                        return False, compared
                    compared += a.num_rows
    return True, compared


def _fmt_wall(seconds: float) -> str:
    return f"{seconds:,.0f} s ({seconds / 60:.1f} min)"


def _growth(run: dict) -> float:
    """Peak RSS over the RSS after imports, in largest response bodies."""
    return (run["rss_mb"] - run["rss_imports_mb"]) / (run["max_bytes"] / MB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="backfill length (default 365)")
    parser.add_argument("--naive-days", type=int, default=14, help="naive span measured")
    parser.add_argument("--max-rows", type=int, default=None, help="MPO_MAX_ROWS_PER_REQUEST")
    parser.add_argument("--accounts", default="2000,10000", help="sellers of each account")
    args = parser.parse_args()
    accounts = [int(a) for a in args.accounts.split(",")]
    end = TODAY - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    naive_end = start + timedelta(days=args.naive_days - 1)
    scale = args.days / args.naive_days
    sized_args = {} if args.max_rows is None else {"max_rows_per_request": args.max_rows}

    print(
        f"simulator: {ADVERTISERS} advertiser x {CAMPAIGNS} campaigns x "
        f"{' / '.join(f'{a:,}' for a in accounts)} sellers, {RATE} calls/min enforced (429 "
        f"beyond); client budget {RATE} calls/min"
    )
    print(f"backfill {start}..{end} ({args.days} days), 6 streams, UTC days")
    results: dict[int, dict[str, dict]] = {}
    checks: dict[int, tuple[bool, int]] = {}
    naive: dict | None = None
    naive_check = (False, 0)
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        root = Path(tmp)
        for sellers in accounts:
            sim, url = start_simulator(root / f"simulator-{sellers}.log", sellers)
            try:
                lakes = {k: root / f"{k}-{sellers}" for k in ("sized", "fixed", "naive")}
                runs = results[sellers] = {}
                runs["sized"] = run_strategy(url, lakes["sized"], start, end, **sized_args)
                print(f"  {sellers:,} sellers, sized: {runs['sized']['wall']:.0f} s", flush=True)
                runs["fixed"] = run_strategy(
                    url,
                    lakes["fixed"],
                    start,
                    end,
                    request_window_days=31,
                    max_rows_per_request=None,
                )
                print(f"  {sellers:,} sellers, fixed: {runs['fixed']['wall']:.0f} s", flush=True)
                if naive is None:
                    naive = run_strategy(
                        url,
                        lakes["naive"],
                        start,
                        naive_end,
                        request_window_days=1,
                        max_rows_per_request=None,
                    )
                    naive_check = same_rows(lakes["sized"], lakes["naive"], start, naive_end)
            finally:
                stop(sim)
            checks[sellers] = same_rows(lakes["sized"], lakes["fixed"], start, end)
            for lake in lakes.values():
                subprocess.run(["rm", "-rf", str(lake)], check=False)
    report(results, checks, naive, naive_check, args, scale)


def report(
    results: dict[int, dict[str, dict]],
    checks: dict[int, tuple[bool, int]],
    naive: dict | None,
    naive_check: tuple[bool, int],
    args: argparse.Namespace,
    scale: float,
) -> None:
    print()
    header = (
        f"{'account':>8} {'strategy':44} {'calls':>6} {'wall':>17} {'rows':>11} {'rows/s':>8} "
        f"{'largest response':>22} {'peak RSS':>9} {'growth':>7}"
    )
    print(header)
    print("-" * len(header))

    def line(account: str, label: str, run: dict, calls: float, wall: float, rows: float) -> None:
        largest = f"{run['max_rows']:,} rows {run['max_bytes'] / MB:,.1f} MB" if run else "-"
        rss = f"{run['rss_mb']:,.0f} MB" if run else "-"
        growth = f"{_growth(run):.1f}x" if run else "-"
        print(
            f"{account:>8} {label:44} {calls:>6,.0f} {_fmt_wall(wall):>17} {rows:>11,.0f} "
            f"{rows / wall:>8,.0f} {largest:>22} {rss:>9} {growth:>7}"
        )

    for sellers, runs in results.items():
        account = f"{sellers:,}"
        for key, label in (
            ("sized", "sized by rows"),
            ("fixed", "fixed 31-day windows"),
        ):
            run = runs[key]
            line(account, f"{label}, {args.days} days", run, run["calls"], run["wall"], run["rows"])
    if naive is not None:
        line(
            f"{next(iter(results)):,}",
            f"naive 1 request/day/stream, {args.naive_days} days",
            naive,
            naive["calls"],
            naive["wall"],
            naive["rows"],
        )
        extrapolated = {
            "calls": 1 + (naive["calls"] - 1) * scale,  # the advertiser lookup is made once
            "wall": naive["wall"] * scale,
            "rows": naive["rows"] * scale,
        }
        line(
            f"{next(iter(results)):,}",
            f"naive, extrapolated linearly to {args.days} days",
            {},
            extrapolated["calls"],
            extrapolated["wall"],
            extrapolated["rows"],
        )
    print(
        "growth = (peak RSS - RSS after imports) / largest response body; "
        "RSS after imports / after the first API call:"
    )
    for sellers, runs in results.items():
        for key, run in runs.items():
            print(
                f"  {sellers:,} {key}: {run['rss_imports_mb']:.0f} / {run['rss_ready_mb']:.0f} MB; "
                f"{run['files']:,} files, {run['retries']} retries, {run['rate_limited']} x 429, "
                f"{run['throttle_seconds']:.0f} s waiting for the call budget"
            )
    for sellers, (identical, compared) in checks.items():
        print(
            f"{sellers:,} sellers: sized and fixed windows land the same rows: "
            f"{'yes' if identical else 'NO'} ({compared:,} rows compared, every file)"
        )

    small, large = (results[a]["sized"] for a in (min(results), max(results)))
    verdicts = []
    calls_ok = small["calls"] <= GOAL_SIZED_CALLS and checks[min(results)][0]
    verdicts.append(
        f"sized calls for the {min(results):,}-seller year: {small['calls']} (goal <= "
        f"{GOAL_SIZED_CALLS} with the same rows: {'met' if calls_ok else 'NOT met'}; fixed 31-day "
        f"windows: {results[min(results)]['fixed']['calls']})"
    )
    if len(results) > 1:
        ratio = large["rss_mb"] / small["rss_mb"]
        fixed = results[max(results)]["fixed"]["rss_mb"] / results[min(results)]["fixed"]["rss_mb"]
        verdicts.append(
            f"peak RSS {max(results):,} / {min(results):,} sellers, sized: {ratio:.2f}x (goal <= "
            f"{GOAL_PEAK_RATIO}: {'met' if ratio <= GOAL_PEAK_RATIO else 'NOT met'}; fixed: "
            f"{fixed:.2f}x)"
        )
    growth = _growth(large)
    ready = (large["rss_mb"] - large["rss_ready_mb"]) / (large["max_bytes"] / MB)
    verdicts.append(
        f"growth of the {max(results):,}-seller extraction over its RSS after imports: "
        f"{growth:.1f}x its largest response body (goal <= {GOAL_GROWTH}: "
        f"{'met' if growth <= GOAL_GROWTH else 'NOT met'}); over its RSS after the first call: "
        f"{ready:.1f}x"
    )
    if naive is not None:
        calls_ratio = (1 + (naive["calls"] - 1) * scale) / small["calls"]
        wall_ratio = naive["wall"] * scale / small["wall"]
        floor_minutes = ((1 + (naive["calls"] - 1) * scale) - RATE) / RATE + 1
        verdicts.append(
            f"naive/sized, {min(results):,} sellers: {calls_ratio:.1f}x fewer API calls (goal >= "
            f"{GOAL_CALLS:.0f}x: {'met' if calls_ratio >= GOAL_CALLS else 'NOT met'}), "
            f"{wall_ratio:.1f}x less wall time (goal >= {GOAL_WALL:.0f}x: "
            f"{'met' if wall_ratio >= GOAL_WALL else 'NOT met'}); the naive calls need at least "
            f"{floor_minutes:.1f} min at {RATE}/min; same rows on the {args.naive_days} common "
            f"days: {'yes' if naive_check[0] else 'NO'} ({naive_check[1]:,} rows compared)"
        )
    print()
    for verdict in verdicts:
        print(verdict)


if __name__ == "__main__":
    main()
