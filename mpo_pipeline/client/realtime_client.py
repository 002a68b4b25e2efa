"""``RealtimeClient``: create → poll → download of the Real-Time Asynchronous API (reference §4).

It stands on the same :class:`~.session.ApiSession` as :class:`~mpo_pipeline.client.MpoClient`
(token cache, retrying transport, shared call budget); only the version segment differs: the
real-time endpoints live under ``preview``.

    with RealtimeClient(base_url, client_id, secret) as rt:
        export = rt.run_export(RealtimeReportRequest(advertiser_ids=(41111,), lookback_minutes=120))
        export.table  # typed Arrow rows; export.raw the file as downloaded

The data is raw (not deduplicated, not quality-checked): monitoring only, never billing. How
the creation is (not) retried and how errors name the real-time scope: :mod:`.realtime_calls`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from mpo_pipeline.core.secret import Secret

from .arguments import check_client_args
from .errors import MpoNotFoundError, MpoValidationError
from .realtime_calls import CREATE_PATH, RealtimeCalls
from .realtime_polling import ExportPoller, PollPolicy, check_job, poll_floor
from .realtime_request import RealtimeReportRequest
from .realtime_result import RealtimeDownload, RealtimeExport, build_export
from .realtime_status import ExportJob, check_export_id, parse_job
from .realtime_storage import REDIRECT_STATUSES, StorageFetcher
from .session import ApiSession

REALTIME_VERSION = "preview"
LOGGER_NAME = "mpo_pipeline.client.realtime"


class RealtimeClient:
    """Creates, polls and downloads real-time exports; thread-safe, one connection pool.

    ``poll_interval`` (default 5 s, the API's minimum), growing by ``poll_backoff`` up to
    ``max_poll_interval``, and ``job_timeout`` bound the wait; no poll comes sooner than
    ``min_poll_interval`` after the previous call (default: 5 s, 0 on loopback, see
    :func:`~.realtime_polling.poll_floor`). A quota 429 on creation is never retried in a loop:
    when the server's wait hint is at most ``quota_wait_max`` seconds the client waits once and
    tries again, otherwise it raises :class:`~.realtime_errors.RealtimeQuotaError` at once.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str | Secret,
        *,
        api_version: str = REALTIME_VERSION,
        max_calls_per_minute: int = 40,
        timeout: float = 60.0,
        max_attempts: int = 6,
        poll_interval: float = 5.0,
        max_poll_interval: float = 30.0,
        poll_backoff: float = 1.5,
        job_timeout: float = 900.0,
        quota_wait_max: float = 0.0,
        min_poll_interval: float | None = None,
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
            request_window_days=1,
            timeout=timeout,
            max_attempts=max_attempts,
            max_calls_per_minute=max_calls_per_minute,
        )
        if quota_wait_max < 0:
            raise ValueError(f"quota_wait_max must be >= 0, got {quota_wait_max}")
        self.base_url = base_url
        self.api_version = api_version
        self.client_id = client_id
        self._wall_clock = wall_clock
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
        self._calls = RealtimeCalls(
            self._session,
            max_attempts=max_attempts,
            quota_wait_max=quota_wait_max,
            sleep=sleep,
            wall_clock=wall_clock,
            logger=self._log,
        )
        floor = poll_floor(base_url) if min_poll_interval is None else min_poll_interval
        policy = PollPolicy(poll_interval, max_poll_interval, poll_backoff, job_timeout, floor)
        self._poller = ExportPoller(policy, sleep, monotonic, self._log)
        self._storage = StorageFetcher(
            transport, timeout, max_attempts, sleep, self._session.known_secrets
        )
        self._lock = threading.Lock()
        self._seen_ids: set[str] = set()

    def __repr__(self) -> str:
        return (
            f"RealtimeClient(base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"client_id={self.client_id!r})"
        )

    def __enter__(self) -> RealtimeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pools."""
        self._session.close()
        self._storage.close()

    # -- the three endpoints -------------------------------------------------------------------

    def create_export(self, request: RealtimeReportRequest) -> ExportJob:
        """``POST .../stats/realtime-reports/export``: the new (or cached) export job."""
        window = (
            f"from {request.start.isoformat()}"
            if request.start
            else f"of the last {request.lookback_minutes} min"
        )
        context = f"real-time export for advertisers {list(request.advertiser_ids)} {window}"
        response = self._calls.create(request.body(), context)
        job = self._session.scrubbed(
            parse_job, response.content, f"POST /{self.api_version}/{CREATE_PATH}"
        )
        with self._lock:
            reused = job.export_id in self._seen_ids
            self._seen_ids.add(job.export_id)
        for warning in job.warnings:
            self._log.warning("real-time export %s: API warning %s", job.export_id, warning)
        if reused:
            self._log.info("the API returned export %s again (cached export)", job.export_id)
        return replace(job, reused=reused)

    def export_status(self, export_id: str) -> ExportJob:
        """``GET .../stats/report-jobs/{id}``: the job's current status (no error on Failure)."""
        path = f"stats/report-jobs/{check_export_id(export_id)}"
        response = self._calls.send("GET", path, context=f"export {export_id}")
        return self._session.scrubbed(
            parse_job, response.content, f"GET /{self.api_version}/{path}"
        )

    def wait_for_export(self, job: ExportJob) -> tuple[ExportJob, int]:
        """Poll until ``Done``; the finished job and the number of polls. Typed errors on
        ``Failure`` (:class:`~.RealtimeExportFailedError`), ``Expired`` and timeout."""
        return self._poller.wait(job, self.export_status)

    def download_export(self, export_id: str) -> tuple[bytes, str, bool]:
        """``GET .../stats/realtime-reports/{id}``: the file bytes, their ``Content-Type`` and
        whether the API redirected to storage (one redirect is followed, without the token).

        A refusal (404/400) is explained by the job's status when it is ``Expired`` or
        ``Failure`` (typed error), else re-raised as is.
        """
        path = f"stats/realtime-reports/{check_export_id(export_id)}"
        context = f"export {export_id}"
        refused: MpoNotFoundError | MpoValidationError | None = None
        try:
            response = self._calls.send(
                "GET",
                path,
                accept="text/csv, application/json",
                passthrough=REDIRECT_STATUSES,
                context=context,
            )
        except (MpoNotFoundError, MpoValidationError) as exc:
            refused = exc
        if refused is not None:
            check_job(self.export_status(export_id))
            raise refused
        if response.status_code in REDIRECT_STATUSES:
            exchange = self._session.exchange("GET", path, context)
            response = self._storage.follow(response, self._session.url(path), exchange)
            return response.content, response.headers.get("content-type", ""), True
        return response.content, response.headers.get("content-type", ""), False

    def fetch_export(self, request: RealtimeReportRequest) -> RealtimeDownload:
        """Create, wait for and download one export; the bytes as received, not yet parsed."""
        requested_at = datetime.fromtimestamp(self._wall_clock(), UTC)
        job = self.create_export(request)
        job, polls = self.wait_for_export(job)
        content, content_type, redirected = self.download_export(job.export_id)
        return RealtimeDownload(
            job=job,
            request=request,
            content=content,
            content_type=content_type,
            polls=polls,
            requested_at=requested_at,
            extracted_at=datetime.fromtimestamp(self._wall_clock(), UTC),
            redirected=redirected,
        )

    def parse(self, download: RealtimeDownload) -> RealtimeExport:
        """Parse a download (errors scrubbed of any secret a server echoed)."""
        return self._session.scrubbed(build_export, download)

    def run_export(self, request: RealtimeReportRequest) -> RealtimeExport:
        """Create, wait for, download and parse one export; the typed result."""
        return self.parse(self.fetch_export(request))
