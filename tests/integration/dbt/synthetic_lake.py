"""A small, fully known MPO lake written exactly per docs/lake.md, and its expected marts.

The expected values are computed here in plain Python (``Decimal``) from the generated input, never
by running SQL, so the dbt marts are checked against an independent implementation of the
warehouse contract.

The data set covers: three advertisers with different currencies (EUR, USD, JPY: no minor unit) and
time zones, a range crossing two month ends (Jan→Feb, Feb→Mar), both attribution policies, a seller
missing from the seller directory, an all-digit seller name with a leading zero, a seller only known
from metadata, a zero-row marker day, a zero-click row with sales and a zero-sales row, control
totals (one of them deliberately off) and no budgets folder at all (a fresh-lake folder that does
not exist).

Money is exact: the lake holds ``decimal128(38, 9)`` values with six decimals (micro-units), some
of them in the 1e-6 range (a seller whose whole cost is 0.000004 a day on three days), so rounding
anywhere to four decimals or to the cent before billing changes a mart and fails a test. The seller
directory of the marts tests has dated rows (``valid_from``): a seller's ad fee changes mid-February
(billed day by day) and again on March 1st, another's on February 1st.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MICRO = Decimal("0.000001")
POLICIES = ("SameSeller", "AnySeller")
ENDPOINTS = ("seller_campaigns", "sellers", "campaigns")
FIRST_DAY = date(2025, 1, 28)
LAST_DAY = date(2025, 3, 3)
EXTRACTED_AT = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)

ADVERTISERS = {
    101: {"name": "Marketplace EU", "currency": "EUR", "time_zone": "Europe/Paris"},
    202: {"name": "Marketplace US", "currency": "USD", "time_zone": "America/New_York"},
    303: {"name": "Marketplace JP", "currency": "JPY", "time_zone": "Asia/Tokyo"},
}
# ISO 4217 minor units, written here independently of the seed currency_minor_units
MINOR_UNITS = {"EUR": 2, "USD": 2, "JPY": 0}
CAMPAIGNS = {
    101: {1001: "EU Always On", 1002: "EU Sales"},
    202: {2001: "US Always On"},
    303: {3001: "JP Always On"},
}
# (seller_id, seller_name); ids exceed 32 bits
SELLERS = {
    101: [(5_000_000_001, "MKT-0001"), (5_000_000_002, "0042017"), (5_000_000_003, "GHOST-9")],
    202: [(7_000_000_001, "US-SELLER-1"), (7_000_000_002, "MKT-0002")],
    303: [(9_000_000_001, "JP-SELLER-1"), (9_000_000_002, "JP-SELLER-2")],
}
# a seller whose only activity is a cost of 0.000004 on each of three days (and no click)
TINY_SELLER = (101, 5_000_000_005, "TINY-1")
TINY_DAYS = (date(2025, 2, 3), date(2025, 2, 4), date(2025, 2, 5))
TINY_COST = 4  # micro-units: 0.000004
# known from MPO metadata only: never in the stats
METADATA_ONLY_SELLERS = {101: [(5_000_000_004, "MKT-0002")]}


def listed_sellers(adv: int) -> list[tuple[int, str]]:
    """Every seller of the advertiser in the MPO seller metadata."""
    tiny = [TINY_SELLER[1:]] if adv == TINY_SELLER[0] else []
    return SELLERS[adv] + tiny + METADATA_ONLY_SELLERS.get(adv, [])


SELLER_DIRECTORY = [
    # seller_name, legal name, country, tier, account manager, commission_rate, ad_fee_rate
    ("MKT-0001", "Maison Une SARL", "FR", "gold", "Alice Martin", "0.12", "0.15"),
    ("0042017", "Numeriek BV", "NL", "bronze", "Carla Jansen", "0.085", "0.075"),
    ("MKT-0002", "Zwei GmbH", "DE", "silver", "Bob Schmidt", "0.1", "0.1"),
    ("US-SELLER-1", "First US Seller Inc.", "US", "gold", "Dan Smith", "0.125", "0.0333"),
]
DIRECTORY_COLUMNS = (
    "seller_name",
    "seller_legal_name",
    "country",
    "seller_tier",
    "account_manager",
    "commission_rate",
    "ad_fee_rate",
)
# The directory of the marts tests: every row above valid since ever (empty valid_from), then
# dated rows. MKT-0001's ad fee changes on 2025-02-15 (February billed day by day, rate NULL) and
# on 2025-03-01 (March at its own rate, commission too); US-SELLER-1's on 2025-02-01 (a month
# boundary: January and February each at one rate).
RATE_CHANGE_MID_MONTH = date(2025, 2, 15)
DATED_DIRECTORY_COLUMNS = (*DIRECTORY_COLUMNS, "valid_from")
DATED_SELLER_DIRECTORY = [
    *[(*row, "") for row in SELLER_DIRECTORY],
    ("MKT-0001", "Maison Une SARL", "FR", "gold", "Alice Martin", "0.12", "0.2", "2025-02-15"),
    ("MKT-0001", "Maison Une SARL", "FR", "gold", "Eve Durand", "0.14", "0.1", "2025-03-01"),
    (
        "US-SELLER-1",
        "First US Seller Inc.",
        "US",
        "gold",
        "Dan Smith",
        "0.125",
        "0.05",
        "2025-02-01",
    ),
    ("TINY-1", "Tiny SAS", "FR", "bronze", "Alice Martin", "0.1", "0.5", ""),
    ("JP-SELLER-1", "Ichi KK", "JP", "gold", "Ken Sato", "0.1", "0.15", ""),
    ("JP-SELLER-2", "Ni KK", "JP", "silver", "Ken Sato", "0.0725", "0.0333", ""),
]

ZERO_ROW_DAY = (202, date(2025, 2, 15))  # loaded, nothing happened
ZERO_CLICK_KEY = (date(2025, 1, 31), 101, 1001, 5_000_000_001)
ZERO_SALES_KEY = (date(2025, 2, 28), 202, 2001, 7_000_000_001)
# control totals: month -> (window_start, window_end) of the control request
CONTROL_MONTHS = {
    date(2025, 1, 1): (date(2025, 1, 28), date(2025, 1, 31)),
    date(2025, 2, 1): (date(2025, 2, 1), date(2025, 2, 28)),
}
CONTROL_OFF = (date(2025, 2, 1), 101, "sellers", "AnySeller")  # revenue +5.00 in control
CONTROL_OFF_REVENUE = Decimal("5.00")


@dataclass
class Cell:
    """One seller-campaign day: the additive bases, money in micro-units (1e-6, exact)."""

    impressions: int
    clicks: int
    cost: int
    sale_units: dict[str, int] = field(default_factory=dict)
    revenue: dict[str, int] = field(default_factory=dict)


def days() -> list[date]:
    return [FIRST_DAY + timedelta(d) for d in range((LAST_DAY - FIRST_DAY).days + 1)]


def generate(seed: int = 7) -> dict[tuple[date, int, int, int], Cell]:
    """Seller-campaign cells keyed (day, advertiser_id, campaign_id, seller_id)."""
    rng = random.Random(seed)
    cells: dict[tuple[date, int, int, int], Cell] = {}
    for day in days():
        for adv, campaigns in CAMPAIGNS.items():
            if (adv, day) == ZERO_ROW_DAY:
                continue
            for campaign_id in campaigns:
                for seller_id, _ in SELLERS[adv]:
                    if rng.random() < 0.3:
                        continue  # no activity: the API leaves the row out
                    # yen amounts are about a hundred times larger (and still have decimals)
                    scale = 100 if ADVERTISERS[adv]["currency"] == "JPY" else 1
                    impressions = rng.randint(100, 5000)
                    clicks = rng.randint(1, max(1, impressions // 50))
                    # micro-units: six decimals, as the API's 6.465823
                    cost = clicks * rng.randint(50_000, 900_000) * scale + rng.randint(0, 999_999)
                    any_units = rng.randint(0, clicks // 2)
                    same_units = rng.randint(0, any_units)
                    price = rng.randint(5_000_000, 90_000_000) * scale + rng.randint(0, 999_999)
                    any_rev = any_units * price + (rng.randint(0, 999_999) if any_units else 0)
                    same_rev = same_units * price
                    cells[(day, adv, campaign_id, seller_id)] = Cell(
                        impressions,
                        clicks,
                        cost,
                        {"SameSeller": same_units, "AnySeller": any_units},
                        {"SameSeller": same_rev, "AnySeller": any_rev},
                    )
    # a zero-click row that still has attributed sales (cr and roas NULL, cpo and cos 0)
    cells[ZERO_CLICK_KEY] = Cell(
        500,
        0,
        0,
        {"SameSeller": 1, "AnySeller": 2},
        {"SameSeller": 20_000_001, "AnySeller": 40_000_002},
    )
    # a zero-sales row (cpo and cos NULL, cr and roas 0)
    cells[ZERO_SALES_KEY] = Cell(
        2000, 30, 9_000_017, {"SameSeller": 0, "AnySeller": 0}, {"SameSeller": 0, "AnySeller": 0}
    )
    # 0.000004 on each of three days: 0.000012 in the month (0 if anything rounds to 4 decimals)
    adv, seller_id, _ = TINY_SELLER
    for day in TINY_DAYS:
        cells[(day, adv, 1001, seller_id)] = Cell(
            10, 0, TINY_COST, {"SameSeller": 0, "AnySeller": 0}, {"SameSeller": 0, "AnySeller": 0}
        )
    return cells


def seller_names() -> dict[tuple[int, int], str]:
    return {(adv, sid): name for adv in ADVERTISERS for sid, name in listed_sellers(adv)}


# ----------------------------------------------------------------------------------------------
# aggregation (plain Python)


def _add(target: Cell | None, cell: Cell) -> Cell:
    if target is None:
        target = Cell(0, 0, 0, {p: 0 for p in POLICIES}, {p: 0 for p in POLICIES})
    target.impressions += cell.impressions
    target.clicks += cell.clicks
    target.cost += cell.cost
    for p in POLICIES:
        target.sale_units[p] += cell.sale_units[p]
        target.revenue[p] += cell.revenue[p]
    return target


def by_endpoint(cells: dict, endpoint: str) -> dict[tuple, Cell]:
    """Cells keyed per the endpoint's grain: (day, adv, campaign, seller) / (day, adv, seller) /
    (day, adv, campaign)."""
    if endpoint == "seller_campaigns":
        return dict(cells)
    out: dict[tuple, Cell] = {}
    for (day, adv, campaign_id, seller_id), cell in cells.items():
        key = (day, adv, seller_id) if endpoint == "sellers" else (day, adv, campaign_id)
        out[key] = _add(out.get(key), cell)
    return out


# ----------------------------------------------------------------------------------------------
# lake writing (docs/lake.md)

STATS_TYPES = {
    "campaignId": pa.int64(),
    "sellerId": pa.int64(),
    "sellerName": pa.string(),
    "day": pa.date32(),
    "month": pa.date32(),
    "impressions": pa.int64(),
    "clicks": pa.int64(),
    "cost": pa.decimal128(38, 9),
    "saleUnits": pa.int64(),
    "revenue": pa.decimal128(38, 9),
    "cr": pa.float64(),
    "cpo": pa.float64(),
    "cos": pa.float64(),
    "roas": pa.float64(),
    "advertiserId": pa.int64(),
    "endpoint": pa.string(),
    "attribution_policy": pa.string(),
    "interval_size": pa.string(),
    "time_zone": pa.string(),
    "currency": pa.string(),
    "api_version": pa.string(),
    "window_start": pa.date32(),
    "window_end": pa.date32(),
    "extracted_at": pa.timestamp("us", tz="UTC"),
}


def _api_ratio(num, den) -> float | None:
    return None if den == 0 else round(float(num) / float(den), 3)


def _stats_columns(endpoint: str, interval: str) -> list[str]:
    dims = {
        "seller_campaigns": ["campaignId", "sellerId", "sellerName"],
        "sellers": ["sellerId", "sellerName"],
        "campaigns": ["campaignId"],
    }[endpoint]
    return [
        *dims,
        interval,
        "impressions",
        "clicks",
        "cost",
        "saleUnits",
        "revenue",
        "cr",
        "cpo",
        "cos",
        "roas",
        "advertiserId",
        "endpoint",
        "attribution_policy",
        "interval_size",
        "time_zone",
        "currency",
        "api_version",
        "window_start",
        "window_end",
        "extracted_at",
    ]


def _stats_row(endpoint, key, cell, policy, interval_value, adv, window, interval_size):
    names = seller_names()
    row = {}
    if endpoint == "seller_campaigns":
        _, _, campaign_id, seller_id = key
        row.update(campaignId=campaign_id, sellerId=seller_id, sellerName=names[(adv, seller_id)])
    elif endpoint == "sellers":
        seller_id = key[2]
        row.update(sellerId=seller_id, sellerName=names[(adv, seller_id)])
    else:
        row.update(campaignId=key[2])
    cost = _money(cell.cost)
    revenue = _money(cell.revenue[policy])
    units = cell.sale_units[policy]
    row.update(
        {
            ("day" if interval_size == "Day" else "month"): interval_value,
            "impressions": cell.impressions,
            "clicks": cell.clicks,
            "cost": cost,
            "saleUnits": units,
            "revenue": revenue,
            "cr": _api_ratio(units, cell.clicks),
            "cpo": _api_ratio(cost, units),
            "cos": _api_ratio(cost, revenue),
            "roas": _api_ratio(revenue, cost),
            "advertiserId": adv,
            "endpoint": endpoint,
            "attribution_policy": policy,
            "interval_size": interval_size,
            "time_zone": ADVERTISERS[adv]["time_zone"],
            "currency": ADVERTISERS[adv]["currency"],
            "api_version": "2026-07",
            "window_start": window[0],
            "window_end": window[1],
            "extracted_at": EXTRACTED_AT,
        }
    )
    return row


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([(c, STATS_TYPES[c]) for c in columns])
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.rename(path)


def write_stats_day(lake: Path, cells: dict, day: date, adv: int) -> None:
    """(Re)write the six files of one advertiser and day (zero rows when nothing happened)."""
    window = (FIRST_DAY, LAST_DAY)
    for endpoint in ENDPOINTS:
        grain = by_endpoint(
            {k: v for k, v in cells.items() if k[0] == day and k[1] == adv}, endpoint
        )
        for policy in POLICIES:
            rows = [
                _stats_row(endpoint, key, cell, policy, day, adv, window, "Day")
                for key, cell in sorted(grain.items())
            ]
            path = (
                lake
                / "stats"
                / f"endpoint={endpoint}"
                / f"policy={policy}"
                / f"report_date={day.isoformat()}"
                / f"advertiser_id={adv}.parquet"
            )
            _write(path, _stats_columns(endpoint, "day"), rows)


def write_control(lake: Path, cells: dict) -> None:
    for month, window in CONTROL_MONTHS.items():
        for adv in ADVERTISERS:
            in_window = {
                k: v for k, v in cells.items() if k[1] == adv and window[0] <= k[0] <= window[1]
            }
            for endpoint in ENDPOINTS:
                monthly: dict[tuple, Cell] = {}
                for key, cell in by_endpoint(in_window, endpoint).items():
                    mkey = (month, *key[1:])
                    monthly[mkey] = _add(monthly.get(mkey), cell)
                for policy in POLICIES:
                    rows = [
                        _stats_row(endpoint, key, cell, policy, month, adv, window, "Month")
                        for key, cell in sorted(monthly.items())
                    ]
                    if (month, adv, endpoint, policy) == CONTROL_OFF and rows:
                        rows[0]["revenue"] += CONTROL_OFF_REVENUE
                    path = (
                        lake
                        / "control"
                        / "interval=month"
                        / f"endpoint={endpoint}"
                        / f"policy={policy}"
                        / f"month={month:%Y-%m}"
                        / f"advertiser_id={adv}.parquet"
                    )
                    _write(path, _stats_columns(endpoint, "month"), rows)


SNAPSHOTS = (date(2025, 3, 1), date(2025, 3, 4))
SUSPENDED_IN_LATEST = (101, 5_000_000_003)  # GHOST-9: all its seller-campaigns suspended later
RENAMED_CAMPAIGN = (101, 1002, "EU Sales (renamed)")


def write_metadata(lake: Path) -> None:
    base = {"api_version": "2026-07", "extracted_at": EXTRACTED_AT}
    ts = pa.timestamp("us", tz="UTC")
    for snapshot in SNAPSHOTS:
        latest = snapshot == SNAPSHOTS[-1]
        advertisers = [
            {
                "id": adv,
                "advertiserName": a["name"],
                "currencyName": a["currency"],
                "timeZoneId": a["time_zone"],
                "advertiserId": adv,
                **base,
            }
            for adv, a in ADVERTISERS.items()
        ]
        campaigns = []
        for adv, names in CAMPAIGNS.items():
            for cid, original_name in names.items():
                renamed = latest and (adv, cid) == RENAMED_CAMPAIGN[:2]
                name = RENAMED_CAMPAIGN[2] if renamed else original_name
                status = 1 if (adv, cid) == (101, 1002) else 0
                campaigns.append(
                    {
                        "id": cid,
                        "campaignName": name,
                        "adSetDeliveryStatus": "Archived" if status == 1 else "Running",
                        "status": status,
                        "advertiserId": adv,
                        **base,
                    }
                )
        sellers = [
            {"id": sid, "sellerName": name, "advertiserId": adv, **base}
            for adv in ADVERTISERS
            for sid, name in listed_sellers(adv)
        ]
        seller_campaigns = []
        for adv in ADVERTISERS:
            for sid, _ in listed_sellers(adv):
                for cid in CAMPAIGNS[adv]:
                    suspended = latest and (adv, sid) == SUSPENDED_IN_LATEST
                    seller_campaigns.append(
                        {
                            "id": f"{sid}.{cid}",
                            "sellerId": sid,
                            "campaignId": cid,
                            # the metadata-only seller has no CPC: not active
                            "bid": None if sid == 5_000_000_004 else 0.25,
                            "suspendedSince": EXTRACTED_AT if suspended else None,
                            "suspensionReasons": ["ManuallyStopped"] if suspended else None,
                            "advertiserId": adv,
                            **base,
                        }
                    )
        common = [("advertiserId", pa.int64()), ("api_version", pa.string()), ("extracted_at", ts)]
        tables = {
            "advertisers": (
                advertisers,
                [
                    ("id", pa.int64()),
                    ("advertiserName", pa.string()),
                    ("currencyName", pa.string()),
                    ("timeZoneId", pa.string()),
                ],
            ),
            "campaigns": (
                campaigns,
                [
                    ("id", pa.int64()),
                    ("campaignName", pa.string()),
                    ("adSetDeliveryStatus", pa.string()),
                    ("status", pa.int64()),
                ],
            ),
            "sellers": (sellers, [("id", pa.int64()), ("sellerName", pa.string())]),
            "seller_campaigns": (
                seller_campaigns,
                [
                    ("id", pa.string()),
                    ("sellerId", pa.int64()),
                    ("campaignId", pa.int64()),
                    ("bid", pa.float64()),
                    ("suspendedSince", ts),
                    ("suspensionReasons", pa.list_(pa.string())),
                ],
            ),
        }
        for entity, (rows, columns) in tables.items():
            schema = pa.schema(columns + common)
            path = (
                lake
                / "metadata"
                / f"entity={entity}"
                / f"snapshot_date={snapshot}"
                / "part.parquet"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def write_lake(lake: Path, cells: dict) -> None:
    for day in days():
        for adv in ADVERTISERS:
            write_stats_day(lake, cells, day, adv)
    write_control(lake, cells)
    write_metadata(lake)


def write_directory_csv(
    path: Path, rows=DATED_SELLER_DIRECTORY, columns=DATED_DIRECTORY_COLUMNS
) -> Path:
    """The directory as CSV: by default the dated one (valid_from) of the marts tests."""
    lines = [",".join(columns)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_directory_parquet(path: Path, rows=SELLER_DIRECTORY) -> Path:
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(DIRECTORY_COLUMNS)})
    # rates as real numbers, as a marketplace export would have them
    table = table.set_column(5, "commission_rate", pa.array([float(r[5]) for r in rows]))
    table = table.set_column(6, "ad_fee_rate", pa.array([float(r[6]) for r in rows]))
    pq.write_table(table, path)
    return path


# ----------------------------------------------------------------------------------------------
# expected marts


def _money(micros: int) -> Decimal:
    """Micro-units as the exact amount (6 decimals)."""
    return Decimal(micros) * MICRO


def round_half_away(value: Decimal, digits: int) -> Decimal:
    """Rounded half away from zero to ``digits`` decimals (Python's ROUND_HALF_UP is exactly
    that: 0.125 -> 0.13, -0.125 -> -0.13, 2.5 -> 3)."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _ratio(num, den) -> float | None:
    return None if den == 0 else float(num) / float(den)


