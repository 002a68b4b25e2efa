"""Benchmark: the seller portal API under concurrent clients, during loads and publishes.

Builds a warehouse holding the two seller marts of the contract
(``mpo_pipeline.seller_portal.contract``) for 10,000 sellers over 60 as-of days, windows 7 and 30
(1.2 M performance rows, 3.6 M seller x campaign rows), publishes it with ``publish_warehouse``
and issues a portal key. Then, for each server, in one run:

- **ours**: ``mpo-pipeline serve-sellers`` (a process of its own, access log on);
- **naive**: the same app, keys and answers, but every request opens the published file with a
  fresh DuckDB connection and runs its queries there (no snapshot kept, no slice in memory);

N concurrent httpx clients (one asyncio process, keep-alive connections on loopback) request
random sellers for a fixed time: 80 % ``/performance``, 20 % ``/campaigns``, window 7 or 30, one
request in ten for a past as-of date. Two phases per server: **steady**, and **load + publish**,
where another process loops "rewrite the performance mart in the private warehouse (a load),
then ``publish_warehouse``" for the whole phase. Prints requests/s, p50/p99/max latency, errors
(any answer but 200, or a transport error), the snapshots served, the CPU per request of the
server and of the clients, and the machine's load average: latencies are only comparable within
one run, and only meaningful on a machine the benchmark has to itself (the clients share its
cores with the server); the server's CPU per request is the steadier figure.

Run: .venv/bin/python benchmarks/bench_serve_sellers.py [--clients 8] [--seconds 30]
     [--sellers 10000] [--days 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import psutil

from mpo_pipeline.seller_portal.contract import (
    CAMPAIGN_COLUMNS,
    PERFORMANCE_COLUMNS,
    create_table_sql,
)
from mpo_pipeline.seller_portal.keys import KeyStore
from mpo_pipeline.seller_portal.queries import CAMPAIGNS_TABLE, PERFORMANCE_TABLE
from mpo_pipeline.warehouse.lock import warehouse_writer
from mpo_pipeline.warehouse.publish import publish_warehouse

LAST_DAY = date(2026, 3, 1)
FIRST_SELLER = 1_000_000
GOAL_P99_MS = 50.0

# -- the warehouse ---------------------------------------------------------------------------

_MEASURES = """
    (h % 50000)::bigint as impressions,
    (h % 700)::bigint as clicks,
    (h % 31)::bigint as sale_units_same_seller,
    (h % 47)::bigint as sale_units_any_seller,
    ((h % 9000000) / 1000.0)::decimal(38, 9) as cost,
    ((h % 70000000) / 1000.0)::decimal(38, 9) as revenue_same_seller,
    ((h % 90000000) / 1000.0)::decimal(38, 9) as revenue_any_seller,
    (h % 700) / nullif(h % 50000, 0)::double as ctr,
    ((h % 9000000) / 1000.0) / nullif(h % 700, 0)::double as cpc,
    ((h % 70000000) / 1000.0) / nullif((h % 9000000) / 1000.0, 0)::double as roas_same_seller,
    ((h % 90000000) / 1000.0) / nullif((h % 9000000) / 1000.0, 0)::double as roas_any_seller,
    ((h // 7) % 50000)::bigint as previous_impressions,
    ((h // 7) % 9000000 / 1000.0)::decimal(38, 9) as previous_cost,
    ((h % 50000) - (h // 7) % 50000)::bigint as impressions_change,
    ((h % 9000000) / 1000.0 - (h // 7) % 9000000 / 1000.0)::decimal(38, 9) as cost_change
"""


def build_warehouse(private: Path, sellers: int, days: int) -> None:
    """The two marts, generated in SQL (deterministic), in the order dbt would write them."""
    private.unlink(missing_ok=True)
    first = LAST_DAY - timedelta(days=days - 1)
    grid = f"""
        select d::date as as_of_date, w as window_days, 1::bigint as advertiser_id,
               s::bigint as seller_id
        from range(date '{first}', date '{LAST_DAY}' + interval 1 day, interval 1 day) t(d),
             (values (7), (30)) v(w),
             range({FIRST_SELLER}, {FIRST_SELLER + sellers}) r(s)
    """
    common = """
        'SELLER-' || seller_id as seller_name, 'EUR' as currency,
        as_of_date - (window_days - 1) as window_start, as_of_date as window_end,
        window_days as days_loaded, true as is_complete,
    """
    with duckdb.connect(str(private)) as con:
        con.execute("create schema marts")
        con.execute(create_table_sql(PERFORMANCE_TABLE, PERFORMANCE_COLUMNS))
        con.execute(create_table_sql(CAMPAIGNS_TABLE, CAMPAIGN_COLUMNS))
        con.execute(f"""
            insert into {PERFORMANCE_TABLE} by name
            select as_of_date, window_days, advertiser_id, seller_id, {common} {_MEASURES},
                   ((h % 90000000) / 100.0)::decimal(38, 9) as gmv, (h % 900)::bigint as orders
            from (select *, (hash(seller_id, as_of_date, window_days) % 1000000000)::bigint as h
                  from ({grid}))
            order by as_of_date, window_days, seller_id
        """)
        con.execute(f"""
            insert into {CAMPAIGNS_TABLE} by name
            select as_of_date, window_days, advertiser_id, seller_id, campaign_id, {common}
                   {_MEASURES}
            from (select g.*, c::bigint as campaign_id,
                         (hash(seller_id, as_of_date, window_days, c) % 1000000000)::bigint as h
                  from ({grid}) g, range(1, 6) cs(c)
                  where c <= seller_id % 5 + 1)
            order by as_of_date, window_days, seller_id, campaign_id
        """)


def loader(private: Path, published: Path, seconds: float) -> None:
    """Loop "a load, then a publish" for ``seconds`` (the process of the load + publish phase)."""
    print("ready", flush=True)  # imports done: the clients start now, and so does the clock
    deadline = time.monotonic() + seconds
    publishes = 0
    while time.monotonic() < deadline:
        with warehouse_writer(private), duckdb.connect(str(private)) as con:
            con.execute(
                f"create or replace table {PERFORMANCE_TABLE} as select * replace "
                f"(impressions + 1 as impressions) from {PERFORMANCE_TABLE}"
            )
            con.execute("checkpoint")
        publish_warehouse(private, published, manifest=None)
        publishes += 1
    print(publishes, flush=True)


# -- the naive server --------------------------------------------------------------------------


def naive_app(published: Path, keys: Path):
    """The obvious way: sync endpoints (a worker thread each), a fresh read-only DuckDB connection
    per request to the published file, the rows fetched as Python values and ``json.dumps``-ed.
    Same keys (``KeyVerifier.verify``), same checks of the seller and the query."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from mpo_pipeline.seller_portal.app import not_found, presented_token, unauthorized
    from mpo_pipeline.seller_portal.keys import KeyVerifier
    from mpo_pipeline.seller_portal.params import parse_report_query, parse_seller_id
    from mpo_pipeline.seller_portal.queries import CAMPAIGNS, PERFORMANCE

    verifier = KeyVerifier(keys)

    def answer(request, report) -> Response:
        token = presented_token(request)
        key = verifier.verify(token) if token else None
        if key is None:
            return unauthorized()
        seller = parse_seller_id(request.path_params["seller"])
        if seller is None or not key.may_read(seller):
            return not_found()
        query = parse_report_query(request.query_params.multi_items())
        with duckdb.connect(str(published), read_only=True) as con:
            if not con.execute(
                f"select 1 from {PERFORMANCE_TABLE} where seller_id = ? limit 1", [seller]
            ).fetchone():
                return not_found()
            window = query.window or 7
            as_of = (
                query.as_of
                or con.execute(
                    f"select max(as_of_date) from {report.table} where window_days = ?", [window]
                ).fetchone()[0]
            )
            (published_at,) = con.execute(
                "select published_at::varchar from meta.published_at"
            ).fetchone()
            cur = con.execute(
                f"select * exclude (as_of_date, window_days, seller_id) from {report.table} "
                "where window_days = ? and as_of_date = ? and seller_id = ? "
                f"order by {', '.join(report.row_keys)}",
                [window, as_of, seller],
            )
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        body = {
            "seller_id": seller,
            "window_days": window,
            "as_of_date": str(as_of),
            "published_at": published_at,
            "rows": rows,
        }
        return Response(json.dumps(body, default=str), media_type="application/json")

    def health(request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/v1/sellers/{seller}/performance", lambda r: answer(r, PERFORMANCE)),
            Route("/v1/sellers/{seller}/campaigns", lambda r: answer(r, CAMPAIGNS)),
            Route("/health", health),
        ]
    )


def serve_naive() -> int:
    import uvicorn

    from mpo_pipeline.config import Settings
    from mpo_pipeline.seller_portal.server import bind

    settings = Settings.from_env(require_credentials=False)
    sock = bind("127.0.0.1", 0)
    print(f"serving naive on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    app = naive_app(settings.published_warehouse, settings.seller_keys)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


# -- the clients -------------------------------------------------------------------------------


async def drive(
    url: str, token: str, clients: int, seconds: float, sellers: int, days: int, seed: int
) -> dict:
    """N clients requesting for ``seconds``; latencies (s), errors, snapshots seen."""
    rng = random.Random(seed)
    latencies: list[float] = []
    errors: list[str] = []
    snapshots: set[str] = set()
    headers = {"authorization": f"Bearer {token}"}
    deadline = time.monotonic() + seconds
    past = [LAST_DAY - timedelta(days=d) for d in range(1, days)]

    def next_path() -> str:
        seller = FIRST_SELLER + rng.randrange(sellers)
        report = "performance" if rng.random() < 0.8 else "campaigns"
        query = f"window={rng.choice((7, 30))}"
        if rng.random() < 0.1:
            query += f"&as_of={rng.choice(past)}"
        return f"/v1/sellers/{seller}/{report}?{query}"

    async def one(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            path = next_path()
            started = time.perf_counter()
            try:
                r = await client.get(path, headers=headers)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:200]}")
            else:
                snapshots.add(r.json()["published_at"])

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await asyncio.gather(*(one(client) for _ in range(clients)))
    return {"latencies": latencies, "errors": errors, "snapshots": snapshots}


# -- orchestration -----------------------------------------------------------------------------


def _read_line(stream, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def start(kind: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    if kind == "ours":
        argv = [sys.executable, "-m", "mpo_pipeline.cli", "serve-sellers", "--port", "0"]
    else:
        argv = [sys.executable, __file__, "--serve-naive"]
    with log.open("ab") as err:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    url = _read_line(proc.stdout, 120).split(" on ", 1)[1].strip()
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/health", timeout=10).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind} server not healthy; see {log}")
        time.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def phase(kind, name, proc, url, token, args, loader_argv, env) -> dict:
    server = psutil.Process(proc.pid)
    cpu_before = sum(server.cpu_times()[:2])
    load = None
    if loader_argv:
        load = subprocess.Popen(loader_argv, env=env, stdout=subprocess.PIPE, text=True)
        assert _read_line(load.stdout, 120).strip() == "ready"
    started, client_cpu = time.perf_counter(), time.process_time()
    result = asyncio.run(
        drive(url, token, args.clients, args.seconds, args.sellers, args.days, seed=7)
    )
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - client_cpu
    cpu = sum(server.cpu_times()[:2]) - cpu_before
    publishes = None
    if load is not None:
        out, _ = load.communicate(timeout=600)
        publishes = int(out.strip().splitlines()[-1])
    lat = result["latencies"]
    return {
        "server": kind,
        "phase": name,
        "requests": len(lat),
        "rps": len(lat) / wall,
        "p50": percentile(lat, 0.50) * 1000,
        "p99": percentile(lat, 0.99) * 1000,
        "max": max(lat) * 1000 if lat else float("nan"),
        "mean": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "errors": len(result["errors"]),
        "first_error": result["errors"][0] if result["errors"] else "",
        "snapshots": len(result["snapshots"]),
        "publishes": publishes,
        "cpu_ms_per_request": cpu * 1000 / max(1, len(lat)),
        "client_cpu_ms_per_request": client_cpu * 1000 / max(1, len(lat)),
        "load_average": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0, help="per phase")
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    parser.add_argument("--servers", default="ours,naive")
    parser.add_argument("--serve-naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--loader", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_naive:
        return serve_naive()
    if args.loader:
        loader(Path(args.loader[0]), Path(args.loader[1]), float(args.loader[2]))
        return 0

    root = args.keep or Path(tempfile.mkdtemp(prefix="mpo-bench-portal-"))
    root.mkdir(parents=True, exist_ok=True)
    private, published = root / "warehouse.duckdb", root / "published" / "warehouse.duckdb"
    t0 = time.perf_counter()
    build_warehouse(private, args.sellers, args.days)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = publish_warehouse(private, published, manifest=None)
    print(
        f"warehouse: {args.sellers:,} sellers x {args.days} days x 2 windows: "
        f"{report.rows_per_table()} rows, built in {build_s:.1f} s, published in "
        f"{time.perf_counter() - t0:.1f} s ({report.size_bytes / 1e6:.0f} MB)"
    )
    keys = KeyStore(root / "seller_keys.sqlite3")
    token = keys.issue(label="bench portal backend").token
    env = {
        **os.environ,
        "MPO_DATA_DIR": str(root),
        "MPO_PUBLISHED_WAREHOUSE": str(published),
        "MPO_SELLER_KEYS": str(keys.path),
        "MPO_SELLER_API_PORTAL_RATE": "100000",
        "MPO_SELLER_API_PORTAL_BURST": "100000",
    }
    loader_argv = [
        sys.executable, __file__, "--loader", str(private), str(published), str(args.seconds)
    ]  # fmt: skip
    rows = []
    for kind in args.servers.split(","):
        proc, url = start(kind, env, root / f"{kind}.log")
        try:
            for name, load in (("steady", None), ("load + publish", loader_argv)):
                rows.append(phase(kind, name, proc, url, token, args, load, env))
                r = rows[-1]
                extra = "" if r["publishes"] is None else f" (publishes {r['publishes']})"
                print(
                    f"{r['server']:>5} {r['phase']:<15} {r['requests']:>7,} req "
                    f"{r['rps']:>7.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  "
                    f"max {r['max']:7.1f} ms  errors {r['errors']}  snapshots {r['snapshots']}"
                    f"{extra}"
                    f"  CPU per request: server {r['cpu_ms_per_request']:.2f} ms, clients "
                    f"{r['client_cpu_ms_per_request']:.2f} ms  load avg {r['load_average']:.1f}",
                    flush=True,
                )
                if r["first_error"]:
                    print(f"      first error: {r['first_error']}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    ours = {r["phase"]: r for r in rows if r["server"] == "ours"}
    naive = {r["phase"]: r for r in rows if r["server"] == "naive"}
    for name in ("steady", "load + publish"):
        if name in ours and name in naive:
            print(
                f"{name}: ours {ours[name]['rps'] / naive[name]['rps']:.1f}x the requests/s of "
                f"naive, p99 {ours[name]['p99']:.1f} vs {naive[name]['p99']:.1f} ms"
            )
    if "load + publish" in ours:
        r = ours["load + publish"]
        met = r["p99"] < GOAL_P99_MS and r["errors"] == 0
        print(
            f"goal (p99 < {GOAL_P99_MS:.0f} ms, zero errors across publishes): "
            f"{'met' if met else 'NOT met'}"
        )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
