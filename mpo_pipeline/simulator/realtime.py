"""The Real-Time Asynchronous API (reference §4): create → poll → download, under ``preview`` and
``experimental`` only, below ``/{v}/marketing-solutions/marketplace-performance-outcomes``:

- create:   ``POST .../stats/realtime-reports/export`` → ``{"data": {"type", "id", "attributes":
  {"exportId", "status": "Pending", "message"}}, "errors": [], "warnings": []}``; an identical
  request while its job is live returns that job (no quota used); over the hourly quota → 429
  ``quota`` ``realtime-export-quota-exceeded`` with ``Retry-After`` (seconds).
- poll:     ``GET .../stats/report-jobs/{reportId}`` → the same shape, status ``Pending``,
  ``Done`` (message ``rows_count=N``), ``Failure`` or ``Expired``; unknown id → 404.
- download: ``GET .../stats/realtime-reports/{reportId}`` → the raw file, ``text/csv`` or
  ``application/json`` as requested by ``fileFormat`` (or another ``download_shape``: gzip, the
  OAS wrapper, NDJSON, a 302 to ``/_storage/realtime/{reportId}?sig=...``, which serves the file
  without auth and refuses a bearer token); not ready → 400 ``export-not-ready``, failed → 400
  ``export-failed``, expired → 404 ``export-expired``.

Two 429s, told apart by their headers: the gate's per-minute call limit (``x-ratelimit-remaining:
0``, ``x-ratelimit-reset`` within the minute, no ``Retry-After``) and the hourly creation quota
here (``Retry-After``: seconds until a creation slot frees, while ``x-ratelimit-remaining`` still
counts calls left). A creation whose answer is "lost" (``lose_create_answers``) creates its job
and answers 502, like a gateway that timed out after the API acted.

The gate (auth, rate limit, faults) runs first, as for every API path. Behaviour knobs and test
controls: :func:`~.realtime_service.realtime_of` (``RealtimeConfig``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import replace

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .errors import ApiError, validation_error
from .realtime_jobs import Job, QuotaExceeded
from .realtime_request import parse_request
from .realtime_service import RealtimeService, realtime_of
from .render import encode

PREFIX = "/{version}/marketing-solutions/marketplace-performance-outcomes"
REALTIME_PATHS: dict[str, tuple[str, str]] = {
    "create": ("POST", "/stats/realtime-reports/export"),
    "status": ("GET", "/stats/report-jobs/{reportId}"),
    "download": ("GET", "/stats/realtime-reports/{reportId}"),
}
_PATTERNS = [
    re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
    for _, path in REALTIME_PATHS.values()
]
JOB_STATUS_TYPE = "RealTimeProductReportJobStatus"
STORAGE_PATH = "/_storage/realtime/{reportId}"


def is_realtime_path(rest: str) -> bool:
    """Whether ``rest`` (the path after the MPO prefix, starting with '/') is a real-time path."""
    return any(p.match(rest) for p in _PATTERNS)


def _service(request: Request) -> RealtimeService:
    return realtime_of(request.app.state.sim)


def _job_response(service: RealtimeService, job: Job, status: str | None = None) -> Response:
    status = status or service.status(job)
    message = None
    if status == "Pending":
        status = service.config.pending_status
    if status == "Done":
        message = f"rows_count={service.render(job)[2]}"
    elif status == "Failure":
        message = "the export failed (simulated); create a new export"
    elif status == "Expired":
        message = "the export has expired; create a new export"
    attributes = {"exportId": job.export_id, "status": status, "message": message}
    body = {
        "data": {"type": JOB_STATUS_TYPE, "id": job.export_id, "attributes": attributes},
        "errors": [],
        "warnings": [],
    }
    return Response(encode(body), media_type="application/json")


async def create_export(request: Request) -> Response:
    """``POST .../stats/realtime-reports/export``."""
    service = _service(request)
    state = request.app.state.sim
    body = await request.body()
    query = parse_request(body, service.world, service.now(), state.clock.today())
    # Windows end at the real-time now; the newest `latency_minutes` have no data yet.
    query = replace(query, end=min(query.end, service.data_horizon()))
    try:
        job, _cached = service.create(query, body)
    except QuotaExceeded as exc:
        raise ApiError(
            429,
            "quota",
            "realtime-export-quota-exceeded",
            "Too Many Requests",
            f"hourly quota of {exc.quota} real-time export creations reached; "
            f"retry in {exc.retry_after} s",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    if service.take_lost_answer():
        raise ApiError(
            502,
            "availability",
            "bad-gateway",
            "Bad Gateway",
            "the gateway timed out waiting for the API (simulated: the export was created)",
        )
    return _job_response(service, job)


def _job(request: Request) -> tuple[RealtimeService, Job]:
    service = _service(request)
    export_id = request.path_params["reportId"]
    job = service.jobs.get(export_id)
    if job is None:
        raise ApiError(404, "unknown", "not-found", "Not Found", f"no export {export_id!r}")
    return service, job


def export_status(request: Request) -> Response:
    """``GET .../stats/report-jobs/{reportId}``."""
    service, job = _job(request)
    return _job_response(service, job)


def download_export(request: Request) -> Response:
    """``GET .../stats/realtime-reports/{reportId}``: the raw file."""
    service, job = _job(request)
    status = service.status(job)
    if status == "Pending":
        raise validation_error("export-not-ready", f"export {job.export_id} is still Pending")
    if status == "Failure":
        raise validation_error("export-failed", f"export {job.export_id} failed")
    if status == "Expired":
        raise ApiError(
            404, "unknown", "export-expired", "Not Found", f"export {job.export_id} has expired"
        )
    content, media_type, _rows = service.render(job)
    shape = service.config.download_shape
    if shape == "redirect":
        location = STORAGE_PATH.format(reportId=job.export_id) + f"?sig={_signature(job)}"
        return RedirectResponse(location, status_code=302)
    if shape == "gzip":
        return Response(gzip.compress(content), media_type="application/gzip")
    if shape == "oas-wrapper":
        attributes = base64.b64encode(content).decode("ascii")
        body = {"data": {"type": "FileStreamResult", "attributes": attributes}}
        return Response(encode({**body, "errors": [], "warnings": []}), media_type=media_type)
    if shape == "ndjson" and media_type == "application/json":
        lines = b"".join(msgspec.json.encode(row) + b"\n" for row in msgspec.json.decode(content))
        return Response(lines, media_type="application/x-ndjson")
    return Response(content, media_type=media_type)


def _signature(job: Job) -> str:
    return hashlib.sha256(f"storage:{job.export_id}".encode()).hexdigest()[:24]


def storage_download(request: Request) -> Response:
    """``GET /_storage/realtime/{reportId}?sig=...``: a pre-signed link, no bearer token."""
    service, job = _job(request)
    if "authorization" in request.headers:
        raise validation_error("token-not-accepted", "storage links take no Authorization header")
    if request.query_params.get("sig") != _signature(job):
        raise ApiError(403, "authorization", "bad-signature", "Forbidden", "invalid signature")
    content, media_type, _rows = service.render(job)
    return Response(content, media_type=media_type)


def routes() -> list[Route]:
    """The three real-time routes (the gate keeps them to ``preview``/``experimental``) and the
    storage route a redirected download points to (outside the API: no gate, no auth)."""
    handlers = {"create": create_export, "status": export_status, "download": download_export}
    return [
        *(
            Route(PREFIX + path, handlers[name], methods=[method])
            for name, (method, path) in REALTIME_PATHS.items()
        ),
        Route(STORAGE_PATH, storage_download, methods=["GET"]),
    ]
