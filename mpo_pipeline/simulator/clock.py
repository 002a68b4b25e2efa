"""The simulator's clock: one "today" shared by the server and the ground truth.

The clock only has a date. The simulated *now* is 12:00 UTC on that date: hours before noon UTC of
today have (immature) data, later hours have none yet.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

NOW_HOUR_UTC = 12  # the simulated time of day on `today`


class Clock:
    """A thread-safe settable date; ``None`` follows the real current UTC date."""

    def __init__(self, today: date | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed = today

    def today(self) -> date:
        """The simulated current date."""
        with self._lock:
            fixed = self._fixed
        return fixed if fixed is not None else datetime.now(UTC).date()

    def set_today(self, today: date | None) -> None:
        """Move the clock (``None`` = follow the real date again)."""
        if today is not None and not isinstance(today, date):
            raise TypeError("today must be a datetime.date")
        if isinstance(today, datetime):
            today = today.date()
        with self._lock:
            self._fixed = today
