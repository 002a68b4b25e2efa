"""Currency minor units (the dbt seed, from Babel's CLDR data) and how money is shown."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import babel
import pytest
from babel.core import get_cldr_version
from babel.numbers import get_currency_precision, list_currencies

from mpo_pipeline.finance import currency_seed, money

REPO = Path(__file__).resolve().parents[3]


def test_checked_in_seed_equals_what_babel_says_now():
    # a Babel upgrade that changes a digit fails here: regenerate the seed
    # (python -m mpo_pipeline.finance.currency_seed) and review the diff
    seed = currency_seed.read_seed()
    babel_units = {code: get_currency_precision(code) for code in list_currencies()}
    assert seed == babel_units
    text = currency_seed.SEED_CSV.read_text(encoding="utf-8")
    assert text == currency_seed.seed_text(babel_units)  # byte for byte, sorted


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("PLN", 2),
        ("GBP", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
    ],
)
def test_minor_units_of_the_currencies_that_matter(currency, digits):
    assert currency_seed.read_seed()[currency] == digits
    assert money.minor_unit(currency) == digits


def test_every_digit_count_is_handled_by_the_rounding_macro():
    # macros/billing.sql rounds with a case over 0..4
    assert set(currency_seed.read_seed().values()) <= {0, 1, 2, 3, 4}


def test_seed_description_names_its_source_and_generation_date():
    provenance = currency_seed.read_provenance()
    assert provenance["babel"] == babel.__version__
    assert provenance["cldr"] == str(get_cldr_version())
    assert date.fromisoformat(provenance["date"]) <= date.today()


def test_generator_writes_the_seed_and_its_provenance(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "_seeds.yml").write_text(currency_seed.SEEDS_YML.read_text(encoding="utf-8"))
    result = subprocess.run(
        [sys.executable, "-m", "mpo_pipeline.finance.currency_seed", "--seeds-dir", str(seeds)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "currencies" in result.stdout
    assert currency_seed.read_seed(seeds / "currency_minor_units.csv") == currency_seed.read_seed()
    provenance = currency_seed.read_provenance(seeds / "_seeds.yml")
    assert provenance["date"] == date.today().isoformat()


def test_unknown_currency_is_an_error_not_a_default():
    with pytest.raises(money.UnknownCurrency, match="XYZ"):
        money.minor_unit("XYZ")
    assert money.minor_unit("XYZ", known=3) == 3  # the row's own minor unit wins


def test_billed_amounts_show_the_minor_unit_digits():
    assert money.billed(Decimal("1234.0000"), 0) == "1234"  # whole yen, no .00
    assert money.billed(Decimal("1234567.0000"), 0, grouping=True) == "1,234,567"
    assert money.billed(Decimal("12.3000"), 2) == "12.30"
    assert money.billed(Decimal("-0.1300"), 2) == "-0.13"
    assert money.billed(Decimal("0.0010"), 3) == "0.001"
    # a finer value (never stored) is rounded half away from zero, like the statement
    assert money.billed(Decimal("2.5"), 0) == "3"
    assert money.billed(Decimal("-0.125"), 2) == "-0.13"


def test_exact_amounts_are_shown_as_they_are():
    assert money.exact(Decimal("12.300000000"), 2) == "12.30"
    assert money.exact(Decimal("0.000012000"), 2) == "0.000012"
    assert money.exact(Decimal("0.000008308"), 2) == "0.000008308"
    assert money.exact(Decimal("190758099.000000000"), 0) == "190758099"
    assert money.exact(Decimal("190758099.5"), 0, grouping=True) == "190,758,099.5"
    assert money.exact(Decimal("0E-9"), 2) == "0.00"
