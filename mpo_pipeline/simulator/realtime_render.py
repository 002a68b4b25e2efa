"""Serialising real-time rows: CSV (header = the requested enum names) or JSON (a list of row
objects with lowerCamel keys). The two spellings differ on purpose: the real column names are
undocumented, so clients must match them case-insensitively (reference §4, §8.13).

Values: ids as numbers, ``SellerName`` text, ``Day`` ``YYYY-MM-DD``, ``Hour`` 0–23 and ``Minute``
0–59 (the bucket's start in the requested time zone), counts as integers, ``Cost`` in the
advertiser's currency with its decimals.
"""

from __future__ import annotations

import csv
import io

import msgspec
import numpy as np
import pyarrow as pa

from .realtime_request import RealtimeQuery

_ENCODER = msgspec.json.Encoder()


def merge_rows(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate per-advertiser rows, ordered by time bucket, campaign, then seller."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["seller_id"], cols["campaign_id"], cols["local_minute"]))
    return {k: v[order] for k, v in cols.items()}


def served_columns(q: RealtimeQuery, rows: dict[str, np.ndarray]) -> list[tuple[str, list]]:
    """(enum name, Python values) per requested dimension, then per requested metric."""
    n = len(rows.get("local_minute", ()))
    if n == 0:
        return [(name, []) for name in (*q.dimensions, *q.metrics)]
    local = rows["local_minute"]
    by_dimension = {
        "AdvertiserId": rows["advertiser_id"],
        "CampaignId": rows["campaign_id"],
        "SellerId": rows["seller_id"],
        "SellerName": rows["seller_name"],
        "Day": np.datetime_as_string((local // 1440).astype("datetime64[D]"), unit="D"),
        "Hour": (local // 60) % 24,
        "Minute": local % 60,
    }
    out = [(d, by_dimension[d].tolist()) for d in q.dimensions]
    for metric in q.metrics:
        if metric == "Cost":
            scale = 10.0 ** rows["decimals"]
            cost = np.round(rows["Cost"] / scale, rows["decimals"].max())
            out.append((metric, cost.tolist()))
        else:
            out.append((metric, rows[metric].tolist()))
    return out


def _json_name(name: str) -> str:
    return name[0].lower() + name[1:]


def to_csv(columns: list[tuple[str, list]]) -> bytes:
    """CSV with a header row, comma separator and ``.`` decimals."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    writer.writerows(zip(*(values for _, values in columns), strict=True))
    return buf.getvalue().encode("utf-8")


def to_json(columns: list[tuple[str, list]]) -> bytes:
    """A JSON list of row objects."""
    names = [_json_name(name) for name, _ in columns]
    rows = [
        dict(zip(names, row, strict=True)) for row in zip(*(v for _, v in columns), strict=True)
    ]
    return _ENCODER.encode(rows)


def to_table(columns: list[tuple[str, list]]) -> pa.Table:
    """The rows as an Arrow table with lowerCamel names (ground truth for tests)."""
    return pa.table({_json_name(name): values for name, values in columns})
