"""One real `dbt build` over the synthetic lake; every mart row checked against plain Python.

The warehouse is built once per module (the assertions only read it). Money is exact: the lake's
decimal128(38, 9) amounts (six decimals, some of 0.000004) must reach the facts and the statement
unrounded, and only billed amounts are rounded, once, to the currency's minor unit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import synthetic_lake as lake
from dbt_harness import DbtEnv, assert_rows_match

FACT_KEYS = {
    "seller_campaigns": ["report_date", "advertiser_id", "campaign_id", "seller_id"],
    "sellers": ["report_date", "advertiser_id", "seller_id"],
    "campaigns": ["report_date", "advertiser_id", "campaign_id"],
}
FACTS = {
    "seller_campaigns": "marts.fct_seller_campaign_stats_daily",
    "sellers": "marts.fct_seller_stats_daily",
    "campaigns": "marts.fct_campaign_stats_daily",
}


@pytest.fixture(scope="module")
def cells():
    return lake.generate()


@pytest.fixture(scope="module")
def built(tmp_path_factory, cells) -> DbtEnv:
    root = tmp_path_factory.mktemp("dbt_marts")
    lake.write_lake(root / "lake", cells)
    env = DbtEnv(root, root / "lake", lake.write_directory_csv(root / "sellers.csv"))
    result = env.run("build")
    env.build_output = result.output
    return env


@pytest.mark.parametrize("endpoint", list(FACTS))
def test_daily_facts_match_python(built, cells, endpoint):
    actual = built.table(FACTS[endpoint], FACT_KEYS[endpoint])
    assert_rows_match(FACTS[endpoint], actual, lake.expected_daily(cells, endpoint))


def test_daily_fact_types_follow_the_contract(built):
    types = {
        r["column_name"]: r["data_type"]
        for r in built.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_seller_campaign_stats_daily'"
        )
    }
    for column in (
        "advertiser_id",
        "campaign_id",
        "seller_id",
        "impressions",
        "clicks",
        "sale_units_same_seller",
        "sale_units_any_seller",
    ):
        assert types[column] == "BIGINT", column
    for column in ("cost", "revenue_same_seller", "revenue_any_seller"):
        assert types[column] == "DECIMAL(38,9)", column
    assert types["seller_name"] == "VARCHAR"
    assert types["report_date"] == "DATE"
    # the API's rounded ratios never reach the facts
    assert not {"cr", "cpo", "cos", "roas", "api_cr"} & set(types)


def test_edge_rows_zero_clicks_and_zero_sales(built):
    day, adv, campaign, seller = lake.ZERO_CLICK_KEY
    [row] = built.query(
        f"select * from marts.fct_seller_campaign_stats_daily where report_date = '{day}' "
        f"and advertiser_id = {adv} and campaign_id = {campaign} and seller_id = {seller}"
    )
    assert row["clicks"] == 0 and row["cost"] == 0
    assert row["cr_any_seller"] is None and row["roas_any_seller"] is None
    assert row["cpo_any_seller"] == 0 and row["cos_any_seller"] == 0
    day, adv, campaign, seller = lake.ZERO_SALES_KEY
    [row] = built.query(
        f"select * from marts.fct_seller_campaign_stats_daily where report_date = '{day}' "
        f"and advertiser_id = {adv} and seller_id = {seller}"
    )
    assert row["sale_units_same_seller"] == 0 and row["revenue_any_seller"] == 0
    assert row["cpo_same_seller"] is None and row["cos_same_seller"] is None
    assert row["cr_same_seller"] == 0 and row["roas_same_seller"] == 0


def test_zero_row_marker_day_has_no_rows(built):
    adv, day = lake.ZERO_ROW_DAY
    for relation in FACTS.values():
        rows = built.query(
            f"select count(*) as n from {relation} "
            f"where advertiser_id = {adv} and report_date = '{day}'"
        )
        assert rows[0]["n"] == 0


def test_dim_sellers(built, cells):
    actual = built.table("marts.dim_sellers", ["advertiser_id", "seller_id"])
    assert_rows_match("marts.dim_sellers", actual, lake.expected_dim_sellers(cells))
    # today's rates: MKT-0001's latest row (from 2025-03-01), not its first
    mkt = actual[(101, 5_000_000_001)]
    assert (mkt["ad_fee_rate"], mkt["rates_valid_from"]) == (Decimal("0.1"), date(2025, 3, 1))
    # the all-digit name keeps its leading zero and finds its directory row
    numeric = actual[(101, 5_000_000_002)]
    assert numeric["seller_name"] == "0042017" and numeric["is_in_seller_directory"]
    ghost = actual[(101, 5_000_000_003)]
    assert not ghost["is_in_seller_directory"] and ghost["commission_rate"] == 0


def test_dim_campaigns(built):
    actual = built.table("marts.dim_campaigns", ["advertiser_id", "campaign_id"])
    assert_rows_match("marts.dim_campaigns", actual, lake.expected_dim_campaigns())


def test_rates_history(built):
    actual = built.table("marts.dim_seller_rates_history", ["seller_name", "valid_from"])
    assert_rows_match("marts.dim_seller_rates_history", actual, lake.expected_rates_history())


def test_monthly_statement_and_pnl(built, cells):
    statement, pnl = lake.expected_monthly(cells)
    keys = ["month", "advertiser_id", "seller_id"]
    actual = built.table("marts.fct_seller_monthly_statement", keys)
    assert_rows_match("marts.fct_seller_monthly_statement", actual, statement)
    actual = built.table("marts.fct_marketplace_pnl_monthly", keys)
    assert_rows_match("marts.fct_marketplace_pnl_monthly", actual, pnl)
    # three months (the range crosses two month ends), three currencies, never mixed
    months = {k[0] for k in actual}
    assert months == {date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)}
    by_adv = {(k[1], v["currency"]) for k, v in actual.items()}
    assert by_adv == {(101, "EUR"), (202, "USD"), (303, "JPY")}


def test_statement_and_pnl_types(built):
    for relation in ("fct_seller_monthly_statement", "fct_marketplace_pnl_monthly"):
        types = {
            r["column_name"]: r["data_type"]
            for r in built.query(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = 'marts' and table_name = '{relation}'"
            )
        }
        for column in ("media_cost", "revenue_same_seller", "revenue_any_seller"):
            assert types[column] == "DECIMAL(38,9)", (relation, column)  # exact
        assert types["ad_billing_amount"] == "DECIMAL(38,4)", relation  # billed
        assert types["currency_minor_unit"] == "INTEGER", relation
        assert types["ad_fee_rate_changed_in_month"] == "BOOLEAN", relation
    assert types["commission_amount"] == types["contribution_margin"] == "DECIMAL(38,4)"


def test_statement_sums_exact_costs(built):
    # 0.000004 on each of three days: rounding a day (or the month) to 4 decimals would give 0
    adv, seller, _ = lake.TINY_SELLER
    [row] = built.query(
        "select media_cost, ad_billing_amount, ad_fee_rate from marts.fct_seller_monthly_statement "
        f"where advertiser_id = {adv} and seller_id = {seller}"
    )
    assert row["media_cost"] == Decimal("0.000012")
    assert (row["ad_fee_rate"], row["ad_billing_amount"]) == (Decimal("0.5"), Decimal("0.00"))


def test_jpy_billed_amounts_are_whole_yen(built, cells):
    _, pnl = lake.expected_monthly(cells)
    rows = built.query(
        "select * from marts.fct_marketplace_pnl_monthly where currency = 'JPY' order by all"
    )
    assert len(rows) == len([k for k in pnl if k[1] == 303]) >= 3
    billed = ("ad_billing_amount", "ad_margin", "commission_amount", "contribution_margin")
    for row in rows:
        assert row["currency_minor_unit"] == 0
        for column in billed:
            assert row[column] == row[column].to_integral_value(), (column, row[column])
    # the exact amounts keep their decimals: rounding happens where money is billed only
    assert all(r["media_cost"] != r["media_cost"].to_integral_value() for r in rows)
    # and the yen amounts were really rounded (the exact ones have decimals), to the nearest yen
    billing, commission = lake.exact_billing(cells)
    for row in rows:
        key = (row["month"], row["advertiser_id"], row["seller_id"])
        assert billing[key] != billing[key].to_integral_value()
        assert abs(row["ad_billing_amount"] - billing[key]) <= Decimal("0.5")
        assert abs(row["commission_amount"] - commission[key]) <= Decimal("0.5")


def test_rate_change_mid_year_bills_each_month_at_its_rate(built, cells):
    """MKT-0001: 0.15 in January, 0.20 from February 15th, 0.10 from March 1st; US-SELLER-1:
    0.0333 until January 31st, 0.05 from February 1st (a month boundary)."""
    keys = ["month", "advertiser_id", "seller_id"]
    actual = built.table("marts.fct_seller_monthly_statement", keys)
    january, february, march = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    mkt = {m: actual[(m, 101, 5_000_000_001)] for m in (january, february, march)}
    assert (mkt[january]["ad_fee_rate"], mkt[january]["ad_fee_rate_changed_in_month"]) == (
        Decimal("0.15"),
        False,
    )
    assert (mkt[february]["ad_fee_rate"], mkt[february]["ad_fee_rate_changed_in_month"]) == (
        None,
        True,
    )
    assert (mkt[march]["ad_fee_rate"], mkt[march]["ad_fee_rate_changed_in_month"]) == (
        Decimal("0.1"),
        False,
    )
    for month in (january, march):  # one rate all month: media_cost * (1 + rate), rounded once
        row = mkt[month]
        exact = row["media_cost"] * (1 + row["ad_fee_rate"])
        assert row["ad_billing_amount"] == lake.round_half_away(exact, 2)
    # February: each day at its own rate, summed exactly, rounded once
    february_days: dict[date, Decimal] = {}  # MKT-0001's cost per day, both campaigns
    for (day, adv, _, seller), cell in cells.items():
        if (adv, seller) == (101, 5_000_000_001) and day.month == 2:
            february_days[day] = february_days.get(day, Decimal(0)) + lake._money(cell.cost)
    before = [d for d in february_days if d < lake.RATE_CHANGE_MID_MONTH]
    after = [d for d in february_days if d >= lake.RATE_CHANGE_MID_MONTH]
    assert before and after, "the synthetic lake must have February days on both sides"
    exact = sum(february_days[d] * Decimal("1.15") for d in before) + sum(
        february_days[d] * Decimal("1.2") for d in after
    )
    assert mkt[february]["ad_billing_amount"] == lake.round_half_away(exact, 2)
    billed_days = built.query(
        "select distinct ad_fee_rate from marts.fct_seller_billing_daily "
        "where advertiser_id = 101 and seller_id = 5000000001 and month(report_date) = 2"
    )
    assert {r["ad_fee_rate"] for r in billed_days} == {Decimal("0.15"), Decimal("0.2")}
    us = {m: actual[(m, 202, 7_000_000_001)] for m in (january, february)}
    assert us[january]["ad_fee_rate"] == Decimal("0.0333")
    assert us[february]["ad_fee_rate"] == Decimal("0.05")
    assert not us[february]["ad_fee_rate_changed_in_month"]


def test_monthly_reconciliation(built, cells):
    actual = built.table(
        "marts.rpt_monthly_reconciliation", ["month", "advertiser_id", "endpoint", "policy"]
    )
    assert_rows_match(
        "marts.rpt_monthly_reconciliation", actual, lake.expected_reconciliation(cells)
    )
    off = actual[lake.CONTROL_OFF]
    assert off["revenue_diff"] == -lake.CONTROL_OFF_REVENUE and not off["is_reconciled"]


def test_schemas_and_relations_of_the_contract(built):
    relations = {
        (r["table_schema"], r["table_name"])
        for r in built.query("select table_schema, table_name from information_schema.tables")
    }
    for name in (
        "fct_seller_campaign_stats_daily",
        "fct_seller_stats_daily",
        "fct_campaign_stats_daily",
        "dim_sellers",
        "dim_campaigns",
        "fct_seller_monthly_statement",
        "fct_marketplace_pnl_monthly",
        "rpt_monthly_reconciliation",
    ):
        assert ("marts", name) in relations, name
    assert {s for s, _ in relations} >= {"staging", "intermediate", "marts"}
    assert not any(s.startswith("main_") for s, _ in relations)


def test_build_ran_data_and_unit_tests(built):
    output = built.build_output
    assert "unit test" in output and "data test" in output
    # missing lake folder (no budgets yet) is read as empty, not a crash
    assert "mpo_lake.metadata_budgets is read as empty" in output
    # the deliberately wrong control total is reported, as a warning
    assert "WARN" in output and "rpt_monthly_reconciliation__all_reconciled" in output


def test_money_is_exact(built, cells):
    [row] = built.query(
        "select sum(cost) as cost, sum(revenue_any_seller) as revenue "
        "from marts.fct_seller_campaign_stats_daily where advertiser_id = 101"
    )
    cost = sum(c.cost for k, c in cells.items() if k[1] == 101)
    revenue = sum(c.revenue["AnySeller"] for k, c in cells.items() if k[1] == 101)
    assert row["cost"] == lake._money(cost)
    assert row["revenue"] == lake._money(revenue)
    # the amounts have six decimals: a rounding to four anywhere would show
    assert lake._money(cost) != lake._money(cost).quantize(Decimal("0.0001"))


def test_docs_generate_works_offline(built):
    result = built.run("docs", "generate")
    assert result.ok
    assert (built.root / "target" / "catalog.json").exists()
