"""Helpers for the ingestion tests: simulator configs, resources, reading the lake back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from support.lake import STATS_LINEAGE

from mpo_pipeline.defs.resources import LakeResource, MpoApiResource
from mpo_pipeline.ingest.extract import days_between
from mpo_pipeline.ingest.lake import ENDPOINTS, stats_path
from mpo_pipeline.simulator import SimulatorConfig

API_VERSION = "2026-07"
LINEAGE = STATS_LINEAGE
SIM_TODAY = date(2026, 3, 1)
POLICIES = ("SameSeller", "AnySeller")


def small_config(**overrides) -> SimulatorConfig:
    """Two advertisers (different currencies and zones), small enough for fast tests."""
    base = {"seed": 11, "advertisers": 2, "campaigns": 3, "sellers": 40, "today": SIM_TODAY}
    return SimulatorConfig(**{**base, **overrides})


def resources_for(server, lake_dir: Path, **api) -> dict:
    """Dagster resources pointing at ``server`` with its demo credentials."""
    cfg = server.config
    return {
        "mpo_api": MpoApiResource(
            base_url=server.url,
            api_version=API_VERSION,
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            max_calls_per_minute=api.pop("max_calls_per_minute", 10_000),
            request_window_days=api.pop("request_window_days", None),
            **api,
        ),
        "lake": LakeResource(lake_dir=str(lake_dir), time_zone="UTC"),
    }


def read_day(lake_dir: Path, endpoint: str, policy: str, day: date, advertiser: int) -> pa.Table:
    """One landed day without its lineage columns, sorted for comparison."""
    table = pq.read_table(stats_path(lake_dir, endpoint, policy, day, advertiser))
    return table.drop_columns([c for c in LINEAGE if c in table.column_names])


def canonical(table: pa.Table) -> list[dict]:
    """Rows as dicts, in a stable order, for exact equality with the ground truth."""
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r.get(k)) for k in sorted(r)))


def assert_lake_equals_truth(server, lake_dir: Path, start: date, end: date) -> int:
    """Every stream's landed days of ``[start, end]`` hold exactly the simulator's rows (UTC
    days); returns the rows compared."""
    truth = server.truth
    advertisers = [a["id"] for a in truth.advertisers()]
    compared = 0
    for endpoint in ENDPOINTS:
        for policy in POLICIES:
            for adv in advertisers:
                expected = truth.stats(endpoint, policy, adv, start, end, time_zone="UTC")
                by_day: dict[date, list] = {}
                for row in expected.to_pylist():
                    by_day.setdefault(row["day"], []).append(row)
                for day in days_between(start, end):
                    got = read_day(lake_dir, endpoint, policy, day, adv)
                    assert canonical(got) == sorted(
                        by_day.get(day, []),
                        key=lambda r: tuple(str(r.get(k)) for k in sorted(r)),
                    ), (endpoint, policy, adv, day)
                    compared += got.num_rows
    return compared
