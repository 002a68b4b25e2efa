"""Changes of the world through the whole pipeline: a seller renamed on day 3, an advertiser's
currency changed on day 4, the pinned API version retired (410) in the middle of a range load.

One scenario (real client over loopback HTTP, real Dagster runs, real dbt build): the daily
metadata snapshots of days 1..7, a range load of days 1..6 on a version the simulator retires after
a few stats requests (it must fail and leave only whole days behind), then the same load on a
supported version with the warehouse build. The tests compare the lake and the warehouse with the
simulator's ground truth (``GroundTruth``: each day's name, currency and rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from world_helpers import (
    ADV,
    CONFIG,
    DAYS,
    FACTS,
    NEW_NAME,
    NEW_VERSION,
    OLD_NAME,
    OLD_VERSION,
    OTHER,
    POLICIES,
    SELLER,
    TODAY,
    WINDOW_DAYS,
    directory_rates,
    expected_facts,
    expected_statement,
    failures,
    lake_day,
    load,
    point_at,
    query,
    snapshot_each_day,
    truth_day,
)

from mpo_pipeline.defs import resources as defs_resources
from mpo_pipeline.ingest.lake import ENDPOINTS, stats_path
from mpo_pipeline.simulator import GroundTruth, running_simulator

pytestmark = pytest.mark.timeout(600)
TRUTH = GroundTruth(CONFIG)  # pure: the same answers as the running simulator at TODAY
FACT_COLUMNS = (
    "impressions",
    "clicks",
    "cost",
    "sale_units_same_seller",
    "revenue_same_seller",
    "sale_units_any_seller",
    "revenue_any_seller",
)
STATEMENT_COLUMNS = (
    "seller_name",
    "currency_minor_unit",
    "impressions",
    "clicks",
    "media_cost",
    "ad_billing_amount",
    "sale_units_same_seller",
    "revenue_same_seller",
    "sale_units_any_seller",
    "revenue_any_seller",
)
PNL_COLUMNS = ("media_cost", "ad_billing_amount", "ad_margin", "commission_amount")


@dataclass
class Outcome:
    """What the scenario observed, for the tests below to judge."""

    root: Path
    retired_run_ok: bool = True
    retired_run_errors: list[str] = field(default_factory=list)
    landed: dict[tuple, list[dict]] = field(default_factory=dict)  # (endpoint, policy, adv, day)
    landed_windows: set[tuple] = field(default_factory=set)  # ((endpoint, policy, adv), window)
    landed_after_rerun: dict[tuple, list[dict]] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)  # temporary files after the failed run
    rerun_ok: bool = False
    rerun_errors: list[str] = field(default_factory=list)
    directory: Path | None = None
    facts: dict[str, list[dict]] = field(default_factory=dict)
    dim_sellers: list[dict] = field(default_factory=list)
    statement: list[dict] = field(default_factory=list)
    pnl: list[dict] = field(default_factory=list)


def _landed_windows(lake: Path) -> set[tuple[tuple, tuple[date, date]]]:
    """The request window (lineage) of every landed file that has rows, per stream."""
    windows = set()
    for endpoint in ENDPOINTS:
        for policy in POLICIES:
            for adv in (ADV, OTHER):
                for day in DAYS:
                    path = stats_path(lake, endpoint, policy, day, adv)
                    if not path.exists():
                        continue
                    table = pq.read_table(path, columns=["window_start", "window_end"])
                    for row in table.to_pylist()[:1]:
                        windows.add(
                            ((endpoint, policy, adv), (row["window_start"], row["window_end"]))
                        )
    return windows


def _landed(lake: Path) -> dict[tuple, list[dict]]:
    return {
        (endpoint, policy, adv, day): lake_day(lake, endpoint, policy, day, adv)
        for endpoint in ENDPOINTS
        for policy in POLICIES
        for adv in (ADV, OTHER)
        for day in DAYS
        if stats_path(lake, endpoint, policy, day, adv).exists()
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Outcome:
    root = tmp_path_factory.mktemp("world")
    out = Outcome(root=root)
    with pytest.MonkeyPatch.context() as mp, running_simulator(CONFIG) as sim:
        settings = point_at(mp, sim, root, OLD_VERSION)
        out.directory = settings.seller_directory
        snapshot_each_day(sim, settings, [*DAYS, TODAY])

        # The pinned version is retired after RETIRED_AFTER stats requests: mid-range.
        retired = load(settings, warehouse=False)
        out.retired_run_ok = retired.success
        out.retired_run_errors = failures(retired)
        out.landed = _landed(settings.lake_dir)
        out.landed_windows = _landed_windows(settings.lake_dir)
        out.leftovers = [str(p) for p in settings.lake_dir.rglob("*.tmp")]

        # The operator bumps MPO_API_VERSION and re-runs the same range, warehouse included.
        mp.setenv("MPO_API_VERSION", NEW_VERSION)
        defs_resources.settings.cache_clear()
        settings = defs_resources.settings()
        rerun = load(settings, warehouse=True)
        out.rerun_ok = rerun.success
        out.rerun_errors = failures(rerun)

        warehouse = settings.warehouse.resolve()
        for endpoint, table in FACTS.items():
            out.facts[endpoint] = query(warehouse, f"select * from {table}")
        out.dim_sellers = query(warehouse, "select * from marts.dim_sellers")
        out.statement = query(warehouse, "select * from marts.fct_seller_monthly_statement")
        out.pnl = query(warehouse, "select * from marts.fct_marketplace_pnl_monthly")
        out.landed_after_rerun = _landed(settings.lake_dir)
    defs_resources.settings.cache_clear()
    return out


def test_the_retired_version_fails_the_run_naming_the_version_and_the_fix(scenario):
    assert not scenario.retired_run_ok
    assert scenario.retired_run_errors
    for message in scenario.retired_run_errors:
        assert f"API version '{OLD_VERSION}' is retired (410 Gone)" in message, message
        assert "MPO_API_VERSION" in message, message


def test_days_written_before_the_410_are_whole_and_equal_the_truth(scenario):
    landed = scenario.landed
    every_file = len(ENDPOINTS) * len(POLICIES) * 2 * len(DAYS)
    assert 0 < len(landed) < every_file  # the 410 came mid-range
    assert scenario.leftovers == []
    for (endpoint, policy, adv, day), rows in landed.items():
        assert rows == truth_day(TRUTH, endpoint, policy, day, adv), (endpoint, policy, adv, day)
    # a request window lands whole or not at all: every day of a landed file's window (its
    # window_start..window_end lineage; windows are sized by rows) is landed too
    windows = scenario.landed_windows
    assert windows, "no landed file names its window"
    for (endpoint, policy, adv), (first, last) in windows:
        assert (last - first).days + 1 <= WINDOW_DAYS
        for day in DAYS:
            if first <= day <= last:
                assert (endpoint, policy, adv, day) in landed, (endpoint, policy, adv, first, last)


def test_the_rerun_on_a_supported_version_lands_the_whole_range(scenario):
    assert scenario.rerun_ok, scenario.rerun_errors
    landed = scenario.landed_after_rerun
    assert len(landed) == len(ENDPOINTS) * len(POLICIES) * 2 * len(DAYS)
    for (endpoint, policy, adv, day), rows in landed.items():
        assert rows == truth_day(TRUTH, endpoint, policy, day, adv), (endpoint, policy, adv, day)


@pytest.mark.parametrize("endpoint", list(FACTS))
def test_facts_carry_each_days_name_and_currency_and_equal_the_truth(scenario, endpoint):
    expected = expected_facts(TRUTH, endpoint)
    ids = {"sellers": ("seller_id",), "campaigns": ("campaign_id",)}.get(
        endpoint, ("campaign_id", "seller_id")
    )
    got = {
        (r["report_date"], r["advertiser_id"], *(r[i] for i in ids)): {
            k: r[k] for k in (*FACT_COLUMNS, "currency", "seller_name") if k in r
        }
        for r in scenario.facts[endpoint]
    }
    assert got == expected


def test_the_renamed_seller_and_the_changed_currency_day_by_day(scenario):
    # written by hand from the events: names change on day 3, the currency on day 4
    rows = sorted(
        (r["report_date"], r["seller_name"], r["currency"])
        for r in scenario.facts["sellers"]
        if r["seller_id"] == SELLER
    )
    assert rows == [
        (DAYS[0], OLD_NAME, "EUR"),
        (DAYS[1], OLD_NAME, "EUR"),
        (DAYS[2], NEW_NAME, "EUR"),
        (DAYS[3], NEW_NAME, "USD"),
        (DAYS[4], NEW_NAME, "USD"),
        (DAYS[5], NEW_NAME, "USD"),
    ]
    for endpoint in FACTS:
        currencies = {
            (r["advertiser_id"], r["report_date"], r["currency"]) for r in scenario.facts[endpoint]
        }
        assert currencies == {
            *((ADV, d, "EUR") for d in DAYS[:3]),
            *((ADV, d, "USD") for d in DAYS[3:]),
            *((OTHER, d, "JPY") for d in DAYS),
        }, endpoint


def test_dim_sellers_shows_each_sellers_latest_name(scenario):
    got = {(r["advertiser_id"], r["seller_id"]): r for r in scenario.dim_sellers}
    for adv, currency in ((ADV, "USD"), (OTHER, "JPY")):
        for seller in TRUTH.sellers(adv):
            row = got[(adv, int(seller["id"]))]
            assert (row["seller_name"], row["currency"]) == (seller["sellerName"], currency)
    assert got[(ADV, SELLER)]["seller_name"] == NEW_NAME
    assert got[(ADV, SELLER)]["is_in_seller_directory"]


def test_the_statement_splits_by_currency_and_each_part_equals_the_truth(scenario):
    expected = expected_statement(TRUTH, directory_rates(scenario.directory))
    assert {r["month"] for r in scenario.statement} == {date(2025, 3, 1)}
    got = {
        (r["advertiser_id"], r["seller_id"], r["currency"]): {k: r[k] for k in STATEMENT_COLUMNS}
        for r in scenario.statement
    }
    assert got == {k: {c: v[c] for c in STATEMENT_COLUMNS} for k, v in expected.items()}
    renamed = [
        (r["currency"], r["seller_name"]) for r in scenario.statement if r["seller_id"] == SELLER
    ]
    assert sorted(renamed) == [("EUR", NEW_NAME), ("USD", NEW_NAME)]


def test_the_pnl_bills_each_currency_part_on_its_own(scenario):
    expected = expected_statement(TRUTH, directory_rates(scenario.directory))
    # the premise: both currency parts of the renamed seller earn a commission
    assert expected[(ADV, SELLER, "EUR")]["commission_amount"] > 0
    assert expected[(ADV, SELLER, "USD")]["commission_amount"] > 0
    got = {
        (r["advertiser_id"], r["seller_id"], r["currency"]): {
            k: r[k] for k in (*PNL_COLUMNS, "contribution_margin")
        }
        for r in scenario.pnl
    }
    assert got == {
        k: {c: v[c] for c in (*PNL_COLUMNS, "contribution_margin")} for k, v in expected.items()
    }
