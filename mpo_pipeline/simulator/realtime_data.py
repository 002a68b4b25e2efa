"""Real-time data: displays, clicks and cost per seller-campaign and UTC minute, and their rows.

Derived from the same base as the Standard API: the day's shown values (``observe`` of
``daily_final`` on the clock's today) are split into UTC hours by the advertiser's hour profile
with the very formula of ``aggregate.bucket_values``, so the minutes of a UTC hour add up exactly
to the Standard API's ``Hour`` row of that seller-campaign (``impressions`` there is ``Displays``
here). Each hour is then split into 60 minutes by an integer cumulative profile hashed per
seller-campaign and hour. A *switched-off* seller-campaign has nothing from its switch-off minute.

Cost is exact (nanos) down to the minute and summed exactly per served row; each row is then
rounded on its own, half-even, to the currency's decimals (this API's own money format), so a
row's cost is within half a minor unit of the exact world. An export in EUR of an advertiser served
in another currency converts the exact cost at the profile's rate before rounding to cents. A row
is served when its displays, clicks or rounded cost are not all 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .generator import daily_final, hour_profile, scaled
from .hashing import hash_key, uniform
from .money import NANOS, carry, round_half_even, split
from .realtime_request import RealtimeQuery
from .restatement import observe
from .timezones import utc_offsets
from .world import Advertiser, World, epoch_day

METRIC_SOURCES = {"Displays": "impressions", "Clicks": "clicks", "Cost": "cost"}
_T_MINUTE = 501


@dataclass(frozen=True)
class SwitchOff:
    """From ``from_minute`` (UTC epoch minute) on, the seller-campaign gets no traffic."""

    advertiser_id: int
    campaign_id: int
    seller_id: int
    from_minute: int


def epoch_minute(when: datetime) -> int:
    """UTC epoch minute of an aware datetime."""
    return int(when.timestamp()) // 60


def minute_values(
    world: World, adv: Advertiser, sc: np.ndarray, first: int, count: int, today: int
) -> dict[str, np.ndarray]:
    """``{Displays, Clicks, Cost}`` → (len(sc), count) for UTC epoch minutes ``first..``
    (cost in nanos)."""
    hours = np.arange(first // 60, (first + count - 1) // 60 + 1, dtype=np.int64)
    days = np.unique(hours // 24)
    shown = observe(daily_final(world, adv, sc, days), days, today)
    cum, den = hour_profile(world, adv, days)
    di, hh = np.searchsorted(days, hours // 24), hours % 24
    w_lo, w_hi, d = cum[di, hh], cum[di, hh + 1], den[di]
    key = hash_key(
        world.seed, _T_MINUTE, adv.sc_key[sc][:, None, None], hours[None, :, None], np.arange(60)
    )
    weights = 1 + np.floor(8 * uniform(key, 0)).astype(np.int64)
    wc = np.zeros((*weights.shape[:2], 61), np.int64)
    np.cumsum(weights, axis=2, out=wc[:, :, 1:])
    total = wc[:, :, 60:61]
    offset = first - hours[0] * 60
    out = {}
    for metric, source in METRIC_SOURCES.items():
        v = shown[source][:, di]
        hourly = (scaled(v, w_hi, d) - scaled(v, w_lo, d))[:, :, None]
        minutes = scaled(hourly, wc[:, :, 1:], total) - scaled(hourly, wc[:, :, :-1], total)
        out[metric] = minutes.reshape(len(sc), -1)[:, offset : offset + count]
    return out


def eur_factor(world: World, adv: Advertiser, q: RealtimeQuery) -> float | None:
    """EUR per unit of the advertiser's currency when ``q`` asks for EUR and the advertiser is
    served in another currency (its profile's rate); None when no conversion applies."""
    served = world.changes.currency_on(adv, epoch_day(q.today))
    if q.currency != "EUR" or served == "EUR":
        return None
    return 10**adv.decimals / (adv.profile.minor_per_euro_cent * 100)


def _select(adv: Advertiser, q: RealtimeQuery, first_day: int, last_day: int) -> np.ndarray:
    mask = (adv.sc_start <= last_day) & (adv.sc_end >= first_day)
    if q.campaign_ids is not None:
        mask &= np.isin(adv.campaign_ids[adv.sc_campaign], q.campaign_ids)
    if q.seller_ids is not None:
        mask &= np.isin(adv.seller_ids[adv.sc_seller], q.seller_ids)
    return np.flatnonzero(mask)


def _local_minutes(zone: str, minutes: np.ndarray) -> np.ndarray:
    days = minutes // 1440
    uniq = np.unique(days)
    offsets = utc_offsets(zone, uniq)[np.searchsorted(uniq, days), (minutes // 60) % 24]
    return minutes + offsets


def _buckets(q: RealtimeQuery, local: np.ndarray) -> np.ndarray:
    """Each minute's time bucket, as the local epoch minute that starts the bucket."""
    if "Minute" in q.dimensions:
        return local
    if "Hour" in q.dimensions:
        return local // 60 * 60
    if "Day" in q.dimensions:
        return local // 1440 * 1440
    return np.zeros_like(local)


def _entities(q: RealtimeQuery, adv: Advertiser, sc: np.ndarray) -> np.ndarray:
    by_seller = "SellerId" in q.dimensions or "SellerName" in q.dimensions
    by_campaign = "CampaignId" in q.dimensions
    if by_seller and by_campaign:
        return sc
    if by_seller:
        return adv.sc_seller[sc]
    if by_campaign:
        return adv.sc_campaign[sc]
    return np.zeros_like(sc)


def advertiser_rows(
    world: World, adv: Advertiser, q: RealtimeQuery, switch_offs: tuple[SwitchOff, ...]
) -> dict[str, np.ndarray]:
    """One advertiser's rows (cost in minor units, rounded per row), grouped by the requested
    dimensions."""
    first, count = epoch_minute(q.start), (epoch_minute(q.end) - epoch_minute(q.start))
    sc = _select(adv, q, first // 1440, (first + max(count, 1) - 1) // 1440)
    if count <= 0 or len(sc) == 0:
        return {}
    values = minute_values(world, adv, sc, first, count, epoch_day(q.today))
    minutes = first + np.arange(count, dtype=np.int64)
    for off in switch_offs:
        if off.advertiser_id != adv.id:
            continue
        rows = (adv.campaign_ids[adv.sc_campaign[sc]] == off.campaign_id) & (
            adv.seller_ids[adv.sc_seller[sc]] == off.seller_id
        )
        cols = minutes >= off.from_minute
        for v in values.values():
            v[np.ix_(rows, cols)] = 0
    ent_key, ent = np.unique(_entities(q, adv, sc), return_inverse=True)
    time_key, tb = np.unique(_buckets(q, _local_minutes(q.time_zone, minutes)), return_inverse=True)
    cell = (ent[:, None] * len(time_key) + tb[None, :]).ravel()
    size = len(ent_key) * len(time_key)
    order = np.argsort(cell, kind="stable")
    cells = cell[order]
    starts = np.flatnonzero(np.concatenate(([True], cells[1:] != cells[:-1])))

    def total(v: np.ndarray) -> np.ndarray:  # exact integer sums per cell
        out = np.zeros(size, np.int64)
        out[cells[starts]] = np.add.reduceat(v.ravel()[order], starts)
        return out

    sums = {m: total(v) for m, v in values.items() if m != "Cost"}
    units, nanos = split(values["Cost"])
    cost = carry(total(units), total(nanos))
    decimals, to_eur = adv.decimals, eur_factor(world, adv, q)
    if to_eur is None:
        minor = NANOS // 10**adv.decimals
        sums["Cost"] = cost.units * 10**adv.decimals + round_half_even(cost.nanos, minor) // minor
    else:  # converted at the profile's rate, then rounded half-even to EUR cents
        exact = (cost.units.astype(np.float64) * NANOS + cost.nanos) * to_eur
        sums["Cost"] = np.rint(exact / (NANOS // 100)).astype(np.int64)
        decimals = 2
    keep = np.flatnonzero(sums["Displays"] + sums["Clicks"] + sums["Cost"] > 0)
    e, t = keep // len(time_key), keep % len(time_key)
    # One member seller-campaign per entity gives its campaign and seller (all members share the
    # grouped attributes; ungrouped ones are not served).
    first_of = np.zeros(len(ent_key), np.int64)
    first_of[ent[::-1]] = sc[::-1]
    local = time_key[t]
    return {
        "advertiser_id": np.full(len(keep), adv.id, np.int64),
        "campaign_id": adv.campaign_ids[adv.sc_campaign[first_of[e]]],
        "seller_id": adv.seller_ids[adv.sc_seller[first_of[e]]],
        # names in effect on today: an export covers at most the last 24 hours
        "seller_name": world.changes.names_on(adv, epoch_day(q.today))[adv.sc_seller[first_of[e]]],
        "local_minute": local,
        **{m: s[keep] for m, s in sums.items()},
        "decimals": np.full(len(keep), decimals, np.int64),
    }
