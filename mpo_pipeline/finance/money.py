"""Showing money: billed amounts with their currency's minor unit, exact amounts as they are.

The minor unit of a currency (EUR 2, JPY 0, KWD 3) comes from the same source as the dbt seed
``currency_minor_units`` (Babel's CLDR data, see :mod:`mpo_pipeline.finance.currency_seed`); rows
of the statement, P&L and close tables carry it as ``currency_minor_unit``, and this module only
falls back to the checked-in seed for rows that lack it (closes made before the column existed).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from mpo_pipeline.finance.currency_seed import read_seed


class UnknownCurrency(KeyError):
    """A currency the seed ``currency_minor_units`` does not list: never guess its minor unit."""


@cache
def _seed() -> dict[str, int]:
    return read_seed()


def minor_unit(currency: str, known: int | None = None) -> int:
    """``known`` when given (the row's own currency_minor_unit), else the seed's minor unit."""
    if known is not None:
        return int(known)
    try:
        return _seed()[currency]
    except KeyError:
        raise UnknownCurrency(
            f"currency {currency!r} is not in the seed currency_minor_units: regenerate it "
            "(python -m mpo_pipeline.finance.currency_seed)"
        ) from None


def billed(value: Decimal | int, digits: int, *, grouping: bool = False) -> str:
    """A billed amount with exactly ``digits`` decimals: ``1234`` for JPY, ``12.30`` for EUR.

    Billed amounts are already rounded to the minor unit, so this only drops the storage
    decimals (DECIMAL(38, 4) holds ``1234.0000`` yen); a finer value (which should not happen)
    is rounded half away from zero, like the statement."""
    quantum = Decimal(1).scaleb(-digits)
    amount = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{amount:,f}" if grouping else f"{amount:f}"


def exact(value: Decimal | int, digits: int, *, grouping: bool = False) -> str:
    """An exact (unrounded) amount as it is, with at least the minor unit's decimals and no
    trailing zeros beyond them: ``12.30``, ``0.000008308``, ``190758099`` (JPY)."""
    amount = Decimal(value)
    decimals = max(digits, -amount.normalize().as_tuple().exponent, 0)
    amount = amount.quantize(Decimal(1).scaleb(-decimals))
    return f"{amount:,f}" if grouping else f"{amount:f}"
