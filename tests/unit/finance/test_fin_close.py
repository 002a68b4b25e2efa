"""Month close logic on a fake warehouse and lake: refusals, the snapshot, reopen, append-only."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from fin_unit_helpers import (
    AFTER_OCTOBER,
    OCTOBER,
    POLICIES,
    add_statement_row,
    fake_lake,
    fake_warehouse,
    reconcile,
    rows,
)

from mpo_pipeline.finance.close import (
    CloseRefused,
    CloseRequest,
    MonthContext,
    close_month,
    close_totals,
    get_close,
    latest_close,
)
from mpo_pipeline.finance.export import export_statement
from mpo_pipeline.finance.schema import CLOSES_DDL, STATEMENT_COLUMNS, ensure_finance_tables

REPO = Path(__file__).resolve().parents[3]
ADVERTISERS = (41111, 42222)
NOW = datetime(2026, 11, 5, 8, 30, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path):
    """October fully loaded and reconciled, with three statement rows (two currencies)."""
    con = fake_warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "lake"
    fake_lake(lake, OCTOBER, ADVERTISERS)
    reconcile(con, OCTOBER, ADVERTISERS)
    add_statement_row(con, OCTOBER, 41111, 5001)
    add_statement_row(con, OCTOBER, 41111, 5002, media_cost=Decimal("1.10"))
    add_statement_row(con, OCTOBER, 42222, 6001, currency="USD")
    add_statement_row(con, date(2026, 9, 1), 41111, 5001)  # another month: never frozen
    ctx = MonthContext(lake_dir=lake, today=AFTER_OCTOBER, policies=POLICIES)
    yield con, lake, ctx
    con.close()


def _close(con, ctx, **request) -> object:
    return close_month(con, CloseRequest(month=OCTOBER, closed_by="ana", **request), ctx, now=NOW)


def _frozen(con, close_id: int) -> list[dict]:
    return rows(
        con,
        "select * from finance.month_close_statements where close_id = ? order by seller_id",
        [close_id],
    )


def test_close_freezes_the_month_statement(world):
    con, _, ctx = world
    record = _close(con, ctx, run_id="run-1")
    assert (record.close_id, record.close_version, record.is_reopen) == (1, 1, False)
    assert record.statement_rows == 3
    frozen = _frozen(con, 1)
    current = rows(
        con,
        "select * from marts.fct_seller_monthly_statement where month = ? order by seller_id",
        [OCTOBER],
    )
    columns = [name for name, _ in STATEMENT_COLUMNS]
    assert [{c: r[c] for c in columns} for r in frozen] == current
    assert {r["closed_at"] for r in frozen} == {NOW}
    header = rows(con, "select * from finance.month_closes")
    assert header == [
        {
            "close_id": 1,
            "month": OCTOBER,
            "close_version": 1,
            "closed_at": NOW,
            "closed_by": "ana",
            "reason": None,
            "is_reopen": False,
            "run_id": "run-1",
            "statement_rows": 3,
            "source_snapshot_id": None,  # a DuckDB file has no snapshots
        }
    ]
    totals = close_totals(con, 1)
    assert [(t["advertiser_id"], t["currency"], t["sellers"]) for t in totals] == [
        (41111, "EUR", 2),
        (42222, "USD", 1),
    ]
    assert totals[0]["media_cost"] == Decimal("6.10")


def test_month_not_over_is_refused(world):
    con, lake, _ = world
    ctx = MonthContext(lake_dir=lake, today=date(2026, 10, 31), policies=POLICIES)
    with pytest.raises(CloseRefused, match=r"2026-10 is not over yet"):
        _close(con, ctx)
    assert latest_close(con, OCTOBER) is None


def test_missing_day_is_named(tmp_path: Path):
    con = fake_warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "lake"
    fake_lake(lake, OCTOBER, ADVERTISERS, skip_days=[date(2026, 10, 17)])
    reconcile(con, OCTOBER, ADVERTISERS)
    ctx = MonthContext(lake_dir=lake, today=AFTER_OCTOBER, policies=POLICIES)
    with pytest.raises(CloseRefused) as refused:
        _close(con, ctx)
    text = str(refused.value)
    assert "12 lake file(s) missing" in text  # 2 advertisers × 3 endpoints × 2 policies
    assert "stats sellers/SameSeller advertiser 41111 2026-10-17" in text


def test_missing_control_file_is_named(tmp_path: Path):
    con = fake_warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "lake"
    fake_lake(lake, OCTOBER, ADVERTISERS, control=False)
    reconcile(con, OCTOBER, ADVERTISERS)
    ctx = MonthContext(lake_dir=lake, today=AFTER_OCTOBER, policies=POLICIES)
    with pytest.raises(CloseRefused, match=r"control campaigns/AnySeller advertiser 42222 2026-10"):
        _close(con, ctx)


def test_unreconciled_metric_is_named(tmp_path: Path):
    con = fake_warehouse(tmp_path / "w.duckdb")
    lake = tmp_path / "lake"
    fake_lake(lake, OCTOBER, ADVERTISERS)
    broken = {(42222, "seller_campaigns", "AnySeller"): {"clicks": 1, "revenue": Decimal("0.001")}}
    reconcile(con, OCTOBER, ADVERTISERS, broken=broken, skip=[(41111, "sellers", "SameSeller")])
    ctx = MonthContext(lake_dir=lake, today=AFTER_OCTOBER, policies=POLICIES)
    with pytest.raises(CloseRefused) as refused:
        _close(con, ctx)
    text = str(refused.value)
    assert "2 reconciliation failure(s)" in text
    # clicks named with its figures; revenue within the money tolerance is not blamed
    assert "2026-10 advertiser 42222 seller_campaigns/AnySeller clicks: daily 1001" in text
    assert "revenue" not in text
    assert "advertiser 41111 sellers/SameSeller: no reconciliation row" in text


def test_closed_month_is_refused_without_reopen_and_snapshot_never_changes(world):
    con, _, ctx = world
    _close(con, ctx)
    before = _frozen(con, 1)
    con.execute("update marts.fct_seller_monthly_statement set clicks = clicks + 5")
    with pytest.raises(CloseRefused, match=r"already closed \(close_id 1"):
        _close(con, ctx)
    with pytest.raises(CloseRefused, match=r"reopen needs a reason"):
        _close(con, ctx, reopen=True, reason="  ")
    assert _frozen(con, 1) == before
    assert rows(con, "select count(*) as n from finance.month_closes") == [{"n": 1}]


def test_reopen_makes_a_new_close_with_its_reason(world):
    con, _, ctx = world
    _close(con, ctx)
    before = _frozen(con, 1)
    con.execute("update marts.fct_seller_monthly_statement set clicks = clicks + 5")
    record = _close(con, ctx, reopen=True, reason="late sales restated", run_id="run-2")
    assert (record.close_id, record.close_version, record.is_reopen) == (2, 2, True)
    assert latest_close(con, OCTOBER) == record
    assert rows(con, "select reason, run_id from finance.month_closes where close_id = 2") == [
        {"reason": "late sales restated", "run_id": "run-2"}
    ]
    assert _frozen(con, 1) == before
    assert [r["clicks"] for r in _frozen(con, 2)] == [r["clicks"] + 5 for r in before]


def test_close_ids_increase_across_months(world, tmp_path: Path):
    con, lake, ctx = world
    _close(con, ctx)
    september = date(2026, 9, 1)
    fake_lake(lake, september, ADVERTISERS)
    reconcile(con, september, ADVERTISERS)
    record = close_month(con, CloseRequest(month=september, closed_by="bo"), ctx)
    assert (record.close_id, record.close_version, record.statement_rows) == (2, 1, 1)


def test_failed_close_leaves_nothing(world):
    con, _, ctx = world
    con.execute("alter table marts.fct_seller_monthly_statement drop column clicks")
    with pytest.raises(Exception, match="clicks"):
        _close(con, ctx)
    assert rows(con, "select count(*) as n from finance.month_closes") == [{"n": 0}]
    assert rows(con, "select count(*) as n from finance.month_close_statements") == [{"n": 0}]


def test_tables_are_created_once_and_kept(world):
    con, _, ctx = world
    _close(con, ctx)
    ensure_finance_tables(con)  # idempotent: the existing close survives
    assert len(_frozen(con, 1)) == 3


def test_no_code_path_updates_or_deletes_the_close_tables():
    writes = re.compile(
        r"\b(update|delete\s+from|drop\s+table|truncate|create\s+or\s+replace\s+table)\s+"
        r"[\"']?(finance\.|\{?(STATEMENTS|CLOSES)_TABLE)",
        re.IGNORECASE,
    )
    sources = [*REPO.joinpath("mpo_pipeline").rglob("*.py")]
    sources += [*REPO.joinpath("dbt_project", "models").rglob("*.sql")]
    sources += [*REPO.joinpath("dbt_project", "macros").rglob("*.sql")]
    offenders = [str(p) for p in sources if writes.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# The statements table as the first version created it: money DECIMAL(18, 4), no minor unit, no
# rate-changed flag.
LEGACY_COLUMNS = [
    (name, "decimal(18, 4)" if typ.startswith("decimal(38") else typ)
    for name, typ in STATEMENT_COLUMNS
    if name not in ("currency_minor_unit", "ad_fee_rate_changed_in_month")
]
SEPTEMBER = date(2026, 9, 1)


def _legacy_close(con) -> list[dict]:
    """Close tables of the first version, holding one close of September; its frozen rows."""
    con.execute("create schema finance")
    # the first closes table had no source_snapshot_id
    con.execute(CLOSES_DDL.replace(",\n    source_snapshot_id bigint", ""))
    columns = ", ".join(f"{name} {typ}" for name, typ in LEGACY_COLUMNS)
    con.execute(
        "create table finance.month_close_statements (close_id bigint not null, "
        f"closed_at timestamp with time zone not null, {columns}, "
        "primary key (close_id, advertiser_id, seller_id))"
    )
    con.execute(
        "insert into finance.month_closes values (1, ?, 1, ?, 'old', null, false, 'r0', 1)",
        [SEPTEMBER, NOW],
    )
    names = [name for name, _ in LEGACY_COLUMNS]
    values = {n: 0 for n in names} | {
        "month": SEPTEMBER,
        "advertiser_id": 41111,
        "seller_id": 5001,
        "seller_name": "MKT-05001",
        "currency": "JPY",  # closed when every amount was rounded to the cent
        "is_in_seller_directory": True,
        "media_cost": Decimal("1000.1234"),
        "ad_fee_rate": Decimal("0.05"),
        "ad_billing_amount": Decimal("1050.13"),
        "cr_same_seller": None,
    }
    con.execute(
        f"insert into finance.month_close_statements (close_id, closed_at, {', '.join(names)}) "
        f"values (1, ?, {', '.join('?' for _ in names)})",
        [NOW, *(values[n] for n in names)],
    )
    return _frozen(con, 1)


def _types(con) -> dict[str, str]:
    return {
        r["column_name"]: r["data_type"]
        for r in rows(
            con,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'finance' and table_name = 'month_close_statements'",
        )
    }


def test_older_close_table_gains_the_new_columns_without_touching_a_row(world):
    con, _, ctx = world
    before = _legacy_close(con)
    add_statement_row(
        con,
        OCTOBER,
        41111,
        5003,
        media_cost=Decimal("0.000012345"),
        ad_billing_amount=Decimal("0.00"),
        ad_fee_rate=None,
        ad_fee_rate_changed_in_month=True,
    )
    record = _close(con, ctx)
    types = _types(con)
    assert types["currency_minor_unit"] == "INTEGER"
    assert types["ad_fee_rate_changed_in_month"] == "BOOLEAN"
    assert types["media_cost"] == types["revenue_any_seller"] == "DECIMAL(38,9)"
    assert types["ad_billing_amount"] == "DECIMAL(38,4)"
    # the closes table gained source_snapshot_id: NULL for the old close and on a DuckDB file
    assert get_close(con, 1).source_snapshot_id is None
    assert record.source_snapshot_id is None
    # the old close: same values, the new columns NULL
    [old] = _frozen(con, 1)
    assert {k: v for k, v in old.items() if k in before[0]} == before[0]
    assert old["currency_minor_unit"] is None and old["ad_fee_rate_changed_in_month"] is None
    # the new close keeps exact money, the minor unit and the changed flag
    new = {r["seller_id"]: r for r in _frozen(con, record.close_id)}
    assert new[5003]["media_cost"] == Decimal("0.000012345")
    assert new[5003]["currency_minor_unit"] == 2
    assert (new[5003]["ad_fee_rate"], new[5003]["ad_fee_rate_changed_in_month"]) == (None, True)
    # an older close still sums; its billed amounts were rounded to the cent
    [total] = close_totals(con, 1)
    assert (total["currency"], total["currency_minor_unit"]) == ("JPY", 2)
    assert total["ad_billing_amount"] == Decimal("1050.13")


def test_older_close_is_readable_before_any_migration(tmp_path):
    con = fake_warehouse(tmp_path / "w.duckdb")
    _legacy_close(con)
    con.close()
    # read-only, as the export and the CLI open it: nothing can be migrated
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as ro:
        [total] = close_totals(ro, 1)
        assert latest_close(ro, SEPTEMBER).source_snapshot_id is None
    assert total["currency_minor_unit"] == 2 and total["media_cost"] == Decimal("1000.1234")
    [path] = export_statement(tmp_path / "w.duckdb", SEPTEMBER, tmp_path / "sep.csv")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        seller, jpy_total = list(csv.DictReader(handle))
    assert (seller["ad_billing_amount"], seller["media_cost"]) == ("1050.13", "1000.1234")
    assert seller["currency_minor_unit"] == "" and seller["ad_fee_rate_changed_in_month"] == ""
    assert jpy_total["ad_billing_amount"] == "1050.13"
