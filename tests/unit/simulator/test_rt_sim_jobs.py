"""The simulator's export jobs on a fake clock: lifecycle, quota, cached ids, seeded failures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mpo_pipeline.simulator.realtime_config import RealtimeConfig
from mpo_pipeline.simulator.realtime_jobs import JobStore, QuotaExceeded
from mpo_pipeline.simulator.realtime_request import RealtimeQuery

QUERY = RealtimeQuery(
    advertiser_ids=(41111,),
    start=datetime(2026, 3, 1, 10, tzinfo=UTC),
    end=datetime(2026, 3, 1, 12, tzinfo=UTC),
    dimensions=("AdvertiserId",),
    metrics=("Clicks",),
    file_format="Json",
    time_zone="UTC",
    today=date(2026, 3, 1),
)


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lifecycle() -> None:
    tick, config = Ticker(), RealtimeConfig(job_seconds=3, expire_seconds=10, cache_seconds=0)
    store = JobStore(tick)
    job, cached = store.create(b"a", QUERY, (), config)
    assert not cached and store.status(job, config) == "Pending"
    tick.now += 3
    assert store.status(job, config) == "Done"
    tick.now += 10
    assert store.status(job, config) == "Expired"
    other, _ = store.create(b"b", QUERY, (), config)
    store.expire(other.export_id)
    assert store.status(other, config) == "Expired"


def test_hourly_quota_and_retry_after() -> None:
    tick, config = Ticker(), RealtimeConfig(hourly_quota=2, cache_seconds=0)
    store = JobStore(tick)
    store.create(b"a", QUERY, (), config)
    tick.now += 600
    store.create(b"b", QUERY, (), config)
    with pytest.raises(QuotaExceeded) as info:
        store.create(b"c", QUERY, (), config)
    assert info.value.retry_after == 3000  # the first creation leaves the hour in 50 minutes
    tick.now += 3000
    store.create(b"c", QUERY, (), config)
    assert store.created_count() == 3


def test_identical_requests_share_a_live_job_without_quota() -> None:
    tick, config = Ticker(), RealtimeConfig(hourly_quota=1, cache_seconds=60, job_seconds=1)
    store = JobStore(tick)
    first, _ = store.create(b"same", QUERY, (), config)
    tick.now += 30
    again, cached = store.create(b"same", QUERY, (), config)
    assert cached and again is first
    tick.now += 31  # past the cache time: a new job, which needs quota
    with pytest.raises(QuotaExceeded):
        store.create(b"same", QUERY, (), config)


def _outcomes(seed: int) -> list[bool]:
    store = JobStore(Ticker())
    config = RealtimeConfig(failure_rate=0.5, fault_seed=seed, hourly_quota=None, cache_seconds=0)
    return [store.create(str(i).encode(), QUERY, (), config)[0].fails for i in range(16)]


def test_failures_are_seeded() -> None:
    assert _outcomes(7) == _outcomes(7)
    assert _outcomes(7) != _outcomes(8)
    assert 0 < sum(_outcomes(7)) < 16


def test_fail_next_is_forced() -> None:
    store, config = JobStore(Ticker()), RealtimeConfig(cache_seconds=0)
    store.fail_next(2)
    fails = [store.create(str(i).encode(), QUERY, (), config)[0].fails for i in range(3)]
    assert fails == [True, True, False]


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="hourly_quota"):
        RealtimeConfig(hourly_quota=0)
    with pytest.raises(ValueError, match="failure_rate"):
        RealtimeConfig(failure_rate=2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cache_scope": "body"}, "cache_scope"),
        ({"default_currency": "USD"}, "default_currency"),
        ({"outage_from": datetime(2026, 3, 1, 11)}, "outage_from"),
        ({"pending_status": "Done"}, "pending_status"),
        ({"download_shape": "zip"}, "download_shape"),
    ],
)
def test_the_new_knobs_are_validated(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RealtimeConfig(**changes)
