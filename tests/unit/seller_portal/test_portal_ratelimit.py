"""Per-key token buckets, driven by an injected clock."""

from __future__ import annotations

import pytest

from mpo_pipeline.seller_portal.ratelimit import Limit, RateLimiter, retry_after


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_grants_the_burst_then_says_how_long_to_wait():
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(rate=2, burst=3)
    assert [limiter.take("k1", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k1", limit) == pytest.approx(0.5)  # 1 token at 2/s
    clock.now += 0.25
    assert limiter.take("k1", limit) == pytest.approx(0.25)  # half a token refilled
    clock.now += 0.25
    assert limiter.take("k1", limit) == 0.0
    assert limiter.take("k1", limit) == pytest.approx(0.5)


def test_a_bucket_refills_at_the_rate_up_to_the_burst_only():
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(rate=10, burst=5)
    for _ in range(5):
        limiter.take("k", limit)
    clock.now += 3600  # an hour idle refills 5 tokens, not 36,000
    granted = sum(limiter.take("k", limit) == 0.0 for _ in range(20))
    assert granted == 5


def test_keys_have_their_own_buckets():
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(rate=1, burst=1)
    assert limiter.take("seller-a", limit) == 0.0
    assert limiter.take("seller-a", limit) > 0
    assert limiter.take("seller-b", limit) == 0.0  # not emptied by seller-a


def test_refused_requests_do_not_eat_tokens():
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(rate=1, burst=1)
    limiter.take("k", limit)
    for _ in range(50):  # a client hammering while refused
        clock.now += 0.01
        limiter.take("k", limit)
    clock.now += 0.5  # 1.0 s after the granted request in all
    assert limiter.take("k", limit) == 0.0


def test_a_clock_going_backwards_adds_no_tokens():
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(rate=1, burst=1)
    limiter.take("k", limit)
    clock.now -= 100
    assert limiter.take("k", limit) > 0


@pytest.mark.parametrize(
    ("wait", "header"), [(0.001, "1"), (0.5, "1"), (1.0, "1"), (1.01, "2"), (59.2, "60")]
)
def test_retry_after_is_whole_seconds_rounded_up(wait, header):
    assert retry_after(wait) == header


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (1, 0)])
def test_a_limit_needs_a_positive_rate_and_burst(rate, burst):
    with pytest.raises(ValueError, match="rate > 0 and burst >= 1"):
        Limit(rate, burst)
