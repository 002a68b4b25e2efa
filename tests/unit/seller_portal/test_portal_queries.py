"""The SQL of the seller portal API: bound values only, a seller's rows in the grain's order."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from mpo_pipeline.seller_portal.contract import (
    CAMPAIGN_COLUMNS,
    PERFORMANCE_COLUMNS,
    create_table_sql,
)
from mpo_pipeline.seller_portal.queries import (
    CAMPAIGNS,
    PERFORMANCE,
    REPORTS,
    as_of_dates_sql,
    attach_sql,
    columns_sql,
    json_value_sql,
    row_json_sql,
    seller_sql,
    sellers_sql,
    slice_sql,
)


@pytest.fixture
def con(tmp_path):
    """A file holding both marts (rows inserted out of order), attached as the server does."""
    path = tmp_path / "it's published.duckdb"  # a quote in the path
    with duckdb.connect(str(path)) as w:
        w.execute("create schema marts")
        w.execute(create_table_sql(PERFORMANCE.table, PERFORMANCE_COLUMNS))
        w.execute(create_table_sql(CAMPAIGNS.table, CAMPAIGN_COLUMNS))
        day = date(2026, 3, 1)
        for seller, advertiser, campaign in [(9, 2, 7), (5, 2, 8), (9, 1, 8), (5, 1, 7), (9, 1, 3)]:
            for report in REPORTS:
                cols = "as_of_date, window_days, advertiser_id, seller_id" + (
                    ", campaign_id" if report is CAMPAIGNS else ""
                )
                values = [day, 7, advertiser, seller] + ([campaign] if report is CAMPAIGNS else [])
                w.execute(
                    f"insert into {report.table} ({cols}) values "
                    f"({', '.join('?' for _ in values)})",
                    values,
                )
        w.execute(
            f"insert into {PERFORMANCE.table} (as_of_date, window_days, advertiser_id, "
            "seller_id) values (?, 30, 1, 5)",
            [date(2026, 2, 27)],
        )
    c = duckdb.connect(":memory:")
    c.execute(attach_sql(str(path)))
    yield c
    c.close()


def _columns(con, report):
    schema, table = report.schema_and_name
    return con.execute(columns_sql(), {"schema": schema, "table": table}).fetchall()


def test_values_are_bound_parameters(con):
    for report in REPORTS:
        columns = _columns(con, report)
        for sql in (slice_sql(report, columns), seller_sql(report, columns)):
            assert "$window" in sql and "$as_of" in sql
        assert "$seller" in seller_sql(report, columns)


def test_a_seller_s_rows_come_in_the_grain_s_order(con):
    params = {"window": 7, "as_of": date(2026, 3, 1), "seller": 9}
    rows = con.execute(seller_sql(PERFORMANCE, _columns(con, PERFORMANCE)), params).fetchall()
    assert [json.loads(text)["advertiser_id"] for (text,) in rows] == [1, 1, 2]
    rows = con.execute(seller_sql(CAMPAIGNS, _columns(con, CAMPAIGNS)), params).fetchall()
    got = [(json.loads(t)["advertiser_id"], json.loads(t)["campaign_id"]) for (t,) in rows]
    assert got == [(1, 3), (1, 8), (2, 7)]


def test_a_slice_is_one_json_array_body_per_seller_in_the_grain_s_order(con):
    rows = con.execute(
        slice_sql(CAMPAIGNS, _columns(con, CAMPAIGNS)), {"window": 7, "as_of": date(2026, 3, 1)}
    ).fetchall()
    by_seller = {seller: json.loads(f"[{text}]") for seller, text in rows}
    assert {
        s: [(r["advertiser_id"], r["campaign_id"]) for r in v] for s, v in by_seller.items()
    } == {
        5: [(1, 7), (2, 8)],
        9: [(1, 3), (1, 8), (2, 7)],
    }
    assert not {"seller_id", "as_of_date", "window_days"} & set(by_seller[5][0])


def test_json_values_are_exact_and_valid():
    con = duckdb.connect()
    con.execute(
        'create table t ("a ""quoted"" name" decimal(38, 9), d double, f double, day date, '
        "ok boolean, n bigint)"
    )
    con.execute(
        "insert into t values (0, 'nan', 1e300 * 1e300, '2026-02-23', true, null), "
        "(-12.345678901, 0.0201, 1e-10, null, false, 9223372036854775807)"
    )
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where table_name = 't' "
        "order by column_index"
    ).fetchall()
    texts = [t for (t,) in con.execute(f"select {row_json_sql(columns)} from t").fetchall()]
    assert [json.loads(t) for t in texts] == [
        {"a \"quoted\" name": "0.000000000", "d": None, "f": None, "day": "2026-02-23",
         "ok": True, "n": None},
        {"a \"quoted\" name": "-12.345678901", "d": 0.0201, "f": 1e-10, "day": None,
         "ok": False, "n": 2**63 - 1},
    ]  # fmt: skip
    assert json_value_sql("cost", "DECIMAL(38,9)") == '"cost"::varchar'


def test_a_hostile_value_is_only_a_value(con):
    params = {"window": 7, "as_of": date(2026, 3, 1), "seller": "1 or 1=1"}
    with pytest.raises(duckdb.ConversionException):
        con.execute(seller_sql(PERFORMANCE, _columns(con, PERFORMANCE)), params).fetchall()


def test_the_windows_dates_and_sellers_of_a_snapshot(con):
    assert con.execute(as_of_dates_sql(PERFORMANCE)).fetchall() == [
        (7, date(2026, 3, 1)),
        (30, date(2026, 2, 27)),
    ]
    assert sorted(con.execute(sellers_sql()).fetchall()) == [(5,), (9,)]


def test_the_snapshot_is_attached_read_only(con):
    with pytest.raises(duckdb.Error, match=r"read-only|read only"):
        con.execute(f"delete from {PERFORMANCE.relation}")
