"""Month close end to end against the simulator and its clock (one scenario, many assertions).

The marketplace closes its books in Paris days (MPO_TIME_ZONE=Europe/Paris), so October ends with
the 25-hour day of 2026-10-25 and every truth is computed in Paris days. Load October and early
November at clock 1, close October, move the clock so that late October restates, re-load the
lookback window: the snapshot must not move, the adjustments must equal the restatement computed
from the simulator's ground truth, re-closing needs a reopen, an incomplete month is refused, and
a damaged day file blocks the close through the reconciliation check.
"""

from __future__ import annotations

import csv
import io
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from fin_scenario_helpers import (
    AROUND_DST_END,
    CLOCK_1,
    CLOCK_2,
    CONFIG,
    DST_END,
    FACT_MEASURES,
    MEASURES,
    OCTOBER,
    ZONE,
    bump_clicks,
    dbt_full_refresh,
    expected_adjustments,
    fee_rates,
    local_day_in_utc,
    move_clock,
    point_at,
    query,
    rebuild_seller_facts,
    reload_and_rebuild,
    truth_seller_days,
    truth_statement,
    utc_hour_counts,
)
from rich.console import Console

from mpo_pipeline import cli
from mpo_pipeline.cli.finance import close_month
from mpo_pipeline.defs import resources as defs_resources
from mpo_pipeline.defs.finance.month_close import month_close
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS
from mpo_pipeline.defs.resources import build_resources
from mpo_pipeline.ingest.lake import ENDPOINTS, stats_path
from mpo_pipeline.runs.runner import run_job
from mpo_pipeline.simulator import GroundTruth, running_simulator

pytestmark = pytest.mark.timeout(1500)  # one module-wide scenario: several Dagster + dbt runs
SNAPSHOT = (
    "select * from finance.month_close_statements where close_id = ? "
    "order by advertiser_id, seller_id"
)
CLOSES = "select * from finance.month_closes order by close_id"
ADJUSTMENTS = (
    "select * from marts.fct_post_close_adjustments order by month, advertiser_id, seller_id"
)
TAMPERED_DAY = date(2026, 10, 15)
FACTS_AROUND_DST_END = (
    f"select report_date, advertiser_id, seller_id, {', '.join(FACT_MEASURES)}, time_zone "
    "from marts.fct_seller_stats_daily where report_date between ? and ?"
)


@dataclass
class Step:
    """What one close attempt returned and printed."""

    rc: int
    output: str


@dataclass
class Outcome:
    """Everything the scenario observed, for the tests below to judge."""

    root: Path
    truth: GroundTruth | None = None  # pure Python: usable after the simulator stopped
    rates: dict[str, Decimal] = field(default_factory=dict)
    advertisers: list[int] = field(default_factory=list)
    load_ok: bool = False
    lake_around_dst_end: dict[tuple, list[dict]] = field(default_factory=dict)
    facts_around_dst_end: list[dict] = field(default_factory=list)
    first: Step | None = None
    closes_after_first: list[dict] = field(default_factory=list)
    snapshot_before: list[dict] = field(default_factory=list)
    reconciliation: list[dict] = field(default_factory=list)
    adjustments_after_first: list[dict] = field(default_factory=list)
    truth_1: dict = field(default_factory=dict)
    reload_ok: bool = False
    reload_errors: list[str] = field(default_factory=list)
    snapshot_after_reload: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)
    truth_2: dict = field(default_factory=dict)
    reclose: Step | None = None
    asset_reclose_error: str = ""
    november: Step | None = None
    september: Step | None = None
    asset_september_error: str = ""
    reopen: Step | None = None
    closes_after_reopen: list[dict] = field(default_factory=list)
    snapshot_1_after_reopen: list[dict] = field(default_factory=list)
    snapshot_2: list[dict] = field(default_factory=list)
    current_statement: list[dict] = field(default_factory=list)
    adjustments_after_reopen: list[dict] = field(default_factory=list)
    export_rc: int = -1
    export_rows: list[dict] = field(default_factory=list)
    full_refresh_rc: int = -1
    full_refresh_output: str = ""
    closes_after_full_refresh: list[dict] = field(default_factory=list)
    snapshots_after_full_refresh: list[dict] = field(default_factory=list)
    blocked: Step | None = None
    closes_after_block: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def lap(self, step: str) -> None:
        """Record the wall time since the previous lap (shown with pytest -s)."""
        now = time.monotonic()
        self.seconds[step] = round(now - self._last, 1)
        self._last = now

    _last: float = field(default_factory=time.monotonic)


