"""Benchmark: MPO stats JSON -> Parquet, our parser against the naive json+pandas path.

Run: ``.venv/bin/python benchmarks/bench_parse.py [--rows N]`` (default 1,000,000 rows).

It builds the body of a ``stats/seller-campaigns`` response (realistic values, some null ratios,
some exponent notation, integer-looking revenue, digit-string seller names with leading zeros),
writes it to a temporary file, then times each path in a **fresh spawned process**:

- ours:  bytes -> ``parse_stats_json`` (validated Arrow table) -> ``pyarrow.parquet.write_table``
- naive: bytes -> ``json.loads(parse_float=Decimal)`` -> ``pandas.DataFrame(data, columns=...)``
  -> ``.to_parquet``

Both must produce the same values, money included: the pipeline keeps the API's amounts exact
(decimals read from the JSON text), so the naive path reads floats as ``Decimal`` too (a plain
``json.loads`` would hand pandas binary floats, a different and inexact output).

Memory: each child first imports its libraries and warms them up on a tiny body (pyarrow
imports pandas lazily on first use; neither path is charged for imports), then reads the payload
bytes. It then resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), records the
current RSS as the baseline, runs the path once, and reports ``VmHWM - baseline``: the peak
resident memory the path added on top of the payload bytes it was handed. Where clear_refs is
not available it falls back to ``ru_maxrss`` (peak since process start) minus the baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

GOAL_SPEEDUP = 2.5
COLUMNS = [
    "campaignId",
    "sellerId",
    "sellerName",
    "day",
    "impressions",
    "clicks",
    "cost",
    "saleUnits",
    "revenue",
    "cr",
    "cpo",
    "cos",
    "roas",
]
START = date(2026, 1, 1)


def build_payload(rows: int, seed: int = 7) -> bytes:
    """JSON bytes of a seller-campaigns response with ``rows`` rows over 31 days."""
    import msgspec

    rnd = random.Random(seed)
    days = [(START + timedelta(days=d)).isoformat() for d in range(31)]
    sellers_per_campaign = max(rows // (31 * 8), 1)
    data: list[list[object]] = []
    append = data.append
    for row in range(rows):
        day = days[row % 31]
        seller = (row // 31) % sellers_per_campaign
        campaign = 168_400 + row // (31 * sellers_per_campaign)
        seller_id = 4_300_000_000 + seller  # beyond 32 bits, like real seller ids
        # Digit-string keys with leading zeros for most sellers, text keys for others.
        seller_name = f"{seller:09d}" if seller % 5 else f"MKT-{seller:05d}"
        impressions = rnd.randint(0, 60_000)
        clicks = rnd.randint(0, impressions // 150 + 1)
        cost = round(clicks * rnd.uniform(0.05, 0.9), 2)
        sales = rnd.randint(0, 3) if clicks and rnd.random() < 0.4 else 0
        revenue: float | int = round(sales * rnd.uniform(4, 400), 2)
        if sales and rnd.random() < 0.05:
            revenue = int(revenue) + 190_758_099  # integer-looking revenue, as in the docs
        cr = round(sales / clicks, 3) if clicks else None
        if cr is not None and rnd.random() < 0.02:
            cr = 8.308e-06  # exponent notation in the JSON
        cpo = round(cost / sales, 3) if sales else None
        cos = round(cost / revenue, 3) if revenue else None
        roas = round(revenue / cost, 3) if cost else None
        append(
            [
                campaign,
                seller_id,
                seller_name,
                day,
                impressions,
                clicks,
                cost,
                sales,
                revenue,
                cr,
                cpo,
                cos,
                roas,
            ]
        )
    return msgspec.json.encode({"columns": COLUMNS, "data": data, "rows": len(data), "links": {}})


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def _maxrss_kb() -> int:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value // 1024 if sys.platform == "darwin" else value


def _run_ours(body: bytes, out: Path) -> int:
    import pyarrow.parquet as pq

    from mpo_pipeline.client import StatsRequest, parse_stats_json

    request = StatsRequest("seller_campaigns", "SameSeller", 1, START, START + timedelta(30))
    table = parse_stats_json(body, request).table
    pq.write_table(table, out)
    return table.num_rows


def _run_naive(body: bytes, out: Path) -> int:
    import json
    from decimal import Decimal

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    payload = json.loads(body, parse_float=Decimal)
    frame = pd.DataFrame(payload["data"], columns=payload["columns"])
    for ratio in ("cr", "cpo", "cos", "roas"):
        frame[ratio] = frame[ratio].astype("float64")
    # Arrow cannot infer one decimal type from mixed whole and fractional values: say the types.
    types = {"sellerName": pa.string(), "day": pa.string(), "cost": pa.decimal128(38, 9)}
    types["revenue"] = types["cost"]
    schema = pa.schema([(c, types.get(c, pa.int64())) for c in COLUMNS[:9]])
    schema = schema.append(pa.field("cr", pa.float64()))
    for ratio in ("cpo", "cos", "roas"):
        schema = schema.append(pa.field(ratio, pa.float64()))
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), out)
    return len(frame)


def child(name: str, payload_path: str, out_path: str, queue: mp.Queue) -> None:
    """Run one path in this fresh process and report time and peak memory."""
    import gc

    import msgspec  # noqa: F401  (imports are not what is measured)
    import pandas  # noqa: F401
    import pyarrow
    import pyarrow.parquet  # noqa: F401

    run = _run_ours if name == "ours" else _run_naive
    warm = Path(out_path + ".warm")
    run(build_payload(62), warm)
    warm.unlink()
    body = Path(payload_path).read_bytes()
    gc.collect()
    exact = _reset_peak()
    baseline_kb = _status_kb("VmRSS") if exact else _maxrss_kb()
    started = time.perf_counter()
    rows = run(body, Path(out_path))
    seconds = time.perf_counter() - started
    peak_kb = _status_kb("VmHWM") if exact else _maxrss_kb()
    queue.put(
        {
            "name": name,
            "rows": rows,
            "seconds": seconds,
            "peak_increase": ((peak_kb or 0) - (baseline_kb or 0)) * 1024,
            "exact_peak": exact,
        }
    )


def measure(name: str, payload_path: str, out_path: str) -> dict[str, object]:
    """Spawn a fresh interpreter for ``name`` and collect its figures."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    process = ctx.Process(target=child, args=(name, payload_path, out_path, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"{name} path failed with exit code {process.exitcode}")
    return result


