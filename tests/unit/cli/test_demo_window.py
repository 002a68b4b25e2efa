"""The demo's load window always holds the whole last complete month, so it can be closed."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mpo_pipeline.cli.demo import DEMO_DAYS, _last_complete_month, demo_start
from mpo_pipeline.core.dates import month_bounds


def test_sixty_days_ending_on_the_30th_of_august_start_on_the_first_of_july():
    # July is the last complete month on 2026-08-30, and Aug 30 - 59 days is July 2.
    assert demo_start(date(2026, 8, 30)) == date(2026, 7, 1)
    assert demo_start(date(2026, 11, 28)) == date(2026, 9, 30)
    assert _last_complete_month(date(2026, 10, 31)) == date(2026, 10, 1)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_window_has_sixty_days_at_least_and_a_whole_complete_month(yesterday):
    start = demo_start(yesterday)
    month = _last_complete_month(yesterday)
    assert (yesterday - start).days + 1 >= DEMO_DAYS
    assert start <= month and month_bounds(month)[1] <= yesterday
    # Never more than needed: the start moves back only to the month's first day.
    assert start in (yesterday - timedelta(days=DEMO_DAYS - 1), month)
