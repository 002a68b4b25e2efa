"""The demo seller directory: the marketplace's own metadata about its sellers.

One row per seller name used by any advertiser of the config (``seller_name`` is the join key with
MPO ``sellerName``, always text), except about 3% deliberately left out so that the pipeline's
"seller missing from the directory" path is exercised. A renamed seller (``SellerRename``) is
listed under its last name only, unless another advertiser's seller still uses the old one.
Rates are fractions with at most 4 decimals: ``commission_rate`` in [0.05, 0.20], ``ad_fee_rate``
in [0.00, 0.15].
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .config import SimulatorConfig
from .hashing import hash_key
from .world import build_world

MISSING_SHARE = 0.03
COLUMNS = (
    "seller_name",
    "seller_legal_name",
    "country",
    "seller_tier",
    "account_manager",
    "commission_rate",
    "ad_fee_rate",
)
_T_DIRECTORY = 501
_SURNAMES = (
    "Durand",
    "Martin",
    "Moreau",
    "Lefèvre",
    "Silva",
    "Santos",
    "Tanaka",
    "Sato",
    "Smith",
    "Johnson",
    "Müller",
    "Schmidt",
    "Rossi",
    "García",
    "Jansen",
    "Dubois",
)
_TRADES = (
    "Distribution",
    "Trading",
    "Home",
    "Sports",
    "Electronics",
    "Outlet",
    "Supply",
    "Textiles",
    "Garden",
    "Kids",
)
_COUNTRIES = ("FR", "US", "GB", "BR", "JP", "DE", "ES", "IT", "NL", "BE")
_LEGAL_FORM = {
    "FR": "SAS",
    "US": "LLC",
    "GB": "Ltd",
    "BR": "Ltda.",
    "JP": "K.K.",
    "DE": "GmbH",
    "ES": "S.L.",
    "IT": "S.r.l.",
    "NL": "B.V.",
    "BE": "SRL",
}
_MANAGERS = (
    "Alice Martin",
    "Bruno Costa",
    "Chloé Bernard",
    "Daniel Kim",
    "Emma Walker",
    "Félix Moreau",
)


def _pool_indexes(config: SimulatorConfig) -> np.ndarray:
    world = build_world(config)
    return np.unique(np.concatenate([a.seller_pool for a in world.advertisers]))


def _missing(config: SimulatorConfig, pool: np.ndarray) -> np.ndarray:
    """Mask of the pool indexes deliberately left out (at least one when there are 10+)."""
    h = hash_key(config.seed, _T_DIRECTORY, pool)
    missing = (h % np.uint64(10_000)).astype(np.int64) < MISSING_SHARE * 10_000
    if not missing.any() and len(pool) >= 10:
        missing[np.argmin(h)] = True
    return missing


def _current_entries(config: SimulatorConfig) -> list[tuple[int, str]]:
    """(pool index, current name) of every seller of the config, once each.

    A renamed seller is listed under its last name (the marketplace's directory follows its
    catalog keys); its old key stays only while another advertiser's seller still uses it.
    """
    world = build_world(config)
    pairs = {
        (i, name)
        for adv in world.advertisers
        for i, name in zip(
            adv.seller_pool.tolist(), world.changes.final_names(adv).tolist(), strict=True
        )
    }
    return sorted(pairs)


def _listed_entries(config: SimulatorConfig) -> list[tuple[int, str]]:
    """The entries of the directory: current entries whose pool index is not left out."""
    pool = _pool_indexes(config)
    left_out = set(pool[_missing(config, pool)].tolist())
    return [(i, name) for i, name in _current_entries(config) if i not in left_out]


def missing_seller_names(config: SimulatorConfig) -> set[str]:
    """The sellers' current names (after any rename) that are absent from the directory."""
    listed = {name for _, name in _listed_entries(config)}
    return {name for _, name in _current_entries(config)} - listed


def directory_rows(config: SimulatorConfig) -> list[dict]:
    """The directory rows, sorted by ``seller_name``; rates as ``Decimal`` (4 decimals)."""
    rows = []
    for i, name in _listed_entries(config):
        h = [int(x) for x in hash_key(config.seed, _T_DIRECTORY + 1, i, np.arange(7))]
        country = _COUNTRIES[h[0] % len(_COUNTRIES)]
        legal = f"{_SURNAMES[h[1] % len(_SURNAMES)]} {_TRADES[h[2] % len(_TRADES)]}"
        tier_roll = h[3] % 100
        rows.append(
            {
                "seller_name": name,
                "seller_legal_name": f"{legal} {_LEGAL_FORM[country]}",
                "country": country,
                "seller_tier": "Gold"
                if tier_roll < 15
                else "Silver"
                if tier_roll < 50
                else "Bronze",
                "account_manager": _MANAGERS[h[4] % len(_MANAGERS)],
                "commission_rate": Decimal(500 + h[5] % 1501).scaleb(-4),
                "ad_fee_rate": Decimal(h[6] % 1501).scaleb(-4),
            }
        )
    return sorted(rows, key=lambda r: r["seller_name"])


def seller_directory(config: SimulatorConfig) -> pa.Table:
    """The directory as a table (rates as decimal(5, 4))."""
    rows = directory_rows(config)
    types = {c: pa.string() for c in COLUMNS}
    types["commission_rate"] = types["ad_fee_rate"] = pa.decimal128(5, 4)
    return pa.table({c: pa.array([r[c] for r in rows], types[c]) for c in COLUMNS})


def write_seller_directory(config: SimulatorConfig, path: Path) -> Path:
    """Write the directory to ``path``: Parquet if it ends in ``.parquet``, else CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        pq.write_table(seller_directory(config), path)
        return path
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in directory_rows(config):
            writer.writerow(
                {
                    **row,
                    "commission_rate": f"{row['commission_rate']:.4f}",
                    "ad_fee_rate": f"{row['ad_fee_rate']:.4f}",
                }
            )
    return path
