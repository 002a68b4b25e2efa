"""Lenient parsing of the date and date-time texts the MPO API sends.

Accepted: ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:mm[:ss[.fraction]]`` (``T`` or a space), with an
optional ``Z`` or ``±HH[:]MM`` offset. Fractions longer than microseconds (the API sends seven
digits, ``.7970000``) are truncated.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_STAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_stamp(text: str) -> tuple[date, datetime, timezone | None]:
    """Split ``text`` into its calendar date, its naive date-time and its offset (if any).

    Raises ``ValueError`` with the offending text when it matches none of the accepted forms.
    """
    match = _STAMP.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a date or date-time")
    day_text, hh, mm, ss, frac, offset = match.groups()
    try:
        day = date.fromisoformat(day_text)
        micro = int((frac or "0")[:6].ljust(6, "0"))
        stamp = datetime(
            day.year, day.month, day.day, int(hh or 0), int(mm or 0), int(ss or 0), micro
        )
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date or date-time") from None
    zone: timezone | None = None
    if offset == "Z":
        zone = UTC
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return day, stamp, zone


def parse_date_text(text: str) -> date:
    """The calendar date written at the start of ``text`` (any time part is ignored)."""
    return parse_stamp(text)[0]


def parse_utc(text: str) -> datetime:
    """An aware UTC date-time; a text without an offset is taken as UTC."""
    _, stamp, zone = parse_stamp(text)
    return stamp.replace(tzinfo=zone or UTC).astimezone(UTC)


def parse_wall_clock(text: str, zone: tzinfo) -> datetime:
    """A naive wall-clock date-time in ``zone``; a text with an offset is converted to it."""
    _, stamp, offset = parse_stamp(text)
    if offset is None:
        return stamp
    return stamp.replace(tzinfo=offset).astimezone(zone).replace(tzinfo=None)
