"""Property tests of the data invariants over random seeds, sizes, ranges and zones.

Sums are checked on the exact world (``exact_stats``), where they hold to the nano; what is served
is rounded row by row (see test_sim_money.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_unit_helpers import BASES, TODAY, totals

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig

ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
)
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def worlds(draw):
    cfg = SimulatorConfig(
        seed=draw(st.integers(0, 10**6)),
        advertisers=draw(st.integers(1, 2)),
        campaigns=draw(st.integers(1, 4)),
        sellers=draw(st.integers(3, 40)),
        today=TODAY,
    )
    return GroundTruth(cfg)


@st.composite
def ranges(draw, max_days=60):
    # Around interesting dates: the data start, DST changes, month ends, and "today".
    anchor = draw(
        st.sampled_from(
            [
                date(2024, 7, 1),
                date(2025, 3, 28),
                date(2025, 10, 24),
                date(2026, 2, 20),
                TODAY - timedelta(days=20),
            ]
        )
    )
    start = anchor + timedelta(days=draw(st.integers(0, 15)))
    end = min(start + timedelta(days=draw(st.integers(0, max_days - 1))), TODAY)
    return min(start, end), end


def _adv(truth, data):
    return data.draw(st.sampled_from([a["id"] for a in truth.advertisers()]))


@FAST
@given(truth=worlds(), rng=ranges(), zone=st.sampled_from((None, *ZONES)), data=st.data())
def test_endpoints_sum_to_each_other(truth, rng, zone, data):
    adv = _adv(truth, data)
    sc = truth.exact_stats("seller_campaigns", "Both", adv, *rng, time_zone=zone)
    sellers = truth.exact_stats("sellers", "Both", adv, *rng, time_zone=zone)
    campaigns = truth.exact_stats("campaigns", "Both", adv, *rng, time_zone=zone)
    assert totals(sc, ("day", "sellerId")) == totals(sellers, ("day", "sellerId"))
    assert totals(sc, ("day", "campaignId")) == totals(campaigns, ("day", "campaignId"))
    assert totals(sellers, ("day",)) == totals(campaigns, ("day",))
    assert sellers.column("sellerName").to_pylist() == [
        dict(zip(sc["sellerId"].to_pylist(), sc["sellerName"].to_pylist(), strict=True))[s]
        for s in sellers["sellerId"].to_pylist()
    ]


@FAST
@given(
    truth=worlds(),
    rng=ranges(max_days=120),
    zone=st.sampled_from((None, *ZONES)),
    endpoint=st.sampled_from(["sellers", "campaigns", "seller_campaigns"]),
    data=st.data(),
)
def test_month_and_year_are_sums_of_days(truth, rng, zone, endpoint, data):
    adv = _adv(truth, data)
    keys = {
        "sellers": ("sellerId",),
        "campaigns": ("campaignId",),
        "seller_campaigns": ("campaignId", "sellerId"),
    }[endpoint]
    days = truth.exact_stats(endpoint, "Both", adv, *rng, time_zone=zone)
    for interval, col in (("Month", "month"), ("Year", "year")):
        buckets = truth.exact_stats(endpoint, "Both", adv, *rng, interval=interval, time_zone=zone)
        trunc = days.append_column(
            col,
            [
                [
                    d.replace(day=1) if col == "month" else d.replace(month=1, day=1)
                    for d in days["day"].to_pylist()
                ]
            ],
        )
        assert totals(buckets, (col, *keys)) == totals(trunc, (col, *keys))


@FAST
@given(truth=worlds(), rng=ranges(), zone=st.sampled_from((None, *ZONES)), data=st.data())
def test_policies_share_rows_and_same_seller_is_at_most_any_seller(truth, rng, zone, data):
    adv = _adv(truth, data)
    same = truth.stats("seller_campaigns", "SameSeller", adv, *rng, time_zone=zone)
    anys = truth.stats("seller_campaigns", "AnySeller", adv, *rng, time_zone=zone)
    both = truth.stats("seller_campaigns", "Both", adv, *rng, time_zone=zone)
    exact_same = truth.exact_stats("seller_campaigns", "SameSeller", adv, *rng, time_zone=zone)
    exact_anys = truth.exact_stats("seller_campaigns", "AnySeller", adv, *rng, time_zone=zone)
    for col in ("campaignId", "sellerId", "day", "impressions", "clicks", "cost"):
        assert same[col] == anys[col] == both[col]
        assert exact_same[col] == exact_anys[col]
    for m in ("saleUnits", "revenue"):
        assert same[m] == both[m + "SameSeller"] and anys[m] == both[m + "AnySeller"]
        for a, b in ((same, anys), (exact_same, exact_anys)):
            assert all(s <= x for s, x in zip(a[m].to_pylist(), b[m].to_pylist(), strict=True))


@FAST
@given(
    truth=worlds(), rng=ranges(max_days=31), zone=st.sampled_from((None, *ZONES)), data=st.data()
)
def test_hours_sum_to_days_in_the_same_zone(truth, rng, zone, data):
    adv = _adv(truth, data)
    hours = truth.exact_stats("sellers", "Both", adv, *rng, interval="Hour", time_zone=zone)
    days = truth.exact_stats("sellers", "Both", adv, *rng, time_zone=zone)
    hours = hours.append_column("day", [[h.date() for h in hours["hour"].to_pylist()]])
    assert totals(hours, ("day", "sellerId")) == totals(days, ("day", "sellerId"))


@FAST
@given(truth=worlds(), rng=ranges(max_days=28), zone=st.sampled_from(ZONES[1:]), data=st.data())
def test_zones_differ_only_by_boundary_hours(truth, rng, zone, data):
    """The total of local days [s, e] equals the UTC hours between their local midnights."""
    adv = _adv(truth, data)
    start, end = rng
    local = truth.exact_stats("campaigns", "Both", adv, start, end, time_zone=zone)
    utc_end = min(end + timedelta(days=1), TODAY)
    utc = truth.exact_stats(
        "campaigns",
        "Both",
        adv,
        start - timedelta(days=1),
        utc_end,
        interval="Hour",
        time_zone="UTC",
    )
    tz = ZoneInfo(zone)
    lo = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    inside = [lo <= h.replace(tzinfo=UTC) < hi for h in utc["hour"].to_pylist()]
    assert totals(local, ()) == totals(utc.filter(pa.array(inside, pa.bool_())), ())


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), rng=ranges())
def test_deterministic_for_a_seed_and_independent_of_the_window(seed, rng):
    cfg = SimulatorConfig(seed=seed, advertisers=1, campaigns=3, sellers=25, today=TODAY)
    a = GroundTruth(cfg).stats("seller_campaigns", "Both", None, *rng)
    b = GroundTruth(SimulatorConfig(**{**cfg.__dict__})).stats(
        "seller_campaigns", "Both", None, *rng
    )
    assert a.equals(b)
    start, end = rng
    wider = GroundTruth(cfg).stats("seller_campaigns", "Both", None, start - timedelta(days=9), end)
    assert wider.filter([d >= start for d in wider["day"].to_pylist()]).equals(a)


@pytest.mark.parametrize("policy", ["SameSeller", "AnySeller"])
def test_ratios_are_derived_from_the_bases(policy):
    truth = GroundTruth(SimulatorConfig(today=TODAY))
    t = truth.stats("sellers", policy, 41111, date(2026, 10, 1), date(2026, 10, 31)).to_pydict()
    nulls = 0
    for i in range(len(t["day"])):
        clicks, cost, units, rev = (t[c][i] for c in ("clicks", "cost", "saleUnits", "revenue"))
        for name, num, den in (
            ("cr", units, clicks),
            ("cpo", cost, units),
            ("cos", cost, rev),
            ("roas", rev, cost),
        ):
            if den == 0:
                assert t[name][i] is None
                nulls += 1
            else:
                assert t[name][i] == pytest.approx(round(float(num / den), 3), abs=1.01e-3)
    assert nulls > 0  # clicks without sales exist


def test_base_metrics_list_is_complete():
    assert len(BASES) == 7
