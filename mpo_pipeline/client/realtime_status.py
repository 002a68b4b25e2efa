"""Decoding the create and poll responses of the real-time export API into an ``ExportJob``.

Shape (reference §4): ``{"data": {"type", "attributes": {"exportId", "status", "message"}},
"errors": [...], "warnings": [...]}``. Statuses are compared case-insensitively (the enum says
``Pending``, the prose ``PENDING``); a status outside the enum reads as ``Unknown`` with its raw
value kept, and the poller fails on it at once (``ExportJob.is_listed_status``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from .errors import MpoResponseError, body_snippet

# Export ids become lake file names: accept only plain tokens (the API sends UUIDs).
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ExportStatus(StrEnum):
    """Status of a real-time export job."""

    UNKNOWN = "Unknown"
    PENDING = "Pending"
    DONE = "Done"
    FAILURE = "Failure"
    EXPIRED = "Expired"


_BY_LOWER = {s.value.lower(): s for s in ExportStatus}


def parse_status(value: str | None) -> ExportStatus:
    """The status named by ``value`` in any casing; ``Unknown`` for anything else."""
    return _BY_LOWER.get((value or "").strip().lower(), ExportStatus.UNKNOWN)


@dataclass(frozen=True)
class ExportJob:
    """An export job as the API last reported it.

    ``raw_status`` is the status string as sent; ``reused`` is True when a create call returned
    an id this client had already seen (identical requests may return a cached export).
    """

    export_id: str
    status: ExportStatus
    raw_status: str
    message: str | None = None
    warnings: tuple[str, ...] = ()
    reused: bool = False

    @property
    def is_listed_status(self) -> bool:
        """Whether ``raw_status`` is one of the enum's values (in any casing)."""
        return (self.raw_status or "").strip().lower() in _BY_LOWER


class _Problem(msgspec.Struct):
    code: str | None = None
    title: str | None = None
    detail: str | None = None


class _Attributes(msgspec.Struct):
    exportId: str | None = None
    status: str | None = None
    message: str | None = None


class _Data(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    attributes: _Attributes | None = None


class _Envelope(msgspec.Struct):
    data: _Data | None = None
    errors: list[_Problem] | None = None
    warnings: list[_Problem] | None = None


def _describe(problems: list[_Problem] | None) -> list[str]:
    return [
        " ".join(
            f"{k}={v!r}"
            for k, v in (("code", p.code), ("title", p.title), ("detail", p.detail))
            if v
        )
        or "(empty problem)"
        for p in problems or []
    ]


def check_export_id(export_id: str) -> str:
    """``export_id`` if it is a plain token (it goes into URL paths and file names)."""
    if not isinstance(export_id, str) or not _SAFE_ID.match(export_id):
        raise ValueError(f"export id {str(export_id)[:80]!r} is not a plain token")
    return export_id


def parse_job(body: bytes, context: str) -> ExportJob:
    """Decode a create/poll body; ``MpoResponseError`` when it names no usable export."""
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MpoResponseError(
            f"{context}: unexpected body ({first}): {body_snippet(body)}"
        ) from None
    data = envelope.data
    attributes = data.attributes if data is not None else None
    export_id = (attributes.exportId if attributes else None) or (data.id if data else None)
    if not export_id or attributes is None or not attributes.status:
        errors = "; ".join(_describe(envelope.errors)) or body_snippet(body)
        raise MpoResponseError(f"{context}: the response names no export id and status: {errors}")
    if not _SAFE_ID.match(export_id):
        raise MpoResponseError(f"{context}: export id {export_id[:80]!r} is not a plain token")
    return ExportJob(
        export_id=export_id,
        status=parse_status(attributes.status),
        raw_status=attributes.status,
        message=attributes.message,
        warnings=tuple(_describe(envelope.warnings)),
    )
