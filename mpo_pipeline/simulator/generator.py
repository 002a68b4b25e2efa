"""Base data, vectorised with numpy: final daily metrics per (seller-campaign, UTC day), and the
hourly profile that splits each UTC day into its 24 hours.

All integers, so every sum is exact: cost in nanos (1e-9) of the advertiser's currency, drawn to
the nano (clicks at the seller-campaign's bid, with noise, plus a tiny cost per display), revenue
in whole minor units (cents, yen). A UTC day's value ``v`` is split into hours by an integer
cumulative profile ``cum`` (25 entries): the first ``h`` hours hold ``v * cum[h] // cum[24]``. Any
run of hours is a difference of two such prefixes, so hours add up exactly to days, and days of
any zone to months and years.

Magnitudes: a (seller-campaign, day) cost is at most ~2e14 nanos (1,400 clicks at 140 yen, the
extreme of every draw at once) and ``cum[24]`` at most 24 x 148, so ``v * cum[h]`` fits an int64;
``scaled`` checks it and, past that, computes the same prefix without the product.
"""

from __future__ import annotations

import numpy as np

from .hashing import hash_key, normal_and_uniforms, uniform
from .timezones import utc_offsets
from .world import Advertiser, World

_INT64_MAX = 2**63 - 1
OUTAGE_PROBABILITY = 0.015  # share of an advertiser's local days with no delivery at all
_T_DAY, _T_PROFILE, _T_OUTAGE = 101, 102, 103
# Relative traffic by local hour of day (night low, evening peak).
_CURVE = np.array(
    [
        20,
        12,
        8,
        6,
        6,
        10,
        22,
        45,
        70,
        85,
        95,
        100,
        100,
        98,
        96,
        95,
        97,
        104,
        115,
        122,
        118,
        95,
        65,
        38,
    ],
    dtype=np.float64,
)
_WEEKDAY = np.array([1.00, 0.98, 0.97, 1.00, 1.04, 1.12, 1.15])  # Monday first


def day_factor(days: np.ndarray, data_start: int) -> np.ndarray:
    """Seasonality of a UTC day: weekday, a November/December peak and slow growth."""
    weekday = _WEEKDAY[(days + 3) % 7]  # 1970-01-01 was a Thursday
    dates = days.astype("datetime64[D]")
    day_of_year = (dates - dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    peak = 1.0 + 0.35 * np.exp(-(((day_of_year - 335) / 20.0) ** 2))
    growth = 1.0 + 0.15 * np.maximum(days - data_start, 0) / 365.0
    return weekday * peak * growth


def _floor(x: np.ndarray) -> np.ndarray:
    return np.floor(x).astype(np.int64)


def scaled(v: np.ndarray, w: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``v * w // den`` for ``v >= 0`` and ``0 <= w <= den``, exact even where ``v * w`` would
    overflow an int64 (then as ``(v // den) * w + (v % den) * w // den``)."""
    if v.size == 0 or int(v.max()) <= _INT64_MAX // max(int(np.max(den)), 1):
        return v * w // den
    q, r = np.divmod(v, den)
    return q * w + r * w // den


def daily_final(
    world: World, adv: Advertiser, sc: np.ndarray, days: np.ndarray
) -> dict[str, np.ndarray]:
    """Final (fully matured, before invalid-traffic removal) metrics, shape (len(sc), len(days))."""
    days = np.asarray(days, dtype=np.int64)
    key = hash_key(world.seed, _T_DAY, adv.sc_key[sc][:, None], days[None, :])
    active = (adv.sc_start[sc][:, None] <= days) & (days <= adv.sc_end[sc][:, None])
    season = day_factor(days, world.data_start)[None, :]

    z, u, _ = normal_and_uniforms(key, 1)
    impressions = _floor(adv.sc_impressions[sc][:, None] * season * np.exp(0.35 * z) + u)
    impressions *= active
    z, u, _ = normal_and_uniforms(key, 3)
    clicks = np.minimum(
        _floor(impressions * adv.sc_ctr[sc][:, None] * np.exp(0.25 * z) + u), impressions
    )
    cpc = adv.sc_cpc[sc][:, None] * 1000.0  # nanos per click
    z, u, u_ivt = normal_and_uniforms(key, 5)
    display_cost = impressions * adv.sc_display_cost[sc][:, None]
    cost = _floor(clicks * cpc * np.exp(0.15 * z) + display_cost + u)  # nanos
    z, u, u_same = normal_and_uniforms(key, 7)
    any_units = _floor(clicks * adv.sc_cvr[sc][:, None] * np.exp(0.3 * z) + u)
    same_units = np.minimum(_floor(any_units * adv.sc_same_share[sc][:, None] + u_same), any_units)
    extra_units = any_units - same_units
    basket = adv.sc_basket[sc][:, None]
    z, u, _ = normal_and_uniforms(key, 9)
    same_revenue = _floor(same_units * basket * np.exp(0.25 * z) + u * (same_units > 0))
    z, u, u_flag = normal_and_uniforms(key, 11)
    extra_revenue = _floor(extra_units * basket * 0.9 * np.exp(0.25 * z) + u * (extra_units > 0))
    ivt_clicks = np.where(u_flag < 0.25, _floor(clicks * 0.15 * u_ivt), 0)
    ivt_cost = _floor(ivt_clicks * cpc)
    return {
        "impressions": impressions,
        "clicks": clicks,
        "cost": cost,
        "same_units": same_units,
        "extra_units": extra_units,
        "same_revenue": same_revenue,
        "extra_revenue": extra_revenue,
        "ivt_clicks": ivt_clicks,
        "ivt_cost": ivt_cost,
    }


def is_outage(world: World, adv: Advertiser, local_days: np.ndarray) -> np.ndarray:
    """True for the advertiser's local days without any delivery."""
    return uniform(hash_key(world.seed, _T_OUTAGE, adv.index, local_days), 0) < OUTAGE_PROBABILITY


def hour_profile(world: World, adv: Advertiser, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative integer hour weights (len(days), 25) and their day totals (never 0).

    Weights follow the advertiser's *local* hour (traffic peaks in its evening) and are 0 in its
    outage days, so those local days are empty; a UTC day that is all outage has all-zero weights,
    which makes every prefix, the day total included, 0.
    """
    days = np.asarray(days, dtype=np.int64)
    local = days[:, None] * 1440 + np.arange(24) * 60 + utc_offsets(adv.time_zone, days)
    jitter = uniform(hash_key(world.seed, _T_PROFILE, adv.index, days[:, None], np.arange(24)), 0)
    weights = _floor(_CURVE[(local // 60) % 24] * (0.8 + 0.4 * jitter)) + 1
    weights[is_outage(world, adv, local // 1440)] = 0
    cum = np.zeros((len(days), 25), dtype=np.int64)
    np.cumsum(weights, axis=1, out=cum[:, 1:])
    return cum, np.maximum(cum[:, 24], 1)
