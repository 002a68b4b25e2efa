"""Column contract of the stats endpoints (docs/lake.md): names, kinds, Arrow types, order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from .errors import MpoResponseError
from .money import MONEY_TYPE

ENDPOINTS: dict[str, str] = {
    "sellers": "stats/sellers",
    "campaigns": "stats/campaigns",
    "seller_campaigns": "stats/seller-campaigns",
}
POLICIES: tuple[str, ...] = ("SameSeller", "AnySeller")

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "sellers": ("sellerId", "sellerName"),
    "campaigns": ("campaignId",),
    "seller_campaigns": ("campaignId", "sellerId", "sellerName"),
}
ID_COLUMNS = frozenset({"campaignId", "sellerId"})
NAME_COLUMNS = frozenset({"sellerName"})
COUNT_COLUMNS = frozenset({"impressions", "clicks", "saleUnits"})
MONEY_COLUMNS = frozenset({"cost", "revenue"})
RATIO_COLUMNS = frozenset({"cr", "cpo", "cos", "roas"})
METRICS: tuple[str, ...] = (
    "impressions",
    "clicks",
    "cost",
    "saleUnits",
    "revenue",
    "cr",
    "cpo",
    "cos",
    "roas",
)
INTERVAL_COLUMNS: dict[str, str] = {"Hour": "hour", "Day": "day", "Month": "month", "Year": "year"}
# Hour buckets are wall-clock times in the requested timeZoneId, hence a zone-less timestamp.
HOUR_TYPE = pa.timestamp("us")

# Column kinds drive decoding, conversion and validation.
ID, NAME, INTERVAL, COUNT, MONEY, RATIO, EXTRA = (
    "id",
    "name",
    "interval",
    "count",
    "money",
    "ratio",
    "extra",
)
_KIND_TYPES: dict[str, pa.DataType] = {
    ID: pa.int64(),
    NAME: pa.string(),
    COUNT: pa.int64(),
    MONEY: MONEY_TYPE,  # exact decimals as the API wrote them (money.py)
    RATIO: pa.float64(),
}


@dataclass(frozen=True)
class StatsRequest:
    """What one stats request asked for; also the context of every parsing error."""

    endpoint: str
    policy: str
    advertiser_id: int
    start: date
    end: date
    interval: str = "Day"
    time_zone: str = "UTC"

    def describe(self) -> str:
        """``stats/sellers advertiser 42 window 2026-03-01..2026-03-31 (Day, SameSeller, UTC)``."""
        return (
            f"{ENDPOINTS.get(self.endpoint, self.endpoint)} advertiser {self.advertiser_id} "
            f"window {self.start}..{self.end} ({self.interval}, {self.policy}, {self.time_zone})"
        )

    @property
    def interval_column(self) -> str:
        """Name of the interval column in the response (``day`` for ``Day``...)."""
        return INTERVAL_COLUMNS[self.interval]


def interval_type(interval: str) -> pa.DataType:
    """Arrow type of the interval column."""
    return HOUR_TYPE if interval == "Hour" else pa.date32()


def expected_columns(endpoint: str, interval: str) -> tuple[str, ...]:
    """The canonical column order of a stats table without extras."""
    return (*DIMENSIONS[endpoint], INTERVAL_COLUMNS[interval], *METRICS)


def column_kind(name: str, interval_column: str) -> str:
    """The kind of a response column (``extra`` when unknown)."""
    if name in ID_COLUMNS:
        return ID
    if name in NAME_COLUMNS:
        return NAME
    if name == interval_column:
        return INTERVAL
    if name in COUNT_COLUMNS:
        return COUNT
    if name in MONEY_COLUMNS:
        return MONEY
    if name in RATIO_COLUMNS:
        return RATIO
    return EXTRA


def arrow_type(kind: str, interval: str) -> pa.DataType:
    """Arrow type of a known column kind (not for extras)."""
    if kind == INTERVAL:
        return pa.string()  # decoded as text first, parsed afterwards
    return _KIND_TYPES[kind]


def stats_schema(endpoint: str, interval: str = "Day") -> pa.Schema:
    """The schema of a stats table without extra columns (also the schema of an empty one)."""
    interval_column = INTERVAL_COLUMNS[interval]
    fields = []
    for name in expected_columns(endpoint, interval):
        kind = column_kind(name, interval_column)
        fields.append(
            pa.field(name, interval_type(interval) if kind == INTERVAL else _KIND_TYPES[kind])
        )
    return pa.schema(fields)


@dataclass(frozen=True)
class ColumnPlan:
    """How to read the columns of one response, in response order."""

    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    extras: tuple[str, ...]


def plan_columns(columns: list[str] | tuple[str, ...], request: StatsRequest) -> ColumnPlan:
    """Map response columns by name; raise ``MpoResponseError`` if any expected one is missing.

    Columns that belong to another endpoint (e.g. ``sellerId`` on ``stats/campaigns``) are not
    expected but are typed as their kind, and kept as extras.
    """
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise MpoResponseError(f"{request.describe()}: column {name!r} appears twice")
        seen.add(name)
    expected = expected_columns(request.endpoint, request.interval)
    missing = [name for name in expected if name not in seen]
    if missing:
        raise MpoResponseError(
            f"{request.describe()}: expected column(s) {', '.join(map(repr, missing))} missing "
            f"from the response (got {list(columns)})"
        )
    interval_column = request.interval_column
    expected_set = set(expected)
    kinds = []
    for name in columns:
        kind = column_kind(name, interval_column)
        kinds.append(kind if name in expected_set else EXTRA)
    extras = tuple(name for name in columns if name not in expected_set)
    return ColumnPlan(tuple(columns), tuple(kinds), extras)
