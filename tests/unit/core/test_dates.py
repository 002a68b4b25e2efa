"""Load-range validation and time-zone arithmetic."""

from datetime import UTC, date, datetime

import pytest

from mpo_pipeline.core.dates import month_bounds, parse_month, validate_load_range, yesterday_in

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
    from mpo_pipeline.core.dates import lookback_window

    assert lookback_window(date(2026, 11, 28), 30, date(2025, 1, 1)) == (
        date(2026, 10, 29),
        date(2026, 11, 28),
    )
    assert lookback_window(date(2025, 1, 10), 30, date(2025, 1, 1)) == (
        date(2025, 1, 1),
        date(2025, 1, 10),
    )


def test_mpo_today_is_the_one_clock(monkeypatch):
    """MPO_TODAY pins "today" for every date question, whatever the machine's date."""
    from mpo_pipeline.core.dates import today_in

    monkeypatch.setenv("MPO_TODAY", "2026-10-26")
    assert today_in("Europe/Paris") == date(2026, 10, 26)
    assert yesterday_in("Asia/Tokyo") == date(2026, 10, 25)
    with pytest.raises(ValueError, match="END 2026-10-26 is after yesterday"):
        validate_load_range(
            "2026-10-01", "2026-10-26", first_day=date(2025, 1, 1), time_zone="Europe/Paris"
        )
    monkeypatch.setenv("MPO_TODAY", "2026-13-01")
    with pytest.raises(ValueError, match="MPO_TODAY"):
        today_in("UTC")
    # without MPO_TODAY (or with an explicit instant) the real clock answers
    assert today_in("Asia/Tokyo", NOW, env={}) == date(2026, 11, 29)


def test_partitions_end_the_day_before_mpo_today(monkeypatch):
    from mpo_pipeline.defs.ingest import partitions
    from mpo_pipeline.defs.resources import settings

    monkeypatch.setenv("MPO_TODAY", "2026-10-26")
    monkeypatch.setenv("MPO_START_DATE", "2026-09-01")
    monkeypatch.setenv("MPO_TIME_ZONE", "Europe/Paris")
    settings.cache_clear()
    try:
        keys = partitions.daily_partitions().get_partition_keys()
        months = partitions.monthly_partitions().get_partition_keys()
    finally:
        settings.cache_clear()
    assert (keys[0], keys[-1], len(keys)) == ("2026-09-01", "2026-10-25", 55)
    assert months == ["2026-09-01"]  # October is not over on 2026-10-26
