"""Money: exact in the world, each served row rounded on its own, exact text, exact decimals."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_unit_helpers import HALF_MICRO, TODAY, half_unit, money_sums, served_from_exact

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig, aggregate
from mpo_pipeline.simulator.money import Money, money_text, served_cost, to_decimal128

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXED = re.compile(r"(0|[1-9]\d*)(\.\d*[1-9])?")
EXPONENT = re.compile(r"[1-9](\.\d*[1-9])?E-\d+")
SERVED_EXPONENT = re.compile(r"[1-9](\.\d{0,2}[1-9])?E-\d+")  # 4 significant digits at most
NANO = Decimal("1E-9")
KEYS = {
    "sellers": ("sellerId",),
    "campaigns": ("campaignId",),
    "seller_campaigns": ("campaignId", "sellerId"),
}

amounts = st.one_of(
    st.integers(0, 10**6),  # below 0.001
    st.integers(0, 10**12),
    st.integers(2**63 - 10**12, 2**63 + 10**12),  # around int64's limit in nanos
    st.integers(10**18, 10**24),
    st.integers(0, 10**27),  # decimal128(38, 9) holds 29 integer digits
)


def _money(values: list[int]) -> Money:
    units = np.array([v // 10**9 for v in values], np.int64)
    return Money(units, np.array([v % 10**9 for v in values], np.int64))


@pytest.fixture(scope="module")
def truth() -> GroundTruth:
    return GroundTruth(SimulatorConfig(today=TODAY))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(amounts, min_size=1, max_size=30))
def test_text_is_exact_and_shortest(values):
    texts = money_text(_money(values)).to_pylist()
    for v, text in zip(values, texts, strict=True):
        assert Decimal(text) == v * NANO, text
        small = 0 < v < 10**6
        assert (EXPONENT if small else FIXED).fullmatch(text), text


@settings(max_examples=200, deadline=None)
@given(values=st.lists(amounts, min_size=1, max_size=30))
def test_served_cost_is_each_value_rounded_on_its_own(values):
    served = served_cost(_money(values))
    for v, text in zip(values, money_text(served).to_pylist(), strict=True):
        exact = v * NANO
        assert Decimal(text) == served_from_exact(exact)
        assert abs(Decimal(text) - exact) <= half_unit(exact)
        if exact >= Decimal("0.001"):
            assert FIXED.fullmatch(text) and len(text.partition(".")[2]) <= 6
        elif exact > 0:
            assert SERVED_EXPONENT.fullmatch(text) or text == "0.001", text


@settings(max_examples=100, deadline=None)
@given(values=st.lists(amounts, min_size=1, max_size=30))
def test_decimals_are_exact_even_past_int64(values):
    assert to_decimal128(_money(values)).to_pylist() == [v * NANO for v in values]


def test_half_even_ties_and_four_significant_digits():
    cases = {
        1_234_567_500: "1.234568",  # tie, odd last digit: up
        1_234_566_500: "1.234566",  # tie, even last digit: down
        1_234_566_501: "1.234567",
        999_999_500: "1",
        8_308_499: "0.008308",
        999_950: "0.001",  # 0.00099995 -> 4 significant digits: 0.001000, no longer tiny
        999_949: "9.999E-4",
        8_308: "8.308E-6",
        83_085: "8.308E-5",  # tie at the 4th significant digit, even: down
        83_095: "8.31E-5",
        12: "1.2E-8",
        0: "0",
        190_758_099 * 10**9: "190758099",
    }
    served = money_text(served_cost(_money(list(cases)))).to_pylist()
    assert dict(zip(cases, served, strict=True)) == cases


@FAST
@given(
    seed=st.integers(0, 10**6),
    advertisers=st.integers(1, 2),
    endpoint=st.sampled_from(sorted(KEYS)),
    interval=st.sampled_from(["Hour", "Day", "Month", "Year"]),
    zone=st.sampled_from([None, "UTC", "Asia/Kolkata", "America/New_York"]),
    start=st.dates(date(2024, 6, 20), TODAY),
    days=st.integers(0, 20),
)
def test_served_rows_are_rounded_one_by_one(
    seed, advertisers, endpoint, interval, zone, start, days
):
    cfg = SimulatorConfig(seed=seed, advertisers=advertisers, campaigns=3, sellers=25, today=TODAY)
    truth = GroundTruth(cfg)
    rng = (start, min(start + timedelta(days=days), TODAY))
    args = (endpoint, "Both", None, *rng)
    served = truth.stats(*args, interval=interval, time_zone=zone)
    exact = truth.exact_stats(*args, interval=interval, time_zone=zone)
    assert served.column_names == exact.column_names and served.schema == exact.schema
    # Not compared: cost, and the ratios computed from it (served vs exact bases).
    fixed = [c for c in served.column_names if not c.startswith(("cost", "cpo", "cos", "roas"))]
    assert served.select(fixed).equals(exact.select(fixed))  # revenue is served exactly
    for s, e in zip(served["cost"].to_pylist(), exact["cost"].to_pylist(), strict=True):
        assert s == served_from_exact(e) and abs(s - e) <= half_unit(e)


def _day_totals(truth: GroundTruth, endpoint: str, start: date, end: date) -> dict:
    return money_sums(truth.stats(endpoint, "AnySeller", 41111, start, end), ("day",))


def test_endpoint_totals_of_a_day_differ_within_the_rounding(truth):
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    exact = {
        ep: money_sums(truth.exact_stats(ep, "AnySeller", 41111, start, end), ("day",))
        for ep in KEYS
    }
    served = {ep: _day_totals(truth, ep, start, end) for ep in KEYS}
    differences = 0
    for day, (total, rows) in served["seller_campaigns"].items():
        assert exact["seller_campaigns"][day][0] == exact["campaigns"][day][0]
        assert exact["seller_campaigns"][day][0] == exact["sellers"][day][0]
        for other in ("campaigns", "sellers"):
            other_total, other_rows = served[other][day]
            gap = abs(total - other_total)
            assert gap <= (rows + other_rows) * HALF_MICRO
            differences += gap > 0
    assert differences > 10  # the real API's endpoints disagree in the last decimals too


def test_month_rows_differ_from_their_days_within_the_rounding(truth):
    start, end = date(2025, 12, 1), date(2026, 10, 31)
    keys = ("campaignId",)
    days = truth.stats("campaigns", "AnySeller", None, start, end)
    months = truth.stats("campaigns", "AnySeller", None, start, end, interval="Month")
    by_day = money_sums(
        days.append_column("month", [[d.replace(day=1) for d in days["day"].to_pylist()]]),
        ("month", *keys),
    )
    by_month = money_sums(months, ("month", *keys))
    assert by_month.keys() == by_day.keys()
    gaps = [abs(by_month[k][0] - by_day[k][0]) for k in by_month]
    for k, gap in zip(by_month, gaps, strict=True):
        assert gap <= (1 + by_day[k][1]) * HALF_MICRO
    assert sum(g > 0 for g in gaps) > len(gaps) // 2


def test_tiny_costs_are_served_with_four_significant_digits(truth):
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    costs = truth.stats("seller_campaigns", "AnySeller", None, start, end)["cost"].to_pylist()
    tiny = [c for c in costs if 0 < c < Decimal("0.001")]
    assert tiny, "the default world has day rows with displays but next to no cost"
    assert all(len(c.normalize().as_tuple().digits) <= 4 for c in tiny)
    assert any(-c.normalize().as_tuple().exponent > 6 for c in tiny)  # more than 6 decimals


def test_sums_stay_exact_past_int64(monkeypatch):
    """Cells near 1e17 nanos: a Month row sums past 2**63 and is still exact."""
    real = aggregate.daily_final

    def huge(world, adv, sc, days):  # type: ignore[no-untyped-def]
        out = real(world, adv, sc, days)
        out["cost"] = np.where(out["impressions"] > 0, 4 * 10**17 + 123_456_789, 0)
        out["ivt_cost"] = np.zeros_like(out["cost"])
        return out

    monkeypatch.setattr(aggregate, "daily_final", huge)
    cfg = SimulatorConfig(seed=3, advertisers=1, campaigns=2, sellers=6, today=TODAY)
    truth = GroundTruth(cfg)
    start, end = date(2026, 1, 1), date(2026, 1, 31)
    args = ("campaigns", "AnySeller", None, start, end)
    days = money_sums(truth.exact_stats(*args, time_zone="America/New_York"), ("campaignId",))
    month = truth.exact_stats(*args, interval="Month", time_zone="America/New_York")
    months = money_sums(month, ("campaignId",))
    assert max(total for total, _ in months.values()) > (2**63) * NANO
    assert {k: v[0] for k, v in months.items()} == {k: v[0] for k, v in days.items()}
    served = truth.stats(*args, interval="Month", time_zone="America/New_York")
    for s, e in zip(served["cost"].to_pylist(), month["cost"].to_pylist(), strict=True):
        assert s == served_from_exact(e)
