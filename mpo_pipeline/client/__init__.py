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

The Real-Time Asynchronous API (``preview``; raw data for monitoring, never for billing):

    with RealtimeClient(base_url, client_id, client_secret) as rt:
        export = rt.run_export(RealtimeReportRequest(advertiser_ids=(41111,), lookback_minutes=120))
        export.table  # typed rows (realtime_schema); export.raw: the file as downloaded
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
from .realtime_client import RealtimeClient
from .realtime_errors import (
    RealtimeError,
    RealtimeExportExpiredError,
    RealtimeExportFailedError,
    RealtimeQuotaError,
    RealtimeTimeoutError,
)
from .realtime_request import RealtimeReportRequest
from .realtime_result import RealtimeExport, parse_realtime_report
from .realtime_status import ExportJob, ExportStatus
from .realtime_table import realtime_schema
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
    "ExportJob",
    "ExportStatus",
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
    "RealtimeClient",
    "RealtimeError",
    "RealtimeExport",
    "RealtimeExportExpiredError",
    "RealtimeExportFailedError",
    "RealtimeQuotaError",
    "RealtimeReportRequest",
    "RealtimeTimeoutError",
    "StatsRequest",
    "StatsWindow",
    "metadata_schema",
    "parse_metadata",
    "parse_realtime_report",
    "parse_stats_json",
    "plan_windows",
    "realtime_schema",
    "split_windows",
    "stats_schema",
]