def _ratios(cell: Cell, policy: str, suffix: str) -> dict:
    cost, rev, units = _money(cell.cost), _money(cell.revenue[policy]), cell.sale_units[policy]
    return {
        f"sale_units_{suffix}": units,
        f"revenue_{suffix}": rev,
        f"cr_{suffix}": _ratio(units, cell.clicks),
        f"cpo_{suffix}": _ratio(cost, units),
        f"cos_{suffix}": _ratio(cost, rev),
        f"roas_{suffix}": _ratio(rev, cost),
    }


def expected_daily(cells: dict, endpoint: str) -> dict[tuple, dict]:
    names = seller_names()
    out = {}
    for key, cell in by_endpoint(cells, endpoint).items():
        adv = key[1]
        row = {
            "currency": ADVERTISERS[adv]["currency"],
            "impressions": cell.impressions,
            "clicks": cell.clicks,
            "cost": _money(cell.cost),
            **_ratios(cell, "SameSeller", "same_seller"),
            **_ratios(cell, "AnySeller", "any_seller"),
        }
        if endpoint != "campaigns":
            row["seller_name"] = names[(adv, key[-1])]
        out[key] = row
    return out


@dataclass(frozen=True)
class Rates:
    """One dated directory row."""

    valid_from: date | None
    commission_rate: Decimal
    ad_fee_rate: Decimal
    row: dict


