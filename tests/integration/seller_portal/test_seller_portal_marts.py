"""The seller portal marts against the simulator's ground truth (one scenario, many assertions).

Two advertisers (EUR, JPY) and 60 days are ingested through the Dagster assets and the warehouse is
built by dbt, with a seller KPI file and a seller directory with spend caps (the example files of
``mpo_pipeline.seller_portal.kpis`` plus hand-made edge cases). Then: the 7- and 30-day windows
and the windows before them equal sums of ``GroundTruth`` rows, the KPI and cap figures equal
hand computations (three as-of dates: the latest day and the two before), a day removed from the
lake makes its windows incomplete while the marts' data tests still pass, and bad KPI files and
caps fail the build naming the line and the problem.
"""

from __future__ import annotations

import csv
import math
import resource
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sp_scenario_helpers import (
    AS_OF,
    CONFIG,
    FIRST_DAY,
    MEASURES,
    PORTAL_MODELS,
    PortalWorld,
    Truth,
    build,
    cap_reached_on,
    dbt,
    point_at,
    query,
    ratio,
    remove_day,
)

from mpo_pipeline.seller_portal.kpis import (
    directory_with_caps,
    seller_kpis,
    write_directory_rows,
    write_kpi_rows,
    write_seller_kpis,
)
from mpo_pipeline.simulator import running_simulator

pytestmark = pytest.mark.timeout(900)  # one module-wide scenario: Dagster ingestion + dbt runs
WINDOWS = (7, 30)
EUR, JPY = 41111, 42222
MISSING_DAY = AS_OF - timedelta(days=3)  # removed from the lake for the EUR advertiser
AS_OF_DAYS = 3  # as-of dates of the marts: AS_OF and the two days before
AS_OF_DATES = tuple(AS_OF - timedelta(days=i) for i in range(AS_OF_DAYS))
DBT_VARS = {"seller_portal_as_of_days": AS_OF_DAYS}
PERFORMANCE = (
    "select * from marts.rpt_seller_performance_rolling "
    "order by as_of_date, window_days, advertiser_id, seller_id"
)
CAMPAIGNS = (
    "select * from marts.rpt_seller_campaign_performance_rolling "
    "order by as_of_date, window_days, advertiser_id, seller_id, campaign_id"
)


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Outcome:
    """Everything the scenario observed, for the tests below to judge."""

    world: PortalWorld
    truth: Truth
    kpis: list[dict] = field(default_factory=list)
    caps: dict[str, tuple[Decimal, str | None]] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    ingest_ok: bool = False
    build: tuple[int, str] = (-1, "")
    sellers: list[dict] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)
    published: list[dict] = field(default_factory=list)
    rebuild: tuple[int, str] = (-1, "")
    sellers_after_removal: list[dict] = field(default_factory=list)
    campaigns_after_removal: list[dict] = field(default_factory=list)
    bad_kpis: tuple[int, str] = (-1, "")
    missing_column: tuple[int, str] = (-1, "")
    kpi_path: Path | None = None
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    _last: float = field(default_factory=_cpu)

    def lap(self, step: str) -> None:
        """Record the CPU time (this process and its children) since the previous lap."""
        now = _cpu()
        self.cpu_seconds[step] = round(now - self._last, 1)
        self._last = now


def _march_cost(truth: Truth, key: tuple) -> Decimal:
    return sum((truth.daily_cost(key, AS_OF.replace(day=d)) for d in range(1, AS_OF.day + 1)), 0)


def _pick_sellers(truth: Truth) -> dict[str, str]:
    """Sellers for the edge cases, chosen from the truth so the cases hold by construction."""
    by_name: dict[str, dict[int, int]] = {}
    for (adv, seller), name in truth.names.items():
        by_name.setdefault(name, {})[adv] = seller
    spent = {
        name: {adv: _march_cost(truth, (adv, s)) for adv, s in ids.items()}
        for name, ids in by_name.items()
    }
    both = sorted(n for n, c in spent.items() if len(c) == 2 and all(v > 0 for v in c.values()))
    eur_only = sorted(n for n, c in spent.items() if set(c) == {EUR} and c[EUR] > 0)
    eur_idle = sorted(n for n, c in spent.items() if EUR in c and c[EUR] == 0)
    assert len(both) >= 2 and eur_only and eur_idle, "the world no longer has the edge cases"
    return {
        "reached": both[0],  # cap in EUR, reached on day 7: the JPY row has no cap
        "pace": both[1],  # cap without currency: EUR projected at the pace, JPY reached
        "never": eur_only[0],  # cap far above the month's pace
        "idle": eur_idle[0],  # cap, no spend this month
        "usd": eur_only[0],  # KPI rows in USD: no advertiser bills in USD
    }