def _check_same(ours: Path, naive: Path) -> str:
    """Both files must hold the same rows: compare counts and metric sums."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    a, b = pq.read_table(ours), pq.read_table(naive)
    assert a.num_rows == b.num_rows, (a.num_rows, b.num_rows)
    for column in ("impressions", "clicks", "saleUnits", "cost", "revenue"):
        # exact on both sides: counts and money (decimals) must sum to the same value
        x, y = pc.sum(a[column]).as_py(), pc.sum(b[column]).as_py()
        assert x == y, (column, x, y)
    for column in ("cr", "roas"):
        x, y = float(pc.sum(a[column]).as_py()), float(pc.sum(b[column]).as_py())
        assert abs(x - y) <= 1e-6 * max(abs(x), 1), (column, x, y)
    assert a["sellerName"].to_pylist()[:50] == b["sellerName"].to_pylist()[:50]
    return "identical row counts and metric sums (money exact on both sides)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mpo-bench-") as tmp:
        payload_path = os.path.join(tmp, "payload.json")
        started = time.perf_counter()
        body = build_payload(args.rows)
        Path(payload_path).write_bytes(body)
        size = len(body)
        del body
        print(
            f"payload: {args.rows:,} rows, {size / 1e6:.1f} MB of JSON "
            f"(built in {time.perf_counter() - started:.1f}s)"
        )
        results = {
            name: measure(name, payload_path, os.path.join(tmp, f"{name}.parquet"))
            for name in ("ours", "naive")
        }
        check = _check_same(Path(tmp, "ours.parquet"), Path(tmp, "naive.parquet"))

    ours, naive = results["ours"], results["naive"]
    header = (
        f"{'path':<8}{'rows':>12}{'seconds':>10}{'rows/s':>14}{'peak RSS +MB':>15}{'x payload':>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name in ("ours", "naive"):
        r = results[name]
        rate = r["rows"] / r["seconds"]
        peak_mb = r["peak_increase"] / 1e6
        print(
            f"{name:<8}{r['rows']:>12,}{r['seconds']:>10.2f}{rate:>14,.0f}{peak_mb:>15.1f}"
            f"{r['peak_increase'] / size:>11.1f}"
        )
    speedup = naive["seconds"] / ours["seconds"]
    memory = ours["peak_increase"] / max(naive["peak_increase"], 1)
    print()
    print(f"speed-up (rows/s ours / naive):   {speedup:.2f}x   (goal >= {GOAL_SPEEDUP}x)")
    print(f"peak memory (ours / naive):       {memory:.2f}     (goal < 1)")
    print(
        f"outputs: {check}; peak measured with "
        f"{'VmHWM after clear_refs' if ours['exact_peak'] else 'ru_maxrss'}"
    )
    ok = speedup >= GOAL_SPEEDUP and memory < 1
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
