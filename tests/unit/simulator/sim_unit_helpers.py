"""Shared helpers of the simulator's unit tests (a uniquely named module, not a package)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pyarrow as pa

BASES = (
    "impressions",
    "clicks",
    "cost",
    "saleUnitsSameSeller",
    "revenueSameSeller",
    "saleUnitsAnySeller",
    "revenueAnySeller",
)
MONEY = {"cost", "revenueSameSeller", "revenueAnySeller"}
TODAY = date(2026, 11, 20)


def totals(table: pa.Table, keys: tuple[str, ...], decimals: int = 2) -> dict:
    """Sum of the base metrics (``Both`` columns) per key; money in exact minor units."""
    out: dict = defaultdict(lambda: [0] * len(BASES))
    cols = table.to_pydict()
    for i in range(table.num_rows):
        k = tuple(cols[c][i] for c in keys)
        acc = out[k]
        for j, m in enumerate(BASES):
            v = cols[m][i]
            acc[j] += round(v * 10**decimals) if m in MONEY else v
    return {k: tuple(v) for k, v in out.items() if any(v)}
