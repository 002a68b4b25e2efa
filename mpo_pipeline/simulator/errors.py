"""The error shapes of the API: the ``errors`` envelope and the OAuth2 token-endpoint error."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from .render import encode

PROBLEM_TYPES = (
    "unknown",
    "access-control",
    "authentication",
    "authorization",
    "availability",
    "deprecation",
    "quota",
    "validation",
)


class ApiError(Exception):
    """An error response in the ``{"errors": [...], "warnings": []}`` envelope."""

    def __init__(
        self,
        status: int,
        type_: str,
        code: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        if type_ not in PROBLEM_TYPES:
            raise ValueError(f"unknown problem type {type_!r}")
        self.status, self.type, self.code = status, type_, code
        self.title, self.detail = title, detail
        self.headers = dict(headers or {})

    def body(self, instance: str) -> dict:
        """The envelope as a plain object; ``instance`` is the request path."""
        trace = uuid.uuid4().hex
        problem = {
            "traceId": trace,
            "traceIdentifier": trace,
            "type": self.type,
            "code": self.code,
            "instance": instance,
            "title": self.title,
            "detail": self.detail,
        }
        return {"errors": [problem], "warnings": []}

    def response(self, instance: str, extra_headers: dict[str, str] | None = None) -> Response:
        """The JSON response of this error."""
        headers = {**self.headers, **(extra_headers or {})}
        return Response(
            encode(self.body(instance)),
            status_code=self.status,
            media_type="application/json",
            headers=headers,
        )


def validation_error(code: str, detail: str) -> ApiError:
    """A 400 validation problem."""
    return ApiError(400, "validation", code, "Invalid request parameter", detail)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """An OAuth2 (RFC 6749 §5.2) error from the token endpoint."""
    return Response(
        encode({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
