"""Date arithmetic: complete days in the reporting time zone, load ranges, months."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def parse_date(value: str, name: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly; the error names the variable and the bad value."""
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date of the form YYYY-MM-DD") from None


TODAY_VARIABLE = "MPO_TODAY"


def today_in(
    time_zone: str, now: datetime | None = None, env: Mapping[str, str] | None = None
) -> date:
    """The pipeline's "today": ``MPO_TODAY`` when set, else the current day in ``time_zone``.

    The one clock of the pipeline: whether a month is over, which day is yesterday, what the
    demo and the checks call the latest complete day. ``MPO_TODAY`` (YYYY-MM-DD, a day in
    ``MPO_TIME_ZONE``) pins it for tests, re-runs of a past morning and operations; ``now`` is
    for unit tests of the real-clock path.
    """
    raw = ((os.environ if env is None else env).get(TODAY_VARIABLE) or "").strip()
    if raw and now is None:
        return parse_date(raw, TODAY_VARIABLE)
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(time_zone)).date()


def yesterday_in(time_zone: str, now: datetime | None = None) -> date:
    """The last complete day in ``time_zone`` (the newest daily partition)."""
    return today_in(time_zone, now) - timedelta(days=1)


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month containing ``month``."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def parse_month(value: str) -> date:
    """Parse ``YYYY-MM`` into the first day of that month."""
    try:
        if len(value) != 7:
            raise ValueError
        return date.fromisoformat(value + "-01")
    except ValueError:
        raise ValueError(f"MONTH={value!r} is not a month of the form YYYY-MM") from None


def lookback_window(yesterday: date, lookback_days: int, first_day: date) -> tuple[date, date]:
    """Yesterday plus the ``lookback_days`` before it, never before the first partition."""
    return max(first_day, yesterday - timedelta(days=lookback_days)), yesterday


def validate_load_range(
    start: str, end: str, *, first_day: date, time_zone: str, now: datetime | None = None
) -> tuple[date, date]:
    """Check a user's inclusive ``START..END`` against the loadable days; explain any problem."""
    start_day = parse_date(start, "START")
    end_day = parse_date(end, "END")
    last_day = yesterday_in(time_zone, now)
    if start_day > end_day:
        raise ValueError(f"START {start_day} is after END {end_day}")
    if start_day < first_day:
        raise ValueError(
            f"START {start_day} is before MPO_START_DATE {first_day}, the first daily partition"
        )
    if end_day > last_day:
        raise ValueError(
            f"END {end_day} is after yesterday ({last_day} in {time_zone}): only complete days load"
        )
    return start_day, end_day