def directory_history(rows=DATED_SELLER_DIRECTORY) -> dict[str, list[Rates]]:
    """seller_name -> its directory rows, oldest first (no valid_from = since ever)."""
    out: dict[str, list[Rates]] = {}
    for r in rows:
        row = dict(zip(DATED_DIRECTORY_COLUMNS, r, strict=True))
        start = date.fromisoformat(row["valid_from"]) if row["valid_from"] else None
        rates = Rates(start, Decimal(row["commission_rate"]), Decimal(row["ad_fee_rate"]), row)
        out.setdefault(row["seller_name"], []).append(rates)
    for versions in out.values():
        versions.sort(key=lambda v: (v.valid_from is not None, v.valid_from))
    return out


def rates_on(name: str, day: date) -> Rates | None:
    """The directory row of ``name`` valid on ``day`` (the latest one started by then)."""
    valid = [
        v for v in directory_history().get(name, []) if v.valid_from is None or v.valid_from <= day
    ]
    return valid[-1] if valid else None


def expected_dim_sellers(cells: dict, today: date | None = None) -> dict[tuple, dict]:
    """dim_sellers with today's rates: the directory row valid on ``today``."""
    today = today or date.today()
    names = seller_names()
    seen = {(k[1], k[3]) for k in cells}
    known = {(adv, sid) for adv, sid in names}
    history = directory_history()
    out = {}
    for adv, sid in seen | known:
        name = names[(adv, sid)]
        current = rates_on(name, today)
        described = current or (history[name][0] if name in history else None)
        active = (adv, sid) != SUSPENDED_IN_LATEST and sid != 5_000_000_004
        out[(adv, sid)] = {
            "seller_name": name,
            "is_active": active,
            "is_in_seller_directory": name in history,
            "seller_legal_name": described.row["seller_legal_name"] if described else None,
            "country": described.row["country"] if described else None,
            "commission_rate": current.commission_rate if current else Decimal(0),
            "ad_fee_rate": current.ad_fee_rate if current else Decimal(0),
            "rates_valid_from": current.valid_from if current else None,
        }
    return out


