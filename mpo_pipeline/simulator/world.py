"""The simulated world: advertisers, campaigns, sellers and seller-campaigns with their traits.

Everything is drawn from counter-based hashes of the seed, so a world is a pure function of
``SimulatorConfig.data_key()`` and is built once per config (cached).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from .changes import NO_CHANGES, Changes
from .config import ADVERTISER_PROFILES, AdvertiserProfile, SimulatorConfig
from .hashing import hash_key, normal_and_uniforms, uniform

EPOCH = date(1970, 1, 1)
OPEN_END = 2**31 - 1  # epoch day of "no end date yet"
SELLER_ID_BASE = 5_000_000_000  # Criteo seller ids exceed 32 bits
MEMBERSHIP_PROBABILITY = 0.6  # chance that a seller takes part in a given campaign
_THEMES = ("Home", "Electronics", "Fashion", "Sports", "Toys", "Beauty", "Garden", "Auto")

# Hash domains, so that no two kinds of draw ever share a key.
_T_POOL, _T_PICK, _T_MEMBER, _T_HOME, _T_SPAN, _T_TRAIT, _T_CAMPAIGN = range(1, 8)


def epoch_day(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def from_epoch_day(n: int) -> date:
    """The date ``n`` days after 1970-01-01."""
    return EPOCH + timedelta(days=int(n))


@dataclass(frozen=True, eq=False)
class Advertiser:
    """One advertiser and its campaigns, sellers and seller-campaigns (numpy columns)."""

    index: int
    id: int
    profile: AdvertiserProfile
    campaign_ids: np.ndarray  # (C,) int64
    campaign_names: tuple[str, ...]
    seller_ids: np.ndarray  # (K,) int64
    seller_names: np.ndarray  # (K,) object: marketplace seller keys, text
    seller_pool: np.ndarray  # (K,) index of each seller in the marketplace-wide pool
    sc_campaign: np.ndarray  # (n,) index into campaign_ids
    sc_seller: np.ndarray  # (n,) index into seller_ids
    sc_start: np.ndarray  # (n,) epoch day of the first active day (UTC)
    sc_end: np.ndarray  # (n,) epoch day of the last active day, OPEN_END while running
    sc_key: np.ndarray  # (n,) uint64 hash key of the seller-campaign
    sc_impressions: np.ndarray  # (n,) typical impressions per day
    sc_ctr: np.ndarray
    sc_cpc: np.ndarray  # (n,) int64 cost per click (the bid), in micro-units of the currency
    sc_display_cost: np.ndarray  # cost per display, in nanos (1e-9) of the currency
    sc_cvr: np.ndarray  # sales per click; 0 for seller-campaigns that never convert
    sc_basket: np.ndarray  # revenue per sale, in minor units
    sc_same_share: np.ndarray  # share of attributed sales that are of the clicked seller

    @property
    def currency(self) -> str:
        return self.profile.currency

    @property
    def decimals(self) -> int:
        return self.profile.decimals

    @property
    def time_zone(self) -> str:
        return self.profile.time_zone


@dataclass(frozen=True, eq=False)
class World:
    """All advertisers of one config, plus the marketplace-wide seller-name pool and the
    configured renames and currency changes (``changes``)."""

    seed: int
    data_start: int  # epoch day
    pool_names: np.ndarray  # object array of seller names (before any rename)
    advertisers: tuple[Advertiser, ...]
    changes: Changes = field(default=NO_CHANGES)

    def advertiser(self, advertiser_id: int) -> Advertiser | None:
        """The advertiser with that id, or None."""
        for adv in self.advertisers:
            if adv.id == advertiser_id:
                return adv
        return None


def pool_name(i: int, digits: bool) -> str:
    """Marketplace seller key: ``MKT-00042`` or an all-digit key with a leading zero."""
    return f"0{(i * 7919 + 17) % 1_000_000:06d}" if digits else f"MKT-{i:05d}"


def _build_advertiser(
    seed: int, i: int, cfg: SimulatorConfig, pool_size: int, pool_names: np.ndarray, data_start: int
) -> Advertiser:
    profile = ADVERTISER_PROFILES[i]
    n_c, n_k = cfg.campaigns, cfg.sellers
    # Sellers: K distinct names from the shared pool (two advertisers share many names).
    pick = np.argsort(hash_key(seed, _T_PICK, i, np.arange(pool_size)), kind="stable")[:n_k]
    pool = np.sort(pick)
    seller_ids = SELLER_ID_BASE + (i + 1) * 10_000_000 + (pool * 7919) % 10_000_000
    camp = np.arange(n_c)
    # Membership: each seller joins each campaign with some probability, and its home one surely.
    home = (hash_key(seed, _T_HOME, i, pool) % np.uint64(n_c)).astype(np.int64)
    member = uniform(hash_key(seed, _T_MEMBER, i, pool[:, None], camp[None, :]), 0)
    member = (member < MEMBERSHIP_PROBABILITY) | (camp[None, :] == home[:, None])
    sc_seller, sc_campaign = np.nonzero(member)  # ordered by seller, then campaign
    key = hash_key(seed, _T_SPAN, i, pool[sc_seller], sc_campaign)
    # Active spans: 40% from the first day, the rest join later; 35% leave after 30..530 days.
    u_start, u_when = uniform(key, 1), uniform(key, 2)
    start = data_start + np.where(u_start < 0.4, 0, np.floor(u_when * 1100)).astype(np.int64)
    u_end, u_len = uniform(key, 3), uniform(key, 4)
    end = np.where(u_end < 0.35, start + 30 + np.floor(u_len * 500).astype(np.int64), OPEN_END)
    # Traits. Money: minor units for revenue, micro-units for the bid, nanos for display cost.
    scale = profile.minor_per_euro_cent
    nanos_per_euro_cent = scale * 10 ** (9 - profile.decimals)
    z, u1, u2 = normal_and_uniforms(key, 10)
    camp_factor = 0.5 + uniform(hash_key(seed, _T_CAMPAIGN, i, camp), 0)
    impressions = np.clip(800.0 * np.exp(z), 20.0, 60_000.0) * camp_factor[sc_campaign]
    ctr = 0.002 + 0.013 * u1
    # Bids of 0.15..0.60 EUR, to the micro-unit (e.g. 0.153427 EUR, 45.483871 JPY).
    cpc = np.rint((15.0 + 45.0 * u2) * nanos_per_euro_cent / 1000).astype(np.int64)
    _, u3, u4 = normal_and_uniforms(key, 20)
    _, u5, u6 = normal_and_uniforms(key, 30)
    cvr = np.where(u3 < 0.12, 0.0, 0.02 + 0.06 * u4)  # 12% click but never convert
    basket = (1500.0 + 10_500.0 * u5) * scale
    same_share = 0.5 + 0.4 * u6
    # A display costs 4e-6..4e-5 EUR: a row with displays but no click costs next to nothing.
    _, u7, _ = normal_and_uniforms(key, 40)
    display_cost = (0.4 + 3.6 * u7) * nanos_per_euro_cent / 1000
    themes = [_THEMES[(j + i) % len(_THEMES)] for j in range(n_c)]
    return Advertiser(
        index=i,
        id=40_000 + 1_111 * (i + 1),
        profile=profile,
        campaign_ids=(168_000 + 100 * i + camp + 1).astype(np.int64),
        campaign_names=tuple(f"MPO {profile.country} {t} #{j + 1}" for j, t in enumerate(themes)),
        seller_ids=seller_ids.astype(np.int64),
        seller_names=pool_names[pool],
        seller_pool=pool,
        sc_campaign=sc_campaign.astype(np.int64),
        sc_seller=sc_seller.astype(np.int64),
        sc_start=start,
        sc_end=end.astype(np.int64),
        sc_key=key,
        sc_impressions=impressions,
        sc_ctr=ctr,
        sc_cpc=cpc,
        sc_display_cost=display_cost,
        sc_cvr=cvr,
        sc_basket=basket,
        sc_same_share=same_share,
    )


@lru_cache(maxsize=16)
def _build(key: tuple[int, int, int, int, date]) -> World:
    seed, n_adv, n_camp, n_sell, start = key
    cfg = SimulatorConfig(seed=seed, advertisers=n_adv, campaigns=n_camp, sellers=n_sell)
    pool_size = math.ceil(n_sell * 1.25) + 3
    digits = uniform(hash_key(seed, _T_POOL, np.arange(pool_size)), 0) < 0.35
    pool_names = np.array([pool_name(j, bool(d)) for j, d in enumerate(digits)], dtype=object)
    data_start = epoch_day(start)
    advertisers = tuple(
        _build_advertiser(seed, i, cfg, pool_size, pool_names, data_start) for i in range(n_adv)
    )
    return World(seed=seed, data_start=data_start, pool_names=pool_names, advertisers=advertisers)


def build_world(config: SimulatorConfig) -> World:
    """The world of a config: the cached generated world, with the config's changes applied."""
    world = _build(config.data_key())
    if not config.has_world_changes:
        return world
    changes = Changes.build(
        world.advertisers, world.pool_names, config.seller_renames, config.currency_changes
    )
    return replace(world, changes=changes)
