"""The simulated Real-Time Asynchronous API of one simulator, and the handle tests drive it with.

    rt = realtime_of(sim)                       # sim: RunningSimulator (or SimulatorState)
    rt.configure(job_seconds=0.1, hourly_quota=3, failure_rate=0.2, fault_seed=7)
    rt.now()                                    # today 12:00 UTC + now_offset
    rt.switch_off(41111, 168001, seller_id, at=rt.now() - timedelta(minutes=75))
    rt.configure(outage_from=rt.now() - timedelta(minutes=75))  # nothing delivered since
    rt.fail_next(); rt.lose_create_answers(); rt.expire(export_id); rt.reset()
    rt.truth((41111,), start, end)              # the rows an export would hold, as Arrow

One service per simulator, found through its ``GroundTruth`` (shared by the server state and the
``RunningSimulator`` handle), so no change to the server's own state is needed.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

import msgspec
import pyarrow as pa

from .clock import NOW_HOUR_UTC
from .realtime_config import RealtimeConfig
from .realtime_data import SwitchOff, advertiser_rows, epoch_minute
from .realtime_jobs import Job, JobStore
from .realtime_render import merge_rows, served_columns, to_csv, to_json, to_table
from .realtime_request import METRICS, SERVED_DIMENSIONS, RealtimeQuery
from .truth import GroundTruth
from .world import World


class _HasTruth(Protocol):
    @property
    def truth(self) -> GroundTruth: ...


class RealtimeService:
    """Jobs, quota, the real-time clock and the switch-offs of one simulator; thread-safe."""

    def __init__(self, truth: GroundTruth, config: RealtimeConfig | None = None) -> None:
        self._truth = truth
        self._lock = threading.Lock()
        self._config = config or RealtimeConfig()
        self._switch_offs: tuple[SwitchOff, ...] = ()
        self._lost_answers = 0
        self.jobs = JobStore()

    @property
    def world(self) -> World:
        return self._truth.world

    @property
    def config(self) -> RealtimeConfig:
        with self._lock:
            return self._config

    def configure(self, **changes: object) -> RealtimeConfig:
        """Change some :class:`RealtimeConfig` fields (validated); returns the new config."""
        with self._lock:
            self._config = self._config.with_(**changes)
            return self._config

    def now(self) -> datetime:
        """The real-time now: 12:00 UTC of the clock's today plus ``now_offset``."""
        noon = datetime.combine(self._truth.today, time(NOW_HOUR_UTC), tzinfo=UTC)
        return noon + self.config.now_offset

    def data_horizon(self) -> datetime:
        """The newest instant with data (now minus the latency), minute aligned."""
        latest = self.now() - timedelta(minutes=self.config.latency_minutes)
        return latest.replace(second=0, microsecond=0)

    def switch_off(
        self, advertiser_id: int, campaign_id: int, seller_id: int, at: datetime
    ) -> None:
        """The seller-campaign gets no displays, clicks or cost from minute ``at`` (UTC) on."""
        if at.tzinfo is None:
            raise ValueError("at must be a timezone-aware datetime")
        off = SwitchOff(advertiser_id, campaign_id, seller_id, epoch_minute(at))
        with self._lock:
            self._switch_offs = (*self._switch_offs, off)

    def clear_switch_offs(self) -> None:
        with self._lock:
            self._switch_offs = ()

    def reset(self) -> None:
        """Forget every job, quota use, switch-off and configuration change (between tests)."""
        with self._lock:
            self._config = RealtimeConfig()
            self._switch_offs = ()
            self._lost_answers = 0
            self.jobs = JobStore()

    def lose_create_answers(self, count: int = 1) -> None:
        """The next ``count`` creations create their job (quota spent) but answer 502."""
        with self._lock:
            self._lost_answers += count

    def take_lost_answer(self) -> bool:
        """Whether the creation just made must lose its answer (counts one down)."""
        with self._lock:
            if self._lost_answers <= 0:
                return False
            self._lost_answers -= 1
            return True

    def fail_next(self, count: int = 1) -> None:
        """The next ``count`` created jobs end in ``Failure``."""
        self.jobs.fail_next(count)

    def expire(self, export_id: str) -> None:
        """Make an export ``Expired`` at once."""
        self.jobs.expire(export_id)

    def create(self, query: RealtimeQuery, body: bytes) -> tuple[Job, bool]:
        """A job for ``query`` (or the cached identical one); may raise ``QuotaExceeded``."""
        config = self.config
        with self._lock:
            switch_offs = self._switch_offs
        if config.cache_scope == "advertisers":  # a cache blind to everything but advertisers
            digest = hashlib.sha256(msgspec.json.encode(sorted(query.advertiser_ids)))
        else:
            # Identical = the same body (and switch-offs, so a test's change is seen), whatever
            # the time: a lookbackWindow sent again 15 minutes later gets the old export back.
            digest = hashlib.sha256(body)
            digest.update(str(switch_offs).encode())
        # The job's data are fixed now: its currency, and the outage in force.
        query = replace(query, currency=query.currency or config.default_currency)
        return self.jobs.create(digest.digest(), self._clip(query), switch_offs, config)

    def _clip(self, query: RealtimeQuery) -> RealtimeQuery:
        """``query`` without the minutes a total outage left empty."""
        outage = self.config.outage_from
        if outage is None or query.end <= outage:
            return query
        return replace(query, end=max(query.start, outage.replace(second=0, microsecond=0)))

    def status(self, job: Job) -> str:
        return self.jobs.status(job, self.config)

    def render(self, job: Job) -> tuple[bytes, str, int]:
        """The job's file (computed once): body, media type and row count."""
        if job.rendered is None:
            columns = self._columns(job.query, job.switch_offs)
            rows = len(columns[0][1]) if columns else 0
            if job.query.file_format == "Json":
                job.rendered = (to_json(columns), "application/json", rows)
            else:
                job.rendered = (to_csv(columns), "text/csv; charset=utf-8", rows)
        return job.rendered

    def _columns(self, q: RealtimeQuery, switch_offs: tuple[SwitchOff, ...]) -> list:
        world = self._truth.world
        parts = [
            advertiser_rows(world, adv, q, switch_offs)
            for adv in world.advertisers
            if adv.id in q.advertiser_ids
        ]
        return served_columns(q, merge_rows(parts))

    def truth(
        self,
        advertiser_ids: tuple[int, ...] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        dimensions: tuple[str, ...] = SERVED_DIMENSIONS,
        time_zone: str = "UTC",
    ) -> pa.Table:
        """What an export of ``[start, end)`` (default: the last 24 h up to the data horizon)
        holds now, with the current switch-offs and outage, in each advertiser's own currency;
        lowerCamel column names."""
        end = min(end or self.data_horizon(), self.data_horizon())
        start = start or end - timedelta(days=1)
        ids = advertiser_ids or tuple(a.id for a in self._truth.world.advertisers)
        q = RealtimeQuery(
            ids, start, end, dimensions, METRICS, "Json", time_zone, self._truth.today
        )
        with self._lock:
            switch_offs = self._switch_offs
        return to_table(self._columns(self._clip(q), switch_offs))


_services: weakref.WeakKeyDictionary[GroundTruth, RealtimeService] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def realtime_of(sim: _HasTruth) -> RealtimeService:
    """The real-time service of a simulator (``RunningSimulator`` or ``SimulatorState``)."""
    truth = sim.truth
    with _registry_lock:
        service = _services.get(truth)
        if service is None:
            service = _services[truth] = RealtimeService(truth)
        return service
