"""Fetching stats windows: one request per window, halving a window that keeps failing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pyarrow as pa

from .csv_parsing import parse_stats_csv
from .errors import MpoServerError
from .metrics import ClientMetrics
from .parsing import parse_stats_json
from .stats_schema import ENDPOINTS, StatsRequest
from .stats_table import ParsedStats
from .windows import days_in, halve


@dataclass(frozen=True)
class StatsWindow:
    """The validated rows of one stats request covering ``[start, end]`` (inclusive)."""

    start: date
    end: date
    table: pa.Table
    extra_columns: tuple[str, ...]


class StatsFetcher:
    """Turns planned windows into :class:`StatsWindow` objects, one request at a time.

    ``get(path, params, context)`` performs the request (retries included); ``parse`` wraps a
    body parser (the client uses it to scrub secrets from error messages).
    """

    def __init__(
        self,
        get: Callable[[str, dict[str, Any], str], httpx.Response],
        parse: Callable[..., ParsedStats],
        metrics: ClientMetrics,
        logger: logging.Logger,
    ) -> None:
        self._get = get
        self._parse = parse
        self._metrics = metrics
        self._log = logger
        self._reported_extras: set[tuple[str, tuple[str, ...]]] = set()

    def iter_windows(
        self, base: StatsRequest, windows: list[tuple[date, date]]
    ) -> Iterator[StatsWindow]:
        """Yield the windows in order; a server failure splits a window in two and goes on."""
        pending = list(reversed(windows))
        while pending:
            start, end = pending.pop()
            request = StatsRequest(
                base.endpoint,
                base.policy,
                base.advertiser_id,
                start,
                end,
                base.interval,
                base.time_zone,
            )
            try:
                window = self.fetch_window(request)
            except MpoServerError as exc:
                if days_in((start, end)) <= 1:
                    raise
                first, second = halve((start, end), base.interval)
                self._metrics.increment("window_splits")
                self._log.warning(
                    "%s kept failing (%s); retrying as %s..%s and %s..%s",
                    request.describe(),
                    type(exc).__name__,
                    *first,
                    *second,
                )
                pending.extend((second, first))
                continue
            self._metrics.increment("windows")
            yield window

    def fetch_window(self, request: StatsRequest) -> StatsWindow:
        """Request, decode and validate exactly one window."""
        params = {
            "advertiserId": str(request.advertiser_id),
            "clickAttributionPolicy": request.policy,
            "startDate": request.start.isoformat(),
            "endDate": request.end.isoformat(),
            "intervalSize": request.interval,
            "timeZoneId": request.time_zone,
        }
        response = self._get(ENDPOINTS[request.endpoint], params, request.describe())
        content_type = response.headers.get("content-type", "").lower()
        parse = parse_stats_csv if "text/csv" in content_type else parse_stats_json
        parsed = self._parse(parse, response.content, request)
        del response
        if parsed.extra_columns:
            key = (request.endpoint, parsed.extra_columns)
            if key not in self._reported_extras:
                self._reported_extras.add(key)
                self._log.warning(
                    "%s: unknown column(s) %s kept after the known ones",
                    ENDPOINTS[request.endpoint],
                    ", ".join(parsed.extra_columns),
                )
        return StatsWindow(request.start, request.end, parsed.table, parsed.extra_columns)
