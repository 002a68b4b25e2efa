"""Changes of the world, configurable: a seller renamed, an advertiser's currency changed, a
version retired.

Each event is a frozen value in ``SimulatorConfig`` (so configs stay hashable). Renames and
currency changes take effect at 00:00 UTC of ``from_day`` (the simulator's data live in UTC
days); ``changes.Changes`` applies them to the world, ``versions.Retirement`` applies the
retirement at the gate. None of them alters the generated figures: a world with events serves the
same numbers as the world without.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SellerRename:
    """From ``from_day`` on, seller ``seller_id`` of ``advertiser_id`` is called ``name``.

    Stats rows of earlier days keep the name of their day; ``/sellers`` shows the name in effect
    on the simulator's today.
    """

    advertiser_id: int
    seller_id: int
    name: str
    from_day: date

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("SellerRename.name must be a non-empty string")
        if not isinstance(self.from_day, date):
            raise ValueError("SellerRename.from_day must be a date")


@dataclass(frozen=True)
class CurrencyChange:
    """From ``from_day`` on, advertiser ``advertiser_id`` reports in ``currency``.

    Amounts keep their numbers (the API has no conversion): only the currency they are in
    changes, so the new currency must have the same minor unit as the old one. ``/advertisers``
    shows the currency in effect on the simulator's today.
    """

    advertiser_id: int
    currency: str
    from_day: date

    def __post_init__(self) -> None:
        if not (isinstance(self.currency, str) and len(self.currency) == 3):
            raise ValueError("CurrencyChange.currency must be an ISO 4217 code such as 'USD'")
        if not isinstance(self.from_day, date):
            raise ValueError("CurrencyChange.from_day must be a date")


@dataclass(frozen=True)
class VersionRetirement:
    """``version`` answers 410 Gone on every path once ``after_stats_requests`` stats requests of
    that version have been let through, or from the simulated day ``from_day`` on (whichever
    comes first; at least one must be given)."""

    version: str
    after_stats_requests: int | None = None
    from_day: date | None = None

    def __post_init__(self) -> None:
        if self.after_stats_requests is None and self.from_day is None:
            raise ValueError("VersionRetirement needs after_stats_requests or from_day")
        if self.after_stats_requests is not None and self.after_stats_requests < 0:
            raise ValueError("VersionRetirement.after_stats_requests must be >= 0")
