"""The live state of one simulator: config, clock, world, tokens, limiter, faults, request log,
and the retirement of a version while it runs."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .auth import TokenStore
from .clock import Clock
from .config import SimulatorConfig
from .faults import FaultPlan, RateLimiter
from .truth import GroundTruth
from .versions import Retirement
from .world import World, build_world

DROPPED = 0  # status recorded for a response whose connection was deliberately dropped


class LoggedRequest(NamedTuple):
    method: str
    path: str  # without the query string
    status: int  # 0 = connection dropped mid-body


class RequestLog:
    """A thread-safe log of the requests served (the ``/health`` ready check excluded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def append(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._items.append(LoggedRequest(method, path, status))

    def snapshot(self) -> list[LoggedRequest]:
        """A copy of the entries so far."""
        with self._lock:
            return list(self._items)

    def count(self, *, status: int | None = None, path_contains: str | None = None) -> int:
        """How many requests match (all when no filter is given)."""
        return sum(
            1
            for r in self.snapshot()
            if (status is None or r.status == status)
            and (path_contains is None or path_contains in r.path)
        )

    def statuses(self) -> Counter[int]:
        """How many responses of each status."""
        return Counter(r.status for r in self.snapshot())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> LoggedRequest:
        with self._lock:
            return self._items[index]


@dataclass(eq=False)
class SimulatorState:
    """Everything the app needs at run time."""

    config: SimulatorConfig
    clock: Clock
    world: World
    truth: GroundTruth
    tokens: TokenStore
    limiter: RateLimiter
    faults: FaultPlan
    request_log: RequestLog
    retirement: Retirement

    @classmethod
    def create(cls, config: SimulatorConfig) -> SimulatorState:
        clock = Clock(config.today)
        return cls(
            config=config,
            clock=clock,
            world=build_world(config),
            truth=GroundTruth(config, clock),
            tokens=TokenStore(config.token_ttl),
            limiter=RateLimiter(config.rate_limit),
            faults=FaultPlan(config.effective_fault_seed, config.error_rate, config.drop_rate),
            request_log=RequestLog(),
            retirement=Retirement(config.version_retirement, clock.today),
        )
