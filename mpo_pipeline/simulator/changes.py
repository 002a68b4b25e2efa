"""Renames and currency changes applied to a world: who is called what, in which currency, when.

Built once per config from its events (``events.py``) and checked against the world: unknown
advertisers or sellers, a new name that is a marketplace seller key already (or given to two
different marketplace sellers), or a currency whose minor unit differs from the advertiser's are
refused. Days are epoch days (UTC); an event holds
from 00:00 UTC of its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from .config import ADVERTISER_PROFILES
from .events import CurrencyChange, SellerRename

if TYPE_CHECKING:
    from .world import Advertiser

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Minor units of the currencies the simulator knows (ISO 4217).
MINOR_UNITS = {p.currency: p.decimals for p in ADVERTISER_PROFILES}


def _day(d: date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


@dataclass(frozen=True)
class _Rename:
    day: int  # epoch day from which the name holds
    seller: int  # index into the advertiser's sellers
    name: str


@dataclass(frozen=True, eq=False)
class Changes:
    """The renames and currency changes of each advertiser, in day order."""

    renames: dict[int, tuple[_Rename, ...]] = field(default_factory=dict)
    currencies: dict[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        advertisers: Sequence[Advertiser],
        pool_names: np.ndarray,
        renames: Sequence[SellerRename],
        currency_changes: Sequence[CurrencyChange],
    ) -> Changes:
        """Validate the events against the world's advertisers and compile them."""
        by_id = {a.id: a for a in advertisers}
        taken = set(pool_names.tolist())
        compiled: dict[int, list[_Rename]] = {}
        pool_of_name: dict[str, int] = {}  # a new name is one marketplace seller's key
        for event in renames:
            adv = by_id.get(event.advertiser_id)
            if adv is None:
                raise ValueError(f"SellerRename: no advertiser {event.advertiser_id}")
            found = np.flatnonzero(adv.seller_ids == event.seller_id)
            if len(found) == 0:
                raise ValueError(
                    f"SellerRename: advertiser {adv.id} has no seller {event.seller_id}"
                )
            seller = int(found[0])
            if event.name in taken:
                raise ValueError(f"SellerRename: {event.name!r} is another seller's key already")
            if pool_of_name.setdefault(event.name, int(adv.seller_pool[seller])) != int(
                adv.seller_pool[seller]
            ):
                raise ValueError(f"SellerRename: two different sellers renamed {event.name!r}")
            rename = _Rename(_day(event.from_day), seller, event.name)
            compiled.setdefault(adv.id, []).append(rename)
        currencies: dict[int, list[tuple[int, str]]] = {}
        for change in currency_changes:
            adv = by_id.get(change.advertiser_id)
            if adv is None:
                raise ValueError(f"CurrencyChange: no advertiser {change.advertiser_id}")
            if MINOR_UNITS.get(change.currency) != adv.decimals:
                raise ValueError(
                    f"CurrencyChange: {change.currency!r} must be one of "
                    f"{sorted(c for c, d in MINOR_UNITS.items() if d == adv.decimals)} (same "
                    f"minor unit as {adv.currency}: amounts keep their numbers)"
                )
            currencies.setdefault(adv.id, []).append((_day(change.from_day), change.currency))
        return cls(
            renames={a: tuple(sorted(r, key=lambda x: x.day)) for a, r in compiled.items()},
            currencies={a: tuple(sorted(c)) for a, c in currencies.items()},
        )

    def currency_on(self, adv: Advertiser, day: int) -> str:
        """The advertiser's currency on epoch day ``day``."""
        currency = adv.currency
        for start, code in self.currencies.get(adv.id, ()):
            if start <= day:
                currency = code
        return currency

    def has_renames(self, adv: Advertiser) -> bool:
        """True when a seller of ``adv`` changes name at some point."""
        return adv.id in self.renames

    def row_names(self, adv: Advertiser, seller: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The name of seller index ``seller[i]`` on epoch day ``day[i]`` (object array)."""
        names = adv.seller_names[seller]  # a new array (fancy indexing copies)
        for rename in self.renames.get(adv.id, ()):
            names[(seller == rename.seller) & (day >= rename.day)] = rename.name
        return names

    def names_on(self, adv: Advertiser, day: int) -> np.ndarray:
        """Every seller's name on epoch day ``day``, (K,) object array."""
        k = np.arange(len(adv.seller_ids))
        return self.row_names(adv, k, np.full(len(k), day, np.int64))

    def final_names(self, adv: Advertiser) -> np.ndarray:
        """Every seller's name after its last rename."""
        return self.names_on(adv, 2**31 - 1)


NO_CHANGES = Changes()
