"""API versions: served, deprecated (with ``Deprecation``/``Sunset`` headers), retired (410)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime

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
