"""Parsing what a request names: the seller in the path, the window and as-of date in the query.

The seller is Criteo's seller id, written in canonical ASCII digits (no sign, no leading zero,
at most a BIGINT). Anything else cannot be a seller and is answered as an unknown seller is.
Error messages never repeat the value sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mpo_pipeline.seller_portal.keys import SELLER_ID_MAX

SELLER_ID = re.compile(r"[1-9][0-9]{0,18}")  # ASCII only: str.isdigit() accepts "١٢٣" too
WINDOW = re.compile(r"[1-9][0-9]{0,2}")
AS_OF = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
QUERY_NAMES = frozenset({"window", "as_of"})


class BadRequest(ValueError):
    """The query is malformed (the message says what is expected, never what was sent)."""


@dataclass(frozen=True)
class ReportQuery:
    """The query of a report request; None = the default (smallest window, latest date)."""

    window: int | None = None
    as_of: date | None = None


def parse_seller_id(raw: str) -> int | None:
    """The seller id written in the path, or None if ``raw`` is not one."""
    if not SELLER_ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= SELLER_ID_MAX else None


def parse_report_query(items: list[tuple[str, str]]) -> ReportQuery:
    """``window`` (days) and ``as_of`` (YYYY-MM-DD), each at most once, nothing else."""
    names = [name for name, _ in items]
    unknown = sorted(set(names) - QUERY_NAMES)
    if unknown:
        raise BadRequest("unknown query parameter; allowed: window, as_of")
    if len(names) != len(set(names)):
        raise BadRequest("a query parameter is given twice")
    values = dict(items)
    window = None
    if "window" in values:
        if not WINDOW.fullmatch(values["window"]):
            raise BadRequest("window must be a number of days, e.g. window=7")
        window = int(values["window"])
    as_of = None
    if "as_of" in values:
        try:
            if not AS_OF.fullmatch(values["as_of"]):
                raise ValueError
            as_of = date.fromisoformat(values["as_of"])
        except ValueError:
            raise BadRequest("as_of must be a date, YYYY-MM-DD") from None
    return ReportQuery(window, as_of)