def _inputs(truth: Truth, root: Path) -> tuple[list[dict], dict, dict, Path, Path]:
    """The KPI file (Parquet) and the directory (CSV) of the scenario, and their edge cases."""
    cases = _pick_sellers(truth)
    # no example rows for the "pace" seller (rows without currency below) nor the "usd" one
    kpis = [
        r
        for r in seller_kpis(CONFIG, FIRST_DAY, AS_OF)
        if r["seller_name"] not in (cases["pace"], cases["usd"])
    ]
    # a seller's rows without currency apply to every advertiser of the seller
    for days, gmv in ((3, Decimal("300.5")), (20, Decimal("200"))):
        day = AS_OF - timedelta(days=days)
        kpis.append(
            {"seller_name": cases["pace"], "day": day, "currency": None, "gmv": gmv, "orders": 4}
        )
    kpis += [
        {
            "seller_name": cases["usd"],
            "day": AS_OF,
            "currency": "USD",
            "gmv": Decimal(7),
            "orders": 1,
        },
        {
            "seller_name": "NOT-A-SELLER",
            "day": AS_OF,
            "currency": "EUR",
            "gmv": Decimal(9),
            "orders": 1,
        },
    ]
    directory = directory_with_caps(CONFIG, FIRST_DAY, AS_OF)
    reached_key = (
        EUR,
        next(s for (a, s), n in truth.names.items() if a == EUR and n == cases["reached"]),
    )
    first_week = sum(truth.daily_cost(reached_key, AS_OF.replace(day=d)) for d in range(1, 8))
    pace_key = (
        EUR,
        next(s for (a, s), n in truth.names.items() if a == EUR and n == cases["pace"]),
    )
    caps = {
        cases["reached"]: (first_week, "EUR"),
        cases["pace"]: (
            (_march_cost(truth, pace_key) * Decimal("1.5")).quantize(Decimal("0.01")),
            None,
        ),
        cases["never"]: (Decimal(10**6), "EUR"),
        cases["idle"]: (Decimal(10), None),
    }
    for row in directory:
        if row["seller_name"] in caps:
            row["monthly_ad_spend_cap"], row["cap_currency"] = caps[row["seller_name"]]
    caps = {
        r["seller_name"]: (r["monthly_ad_spend_cap"], r["cap_currency"])
        for r in directory
        if r["monthly_ad_spend_cap"] is not None
    }
    kpi_path = write_kpi_rows(kpis, root / "inputs" / "seller_kpis.csv")
    directory_path = write_directory_rows(directory, root / "inputs" / "seller_directory.csv")
    return kpis, caps, cases, kpi_path, directory_path


BAD_KPI_LINES = [
    "seller_name,day,currency,gmv,orders",
    "MKT-00001,2026-03-01,EUR,10.5,1",  # line 2
    "MKT-00001,2026-02-30,EUR,10.5,1",  # line 3: not a date
    "MKT-00001,2026-03-02,EUR,-3.5,1",  # line 4: negative GMV
    "MKT-00001,2026-03-03,EUR,12,two",  # line 5: orders not a number
    "MKT-00001,2026-03-01,,11,1",  # line 6: same seller and day as line 2 (empty = any currency)
    "MKT-00001,2026-03-04,eur,12,1",  # line 7: not a currency code
    ",2026-03-05,EUR,12,1",  # line 8: no seller
    "MKT-00001,2026-03-06,JPY,1200,3",  # line 9: fine (another currency)
]
BAD_KPI_FRAGMENTS = {
    "bad_date": "line 3 (seller_name 'MKT-00001'): day '2026-02-30' is not a date (YYYY-MM-DD)",
    "negative_gmv": "line 4 (seller_name 'MKT-00001'): gmv '-3.5' is negative",
    "bad_orders": "line 5 (seller_name 'MKT-00001'): orders 'two' is not a whole number",
    "duplicate_first": (
        "line 2 (seller_name 'MKT-00001'): seller_name and day are not unique "
        "(lines 2, 6 with day 2026-03-01, currency EUR)"
    ),
    "duplicate_second": (
        "line 6 (seller_name 'MKT-00001'): seller_name and day are not unique "
        "(lines 2, 6 with day 2026-03-01, currency empty)"
    ),
    "bad_currency": "line 7 (seller_name 'MKT-00001'): currency 'eur' is not an ISO 4217 code",
    "empty_seller": "line 8: seller_name is empty",
    "count": "7 problem(s)",
}
BAD_CAP_FRAGMENTS = {
    "negative_cap": "monthly_ad_spend_cap '-5' is not a number >= 0 (empty = no cap)",
    "bad_cap_currency": "cap_currency 'euro' is not an ISO 4217 code",
}


