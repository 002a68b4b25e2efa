"""Shared helpers of the simulator's HTTP tests (a uniquely named module, not a package)."""

from __future__ import annotations

from datetime import date

import httpx

from mpo_pipeline.simulator import RunningSimulator

TODAY = date(2026, 11, 20)


def get_token(sim: RunningSimulator) -> str:
    """A fresh access token from the simulator's token endpoint."""
    response = httpx.post(
        sim.url + "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sim.config.client_id,
            "client_secret": sim.config.client_secret,
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]
