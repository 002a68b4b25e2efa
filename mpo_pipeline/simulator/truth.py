"""Ground truth: the exact rows and objects the simulator serves, as a Python API (no HTTP).

Tests compare a warehouse with it. Stats come back as a ``pyarrow.Table`` with the API column
names and the client's types (docs/lake.md): ids int64, ``sellerName`` string, ``day``/``month``/
``year`` date32, ``hour`` timestamp[us] (local wall-clock time of the requested zone), counts
int64, money (``cost``, ``revenue``, ``revenueSameSeller``, ``revenueAnySeller``)
``decimal128(38, 9)``, ratios float64 (null on a zero denominator).

Two views of the same rows:

- ``stats(...)``: exactly what is served. Each row's cost is rounded on its own (6 decimals
  half-even, or 4 significant digits below 0.001), so the decimals equal the served JSON/CSV text;
  revenue is exact; ratios are the served ones. Rows of different endpoints or intervals need not
  add up exactly: each row is within half a unit of its last digit of the exact world.
- ``exact_stats(...)``: the exact world the rows are rounded from (same signature, same rows):
  money to the nano, ratios from the exact bases. Here every endpoint, interval and zone adds up
  exactly.

``to_pylist()`` gives money as ``decimal.Decimal``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from .aggregate import ENDPOINTS, StatsQuery, compute_stats
from .budgets import budgets as budget_objects
from .clock import Clock
from .columns import POLICIES, Column, served_columns
from .config import SimulatorConfig
from .metadata import active_seller_campaigns, advertisers, campaigns, seller_campaigns, sellers
from .money import Money, to_decimal128
from .timezones import INTERVALS
from .world import Advertiser, World, build_world, epoch_day

_COUNTS = {"impressions", "clicks", "saleUnits", "saleUnitsSameSeller", "saleUnitsAnySeller"}


def _arrow(name: str, values: Column) -> pa.Array:
    if isinstance(values, Money):
        return to_decimal128(values)
    if name in ("campaignId", "sellerId") or name in _COUNTS:
        return pa.array(values, pa.int64())
    if name == "sellerName":
        return pa.array(values.tolist(), pa.string())
    if name == "hour":
        return pa.array(values.astype("datetime64[us]"), pa.timestamp("us"))
    if values.dtype.kind == "M":
        return pa.array(values.astype("datetime64[D]"), pa.date32())
    return pa.array(values, pa.float64(), mask=np.isnan(values))


class GroundTruth:
    """What the simulator of ``config`` serves, under ``clock`` (default: ``config.today``)."""

    def __init__(self, config: SimulatorConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock if clock is not None else Clock(config.today)
        self.world: World = build_world(config)

    @property
    def today(self) -> date:
        """The current simulated date."""
        return self.clock.today()

    def _advertiser(self, advertiser_id: int) -> Advertiser:
        adv = self.world.advertiser(int(advertiser_id))
        if adv is None:
            raise KeyError(f"no advertiser {advertiser_id} in this simulator")
        return adv

    def stats(
        self,
        endpoint: str,
        policy: str,
        advertiser_id: int | None,
        start: date,
        end: date,
        *,
        interval: str = "Day",
        time_zone: str | None = None,
        today: date | None = None,
        campaign_ids: tuple[int, ...] | None = None,
        seller_ids: tuple[int, ...] | None = None,
        count: int | None = None,
        exact: bool = False,
    ) -> pa.Table:
        """The rows of ``/stats/{endpoint}`` as served (``advertiser_id`` None = all advertisers).

        Money is the served value of each row (``decimal128(38, 9)``, equal to the served text);
        with ``exact`` the exact world's values instead: money to the nano (before the per-row
        rounding of the API), ratios from those exact bases. Unlike the HTTP API there is no
        range limit, but ``end`` must not be after today.
        """
        endpoint = endpoint.replace("-", "_")
        if endpoint not in ENDPOINTS or policy not in POLICIES or interval not in INTERVALS:
            raise ValueError(f"bad endpoint/policy/interval {endpoint!r}/{policy!r}/{interval!r}")
        today = today or self.today
        if end < start or end > today:
            raise ValueError(f"need start <= end <= today ({today}), got {start}..{end}")
        ids = (
            tuple(a.id for a in self.world.advertisers)
            if advertiser_id is None
            else (self._advertiser(advertiser_id).id,)
        )
        query = StatsQuery(
            endpoint=endpoint,
            advertiser_ids=ids,
            start=start,
            end=end,
            today=today,
            interval=interval,
            time_zone=time_zone,
            campaign_ids=tuple(campaign_ids) if campaign_ids is not None else None,
            seller_ids=tuple(seller_ids) if seller_ids is not None else None,
            count=count,
        )
        frame = compute_stats(self.world, query, keep_empty=not self.config.drop_empty_rows)
        cols = served_columns(frame, policy, exact=exact)
        return pa.table({name: _arrow(name, values) for name, values in cols})

    def exact_stats(self, *args: Any, **kwargs: Any) -> pa.Table:
        """``stats(..., exact=True)``: the same rows with the exact world's values."""
        return self.stats(*args, **kwargs, exact=True)

    def advertisers(self, *, today: date | None = None) -> list[dict]:
        """``GET /advertisers`` (currencies in effect on today)."""
        return advertisers(self.world, today or self.today)

    def campaigns(self, advertiser_id: int, *, today: date | None = None) -> list[dict]:
        """``GET /advertisers/{id}/campaigns``."""
        return campaigns(self._advertiser(advertiser_id), today or self.today)

    def sellers(self, advertiser_id: int, *, today: date | None = None) -> list[dict]:
        """``GET /sellers?advertiserId=`` (names in effect on today)."""
        return sellers(self.world, self._advertiser(advertiser_id), today or self.today)

    def currency_on(self, advertiser_id: int, day: date) -> str:
        """The currency of the advertiser's amounts on UTC day ``day`` (``CurrencyChange``)."""
        return self.world.changes.currency_on(self._advertiser(advertiser_id), epoch_day(day))

    def seller_name_on(self, advertiser_id: int, seller_id: int, day: date) -> str:
        """The seller's name on UTC day ``day`` (``SellerRename``)."""
        adv = self._advertiser(advertiser_id)
        found = np.flatnonzero(adv.seller_ids == seller_id)
        if len(found) == 0:
            raise KeyError(f"advertiser {advertiser_id} has no seller {seller_id}")
        return str(self.world.changes.names_on(adv, epoch_day(day))[found[0]])

    def seller_campaigns(self, advertiser_id: int, *, today: date | None = None) -> list[dict]:
        """``GET /seller-campaigns?advertiserId=``."""
        return seller_campaigns(self.world, self._advertiser(advertiser_id), today or self.today)

    def budgets(
        self, advertiser_id: int, end_after_date: date | None = None, *, today: date | None = None
    ) -> list[dict]:
        """``GET /budgets?advertiserId=[&endAfterDate=]``."""
        adv = self._advertiser(advertiser_id)
        return budget_objects(self.world, adv, today or self.today, end_after=end_after_date)

    def active_seller_campaigns(self, advertiser_id: int, day: date) -> int:
        """How many seller-campaigns delivered on ``day`` (0 on the advertiser's outage days)."""
        return active_seller_campaigns(self.world, self._advertiser(advertiser_id), day)