def _close(month: date, **kwargs) -> Step:
    console = Console(file=io.StringIO(), width=250)
    rc = close_month(month, console, **kwargs)
    return Step(rc, console.file.getvalue())


def _asset_failure(partition: str, resources: dict) -> str:
    result = dg.materialize(
        [month_close], partition_key=partition, resources=resources, raise_on_error=False
    )
    assert not result.success
    return result.get_step_failure_events()[0].step_failure_data.error.message


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Outcome:
    root = tmp_path_factory.mktemp("finance")
    out = Outcome(root=root)
    with (
        ExitStack() as cleanup,
        pytest.MonkeyPatch.context() as mp,
        running_simulator(CONFIG) as sim,
    ):
        # Settings cached from this environment must not outlive it (next file, same worker).
        cleanup.callback(defs_resources.settings.cache_clear)
        settings = point_at(mp, sim, root)
        warehouse = settings.warehouse.resolve()
        out.truth = sim.truth
        out.advertisers = [a["id"] for a in sim.truth.advertisers()]
        out.rates = rates = fee_rates(settings.seller_directory)

        # Clock 1: load October and November 1st through the real `load` job, close October.
        out.load_ok = run_job("load", tags=range_tags("2026-10-01", "2026-11-01")).success
        out.lap("load")
        for day in AROUND_DST_END:  # read now: the reload at clock 2 rewrites these days
            for endpoint in ENDPOINTS:
                for policy in ("SameSeller", "AnySeller"):
                    for adv in out.advertisers:
                        path = stats_path(settings.lake_dir, endpoint, policy, day, adv)
                        rows = pq.read_table(path).to_pylist() if path.exists() else []
                        out.lake_around_dst_end[(endpoint, policy, adv, day)] = rows
        out.facts_around_dst_end = query(
            warehouse, FACTS_AROUND_DST_END, [AROUND_DST_END[0], AROUND_DST_END[-1]]
        )
        out.first = _close(OCTOBER, closed_by="ana")
        out.lap("first close")
        out.closes_after_first = query(warehouse, CLOSES)
        close_1 = out.closes_after_first[0]["close_id"] if out.closes_after_first else -1
        out.snapshot_before = query(warehouse, SNAPSHOT, [close_1])
        out.reconciliation = query(
            warehouse, "select * from marts.rpt_monthly_reconciliation where month = ?", [OCTOBER]
        )
        out.adjustments_after_first = query(warehouse, ADJUSTMENTS)
        out.truth_1 = truth_statement(sim.truth, OCTOBER, CLOCK_1, rates, time_zone=ZONE)

        # Clock 2: late October restates; the daily refresh re-loads its lookback window.
        move_clock(mp, sim, CLOCK_2)
        runs = reload_and_rebuild(date(2026, 10, 12), date(2026, 11, 11))
        out.reload_ok = len(runs) == 2 and all(run.success for run in runs)
        out.reload_errors = [
            e.step_failure_data.error.message for run in runs for e in run.get_step_failure_events()
        ]
        out.lap("reload")
        out.snapshot_after_reload = query(warehouse, SNAPSHOT, [close_1])
        out.adjustments = query(warehouse, ADJUSTMENTS)
        out.truth_2 = truth_statement(sim.truth, OCTOBER, CLOCK_2, rates, time_zone=ZONE)

        # Refusals: a closed month without reopen, a month not over, a month not loaded.
        resources = build_resources(settings)
        out.reclose = _close(OCTOBER)
        out.asset_reclose_error = _asset_failure("2026-10-01", resources)
        out.november = _close(date(2026, 11, 1))
        dg.materialize(
            STATS_ASSETS, resources=resources, tags=range_tags("2026-09-29", "2026-09-30")
        )
        out.september = _close(date(2026, 9, 1))
        out.asset_september_error = _asset_failure("2026-09-01", resources)

        out.lap("refusals")
        # Reopen with a reason: a second close with the restated figures.
        out.reopen = _close(OCTOBER, reopen=True, reason="late October sales restated")
        out.lap("reopen")
        out.closes_after_reopen = query(warehouse, CLOSES)
        close_2 = out.closes_after_reopen[-1]["close_id"]
        out.snapshot_1_after_reopen = query(warehouse, SNAPSHOT, [close_1])
        out.snapshot_2 = query(warehouse, SNAPSHOT, [close_2])
        out.current_statement = query(
            warehouse,
            "select * from marts.fct_seller_monthly_statement where month = ? "
            "order by advertiser_id, seller_id",
            [OCTOBER],
        )
        out.adjustments_after_reopen = query(warehouse, ADJUSTMENTS)
        export = root / "october.csv"
        out.export_rc = cli.main(["export-statement", "--month", "2026-10", "--out", str(export)])
        if export.exists():
            with open(export, newline="", encoding="utf-8-sig") as handle:
                out.export_rows = list(csv.DictReader(handle))

        # A full refresh of every dbt model must leave the close tables exactly as they were.
        refresh = dbt_full_refresh()
        out.full_refresh_rc = refresh.returncode
        out.full_refresh_output = (refresh.stdout + refresh.stderr)[-3000:]
        out.closes_after_full_refresh = query(warehouse, CLOSES)
        out.snapshots_after_full_refresh = query(
            warehouse,
            "select * from finance.month_close_statements order by close_id, advertiser_id, "
            "seller_id",
        )
        out.lap("full refresh")

        # A damaged day file: the reconciliation check fails and blocks the close.
        bump_clicks(settings.lake_dir, "sellers", "AnySeller", TAMPERED_DAY, out.advertisers[0])
        rebuild_seller_facts(TAMPERED_DAY)
        out.lap("tamper")
        out.blocked = _close(OCTOBER, reopen=True, reason="must not happen")
        out.lap("blocked close")
        out.closes_after_block = query(warehouse, CLOSES)
    print(f"finance scenario timings (s): {out.seconds}")
    return out


