"""Windows sized by rows are pure: they cover the range in order, stay within the API's limits
and the cap, keep to the row budget when the estimate is right, and start small when it is not
known."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpo_pipeline.client.window_sizing import (
    EMPTY_GROWTH,
    FIRST_WINDOW_DAYS,
    TARGET_SHARE,
    WindowPlan,
    window_days,
)
from mpo_pipeline.client.windows import (
    MAX_HOUR_RANGE_DAYS,
    MAX_RANGE_DAYS,
    Window,
    days_in,
    plan_windows,
)

D = date.fromisoformat


def test_window_days() -> None:
    assert window_days(None, 500_000, 366) == FIRST_WINDOW_DAYS == 1
    assert window_days(20.0, 500_000, 366) == 366  # a small stream: the API's limit
    assert window_days(15_000.0, 500_000, 366) == 30  # 0.9 × 500,000 / 15,000
    assert window_days(15_000.0, 500_000, 7) == 7  # the cap
    assert window_days(2_000_000.0, 500_000, 366) == 1  # one day is the least there is
    assert window_days(0.0, 500_000, 31) == 31  # no rows: the limit, never more


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.0, 0, 366), "max_rows"),
        ((1.0, 10, 0), "limit"),
        ((-1.0, 10, 366), "rows_per_day"),
    ],
)
def test_window_days_rejects_nonsense(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        window_days(*args)


def _run(
    plan: WindowPlan, rows_on: list[int], start: date, fails_over: int | None = None
) -> tuple[list[Window], list[Window]]:
    """Drive ``plan`` like the client: (windows fetched, every window requested)."""
    fetched: list[Window] = []
    requested: list[Window] = []
    while (window := plan.next_window()) is not None:
        requested.append(window)
        if fails_over is not None and days_in(window) > fails_over:
            plan.split(window)
            continue
        first = (window[0] - start).days
        plan.record(window, sum(rows_on[first : first + days_in(window)]))
        fetched.append(window)
    return fetched, requested


def _assert_partition(windows: list[Window], start: date, end: date) -> None:
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for first, last in windows:
        assert first <= last
    for (_, prev_end), (next_start, _) in itertools.pairwise(windows):
        assert next_start == prev_end + timedelta(days=1)  # in order, no gap, no overlap


def test_a_small_stream_takes_one_window_for_a_year() -> None:
    start, end = D("2025-11-20"), D("2026-11-19")
    plan = WindowPlan(start, end, "Day", max_rows=500_000, rows_per_day=20.0)
    fetched, _ = _run(plan, [20] * 365, start)
    assert fetched == [(start, end)]


def test_an_unknown_stream_starts_with_one_day_then_sizes_from_it() -> None:
    start, end = D("2025-11-20"), D("2026-11-19")
    plan = WindowPlan(start, end, "Day", max_rows=500_000)
    fetched, _ = _run(plan, [15_000] * 365, start)
    assert days_in(fetched[0]) == 1
    assert {days_in(w) for w in fetched[1:-1]} == {30}  # 0.9 × 500,000 / 15,000
    assert len(fetched) == 1 + 13


def test_a_response_over_the_budget_shrinks_the_next_window() -> None:
    start = D("2026-01-01")
    plan = WindowPlan(start, D("2026-12-31"), "Day", max_rows=1_000, rows_per_day=10.0)
    first = plan.next_window()
    assert first is not None and days_in(first) == 90
    plan.record(first, 9_000)  # the estimate was ten times too low
    second = plan.next_window()
    assert second is not None and days_in(second) == 9


def test_an_empty_window_does_not_jump_to_the_limit() -> None:
    start = D("2026-01-01")
    plan = WindowPlan(start, D("2026-12-31"), "Day", max_rows=1_000)
    first = plan.next_window()
    assert first == (start, start)
    plan.record(first, 0)  # nothing yet (the account may start delivering tomorrow)
    second = plan.next_window()
    assert second is not None and days_in(second) == EMPTY_GROWTH
    plan.record(second, 0)
    third = plan.next_window()
    assert third is not None and days_in(third) == EMPTY_GROWTH**2
    plan.record(third, 64)
    fourth = plan.next_window()
    assert fourth == (D("2026-03-15"), D("2026-12-31"))  # 1 row a day: the rest at once


def test_a_failed_window_is_halved_and_later_ones_stay_below_it() -> None:
    start, end = D("2026-01-01"), D("2026-06-30")
    plan = WindowPlan(start, end, "Day", max_rows=1_000, rows_per_day=10.0)
    fetched, requested = _run(plan, [10] * 181, start, fails_over=40)
    assert days_in(requested[0]) == 90
    assert requested[1:3] == [
        (D("2026-01-01"), D("2026-02-14")),
        (D("2026-01-01"), D("2026-01-23")),
    ]
    _assert_partition(fetched, start, end)
    assert all(days_in(w) <= 23 for w in fetched)
    # Only the two halvings failed: every later window was planned small enough.
    assert len(requested) == len(fetched) + 2


def test_hour_windows_stop_at_31_days_and_the_cap_applies() -> None:
    plan = WindowPlan(D("2026-01-01"), D("2026-03-31"), "Hour", max_rows=10**6, rows_per_day=1.0)
    assert plan.next_window() == (D("2026-01-01"), D("2026-01-31"))
    capped = WindowPlan(
        D("2026-01-01"), D("2026-03-31"), "Day", max_rows=10**6, max_days=10, rows_per_day=1.0
    )
    assert capped.next_window() == (D("2026-01-01"), D("2026-01-10"))


def test_without_a_budget_windows_are_the_fixed_ones() -> None:
    start, end = D("2025-01-15"), D("2026-03-10")
    for interval, days in (("Day", None), ("Day", 10), ("Hour", 366), ("Month", None)):
        plan = WindowPlan(start, end, interval, max_rows=None, max_days=days)
        fetched, _ = _run(plan, [0] * 500, start)
        assert fetched == plan_windows(start, end, interval, days or 31)


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(
    start=dates,
    length=st.integers(0, 900),
    interval=st.sampled_from(["Day", "Hour"]),
    max_rows=st.integers(1, 2_000_000),
    max_days=st.none() | st.integers(1, 366),
    pattern=st.lists(st.integers(0, 100_000), min_size=1, max_size=30),
    hint=st.none() | st.floats(0, 200_000),
    fails_over=st.none() | st.integers(1, 60),
)
def test_adaptive_windows_property(
    start: date,
    length: int,
    interval: str,
    max_rows: int,
    max_days: int | None,
    pattern: list[int],
    hint: float | None,
    fails_over: int | None,
) -> None:
    end = start + timedelta(days=length)
    rows_on = [pattern[i % len(pattern)] for i in range(length + 1)]
    plan = WindowPlan(start, end, interval, max_rows=max_rows, max_days=max_days, rows_per_day=hint)
    fetched, requested = _run(plan, rows_on, start, fails_over)
    _assert_partition(fetched, start, end)
    limit = min(max_days or MAX_RANGE_DAYS, MAX_HOUR_RANGE_DAYS if interval == "Hour" else 366)
    assert all(days_in(w) <= limit for w in requested)
    if not hint:  # unknown: the first request is the safe small one
        assert days_in(requested[0]) == min(FIRST_WINDOW_DAYS, limit)
    for before, after in itertools.pairwise(fetched):
        first = (before[0] - start).days
        if sum(rows_on[first : first + days_in(before)]) == 0:
            assert days_in(after) <= EMPTY_GROWTH * days_in(before)


@given(
    start=dates,
    length=st.integers(0, 900),
    max_rows=st.integers(1, 2_000_000),
    rate=st.integers(1, 100_000),
    known=st.booleans(),
)
def test_a_right_estimate_keeps_every_response_within_the_budget(
    start: date, length: int, max_rows: int, rate: int, known: bool
) -> None:
    """With a steady stream, every response (bar a single day over the budget by itself) holds
    at most TARGET_SHARE of the budget, whether the estimate is given or learnt from the first
    (one-day) window."""
    end = start + timedelta(days=length)
    plan = WindowPlan(start, end, "Day", max_rows=max_rows, rows_per_day=rate if known else None)
    fetched, _ = _run(plan, [rate] * (length + 1), start)
    for window in fetched:
        if days_in(window) > 1:
            assert days_in(window) * rate <= max_rows * TARGET_SHARE
