"""Fetching stats windows: one request per window, sized by rows, halving a window that fails."""

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
from .parsing import parse_stats_stream
from .stats_schema import ENDPOINTS, StatsRequest
from .stats_table import ParsedStats
from .window_sizing import WindowPlan
from .windows import days_in

# Send a stats request; its 2xx body goes to the consumer as it streams in (retries included).
Fetch = Callable[[str, dict[str, Any], str, Callable[[httpx.Response], ParsedStats]], ParsedStats]


@dataclass(frozen=True)
class StatsWindow:
    """The validated rows of one stats request covering ``[start, end]`` (inclusive)."""

    start: date
    end: date
    table: pa.Table
    extra_columns: tuple[str, ...]


class StatsFetcher:
    """Turns a :class:`~.window_sizing.WindowPlan` into :class:`StatsWindow` objects.

    ``fetch(path, params, context, consume)`` performs the request (retries included) and returns
    what ``consume`` made of the streamed body; ``parse`` wraps a body parser (the client uses it
    to scrub secrets from error messages).
    """

    def __init__(
        self,
        fetch: Fetch,
        parse: Callable[..., ParsedStats],
        metrics: ClientMetrics,
        logger: logging.Logger,
    ) -> None:
        self._fetch = fetch
        self._parse = parse
        self._metrics = metrics
        self._log = logger
        self._reported_extras: set[tuple[str, tuple[str, ...]]] = set()

    def iter_windows(self, base: StatsRequest, plan: WindowPlan) -> Iterator[StatsWindow]:
        """Yield the windows in order, each sized from the rows of the previous ones; a server
        failure splits a window in two and goes on."""
        while (planned := plan.next_window()) is not None:
            start, end = planned
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
                first, second = plan.split((start, end))
                self._metrics.increment("window_splits")
                self._log.warning(
                    "%s kept failing (%s); retrying as %s..%s and %s..%s",
                    request.describe(),
                    type(exc).__name__,
                    *first,
                    *second,
                )
                continue
            plan.record((start, end), window.table.num_rows)
            self._metrics.increment("windows")
            yield window
            del window  # not alive while the next one is fetched

    def fetch_window(self, request: StatsRequest) -> StatsWindow:
        """Request, decode and validate exactly one window (the body is decoded as it arrives)."""
        params = {
            "advertiserId": str(request.advertiser_id),
            "clickAttributionPolicy": request.policy,
            "startDate": request.start.isoformat(),
            "endDate": request.end.isoformat(),
            "intervalSize": request.interval,
            "timeZoneId": request.time_zone,
        }
        received = 0

        def counted(response: httpx.Response) -> Iterator[bytes]:
            nonlocal received
            for piece in response.iter_bytes():
                received += len(piece)
                yield piece

        def consume(response: httpx.Response) -> ParsedStats:
            nonlocal received
            received = 0
            content_type = response.headers.get("content-type", "").lower()
            if "text/csv" in content_type:
                body = b"".join(counted(response))
                return self._parse(parse_stats_csv, body, request)
            return self._parse(parse_stats_stream, counted(response), request)

        parsed = self._fetch(ENDPOINTS[request.endpoint], params, request.describe(), consume)
        rows = parsed.table.num_rows
        self._metrics.increment("stats_rows", rows)
        self._metrics.raise_to("max_window_rows", rows)
        self._metrics.raise_to("max_window_bytes", received)
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
