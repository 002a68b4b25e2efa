"""Sizing stats request windows by rows, one window at a time (pure: no I/O, no clock).

A response's cost in memory is its rows, and a stream (endpoint × policy × advertiser) delivers
rows at a rate per day that spans four orders of magnitude: ``campaigns`` has one row per campaign
and day, ``seller_campaigns`` one per active seller-campaign and day. Fixed windows either waste
calls on the small streams or hold too much of the large ones. A :class:`WindowPlan` instead
sizes each ``Day``/``Hour`` window from the rows per day of the stream, so that a response stays
under ``max_rows`` rows:

- the first window of a stream with no estimate is :data:`FIRST_WINDOW_DAYS` day (safe whatever
  the account); a caller may pass an estimate instead (rows per day seen before);
- after each window the rows per day it held become the estimate, and the next window is
  ``TARGET_SHARE × max_rows / estimate`` days: a response bigger than expected only shrinks the
  next window;
- a window that held no rows says little about the next days: the next one grows at most
  :data:`EMPTY_GROWTH` times, never straight to the limit;
- windows never exceed the API's limit (366 days; 31 for ``Hour``) nor ``max_days`` when set;
- a window that fails is halved (:func:`~.windows.halve`) and later windows stay at most the
  size of its first half: the server has told us what it cannot answer.

``max_rows=None`` keeps fixed windows of ``max_days`` (31 by default) days; ``Month`` and
``Year`` windows are always bucket-aligned and up to a year (:func:`~.windows.split_aligned`).
"""

from __future__ import annotations

from datetime import date, timedelta

from .windows import (
    MAX_RANGE_DAYS,
    Window,
    days_in,
    halve,
    max_window_days,
    split_aligned,
    split_windows,
)

DEFAULT_MAX_ROWS_PER_REQUEST = 1_000_000
# Windows are planned for this share of the budget: the rate moves a little from one window to
# the next (growth, weekdays), and a response over the budget costs memory.
TARGET_SHARE = 0.9
FIRST_WINDOW_DAYS = 1
EMPTY_GROWTH = 8
FIXED_WINDOW_DAYS = 31


def window_days(rows_per_day: float | None, max_rows: int, limit: int) -> int:
    """Days of the next window for a stream of ``rows_per_day`` (``None`` = unknown).

    Unknown: :data:`FIRST_WINDOW_DAYS`. No rows: ``limit``. Otherwise as many days as keep
    ``rows_per_day × days`` within ``TARGET_SHARE × max_rows``; always in ``1..limit``.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if rows_per_day is None:
        return min(FIRST_WINDOW_DAYS, limit)
    if not rows_per_day >= 0:
        raise ValueError(f"rows_per_day must be a number >= 0, got {rows_per_day}")
    if rows_per_day == 0:
        return limit
    fit = max_rows * TARGET_SHARE / rows_per_day
    return limit if fit >= limit else max(1, int(fit))


class WindowPlan:
    """The request windows of one stats range ``[start, end]``, handed out one at a time.

    ``next_window()`` returns the next window to request (``None`` once the range is covered);
    the caller then either ``record(window, rows)`` (the window was fetched) or ``split(window)``
    (it failed: its halves come next). Windows come out in order, never overlap, and the
    recorded ones cover the range exactly.
    """

    def __init__(
        self,
        start: date,
        end: date,
        interval: str,
        *,
        max_rows: int | None,
        max_days: int | None = None,
        rows_per_day: float | None = None,
    ) -> None:
        if start > end:
            raise ValueError(f"start {start} is after end {end}")
        if max_rows is not None and max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        if max_days is not None and not 1 <= max_days <= MAX_RANGE_DAYS:
            raise ValueError(f"max_days must be in 1..{MAX_RANGE_DAYS}, got {max_days}")
        self.interval = interval
        self.max_rows = max_rows
        self.adaptive = max_rows is not None and interval in ("Day", "Hour")
        cap = max_days if max_days is not None else MAX_RANGE_DAYS
        if max_rows is None and max_days is None:
            cap = FIXED_WINDOW_DAYS
        self.limit = max_window_days(interval, cap)
        self.rows_per_day = rows_per_day if rows_per_day is None or rows_per_day > 0 else None
        self._end = end
        self._next_start = start
        self._growth_cap: int | None = None
        # Windows to request before planning more (a stack: the next one last).
        self._pending: list[Window] = []
        if not self.adaptive:
            if interval in ("Month", "Year"):
                planned = split_aligned(start, end, interval)
            else:
                planned = split_windows(start, end, self.limit)
            self._pending = planned[::-1]
            self._next_start = end + timedelta(days=1)

    def next_window(self) -> Window | None:
        """The next window to request, or ``None`` when the range is covered."""
        if self._pending:
            return self._pending.pop()
        if self._next_start > self._end:
            return None
        days = self._next_days()
        last = min(self._next_start + timedelta(days=days - 1), self._end)
        window = (self._next_start, last)
        self._next_start = last + timedelta(days=1)
        return window

    def _next_days(self) -> int:
        max_rows = self.max_rows if self.max_rows is not None else DEFAULT_MAX_ROWS_PER_REQUEST
        days = window_days(self.rows_per_day, max_rows, self.limit)
        if self._growth_cap is not None:
            days = min(days, self._growth_cap)
        return days

    def record(self, window: Window, rows: int) -> None:
        """``window`` was fetched and held ``rows`` rows: the estimate for what follows."""
        if rows < 0:
            raise ValueError(f"rows must not be negative, got {rows}")
        days = days_in(window)
        self.rows_per_day = rows / days
        self._growth_cap = max(days, 1) * EMPTY_GROWTH if rows == 0 else None

    def split(self, window: Window) -> tuple[Window, Window]:
        """``window`` failed: its first half comes next (see ``halve``), then the second.

        Fixed windows request both halves as they are. Sized ones request the first half, then
        plan again from the second half's first day, never above the first half's days.
        """
        first, second = halve(window, self.interval)
        if self.adaptive:
            self.limit = min(self.limit, days_in(first))
            self._pending.append(first)
            self._next_start = second[0]
        else:
            self._pending.extend((second, first))
        return first, second
