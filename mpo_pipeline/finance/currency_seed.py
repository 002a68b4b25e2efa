"""The dbt seed ``currency_minor_units``: every currency's minor unit, from Babel's CLDR data.

Billed amounts are rounded to their currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD). The
digits come from a maintained source, the Unicode CLDR as shipped by Babel
(``babel.numbers.list_currencies`` and ``get_currency_precision``), never from a hand-made list.
Regenerate the seed after upgrading Babel::

    .venv/bin/python -m mpo_pipeline.finance.currency_seed

It rewrites ``dbt_project/seeds/currency_minor_units.csv`` and the line of the seed's description
in ``dbt_project/seeds/_seeds.yml`` that says when and from which Babel / CLDR version it was
generated. A unit test fails when the checked-in seed differs from what Babel says, so the seed
cannot drift silently.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from datetime import date
from pathlib import Path

import babel
from babel.core import get_cldr_version
from babel.numbers import get_currency_precision, list_currencies

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
SEED_CSV = SEEDS_DIR / "currency_minor_units.csv"
SEEDS_YML = SEEDS_DIR / "_seeds.yml"
COLUMNS = ("currency", "minor_unit")
# The provenance line of the seed's description in _seeds.yml (rewritten on generation).
PROVENANCE = re.compile(
    r"Generated on (?P<date>\d{4}-\d{2}-\d{2}) by `python -m mpo_pipeline\.finance\.currency_seed` "
    r"from Babel (?P<babel>[\w.]+) \(CLDR (?P<cldr>[\w.]+)\)\."
)


def babel_minor_units() -> dict[str, int]:
    """currency code -> minor unit (decimal digits) per Babel's CLDR data, sorted by code."""
    return {code: get_currency_precision(code) for code in sorted(list_currencies())}


def seed_text(units: dict[str, int]) -> str:
    """The seed CSV: a header and one ``code,digits`` line per currency (LF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(sorted(units.items()))
    return out.getvalue()


def read_seed(path: Path = SEED_CSV) -> dict[str, int]:
    """The checked-in seed as currency code -> minor unit."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["currency"]: int(row["minor_unit"]) for row in csv.DictReader(handle)}


def provenance_line(today: date) -> str:
    """The sentence of the seed description that names the source and the generation date."""
    return (
        f"Generated on {today.isoformat()} by `python -m mpo_pipeline.finance.currency_seed` "
        f"from Babel {babel.__version__} (CLDR {get_cldr_version()})."
    )


def read_provenance(path: Path = SEEDS_YML) -> dict[str, str]:
    """date, babel and cldr of the provenance line in _seeds.yml (empty when there is none)."""
    match = PROVENANCE.search(path.read_text(encoding="utf-8"))
    return match.groupdict() if match else {}


def generate(today: date | None = None, seeds_dir: Path = SEEDS_DIR) -> Path:
    """Write the seed CSV and update its provenance line; return the CSV path."""
    csv_path = seeds_dir / SEED_CSV.name
    csv_path.write_text(seed_text(babel_minor_units()), encoding="utf-8")
    yml_path = seeds_dir / SEEDS_YML.name
    text = yml_path.read_text(encoding="utf-8")
    new, count = PROVENANCE.subn(provenance_line(today or date.today()), text)
    if count != 1:
        raise SystemExit(
            f"{yml_path}: expected one provenance line ('Generated on YYYY-MM-DD by ...') in the "
            f"description of seed currency_minor_units, found {count}"
        )
    yml_path.write_text(new, encoding="utf-8")
    return csv_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR)
    args = parser.parse_args(argv)
    path = generate(seeds_dir=args.seeds_dir)
    print(f"wrote {path} ({len(babel_minor_units())} currencies, Babel {babel.__version__})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
