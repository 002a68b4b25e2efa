"""The lake on a real S3-compatible server (SeaweedFS on loopback): writes, listings, footers, the
checks and the close's readiness read the same from ``s3://`` as from the same files in a folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pyarrow as pa
import pytest
from integration.dbt import synthetic_lake
from support import seaweedfs
from support.processes import patched_environ

from mpo_pipeline.client.realtime_errors import RealtimeBusyError
from mpo_pipeline.core.object_store import S3Options, lake_root
from mpo_pipeline.finance import readiness
from mpo_pipeline.ingest import lake, lake_checks
from mpo_pipeline.ingest.realtime_extract import one_export_at_a_time

pytestmark = [
    pytest.mark.skipif(seaweedfs.available() is not None, reason=f"{seaweedfs.available()}"),
    pytest.mark.timeout(300),
]

FEBRUARY = date(2025, 2, 1)
WINDOW = (date(2025, 2, 27), date(2025, 3, 2))  # a month end, both months


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("s3-lake")
    with seaweedfs.seaweedfs_server(base / "s3") as s3:
        bucket = s3.make_bucket("mpo-lake")
        env = s3.env(bucket, "prod/lake")
        local = base / "lake"
        synthetic_lake.write_lake(local, synthetic_lake.generate())
        fs = s3.filesystem()
        fs.put(f"{local}/", f"{bucket}/prod/lake/", recursive=True)
        with patched_environ(env):  # the keys, as a run has them
            remote = lake_root(env["MPO_LAKE_DIR"], S3Options.from_env())
            yield {"s3": s3, "fs": fs, "bucket": bucket, "local": local, "remote": remote}


def _table(value: int) -> pa.Table:
    return pa.table({"day": [date(2025, 2, 1)] * 3, "clicks": [value, value + 1, value + 2]})


def test_a_lake_file_is_one_object_replaced_whole(store):
    path = lake.stats_path(store["remote"], "sellers", "SameSeller", date(2030, 1, 1), 9)
    lake.write_parquet_atomic(_table(1), path)
    assert lake.read_parquet(path).equals(_table(1))
    lake.write_parquet_atomic(_table(10), path)
    assert lake.read_parquet(path).equals(_table(10))
    assert lake.parquet_rows(path) == 3
    folder = f"{store['bucket']}/prod/lake/{path.parent.relative_to(store['remote'])}"
    assert store["fs"].ls(folder, detail=False) == [f"{folder}/advertiser_id=9.parquet"]


def test_a_write_that_fails_leaves_the_old_object_and_nothing_else(store):
    path = lake.stats_path(store["remote"], "sellers", "AnySeller", date(2030, 1, 2), 9)
    lake.write_parquet_atomic(_table(1), path)

    def half_then_fail(handle) -> None:
        handle.write(b"PAR1 half a file")
        raise OSError("the disk of the writer went away")

    with pytest.raises(OSError, match="went away"):
        lake.write_atomic(path, half_then_fail)
    assert lake.read_parquet(path).equals(_table(1))
    fresh = lake.stats_path(store["remote"], "sellers", "AnySeller", date(2030, 1, 3), 9)
    with pytest.raises(OSError):
        lake.write_atomic(fresh, half_then_fail)
    assert not fresh.exists()
    assert lake.remove_stale_temp_files(store["remote"]) == []


def test_recent_day_rows_reads_the_footers_on_s3_as_in_a_folder(store):
    for advertiser in synthetic_lake.ADVERTISERS:
        args = ("seller_campaigns", "AnySeller", advertiser, date(2025, 3, 3), 5)
        local = lake.recent_day_rows(store["local"], *args)
        assert local and lake.recent_day_rows(store["remote"], *args) == local


@pytest.mark.parametrize("endpoint", lake.ENDPOINTS)
def test_the_checks_give_the_same_results_on_s3(store, endpoint):
    start, end = WINDOW
    for check in (
        lambda root: lake_checks.rows_in_window(root, endpoint, "SameSeller", start, end),
        lambda root: lake_checks.single_currency(root, endpoint, "AnySeller", start, end),
        lambda root: lake_checks.policies_agree(root, endpoint, start, end),
        lambda root: lake_checks.same_seller_within_any_seller(root, endpoint, start, end),
        lambda root: lake_checks.endpoints_agree(root, "SameSeller", start, end),
    ):
        on_disk, on_s3 = check(store["local"]), check(store["remote"])
        assert on_s3 == on_disk
        assert on_disk.description != "not all endpoints loaded yet"
    advertisers = sorted(synthetic_lake.ADVERTISERS)
    days = [date(2025, 2, 27), date(2025, 2, 28), date(2031, 1, 1)]
    missing = lake_checks.missing_days(store["local"], endpoint, "AnySeller", advertisers, days)
    assert missing.failure_count == len(advertisers)  # the day of 2031 only
    assert (
        lake_checks.missing_days(store["remote"], endpoint, "AnySeller", advertisers, days)
        == missing
    )


def test_the_close_readiness_reads_the_lake_on_s3(store):
    advertisers = readiness.advertisers_in_lake(store["local"], FEBRUARY)
    assert advertisers and readiness.advertisers_in_lake(store["remote"], FEBRUARY) == advertisers
    policies = synthetic_lake.POLICIES
    assert readiness.missing_files(store["remote"], FEBRUARY, advertisers, policies) == (
        readiness.missing_files(store["local"], FEBRUARY, advertisers, policies)
    )
    one_day = lake.stats_path(store["remote"], "campaigns", "SameSeller", date(2025, 2, 14), 101)
    store["fs"].rm(one_day.path)
    missing = readiness.missing_files(store["remote"], FEBRUARY, advertisers, policies)
    assert [str(m) for m in missing if "2025-02-14" in str(m)] != []


def test_one_real_time_export_at_a_time_on_an_s3_lake(store):
    with (
        one_export_at_a_time(store["remote"]),
        pytest.raises(RealtimeBusyError),
        one_export_at_a_time(store["remote"]),
    ):
        pass
    with one_export_at_a_time(store["remote"]):  # released
        pass