def test_first_close_reconciles_and_freezes_october(scenario):
    assert scenario.load_ok
    assert scenario.first.rc == 0, scenario.first.output
    assert "2026-10 closed: close_id 1" in scenario.first.output
    currencies = {r["currency"] for r in scenario.snapshot_before}
    assert currencies == {"EUR", "JPY"}  # the simulator's default: cents and whole yen
    assert all(c in scenario.first.output for c in currencies)
    recon = scenario.reconciliation
    assert len(recon) == len(scenario.advertisers) * 3 * 2  # advertisers × endpoints × policies
    assert all(r["is_reconciled"] for r in recon)
    assert all(r["clicks_diff"] == 0 and r["revenue_diff"] == 0 for r in recon)
    [close] = scenario.closes_after_first
    assert (close["month"], close["closed_by"], close["is_reopen"]) == (OCTOBER, "ana", False)
    assert close["run_id"] and close["statement_rows"] == len(scenario.snapshot_before) > 20
    assert scenario.adjustments_after_first == []


def test_snapshot_matches_the_truth_at_close(scenario):
    got = {(r["advertiser_id"], r["seller_id"]): r for r in scenario.snapshot_before}
    assert got.keys() == scenario.truth_1.keys()
    for key, truth in scenario.truth_1.items():
        assert {m: got[key][m] for m in MEASURES} == truth, key


