"""Mapping UTC hours to local interval buckets (hour, day, month, year) in any IANA zone.

The data live in UTC hours. A request in zone Z for local days [start, end] becomes a list of
*segments*: runs of consecutive UTC hours of one UTC day that fall in one local bucket. A local
day is the tail of one UTC day plus the head of the next (or a whole UTC day in UTC). Each UTC
hour belongs to the local bucket its start falls in, so zones with half-hour offsets and DST days
(23 or 25 hours) stay exact: every UTC hour is counted in exactly one bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

INTERVALS = ("Hour", "Day", "Month", "Year")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _offset_minutes(zone: ZoneInfo, ts: int) -> int:
    offset = datetime.fromtimestamp(ts, zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds()) // 60


@lru_cache(maxsize=100_000)
def _day_offsets(zone_name: str, day: int) -> tuple[int, ...]:
    """UTC offset in minutes at the start of each of the 24 UTC hours of a UTC day."""
    zone = _zone(zone_name)
    base = day * 86_400
    first, last = _offset_minutes(zone, base), _offset_minutes(zone, base + 23 * 3600)
    if first == last:  # no transition inside this UTC day (zones change at most once a day)
        return (first,) * 24
    return tuple(_offset_minutes(zone, base + h * 3600) for h in range(24))


def utc_offsets(zone_name: str, days: np.ndarray) -> np.ndarray:
    """(len(days), 24) UTC offsets in minutes for each UTC hour of the given UTC days."""
    return np.array([_day_offsets(zone_name, int(d)) for d in days], dtype=np.int64).reshape(
        len(days), 24
    )


@dataclass(frozen=True, eq=False)
class Segments:
    """UTC-hour runs making up the local buckets of a request, in time order."""

    day: np.ndarray  # (s,) epoch UTC day of each segment
    h0: np.ndarray  # (s,) first UTC hour of the segment in that day
    h1: np.ndarray  # (s,) one past the last UTC hour
    bucket: np.ndarray  # (s,) index into labels, non-decreasing
    labels: np.ndarray  # (b,) datetime64[D] (day/month/year) or datetime64[h] (hour), local


def _labels(local_minutes: np.ndarray, interval: str) -> np.ndarray:
    days = (local_minutes // 1440).astype("datetime64[D]")
    if interval == "Hour":
        return (local_minutes // 60).astype("datetime64[h]")
    if interval == "Day":
        return days
    if interval == "Month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    if interval == "Year":
        return days.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"unknown interval {interval!r}")


@lru_cache(maxsize=512)
def segments(zone_name: str, start: int, end: int, interval: str) -> Segments:
    """The segments of local days ``start..end`` (epoch days, inclusive) in ``zone_name``."""
    days = np.arange(start - 1, end + 2, dtype=np.int64)  # offsets never exceed one day
    local = (days[:, None] * 1440 + np.arange(24) * 60 + utc_offsets(zone_name, days)).ravel()
    utc_day = np.repeat(days, 24)
    utc_hour = np.tile(np.arange(24, dtype=np.int64), len(days))
    local_day = local // 1440
    keep = (local_day >= start) & (local_day <= end)
    local, utc_day, utc_hour = local[keep], utc_day[keep], utc_hour[keep]
    labels = _labels(local, interval)
    new_bucket = np.concatenate(([True], labels[1:] != labels[:-1]))
    bucket = np.cumsum(new_bucket) - 1
    new_segment = new_bucket | np.concatenate(([True], utc_day[1:] != utc_day[:-1]))
    starts = np.flatnonzero(new_segment)
    ends = np.append(starts[1:], len(utc_hour)) - 1
    arrays = [utc_day[starts], utc_hour[starts], utc_hour[ends] + 1, bucket[starts]]
    arrays.append(labels[new_bucket])
    for a in arrays:
        a.setflags(write=False)  # cached and shared between threads
    return Segments(*arrays)
