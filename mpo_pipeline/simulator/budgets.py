"""Seller budgets: consecutive budgets covering each seller-campaign's active span.

Each seller-campaign has 1-3 budgets of 120 days; the last one ends with the span, or is
open-ended (``endDate: ""``) while the seller-campaign runs. ``spend`` is the cost (as shown on
``today``) of the budget's UTC days up to yesterday (spend lags), or up to ``endAfterDate`` when
that filter is given, as the reference says: summed exactly in nanos, then rounded half-even to
the currency's decimals. Scheduled budgets have ``spend: null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from .generator import daily_final, hour_profile, scaled
from .hashing import hash_key
from .money import NANOS, round_half_even
from .restatement import cutoff_hours, observe
from .world import OPEN_END, Advertiser, World, epoch_day, from_epoch_day

BUDGET_DAYS = 120
_T_BUDGET = 301
_CELLS_PER_CHUNK = 150_000


@dataclass(frozen=True, eq=False)
class Budgets:
    """All budgets of an advertiser, as numpy columns."""

    sc: np.ndarray  # seller-campaign index
    start: np.ndarray  # epoch day
    end: np.ndarray  # epoch day, OPEN_END when open-ended
    capped: np.ndarray  # bool
    amount: np.ndarray  # major units (NaN when uncapped)
    ids: np.ndarray  # int64 budget ids


@lru_cache(maxsize=32)
def budget_table(world: World, adv: Advertiser) -> Budgets:
    """The budgets of an advertiser (cached per world)."""
    h = hash_key(world.seed, _T_BUDGET, adv.sc_key)
    count = 1 + (h % np.uint64(3)).astype(np.int64)
    sc = np.repeat(np.arange(len(h)), count)
    k = np.arange(len(sc)) - np.repeat(np.cumsum(count) - count, count)
    start = adv.sc_start[sc] + BUDGET_DAYS * k
    keep = start <= adv.sc_end[sc]
    sc, k, start = sc[keep], k[keep], start[keep]
    last = np.append(sc[1:] != sc[:-1], True)
    end = np.where(last, adv.sc_end[sc], start + BUDGET_DAYS - 1)
    hb = (h[sc] >> np.uint64(8)).astype(np.int64)
    capped = ~(last & (end == OPEN_END) & (hb % 2 == 0))
    # Capped amounts: the expected cost over the budget (two years when open-ended) with headroom,
    # rounded up to 50 major units.
    days = np.where(end == OPEN_END, 730, end - start + 1)
    daily = (adv.sc_impressions * adv.sc_ctr * adv.sc_cpc)[sc] / 1e6  # cpc in micro-units
    headroom = 1.3 + ((hb >> 4) % 100) / 100
    amount = np.where(capped, np.ceil(daily * days * headroom / 50) * 50, np.nan)
    ids = 10_000_000 * (adv.index + 1) + 3 * sc + k
    return Budgets(sc=sc, start=start, end=end, capped=capped, amount=amount, ids=ids)


def _spend(
    world: World, adv: Advertiser, sc: np.ndarray, lo: np.ndarray, hi: np.ndarray, today: int
) -> np.ndarray:
    """Shown cost (nanos) of seller-campaign ``sc[i]`` over UTC days ``lo[i]..hi[i]``."""
    total = np.zeros(len(sc), np.int64)
    valid = hi >= lo
    if not valid.any():
        return total
    needed, pos = np.unique(sc[valid], return_inverse=True)
    lo_v, hi_v = lo[valid], hi[valid]
    acc = np.zeros(len(lo_v), np.int64)
    first, last = int(lo_v.min()), int(hi_v.max())
    chunk = max(1, _CELLS_PER_CHUNK // len(needed))
    for c0 in range(first, last + 1, chunk):
        days = np.arange(c0, min(c0 + chunk, last + 1), dtype=np.int64)
        cost = observe(daily_final(world, adv, needed, days), days, today)["cost"]
        cum, den = hour_profile(world, adv, days)
        daily = scaled(cost, cum[np.arange(len(days)), cutoff_hours(days, today)], den)
        cs = np.zeros((len(needed), len(days) + 1), np.int64)
        np.cumsum(daily, axis=1, out=cs[:, 1:])
        a = np.maximum(lo_v, days[0]) - days[0]
        b = np.minimum(hi_v, days[-1]) - days[0]
        inside = a <= b
        acc[inside] += cs[pos[inside], b[inside] + 1] - cs[pos[inside], a[inside]]
    total[valid] = acc
    return total


def budgets(
    world: World,
    adv: Advertiser,
    today: date,
    *,
    end_after: date | None = None,
    start_before: date | None = None,
    campaign_ids: tuple[int, ...] | None = None,
    seller_ids: tuple[int, ...] | None = None,
    status: str | None = None,
    budget_type: str | None = None,
) -> list[dict]:
    """``GET /budgets``: past budgets only when ``end_after`` is given."""
    t = epoch_day(today)
    bt = budget_table(world, adv)
    cid = adv.campaign_ids[adv.sc_campaign[bt.sc]]
    sid = adv.seller_ids[adv.sc_seller[bt.sc]]
    stat = np.where(bt.end < t, "Archived", np.where(bt.start > t, "Scheduled", "Current"))
    kind = np.where(bt.capped, "Capped", "Uncapped")
    keep = bt.end >= (t if end_after is None else epoch_day(end_after))
    if start_before is not None:
        keep &= bt.start <= epoch_day(start_before)
    if campaign_ids is not None:
        keep &= np.isin(cid, campaign_ids)
    if seller_ids is not None:
        keep &= np.isin(sid, seller_ids)
    if status is not None:
        keep &= stat == status
    if budget_type is not None:
        keep &= kind == budget_type
    rows = np.flatnonzero(keep)
    cap = t - 1 if end_after is None else min(t - 1, epoch_day(end_after))
    hi = np.minimum(bt.end[rows], cap)
    minor = NANOS // 10**adv.decimals
    spend = round_half_even(_spend(world, adv, bt.sc[rows], bt.start[rows], hi, t), minor)
    spend = spend // minor / 10**adv.decimals
    out = []
    for j, r in enumerate(rows.tolist()):
        end = int(bt.end[r])
        out.append(
            {
                "id": str(int(bt.ids[r])),
                "sellerId": str(int(sid[r])),
                "campaignIds": [int(cid[r])],
                "budgetType": str(kind[r]),
                "amount": None if np.isnan(bt.amount[r]) else float(bt.amount[r]),
                "startDate": from_epoch_day(int(bt.start[r])).isoformat(),
                "endDate": "" if end == OPEN_END else from_epoch_day(end).isoformat(),
                "isSuspended": False,
                "spend": None if stat[r] == "Scheduled" else float(spend[j]),
                "status": str(stat[r]),
            }
        )
    return out
