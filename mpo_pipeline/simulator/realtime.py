"""Placeholder for the Real-Time Asynchronous API (reference §4), which comes later.

The three endpoints live only under the ``preview`` and ``experimental`` versions, below
``/{v}/marketing-solutions/marketplace-performance-outcomes``:

- create:   ``POST .../stats/realtime-reports/export``
- poll:     ``GET  .../stats/report-jobs/{reportId}``
- download: ``GET  .../stats/realtime-reports/{reportId}``

To implement them, add handlers and return their ``Route`` objects from ``routes()``; the gate
(auth, rate limit, faults) already lets these paths through for ``preview``/``experimental`` and
answers 404 for them until a route exists.
"""

from __future__ import annotations

import re

from starlette.routing import Route

REALTIME_VERSIONS = ("preview", "experimental")
PREFIX = "/{version}/marketing-solutions/marketplace-performance-outcomes"
REALTIME_PATHS: dict[str, tuple[str, str]] = {
    "create": ("POST", "/stats/realtime-reports/export"),
    "status": ("GET", "/stats/report-jobs/{reportId}"),
    "download": ("GET", "/stats/realtime-reports/{reportId}"),
}
_PATTERNS = [
    re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
    for _, path in REALTIME_PATHS.values()
]


def is_realtime_path(rest: str) -> bool:
    """Whether ``rest`` (the path after the MPO prefix, starting with '/') is a real-time path."""
    return any(p.match(rest) for p in _PATTERNS)


def routes() -> list[Route]:
    """The real-time routes (none yet)."""
    return []
