"""Validating a ``CreateRealtimeProductReport`` body into a ``RealtimeQuery`` (400 on problems).

The body is ``{"data": {"type": <string>, "attributes": {...}}}``; attributes are closed
(``additionalProperties: false``). Enum values are accepted in any casing. ``lookbackWindow``
(minutes, 60–1440, default 60) and ``startDate``/``endDate`` are mutually exclusive; the window
never reaches more than 24 hours before the real-time now. ``currency`` may name the advertiser's
own currency or EUR (converted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from .errors import ApiError, validation_error
from .world import World, epoch_day

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
SERVED_DIMENSIONS = (
    "AdvertiserId",
    "CampaignId",
    "SellerId",
    "SellerName",
    "Day",
    "Hour",
    "Minute",
)
METRICS = ("Clicks", "Displays", "Cost")
# The API's default adds ProductId; the simulator has no products, so it leaves it out.
DEFAULT_DIMENSIONS = ("AdvertiserId", "CampaignId", "SellerId", "Day")
ATTRIBUTES = frozenset(
    {
        "advertiserIds",
        "campaignIds",
        "sellerIds",
        "partnerIds",
        "dimensions",
        "metrics",
        "lookbackWindow",
        "startDate",
        "endDate",
        "fileFormat",
        "timezone",
        "currency",
    }
)
MAX_MINUTES = 1440


@dataclass(frozen=True)
class RealtimeQuery:
    """A validated export request; ``start``/``end`` are UTC minutes (end exclusive)."""

    advertiser_ids: tuple[int, ...]
    start: datetime
    end: datetime
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    file_format: str  # "Csv" or "Json"
    time_zone: str
    today: date
    campaign_ids: tuple[int, ...] | None = None
    seller_ids: tuple[int, ...] | None = None
    currency: str | None = None  # None: the service's default (each advertiser's own, or EUR)


def _enum(values: object, allowed: tuple[str, ...], field: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise validation_error("invalid-field", f"{field} must be a list of strings")
    by_lower = {a.lower(): a for a in allowed}
    out = []
    for value in values:
        if value.lower() not in by_lower:
            raise validation_error(
                "invalid-enum-value", f"{field}: {value!r} is not one of {', '.join(allowed)}"
            )
        out.append(by_lower[value.lower()])
    return tuple(dict.fromkeys(out))


def _ids(values: object, field: str) -> tuple[int, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list) or not values:
        raise validation_error("invalid-field", f"{field} must be a non-empty list of ids")
    try:
        ids = tuple(int(v) for v in values if not isinstance(v, bool))
    except (TypeError, ValueError):
        raise validation_error("invalid-field", f"{field} must hold numeric ids") from None
    if len(ids) != len(values) or any(i <= 0 for i in ids):
        raise validation_error("invalid-field", f"{field} must hold positive numeric ids")
    return ids


def _instant(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise validation_error("invalid-date-format", f"{field} must be an ISO-8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise validation_error(
            "invalid-date-format", f"{field}={value!r} is not ISO-8601"
        ) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(second=0, microsecond=0)


def _window(attrs: dict, now: datetime) -> tuple[datetime, datetime]:
    has_dates = "startDate" in attrs or "endDate" in attrs
    if "lookbackWindow" in attrs and has_dates:
        raise validation_error(
            "mutually-exclusive-fields", "lookbackWindow and startDate/endDate exclude each other"
        )
    if not has_dates:
        lookback = attrs.get("lookbackWindow", 60)
        if isinstance(lookback, bool) or not isinstance(lookback, int):
            raise validation_error("invalid-field", "lookbackWindow must be an integer (minutes)")
        if not 60 <= lookback <= MAX_MINUTES:
            raise validation_error(
                "invalid-lookback-window", f"lookbackWindow must be in 60..1440, got {lookback}"
            )
        return now - timedelta(minutes=lookback), now
    if "startDate" not in attrs:
        raise validation_error("required-field", "endDate needs startDate")
    start = _instant(attrs["startDate"], "startDate")
    end = _instant(attrs["endDate"], "endDate") if "endDate" in attrs else now
    if end <= start:
        raise validation_error("invalid-date-range", "endDate must be after startDate")
    if start < now - timedelta(minutes=MAX_MINUTES):
        raise validation_error("date-range-too-large", "startDate is more than 24 hours ago")
    return start, min(end, now)


def parse_request(body: bytes, world: World, now: datetime, today: date) -> RealtimeQuery:
    """The query of a create body; ``ApiError`` (400, or 403 for an unknown advertiser)."""
    try:
        obj = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise validation_error("invalid-body", "the body is not valid JSON") from None
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
        raise validation_error("required-field", "body must be {data: {type, attributes}}")
    if not isinstance(data.get("type"), str) or not data["type"]:
        raise validation_error("required-field", "data.type is required")
    attrs = data["attributes"]
    unknown = sorted(set(attrs) - ATTRIBUTES)
    if unknown:
        raise validation_error("unknown-field", f"unknown attributes {unknown}")
    advertisers = _ids(attrs.get("advertiserIds"), "advertiserIds")
    if not advertisers:
        raise validation_error("required-field", "advertiserIds is required")
    for adv in advertisers:
        if world.advertiser(adv) is None:
            raise ApiError(
                403, "authorization", "forbidden", "Forbidden", f"no access to advertiser {adv}"
            )
    dimensions = _enum(attrs.get("dimensions", list(DEFAULT_DIMENSIONS)), DIMENSIONS, "dimensions")
    unsupported = [d for d in dimensions if d not in SERVED_DIMENSIONS]
    if unsupported:
        raise validation_error(
            "unsupported-dimension", f"the simulator does not serve dimensions {unsupported}"
        )
    (file_format,) = _enum([attrs.get("fileFormat", "Csv")], ("Csv", "Json"), "fileFormat")
    zone = attrs.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise validation_error("invalid-time-zone", f"timezone {zone!r} is unknown") from None
    currency = attrs.get("currency")
    for adv in advertisers:
        served = world.changes.currency_on(world.advertiser(adv), epoch_day(today))  # type: ignore[arg-type]
        if currency not in (None, served, "EUR"):
            raise validation_error(
                "unsupported-currency",
                f"the simulator serves advertiser {adv} in its currency ({served}) or in EUR",
            )
    start, end = _window(attrs, now)
    return RealtimeQuery(
        advertiser_ids=advertisers,
        start=start,
        end=end,
        dimensions=dimensions,
        metrics=_enum(attrs.get("metrics", list(METRICS)), METRICS, "metrics"),
        file_format=file_format,
        time_zone=zone,
        today=today,
        campaign_ids=_ids(attrs.get("campaignIds"), "campaignIds"),
        seller_ids=_ids(attrs.get("sellerIds"), "sellerIds"),
        currency=currency,
    )