def expected_rates_history() -> dict[tuple, dict]:
    """dim_seller_rates_history keyed (seller_name, valid_from), with valid_to."""
    out = {}
    for name, versions in directory_history().items():
        for version, following in zip(versions, [*versions[1:], None], strict=True):
            out[(name, version.valid_from)] = {
                "valid_to": following.valid_from if following else None,
                "commission_rate": version.commission_rate,
                "ad_fee_rate": version.ad_fee_rate,
                "seller_legal_name": version.row["seller_legal_name"],
                "account_manager": version.row["account_manager"],
            }
    return out


def expected_dim_campaigns() -> dict[tuple, dict]:
    out = {}
    for adv, names in CAMPAIGNS.items():
        for cid, name in names.items():
            out[(adv, cid)] = {
                "campaign_name": RENAMED_CAMPAIGN[2]
                if (adv, cid) == RENAMED_CAMPAIGN[:2]
                else name,
                "status": "Archived" if (adv, cid) == (101, 1002) else "Running",
                "currency": ADVERTISERS[adv]["currency"],
            }
    return out


def _month_days(month: date) -> list[date]:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [month + timedelta(d) for d in range((following - month).days)]


def month_rate(name: str, month: date, rate: str) -> Decimal | None:
    """The rate (``ad_fee_rate`` / ``commission_rate``) held on every calendar day of the month,
    or None when it changed (a day without a directory row counts as 0)."""
    values = set()
    for day in _month_days(month):
        version = rates_on(name, day)
        values.add(getattr(version, rate) if version else Decimal(0))
    return values.pop() if len(values) == 1 else None


