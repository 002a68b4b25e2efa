"""Windows sized by rows land exactly what fixed 31-day windows land, over loopback.

The same range of every stream is extracted twice through ``extract.load_stats`` (the code the
stats assets run): once with windows sized by a small row budget (so that every stream is cut
differently: many windows for seller-campaigns, one or two for campaigns), once with today's
fixed 31-day windows. The lakes must hold the same files with the same rows (lineage aside), and
both the simulator's ground truth. Bodies are decoded as they stream in, cut every 2 KB here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
from ingest_helpers import API_VERSION, LINEAGE, POLICIES, assert_lake_equals_truth

from mpo_pipeline.client import MpoClient, parsing
from mpo_pipeline.ingest.extract import load_stats, resolve_advertisers
from mpo_pipeline.ingest.lake import ENDPOINTS

START, END = date(2025, 12, 1), date(2026, 2, 6)  # 68 days, across a year end
BUDGET = 600


def extract(server, lake_dir: Path, **sizing) -> dict:
    cfg = server.config
    with MpoClient(
        server.url,
        API_VERSION,
        cfg.client_id,
        cfg.client_secret,
        max_calls_per_minute=10_000,
        **sizing,
    ) as client:
        advertisers = resolve_advertisers(client)
        per_stream = {}
        for endpoint in ENDPOINTS:
            for policy in POLICIES:
                report = load_stats(
                    client,
                    lake_dir,
                    endpoint,
                    policy,
                    advertisers,
                    START,
                    END,
                    time_zone="UTC",
                    api_version=API_VERSION,
                )
                per_stream[(endpoint, policy)] = report.windows
        return {**client.metrics.snapshot(), "per_stream": per_stream}


def test_sized_and_fixed_windows_land_identical_lakes(sim, tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "CHUNK_BYTES", 2_048)  # every body is decoded in many cuts
    sized = extract(sim, tmp_path / "sized", max_rows_per_request=BUDGET)
    fixed = extract(sim, tmp_path / "fixed", request_window_days=31, max_rows_per_request=None)

    files = sorted(
        p.relative_to(tmp_path / "fixed") for p in (tmp_path / "fixed").rglob("*.parquet")
    )
    assert files == sorted(
        p.relative_to(tmp_path / "sized") for p in (tmp_path / "sized").rglob("*.parquet")
    )
    assert len(files) == 6 * len(sim.truth.advertisers()) * ((END - START).days + 1)
    for name in files:
        a, b = (
            pq.read_table(root / name).drop_columns(list(LINEAGE))
            for root in (tmp_path / "sized", tmp_path / "fixed")
        )
        assert a.equals(b), name
    assert assert_lake_equals_truth(sim, tmp_path / "sized", START, END) > 10_000

    # The windows differ as they should: the small streams in one or two requests instead of
    # three, seller-campaigns in more, shorter windows sized to the budget.
    n_adv = len(sim.truth.advertisers())
    assert set(fixed["per_stream"].values()) == {3 * n_adv}
    assert all(sized["per_stream"][("campaigns", p)] <= 2 * n_adv for p in POLICIES)
    assert sized["per_stream"][("seller_campaigns", "SameSeller")] > 3 * n_adv
    assert sized["max_window_rows"] <= BUDGET < fixed["max_window_rows"]
    assert sized["stats_rows"] == fixed["stats_rows"]
