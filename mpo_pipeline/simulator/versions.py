"""API versions: served, deprecated (with ``Deprecation``/``Sunset`` headers), retired (410),
and a served version retired while the simulator runs (``Retirement``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import VersionRetirement

SUPPORTED = ("2025-07", "2025-10", "2026-01", "2026-07", "2027-01")
# In their last months of support (reference §1): served with Deprecation/Sunset headers.
SUNSET = {"2025-07": datetime(2027, 1, 1, tzinfo=UTC), "2025-10": datetime(2027, 4, 1, tzinfo=UTC)}
RETIRED_BEFORE = "2025-07"  # every YYYY-MM version before this one is decommissioned
PREVIEW = ("preview", "experimental")  # hold only the real-time endpoints
_VERSION = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def classify(version: str) -> str:
    """``supported``, ``deprecated``, ``preview``, ``retired`` (410) or ``unknown`` (404)."""
    if version in SUNSET:
        return "deprecated"
    if version in SUPPORTED:
        return "supported"
    if version in PREVIEW:
        return "preview"
    if _VERSION.match(version) and version < RETIRED_BEFORE:
        return "retired"
    return "unknown"


def deprecation_headers(version: str) -> dict[str, str]:
    """``Deprecation: true`` and ``Sunset: <HTTP-date>`` for deprecated versions, else nothing."""
    sunset = SUNSET.get(version)
    if sunset is None:
        return {}
    return {"Deprecation": "true", "Sunset": format_datetime(sunset, usegmt=True)}


class Retirement:
    """A served version that becomes retired (410 on every path) after a number of stats
    requests of that version, or from a simulated day on (``events.VersionRetirement``)."""

    def __init__(self, event: VersionRetirement | None, today: Callable[[], date]) -> None:
        self.event = event
        self._today = today
        self._lock = threading.Lock()
        self.stats_requests = 0  # stats requests of the version let through so far

    def is_retired(self, version: str, stats_request: bool) -> bool:
        """True when ``version`` is retired now; else count the request if it is a stats one."""
        event = self.event
        if event is None or version != event.version:
            return False
        with self._lock:
            if event.from_day is not None and self._today() >= event.from_day:
                return True
            limit = event.after_stats_requests
            if limit is not None and self.stats_requests >= limit:
                return True
            if stats_request:
                self.stats_requests += 1
            return False
