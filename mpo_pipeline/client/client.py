"""``MpoClient``: the facade the ingestion layer uses to read the MPO API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pyarrow as pa

from mpo_pipeline.core.secret import Secret

from .arguments import check_advertiser, check_client_args, check_stats_args
from .metadata import parse_metadata
from .session import ApiSession
from .stats_fetch import StatsFetcher, StatsWindow
from .stats_schema import StatsRequest
from .stats_table import ParsedStats
from .window_sizing import DEFAULT_MAX_ROWS_PER_REQUEST, WindowPlan

LOGGER_NAME = "mpo_pipeline.client"


class MpoClient:
    """Reads the MPO Standard Reporting and management endpoints.

    One ``httpx.Client`` per instance; thread-safe. Handles OAuth2 client credentials, retries,
    the per-application call budget (shared by every client of the same base URL and client id
    in this process), deprecation headers, and decoding into Arrow tables.

    Stats windows are sized by rows (:mod:`~.window_sizing`): each ``Day``/``Hour`` request
    covers as many days as keep its response under ``max_rows_per_request`` rows, from the rows
    per day of the stream seen so far (by this client, else the caller's estimate, else a
    one-day first window), never more than the API allows nor ``request_window_days`` when set.
    ``max_rows_per_request=None`` requests fixed windows of ``request_window_days`` (default 31).
    """

    def __init__(
        self,
        base_url: str,
        api_version: str,
        client_id: str,
        client_secret: str | Secret,
        *,
        max_calls_per_minute: int = 40,
        request_window_days: int | None = None,
        max_rows_per_request: int | None = DEFAULT_MAX_ROWS_PER_REQUEST,
        timeout: float = 60.0,
        max_attempts: int = 6,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        base_url = base_url.rstrip("/")
        secret = client_secret if isinstance(client_secret, Secret) else Secret(client_secret)
        check_client_args(
            base_url,
            api_version,
            client_id,
            secret,
            request_window_days=request_window_days,
            max_rows_per_request=max_rows_per_request,
            timeout=timeout,
            max_attempts=max_attempts,
            max_calls_per_minute=max_calls_per_minute,
        )
        self.base_url = base_url
        self.api_version = api_version
        self.client_id = client_id
        self._window_days = request_window_days
        self._max_rows = max_rows_per_request
        # Rows per day last seen per stream: (endpoint, policy, advertiser, interval).
        self._rates: dict[tuple[str, str, int, str], float] = {}
        self._log = logger or logging.getLogger(LOGGER_NAME)
        self._session = ApiSession(
            base_url,
            api_version,
            client_id,
            secret,
            max_calls_per_minute=max_calls_per_minute,
            timeout=timeout,
            max_attempts=max_attempts,
            transport=transport,
            sleep=sleep,
            monotonic=monotonic,
            wall_clock=wall_clock,
            logger=self._log,
        )
        self.metrics = self._session.metrics
        self._stats = StatsFetcher(
            self._get_consumed, self._session.scrubbed, self.metrics, self._log
        )

    def __repr__(self) -> str:
        return (
            f"MpoClient(base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"client_id={self.client_id!r})"
        )

    def __enter__(self) -> MpoClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()

    def _get(self, path: str, params: dict[str, Any] | None, context: str) -> httpx.Response:
        return self._session.send("GET", path, params=params, context=context)

    def _get_consumed(
        self,
        path: str,
        params: dict[str, Any],
        context: str,
        consume: Callable[[httpx.Response], ParsedStats],
    ) -> ParsedStats:
        return self._session.send_consumed("GET", path, consume, params=params, context=context)

    # -- stats ---------------------------------------------------------------------------------

    def iter_stats(
        self,
        endpoint: str,
        policy: str,
        advertiser_id: int,
        start: date,
        end: date,
        *,
        interval: str = "Day",
        time_zone: str = "UTC",
        rows_per_day: float | None = None,
    ) -> Iterator[StatsWindow]:
        """Yield one validated table per request window covering ``[start, end]``, in order.

        ``Day``/``Hour`` windows are sized by rows (see the class docstring); ``rows_per_day``
        is the caller's estimate for this stream (e.g. from days landed before), used when this
        client has seen none of its rows yet. ``Month``/``Year`` windows are bucket-aligned and
        up to a year. A window that keeps failing with a server error is halved, down to one
        day, before the error is raised. Arguments are checked now (``ValueError``), not at the
        first ``next()``.
        """
        check_stats_args(endpoint, policy, advertiser_id, start, end, interval, time_zone)
        if rows_per_day is not None and not rows_per_day >= 0:
            raise ValueError(f"rows_per_day must be a number >= 0, got {rows_per_day!r}")
        key = (endpoint, policy, advertiser_id, interval)
        plan = WindowPlan(
            start,
            end,
            interval,
            max_rows=self._max_rows,
            max_days=self._window_days,
            rows_per_day=self._rates.get(key, rows_per_day),
        )
        base = StatsRequest(endpoint, policy, advertiser_id, start, end, interval, time_zone)
        return self._remembered(key, plan, self._stats.iter_windows(base, plan))

    def _remembered(
        self,
        key: tuple[str, str, int, str],
        plan: WindowPlan,
        windows: Iterator[StatsWindow],
    ) -> Iterator[StatsWindow]:
        for window in windows:
            if plan.rows_per_day is not None:
                self._rates[key] = plan.rows_per_day
            yield window
            del window  # not alive while the next one is fetched

    def stats(
        self,
        endpoint: str,
        policy: str,
        advertiser_id: int,
        start: date,
        end: date,
        *,
        interval: str = "Day",
        time_zone: str = "UTC",
    ) -> pa.Table:
        """All windows of :meth:`iter_stats` concatenated into one table."""
        tables = [
            window.table
            for window in self.iter_stats(
                endpoint,
                policy,
                advertiser_id,
                start,
                end,
                interval=interval,
                time_zone=time_zone,
            )
        ]
        if len(tables) == 1:
            return tables[0]
        # Extra columns may differ between windows: missing ones become nulls.
        return pa.concat_tables(tables, promote_options="permissive")

    # -- metadata ------------------------------------------------------------------------------

    def _metadata(
        self, path: str, entity: str, params: dict[str, Any] | None, context: str
    ) -> pa.Table:
        response = self._get(path, params, context)
        return self._session.scrubbed(parse_metadata, response.content, entity, context)

    def advertisers(self) -> pa.Table:
        """``GET /advertisers``: id, advertiserName, currencyName, timeZoneId."""
        return self._metadata("advertisers", "advertisers", None, "advertisers")

    def campaigns(self, advertiser_id: int) -> pa.Table:
        """``GET /advertisers/{id}/campaigns``: id, campaignName, adSetDeliveryStatus, status."""
        check_advertiser(advertiser_id)
        return self._metadata(
            f"advertisers/{advertiser_id}/campaigns",
            "campaigns",
            None,
            f"advertiser {advertiser_id}",
        )

    def sellers(self, advertiser_id: int) -> pa.Table:
        """``GET /sellers?advertiserId=``: id, sellerName."""
        check_advertiser(advertiser_id)
        return self._metadata(
            "sellers",
            "sellers",
            {"advertiserId": str(advertiser_id)},
            f"advertiser {advertiser_id}",
        )

    def seller_campaigns(self, advertiser_id: int) -> pa.Table:
        """``GET /seller-campaigns?advertiserId=``: id, sellerId, campaignId, bid, suspension."""
        check_advertiser(advertiser_id)
        return self._metadata(
            "seller-campaigns",
            "seller_campaigns",
            {"advertiserId": str(advertiser_id)},
            f"advertiser {advertiser_id}",
        )

    def budgets(self, advertiser_id: int, end_after_date: date | None = None) -> pa.Table:
        """``GET /budgets?advertiserId=&endAfterDate=`` (past budgets need ``end_after_date``)."""
        check_advertiser(advertiser_id)
        params = {"advertiserId": str(advertiser_id)}
        if end_after_date is not None:
            params["endAfterDate"] = end_after_date.isoformat()
        return self._metadata("budgets", "budgets", params, f"advertiser {advertiser_id}")
