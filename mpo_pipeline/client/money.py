"""Money as the API sent it: exact decimals, never binary floats.

The API does not document the precision of ``cost`` and ``revenue``; in practice amounts arrive
with six decimals (``6.465823``), in exponent notation (``8.308E-6``) or integer-looking
(``190758099``). They are decoded from the JSON number *text* (msgspec's ``Decimal`` type reads
the digits as written) into Arrow ``decimal128(38, 9)``: 29 integer digits and 9 decimals, which
holds every value above exactly. A float64 would not: ``190758099.123456`` has 15 significant
digits and no double holds ``190758099.123456789``.

A value with more than 9 decimals (a serializer's float artefact such as
``0.30000000000000004``) is rounded half-even to 9 decimals: a difference of at most 5e-10 of the
currency, far below any billed unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import pyarrow as pa

MONEY_SCALE = 9
MONEY_TYPE = pa.decimal128(38, MONEY_SCALE)
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
_LIMIT = Decimal(10) ** (38 - MONEY_SCALE)


def to_money(value: object) -> Decimal:
    """One amount as an exact ``Decimal`` of at most 9 decimals.

    Accepts what a decoder hands over: ``Decimal`` (from JSON number text), ``int``, or text
    (CSV cells). Raises ``ValueError`` for anything else, for NaN/infinity and for amounts with
    more than 29 integer digits.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"{value!r} is not a decimal number")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if number.as_tuple().exponent < -MONEY_SCALE:  # type: ignore[operator]
        number = number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    if abs(number) >= _LIMIT:
        raise ValueError(f"{value!r} does not fit in decimal(38, {MONEY_SCALE})")
    return number


def money_array(
    values: Sequence[object], fail: Callable[[int, str], Exception] | None = None
) -> pa.Array:
    """An Arrow ``decimal128(38, 9)`` array of ``values`` (None stays null).

    ``fail(row, message)`` builds the exception raised for a bad value (row = index in
    ``values``); without it, ``ValueError`` propagates.
    """
    try:
        return pa.array(values, type=MONEY_TYPE)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
        pass  # too many decimals, text, or a bad value: one by one
    out: list[Decimal | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(to_money(value))
        except ValueError as exc:
            if fail is None:
                raise
            raise fail(i, str(exc)) from None
    return pa.array(out, type=MONEY_TYPE)
