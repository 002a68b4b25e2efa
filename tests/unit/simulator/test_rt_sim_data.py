"""Real-time data of the simulator: consistent with the Standard API's Hour rows, switch-offs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from mpo_pipeline.simulator import SimulatorConfig
from mpo_pipeline.simulator.realtime_service import realtime_of
from mpo_pipeline.simulator.state import SimulatorState

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def state() -> SimulatorState:
    config = SimulatorConfig(seed=11, advertisers=2, campaigns=3, sellers=40, today=TODAY)
    return SimulatorState.create(config)


def _hourly(table) -> tuple[Counter, Counter, Counter]:  # type: ignore[no-untyped-def]
    """Per (campaign, seller, day, hour): counts, cost (exact Decimal sum) and minute rows."""
    counts: Counter = Counter()
    cost: Counter = Counter()
    rows: Counter = Counter()
    for r in table.to_pylist():
        key = (r["campaignId"], r["sellerId"], r["day"], r["hour"])
        counts[(*key, "clicks")] += r["clicks"]
        counts[(*key, "displays")] += r["displays"]
        cost[key] += Decimal(repr(r["cost"]))
        rows[key] += 1
    return +counts, cost, rows


@pytest.mark.parametrize(("advertiser", "minor"), [(41111, Decimal("0.01")), (42222, Decimal(1))])
def test_minutes_add_up_to_the_standard_hours(
    state: SimulatorState, advertiser: int, minor: Decimal
) -> None:
    rt = realtime_of(state)
    rt.configure(latency_minutes=0, now_offset=timedelta(0))
    start, end = datetime(2026, 2, 28, 12, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)
    minutes = rt.truth((advertiser,), start, end)
    standard = state.truth.exact_stats(
        "seller_campaigns",
        "SameSeller",
        advertiser,
        date(2026, 2, 28),
        TODAY,
        interval="Hour",
        time_zone="UTC",
    )
    expected: Counter = Counter()
    exact_cost: dict = {}
    for r in standard.to_pylist():
        if r["hour"] < start.replace(tzinfo=None):
            continue
        key = (r["campaignId"], r["sellerId"], r["hour"].date().isoformat(), r["hour"].hour)
        expected[(*key, "clicks")] += r["clicks"]
        expected[(*key, "displays")] += r["impressions"]
        exact_cost[key] = r["cost"]
    counts, cost, rows = _hourly(minutes)
    assert counts == +expected
    assert sum(v for k, v in expected.items() if k[-1] == "clicks") > 100
    # Cost: each minute row is rounded to the currency's minor unit on its own (a minute rounded
    # to 0 without displays or clicks is left out), so the minutes of an hour are within half a
    # minor unit per minute of the exact hour.
    assert set(cost) <= set(exact_cost)
    gaps = [abs(cost.get(k, Decimal(0)) - v) for k, v in exact_cost.items()]
    assert all(gap <= 60 * minor / 2 for gap in gaps)
    assert all(v == v.quantize(minor) for v in cost.values())
    assert any(gap > 0 for gap in gaps) and max(rows.values()) <= 60


def test_switch_off_silences_a_seller_campaign(state: SimulatorState) -> None:
    rt = realtime_of(state)
    rt.configure(latency_minutes=0)
    rt.clear_switch_offs()
    before = rt.truth((41111,), rt.now() - timedelta(hours=3)).to_pylist()
    busiest = Counter((r["campaignId"], r["sellerId"]) for r in before).most_common(1)[0][0]
    at = rt.now() - timedelta(minutes=90)
    rt.switch_off(41111, *busiest, at=at)
    try:
        after = rt.truth((41111,), rt.now() - timedelta(hours=3)).to_pylist()
    finally:
        rt.clear_switch_offs()

    def minutes(rows: list[dict], later: bool) -> list[dict]:
        cut = (at.hour, at.minute)
        mine = [r for r in rows if (r["campaignId"], r["sellerId"]) == busiest]
        return [r for r in mine if ((r["hour"], r["minute"]) >= cut) == later]

    assert minutes(before, True) and not minutes(after, True)
    assert minutes(after, False) == minutes(before, False)
    others = [r for r in after if (r["campaignId"], r["sellerId"]) != busiest]
    assert others == [r for r in before if (r["campaignId"], r["sellerId"]) != busiest]


def test_now_follows_the_clock_and_offset(state: SimulatorState) -> None:
    rt = realtime_of(state)
    rt.configure(now_offset=timedelta(minutes=-30), latency_minutes=10)
    try:
        assert rt.now() == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
        assert rt.data_horizon() == datetime(2026, 3, 1, 11, 20, tzinfo=UTC)
    finally:
        rt.configure(now_offset=timedelta(0))


def test_coarser_dimensions_and_time_zones_regroup_the_same_minutes(state: SimulatorState) -> None:
    rt = realtime_of(state)
    rt.configure(latency_minutes=0, now_offset=timedelta(0))
    start, end = datetime(2026, 3, 1, 9, 30, tzinfo=UTC), datetime(2026, 3, 1, 12, tzinfo=UTC)
    minutes = rt.truth((41111,), start, end).to_pylist()
    by_campaign = rt.truth((41111,), start, end, dimensions=("CampaignId", "Hour")).to_pylist()
    expected: Counter = Counter()
    for r in minutes:
        expected[(r["campaignId"], r["hour"])] += r["clicks"]
    assert {(r["campaignId"], r["hour"]): r["clicks"] for r in by_campaign} == dict(expected)
    paris = rt.truth((41111,), start, end, time_zone="Europe/Paris").to_pylist()
    assert [(r["hour"] - 1, r["minute"], r["clicks"]) for r in paris] == [
        (r["hour"], r["minute"], r["clicks"]) for r in minutes
    ]
