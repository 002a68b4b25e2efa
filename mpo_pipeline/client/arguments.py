"""Checking the arguments of ``MpoClient`` calls (``ValueError`` with a clear message)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mpo_pipeline.core.secret import Secret

from .stats_schema import ENDPOINTS, POLICIES
from .windows import MAX_RANGE_DAYS, check_interval


def check_client_args(
    base_url: str,
    api_version: str,
    client_id: str,
    secret: Secret,
    *,
    timeout: float,
    max_attempts: int,
    max_calls_per_minute: int,
    request_window_days: int | None = None,
    max_rows_per_request: int | None = None,
) -> None:
    """Validate the ``MpoClient`` constructor arguments."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url {base_url!r} must start with http:// or https://")
    if not api_version or "/" in api_version:
        raise ValueError(f"api_version {api_version!r} is not a version such as 2026-07")
    if not client_id:
        raise ValueError("client_id is empty")
    if not secret:
        raise ValueError("client_secret is empty")
    if request_window_days is not None and not 1 <= request_window_days <= MAX_RANGE_DAYS:
        raise ValueError(f"request_window_days must be in 1..366, got {request_window_days}")
    if max_rows_per_request is not None and max_rows_per_request < 1:
        raise ValueError(f"max_rows_per_request must be at least 1, got {max_rows_per_request}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    if max_calls_per_minute < 1:
        raise ValueError(f"max_calls_per_minute must be at least 1, got {max_calls_per_minute}")


def check_advertiser(advertiser_id: int) -> None:
    """Advertiser ids are positive integers."""
    if isinstance(advertiser_id, bool) or not isinstance(advertiser_id, int) or advertiser_id <= 0:
        raise ValueError(f"advertiser_id must be a positive integer, got {advertiser_id!r}")


def check_stats_args(
    endpoint: str,
    policy: str,
    advertiser_id: int,
    start: date,
    end: date,
    interval: str,
    time_zone: str,
) -> None:
    """Validate the arguments of ``iter_stats``/``stats``."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
    if policy == "Both":
        raise ValueError(
            "clickAttributionPolicy 'Both' is not supported (its column names are undocumented): "
            "fetch 'SameSeller' and 'AnySeller' separately"
        )
    if policy not in POLICIES:
        raise ValueError(
            f"unknown clickAttributionPolicy {policy!r}; expected one of {', '.join(POLICIES)} "
            "(case-sensitive)"
        )
    check_interval(interval)
    check_advertiser(advertiser_id)
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"{name} must be a datetime.date, got {value!r}")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time_zone {time_zone!r} is not an IANA time zone name") from None
