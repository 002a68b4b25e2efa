"""Data-quality checks over a window of the lake, in an in-memory DuckDB (plain Python).

Each check returns the offending rows (empty = pass), so the Dagster asset checks, the CLI and
tests share one implementation. They read Parquet only and never open the warehouse file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from mpo_pipeline.core.object_store import LakePath
from mpo_pipeline.ingest.lake import ENDPOINTS, connect, parquet_rows, stats_path


@dataclass
class CheckResult:
    """Outcome of one check: ``failures`` are the offending rows as dicts (capped)."""

    name: str
    passed: bool
    failures: list[dict] = field(default_factory=list)
    failure_count: int = 0
    description: str = ""


def _glob(lake: LakePath, endpoint: str, policy: str = "*") -> str:
    return str(lake / "stats" / f"endpoint={endpoint}" / f"policy={policy}" / "*" / "*.parquet")


def _has_files(lake: LakePath, endpoint: str, policy: str = "*") -> bool:
    base = lake / "stats" / f"endpoint={endpoint}"
    pattern = f"policy={policy}/report_date=*/*.parquet"
    return any(base.glob(pattern))


def _relation(
    con: duckdb.DuckDBPyConnection, lake: LakePath, endpoint: str, start: date, end: date
):
    # report_date comes from the directory (hive); the filter prunes whole directories.
    return (
        f"(select * from read_parquet('{_glob(lake, endpoint)}', hive_partitioning = true, "
        f"union_by_name = true, hive_types = {{'report_date': date}}) "
        f"where report_date between date '{start}' and date '{end}')"
    )


def _run(con, name: str, sql: str, description: str, limit: int = 20) -> CheckResult:
    rows = con.execute(sql).fetchall()
    cols = [d[0] for d in con.description]
    failures = [dict(zip(cols, r, strict=True)) for r in rows[:limit]]
    for failure in failures:
        for key, value in failure.items():
            if isinstance(value, date):
                failure[key] = value.isoformat()
            elif value is not None and not isinstance(value, int | float | str | bool):
                failure[key] = str(value)
    return CheckResult(name, not rows, failures, len(rows), description)


# How finely the API rounds money is not documented (our simulator writes six decimals, the
# reference's examples show exponent notation and integer-looking revenue), so it is estimated from
# the values themselves, with one floor: no money API rounds coarser than the cent. A value
# written with fewer decimals (``12.5``, ``190``: prices in whole units) was not rounded coarser,
# so it must not widen a tolerance (``191`` against ``190`` is a whole unit apart, not within half
# a unit of each). An API that rounds at the cent still passes.
MIN_MONEY_DECIMALS = 2


def _decimals_sql(expr: str) -> str:
    """SQL: the decimal a money value was rounded at, as written (trailing zeros aside), at least
    the cent; up to the ninth for a small value written with significant digits (``8.308E-6``)."""
    whens = " ".join(
        f"when {expr} = round({expr}, {d}) then {d}" for d in range(MIN_MONEY_DECIMALS, 9)
    )
    return f"(case {whens} else 9 end)"


def _rounding_tolerance_sql(expr: str) -> str:
    """SQL aggregate: how far the sum of ``expr`` may be off when each row was rounded alone.

    Rows × half a unit of the decimal the API rounded at. The precision is the most decimals of
    any value of at least 0.001: smaller values may be written with more significant digits
    (``8.308E-6``), which makes them closer to the truth, not further.
    """
    decimals = _decimals_sql(expr)
    precision = f"coalesce(max({decimals}) filter (where abs({expr}) >= 0.001), max({decimals}), 0)"
    return f"(count({expr}) * 0.5 / pow(10, {precision}))"


def endpoints_agree(lake: LakePath, policy: str, start: date, end: date) -> CheckResult:
    """Seller-campaigns, sellers and campaigns totals agree per day and advertiser.

    Counts must be equal. Cost may differ by what the API's per-row rounding explains and no
    more: each endpoint's rows × half a unit of their last decimal, added for the two endpoints
    compared (so a missing row worth a cent fails).
    """
    con = connect(lake)
    if not all(_has_files(lake, e, policy) for e in ENDPOINTS):
        return CheckResult("endpoints_agree", True, description="not all endpoints loaded yet")
    parts = []
    for endpoint in ENDPOINTS:
        parts.append(
            f"select '{endpoint}' as endpoint, report_date, advertiserId, "
            f"sum(impressions)::bigint as impressions, sum(clicks)::bigint as clicks, "
            f"sum(cost::decimal(38, 9)) as cost, "
            f"{_rounding_tolerance_sql('cost::decimal(38, 9)')} as tolerance "
            f"from {_relation(con, lake, endpoint, start, end)} "
            f"where attribution_policy = '{policy}' group by all"
        )
    sql = f"""
        with totals as ({" union all ".join(parts)}),
        reference as (select * from totals where endpoint = 'seller_campaigns')
        select totals.report_date, totals.advertiserId,
               list(totals.endpoint || ': impressions=' || totals.impressions
                    || ' clicks=' || totals.clicks || ' cost=' || totals.cost
                    || ' (±' || round(totals.tolerance, 9) || ')' order by totals.endpoint)
                   as totals
        from totals
        left join reference using (report_date, advertiserId)
        group by totals.report_date, totals.advertiserId
        having count(*) <> 3
            or bool_or(totals.impressions is distinct from reference.impressions
                       or totals.clicks is distinct from reference.clicks
                       or abs(totals.cost - reference.cost)
                          > totals.tolerance + reference.tolerance
                       or reference.cost is null)
        order by 1, 2
    """
    return _run(
        con,
        "endpoints_agree",
        sql,
        f"sellers = campaigns = seller-campaigns ({policy}), money within per-row rounding",
    )


def _pair_sql(lake: LakePath, endpoint: str, start: date, end: date, con) -> str:
    keys = {
        "sellers": "sellerId",
        "campaigns": "campaignId",
        "seller_campaigns": "campaignId, sellerId",
    }[endpoint]
    rel = _relation(con, lake, endpoint, start, end)
    return f"""
        with s as (select * from {rel} where attribution_policy = 'SameSeller'),
             a as (select * from {rel} where attribution_policy = 'AnySeller')
        select coalesce(s.report_date, a.report_date) as report_date,
               coalesce(s.advertiserId, a.advertiserId) as advertiserId,
               {", ".join(f"coalesce(s.{k}, a.{k}) as {k}" for k in keys.split(", "))},
               s.impressions as impressions_same, a.impressions as impressions_any,
               s.clicks as clicks_same, a.clicks as clicks_any,
               s.cost::decimal(38, 9) as cost_same, a.cost::decimal(38, 9) as cost_any,
               s.saleUnits as sale_units_same, a.saleUnits as sale_units_any,
               s.revenue as revenue_same, a.revenue as revenue_any
        from s full outer join a using (report_date, advertiserId, {keys})
    """


def policies_agree(lake: LakePath, endpoint: str, start: date, end: date) -> CheckResult:
    """Impressions, clicks and cost do not depend on the attribution policy."""
    con = connect(lake)
    if not (_has_files(lake, endpoint, "SameSeller") and _has_files(lake, endpoint, "AnySeller")):
        return CheckResult("policies_agree", True, description="one policy not loaded")
    sql = f"""
        select * from ({_pair_sql(lake, endpoint, start, end, con)})
        where impressions_same is distinct from impressions_any
           or clicks_same is distinct from clicks_any
           or (cost_same is null) <> (cost_any is null)
           -- each policy's row may be off by half a unit of its own last decimal
           or abs(cost_same - cost_any) > 0.5 / pow(10, {_decimals_sql("cost_same")})
                                        + 0.5 / pow(10, {_decimals_sql("cost_any")})
        order by all
    """
    return _run(con, "policies_agree", sql, f"{endpoint}: impressions/clicks/cost per policy")


def same_seller_within_any_seller(
    lake: LakePath, endpoint: str, start: date, end: date
) -> CheckResult:
    """SameSeller sale units and revenue never exceed AnySeller's."""
    con = connect(lake)
    if not (_has_files(lake, endpoint, "SameSeller") and _has_files(lake, endpoint, "AnySeller")):
        return CheckResult("same_seller_within_any_seller", True, description="one policy missing")
    sql = f"""
        select * from ({_pair_sql(lake, endpoint, start, end, con)})
        where sale_units_same > sale_units_any
           or revenue_same::decimal(38, 9) > revenue_any::decimal(38, 9)
                + 0.5 / pow(10, {_decimals_sql("revenue_same::decimal(38, 9)")})
                + 0.5 / pow(10, {_decimals_sql("revenue_any::decimal(38, 9)")})
        order by all
    """
    return _run(con, "same_seller_within_any_seller", sql, f"{endpoint}: SameSeller ≤ AnySeller")


