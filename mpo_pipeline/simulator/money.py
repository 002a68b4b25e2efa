"""Money: exact in the world, rounded row by row when served, written as exact decimal text.

**Exact world.** Money is held as integers of 1e-9 of the currency's major unit ("nanos"): cost
is generated to the nano (sub-cent fractions everywhere), revenue in whole minor units (cents,
yen), which are whole numbers of nanos too. One (seller-campaign, UTC day) cost is at most ~2e14
nanos and its hour split never forms a product past 2**63 (``generator.scaled``), so every *cell*
is an int64. A *row* is not: it sums up to 10,000 seller-campaigns over up to 366 days. In the
largest config (5 x 50 x 10,000), the top campaign of the JPY advertiser costs 1.6e9 yen from
January to mid-November 2026 (1.6e18 nanos, a sixth of 2**63 = 9.2e18, and the data grow 15% a
year) and sells 1.3e10 yen (1.3e19 nanos: past int64). So row sums are held as two int64 limbs,
``units`` (whole major units) and ``nanos`` (0..999,999,999), summed separately then carried:
either limb stays many orders of magnitude below 2**63, and every row is exact. Revenue rows are
summed in minor units (1.3e10 yen fits), converted to limbs only when served. Decimals are built
from the limbs as 128-bit integers. Money here is never negative.

**Served rows.** Every served row is rounded on its own, from the exact value of that row, the way
a reporting API formats each row it returns:

- cost to 6 decimals, **half-even** (ties to the even last digit: unbiased when many rounded rows
  are summed, and the default of IEEE 754, .NET and Python's ``decimal``);
- a non-zero cost below 0.001 to **4 significant digits** instead (half-even too), written in
  exponent notation: ``8.308E-6`` (so up to 9 decimals);
- revenue is exact (whole minor units).

Text is the shortest exact form: no trailing zeros (``12.5``, never ``12.50``), no decimal point
for whole amounts (``190758099``), the mantissa of the exponent form trimmed too (``1.2E-8``).
It is built with vectorised Arrow string kernels on the integers, never through float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import bools, int64s, join, scalar, strings

NANOS = 10**9  # nanos per major unit
SERVED_DECIMALS = 6  # cost decimals on the wire
SMALL_NANOS = 10**6  # a non-zero cost below 0.001 is served with ...
SIGNIFICANT_DIGITS = 4  # ... this many significant digits, in exponent notation
MONEY_TYPE = pa.decimal128(38, 9)
_WORD_UNITS = 2**64 // NANOS  # below this many units, units x 1e9 + nanos fits one 64-bit word


@dataclass(frozen=True, eq=False)
class Money:
    """Non-negative amounts per row: ``units + nanos / 1e9`` of the major unit (int64 arrays)."""

    units: np.ndarray
    nanos: np.ndarray

    def __len__(self) -> int:
        return len(self.units)

    def as_float(self) -> np.ndarray:
        """float64 values (for ratios only: never for what is served or compared as money)."""
        return self.units + self.nanos / NANOS


def split(nanos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int64 nanos (>= 0) to the two limbs (whole units, nanos 0..1e9-1)."""
    units = nanos // NANOS
    return units, nanos - units * NANOS


def carry(units: np.ndarray, nanos: np.ndarray) -> Money:
    """Limbs summed separately (``nanos`` may exceed 1e9) back to a normal ``Money``."""
    extra = nanos // NANOS
    return Money(units + extra, nanos - extra * NANOS)


