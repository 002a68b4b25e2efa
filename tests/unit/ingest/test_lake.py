"""Lake paths and atomic writes."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpo_pipeline.ingest import lake


def _table(days: list[date]) -> pa.Table:
    return pa.table({"day": pa.array(days, pa.date32()), "clicks": list(range(len(days)))})


def test_paths_follow_design(tmp_path: Path):
    assert lake.stats_path(tmp_path, "seller_campaigns", "SameSeller", date(2026, 3, 1), 7) == (
        tmp_path / "stats/endpoint=seller_campaigns/policy=SameSeller/report_date=2026-03-01"
        "/advertiser_id=7.parquet"
    )
    assert lake.control_path(tmp_path, "sellers", "AnySeller", date(2026, 3, 9), 7) == (
        tmp_path / "control/interval=month/endpoint=sellers/policy=AnySeller/month=2026-03"
        "/advertiser_id=7.parquet"
    )
    assert lake.metadata_path(tmp_path, "budgets", date(2026, 3, 1)) == (
        tmp_path / "metadata/entity=budgets/snapshot_date=2026-03-01/part.parquet"
    )
    with pytest.raises(ValueError, match="unknown stats endpoint"):
        lake.stats_path(tmp_path, "seller-campaigns", "SameSeller", date(2026, 3, 1), 7)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path):
    path = tmp_path / "a" / "x.parquet"
    lake.write_parquet_atomic(_table([date(2026, 1, 1)]), path)
    lake.write_parquet_atomic(_table([date(2026, 1, 2), date(2026, 1, 3)]), path)
    assert pq.read_table(path).num_rows == 2
    assert [p.name for p in path.parent.iterdir()] == ["x.parquet"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch):
    path = tmp_path / "x.parquet"
    lake.write_parquet_atomic(_table([date(2026, 1, 1)]), path)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(lake.pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        lake.write_parquet_atomic(_table([date(2026, 1, 2)]), path)
    assert pq.read_table(path).column("day").to_pylist() == [date(2026, 1, 1)]
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]


def test_stale_temp_files_invisible_to_duckdb_and_removed(tmp_path: Path):
    good = tmp_path / "d" / "a.parquet"
    lake.write_parquet_atomic(_table([date(2026, 1, 1)]), good)
    stale = good.parent / ".b.parquet.0123.tmp"
    stale.write_bytes(b"PAR1 half a file")
    n = duckdb.sql(f"select count(*) from read_parquet('{tmp_path}/d/*.parquet')").fetchall()[0][0]
    assert n == 1
    assert lake.remove_stale_temp_files(tmp_path) == [stale]
    assert not stale.exists()


def test_split_by_day_includes_empty_days():
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    table = _table([days[0], days[0], days[2]])
    parts = lake.split_by_day(table, "day", days)
    assert {d: t.num_rows for d, t in parts.items()} == {days[0]: 2, days[1]: 0, days[2]: 1}
    assert parts[days[1]].schema == table.schema


def test_with_lineage_types():
    t = lake.with_lineage(
        _table([date(2026, 1, 1)]),
        advertiserId=5,
        currency="EUR",
        window_start=date(2026, 1, 1),
        extracted_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert t.schema.field("advertiserId").type == pa.int64()
    assert t.schema.field("currency").type == pa.string()
    assert t.schema.field("window_start").type == pa.date32()
    assert t.schema.field("extracted_at").type == pa.timestamp("us", tz="UTC")


def _naive_split(table: pa.Table, days: list[date]) -> dict[date, list]:
    return {d: [r for r in table.to_pylist() if r["day"] == d] for d in days}


@given(
    offsets=st.lists(st.integers(0, 9), max_size=60),
    wanted=st.lists(st.integers(0, 9), min_size=1, max_size=10, unique=True),
    ordered=st.booleans(),
)
def test_iter_days_gives_each_day_its_rows(offsets: list[int], wanted: list[int], ordered: bool):
    start = date(2026, 1, 1)
    if ordered:
        offsets = sorted(offsets)
    table = _table([start + timedelta(days=o) for o in offsets])
    days = [start + timedelta(days=w) for w in sorted(wanted)]
    parts = list(lake.iter_days(table, "day", days))
    assert [d for d, _ in parts] == days
    assert {d: t.to_pylist() for d, t in parts} == _naive_split(table, days)
    assert all(t.schema == table.schema for _, t in parts)


def test_iter_days_slices_rows_sorted_by_day_without_copying():
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    table = _table([days[0], days[0], days[2], days[2], days[2]])
    parts = dict(lake.iter_days(table, "day", days))
    clicks = table.column("clicks").chunks[0].buffers()[1]
    sliced = parts[days[2]].column("clicks").chunks[0]
    assert sliced.buffers()[1].address == clicks.address  # a view of the same memory
    assert sliced.to_pylist() == [2, 3, 4]
    assert parts[days[1]].num_rows == 0


def _land(root: Path, endpoint: str, policy: str, day: date, advertiser: int, rows: int) -> None:
    lake.write_parquet_atomic(
        _table([day] * rows), lake.stats_path(root, endpoint, policy, day, advertiser)
    )


def test_recent_day_rows_reads_the_latest_landed_days(tmp_path: Path):
    for i, rows in enumerate([5, 6, 7, 8, 9]):
        _land(tmp_path, "sellers", "AnySeller", date(2026, 1, 1 + i), 7, rows)
    _land(tmp_path, "sellers", "AnySeller", date(2026, 1, 9), 8, 100)  # another advertiser
    recent = lake.recent_day_rows
    assert recent(tmp_path, "sellers", "AnySeller", 7, date(2026, 1, 31), 3) == [9, 8, 7]
    assert recent(tmp_path, "sellers", "AnySeller", 7, date(2026, 1, 2), 3) == [6, 5]
    assert recent(tmp_path, "sellers", "SameSeller", 7, date(2026, 1, 31), 3) == []
    assert recent(tmp_path, "campaigns", "AnySeller", 7, date(2026, 1, 31), 3) == []


def test_rows_per_day_hint_prefers_the_stream_then_its_other_policy(tmp_path: Path):
    from mpo_pipeline.ingest.extract import rows_per_day_hint

    until = date(2026, 1, 31)
    assert rows_per_day_hint(tmp_path, "sellers", "SameSeller", 7, until) is None
    _land(tmp_path, "sellers", "AnySeller", date(2026, 1, 1), 7, 40)
    _land(tmp_path, "sellers", "AnySeller", date(2026, 1, 2), 7, 50)
    assert rows_per_day_hint(tmp_path, "sellers", "SameSeller", 7, until) == 50.0
    _land(tmp_path, "sellers", "SameSeller", date(2026, 1, 2), 7, 30)
    assert rows_per_day_hint(tmp_path, "sellers", "SameSeller", 7, until) == 30.0
    _land(tmp_path, "sellers", "SameSeller", date(2026, 1, 3), 8, 0)  # empty: unknown
    assert rows_per_day_hint(tmp_path, "sellers", "SameSeller", 8, until) is None
