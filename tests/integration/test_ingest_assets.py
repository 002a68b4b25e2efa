"""The stats and metadata assets against the simulator on loopback, compared with its truth."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from ingest_helpers import (
    assert_lake_equals_truth,
    canonical,
    read_day,
    resources_for,
    small_config,
)

from mpo_pipeline.defs.ingest.checks import stats_checks
from mpo_pipeline.defs.ingest.metadata_assets import metadata_asset_key, mpo_metadata
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS
from mpo_pipeline.defs.resources import LakeResource
from mpo_pipeline.ingest.extract import days_between
from mpo_pipeline.ingest.lake import ENDPOINTS, stats_path
from mpo_pipeline.simulator import running_simulator

START, END = date(2026, 1, 20), date(2026, 2, 16)  # four weeks across a month end


def materialize(server, lake_dir: Path, start: date, end: date, **api) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*STATS_ASSETS, mpo_metadata, stats_checks],
        resources=resources_for(server, lake_dir, **api),
        tags=range_tags(start.isoformat(), end.isoformat()),
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def loaded(sim, tmp_path_factory) -> tuple[Path, dg.ExecuteInProcessResult, int]:
    lake_dir = tmp_path_factory.mktemp("lake")
    before = len(sim.request_log)
    result = materialize(sim, lake_dir, START, END)
    return lake_dir, result, len(sim.request_log) - before


def test_range_lands_exactly_the_truth(sim, loaded):
    lake_dir, result, _ = loaded
    assert result.success
    assert assert_lake_equals_truth(sim, lake_dir, START, END) > 1000


def test_lake_money_is_the_exact_world_within_the_apis_rounding(sim, loaded):
    """Each landed amount is the exact world's value rounded once, by the API, on its row.

    Against ``exact_stats`` (the simulator's unrounded world), not what was served: a cost may be
    off by half a unit of the 6th decimal (or of its last digit when the API wrote more), never
    more; revenue is exact. A pipeline that rounded again (to 4 decimals, or through a float)
    would fail here on some row.
    """
    lake_dir, _, _ = loaded
    truth = sim.truth
    compared = 0
    worst = Decimal(0)
    for endpoint in ENDPOINTS:
        for adv in (a["id"] for a in truth.advertisers()):
            exact = truth.exact_stats(endpoint, "AnySeller", adv, START, END, time_zone="UTC")
            keys = [c for c in ("campaignId", "sellerId") if c in exact.column_names]
            by_key = {(row["day"], *(row[k] for k in keys)): row for row in exact.to_pylist()}
            for day in days_between(START, END):
                for row in read_day(lake_dir, endpoint, "AnySeller", day, adv).to_pylist():
                    want = by_key[(row["day"], *(row[k] for k in keys))]
                    error = abs(row["cost"] - want["cost"])
                    digits = -row["cost"].normalize().as_tuple().exponent
                    bound = Decimal("0.5").scaleb(-max(6, digits))
                    if digits >= 9:  # the lake keeps 9 decimals: a tinier digit was rounded
                        bound += Decimal("0.5E-9")
                    assert error <= bound, (row, want)
                    assert row["revenue"] == want["revenue"], (row, want)
                    worst = max(worst, error)
                    compared += 1
    assert compared > 1000
    assert worst > 0, "the API rounded nothing: the test would not see a second rounding"


def test_one_file_per_day_and_advertiser_with_lineage(sim, loaded):
    lake_dir, _, _ = loaded
    advertisers = sim.truth.advertisers()
    for adv in advertisers:
        for day in (START, END):
            table = pq.read_table(stats_path(lake_dir, "sellers", "AnySeller", day, adv["id"]))
            assert set(table.column("currency").to_pylist()) <= {adv["currencyName"]}
            assert set(table.column("time_zone").to_pylist()) <= {"UTC"}
            assert set(table.column("api_version").to_pylist()) <= {"2026-07"}
    n_files = len(list((lake_dir / "stats").rglob("*.parquet")))
    assert n_files == 6 * len(advertisers) * ((END - START).days + 1)
    assert not list(lake_dir.rglob("*.tmp"))


def test_metadata_snapshots_land(sim, loaded):
    lake_dir, _, _ = loaded
    for entity in ("advertisers", "campaigns", "sellers", "seller_campaigns", "budgets"):
        files = list((lake_dir / "metadata" / f"entity={entity}").glob("*/part.parquet"))
        assert len(files) == 1, entity
    sellers = pq.read_table(
        files[0].parents[2] / "entity=sellers" / files[0].parent.name / "part.parquet"
    )
    expected = sum(len(sim.truth.sellers(a["id"])) for a in sim.truth.advertisers())
    assert sellers.num_rows == expected


def test_checks_pass_on_good_data(loaded):
    _, result, _ = loaded
    evaluations = result.get_asset_check_evaluations()
    assert evaluations, "no asset check ran"
    failed = [(e.asset_key, e.check_name) for e in evaluations if not e.passed]
    assert failed == []


def test_call_budget(sim, tmp_path):
    """A 90-day range of this small account takes at most three requests per endpoint and
    advertiser, where fixed 31-day windows took six: the first policy's stream starts with one
    day then takes the rest at once, the second is sized from the days the first landed."""
    start = date(2025, 10, 1)
    end = start + timedelta(days=89)
    before = [p for (_, p, _) in sim.request_log]
    result = materialize(sim, tmp_path, start, end)
    assert result.success
    paths = [p for (_, p, _) in sim.request_log][len(before) :]
    stats_calls = sum("/stats/" in p for p in paths)
    n_adv = len(sim.truth.advertisers())
    assert stats_calls <= 3 * n_adv * 3 < 3 * 2 * n_adv * math.ceil(90 / 31)
    assert_lake_equals_truth(sim, tmp_path, start, end)


def test_rerun_is_idempotent_and_restated_days_replaced(tmp_path):
    with running_simulator(small_config(today=date(2026, 2, 20))) as server:
        start, end = date(2026, 2, 10), date(2026, 2, 19)
        adv = server.truth.advertisers()[0]["id"]
        assert materialize(server, tmp_path, start, end).success
        first = read_day(tmp_path, "seller_campaigns", "AnySeller", end, adv)
        assert materialize(server, tmp_path, start, end).success
        again = read_day(tmp_path, "seller_campaigns", "AnySeller", end, adv)
        assert canonical(first) == canonical(again)
        # Ten days later the recent days have restated: a re-load replaces them exactly.
        server.set_today(date(2026, 3, 2))
        assert materialize(server, tmp_path, start, end).success
        restated = read_day(tmp_path, "seller_campaigns", "AnySeller", end, adv)
        assert canonical(restated) != canonical(first)
        assert_lake_equals_truth(server, tmp_path, start, end)


def test_crash_mid_write_leaves_complete_files_and_rerun_completes(tmp_path, monkeypatch):
    from mpo_pipeline.ingest import extract

    with running_simulator(small_config(today=date(2026, 2, 20))) as server:
        start, end = date(2026, 2, 1), date(2026, 2, 14)
        written = []
        real = extract.lake.write_parquet_atomic

        def crash_after_five(table, path):
            if "stats" in path.parts:
                if len(written) == 5:
                    raise RuntimeError("injected crash")
                written.append(path)
            return real(table, path)

        monkeypatch.setattr(extract.lake, "write_parquet_atomic", crash_after_five)
        assert not materialize(server, tmp_path, start, end).success
        files = list((tmp_path / "stats").rglob("*.parquet"))
        assert sorted(files) == sorted(written)
        for f in files:
            pq.read_table(f)  # every visible file is complete
        assert not list(tmp_path.rglob("*.tmp"))
        monkeypatch.setattr(extract.lake, "write_parquet_atomic", real)
        assert materialize(server, tmp_path, start, end).success
        assert_lake_equals_truth(server, tmp_path, start, end)


def test_faults_still_exact(tmp_path):
    cfg = small_config(
        today=date(2026, 2, 20), error_rate=0.2, rate_limit=120, token_ttl=5, fault_seed=3
    )
    with running_simulator(cfg) as server:
        start, end = date(2026, 1, 25), date(2026, 2, 10)
        result = materialize(server, tmp_path, start, end)
        assert result.success
        assert_lake_equals_truth(server, tmp_path, start, end)
        statuses = [s for (_, _, s) in server.request_log]
        assert any(s >= 500 for s in statuses), "the fault mode injected no error"


def test_metadata_snapshot_is_dated_by_the_pipelines_clock(sim, tmp_path, monkeypatch):
    """The snapshot's day is the pipeline's today (MPO_TODAY, a day in MPO_TIME_ZONE), never the
    machine's UTC date: the warehouse dates each day's advertiser currency by it."""
    monkeypatch.setenv("MPO_TODAY", "2026-02-17")
    resources = resources_for(sim, tmp_path)
    resources["lake"] = LakeResource(lake_dir=str(tmp_path), time_zone="Asia/Tokyo")
    assert dg.materialize([mpo_metadata], resources=resources).success
    dates = {p.name for p in (tmp_path / "metadata" / "entity=advertisers").iterdir()}
    assert dates == {"snapshot_date=2026-02-17"}


def test_a_selection_of_metadata_snapshots_only_what_it_selects(sim, tmp_path):
    """The UI's "Materialize" of the daily facts and their upstream selects one metadata entity
    (the advertisers, whose currency dates each day): that must run, write that snapshot alone,
    and ask the API nothing about sellers, campaigns or budgets."""
    before = len(sim.request_log)
    result = dg.materialize(
        [mpo_metadata],
        resources=resources_for(sim, tmp_path),
        selection=[metadata_asset_key("advertisers")],
    )
    assert result.success
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {
        metadata_asset_key("advertisers")
    }
    assert sorted(p.name for p in (tmp_path / "metadata").iterdir()) == ["entity=advertisers"]
    (snapshot,) = (tmp_path / "metadata" / "entity=advertisers").glob("*/part.parquet")
    ids = sorted(int(i) for i in pq.read_table(snapshot).column("id").to_pylist())
    assert ids == sorted(int(a["id"]) for a in sim.truth.advertisers())
    paths = [p for (_, p, _) in sim.request_log][before:]
    assert paths and not [p for p in paths if any(w in p for w in ("seller", "campaign", "budget"))]