def exact_billing(cells: dict) -> tuple[dict, dict]:
    """(ad billing, commission) per (month, advertiser_id, seller_id) before any rounding: the sum
    over the days of cost * (1 + ad_fee_rate) and SameSeller revenue * commission_rate, each day at
    the directory row valid that day (rates 0 without one)."""
    names = seller_names()
    billing: dict[tuple, Decimal] = {}
    commission: dict[tuple, Decimal] = {}
    for (day, adv, _cid, sid), cell in cells.items():
        key = (day.replace(day=1), adv, sid)
        version = rates_on(names[(adv, sid)], day)
        fee = version.ad_fee_rate if version else Decimal(0)
        rate = version.commission_rate if version else Decimal(0)
        billing[key] = billing.get(key, Decimal(0)) + _money(cell.cost) * (1 + fee)
        revenue = _money(cell.revenue["SameSeller"])
        commission[key] = commission.get(key, Decimal(0)) + revenue * rate
    return billing, commission


def expected_monthly(cells: dict) -> tuple[dict, dict]:
    """(statement rows, P&L rows) keyed (month, advertiser_id, seller_id).

    Day by day: the day's cost (and SameSeller revenue) times the rates valid that day, summed
    exactly over the month, then rounded once, half away from zero, to the currency's minor unit.
    """
    sellers = expected_dim_sellers(cells)
    monthly: dict[tuple, Cell] = {}
    for (day, adv, _cid, sid), cell in cells.items():
        key = (day.replace(day=1), adv, sid)
        monthly[key] = _add(monthly.get(key), cell)
    billing_exact, commission_exact = exact_billing(cells)
    statement, pnl = {}, {}
    for key, cell in monthly.items():
        month, adv, sid = key
        seller = sellers[(adv, sid)]
        currency = ADVERTISERS[adv]["currency"]
        digits = MINOR_UNITS[currency]
        media_cost = _money(cell.cost)
        billing = round_half_away(billing_exact[key], digits)
        rev_same = _money(cell.revenue["SameSeller"])
        commission = round_half_away(commission_exact[key], digits)
        margin = round_half_away(billing - media_cost, digits)
        fee_rate = month_rate(seller["seller_name"], month, "ad_fee_rate")
        commission_rate = month_rate(seller["seller_name"], month, "commission_rate")
        base = {
            "seller_name": seller["seller_name"],
            "currency": currency,
            "currency_minor_unit": digits,
            "is_in_seller_directory": seller["is_in_seller_directory"],
        }
        statement[key] = {
            **base,
            "impressions": cell.impressions,
            "clicks": cell.clicks,
            "media_cost": media_cost,
            "ad_fee_rate": fee_rate,
            "ad_fee_rate_changed_in_month": fee_rate is None,
            "ad_billing_amount": billing,
            **_ratios(cell, "SameSeller", "same_seller"),
            **_ratios(cell, "AnySeller", "any_seller"),
        }
        pnl[key] = {
            **base,
            "media_cost": media_cost,
            "ad_fee_rate": fee_rate,
            "ad_fee_rate_changed_in_month": fee_rate is None,
            "ad_billing_amount": billing,
            "ad_margin": margin,
            "revenue_same_seller": rev_same,
            "revenue_any_seller": _money(cell.revenue["AnySeller"]),
            "commission_rate": commission_rate,
            "commission_rate_changed_in_month": commission_rate is None,
            "commission_amount": commission,
            "contribution_margin": margin + commission,
            "roas_same_seller": _ratio(rev_same, media_cost),
            "roas_any_seller": _ratio(_money(cell.revenue["AnySeller"]), media_cost),
        }
    return statement, pnl


