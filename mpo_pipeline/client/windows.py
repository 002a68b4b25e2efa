"""Splitting an inclusive date range into request windows the stats API accepts (pure).

The API allows at most one year per request (31 days with ``intervalSize=Hour``). ``Day`` and
``Hour`` windows hold at most ``request_window_days`` days. ``Month`` and ``Year`` windows are
aligned on month/year boundaries, so no bucket is cut in two by our own splitting (the API labels
a bucket by its first day even when the filter starts mid-bucket).
"""

from __future__ import annotations

from datetime import date, timedelta

INTERVALS: tuple[str, ...] = ("Hour", "Day", "Month", "Year")
MAX_RANGE_DAYS = 366
MAX_HOUR_RANGE_DAYS = 31

Window = tuple[date, date]


def days_in(window: Window) -> int:
    """Number of days in an inclusive window."""
    return (window[1] - window[0]).days + 1


def check_interval(interval: str) -> None:
    """Raise ``ValueError`` unless ``interval`` is one of the API's ``intervalSize`` values."""
    if interval not in INTERVALS:
        raise ValueError(
            f"unknown interval {interval!r}; expected one of {', '.join(INTERVALS)} "
            "(case-sensitive)"
        )


def max_window_days(interval: str, request_window_days: int) -> int:
    """Largest window (in days) used for ``interval`` given the configured window size."""
    check_interval(interval)
    if request_window_days < 1:
        raise ValueError(f"request_window_days must be at least 1, got {request_window_days}")
    if interval == "Hour":
        return min(request_window_days, MAX_HOUR_RANGE_DAYS)
    if interval == "Day":
        return min(request_window_days, MAX_RANGE_DAYS)
    return MAX_RANGE_DAYS


def split_windows(start: date, end: date, max_days: int) -> list[Window]:
    """Consecutive inclusive windows of at most ``max_days`` days covering ``[start, end]``."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    windows: list[Window] = []
    step = timedelta(days=max_days - 1)
    current = start
    while current <= end:
        last = min(current + step, end)
        windows.append((current, last))
        current = last + timedelta(days=1)
    return windows


def _month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def _bucket_start(day: date, interval: str, ahead: int = 0) -> date:
    if interval == "Year":
        return date(day.year + ahead, 1, 1)
    return _month_start(day, ahead)


def split_aligned(start: date, end: date, interval: str) -> list[Window]:
    """Windows for ``Month`` (up to 12 months) or ``Year`` (one calendar year), bucket-aligned."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    per_window = 12 if interval == "Month" else 1
    windows: list[Window] = []
    current = start
    while current <= end:
        next_start = _bucket_start(current, interval, per_window)
        last = min(next_start - timedelta(days=1), end)
        windows.append((current, last))
        current = last + timedelta(days=1)
    return windows


def plan_windows(start: date, end: date, interval: str, request_window_days: int) -> list[Window]:
    """The windows ``iter_stats`` requests for ``[start, end]`` at ``interval``."""
    limit = max_window_days(interval, request_window_days)
    if interval in ("Month", "Year"):
        return split_aligned(start, end, interval)
    return split_windows(start, end, limit)


def _buckets(start: date, end: date, interval: str) -> list[Window]:
    """One window per month or calendar year touched by ``[start, end]``."""
    buckets: list[Window] = []
    current = start
    while current <= end:
        last = min(_bucket_start(current, interval, 1) - timedelta(days=1), end)
        buckets.append((current, last))
        current = last + timedelta(days=1)
    return buckets


def halve(window: Window, interval: str = "Day") -> tuple[Window, Window]:
    """Split a window of two days or more in two, on a bucket boundary when one falls inside.

    For day-sized buckets the first half gets the extra day: 31 days -> 16 + 15.
    """
    start, end = window
    if end <= start:
        raise ValueError(f"cannot halve the one-day window {start}")
    if interval in ("Month", "Year"):
        buckets = _buckets(start, end, interval)
        if len(buckets) >= 2:
            middle = (len(buckets) + 1) // 2
            return (start, buckets[middle - 1][1]), (buckets[middle][0], end)
    middle_day = start + timedelta(days=(days_in(window) - 1) // 2)
    return (start, middle_day), (middle_day + timedelta(days=1), end)
