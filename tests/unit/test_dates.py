"""Load-range validation and time-zone arithmetic."""

from datetime import UTC, date, datetime

import pytest

from mpo_pipeline.dates import month_bounds, parse_month, validate_load_range, yesterday_in

NOW = datetime(2026, 11, 29, 1, 30, tzinfo=UTC)


def test_yesterday_depends_on_zone():
    assert yesterday_in("UTC", NOW) == date(2026, 11, 28)
    # 01:30 UTC is still the 28th in New York: its yesterday is the 27th.
    assert yesterday_in("America/New_York", NOW) == date(2026, 11, 27)
    assert yesterday_in("Asia/Tokyo", NOW) == date(2026, 11, 28)


def test_valid_range():
    got = validate_load_range(
        "2026-10-01", "2026-11-28", first_day=date(2025, 1, 1), time_zone="UTC", now=NOW
    )
    assert got == (date(2026, 10, 1), date(2026, 11, 28))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-10", "2026-11-01", "START 2026-11-10 is after END 2026-11-01"),
        ("2024-12-31", "2025-01-02", "before MPO_START_DATE 2025-01-01"),
        ("2026-11-01", "2026-11-29", "END 2026-11-29 is after yesterday (2026-11-28 in UTC)"),
        ("2026-11-1", "2026-11-02", "START='2026-11-1' is not a date"),
        ("2026-11-01", "tomorrow", "END='tomorrow' is not a date"),
    ],
)
def test_bad_ranges(start, end, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_load_range(start, end, first_day=date(2025, 1, 1), time_zone="UTC", now=NOW)


def test_months():
    assert month_bounds(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_month("2026-10") == date(2026, 10, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("2026-13")


def test_lookback_window():
    from mpo_pipeline.dates import lookback_window

    assert lookback_window(date(2026, 11, 28), 30, date(2025, 1, 1)) == (
        date(2026, 10, 29),
        date(2026, 11, 28),
    )
    assert lookback_window(date(2025, 1, 10), 30, date(2025, 1, 1)) == (
        date(2025, 1, 1),
        date(2025, 1, 10),
    )
