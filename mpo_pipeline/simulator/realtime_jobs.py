"""The simulated export jobs: lifecycle, hourly quota, cached ids, failures, and test controls.

A job is ``Pending`` for ``job_seconds`` after creation, then ``Done`` (or ``Failure`` when its
dice say so), and ``Expired`` ``expire_seconds`` after that. Its data are fixed at creation: the
query (window on the real-time now), the clock's today and the switch-offs in force.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .hashing import hash_key, uniform
from .realtime_config import RealtimeConfig
from .realtime_data import SwitchOff
from .realtime_request import RealtimeQuery

_T_FAILURE = 502
HOUR_SECONDS = 3600.0


class QuotaExceeded(Exception):
    """The hourly creation quota is used up; ``retry_after`` seconds until a slot frees."""

    def __init__(self, quota: int, retry_after: int) -> None:
        super().__init__(f"hourly quota of {quota} real-time exports reached")
        self.quota = quota
        self.retry_after = retry_after


@dataclass(eq=False)
class Job:
    """One export job."""

    export_id: str
    key: bytes  # identical requests (same body and now) share a key
    query: RealtimeQuery
    switch_offs: tuple[SwitchOff, ...]
    created: float  # monotonic seconds
    fails: bool
    expired: bool = False  # forced by a test
    rendered: tuple[bytes, str, int] | None = field(default=None, repr=False)


class JobStore:
    """Thread-safe jobs, creation quota and failure dice."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._created: deque[float] = deque()  # creation times within the last hour
        self._sequence = 0
        self._forced_failures = 0

    def status(self, job: Job, config: RealtimeConfig) -> str:
        """``Pending``, ``Done``, ``Failure`` or ``Expired`` at this moment."""
        age = self._now() - job.created
        if job.expired:
            return "Expired"
        if age < config.job_seconds:
            return "Pending"
        if job.fails:
            return "Failure"
        return "Expired" if age >= config.job_seconds + config.expire_seconds else "Done"

    def get(self, export_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(export_id)

    def create(
        self,
        key: bytes,
        query: RealtimeQuery,
        switch_offs: tuple[SwitchOff, ...],
        config: RealtimeConfig,
    ) -> tuple[Job, bool]:
        """A new job, or a live identical one (``True``); ``QuotaExceeded`` when none is left."""
        now = self._now()
        with self._lock:
            for job in reversed(self._jobs.values()):
                if job.key == key and now - job.created <= config.cache_seconds:
                    if self.status(job, config) in ("Pending", "Done"):
                        return job, True
                    break
            while self._created and self._created[0] <= now - HOUR_SECONDS:
                self._created.popleft()
            quota = config.hourly_quota
            if quota is not None and len(self._created) >= quota:
                wait = self._created[len(self._created) - quota] + HOUR_SECONDS - now
                raise QuotaExceeded(quota, max(1, int(wait + 0.999)))
            self._created.append(now)
            self._sequence += 1
            fails = self._forced_failures > 0
            if fails:
                self._forced_failures -= 1
            elif config.failure_rate > 0:
                dice = float(uniform(hash_key(config.fault_seed, _T_FAILURE, self._sequence), 0))
                fails = dice < config.failure_rate
            job = Job(str(uuid.uuid4()), key, query, switch_offs, now, fails)
            self._jobs[job.export_id] = job
            return job, False

    def fail_next(self, count: int = 1) -> None:
        """The next ``count`` new jobs end in ``Failure``."""
        with self._lock:
            self._forced_failures += count

    def expire(self, export_id: str) -> None:
        """Make a job ``Expired`` now (``KeyError`` if unknown)."""
        with self._lock:
            self._jobs[export_id].expired = True

    def created_count(self) -> int:
        """Jobs created so far (cached answers excluded)."""
        with self._lock:
            return self._sequence