def _spoil_directory(path: Path) -> dict[str, str]:
    """Rewrite the directory with a negative cap on line 2 and a bad currency on line 3; return
    the expected start of each message (line and seller_name)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["monthly_ad_spend_cap"], rows[0]["cap_currency"] = "-5", "EUR"
    rows[1]["monthly_ad_spend_cap"], rows[1]["cap_currency"] = "100", "euro"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return {
        "negative_cap": f"line 2 (seller_name '{rows[0]['seller_name']}'): ",
        "bad_cap_currency": f"line 3 (seller_name '{rows[1]['seller_name']}'): ",
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Outcome:
    root = tmp_path_factory.mktemp("seller_portal")
    world = PortalWorld(root)
    truth = Truth(CONFIG, FIRST_DAY, AS_OF)
    out = Outcome(world=world, truth=truth)
    out.kpis, out.caps, out.cases, kpi_path, directory_path = _inputs(truth, root)
    out.lap("truth and inputs")
    with pytest.MonkeyPatch.context() as mp, running_simulator(CONFIG) as sim:
        settings = point_at(mp, sim, world, directory_path, kpi_path)
        # Every dbt command gets the same vars and environment, so that dbt parses the project
        # once (a changed var or variable makes it parse everything again).
        built = build(world, settings, DBT_VARS)
        out.ingest_ok, out.build = built.ingest_ok, (built.returncode, built.output)
        out.lap("ingest, dbt run, publish")
        out.sellers = query(world.warehouse, PERFORMANCE)
        out.campaigns = query(world.warehouse, CAMPAIGNS)
        out.published = query(world.published, PERFORMANCE)

        # A day missing from the lake: the facts are rebuilt (the day is gone), then the marts,
        # with their data tests (which must hold on incomplete windows too).
        remove_day(world.lake, MISSING_DAY, EUR)
        facts = ("fct_seller_stats_daily", "fct_seller_campaign_stats_daily")
        selected = (*facts, PORTAL_MODELS, "int_seller_kpis")
        out.rebuild = dbt(world, "build", "--select", *selected, dbt_vars=DBT_VARS)
        out.sellers_after_removal = query(world.warehouse, PERFORMANCE)
        out.campaigns_after_removal = query(world.warehouse, CAMPAIGNS)
        out.lap("rebuild")

        # Bad inputs, written over the good files and validated by the same models: every
        # problem of a file in one message.
        kpi_path.write_text("\n".join(BAD_KPI_LINES) + "\n", encoding="utf-8")
        out.cases["bad_cap_lines"] = _spoil_directory(directory_path)
        out.bad_kpis = dbt(
            world, "run", "--select", "int_seller_kpis", "int_seller_directory", dbt_vars=DBT_VARS
        )
        kpi_path.write_text("seller_name,day,gmv\nMKT-00001,2026-03-01,10\n", encoding="utf-8")
        out.missing_column = dbt(world, "run", "--select", "int_seller_kpis", dbt_vars=DBT_VARS)
        out.kpi_path = kpi_path
        out.lap("bad inputs")
    print(f"seller portal scenario CPU (s): {out.cpu_seconds}")
    return out


def _by_key(rows: list[dict], *keys: str) -> dict[tuple, dict]:
    out = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        assert key not in out, f"duplicate {key}"
        out[key] = row
    return out


def _windows(as_of: date, window: int) -> tuple[date, date, date, date]:
    start = as_of - timedelta(days=window - 1)
    return start, as_of, start - timedelta(days=window), start - timedelta(days=1)


def _loaded(start: date, end: date, missing: set[date]) -> int:
    """Days of ``start..end`` in the loaded range, ``missing`` days left out."""
    first, last = max(start, FIRST_DAY), min(end, AS_OF)
    days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
    return len(days - missing)


def _assert_window_row(row: dict, current: dict, previous: dict | None) -> None:
    """Sums, previous sums, changes and ratios of one row against the truth's sums."""
    for m in MEASURES:
        assert row[m] == current[m], (m, row[m], current[m])
        expected_previous = None if previous is None else previous[m]
        assert row[f"previous_{m}"] == expected_previous, m
        change = None if previous is None else current[m] - previous[m]
        assert row[f"{m}_change"] == change, m
    expected = {
        "ctr": ratio(current["clicks"], current["impressions"]),
        "cpc": ratio(current["cost"], current["clicks"]),
        "roas_same_seller": ratio(current["revenue_same_seller"], current["cost"]),
        "roas_any_seller": ratio(current["revenue_any_seller"], current["cost"]),
    }
    for name, value in expected.items():
        if value is None:
            assert row[name] is None, name
        else:
            assert math.isclose(row[name], value, rel_tol=1e-12), name


