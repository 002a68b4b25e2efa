"""Management endpoints' objects: advertisers, campaigns, sellers, seller-campaigns.

Field names and types follow the reference schemas (§5): advertiser and campaign ids are numbers,
seller ids and seller-campaign ids strings. Statuses depend on the clock's today: a seller-campaign
is active from its first to its last active day; before, it is suspended ``NotYetStarted``; after,
suspended since the day after its end. Names and currencies are those in effect on today
(``changes``: renames and currency changes).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .generator import is_outage
from .hashing import hash_key
from .world import OPEN_END, Advertiser, World, epoch_day, from_epoch_day

_END_REASONS = ("NoMoreBudget", "ManuallyStopped", "RemovedFromCatalog")
_T_META = 201


def advertisers(world: World, today: date) -> list[dict]:
    """``GET /advertisers``."""
    return [advertiser(world, a, today) for a in world.advertisers]


def advertiser(world: World, adv: Advertiser, today: date) -> dict:
    """``AdvertiserInfoMessage``: the currency in effect on ``today``."""
    return {
        "id": adv.id,
        "advertiserName": adv.profile.name,
        "currencyName": world.changes.currency_on(adv, epoch_day(today)),
        "timeZoneId": adv.time_zone,
    }


def campaigns(adv: Advertiser, today: date) -> list[dict]:
    """``GET /advertisers/{id}/campaigns``: Running while any seller-campaign runs."""
    t = epoch_day(today)
    out = []
    for j, cid in enumerate(adv.campaign_ids.tolist()):
        mine = adv.sc_campaign == j
        started = bool(np.any(adv.sc_start[mine] <= t))
        running = bool(np.any((adv.sc_start[mine] <= t) & (adv.sc_end[mine] >= t)))
        status = "Running" if running else ("Archived" if started else "NotRunning")
        out.append(
            {
                "id": cid,
                "campaignName": adv.campaign_names[j],
                "adSetDeliveryStatus": status,
                "status": {"Running": 0, "Archived": 1, "NotRunning": 2}[status],
            }
        )
    return out


def seller_is_active(adv: Advertiser, today: date) -> np.ndarray:
    """(K,) True for sellers with a seller-campaign active on ``today``."""
    t = epoch_day(today)
    running = (adv.sc_start <= t) & (adv.sc_end >= t)
    active = np.zeros(len(adv.seller_ids), bool)
    active[adv.sc_seller[running]] = True
    return active


def sellers(world: World, adv: Advertiser, today: date) -> list[dict]:
    """``GET /sellers?advertiserId=``: ``SellerBase`` (id as a string), named as on ``today``."""
    names = world.changes.names_on(adv, epoch_day(today))
    return [
        {"id": str(sid), "sellerName": name}
        for sid, name in zip(adv.seller_ids.tolist(), names.tolist(), strict=True)
    ]


def _suspended_since(day: int, odd: bool) -> str:
    # The reference shows both forms in the wild; serve both so clients parse both.
    d = from_epoch_day(day).isoformat()
    return f"{d}T00:00:00.000" if odd else f"{d}T00:00:00.0000000+00:00"


def seller_campaign(world: World, adv: Advertiser, i: int, today: date) -> dict:
    """``SellerCampaignMessage`` of the i-th seller-campaign."""
    t = epoch_day(today)
    sid = int(adv.seller_ids[adv.sc_seller[i]])
    cid = int(adv.campaign_ids[adv.sc_campaign[i]])
    start, end = int(adv.sc_start[i]), int(adv.sc_end[i])
    h = int(hash_key(world.seed, _T_META, adv.sc_key[i]))
    since, reasons = None, None
    if start > t:
        since, reasons = _suspended_since(world.data_start, bool(h & 1)), ["NotYetStarted"]
    elif end != OPEN_END and end < t:
        since = _suspended_since(end + 1, bool(h & 1))
        reasons = [_END_REASONS[(h >> 8) % len(_END_REASONS)]]
    return {
        "id": f"{sid}.{cid}",
        "sellerId": str(sid),
        "campaignId": cid,
        "bid": round(int(adv.sc_cpc[i]) / 1e6, adv.decimals),  # micro-units to the currency
        "suspendedSince": since,
        "suspensionReasons": reasons,
        "productSet": {
            "productSetNumberOfProducts": 10 + (h >> 16) % 5000,
            "productSetStatus": "Ready",
            "rules": None,
        },
    }


def seller_campaigns(world: World, adv: Advertiser, today: date) -> list[dict]:
    """``GET /seller-campaigns?advertiserId=`` and ``/advertisers/{id}/seller-campaigns``."""
    return [seller_campaign(world, adv, i, today) for i in range(len(adv.sc_key))]


def active_seller_campaigns(world: World, adv: Advertiser, day: date) -> int:
    """Seller-campaigns delivering on ``day`` (0 on the advertiser's outage days)."""
    d = epoch_day(day)
    if bool(is_outage(world, adv, np.array([d]))[0]):
        return 0
    return int(np.count_nonzero((adv.sc_start <= d) & (adv.sc_end >= d)))
