"""Counters an :class:`~mpo_pipeline.client.MpoClient` keeps about its own traffic."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class DeprecationNotice:
    """A ``Deprecation`` and/or ``Sunset`` header seen on a response of ``api_version``."""

    api_version: str
    deprecation: str | None
    sunset: str | None
    path: str


@dataclass
class ClientMetrics:
    """Thread-safe counters of one client.

    ``calls`` counts HTTP requests to the API (every attempt, retries included), ``retries`` the
    attempts repeated after a retryable failure, ``token_requests`` the requests to the token
    endpoint, ``windows`` the stats windows yielded, ``window_splits`` the windows halved after a
    persistent server failure, ``rate_limited`` the 429 responses received, ``throttle_waits`` and
    ``throttle_seconds`` the times (and total seconds) the client-side rate budget made a call wait;
    ``stats_rows`` the stats rows received, ``max_window_rows`` and ``max_window_bytes`` the rows
    and body bytes of the largest stats response.
    """

    calls: int = 0
    retries: int = 0
    token_requests: int = 0
    windows: int = 0
    window_splits: int = 0
    rate_limited: int = 0
    throttle_waits: int = 0
    throttle_seconds: float = 0.0
    stats_rows: int = 0
    max_window_rows: int = 0
    max_window_bytes: int = 0
    deprecations: list[DeprecationNotice] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def increment(self, name: str, amount: float = 1) -> None:
        """Add ``amount`` to the counter ``name`` atomically."""
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def raise_to(self, name: str, value: float) -> None:
        """Set the counter ``name`` to ``value`` if that is larger (a running maximum)."""
        with self._lock:
            setattr(self, name, max(getattr(self, name), value))

    def add_deprecation(self, notice: DeprecationNotice) -> bool:
        """Record ``notice`` unless one with the same version and headers is known; True if new."""
        with self._lock:
            for known in self.deprecations:
                if (known.api_version, known.deprecation, known.sunset) == (
                    notice.api_version,
                    notice.deprecation,
                    notice.sunset,
                ):
                    return False
            self.deprecations.append(notice)
            return True

    def snapshot(self) -> dict[str, object]:
        """A consistent copy of every counter (e.g. for Dagster output metadata)."""
        with self._lock:
            out: dict[str, object] = {
                f.name: getattr(self, f.name)
                for f in fields(self)
                if not f.name.startswith("_") and f.name != "deprecations"
            }
            out["deprecations"] = list(self.deprecations)
            return out
