"""Parsing and validating query parameters exactly as the reference describes (§3.2).

Enum values are case-sensitive; dates are ``YYYY-MM-DD`` or an ISO date-time whose time is
ignored; the range is at most one year (``end <= start + 1 year``) and at most 31 days (inclusive)
for ``Hour``; ``endDate`` after the simulator's today is rejected. Unknown parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .aggregate import StatsQuery
from .columns import POLICIES
from .errors import ApiError, validation_error
from .timezones import INTERVALS
from .world import World

MAX_HOUR_DAYS = 31
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class Params(Protocol):
    def get(self, key: str, default: str | None = None) -> str | None: ...
    def getlist(self, key: str) -> Sequence[str]: ...


def parse_date(value: str, name: str) -> date:
    """``YYYY-MM-DD`` or an ISO-8601 date-time (truncated to its date)."""
    try:
        if not _DATE.match(value):
            raise ValueError
        if len(value) > 10:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return date.fromisoformat(value[:10])
    except ValueError:
        raise validation_error(
            "invalid-date-format", f"{name}={value!r} is not a date of the form yyyy-MM-dd"
        ) from None


def parse_int(value: str, name: str, *, minimum: int = 0, maximum: int = 2**63 - 1) -> int:
    """A decimal integer within bounds."""
    try:
        number = int(value)
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value) or not minimum <= number <= maximum:
            raise ValueError
    except ValueError:
        raise validation_error("invalid-parameter", f"{name}={value!r} is not valid") from None
    return number


def parse_id_list(params: Params, name: str) -> tuple[int, ...] | None:
    """Ids given as repeated parameters and/or comma-separated values."""
    raw = [part for value in params.getlist(name) for part in value.split(",") if part.strip()]
    if not raw:
        return None
    return tuple(parse_int(v.strip(), name, minimum=1) for v in raw)


def parse_enum(params: Params, name: str, allowed: Sequence[str], default: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise validation_error(
            "invalid-enum-value",
            f"{name}={value!r} is not one of {', '.join(allowed)} (values are case-sensitive)",
        )
    return value


def advertiser_ids(params: Params, world: World) -> tuple[int, ...]:
    """The requested advertiser (403 if not accessible) or all of them."""
    value = params.get("advertiserId")
    if value is None or value == "":
        return tuple(a.id for a in world.advertisers)
    adv_id = parse_int(value, "advertiserId", minimum=1, maximum=2**31 - 1)
    if world.advertiser(adv_id) is None:
        raise ApiError(
            403,
            "authorization",
            "advertiser-not-accessible",
            "Forbidden",
            f"advertiser {adv_id} does not exist or is not accessible to this application",
        )
    return (adv_id,)


def check_range(start: date, end: date, interval: str, today: date) -> None:
    """The date-range rules of the stats endpoints."""
    if end < start:
        raise validation_error("invalid-date-range", f"endDate {end} is before startDate {start}")
    if end > today:
        raise validation_error("date-in-future", f"endDate {end} is after today ({today})")
    try:
        limit = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        limit = date(start.year + 1, 3, 1)
    if end > limit:
        raise validation_error("date-range-too-large", "the date range must not exceed 1 year")
    if interval == "Hour" and (end - start).days + 1 > MAX_HOUR_DAYS:
        raise validation_error(
            "date-range-too-large",
            f"with intervalSize=Hour the range is at most {MAX_HOUR_DAYS} days",
        )


def stats_query(
    params: Params, endpoint: str, world: World, today: date, *, time_zones: bool = True
) -> tuple[StatsQuery, str]:
    """The validated query and attribution policy of a stats request."""
    policy = parse_enum(params, "clickAttributionPolicy", POLICIES, "AnySeller")
    interval = parse_enum(params, "intervalSize", INTERVALS, "Day")
    end_raw, start_raw = params.get("endDate"), params.get("startDate")
    end = parse_date(end_raw, "endDate") if end_raw else today
    start = parse_date(start_raw, "startDate") if start_raw else end
    check_range(start, end, interval, today)
    zone = params.get("timeZoneId") if time_zones else None
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise validation_error(
                "invalid-time-zone", f"timeZoneId={zone!r} is not an IANA time zone"
            ) from None
    count_raw = params.get("count")
    count = parse_int(count_raw, "count", minimum=1, maximum=2**31 - 1) if count_raw else None
    query = StatsQuery(
        endpoint=endpoint,
        advertiser_ids=advertiser_ids(params, world),
        start=start,
        end=end,
        today=today,
        interval=interval,
        time_zone=zone or None,
        campaign_ids=parse_id_list(params, "campaignId") if endpoint != "sellers" else None,
        seller_ids=parse_id_list(params, "sellerId") if endpoint != "campaigns" else None,
        count=count,
    )
    return query, policy
