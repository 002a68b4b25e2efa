"""``mpo-pipeline demo`` as a new user runs it (``make demo`` calls it), twice, on a fresh data dir.

The figures it prints and what it leaves in the warehouse are compared with the simulator's ground
truth for the same world (default seed, today's date), computed here from ``GroundTruth`` alone.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from e2e_helpers import BIN, REPO, clean_environ

from mpo_pipeline.dates import month_bounds
from mpo_pipeline.demo import _last_complete_month, demo_start
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig

pytestmark = pytest.mark.timeout(2000)

DEMO_TIMEOUT = 900  # one demo run; ~100 s alone, far more while other test groups run
DEMO_TODAY = date(2026, 11, 20)  # a fixed "today": mid-month, October is the month to close


@dataclass
class DemoRuns:
    today: date
    data: Path
    outputs: list[str]
    codes: list[int]
    facts_after: list[dict[str, tuple]]


def _facts(warehouse: Path) -> dict[str, tuple]:
    tables = {
        "marts.fct_seller_campaign_stats_daily": "cost",
        "marts.fct_seller_stats_daily": "cost",
        "marts.fct_campaign_stats_daily": "cost",
        "marts.fct_seller_monthly_statement": "media_cost",
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: tuple(con.execute(f"select count(*), sum(clicks), sum({c}) from {t}").fetchall()[0])
            for t, c in tables.items()
        }


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoRuns:
    data = tmp_path_factory.mktemp("demo") / "data"
    # One clock: the pipeline (and so the demo's simulator) runs on MPO_TODAY, not the machine's
    # date, so midnight passing during the runs changes nothing.
    today = DEMO_TODAY
    env = clean_environ(MPO_DATA_DIR=str(data), MPO_TODAY=today.isoformat())
    runs = DemoRuns(today, data, [], [], [])
    for _ in range(2):
        proc = subprocess.run(
            [str(BIN / "mpo-pipeline"), "demo"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT,
            check=False,
        )
        runs.outputs.append(proc.stdout + proc.stderr)
        runs.codes.append(proc.returncode)
        if proc.returncode != 0:
            break
        runs.facts_after.append(_facts(data / "warehouse.duckdb"))
    return runs


def _expected_totals(truth: GroundTruth, start: date, end: date) -> dict[str, list[object]]:
    """Per advertiser: the report's cells (currency, impressions, clicks, cost, revenues).

    Money as exact sums of what the API served (Decimal), compared numerically with the printed
    cell: the report shows exact amounts unrounded.
    """
    out = {}
    for advertiser in truth.advertisers():
        adv = int(advertiser["id"])
        any_rows = truth.stats("campaigns", "AnySeller", adv, start, end, time_zone="UTC")
        same_rows = truth.stats("campaigns", "SameSeller", adv, start, end, time_zone="UTC")
        anyp, same = any_rows.to_pylist(), same_rows.to_pylist()
        out[str(adv)] = [
            advertiser["currencyName"],
            f"{sum(r['impressions'] for r in anyp):,}",
            f"{sum(r['clicks'] for r in anyp):,}",
            sum((r["cost"] for r in anyp), Decimal(0)),
            sum((r["revenue"] for r in same), Decimal(0)),
            sum((r["revenue"] for r in anyp), Decimal(0)),
        ]
    return out


def _as_cells(printed: list[str]) -> list[object]:
    """Text cells as printed, money cells (from the 4th) as Decimal."""
    return [*printed[:3], *(Decimal(cell.replace(",", "")) for cell in printed[3:6])]


def _report_rows(output: str, title: str) -> dict[str, list[str]]:
    """Cells of a rich table printed under ``title``, keyed by the first cell."""
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if title in line)
    rows = {}
    for line in lines[first + 1 :]:
        if not line.startswith("│"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0].isdigit():
            rows[cells[0]] = cells[1:]
    return rows


def test_demo_runs_twice_successfully(demo):
    for i, (code, output) in enumerate(zip(demo.codes, demo.outputs, strict=True)):
        assert code == 0, f"run {i + 1} exited {code}:\n{output[-4000:]}"
    assert len(demo.codes) == 2


def test_report_totals_equal_the_simulator_truth(demo):
    assert demo.codes[0] == 0, demo.outputs[0][-4000:]
    yesterday = demo.today - timedelta(days=1)
    start = demo_start(yesterday)
    expected = _expected_totals(GroundTruth(SimulatorConfig(today=demo.today)), start, yesterday)
    for output in demo.outputs:
        printed = _report_rows(output, f"Totals per advertiser and currency, {start}..{yesterday}")
        assert {adv: _as_cells(cells) for adv, cells in printed.items()} == expected


def test_last_complete_month_is_closed_once_and_matches_the_truth(demo):
    assert demo.codes == [0, 0], demo.outputs[-1][-4000:]
    month = _last_complete_month(demo.today - timedelta(days=1))
    first, last = month_bounds(month)
    closed = re.search(rf"{month:%Y-%m} closed: close_id \d+", demo.outputs[0])
    assert closed, demo.outputs[0][-3000:]
    assert f"{month:%Y-%m} is already closed" in demo.outputs[1]
    truth = GroundTruth(SimulatorConfig(today=demo.today))
    with duckdb.connect(str(demo.data / "warehouse.duckdb"), read_only=True) as con:
        closes = con.execute(
            "select month, close_version from finance.month_closes order by close_id"
        ).fetchall()
        statement = dict(
            con.execute(
                "select advertiser_id, sum(media_cost) from finance.month_close_statements "
                "group by all"
            ).fetchall()
        )
    assert closes == [(month, 1)]
    expected = {}
    for advertiser in truth.advertisers():
        adv = int(advertiser["id"])
        rows = truth.stats("sellers", "AnySeller", adv, first, last, time_zone="UTC").to_pylist()
        expected[adv] = sum((r["cost"] for r in rows), Decimal(0))
    assert statement == expected


def test_the_jpy_advertiser_is_billed_in_whole_yen(demo):
    """The demo's P&L and closed-month tables show JPY billed amounts without decimals."""
    assert demo.codes[0] == 0, demo.outputs[0][-4000:]
    output = demo.outputs[0]
    pnl = output[output.index("Marketplace ad P&L per month") :]
    jpy = [line for line in pnl.splitlines() if "│ JPY" in line]
    eur = [line for line in pnl.splitlines() if "│ EUR" in line]
    assert jpy and eur, pnl[:2000]
    for line in jpy:
        cells = [c.strip() for c in line.strip("│").split("│")]
        billed = cells[4:8]  # ad_billing, ad_margin, commission, contribution_margin
        assert all(re.fullmatch(r"-?[\d,]+", c) for c in billed), line
    for line in eur:
        cells = [c.strip() for c in line.strip("│").split("│")]
        assert all(re.fullmatch(r"-?[\d,]+\.\d\d", c) for c in cells[4:8]), line
    with duckdb.connect(str(demo.data / "published" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select currency_minor_unit, bool_and(ad_billing_amount = round(ad_billing_amount, 0))"
            " from marts.fct_seller_monthly_statement where currency = 'JPY' group by all"
        ).fetchall()
    assert rows == [(0, True)]


def test_rerun_is_idempotent_and_points_at_the_docs(demo):
    assert demo.codes == [0, 0], demo.outputs[-1][-4000:]
    assert demo.facts_after[0] == demo.facts_after[1]
    docs = re.search(r"dbt docs:\s+(\S+index\.html)", demo.outputs[1])
    assert docs and Path(docs.group(1)).is_file(), demo.outputs[1][-2000:]
    # the demo points BI at the published snapshot, never at the pipeline's private file
    shown = demo.outputs[1].replace("\n", "")
    assert str(demo.data / "published" / "warehouse.duckdb") in shown
    assert str(demo.data / "warehouse.duckdb") not in shown
