"""The client-side call budget: sliding minute, shared per base URL + client id, thread-safe."""

from __future__ import annotations

import threading

import pytest
from mpo_client_fakes import BASE_URL, CLIENT_SECRET, FakeApi, make_client
from support.clocks import FakeClock

from mpo_pipeline.client import MpoClient
from mpo_pipeline.client.ratelimit import RateLimiter, shared_limiter


def test_limiter_allows_budget_then_waits(clock: FakeClock) -> None:
    limiter = RateLimiter(3, clock.monotonic)
    for _ in range(3):
        assert limiter.acquire(clock.sleep) == 0
        clock.advance(1)
    # 4th call at t=3 must wait until the 1st call (t=0) is a minute old.
    assert limiter.acquire(clock.sleep) == pytest.approx(57.0)
    assert clock.sleeps == [pytest.approx(57.0)]


def test_limiter_sliding_window(clock: FakeClock) -> None:
    limiter = RateLimiter(2, clock.monotonic)
    limiter.acquire(clock.sleep)
    clock.advance(30)
    limiter.acquire(clock.sleep)
    clock.advance(31)  # first call is now 61 s old
    assert limiter.acquire(clock.sleep) == 0
    assert limiter.acquire(clock.sleep) == pytest.approx(29.0)


def test_limiter_pause(clock: FakeClock) -> None:
    limiter = RateLimiter(100, clock.monotonic)
    limiter.pause_for(15)
    assert limiter.acquire(clock.sleep) == pytest.approx(15.0)
    assert limiter.acquire(clock.sleep) == 0


def test_limiter_threads_queue_in_order(clock: FakeClock) -> None:
    lock = threading.Lock()
    waits: list[float] = []
    limiter = RateLimiter(5, clock.monotonic)

    def no_sleep(seconds: float) -> None:  # reservations are what is checked
        with lock:
            waits.append(seconds)

    threads = [threading.Thread(target=limiter.acquire, args=(no_sleep,)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Clock frozen: 5 calls now, 5 after 60 s, 2 after 120 s.
    assert sorted(waits) == [60.0] * 5 + [120.0] * 2


def test_budget_of_n_calls_per_minute(api: FakeApi) -> None:
    with make_client(api, max_calls_per_minute=4) as client:
        for _ in range(4):
            client.advertisers()
        assert api.clock.sleeps == []
        client.advertisers()  # the 5th call within the minute waits
        assert api.clock.sleeps == [pytest.approx(60.0)]
        assert client.metrics.throttle_waits == 1
        assert client.metrics.throttle_seconds == pytest.approx(60.0)
    assert api.times[4] - api.times[0] == pytest.approx(60.0)


def test_budget_shared_by_clients_of_same_app(api: FakeApi) -> None:
    first = make_client(api, max_calls_per_minute=3)
    second = make_client(api, max_calls_per_minute=3)
    with first, second:
        first.advertisers()
        second.advertisers()
        first.advertisers()
        assert api.clock.sleeps == []
        second.advertisers()
    assert api.clock.sleeps == [pytest.approx(60.0)]


def test_budget_not_shared_across_client_ids(api: FakeApi) -> None:
    clock = api.clock
    other = MpoClient(
        BASE_URL,
        "2026-07",
        "another-app",
        CLIENT_SECRET,
        max_calls_per_minute=2,
        transport=api.transport(),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        wall_clock=clock.wall,
    )
    with make_client(api, max_calls_per_minute=2) as client, other:
        client.advertisers()
        client.advertisers()
        other.advertisers()
        other.advertisers()
    assert clock.sleeps == []


def test_registry_keeps_smallest_budget(clock: FakeClock) -> None:
    a = shared_limiter("https://x/", "id", 40, clock.monotonic)
    b = shared_limiter("https://x", "id", 10, clock.monotonic)
    assert a is b
    assert a.max_calls == 10
    assert shared_limiter("https://x", "other", 10, clock.monotonic) is not a


def test_retries_spend_the_budget(api: FakeApi, no_jitter: None) -> None:
    from mpo_client_fakes import problem

    api.queue(problem(503), problem(503))
    with make_client(api, max_calls_per_minute=2) as client:
        client.advertisers()
    # Two failed attempts used the budget: the third waits for the minute to pass.
    assert api.clock.sleeps[:2] == [0.5, 1.0]
    assert api.times[2] - api.times[0] == pytest.approx(60.0)
