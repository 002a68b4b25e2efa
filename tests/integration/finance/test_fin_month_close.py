"""Month close end to end against the simulator and its clock (one scenario, many assertions).

Load October and early November at clock 1, close October, move the clock so that late October
restates, re-load the lookback window: the snapshot must not move, the adjustments must equal the
restatement computed from the simulator's ground truth, re-closing needs a reopen, an incomplete
month is refused, and a damaged day file blocks the close through the reconciliation check.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from fin_scenario_helpers import (
    CLOCK_1,
    CLOCK_2,
    CONFIG,
    MEASURES,
    OCTOBER,
    bump_clicks,
    dbt_full_refresh,
    expected_adjustments,
    fee_rates,
    point_at,
    query,
    rebuild_seller_facts,
    reload_and_rebuild,
    truth_statement,
)
from rich.console import Console

from mpo_pipeline import cli
from mpo_pipeline.defs.finance.month_close import month_close
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS
from mpo_pipeline.defs.resources import build_resources
from mpo_pipeline.finance_cli import close_month
from mpo_pipeline.runner import range_tags, run_job
from mpo_pipeline.simulator import running_simulator

pytestmark = pytest.mark.timeout(900)  # one module-wide scenario: several Dagster + dbt runs
SNAPSHOT = (
    "select * from finance.month_close_statements where close_id = ? "
    "order by advertiser_id, seller_id"
)
CLOSES = "select * from finance.month_closes order by close_id"
ADJUSTMENTS = (
    "select * from marts.fct_post_close_adjustments order by month, advertiser_id, seller_id"
)
TAMPERED_DAY = date(2026, 10, 15)


@dataclass
class Step:
    """What one close attempt returned and printed."""

    rc: int
    output: str


@dataclass
class Outcome:
    """Everything the scenario observed, for the tests below to judge."""

    root: Path
    advertisers: list[int] = field(default_factory=list)
    load_ok: bool = False
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
    with pytest.MonkeyPatch.context() as mp, running_simulator(CONFIG) as sim:
        settings = point_at(mp, sim, root)
        warehouse = settings.warehouse.resolve()
        out.advertisers = [a["id"] for a in sim.truth.advertisers()]
        rates = fee_rates(settings.seller_directory)

        # Clock 1: load October and November 1st through the real `load` job, close October.
        out.load_ok = run_job("load", tags=range_tags("2026-10-01", "2026-11-01")).success
        out.lap("load")
        out.first = _close(OCTOBER, closed_by="ana")
        out.lap("first close")
        out.closes_after_first = query(warehouse, CLOSES)
        close_1 = out.closes_after_first[0]["close_id"] if out.closes_after_first else -1
        out.snapshot_before = query(warehouse, SNAPSHOT, [close_1])
        out.reconciliation = query(
            warehouse, "select * from marts.rpt_monthly_reconciliation where month = ?", [OCTOBER]
        )
        out.adjustments_after_first = query(warehouse, ADJUSTMENTS)
        out.truth_1 = truth_statement(sim.truth, OCTOBER, CLOCK_1, rates)

        # Clock 2: late October restates; the daily refresh re-loads its lookback window.
        sim.set_today(CLOCK_2)
        runs = reload_and_rebuild(date(2026, 10, 12), date(2026, 11, 11))
        out.reload_ok = len(runs) == 2 and all(run.success for run in runs)
        out.reload_errors = [
            e.step_failure_data.error.message for run in runs for e in run.get_step_failure_events()
        ]
        out.lap("reload")
        out.snapshot_after_reload = query(warehouse, SNAPSHOT, [close_1])
        out.adjustments = query(warehouse, ADJUSTMENTS)
        out.truth_2 = truth_statement(sim.truth, OCTOBER, CLOCK_2, rates)

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
