"""The published snapshot as the server reads it: values, swaps on publish, never a write."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from support.portal_fixtures import (
    EARLIER,
    LATEST,
    SELLER_A,
    SELLER_B,
    SELLER_C,
    UNKNOWN_SELLER,
    measures,
    perf_row,
    publish_rows,
)

from mpo_pipeline.seller_portal.queries import CAMPAIGNS, PERFORMANCE
from mpo_pipeline.seller_portal.snapshot import (
    FileIdentity,
    Snapshot,
    SnapshotStore,
    SnapshotUnavailable,
)


@pytest.fixture
def published(tmp_path):
    path = tmp_path / "published" / "warehouse.duckdb"
    report = publish_rows(tmp_path / "private", path)
    return path, report


def _rows(raw: bytes) -> list[dict]:
    return json.loads(raw)


def _brief(raw: bytes):
    return [(r["advertiser_id"], r["currency"], r["clicks"], r["cost"]) for r in _rows(raw)]


def test_what_a_snapshot_holds(published):
    path, report = published
    snap = Snapshot.open(path)
    try:
        assert snap.published_at == report.published_at
        assert snap.windows(PERFORMANCE) == (7, 30) == snap.windows(CAMPAIGNS)
        assert snap.as_of_range(PERFORMANCE, 7) == (EARLIER, LATEST)
        assert snap.as_of_range(CAMPAIGNS, 7) == (LATEST, LATEST)
        assert snap.has_as_of(PERFORMANCE, 30, EARLIER)
        assert not snap.has_as_of(CAMPAIGNS, 30, EARLIER)
        assert [snap.knows(s) for s in (SELLER_A, SELLER_B, SELLER_C, UNKNOWN_SELLER)] == [
            True,
            True,
            True,
            False,
        ]
    finally:
        snap.release()
    assert snap.closed


def test_a_seller_s_rows_latest_and_past(published):
    snap = Snapshot.open(published[0])
    try:
        raw = snap.rows(PERFORMANCE, SELLER_A, 7, LATEST)  # from the in-memory slice
        assert _brief(raw) == [
            (11, "EUR", 50, "12.345678901"),
            (12, "JPY", 3, "450.000000000"),
        ]
        latest = _rows(raw)
        assert latest[0]["previous_cost"] == "10.000000001"
        assert latest[0]["gmv"] == "5000.250000000" and latest[0]["orders"] == 17
        assert latest[0]["ad_revenue_share_of_gmv"] == 0.0201 and latest[1]["gmv"] is None
        assert latest[0]["window_start"] == "2026-02-23" and latest[0]["is_complete"] is True
        assert not {"as_of_date", "window_days", "seller_id"} & set(latest[0])
        past = snap.rows(PERFORMANCE, SELLER_A, 7, EARLIER)  # a point query on the file
        assert _brief(past) == [(11, "EUR", 40, "11.100000000")]
        assert list(_rows(past)[0]) == list(latest[0])  # the same columns, same order
        assert snap.rows(PERFORMANCE, SELLER_C, 7, LATEST) == b"[]"
        assert _brief(snap.rows(PERFORMANCE, SELLER_C, 30, EARLIER)) == [
            (11, "EUR", 0, "0.000000000")
        ]
        campaigns = _rows(snap.rows(CAMPAIGNS, SELLER_A, 7, LATEST))
        assert [(r["campaign_id"], r["cost"]) for r in campaigns] == [
            (501, "7.300000000"),
            (502, "5.045678901"),
        ]
        assert snap.rows(CAMPAIGNS, UNKNOWN_SELLER, 7, LATEST) == b"[]"
    finally:
        snap.release()


def test_reading_never_writes_the_published_file(published):
    path = published[0]
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    store = SnapshotStore(path, background=False)
    with store.use() as snap:
        snap.rows(PERFORMANCE, SELLER_A, 7, EARLIER)
        snap.rows(CAMPAIGNS, SELLER_A, 7, LATEST)
    store.close()
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["warehouse.duckdb"]  # no WAL


def _republish(tmp_path, path, clicks):
    rows = [perf_row(LATEST, 7, 11, SELLER_A, "MKT-0042", "EUR", **measures(1, clicks, "1", "1"))]
    return publish_rows(tmp_path / "private", path, performance=rows, campaigns=[])


def test_a_new_publish_is_served_while_requests_in_flight_finish_on_theirs(tmp_path, published):
    path, first = published
    store = SnapshotStore(path, background=False)
    with store.use() as old:
        second = _republish(tmp_path, path, clicks=99)
        with store.use() as new:  # the next request sees the new file
            assert new.published_at == second.published_at != first.published_at
            assert _brief(new.rows(PERFORMANCE, SELLER_A, 7, LATEST)) == [
                (11, "EUR", 99, "1.000000000")
            ]
        # the request that started before the publish still reads its own snapshot
        assert old.published_at == first.published_at and not old.closed
        assert _brief(old.rows(PERFORMANCE, SELLER_A, 7, EARLIER)) == [
            (11, "EUR", 40, "11.100000000")
        ]
    assert old.closed  # closed by the last request out
    assert not new.closed  # the store holds it
    store.close()
    assert new.closed


def test_a_background_open_keeps_answering_from_the_current_snapshot(tmp_path, published):
    path, first = published
    opening = threading.Event()
    release = threading.Event()

    def slow_open(p, identity):
        opening.set()
        release.wait(30)
        return Snapshot.open(p, identity)

    store = SnapshotStore(path, background=True)
    store.open_now()  # the server's start
    with store.use() as snap:
        assert snap.published_at == first.published_at
    store._opener = slow_open  # the next file takes long to open
    second = _republish(tmp_path, path, clicks=7)
    with store.use() as snap:  # noticed the new file: answered from the current one
        assert snap.published_at == first.published_at
    assert opening.wait(30)
    with store.use() as snap:  # still opening: still the current one, no wait
        assert snap.published_at == first.published_at
    release.set()
    store.wait_idle(30)
    with store.use() as snap:
        assert snap.published_at == second.published_at
    store.close()


def test_a_file_that_cannot_be_read_leaves_the_current_snapshot_served(tmp_path, published):
    path, first = published
    clock = [0.0]
    store = SnapshotStore(path, background=False, retry_seconds=10, clock=lambda: clock[0])
    with store.use() as snap:
        assert snap.published_at == first.published_at
    broken = path.with_name("broken.duckdb")
    broken.write_bytes(b"not a database")
    broken.replace(path)  # published file replaced by junk
    with store.use() as snap:
        assert snap.published_at == first.published_at
    assert "cannot read the published snapshot" in store.last_error
    calls = []
    store._opener = lambda p, i: calls.append(p) or Snapshot.open(p, i)
    with store.use():
        pass
    assert calls == []  # the same broken file is not reopened at every request
    clock[0] = 10.0
    with store.use() as snap:  # ...but again after retry_seconds
        assert snap.published_at == first.published_at
    assert len(calls) == 1
    second = _republish(tmp_path, path, clicks=3)
    with store.use() as snap:
        assert snap.published_at == second.published_at
    assert store.last_error is None
    store.close()


def test_nothing_published_yet_then_a_publish(tmp_path):
    path = tmp_path / "published" / "warehouse.duckdb"
    store = SnapshotStore(path)
    store.open_now()
    with pytest.raises(SnapshotUnavailable, match="nothing is published yet"), store.use():
        pass
    report = publish_rows(tmp_path / "private", path)
    release = threading.Event()
    store._opener = lambda p, i: release.wait(30) and Snapshot.open(p, i)
    # the first request after the publish starts the open, and is not kept waiting for it
    with pytest.raises(SnapshotUnavailable, match="is being opened"), store.use():
        pass
    release.set()
    store.wait_idle(30)
    with store.use() as snap:  # no restart needed
        assert snap.published_at == report.published_at
    store.close()


def test_a_snapshot_without_the_marts_is_not_served(tmp_path):
    import duckdb

    from mpo_pipeline.warehouse.publish import publish_warehouse

    private = tmp_path / "private.duckdb"
    with duckdb.connect(str(private)) as con:
        con.execute("create schema marts; create table marts.other (x int)")
    path = tmp_path / "published.duckdb"
    publish_warehouse(private, path, manifest=None)
    store = SnapshotStore(path)
    store.open_now()
    with pytest.raises(SnapshotUnavailable, match="rpt_seller_performance_rolling"), store.use():
        pass


def test_the_identity_of_a_file_changes_with_each_publish(tmp_path, published):
    path, _ = published
    first = FileIdentity.of(path)
    _republish(tmp_path, path, clicks=1)
    assert FileIdentity.of(path) != first
    assert FileIdentity.of(tmp_path / "missing.duckdb") is None
