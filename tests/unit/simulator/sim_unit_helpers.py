"""Shared helpers of the simulator's unit tests (a uniquely named module, not a package)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

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
MICRO = Decimal("0.000001")
HALF_MICRO = Decimal("0.0000005")


def nanos(value: Decimal) -> int:
    """A money value (``Decimal`` of a ``decimal128(38, 9)`` column) as exact integer nanos."""
    out = value.scaleb(9)
    assert out == out.to_integral_value(), value
    return int(out)


def totals(table: pa.Table, keys: tuple[str, ...]) -> dict:
    """Sum of the base metrics (``Both`` columns) per key; money as exact integer nanos."""
    out: dict = defaultdict(lambda: [0] * len(BASES))
    cols = table.to_pydict()
    for i in range(table.num_rows):
        k = tuple(cols[c][i] for c in keys)
        acc = out[k]
        for j, m in enumerate(BASES):
            v = cols[m][i]
            acc[j] += nanos(v) if m in MONEY else v
    return {k: tuple(v) for k, v in out.items() if any(v)}


def money_sums(table: pa.Table, keys: tuple[str, ...], column: str = "cost") -> dict:
    """{key: (sum of ``column`` as a Decimal, number of rows)}."""
    out: dict = defaultdict(lambda: [Decimal(0), 0])
    cols = table.to_pydict()
    for i in range(table.num_rows):
        acc = out[tuple(cols[c][i] for c in keys)]
        acc[0] += cols[column][i]
        acc[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def served_from_exact(exact: Decimal) -> Decimal:
    """The API's rounding of one row's cost, written independently with ``decimal``:
    6 decimals half-even, or 4 significant digits (half-even) when below 0.001."""
    if 0 < exact < Decimal("0.001"):
        step = Decimal(1).scaleb(exact.adjusted() - 3)
        return exact.quantize(step, ROUND_HALF_EVEN)
    return exact.quantize(MICRO, ROUND_HALF_EVEN)


def half_unit(exact: Decimal) -> Decimal:
    """Half a unit of the last digit a row's cost is served with."""
    if 0 < exact < Decimal("0.001"):
        return Decimal(5).scaleb(exact.adjusted() - 4)
    return HALF_MICRO