def from_minor(minor: np.ndarray, decimals: np.ndarray) -> Money:
    """Whole minor units (cents, yen) of currencies with ``decimals`` digits, exactly."""
    per_unit = np.power(10, decimals.astype(np.int64))
    units = minor // per_unit
    return Money(units, (minor - units * per_unit) * (NANOS // per_unit))


def round_half_even(values: np.ndarray, step: np.ndarray | int) -> np.ndarray:
    """``values`` (int64 >= 0) to the nearest multiple of ``step``, ties to the even multiple."""
    quotient, remainder = np.divmod(values, step)
    twice = 2 * remainder
    up = (twice > step) | ((twice == step) & (quotient % 2 == 1))
    return (quotient + up) * step


def _digits(values: np.ndarray) -> np.ndarray:
    """Decimal digits of each value of 1..999,999 (integer comparisons, no log10)."""
    return 1 + sum((values >= 10**k).astype(np.int64) for k in range(1, 6))


def served_cost(exact: Money) -> Money:
    """The cost a row is served with: 6 decimals, or 4 significant digits below 0.001."""
    small = (exact.units == 0) & (exact.nanos < SMALL_NANOS)
    step = np.full(len(exact), NANOS // 10**SERVED_DECIMALS, np.int64)
    if small.any():
        digits = _digits(exact.nanos[small])
        step[small] = np.power(10, np.maximum(digits - SIGNIFICANT_DIGITS, 0))
    return carry(exact.units, round_half_even(exact.nanos, step))


def to_decimal128(money: Money) -> pa.Array:
    """``decimal128(38, 9)`` array of exact values (built from 128-bit words, no Decimal)."""
    n = len(money)
    words = np.zeros((n, 2), np.uint64)  # little-endian two's complement: low word, high word
    big = money.units >= _WORD_UNITS
    fits = ~big
    low = money.units[fits].astype(np.uint64) * np.uint64(NANOS)
    words[fits, 0] = low + money.nanos[fits].astype(np.uint64)
    for i in np.flatnonzero(big).tolist():  # from 1.8e10 major units on: Python integers
        value = int(money.units[i]) * NANOS + int(money.nanos[i])
        words[i] = (value & (2**64 - 1), value >> 64)
    return pa.Array.from_buffers(MONEY_TYPE, n, [None, pa.py_buffer(words)])


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(int64s(values), pa.string())


def money_text(money: Money) -> pa.Array:
    """The exact decimal text of each amount (shortest form; exponent form below 0.001)."""
    whole = _text(money.units)
    fraction = pc.utf8_rtrim(pc.utf8_lpad(_text(money.nanos), 9, "0"), "0")
    text = pc.if_else(pc.equal(fraction, scalar("")), whole, join(whole, ".", fraction))
    small = (money.units == 0) & (money.nanos > 0) & (money.nanos < SMALL_NANOS)
    if not small.any():
        return text
    nanos = money.nanos[small]
    digits = pc.utf8_rtrim(_text(nanos), "0")
    head, tail = pc.utf8_slice_codeunits(digits, 0, 1), pc.utf8_slice_codeunits(digits, 1)
    mantissa = pc.if_else(pc.equal(tail, scalar("")), head, join(head, ".", tail))
    exponent = _text(_digits(nanos) - 10)  # d digits of nanos = m.mmm x 10^(d - 1 - 9)
    return pc.replace_with_mask(text, bools(small), join(mantissa, "E", exponent))


def ratio_text(values: np.ndarray, null: str) -> pa.Array:
    """Ratios (multiples of 0.001, NaN for null) as the shortest float text (``12.0``, ``0.35``),
    ``null`` where NaN."""
    nulls = np.isnan(values)
    thousandths = np.rint(np.where(nulls, 0.0, values) * 1000).astype(np.int64)
    fraction = pc.utf8_rtrim(pc.utf8_lpad(_text(np.abs(thousandths) % 1000), 3, "0"), "0")
    fraction = pc.if_else(pc.equal(fraction, scalar("")), scalar("0"), fraction)
    whole = _text(np.abs(thousandths) // 1000)
    text = join(whole, ".", fraction)
    negative = thousandths < 0
    if negative.any():
        text = pc.if_else(bools(negative), join("-", text), text)
    huge = np.abs(values) >= 1e12  # past 2**53 thousandths: the float's own shortest text
    if huge.any():
        reprs = [msgspec.json.encode(float(v)).decode() for v in values[huge]]
        text = pc.replace_with_mask(text, bools(huge), strings(reprs))
    if nulls.any():
        text = pc.if_else(bools(nulls), scalar(null), text)
    return text
