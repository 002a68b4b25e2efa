"""Window splitting is pure: exact coverage, no overlap, each window within its limit."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpo_pipeline.client.windows import (
    days_in,
    halve,
    max_window_days,
    plan_windows,
    split_windows,
)

D = date.fromisoformat


def test_split_31_day_windows() -> None:
    assert split_windows(D("2026-01-01"), D("2026-03-05"), 31) == [
        (D("2026-01-01"), D("2026-01-31")),
        (D("2026-02-01"), D("2026-03-03")),
        (D("2026-03-04"), D("2026-03-05")),
    ]


def test_single_day_and_exact_fit() -> None:
    assert split_windows(D("2026-01-01"), D("2026-01-01"), 31) == [(D("2026-01-01"),) * 2]
    assert split_windows(D("2026-01-01"), D("2026-01-31"), 31) == [
        (D("2026-01-01"), D("2026-01-31"))
    ]


def test_invalid_ranges() -> None:
    with pytest.raises(ValueError, match="after"):
        split_windows(D("2026-01-02"), D("2026-01-01"), 31)
    with pytest.raises(ValueError, match="at least 1"):
        split_windows(D("2026-01-01"), D("2026-01-02"), 0)
    with pytest.raises(ValueError, match="unknown interval 'day'"):
        max_window_days("day", 31)


def test_limits_per_interval() -> None:
    assert max_window_days("Day", 31) == 31
    assert max_window_days("Day", 366) == 366
    assert max_window_days("Hour", 90) == 31
    assert max_window_days("Hour", 7) == 7
    assert max_window_days("Month", 31) == 366
    assert max_window_days("Year", 1) == 366


def test_month_windows_are_month_aligned_and_at_most_a_year() -> None:
    windows = plan_windows(D("2025-01-15"), D("2026-03-10"), "Month", 31)
    assert windows == [
        (D("2025-01-15"), D("2025-12-31")),
        (D("2026-01-01"), D("2026-03-10")),
    ]
    # The whole range in one request when it fits in a year.
    assert plan_windows(D("2026-01-01"), D("2026-06-30"), "Month", 31) == [
        (D("2026-01-01"), D("2026-06-30"))
    ]


def test_year_windows_are_calendar_years() -> None:
    assert plan_windows(D("2024-06-01"), D("2026-02-01"), "Year", 31) == [
        (D("2024-06-01"), D("2024-12-31")),
        (D("2025-01-01"), D("2025-12-31")),
        (D("2026-01-01"), D("2026-02-01")),
    ]


def test_hour_windows_capped_at_31_days() -> None:
    windows = plan_windows(D("2026-01-01"), D("2026-03-31"), "Hour", 366)
    assert all(days_in(w) <= 31 for w in windows)
    assert windows[0] == (D("2026-01-01"), D("2026-01-31"))


def test_halve() -> None:
    assert halve((D("2026-03-01"), D("2026-03-31"))) == (
        (D("2026-03-01"), D("2026-03-16")),
        (D("2026-03-17"), D("2026-03-31")),
    )
    assert halve((D("2026-03-01"), D("2026-03-02"))) == (
        (D("2026-03-01"), D("2026-03-01")),
        (D("2026-03-02"), D("2026-03-02")),
    )
    with pytest.raises(ValueError, match="one-day"):
        halve((D("2026-03-01"), D("2026-03-01")))
    # Month windows split on a month boundary when one falls inside.
    assert halve((D("2026-01-10"), D("2026-04-20")), "Month") == (
        (D("2026-01-10"), D("2026-02-28")),
        (D("2026-03-01"), D("2026-04-20")),
    )
    # ... and by days inside a single month.
    assert halve((D("2026-01-10"), D("2026-01-20")), "Month") == (
        (D("2026-01-10"), D("2026-01-15")),
        (D("2026-01-16"), D("2026-01-20")),
    )


def _assert_partition(windows: list[tuple[date, date]], start: date, end: date, limit: int) -> None:
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for first, last in windows:
        assert first <= last
        assert days_in((first, last)) <= limit
    for (_, prev_end), (next_start, _) in itertools.pairwise(windows):
        assert next_start == prev_end + timedelta(days=1)  # no gap, no overlap


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(start=dates, length=st.integers(0, 1200), limit=st.integers(1, 400))
def test_split_property(start: date, length: int, limit: int) -> None:
    end = start + timedelta(days=length)
    windows = split_windows(start, end, limit)
    _assert_partition(windows, start, end, limit)
    assert sum(days_in(w) for w in windows) == length + 1


@given(
    start=dates,
    length=st.integers(0, 1200),
    window=st.integers(1, 366),
    interval=st.sampled_from(["Hour", "Day", "Month", "Year"]),
)
def test_plan_property(start: date, length: int, window: int, interval: str) -> None:
    end = start + timedelta(days=length)
    windows = plan_windows(start, end, interval, window)
    _assert_partition(windows, start, end, max_window_days(interval, window))


@given(start=dates, length=st.integers(1, 400), interval=st.sampled_from(["Day", "Month", "Year"]))
def test_halve_property(start: date, length: int, interval: str) -> None:
    end = start + timedelta(days=length)
    first, second = halve((start, end), interval)
    _assert_partition([first, second], start, end, length + 1)
