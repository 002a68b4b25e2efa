"""The OpenAPI 3.1 description of the seller portal API (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from mpo_pipeline.seller_portal.contract import CAMPAIGN_COLUMNS, NOT_NULL, PERFORMANCE_COLUMNS
from mpo_pipeline.seller_portal.queries import CAMPAIGNS, PERFORMANCE, REQUEST_KEYS, Report

_DATE = {"type": "string", "format": "date"}
_MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DESCRIPTIONS = {
    "currency": "ISO 4217 code of every amount of the row.",
    "days_loaded": "Days of the window present in the warehouse.",
    "is_complete": "Every day of the window is loaded.",
    "previous_window_start": "First day of the window before (as long, just before).",
    "previous_days_loaded": "Days of the previous window present in the warehouse.",
    "previous_is_complete": "Every day of the previous window is loaded.",
    "cap_reached_on": "Day the monthly ad spend cap is reached at the current pace.",
}


def column_schema(name: str, sql_type: str) -> dict[str, Any]:
    """The JSON schema of one column as the API writes it (DECIMAL: an exact decimal string)."""
    if sql_type.startswith("decimal"):
        schema: dict[str, Any] = {
            "type": "string",
            "pattern": _MONEY_PATTERN,
            "description": "Exact decimal (a string, never a float).",
        }
    elif sql_type in ("bigint", "integer"):
        schema = {"type": "integer"}
    elif sql_type == "double":
        schema = {"type": "number", "description": "Unrounded, recomputed from the sums."}
    elif sql_type == "date":
        schema = {"type": "string", "format": "date"}
    elif sql_type == "boolean":
        schema = {"type": "boolean"}
    else:
        schema = {"type": "string"}
    if name in _DESCRIPTIONS:
        schema["description"] = _DESCRIPTIONS[name]
    if name not in NOT_NULL:
        schema["type"] = [schema["type"], "null"]
    return schema


def _row_schema(report: Report) -> dict[str, Any]:
    columns = PERFORMANCE_COLUMNS if report is PERFORMANCE else CAMPAIGN_COLUMNS
    return {
        "type": "object",
        "properties": {
            name: column_schema(name, kind) for name, kind in columns if name not in REQUEST_KEYS
        },
        "additionalProperties": True,
        "description": f"One row of {report.table} for the seller: its columns, without "
        "as_of_date, window_days and seller_id (given once, above the rows).",
    }


def _answer_schema(report: Report) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["seller_id", "report", "window_days", "as_of_date", "published_at", "rows"],
        "properties": {
            "seller_id": {"type": "integer"},
            "report": {"type": "string", "const": report.name},
            "window_days": {"type": "integer"},
            "as_of_date": _DATE,
            "published_at": {"type": "string", "format": "date-time"},
            "rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{report.name}_row"}},
        },
    }


_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}},
    }
    if headers:
        out["headers"] = headers
    return out


def _report_path(report: Report, summary: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"get_seller_{report.name}",
            "summary": summary,
            "security": [{"bearer": []}, {"api_key": []}],
            "parameters": [
                {
                    "name": "seller",
                    "in": "path",
                    "required": True,
                    "description": "Criteo seller id, ASCII digits (the mart's seller_id).",
                    "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,18}$"},
                },
                {
                    "name": "window",
                    "in": "query",
                    "description": "Window in days (one the mart holds, e.g. 7 or 30); default: "
                    "the smallest.",
                    "schema": {"type": "integer", "minimum": 1},
                },
                {
                    "name": "as_of",
                    "in": "query",
                    "description": "Last day of the window; default: the latest completed day.",
                    "schema": _DATE,
                },
                {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                {"name": "If-Modified-Since", "in": "header", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The seller's figures.",
                    "headers": {
                        "ETag": {"schema": {"type": "string"}},
                        "Last-Modified": {"schema": {"type": "string"}},
                    },
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{report.name}"}
                        }
                    },
                },
                "304": {"description": "Not modified since the given ETag or date."},
                "400": _error("Malformed query, or a window or date the mart does not hold."),
                "401": _error("No key, or a wrong or revoked key."),
                "404": _error(
                    "No such seller, or a seller this key may not read (the same answer)."
                ),
                "429": _error(
                    "The key's rate limit is reached.",
                    {"Retry-After": {"schema": {"type": "integer"}}},
                ),
                "503": _error("Nothing is published yet."),
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MPO seller portal API",
            "version": "1",
            "description": "Read-only rolling-window figures per seller from the published "
            "warehouse. Money is an exact decimal string. A seller key reads one seller; a "
            "portal key reads any.",
        },
        "paths": {
            "/v1/sellers/{seller}/performance": _report_path(
                PERFORMANCE, "A seller's rolling-window figures, per advertiser."
            ),
            "/v1/sellers/{seller}/campaigns": _report_path(
                CAMPAIGNS, "A seller's rolling-window figures, per advertiser and campaign."
            ),
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether a snapshot is served, and when it was published.",
                    "security": [],
                    "responses": {
                        "200": {"description": "A snapshot is served."},
                        "503": {"description": "No snapshot can be served."},
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document."}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            "schemas": {
                "performance": _answer_schema(PERFORMANCE),
                "campaigns": _answer_schema(CAMPAIGNS),
                "performance_row": _row_schema(PERFORMANCE),
                "campaigns_row": _row_schema(CAMPAIGNS),
                "error": _ERROR,
            },
        },
    }
