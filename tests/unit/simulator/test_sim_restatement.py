"""Restatements: recent days change with the clock, old days never do."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_unit_helpers import totals

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig
from mpo_pipeline.simulator.restatement import FINAL_AFTER_DAYS

DAY = date(2026, 9, 14)
ZONES = (None, "UTC", "Asia/Tokyo", "America/New_York")


@pytest.fixture(scope="module")
def truth() -> GroundTruth:
    return GroundTruth(SimulatorConfig(seed=7, advertisers=2, campaigns=3, sellers=60))


def _day_totals(truth, day, today, zone=None, endpoint="campaigns"):
    t = truth.exact_stats(endpoint, "Both", None, day, day, time_zone=zone, today=today)
    return totals(t, ())[()] if t.num_rows else (0,) * 7


@pytest.mark.parametrize("zone", ZONES)
def test_old_days_are_identical_under_two_clocks(truth, zone):
    start, end = date(2026, 6, 1), date(2026, 6, 30)
    a = truth.stats(
        "seller_campaigns", "Both", None, start, end, time_zone=zone, today=date(2026, 8, 1)
    )
    b = truth.stats(
        "seller_campaigns", "Both", None, start, end, time_zone=zone, today=date(2027, 3, 1)
    )
    assert a.num_rows > 100 and a.equals(b)
    exact = [
        truth.exact_stats("seller_campaigns", "Both", None, start, end, time_zone=zone, today=clock)
        for clock in (date(2026, 8, 1), date(2027, 3, 1))
    ]
    assert exact[0].equals(exact[1]) and not exact[0].equals(a)  # served rows are rounded


@pytest.mark.parametrize("zone", ZONES)
def test_recent_days_change_with_the_clock(truth, zone):
    a = truth.stats(
        "sellers", "Both", None, DAY - timedelta(days=3), DAY, time_zone=zone, today=DAY
    )
    b = truth.stats(
        "sellers",
        "Both",
        None,
        DAY - timedelta(days=3),
        DAY,
        time_zone=zone,
        today=DAY + timedelta(days=2),
    )
    assert not a.equals(b)


@pytest.mark.parametrize("zone", ZONES)
def test_sales_grow_cost_shrinks_then_the_day_is_final(truth, zone):
    ages = range(0, FINAL_AFTER_DAYS + 4)
    seen = [_day_totals(truth, DAY, DAY + timedelta(days=a), zone) for a in ages]
    imp, clicks, cost, s_same, r_same, s_any, r_any = zip(*seen, strict=True)
    for series in (s_same, r_same, s_any, r_any):
        assert list(series) == sorted(series)  # non-decreasing with age
    assert s_any[1] < s_any[-1]  # sales really matured
    # From age 1 (age 0 is a partial day) clicks and cost only go down: invalid traffic removed.
    assert list(clicks[1:]) == sorted(clicks[1:], reverse=True)
    assert list(cost[1:]) == sorted(cost[1:], reverse=True) and cost[1] > cost[-1]
    assert len(set(imp[1:])) == 1  # impressions are never restated (age 0 is a partial day)
    # A local day spans two UTC days: final once the later one is FINAL_AFTER_DAYS old.
    assert len(set(seen[FINAL_AFTER_DAYS + 1 :])) == 1
    for same, anys in zip(s_same, s_any, strict=True):
        assert same <= anys


def test_today_is_a_partial_day_until_noon_utc(truth):
    hours = truth.stats(
        "campaigns", "Both", None, DAY, DAY, interval="Hour", time_zone="UTC", today=DAY
    )
    assert hours.num_rows > 0
    assert max(h.hour for h in hours["hour"].to_pylist()) == 11
    later = truth.stats(
        "campaigns",
        "Both",
        None,
        DAY,
        DAY,
        interval="Hour",
        time_zone="UTC",
        today=DAY + timedelta(days=1),
    )
    assert max(h.hour for h in later["hour"].to_pylist()) == 23


def test_future_dates_are_refused(truth):
    with pytest.raises(ValueError):
        truth.stats("campaigns", "AnySeller", None, DAY, DAY + timedelta(days=1), today=DAY)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6), age=st.integers(0, 12), step=st.integers(1, 5))
def test_sales_never_decrease_and_same_seller_stays_below(seed, age, step):
    truth = GroundTruth(SimulatorConfig(seed=seed, advertisers=1, campaigns=2, sellers=30))
    day = date(2026, 3, 20)
    early = truth.exact_stats(
        "seller_campaigns", "Both", None, day, day, today=day + timedelta(days=age)
    )
    late = truth.exact_stats(
        "seller_campaigns", "Both", None, day, day, today=day + timedelta(days=age + step)
    )
    key = ("campaignId", "sellerId")
    before, after = totals(early, key), totals(late, key)
    for k, v in before.items():
        w = after.get(k, (0,) * 7)
        assert v[3] <= w[3] and v[5] <= w[5] and v[4] <= w[4] and v[6] <= w[6]
        assert w[3] <= w[5] and w[4] <= w[6]
