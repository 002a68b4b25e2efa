"""Behaviour knobs of the simulated Real-Time Asynchronous API (separate from ``SimulatorConfig``,
whose fields fix the generated world; these can change while a simulator runs)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

DOWNLOAD_SHAPES = ("raw", "gzip", "oas-wrapper", "ndjson", "redirect")
CACHE_SCOPES = ("request", "advertisers")
STATUSES = ("Unknown", "Pending", "Done", "Failure", "Expired")


@dataclass(frozen=True)
class RealtimeConfig:
    """How export jobs behave. Times in real seconds (monotonic clock), except the data ones.

    - ``job_seconds``: from creation to ``Done`` (or ``Failure``).
    - ``hourly_quota``: creations allowed per rolling hour (None = unlimited); a cached id
      returned for an identical request does not count.
    - ``failure_rate``/``fault_seed``: share of jobs ending in ``Failure``, drawn per creation
      sequence number, so a run replays the same failures.
    - ``expire_seconds``: a ``Done`` job turns ``Expired`` this long after it finished.
    - ``cache_seconds``: an identical request within this time of a live job gets that job's id
      back.
    - ``latency_minutes``: the newest minutes without data yet (the real API lags ~10 minutes).
    - ``now_offset``: the real-time "now" is 12:00 UTC of the simulator's ``today`` plus this.
    - ``cache_scope``: what makes two requests identical for the cache: ``request`` (the same
      body, whatever the time: a ``lookbackWindow`` sent again later gets the old export) or
      ``advertisers`` (the same advertisers, even with another ``startDate``).
    - ``default_currency``: the currency of an export that names none: None = each advertiser's
      own (the current reference), ``"EUR"`` = what earlier revisions documented (costs converted).
    - ``outage_from``: a total outage: no display, click or cost from this instant (UTC) on;
      exports still finish, holding only the minutes before it.
    - ``pending_status``: the status string of a job still running (an undocumented one tests
      a client's fail-fast).
    - ``download_shape``: how a file is served: ``raw`` (the file), ``gzip``, ``oas-wrapper``
      (the OAS's ``{data: {type, attributes: <base64 file>}}``), ``ndjson`` (a JSON export as
      one object per line) or ``redirect`` (302 to a pre-signed storage URL, served without
      auth; a bearer token sent there is refused).
    """

    job_seconds: float = 3.0
    hourly_quota: int | None = 20
    failure_rate: float = 0.0
    fault_seed: int = 0
    expire_seconds: float = 3600.0
    cache_seconds: float = 60.0
    latency_minutes: int = 10
    now_offset: timedelta = timedelta(0)
    cache_scope: str = "request"
    default_currency: str | None = None
    outage_from: datetime | None = None
    pending_status: str = "Pending"
    download_shape: str = "raw"

    def __post_init__(self) -> None:
        problems = []
        if self.job_seconds < 0 or self.expire_seconds < 0 or self.cache_seconds < 0:
            problems.append("job_seconds, expire_seconds and cache_seconds must be >= 0")
        if self.hourly_quota is not None and self.hourly_quota < 1:
            problems.append("hourly_quota must be >= 1 (or None)")
        if not 0.0 <= self.failure_rate <= 1.0:
            problems.append("failure_rate must be in [0, 1]")
        if not 0 <= self.latency_minutes <= 120:
            problems.append("latency_minutes must be in 0..120")
        if abs(self.now_offset) > timedelta(days=1):
            problems.append("now_offset must stay within one day")
        if self.cache_scope not in CACHE_SCOPES:
            problems.append(f"cache_scope must be one of {CACHE_SCOPES}")
        if self.default_currency not in (None, "EUR"):
            problems.append("default_currency must be None (local) or 'EUR'")
        if self.outage_from is not None and self.outage_from.tzinfo is None:
            problems.append("outage_from must be a timezone-aware datetime")
        if not self.pending_status or self.pending_status.lower() in ("done", "failure", "expired"):
            problems.append("pending_status must name a status that is not final")
        if self.download_shape not in DOWNLOAD_SHAPES:
            problems.append(f"download_shape must be one of {DOWNLOAD_SHAPES}")
        if problems:
            raise ValueError("invalid RealtimeConfig: " + "; ".join(problems))

    def with_(self, **changes: object) -> RealtimeConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]