def test_ingest_and_build_succeed(scenario):
    assert scenario.ingest_ok
    rc, output = scenario.build
    assert rc == 0, output[-3000:]
    # the published snapshot (what the serving side reads) holds the same rows
    assert scenario.published == scenario.sellers and len(scenario.sellers) > 0


def test_seller_windows_equal_the_truth(scenario):
    truth = scenario.truth
    # every seller of the MPO metadata or the stats, each as-of date and window
    sellers = set(truth.names) | truth.keys("sellers")
    expected_keys = {(d, w, *s) for d in AS_OF_DATES for w in WINDOWS for s in sellers}
    got = _by_key(scenario.sellers, "as_of_date", "window_days", "advertiser_id", "seller_id")
    assert got.keys() == expected_keys
    quiet = partial = 0
    for (as_of, window, adv, seller), row in got.items():
        start, end, previous_start, previous_end = _windows(as_of, window)
        current = truth.window("sellers", (adv, seller), start, end)
        previous = truth.window("sellers", (adv, seller), previous_start, previous_end)
        _assert_window_row(row, current, previous)
        assert (row["window_start"], row["window_end"]) == (start, end)
        assert (row["previous_window_start"], row["previous_window_end"]) == (
            previous_start,
            previous_end,
        )
        assert (row["days_loaded"], row["is_complete"]) == (window, True)
        # the 30 days before a 30-day window ending before AS_OF start before the first load
        loaded = _loaded(previous_start, previous_end, set())
        assert (row["previous_days_loaded"], row["previous_is_complete"]) == (
            loaded,
            loaded == window,
        )
        assert row["seller_name"] == truth.names[(adv, seller)]
        assert row["currency"] == truth.advertisers[adv]
        quiet += current["impressions"] == 0
        partial += loaded < window
    assert 0 < quiet < len(got), "both quiet and active sellers must be compared"
    assert partial > 0, "an incomplete previous window must be compared"


def test_campaign_windows_equal_the_truth(scenario):
    truth = scenario.truth
    keys = truth.keys("seller_campaigns")
    got = _by_key(
        scenario.campaigns, "as_of_date", "window_days", "advertiser_id", "seller_id", "campaign_id"
    )
    expected_keys = set()
    for as_of in AS_OF_DATES:
        for window in WINDOWS:
            start, end, previous_start, _ = _windows(as_of, window)
            expected_keys |= {
                (as_of, window, *key)
                for key in keys
                if truth.has_rows("seller_campaigns", key, previous_start, end)
            }
    assert got.keys() == expected_keys
    for (as_of, window, adv, seller, campaign), row in got.items():
        start, end, previous_start, previous_end = _windows(as_of, window)
        key = (adv, seller, campaign)
        current = truth.window("seller_campaigns", key, start, end)
        previous = truth.window("seller_campaigns", key, previous_start, previous_end)
        _assert_window_row(row, current, previous)
        assert (row["days_loaded"], row["is_complete"]) == (window, True)
        assert row["seller_name"] == truth.names[(adv, seller)]


