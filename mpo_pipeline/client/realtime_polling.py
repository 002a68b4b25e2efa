"""Waiting for a real-time export job: polite polling with backoff, and status → typed error.

The API asks for at most one poll every 5–10 s (reference §4). The first poll comes one interval
after creation, each later one after an interval grown by ``backoff`` up to ``max_interval``; no
wait is ever shorter than ``floor`` (5 s against the API), not even the last one before the
deadline. A status the reference does not list fails at once, naming it; the listed ``Unknown``
is polled again at most ``MAX_UNKNOWN_POLLS`` times in a row. ``sleep`` and ``monotonic`` are
injected so tests run on a fake clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .realtime_errors import (
    RealtimeError,
    RealtimeExportExpiredError,
    RealtimeExportFailedError,
    RealtimeStatusError,
    RealtimeTimeoutError,
)
from .realtime_status import ExportJob, ExportStatus

DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_MAX_POLL_INTERVAL = 30.0
DEFAULT_POLL_BACKOFF = 1.5
DEFAULT_JOB_TIMEOUT = 900.0
API_MIN_POLL_INTERVAL = 5.0  # "poll no more than once every 5-10 s"
MAX_UNKNOWN_POLLS = 3
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def poll_floor(base_url: str) -> float:
    """The shortest wait allowed between two polls of ``base_url``: the API's 5 s, except on
    loopback (the local simulator, whose jobs take a fraction of a second)."""
    host = (urlsplit(base_url).hostname or "").lower()
    return 0.0 if host in _LOOPBACK else API_MIN_POLL_INTERVAL


@dataclass(frozen=True)
class PollPolicy:
    """How often to poll and for how long (seconds); no wait is shorter than ``floor``."""

    interval: float = DEFAULT_POLL_INTERVAL
    max_interval: float = DEFAULT_MAX_POLL_INTERVAL
    backoff: float = DEFAULT_POLL_BACKOFF
    timeout: float = DEFAULT_JOB_TIMEOUT
    floor: float = API_MIN_POLL_INTERVAL

    def __post_init__(self) -> None:
        if not self.interval > 0:
            raise ValueError(f"poll interval must be positive, got {self.interval}")
        if self.interval < self.floor:
            raise ValueError(
                f"poll interval {self.interval}s is below {self.floor}s: the Real-Time API asks "
                "for at most one poll every 5-10 s"
            )
        if self.max_interval < self.interval:
            raise ValueError(
                f"max poll interval {self.max_interval} is below the interval {self.interval}"
            )
        if self.backoff < 1:
            raise ValueError(f"poll backoff must be at least 1, got {self.backoff}")
        if not self.timeout > 0:
            raise ValueError(f"job timeout must be positive, got {self.timeout}")


def _error(cls: type[RealtimeError], job: ExportJob, text: str) -> RealtimeError:
    error = cls(text)
    error.export_id = job.export_id
    return error


def check_job(job: ExportJob) -> None:
    """Raise the typed error of a ``Failure`` or ``Expired`` job, or of a status the reference
    does not list; anything else passes."""
    detail = f" (message: {job.message})" if job.message else ""
    if job.status is ExportStatus.UNKNOWN and not job.is_listed_status:
        raise _error(
            RealtimeStatusError,
            job,
            f"real-time export {job.export_id} has status {job.raw_status!r}, which the API "
            f"reference does not list (Pending, Done, Failure, Expired, Unknown){detail}; "
            "stopping instead of polling until the timeout: teach the client this status",
        )
    if job.status is ExportStatus.FAILURE:
        raise _error(
            RealtimeExportFailedError,
            job,
            f"real-time export {job.export_id} failed (status {job.raw_status!r}){detail}; "
            "create a new export",
        )
    if job.status is ExportStatus.EXPIRED:
        raise _error(
            RealtimeExportExpiredError,
            job,
            f"real-time export {job.export_id} has expired (status {job.raw_status!r}){detail}; "
            "its file is gone, create a new export",
        )


class ExportPoller:
    """Polls one job until it is ``Done`` (returned) or fails (typed error)."""

    def __init__(
        self,
        policy: PollPolicy,
        sleep: Callable[[float], None],
        monotonic: Callable[[], float],
        logger: logging.Logger,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._monotonic = monotonic
        self._log = logger

    def wait(self, job: ExportJob, poll: Callable[[str], ExportJob]) -> tuple[ExportJob, int]:
        """Poll ``job`` with ``poll(export_id)`` until ``Done``; return it and the poll count."""
        policy = self.policy
        deadline = self._monotonic() + policy.timeout
        interval = policy.interval
        polls = unknown = 0
        while True:
            check_job(job)
            if job.status is ExportStatus.DONE:
                return job, polls
            unknown = unknown + 1 if job.status is ExportStatus.UNKNOWN else 0
            if unknown > MAX_UNKNOWN_POLLS:
                raise _error(
                    RealtimeStatusError,
                    job,
                    f"real-time export {job.export_id} reported status {job.raw_status!r} "
                    f"{unknown} times in a row; giving up instead of polling until the timeout",
                )
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise _error(
                    RealtimeTimeoutError,
                    job,
                    f"real-time export {job.export_id} still {job.raw_status!r} after "
                    f"{policy.timeout:.0f}s and {polls} poll(s); raise the job timeout or retry "
                    "later (an identical request may return the same export id)",
                )
            if job.status is ExportStatus.UNKNOWN:
                self._log.info(
                    "real-time export %s: unknown status %r, polling on",
                    job.export_id,
                    job.raw_status,
                )
            # Near the deadline the wait shrinks to what is left, never below the API's floor.
            self._sleep(max(min(interval, remaining), policy.floor))
            interval = min(interval * policy.backoff, policy.max_interval)
            job = poll(job.export_id)
            polls += 1
