"""The body of ``CreateRealtimeProductReport``: a validated, immutable real-time export request.

Reference §4: ``{"data": {"type": ..., "attributes": RealTimeProductReportJob}}`` with
``advertiserIds`` (required), optional id filters, ``dimensions``, ``metrics``, either
``lookbackWindow`` (minutes, 60–1440) or ``startDate``/``endDate`` (UTC, at most 24 h back),
``fileFormat`` (``Csv``/``Json``), ``timezone`` and ``currency`` (the API's default is a "local
currency", once documented as EUR: the pipeline always names it). Enum values are accepted in any
casing and sent in the enum's own form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JOB_TYPE = "RealTimeProductReportJob"  # undocumented upstream (reference §8.13): our assumption
DIMENSIONS = (
    "AdvertiserId",
    "PartnerId",
    "CampaignId",
    "SellerId",
    "ProductId",
    "SellerName",
    "Year",
    "Month",
    "Week",
    "Day",
    "Hour",
    "Minute",
)
METRICS = ("Clicks", "Displays", "Cost")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
FILE_FORMATS = ("Csv", "Json")
MIN_LOOKBACK_MINUTES = 60
MAX_LOOKBACK_MINUTES = 1440
DEFAULT_LOOKBACK_MINUTES = 60  # the API's own default
DEFAULT_DIMENSIONS = (
    "AdvertiserId",
    "CampaignId",
    "SellerId",
    "SellerName",
    "Day",
    "Hour",
    "Minute",
)


def _canonical(values: tuple[str, ...] | list[str], allowed: tuple[str, ...], what: str) -> tuple:
    by_lower = {a.lower(): a for a in allowed}
    out = []
    for value in values:
        found = by_lower.get(str(value).lower())
        if found is None:
            raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
        if found not in out:
            out.append(found)
    return tuple(out)


def _ids(values: object, what: str) -> tuple[int, ...] | None:
    if values is None:
        return None
    ids = tuple(values)  # type: ignore[call-overload]
    for v in ids:
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"{what} must be positive integers, got {v!r}")
    return ids


def _utc(value: datetime | None, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class RealtimeReportRequest:
    """One real-time export request; invalid values raise ``ValueError`` at construction.

    Without ``start``, ``lookback_minutes`` (default 60) gives the window; with ``start`` (and
    optionally ``end``, default now on the server) ``lookback_minutes`` must stay None.
    """

    advertiser_ids: tuple[int, ...]
    lookback_minutes: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    dimensions: tuple[str, ...] = DEFAULT_DIMENSIONS
    metrics: tuple[str, ...] = METRICS
    file_format: str = "Json"
    time_zone: str = "UTC"
    campaign_ids: tuple[int, ...] | None = None
    seller_ids: tuple[int, ...] | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once
        advertisers = _ids(self.advertiser_ids, "advertiser_ids")
        if not advertisers:
            raise ValueError("advertiser_ids is required (at least one advertiser)")
        set_(self, "advertiser_ids", advertisers)
        set_(self, "campaign_ids", _ids(self.campaign_ids, "campaign_ids"))
        set_(self, "seller_ids", _ids(self.seller_ids, "seller_ids"))
        set_(self, "start", _utc(self.start, "start"))
        set_(self, "end", _utc(self.end, "end"))
        if self.start is None:
            if self.end is not None:
                raise ValueError("end needs start (or use lookback_minutes alone)")
            lookback = self.lookback_minutes
            lookback = DEFAULT_LOOKBACK_MINUTES if lookback is None else lookback
            if isinstance(lookback, bool) or not isinstance(lookback, int):
                raise ValueError(f"lookback_minutes must be an integer, got {lookback!r}")
            if not MIN_LOOKBACK_MINUTES <= lookback <= MAX_LOOKBACK_MINUTES:
                raise ValueError(
                    f"lookback_minutes must be in {MIN_LOOKBACK_MINUTES}..{MAX_LOOKBACK_MINUTES} "
                    f"(the real-time API keeps at most 24 hours), got {lookback}"
                )
            set_(self, "lookback_minutes", lookback)
        else:
            if self.lookback_minutes is not None:
                raise ValueError("lookback_minutes and start/end are mutually exclusive")
            if self.end is not None and self.end <= self.start:
                raise ValueError(f"end {self.end} must be after start {self.start}")
            # Without an end the server's now ends the window: its clock, not this machine's,
            # judges the 24 hours then.
            if self.end is not None and self.end - self.start > timedelta(
                minutes=MAX_LOOKBACK_MINUTES
            ):
                raise ValueError("start/end may span at most 24 hours (1440 minutes)")
        set_(self, "dimensions", _canonical(self.dimensions, DIMENSIONS, "dimension"))
        set_(self, "metrics", _canonical(self.metrics, METRICS, "metric"))
        if not self.dimensions or not self.metrics:
            raise ValueError("at least one dimension and one metric are needed")
        (file_format,) = _canonical((self.file_format,), FILE_FORMATS, "file format")
        set_(self, "file_format", file_format)
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone {self.time_zone!r} is not an IANA time zone") from None
        if self.currency is not None and not _CURRENCY.match(str(self.currency)):
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code such as EUR")

    def attributes(self) -> dict[str, Any]:
        """The ``RealTimeProductReportJob`` attributes (ids as strings, per the OAS)."""
        out: dict[str, Any] = {"advertiserIds": [str(i) for i in self.advertiser_ids]}
        if self.campaign_ids is not None:
            out["campaignIds"] = [str(i) for i in self.campaign_ids]
        if self.seller_ids is not None:
            out["sellerIds"] = [str(i) for i in self.seller_ids]
        out["dimensions"] = list(self.dimensions)
        out["metrics"] = list(self.metrics)
        if self.start is None:
            out["lookbackWindow"] = self.lookback_minutes
        else:
            out["startDate"] = self.start.isoformat().replace("+00:00", "Z")
            if self.end is not None:
                out["endDate"] = self.end.isoformat().replace("+00:00", "Z")
        out["fileFormat"] = self.file_format
        out["timezone"] = self.time_zone
        if self.currency:
            out["currency"] = self.currency
        return out

    def body(self) -> dict[str, Any]:
        """The JSON request body."""
        return {"data": {"type": JOB_TYPE, "attributes": self.attributes()}}