def test_gmv_share_equals_hand_computation(scenario):
    truth = scenario.truth
    checked = {"with_gmv": 0, "without": 0, "any_currency": 0}
    for row in scenario.sellers:
        adv, window = row["advertiser_id"], row["window_days"]
        start, end, _, _ = _windows(row["as_of_date"], window)
        currency = truth.advertisers[adv]
        mine = [
            k
            for k in scenario.kpis
            if k["seller_name"] == row["seller_name"]
            and start <= k["day"] <= end
            and k["currency"] in (currency, None)
        ]
        if not mine:
            assert (row["gmv"], row["orders"], row["ad_revenue_share_of_gmv"]) == (None,) * 3
            checked["without"] += 1
            continue
        gmv = sum(k["gmv"] for k in mine)
        assert row["gmv"] == gmv
        assert row["orders"] == sum(k["orders"] for k in mine)
        revenue = truth.window("sellers", (adv, row["seller_id"]), start, end)[
            "revenue_same_seller"
        ]
        share = ratio(revenue, gmv)
        assert share is not None and math.isclose(
            row["ad_revenue_share_of_gmv"], share, rel_tol=1e-12
        )
        checked["with_gmv"] += 1
        checked["any_currency"] += any(k["currency"] is None for k in mine)
    assert all(checked.values()), checked


def test_caps_equal_hand_computation(scenario):
    truth = scenario.truth
    seen = {"reached": 0, "projected": 0, "never": 0, "no_cap": 0}
    for row in scenario.sellers:
        adv, seller, as_of = row["advertiser_id"], row["seller_id"], row["as_of_date"]
        month = [as_of.replace(day=d) for d in range(1, as_of.day + 1)]
        cap, cap_currency = scenario.caps.get(row["seller_name"], (None, None))
        if cap is None or cap_currency not in (None, truth.advertisers[adv]):
            assert row["monthly_ad_spend_cap"] is None, row["seller_name"]
            assert (row["cap_used"], row["cap_remaining"], row["cap_reached_on"]) == (None,) * 3
            seen["no_cap"] += 1
            continue
        daily = [truth.daily_cost((adv, seller), day) for day in month]
        used = sum(daily, Decimal(0))
        assert row["monthly_ad_spend_cap"] == cap
        assert row["cap_used"] == used
        assert row["cap_remaining"] == max(cap - used, Decimal(0))
        reached = cap_reached_on(daily, as_of, cap)
        assert row["cap_reached_on"] == reached, (row["seller_name"], adv, as_of)
        if reached is None:
            seen["never"] += 1
        else:
            seen["reached" if reached <= as_of else "projected"] += 1
    assert all(seen.values()), seen
    # the edge cases landed where they were built to
    rows = {
        (r["seller_name"], r["advertiser_id"]): r
        for r in scenario.sellers
        if r["window_days"] == 7 and r["as_of_date"] == AS_OF
    }
    assert rows[(scenario.cases["reached"], EUR)]["cap_reached_on"] <= AS_OF.replace(day=7)
    assert rows[(scenario.cases["reached"], JPY)]["monthly_ad_spend_cap"] is None
    assert rows[(scenario.cases["pace"], EUR)]["cap_reached_on"] > AS_OF
    assert rows[(scenario.cases["pace"], JPY)]["cap_reached_on"] <= AS_OF
    assert rows[(scenario.cases["idle"], EUR)]["cap_reached_on"] is None
    assert rows[(scenario.cases["idle"], EUR)]["cap_used"] == 0


def test_data_tests_of_the_marts_pass(scenario):
    rc, output = scenario.rebuild
    assert rc == 0, output[-3000:]
    # the marts' own tests ran (grain, bounds, changes, ratios, caps) and none failed
    assert "rpt_seller_performance_rolling__cap_figures_consistent" in output
    assert "ratio_matches_recomputation_rpt_seller_campaign_performance_rolling" in output
    assert "ERROR=0" in output and "WARN=0" in output