def expected_reconciliation(cells: dict) -> dict[tuple, dict]:
    out = {}
    for month, window in CONTROL_MONTHS.items():
        for adv in ADVERTISERS:
            for endpoint in ENDPOINTS:
                for policy in POLICIES:
                    total = None
                    for k, cell in cells.items():
                        if k[1] == adv and window[0] <= k[0] <= window[1]:
                            total = _add(total, cell)
                    revenue_control = _money(total.revenue[policy])
                    if (month, adv, endpoint, policy) == CONTROL_OFF:
                        revenue_control += CONTROL_OFF_REVENUE
                    out[(month, adv, endpoint, policy)] = {
                        "impressions_daily": total.impressions,
                        "impressions_control": total.impressions,
                        "cost_daily": _money(total.cost),
                        "cost_control": _money(total.cost),
                        "sale_units_daily": total.sale_units[policy],
                        "revenue_daily": _money(total.revenue[policy]),
                        "revenue_control": revenue_control,
                        "is_reconciled": (month, adv, endpoint, policy) != CONTROL_OFF,
                        "compared_from": max(month, window[0]),
                        "compared_to": window[1],
                    }
    return out


def restate(cells: dict, changed_days: list[date], emptied: tuple[int, date], seed: int = 99):
    """A re-load: different sales on some days, and one day that became empty."""
    rng = random.Random(seed)
    new = {}
    for key, original in cells.items():
        if (key[1], key[0]) == emptied:
            continue
        cell = original
        if key[0] in changed_days:
            extra = rng.randint(1, 3)
            cell = Cell(
                cell.impressions,
                cell.clicks,
                cell.cost,
                {
                    "SameSeller": cell.sale_units["SameSeller"] + 1,
                    "AnySeller": cell.sale_units["AnySeller"] + extra,
                },
                {
                    "SameSeller": cell.revenue["SameSeller"] + 12_345_678,
                    "AnySeller": cell.revenue["AnySeller"] + 12_345_678 + 7_770_001 * extra,
                },
            )
        new[key] = cell
    return new
