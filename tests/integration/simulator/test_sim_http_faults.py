"""Faults on demand over loopback: expiry, 429, 5xx, latency, dropped connections, replay."""

from __future__ import annotations

import time
from datetime import date

import httpx
import pytest
from sim_http_helpers import TODAY, get_token

from mpo_pipeline.simulator import SimulatorConfig, running_simulator

pytestmark = pytest.mark.integration

STATS = "/stats/seller-campaigns"
PARAMS = {"advertiserId": 41111, "startDate": "2026-11-01", "endDate": "2026-11-10"}


def _client(sim) -> httpx.Client:
    headers = {"Authorization": f"Bearer {get_token(sim)}"}
    return httpx.Client(base_url=sim.api_url(), headers=headers, timeout=30)


def _envelope(response: httpx.Response) -> dict:
    (problem,) = response.json()["errors"]
    return problem


def test_token_expiry_gives_401():
    with running_simulator(SimulatorConfig(today=TODAY, token_ttl=1)) as sim, _client(sim) as c:
        assert c.get("/advertisers").status_code == 200
        # Wait for the event (the token's expiry), not for a guessed duration: bounded polling.
        deadline = time.monotonic() + 30
        response = c.get("/advertisers")
        while response.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
            response = c.get("/advertisers")
        assert response.status_code == 401
        assert _envelope(response)["type"] == "authentication"
        assert _envelope(response)["code"] == "token-expired"


def test_rate_limit_gives_429_with_reset():
    with running_simulator(SimulatorConfig(today=TODAY, rate_limit=3)) as sim, _client(sim) as c:
        ok = [c.get("/advertisers") for _ in range(3)]
        assert [r.status_code for r in ok] == [200, 200, 200]
        assert [r.headers["x-ratelimit-remaining"] for r in ok] == ["2", "1", "0"]
        refused = c.get(STATS, params=PARAMS)
        assert refused.status_code == 429
        assert _envelope(refused)["type"] == "quota"
        assert refused.headers["x-ratelimit-limit"] == "3"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        reset = int(refused.headers["x-ratelimit-reset"])
        assert time.time() < reset <= time.time() + 61
        assert "retry-after" not in refused.headers
        assert sim.request_log.count(status=429) == 1


def test_error_rate_uses_the_envelope():
    cfg = SimulatorConfig(today=TODAY, error_rate=1.0, fault_seed=3)
    with running_simulator(cfg) as sim, _client(sim) as c:
        responses = [c.get(STATS, params=PARAMS) for _ in range(12)]
        assert {r.status_code for r in responses} == {500, 503}
        for r in responses:
            kind = _envelope(r)["type"]
            assert kind == ("unknown" if r.status_code == 500 else "availability")
            assert "x-ratelimit-limit" in r.headers


def test_dropped_connection_raises_a_transport_error():
    with running_simulator(SimulatorConfig(today=TODAY, drop_rate=1.0)) as sim, _client(sim) as c:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.get(STATS, params=PARAMS)
        with (
            pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
            c.stream("GET", "/advertisers") as response,
        ):
            assert response.status_code == 200  # headers arrive, the body never completes
            response.read()
        assert sim.request_log.count(status=0) == 2
        assert sim.request_log.count(path_contains="/oauth2/token", status=200) == 1


def test_latency():
    with running_simulator(SimulatorConfig(today=TODAY, latency_ms=250)) as sim, _client(sim) as c:
        started = time.perf_counter()
        assert c.get("/advertisers").status_code == 200
        assert time.perf_counter() - started >= 0.25


def test_faults_replay_for_a_fault_seed():
    def statuses(seed: int) -> list[int | str]:
        cfg = SimulatorConfig(today=TODAY, error_rate=0.4, drop_rate=0.2, fault_seed=seed)
        out: list[int | str] = []
        with running_simulator(cfg) as sim, _client(sim) as c:
            for _ in range(20):
                try:
                    out.append(c.get("/advertisers").status_code)
                except httpx.TransportError:
                    out.append("dropped")
        return out

    first = statuses(11)
    assert first == statuses(11)
    assert {200, "dropped"} <= set(first) and set(first) & {500, 503}
    assert first != statuses(12)


def test_set_today_before_the_data_start_still_serves():
    with running_simulator(SimulatorConfig(today=date(2024, 7, 5))) as sim, _client(sim) as c:
        body = c.get("/stats/campaigns", params={"startDate": "2024-06-01"}).json()
        assert body["rows"] == len(body["data"]) > 0
        assert min(r[1] for r in body["data"]) >= "2024-06-30"
