"""The CLI: arguments, start-up banner, a served request, clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest

from mpo_pipeline.simulator.cli import build_parser, config_from_args

pytestmark = pytest.mark.integration


def test_parser_defaults_and_options():
    args = build_parser().parse_args([])
    cfg = config_from_args(args)
    assert args.port == 8765 and args.host == "127.0.0.1"
    assert (cfg.seed, cfg.advertisers, cfg.campaigns, cfg.sellers) == (42, 2, 5, 300)
    args = build_parser().parse_args(
        [
            "--port",
            "0",
            "--seed",
            "3",
            "--advertisers",
            "3",
            "--campaigns",
            "4",
            "--sellers",
            "50",
            "--rate-limit",
            "10",
            "--error-rate",
            "0.1",
            "--drop-rate",
            "0.05",
            "--latency-ms",
            "5",
            "--token-ttl",
            "60",
            "--today",
            "2026-01-31",
            "--client-id",
            "a",
            "--client-secret",
            "b",
        ]
    )
    cfg = config_from_args(args)
    assert cfg.today == date(2026, 1, 31) and cfg.rate_limit == 10 and cfg.client_secret == "b"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--error-rate", "2"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_module_entry_serves_and_stops_cleanly(tmp_path: Path, sig: signal.Signals):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mpo_pipeline.simulator",
            "--port",
            "0",
            "--today",
            "2026-11-20",
            "--sellers",
            "20",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("MPO API simulator listening on http://127.0.0.1:")
        url = first.split(" on ")[1].strip()
        banner = "".join(proc.stdout.readline() for _ in range(6))
        assert "client_id=mpo-demo-client" in banner and "client_secret=mpo-demo-secret" in banner
        for _ in range(200):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
        else:
            pytest.fail("the simulator never answered /health")
        token = httpx.post(
            url + "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "mpo-demo-client",
                "client_secret": "mpo-demo-secret",
            },
        ).json()["access_token"]
        r = httpx.get(
            url + "/2026-07/marketing-solutions/marketplace-performance-outcomes/advertisers",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200 and len(r.json()) == 2
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert list(tmp_path.iterdir()) == []  # writes nothing to disk
