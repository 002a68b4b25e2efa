"""Benchmark of the MPO API simulator over loopback.

Run: ``.venv/bin/python benchmarks/bench_simulator.py``. Starts the simulator with one advertiser,
40 campaigns and 1,400 sellers (about 20,000 seller-campaigns active on a given day), then times:
a 31-day ``Day`` window of ``stats/seller-campaigns``, 1-year ``Month`` requests, and a 1-year
``Day`` request of ``stats/campaigns``. Wall times include generation, JSON encoding and transfer.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import httpx

from mpo_pipeline.simulator import SimulatorConfig, running_simulator

TODAY = date(2026, 11, 20)
CONFIG = SimulatorConfig(seed=42, advertisers=1, campaigns=40, sellers=1_400, today=TODAY)


def _token(url: str) -> str:
    data = {
        "grant_type": "client_credentials",
        "client_id": CONFIG.client_id,
        "client_secret": CONFIG.client_secret,
    }
    return httpx.post(url + "/oauth2/token", data=data).json()["access_token"]


def main() -> None:
    end = TODAY - timedelta(days=1)
    window_start = end - timedelta(days=30)
    year_start = end.replace(year=end.year - 1) + timedelta(days=1)
    with running_simulator(CONFIG) as sim:
        adv = sim.truth.advertisers()[0]["id"]
        active = [
            sim.truth.active_seller_campaigns(adv, window_start + timedelta(days=i))
            for i in range(31)
        ]
        n_sc = len(sim.truth.seller_campaigns(adv))
        delivering = [a for a in active if a]
        print(
            f"simulator: 1 advertiser x {CONFIG.campaigns} campaigns x {CONFIG.sellers:,} sellers"
            f" = {n_sc:,} seller-campaigns; active per day in the 31-day window:"
            f" {min(delivering):,}..{max(delivering):,}"
            f" ({len(active) - len(delivering)} outage day(s) with none)"
        )
        cases = [
            ("seller-campaigns, Day, 31 days", "seller-campaigns", "Day", window_start),
            ("seller-campaigns, Month, 1 year", "seller-campaigns", "Month", year_start),
            ("campaigns, Month, 1 year", "campaigns", "Month", year_start),
            ("campaigns, Day, 1 year", "campaigns", "Day", year_start),
        ]
        headers = {"Authorization": f"Bearer {_token(sim.url)}"}
        with httpx.Client(base_url=sim.api_url(), headers=headers, timeout=300) as client:
            print(f"{'request':36} {'run':>5} {'seconds':>8} {'rows':>9} {'bytes':>12}")
            for label, endpoint, interval, start in cases:
                params = {
                    "advertiserId": adv,
                    "startDate": start.isoformat(),
                    "endDate": end.isoformat(),
                    "intervalSize": interval,
                    "clickAttributionPolicy": "AnySeller",
                }
                for run in ("cold", "warm"):
                    started = time.perf_counter()
                    response = client.get(f"/stats/{endpoint}", params=params)
                    elapsed = time.perf_counter() - started
                    response.raise_for_status()
                    rows = response.json()["rows"]
                    print(
                        f"{label:36} {run:>5} {elapsed:8.2f} {rows:9,} {len(response.content):12,}"
                    )


if __name__ == "__main__":
    main()
