"""The columns the seller portal API expects of the two rolling-window marts it serves.

``marts.rpt_seller_performance_rolling`` (grain: as_of_date, window_days, advertiser_id,
seller_id) and ``marts.rpt_seller_campaign_performance_rolling`` (the same plus campaign_id), as
built by dbt (``dbt_project/models/marts``) and published. The API returns a row's columns by
name, so a column added to a mart is served as is; this list is what the OpenAPI document
describes and what the tests and the benchmark build their snapshots with.
"""

from __future__ import annotations

MONEY = "decimal(38, 9)"

KEYS: tuple[tuple[str, str], ...] = (
    ("as_of_date", "date"),
    ("window_days", "integer"),
    ("advertiser_id", "bigint"),
    ("seller_id", "bigint"),
)
CAMPAIGN_KEY = ("campaign_id", "bigint")
DESCRIPTIVE: tuple[tuple[str, str], ...] = (
    ("seller_name", "varchar"),
    ("currency", "varchar"),
    ("window_start", "date"),
    ("window_end", "date"),
    ("days_loaded", "integer"),
    ("is_complete", "boolean"),
    ("previous_window_start", "date"),
    ("previous_window_end", "date"),
    ("previous_days_loaded", "integer"),
    ("previous_is_complete", "boolean"),
)
ADDITIVE: tuple[tuple[str, str], ...] = (
    ("impressions", "bigint"),
    ("clicks", "bigint"),
    ("sale_units_same_seller", "bigint"),
    ("sale_units_any_seller", "bigint"),
    ("cost", MONEY),
    ("revenue_same_seller", MONEY),
    ("revenue_any_seller", MONEY),
)
RATIOS: tuple[tuple[str, str], ...] = (
    ("ctr", "double"),
    ("cpc", "double"),
    ("roas_same_seller", "double"),
    ("roas_any_seller", "double"),
)
KPIS: tuple[tuple[str, str], ...] = (
    ("gmv", MONEY),
    ("orders", "bigint"),
    ("ad_revenue_share_of_gmv", "double"),
    ("monthly_ad_spend_cap", MONEY),
    ("cap_used", MONEY),
    ("cap_remaining", MONEY),
    ("cap_reached_on", "date"),
)


def _measures() -> tuple[tuple[str, str], ...]:
    previous = tuple((f"previous_{name}", kind) for name, kind in ADDITIVE)
    change = tuple((f"{name}_change", kind) for name, kind in ADDITIVE)
    return ADDITIVE + RATIOS + previous + change


PERFORMANCE_COLUMNS: tuple[tuple[str, str], ...] = KEYS + DESCRIPTIVE + _measures() + KPIS
CAMPAIGN_COLUMNS: tuple[tuple[str, str], ...] = (*KEYS, CAMPAIGN_KEY, *DESCRIPTIVE, *_measures())
# Never null: the grain and what every row has. The other columns may be null (no previous
# window, no KPI file, a ratio over a zero denominator).
NOT_NULL = frozenset(name for name, _ in (*KEYS, CAMPAIGN_KEY, *DESCRIPTIVE, *ADDITIVE))


def create_table_sql(relation: str, columns: tuple[tuple[str, str], ...]) -> str:
    """``create table`` of a mart with the contract's columns (tests and benchmark)."""
    body = ",\n    ".join(f"{name} {kind}" for name, kind in columns)
    return f"create table {relation} (\n    {body}\n)"
