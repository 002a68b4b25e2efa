"""``mpo-pipeline demo`` as a new user runs it (``make demo`` calls it) on a fresh data dir, then
what running it again does, for the last days of its window.

The figures it prints and what it leaves in the warehouse are compared with the simulator's ground
truth for the same world (default seed, a fixed "today"), computed here from ``GroundTruth`` alone.

Running the demo again re-loads every day of its window and shows the standing close instead of
closing again. The second pass here does the same on the window's last days only (what costs CPU
in a re-run is the 60 days of API calls and dbt, not the property): ``mpo-pipeline load`` of those
days against the demo's world, which must rewrite their lake files and leave every fact and the
statement as they were, and ``mpo-pipeline close`` of the closed month, which must show the close
and not close again.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from support.processes import BIN, REPO, clean_environ

from mpo_pipeline.cli.demo import _last_complete_month, demo_start
from mpo_pipeline.core.dates import month_bounds
from mpo_pipeline.seller_portal.kpis import directory_with_caps, seller_kpis
from mpo_pipeline.simulator import GroundTruth, SimulatorConfig, running_simulator

pytestmark = pytest.mark.timeout(1500)

DEMO_TIMEOUT = 900  # one demo run; ~100 s alone, far more while other test groups run
DEMO_TODAY = date(2026, 11, 20)  # a fixed "today": mid-month, October is the month to close
RELOAD_DAYS = 3  # the second pass re-loads the window's last days


@dataclass
class DemoRun:
    today: date
    data: Path
    output: str
    code: int
    facts: dict[str, tuple] = field(default_factory=dict)
    reload: subprocess.CompletedProcess | None = None  # mpo-pipeline load of the last days
    reclose: subprocess.CompletedProcess | None = None  # mpo-pipeline close of the closed month
    facts_after_reload: dict[str, tuple] = field(default_factory=dict)
    reloaded_files: dict[str, tuple[int, int]] = field(default_factory=dict)  # mtime before/after

    @property
    def window(self) -> tuple[date, date]:
        yesterday = self.today - timedelta(days=1)
        return demo_start(yesterday), yesterday

    @property
    def reload_window(self) -> tuple[date, date]:
        end = self.window[1]
        return end - timedelta(days=RELOAD_DAYS - 1), end


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


def _stats_mtimes(lake: Path) -> dict[str, int]:
    """Modification time (ns) of every stats file of the lake, by path under the lake."""
    files = lake.glob("stats/**/*.parquet")
    return {str(p.relative_to(lake)): p.stat().st_mtime_ns for p in files}


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        command,
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        check=False,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoRun:
    data = tmp_path_factory.mktemp("demo") / "data"
    # One clock: the pipeline (and so the demo's simulator) runs on MPO_TODAY, not the machine's
    # date, so midnight passing during the runs changes nothing.
    env = clean_environ(MPO_DATA_DIR=str(data), MPO_TODAY=DEMO_TODAY.isoformat())
    first = _run([str(BIN / "mpo-pipeline"), "demo"], env)
    run = DemoRun(DEMO_TODAY, data, first.stdout, first.returncode)
    if run.code != 0:
        return run
    run.facts = _facts(data / "warehouse.duckdb")
    before = _stats_mtimes(data / "lake")
    # The demo's world: its simulator's config is the default one on the demo's clock.
    config = SimulatorConfig(today=DEMO_TODAY)
    with running_simulator(config) as sim:
        api = {
            "MPO_API_BASE_URL": sim.url,
            "MPO_CLIENT_ID": config.client_id,
            "MPO_CLIENT_SECRET": config.client_secret,
            # the example seller files the demo wrote and used (it prints where)
            "MPO_SELLER_KPIS": str(data / "seller_kpis.csv"),
            "MPO_SELLER_DIRECTORY": str(data / "seller_directory.csv"),
        }
        start, end = run.reload_window
        command = ["load", "--start", start.isoformat(), "--end", end.isoformat()]
        run.reload = _run([str(BIN / "mpo-pipeline"), *command], {**env, **api})
    after = _stats_mtimes(data / "lake")
    run.reloaded_files = {p: (before.get(p, 0), after.get(p, 0)) for p in set(before) | set(after)}
    month = _last_complete_month(run.window[1])
    close = ["close", "--month", f"{month:%Y-%m}"]
    run.reclose = _run([str(BIN / "mpo-pipeline"), *close], {**env, **api})
    run.facts_after_reload = _facts(data / "warehouse.duckdb")
    return run


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


def test_demo_runs_successfully(demo):
    assert demo.code == 0, f"demo exited {demo.code}:\n{demo.output[-4000:]}"


def test_report_totals_equal_the_simulator_truth(demo):
    assert demo.code == 0, demo.output[-4000:]
    start, yesterday = demo.window
    expected = _expected_totals(GroundTruth(SimulatorConfig(today=demo.today)), start, yesterday)
    printed = _report_rows(demo.output, f"Totals per advertiser and currency, {start}..{yesterday}")
    assert {adv: _as_cells(cells) for adv, cells in printed.items()} == expected


def test_last_complete_month_is_closed_once_and_matches_the_truth(demo):
    assert demo.code == 0, demo.output[-4000:]
    month = _last_complete_month(demo.window[1])
    first, last = month_bounds(month)
    closed = re.search(rf"{month:%Y-%m} closed: close_id \d+", demo.output)
    assert closed, demo.output[-3000:]
    # Closing it again shows the standing close (the demo's re-run says the same, and goes on).
    reclose = demo.reclose
    assert reclose is not None
    assert reclose.returncode == 1, reclose.stdout[-3000:]
    assert f"{month:%Y-%m} is already closed" in reclose.stdout
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
    assert demo.code == 0, demo.output[-4000:]
    output = demo.output
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


def test_reloading_days_of_the_demo_is_idempotent(demo):
    assert demo.code == 0, demo.output[-4000:]
    assert demo.reload is not None and demo.reload.returncode == 0, demo.reload.stdout[-4000:]
    # The re-load really rewrote the files of its days, and only those.
    start = demo.reload_window[0]
    days = {f"report_date={start + timedelta(days=i)}" for i in range(RELOAD_DAYS)}
    rewritten = {p for p, (before, after) in demo.reloaded_files.items() if before != after}
    reloaded = {p for p in demo.reloaded_files if any(f"/{day}/" in p for day in days)}
    print(f"\n{len(rewritten)} of {len(demo.reloaded_files)} stats files rewritten by the re-load")
    assert reloaded and rewritten == reloaded
    assert all(before for before, _ in demo.reloaded_files.values()), "the re-load added files"
    assert demo.facts and demo.facts_after_reload == demo.facts


def test_demo_points_at_the_docs_and_at_the_published_snapshot(demo):
    assert demo.code == 0, demo.output[-4000:]
    docs = re.search(r"dbt docs:\s+(\S+index\.html)", demo.output)
    assert docs and Path(docs.group(1)).is_file(), demo.output[-2000:]
    # the demo points BI at the published snapshot, never at the pipeline's private file
    shown = demo.output.replace("\n", "")
    assert str(demo.data / "published" / "warehouse.duckdb") in shown
    assert str(demo.data / "warehouse.duckdb") not in shown


def test_the_demo_seller_portal_shows_its_example_kpis_and_caps(demo):
    """The demo writes an example KPI file and a directory with spend caps (derived from the
    simulator's truth) and builds the seller portal from them: the 30-day window ending
    yesterday shows each seller's GMV summed from that file and the cap of that directory."""
    assert demo.code == 0, demo.output[-4000:]
    start, yesterday = demo.window
    config = SimulatorConfig(today=demo.today)
    first = yesterday - timedelta(days=29)
    gmv: dict[tuple[str, str], Decimal] = {}
    for row in seller_kpis(config, start, yesterday):
        if first <= row["day"] <= yesterday:
            key = (row["seller_name"], row["currency"])
            gmv[key] = gmv.get(key, Decimal(0)) + row["gmv"]
    caps = {
        (row["seller_name"], row["cap_currency"]): row["monthly_ad_spend_cap"]
        for row in directory_with_caps(config, start, yesterday)
        if row["monthly_ad_spend_cap"] is not None
    }
    with duckdb.connect(str(demo.data / "published" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select seller_name, currency, gmv, monthly_ad_spend_cap"
            " from marts.rpt_seller_performance_rolling"
            " where window_days = 30 and as_of_date = ?",
            [yesterday],
        ).fetchall()
    assert rows, "no 30-day row as of yesterday"
    shown_gmv = {(name, cur): g for name, cur, g, _ in rows if g is not None}
    shown_caps = {(name, cur): cap for name, cur, _, cap in rows if cap is not None}
    print(f"\n{len(rows)} sellers, {len(shown_gmv)} with GMV, {len(shown_caps)} with a cap")
    assert shown_gmv == {k: v for k, v in gmv.items() if k in shown_gmv}
    assert len(shown_gmv) == len(rows)
    listed = {(name, cur) for name, cur, _, _ in rows}
    assert shown_caps and shown_caps == {k: v for k, v in caps.items() if k in listed}