def _nonzero(counts: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    return {seller: c for seller, c in counts.items() if c != (0, 0)}


def test_the_zone_matters_around_the_dst_end(scenario):
    # Guards the tests below: a pipeline asking for UTC days would fail them.
    truth = scenario.truth
    start, end = local_day_in_utc(DST_END, ZONE)
    assert end - start == timedelta(hours=25)
    for adv in scenario.advertisers:
        paris = truth_seller_days(truth, adv, AROUND_DST_END, CLOCK_1, ZONE)
        utc = truth_seller_days(truth, adv, AROUND_DST_END, CLOCK_1, "UTC")
        for day in AROUND_DST_END:
            paris_day = [m["impressions"] for (d, _), m in paris.items() if d == day]
            utc_day = [m["impressions"] for (d, _), m in utc.items() if d == day]
            assert sum(paris_day) != sum(utc_day), (adv, day)
        # Paris's 2026-10-25 is 25 UTC hours of traffic, and its 25th hour is not empty.
        day_25h = {
            s: (m["impressions"], m["clicks"]) for (d, s), m in paris.items() if d == DST_END
        }
        assert _nonzero(day_25h) == _nonzero(utc_hour_counts(truth, adv, start, end, CLOCK_1))
        first_24 = utc_hour_counts(truth, adv, start, end - timedelta(hours=1), CLOCK_1)
        assert sum(i for i, _ in first_24.values()) < sum(i for i, _ in day_25h.values())
    october_in_utc = truth_statement(truth, OCTOBER, CLOCK_1, scenario.rates, time_zone="UTC")
    assert october_in_utc != scenario.truth_1


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def test_lake_around_the_dst_end_holds_the_paris_days(scenario):
    assert scenario.load_ok
    compared = 0
    for (endpoint, policy, adv, day), rows in scenario.lake_around_dst_end.items():
        truth = scenario.truth.stats(endpoint, policy, adv, day, day, time_zone=ZONE, today=CLOCK_1)
        got = [{c: r[c] for c in truth.column_names} for r in rows]
        assert _sorted(got) == _sorted(truth.to_pylist()), (endpoint, policy, adv, day)
        assert all(r["time_zone"] == ZONE for r in rows)  # lineage: the zone of the days
        compared += len(got)
    assert compared > 100


def test_daily_facts_around_the_dst_end_are_the_paris_days(scenario):
    got = {
        (r["report_date"], r["advertiser_id"], r["seller_id"]): r
        for r in scenario.facts_around_dst_end
    }
    expected = {
        (day, adv, seller): measures
        for adv in scenario.advertisers
        for (day, seller), measures in truth_seller_days(
            scenario.truth, adv, AROUND_DST_END, CLOCK_1, ZONE
        ).items()
    }
    assert got.keys() == expected.keys()
    for key, measures in expected.items():
        assert {m: got[key][m] for m in FACT_MEASURES} == measures, key
    assert {r["time_zone"] for r in got.values()} == {ZONE}


def test_october_25_in_the_warehouse_is_the_25_utc_hours_from_22_00_on_the_24th(scenario):
    start, end = local_day_in_utc(DST_END, ZONE)
    for adv in scenario.advertisers:
        day = {
            r["seller_id"]: (r["impressions"], r["clicks"])
            for r in scenario.facts_around_dst_end
            if (r["report_date"], r["advertiser_id"]) == (DST_END, adv)
        }
        assert _nonzero(day) == _nonzero(
            utc_hour_counts(scenario.truth, adv, start, end, CLOCK_1)
        ), adv


def test_snapshot_unchanged_by_restatement(scenario):
    assert scenario.reload_ok, scenario.reload_errors
    assert scenario.snapshot_after_reload == scenario.snapshot_before
    assert scenario.snapshot_1_after_reopen == scenario.snapshot_before


def test_adjustments_are_exactly_the_restatement(scenario):
    expected = expected_adjustments(scenario.truth_1, scenario.truth_2)
    assert expected, "the clock move restated nothing: the scenario would be vacuous"
    deltas = {m for e in expected.values() for m, v in e["delta"].items() if v}
    assert {"sale_units_any_seller", "revenue_any_seller", "media_cost", "clicks"} <= deltas
    got = {(r["advertiser_id"], r["seller_id"]): r for r in scenario.adjustments}
    assert got.keys() == expected.keys()
    for key, exp in expected.items():
        row = got[key]
        assert (row["month"], row["close_id"]) == (OCTOBER, 1)
        for m in MEASURES:
            actual = (row[f"{m}_closed"], row[f"{m}_current"], row[f"{m}_delta"])
            assert actual == (exp["closed"][m], exp["current"][m], exp["delta"][m]), (key, m)


def test_reclose_without_reopen_is_refused(scenario):
    assert scenario.reclose.rc == 1
    assert "2026-10 is already closed (close_id 1" in scenario.reclose.output
    assert "--reopen" in scenario.reclose.output
    assert "already closed (close_id 1" in scenario.asset_reclose_error


def test_incomplete_months_are_refused(scenario):
    assert scenario.november.rc == 1
    assert "2026-11 not closed" in scenario.november.output
    assert scenario.september.rc == 1
    assert "day file(s) not loaded" in scenario.september.output
    assert "stats sellers/SameSeller advertiser" in scenario.september.output
    assert "lake file(s) missing" in scenario.asset_september_error


def test_reopen_records_a_second_close_with_the_reason(scenario):
    assert scenario.reopen.rc == 0, scenario.reopen.output
    first, second = scenario.closes_after_reopen
    assert second["close_id"] > first["close_id"]
    assert (second["close_version"], second["is_reopen"]) == (2, True)
    assert second["reason"] == "late October sales restated"
    frozen = [
        {k: v for k, v in r.items() if k not in ("close_id", "closed_at")}
        for r in scenario.snapshot_2
    ]
    assert frozen == scenario.current_statement
    assert scenario.adjustments_after_reopen == []  # rebuilt after the close, in the same run


def test_export_of_the_latest_close(scenario):
    assert scenario.export_rc == 0
    sellers = [r for r in scenario.export_rows if r["line_type"] == "seller"]
    totals = {r["currency"]: r for r in scenario.export_rows if r["line_type"] == "total"}
    assert len(sellers) == len(scenario.snapshot_2)
    assert {r["close_id"] for r in scenario.export_rows} == {"2"}
    for currency, total in totals.items():
        expected = sum(r["media_cost"] for r in scenario.snapshot_2 if r["currency"] == currency)
        assert Decimal(total["media_cost"]) == expected
    assert set(totals) == {"EUR", "JPY"}
    # billed amounts with the currency's minor unit: whole yen, euro cents
    for row in [*sellers, *totals.values()]:
        digits = 0 if row["currency"] == "JPY" else 2
        assert row["currency_minor_unit"] == str(digits)
        decimals = row["ad_billing_amount"].partition(".")[2]
        assert len(decimals) == digits, row["ad_billing_amount"]


def test_dbt_full_refresh_never_touches_the_close_tables(scenario):
    assert scenario.full_refresh_rc == 0, scenario.full_refresh_output
    assert scenario.closes_after_full_refresh == scenario.closes_after_reopen
    frozen = scenario.snapshot_1_after_reopen + scenario.snapshot_2
    assert len(frozen) > 0
    assert scenario.snapshots_after_full_refresh == frozen


def test_damaged_file_fails_reconciliation_and_blocks_the_close(scenario):
    assert scenario.blocked.rc == 1
    text = scenario.blocked.output
    assert "check month_reconciled failed" in text
    advertiser = scenario.advertisers[0]
    assert f"2026-10 advertiser {advertiser} sellers/AnySeller clicks: daily" in text
    assert "(diff +1" in text
    assert scenario.closes_after_block == scenario.closes_after_reopen