def test_a_missing_day_makes_its_windows_incomplete(scenario):
    rc, output = scenario.rebuild
    assert rc == 0, output[-3000:]
    truth = scenario.truth
    got = _by_key(
        scenario.sellers_after_removal, "as_of_date", "window_days", "advertiser_id", "seller_id"
    )
    sellers = set(truth.names) | truth.keys("sellers")
    assert got.keys() == {(d, w, *s) for d in AS_OF_DATES for w in WINDOWS for s in sellers}
    incomplete = 0
    for (as_of, window, adv, seller), row in got.items():
        start, end, previous_start, previous_end = _windows(as_of, window)
        skip = {MISSING_DAY} if adv == EUR else set()
        current = truth.window("sellers", (adv, seller), start, end, skip)
        previous = truth.window("sellers", (adv, seller), previous_start, previous_end, skip)
        _assert_window_row(row, current, previous)
        assert row["days_loaded"] == _loaded(start, end, skip)
        assert row["is_complete"] is (row["days_loaded"] == window)
        assert row["previous_days_loaded"] == _loaded(previous_start, previous_end, skip)
        assert row["previous_is_complete"] is (row["previous_days_loaded"] == window)
        incomplete += not row["is_complete"]
    assert incomplete == AS_OF_DAYS * len(WINDOWS) * len({s for a, s in sellers if a == EUR})
    campaigns = [r for r in scenario.campaigns_after_removal if r["advertiser_id"] == EUR]
    assert campaigns and all(
        (r["days_loaded"], r["is_complete"]) == (r["window_days"] - 1, False) for r in campaigns
    )


@pytest.mark.parametrize("case", list(BAD_KPI_FRAGMENTS))
def test_bad_kpi_file_fails_naming_line_and_problem(scenario, case):
    rc, output = scenario.bad_kpis
    assert rc != 0
    assert f"invalid seller KPI file MPO_SELLER_KPIS={scenario.kpi_path}" in output
    assert BAD_KPI_FRAGMENTS[case] in output, output[-4000:]


@pytest.mark.parametrize("case", list(BAD_CAP_FRAGMENTS))
def test_bad_cap_in_directory_fails_naming_line_and_problem(scenario, case):
    rc, output = scenario.bad_kpis
    assert rc != 0
    line = scenario.cases["bad_cap_lines"][case]
    assert line + BAD_CAP_FRAGMENTS[case] in output, output[-4000:]


def test_missing_kpi_column_fails_naming_the_header(scenario):
    rc, output = scenario.missing_column
    assert rc != 0
    assert (
        f"seller KPI file MPO_SELLER_KPIS={scenario.kpi_path}: line 1 (header): "
        "missing required column(s) orders"
    ) in output


def test_example_kpi_file_has_gmv_above_ad_revenue(tmp_path, scenario):
    truth = scenario.truth
    path = write_seller_kpis(CONFIG, tmp_path / "kpis.csv", FIRST_DAY, AS_OF)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = {(truth.advertisers[a], n): (a, s) for (a, s), n in truth.names.items()}
    days = (AS_OF - FIRST_DAY).days + 1
    assert len(rows) == len(names) * days  # every seller and day, quiet days included
    above = 0
    for row in rows:
        adv, seller = names[(row["currency"], row["seller_name"])]
        day = date.fromisoformat(row["day"])
        revenue = truth.window("sellers", (adv, seller), day, day)["revenue_same_seller"]
        gmv = Decimal(row["gmv"])
        assert gmv >= revenue and gmv > 0 and int(row["orders"]) >= 1
        above += revenue > 0
    assert above > 0
    # the Parquet writer holds the same rows, typed
    table = pq.read_table(write_seller_kpis(CONFIG, tmp_path / "kpis.parquet", FIRST_DAY, AS_OF))
    assert str(table.schema.field("gmv").type) == "decimal128(38, 9)"
    typed = [
        (r["seller_name"], r["day"], r["currency"], r["gmv"], r["orders"])
        for r in table.to_pylist()
    ]
    assert typed == [
        (
            r["seller_name"],
            date.fromisoformat(r["day"]),
            r["currency"],
            Decimal(r["gmv"]),
            int(r["orders"]),
        )
        for r in rows
    ]
