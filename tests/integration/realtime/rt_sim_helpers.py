"""Helpers of the real-time integration tests: simulator config, fast clients, row keys."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest

from mpo_pipeline.client import RealtimeClient, RealtimeReportRequest
from mpo_pipeline.defs.monitoring.realtime_assets import REALTIME_EXPORT_KEY, RealtimeExportConfig
from mpo_pipeline.defs.resources import LakeResource, MpoApiResource
from mpo_pipeline.simulator import RunningSimulator, SimulatorConfig
from mpo_pipeline.simulator.realtime_service import RealtimeService

SIM_TODAY = date(2026, 3, 1)
EXPORT_OP = "__".join(REALTIME_EXPORT_KEY.path)
ADVERTISERS = (41111, 42222)
# Jobs of a fraction of a second, no quota, no cache: each test switches on what it exercises.
FAST: dict[str, Any] = {
    "job_seconds": 0.15,
    "hourly_quota": None,
    "failure_rate": 0.0,
    "expire_seconds": 3600.0,
    "cache_seconds": 0.0,
    "latency_minutes": 10,
    "now_offset": timedelta(0),
}


def rt_config(**overrides: Any) -> SimulatorConfig:
    """Two advertisers (EUR Paris, JPY Tokyo), small enough for fast tests."""
    base: dict[str, Any] = {
        "seed": 11,
        "advertisers": 2,
        "campaigns": 3,
        "sellers": 40,
        "today": SIM_TODAY,
    }
    return SimulatorConfig(**{**base, **overrides})


def fast_client(sim: RunningSimulator, **kwargs: Any) -> RealtimeClient:
    """A real-time client polling every 50 ms (the simulator's jobs take ~150 ms)."""
    options: dict[str, Any] = {
        "poll_interval": 0.05,
        "max_poll_interval": 0.1,
        "job_timeout": 10.0,
        "max_calls_per_minute": 10_000,
        **kwargs,
    }
    return RealtimeClient(sim.url, sim.config.client_id, sim.config.client_secret, **options)


def request(**kwargs: Any) -> RealtimeReportRequest:
    base: dict[str, Any] = {"advertiser_ids": ADVERTISERS, "lookback_minutes": 120}
    return RealtimeReportRequest(**{**base, **kwargs})


KEY = ("advertiserId", "campaignId", "sellerId", "sellerName", "day", "hour", "minute")


def minute_rows(table: pa.Table) -> list[tuple]:
    """Sorted (keys..., clicks, displays, cost in hundredths: cents, or yen x 100) of a client
    table or a truth table."""
    out = []
    for r in table.to_pylist():
        day = r["day"] if isinstance(r["day"], str) else r["day"].isoformat()
        keys = (r["advertiserId"], r["campaignId"], r["sellerId"], r["sellerName"], day)
        out.append(
            (*keys, r["hour"], r["minute"], r["clicks"], r["displays"], round(r["cost"] * 100))
        )
    return sorted(out)


def rt_resources(sim: RunningSimulator, lake_dir: Path) -> dict:
    """Dagster resources (``mpo_api``, ``lake``) pointing at ``sim`` and ``lake_dir``."""
    cfg = sim.config
    return {
        "mpo_api": MpoApiResource(
            base_url=sim.url,
            api_version="2026-07",
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            max_calls_per_minute=10_000,
        ),
        "lake": LakeResource(lake_dir=str(lake_dir), time_zone="UTC"),
    }


def export_run_config(**overrides: Any) -> dg.RunConfig:
    """Run config of the export asset with fast polling."""
    fields: dict[str, Any] = {"poll_interval_seconds": 0.05, "max_poll_interval_seconds": 0.1}
    return dg.RunConfig(ops={EXPORT_OP: RealtimeExportConfig(**{**fields, **overrides})})


def tick(rt: RealtimeService, monkeypatch: pytest.MonkeyPatch, minutes: int) -> datetime:
    """Move the simulator's real-time now and the pipeline's clock (MPO_NOW) on together."""
    rt.configure(now_offset=rt.config.now_offset + timedelta(minutes=minutes))
    monkeypatch.setenv("MPO_NOW", rt.now().isoformat())
    return rt.now()
