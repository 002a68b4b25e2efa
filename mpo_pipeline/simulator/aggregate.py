"""The stats engine: rows of an endpoint for an interval, zone, clock and filters.

Every endpoint is computed from seller-campaign values, bucket by bucket, so in the exact world
seller-campaign rows add up exactly to seller rows and to campaign rows, hours to days and days to
months and years. Cost is summed as two int64 limbs (whole units and nanos, see ``money``); what a
row is *served* with is rounded from its own exact value afterwards (``columns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .generator import daily_final, hour_profile, scaled
from .money import Money, carry, split
from .restatement import OBSERVED, cutoff_hours, observe
from .timezones import segments
from .world import Advertiser, World, epoch_day

ENDPOINTS = ("sellers", "campaigns", "seller_campaigns")
_CELLS_PER_CHUNK = 150_000  # seller-campaign x segment cells per step: fits in the CPU cache
_INT64_MAX = 2**63 - 1
# Summed metrics: the observed ones, cost as two limbs (whole units, nanos).
SUMMED = (*(m for m in OBSERVED if m != "cost"), "cost_units", "cost_nanos")


@dataclass(frozen=True)
class StatsQuery:
    """One stats request, already validated (``time_zone`` None = each advertiser's own)."""

    endpoint: str
    advertiser_ids: tuple[int, ...]
    start: date
    end: date
    today: date
    interval: str = "Day"
    time_zone: str | None = None
    campaign_ids: tuple[int, ...] | None = None
    seller_ids: tuple[int, ...] | None = None
    count: int | None = None


@dataclass(frozen=True, eq=False)
class StatsFrame:
    """Rows in served order with their exact base metrics.

    Cost is exact (``cost``: whole units and nanos of the major unit), revenue in whole minor
    units of each row's currency (``decimals`` digits).
    """

    endpoint: str
    interval: str
    campaign_id: np.ndarray
    seller_id: np.ndarray
    seller_name: np.ndarray
    label: np.ndarray  # datetime64[D] or datetime64[h]
    impressions: np.ndarray
    clicks: np.ndarray
    cost_units: np.ndarray  # whole major units of the exact cost
    cost_nanos: np.ndarray  # and its nanos, 0..999,999,999
    same_units: np.ndarray
    any_units: np.ndarray
    same_revenue: np.ndarray
    any_revenue: np.ndarray
    decimals: np.ndarray  # minor-unit digits of each row's currency

    def __len__(self) -> int:
        return len(self.label)

    @property
    def cost(self) -> Money:
        """The exact cost of each row."""
        return Money(self.cost_units, self.cost_nanos)


def _select(adv: Advertiser, q: StatsQuery, first: int, last: int) -> np.ndarray:
    mask = (adv.sc_start <= last) & (adv.sc_end >= first)
    if q.campaign_ids is not None:
        mask &= np.isin(adv.campaign_ids[adv.sc_campaign], q.campaign_ids)
    if q.seller_ids is not None:
        mask &= np.isin(adv.seller_ids[adv.sc_seller], q.seller_ids)
    return np.flatnonzero(mask)


def _reduce(
    values: np.ndarray, b_starts: np.ndarray, group_starts: np.ndarray, whole: bool
) -> np.ndarray:
    """Sum cells (seller-campaign x segment) into (group x bucket)."""
    val = np.add.reduceat(values, b_starts, axis=1)
    return val if whole else np.add.reduceat(val, group_starts, axis=0)


def bucket_values(
    world: World, adv: Advertiser, sc: np.ndarray, group: np.ndarray, q: StatsQuery
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Bucket labels and {metric: (n_groups, n_buckets)} for seller-campaigns ``sc``.

    ``sc`` must be sorted by ``group`` (a group index per seller-campaign, 0..n_groups-1 dense).
    Metrics are ``SUMMED``; the cost limbs come back carried (``cost_nanos`` < 1e9).
    """
    seg = segments(q.time_zone or adv.time_zone, epoch_day(q.start), epoch_day(q.end), q.interval)
    today = epoch_day(q.today)
    n_groups = int(group[-1]) + 1 if len(group) else 0
    out = {m: np.zeros((n_groups, len(seg.labels)), dtype=np.int64) for m in SUMMED}
    if n_groups == 0 or len(seg.day) == 0:
        return seg.labels, out
    group_starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    whole = len(group_starts) == len(sc)  # one seller-campaign per group: no reduction needed
    days = np.arange(seg.day[0], seg.day[-1] + 1, dtype=np.int64)
    per_day = len(seg.day) / len(days)
    chunk = max(1, int(_CELLS_PER_CHUNK / (len(sc) * per_day)))
    for c0 in range(0, len(days), chunk):
        cd = days[c0 : c0 + chunk]
        k0, k1 = np.searchsorted(seg.day, [cd[0], cd[-1] + 1])
        shown = observe(daily_final(world, adv, sc, cd), cd, today)
        cum, den = hour_profile(world, adv, cd)
        cut = cutoff_hours(cd, today)
        col = seg.day[k0:k1] - cd[0]
        hi = np.minimum(seg.h1[k0:k1], cut[col])
        lo = np.minimum(seg.h0[k0:k1], cut[col])
        # Whole UTC days (most segments of Month/Year, all of Day in UTC) need no split:
        # v * cum[24] // cum[24] is v, or 0 on a day that is all outage.
        whole_day = (lo == 0) & (hi == 24)
        part = np.flatnonzero(~whole_day)
        w_hi, w_lo, den_p = cum[col[part], hi[part]], cum[col[part], lo[part]], den[col[part]]
        delivered = (cum[col, 24] > 0).astype(np.int64)
        b = seg.bucket[k0:k1]
        b_starts = np.flatnonzero(np.concatenate(([True], b[1:] != b[:-1])))
        for m in OBSERVED:
            v = shown[m][:, col]
            v *= delivered
            if len(part):
                vp = v[:, part]
                if m == "cost":
                    v[:, part] = scaled(vp, w_hi, den_p) - scaled(vp, w_lo, den_p)
                else:
                    v[:, part] = vp * w_hi // den_p - vp * w_lo // den_p
            if m != "cost":
                out[m][:, b[b_starts]] += _reduce(v, b_starts, group_starts, whole)
                continue
            # Cost: the sums of one chunk fit an int64 when no sum of its cells can reach 2**63
            # (always, short of extreme worlds); split into limbs after reducing, else before.
            if int(v.max(initial=0)) <= _INT64_MAX // max(v.size, 1):
                limbs = split(_reduce(v, b_starts, group_starts, whole))
            else:
                limbs = tuple(_reduce(x, b_starts, group_starts, whole) for x in split(v))
            out["cost_units"][:, b[b_starts]] += limbs[0]
            out["cost_nanos"][:, b[b_starts]] += limbs[1]
    cost = carry(out["cost_units"], out["cost_nanos"])
    out["cost_units"], out["cost_nanos"] = cost.units, cost.nanos
    return seg.labels, out


def bucket_name_days(adv: Advertiser, q: StatsQuery, n_buckets: int) -> np.ndarray:
    """Per bucket, the UTC day whose seller names the bucket's rows carry: its last UTC day, or
    today when the bucket reaches past it (a row spanning a rename shows the newest name)."""
    seg = segments(q.time_zone or adv.time_zone, epoch_day(q.start), epoch_day(q.end), q.interval)
    last = np.full(n_buckets, np.iinfo(np.int64).min, np.int64)
    np.maximum.at(last, seg.bucket, seg.day)
    return np.minimum(last, epoch_day(q.today))


def _advertiser_rows(world: World, adv: Advertiser, q: StatsQuery, keep_empty: bool) -> dict:
    first, last = epoch_day(q.start) - 1, epoch_day(q.end) + 1
    sc = _select(adv, q, first, last)
    key = {
        "seller_campaigns": np.arange(len(adv.sc_key)),
        "sellers": adv.sc_seller,
        "campaigns": adv.sc_campaign,
    }[q.endpoint][sc]
    order = np.argsort(key, kind="stable")
    sc, key = sc[order], key[order]
    members, group = np.unique(key, return_inverse=True)  # members: entity index per group
    labels, vals = bucket_values(world, adv, sc, group.astype(np.int64), q)
    any_units = vals["same_units"] + vals["extra_units"]
    any_revenue = vals["same_revenue"] + vals["extra_revenue"]
    activity = (vals["impressions"] + vals["clicks"] + any_units + any_revenue > 0) | (
        (vals["cost_units"] > 0) | (vals["cost_nanos"] > 0)
    )
    gi, bi = np.nonzero(np.ones_like(activity, bool) if keep_empty else activity)
    if q.endpoint == "seller_campaigns":
        entity = members[gi]  # group members are seller-campaign indexes
        camp, seller = adv.sc_campaign[entity], adv.sc_seller[entity]
    elif q.endpoint == "sellers":
        camp, seller = None, members[gi]
    else:
        camp, seller = members[gi], None
    n = len(gi)
    if seller is None:
        names = np.full(n, "", object)
    elif world.changes.has_renames(adv):
        names = world.changes.row_names(adv, seller, bucket_name_days(adv, q, len(labels))[bi])
    else:
        names = adv.seller_names[seller]
    return {
        "campaign_id": adv.campaign_ids[camp] if camp is not None else np.zeros(n, np.int64),
        "seller_id": adv.seller_ids[seller] if seller is not None else np.zeros(n, np.int64),
        "seller_name": names,
        "label": labels[bi],
        "impressions": vals["impressions"][gi, bi],
        "clicks": vals["clicks"][gi, bi],
        "cost_units": vals["cost_units"][gi, bi],
        "cost_nanos": vals["cost_nanos"][gi, bi],
        "same_units": vals["same_units"][gi, bi],
        "any_units": any_units[gi, bi],
        "same_revenue": vals["same_revenue"][gi, bi],
        "any_revenue": any_revenue[gi, bi],
        "decimals": np.full(n, adv.decimals, np.int64),
    }


def compute_stats(world: World, q: StatsQuery, *, keep_empty: bool = False) -> StatsFrame:
    """The rows served for ``q``: ordered by interval, then campaignId, then sellerId."""
    if q.endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {q.endpoint!r}")
    parts = [
        _advertiser_rows(world, adv, q, keep_empty)
        for adv in world.advertisers
        if adv.id in q.advertiser_ids
    ]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else None
    if cols is None or len(cols["label"]) == 0:
        unit = "datetime64[h]" if q.interval == "Hour" else "datetime64[D]"
        empty = {k: np.zeros(0, np.int64) for k in StatsFrame.__dataclass_fields__}
        empty.update(seller_name=np.zeros(0, object), label=np.zeros(0, unit))
        cols = {k: v for k, v in empty.items() if k not in ("endpoint", "interval")}
    order = np.lexsort((cols["seller_id"], cols["campaign_id"], cols["label"].astype(np.int64)))
    if q.count is not None:
        order = order[: q.count]
    return StatsFrame(
        endpoint=q.endpoint, interval=q.interval, **{k: v[order] for k, v in cols.items()}
    )
