"""The simulator's configuration: data size, clock, faults and demo credentials.

``SimulatorConfig`` is frozen and hashable, so the generated world can be cached per config.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from . import versions
from .events import CurrencyChange, SellerRename, VersionRetirement

MAX_ADVERTISERS = 5
MAX_CAMPAIGNS = 50
MAX_SELLERS = 10_000


@dataclass(frozen=True)
class AdvertiserProfile:
    """Fixed traits of the n-th simulated advertiser."""

    name: str
    currency: str
    decimals: int  # minor-unit digits of the currency (JPY has none)
    time_zone: str
    minor_per_euro_cent: float  # how many minor units of the currency one euro cent is worth
    country: str


# The default config has two advertisers: a two-decimal currency and a zero-decimal one (JPY),
# so the demo world always exercises both kinds of money.
ADVERTISER_PROFILES: tuple[AdvertiserProfile, ...] = (
    AdvertiserProfile("Demo Marketplace FR", "EUR", 2, "Europe/Paris", 1.0, "FR"),
    AdvertiserProfile("Demo Marketplace JP", "JPY", 0, "Asia/Tokyo", 1.6, "JP"),
    AdvertiserProfile("Demo Marketplace US", "USD", 2, "America/New_York", 1.1, "US"),
    AdvertiserProfile("Demo Marketplace UK", "GBP", 2, "Europe/London", 0.85, "GB"),
    AdvertiserProfile("Demo Marketplace BR", "BRL", 2, "America/Sao_Paulo", 6.0, "BR"),
)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes what the simulator serves.

    Data fields (``seed``, ``advertisers``, ``campaigns``, ``sellers``, ``data_start``) fix the
    generated world; ``today`` fixes the clock (``None`` = the real current UTC date, read live);
    the fault fields make the API misbehave on demand, replayably from ``fault_seed``
    (``None`` = ``seed``).
    """

    seed: int = 42
    advertisers: int = 2
    campaigns: int = 5  # per advertiser
    sellers: int = 300  # per advertiser, drawn from one marketplace-wide pool of names
    today: date | None = None
    rate_limit: int | None = None  # calls per minute; None = never 429 (headers still sent)
    error_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: int = 0
    token_ttl: int = 900
    client_id: str = "mpo-demo-client"
    client_secret: str = "mpo-demo-secret"
    fault_seed: int | None = None
    data_start: date = date(2024, 7, 1)  # first day any seller-campaign can deliver
    drop_empty_rows: bool = True  # leave out rows with no impressions, clicks, cost or sales
    seller_renames: tuple[SellerRename, ...] = ()
    currency_changes: tuple[CurrencyChange, ...] = ()
    version_retirement: VersionRetirement | None = None

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.advertisers <= MAX_ADVERTISERS:
            problems.append(f"advertisers must be 1..{MAX_ADVERTISERS}")
        if not 1 <= self.campaigns <= MAX_CAMPAIGNS:
            problems.append(f"campaigns must be 1..{MAX_CAMPAIGNS}")
        if not 1 <= self.sellers <= MAX_SELLERS:
            problems.append(f"sellers must be 1..{MAX_SELLERS}")
        if self.rate_limit is not None and self.rate_limit < 1:
            problems.append("rate_limit must be >= 1 call/min (or None)")
        for name in ("error_rate", "drop_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must be in [0, 1]")
        if self.latency_ms < 0:
            problems.append("latency_ms must be >= 0")
        if self.token_ttl < 1:
            problems.append("token_ttl must be >= 1 second")
        problems += self._event_problems()
        if problems:
            raise ValueError("invalid SimulatorConfig: " + "; ".join(problems))

    def _event_problems(self) -> list[str]:
        problems = []
        if not all(isinstance(e, SellerRename) for e in self.seller_renames):
            problems.append("seller_renames must be a tuple of SellerRename")
        if not all(isinstance(e, CurrencyChange) for e in self.currency_changes):
            problems.append("currency_changes must be a tuple of CurrencyChange")
        retirement = self.version_retirement
        if retirement is not None and versions.classify(retirement.version) not in (
            "supported",
            "deprecated",
        ):
            problems.append(f"version_retirement: {retirement.version!r} is not a served version")
        return problems

    @property
    def has_world_changes(self) -> bool:
        """True when renames or currency changes are configured."""
        return bool(self.seller_renames or self.currency_changes)

    @property
    def effective_fault_seed(self) -> int:
        """The seed of the fault dice (defaults to the data seed)."""
        return self.seed if self.fault_seed is None else self.fault_seed

    def data_key(self) -> tuple[int, int, int, int, date]:
        """The fields that determine the generated data (cache key of the world)."""
        return (self.seed, self.advertisers, self.campaigns, self.sellers, self.data_start)

    def with_(self, **changes: object) -> SimulatorConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]