def rows_in_window(
    lake: LakePath, endpoint: str, policy: str, start: date, end: date
) -> CheckResult:
    """Every row's day equals its file's day and lies inside its request window."""
    con = connect(lake)
    if not _has_files(lake, endpoint, policy):
        return CheckResult("rows_in_window", True, description="nothing loaded")
    sql = f"""
        select report_date, advertiserId, day, window_start, window_end, count(*) as rows
        from {_relation(con, lake, endpoint, start, end)}
        where attribution_policy = '{policy}'
          and (day <> report_date or day not between window_start and window_end)
        group by all order by all
    """
    return _run(con, "rows_in_window", sql, "rows dated outside their day or request window")


def single_currency(
    lake: LakePath, endpoint: str, policy: str, start: date, end: date
) -> CheckResult:
    """One currency per advertiser and day.

    Per day, not per window: an advertiser's currency may change (the API then shows the new one,
    and days loaded before and after the change carry different currencies; the warehouse keeps
    each day's and never adds two together). Rows of one day in two currencies could not be split
    by anything downstream.
    """
    con = connect(lake)
    if not _has_files(lake, endpoint, policy):
        return CheckResult("single_currency", True, description="nothing loaded")
    sql = f"""
        select report_date, advertiserId, list(distinct currency order by currency) as currencies
        from {_relation(con, lake, endpoint, start, end)}
        where attribution_policy = '{policy}'
        group by report_date, advertiserId having count(distinct currency) > 1
        order by all
    """
    return _run(con, "single_currency", sql, "currency is single-valued per advertiser and day")


def missing_days(
    lake: LakePath, endpoint: str, policy: str, advertiser_ids: list[int], days: list[date]
) -> CheckResult:
    """Days of the window that have no file (never loaded) for an advertiser."""
    missing = [
        {"advertiserId": a, "report_date": d.isoformat()}
        for a in advertiser_ids
        for d in days
        if not stats_path(lake, endpoint, policy, d, a).exists()
    ]
    return CheckResult("all_days_loaded", not missing, missing[:20], len(missing), "files present")


def empty_days(
    lake: LakePath, endpoint: str, policy: str, advertiser_ids: list[int], days: list[date]
) -> list[dict]:
    """Days (per advertiser) that were loaded but returned zero rows (marker files)."""
    empty = []
    for advertiser in advertiser_ids:
        for day in days:
            path = stats_path(lake, endpoint, policy, day, advertiser)
            if path.exists() and parquet_rows(path) == 0:
                empty.append({"advertiserId": advertiser, "report_date": day.isoformat()})
    return empty
