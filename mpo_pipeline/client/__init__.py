"""HTTP client for the Criteo Marketplace Performance Outcomes (MPO) API.

Plain Python (httpx, msgspec, pyarrow); no Dagster import anywhere in this package.

    with MpoClient(base_url, "2026-07", client_id, client_secret) as client:
        for window in client.iter_stats("seller_campaigns", "SameSeller", 41111,
                                        date(2026, 3, 1), date(2026, 3, 31),
                                        time_zone="Europe/Paris"):
            write(window.table)          # one validated Arrow table per request window
        sellers = client.sellers(41111)  # metadata as Arrow tables too
        client.metrics.snapshot()        # calls, retries, window splits, deprecations...

Errors are typed (:class:`MpoError` and subclasses); messages name the request and the API's
``traceId`` but never a secret or token. Table schemas: :func:`stats_schema`,
:func:`metadata_schema` (docs/lake.md).
"""

from .client import MpoClient
from .errors import (
    MpoApiVersionError,
    MpoAuthError,
    MpoError,
    MpoForbiddenError,
    MpoGatewayError,
    MpoNotFoundError,
    MpoRateLimitError,
    MpoResponseError,
    MpoServerError,
    MpoValidationError,
)
from .metadata import ENTITIES, metadata_schema, parse_metadata
from .metrics import ClientMetrics, DeprecationNotice
from .parsing import parse_stats_json
from .stats_fetch import StatsWindow
from .stats_schema import ENDPOINTS, POLICIES, StatsRequest, stats_schema
from .windows import INTERVALS, plan_windows, split_windows

__all__ = [
    "ENDPOINTS",
    "ENTITIES",
    "INTERVALS",
    "POLICIES",
    "ClientMetrics",
    "DeprecationNotice",
    "MpoApiVersionError",
    "MpoAuthError",
    "MpoClient",
    "MpoError",
    "MpoForbiddenError",
    "MpoGatewayError",
    "MpoNotFoundError",
    "MpoRateLimitError",
    "MpoResponseError",
    "MpoServerError",
    "MpoValidationError",
    "StatsRequest",
    "StatsWindow",
    "metadata_schema",
    "parse_metadata",
    "parse_stats_json",
    "plan_windows",
    "split_windows",
    "stats_schema",
]
