"""The asset checks on the stats assets, run by Dagster on a hand-built lake: each fails on the
defect it exists for with its severity, names the offending rows in its metadata, and passes on
the same check of an honest asset in the same run.

The lake is written the way extraction writes it (``support.handmade_lake``: one file
per endpoint × policy × day × advertiser, each row rounded on its own). Only the checks are
executed (the stats assets are not: no API), over the window given by the run's range tags.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from support.handmade_lake import ADVERTISER, DAY, honest_lake, write_day

from mpo_pipeline.client.metadata import metadata_schema
from mpo_pipeline.client.stats_schema import stats_schema
from mpo_pipeline.defs.ingest.checks import stats_checks
from mpo_pipeline.defs.ingest.partitions import range_tags
from mpo_pipeline.defs.ingest.stats_assets import STATS_ASSETS, stats_asset_key
from mpo_pipeline.defs.resources import LakeResource
from mpo_pipeline.ingest.extract import stamp
from mpo_pipeline.ingest.lake import metadata_path, stats_path, with_lineage, write_parquet_atomic

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
NEXT_DAY = DAY + timedelta(days=1)
ENDPOINTS = ("seller_campaigns", "sellers", "campaigns")
POLICIES = ("SameSeller", "AnySeller")
Evaluations = dict[tuple[str, str], dg.AssetCheckEvaluation]


def run_checks(
    lake: Path,
    *checks: tuple[str, str, str],
    start: date = DAY,
    end: date = DAY,
    advertiser_ids: tuple[int, ...] = (),
) -> tuple[bool, Evaluations]:
    """Run the (endpoint, policy, check) given (all when none) over ``start..end``.

    Returns whether the run succeeded (a blocking check failing with ERROR fails it) and the
    evaluations by (asset name, check name).
    """
    keys = [dg.AssetCheckKey(stats_asset_key(e, p), name) for e, p, name in checks]
    result = dg.materialize(
        [*STATS_ASSETS, stats_checks],
        selection=dg.AssetSelection.checks(*keys) if keys else dg.AssetSelection.all_asset_checks(),
        resources={
            "lake": LakeResource(lake_dir=str(lake), advertiser_ids=list(advertiser_ids)),
            "mpo_api": dg.ResourceDefinition.none_resource(),  # the assets do not run
        },
        tags=range_tags(start.isoformat(), end.isoformat()),
        raise_on_error=False,
    )
    evaluations = {
        (e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()
    }
    if keys:
        assert set(evaluations) == {(k.asset_key.path[-1], k.name) for k in keys}
    return result.success, evaluations


def failures(evaluation: dg.AssetCheckEvaluation) -> list[dict]:
    listed = evaluation.metadata["failures"].value
    assert evaluation.metadata["failure_count"].value == len(listed)
    return listed


def assert_failed(evaluation: dg.AssetCheckEvaluation, severity: dg.AssetCheckSeverity) -> None:
    assert not evaluation.passed
    assert evaluation.severity == severity


def write_seller_campaigns_snapshot(lake: Path, *, suspended: bool) -> None:
    """The advertiser's seller-campaigns with a bid, all active or all suspended, as of DAY."""
    since = datetime(2026, 10, 1, tzinfo=UTC) if suspended else None
    rows = [
        {
            "id": f"{campaign}-{seller}",
            "sellerId": seller,
            "campaignId": campaign,
            "bid": 0.4,
            "suspendedSince": since,
            "suspensionReasons": ["Manual"] if suspended else None,
        }
        for campaign in (1, 2, 3)
        for seller in range(11, 18)
    ]
    table = pa.Table.from_pylist(rows, schema=metadata_schema("seller_campaigns"))
    table = with_lineage(
        table,
        advertiserId=ADVERTISER.id,
        api_version="2026-07",
        extracted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    write_parquet_atomic(table, metadata_path(lake, "seller_campaigns", DAY))


def write_empty_day(lake: Path, endpoint: str, policy: str) -> None:
    """The zero-row marker extraction writes for a day loaded without any row."""
    table = stamp(
        stats_schema(endpoint).empty_table(),
        advertiser=ADVERTISER,
        endpoint=endpoint,
        policy=policy,
        interval_size="Day",
        time_zone="Europe/Paris",
        api_version="2026-07",
        window_start=DAY,
        window_end=DAY,
        extracted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    write_parquet_atomic(table, stats_path(lake, endpoint, policy, DAY, ADVERTISER.id))


def test_every_check_passes_on_an_honest_lake(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_seller_campaigns_snapshot(tmp_path, suspended=False)
    success, evaluations = run_checks(tmp_path)
    assert success
    # 4 checks on each of the 6 assets, 2 per endpoint between policies, 1 per policy
    assert len(evaluations) == 6 * 4 + 3 * 2 + 2
    assert [key for key, e in evaluations.items() if not e.passed] == []
    for (_, check), evaluation in evaluations.items():
        assert evaluation.severity == (WARN if check == "non_empty_when_active" else ERROR)
        assert evaluation.metadata["window"].value == f"{DAY}..{DAY}"


def test_row_outside_its_request_window_fails_and_blocks(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_day(tmp_path, "sellers", "AnySeller", window=(date(2026, 10, 1), date(2026, 10, 24)))
    success, evaluations = run_checks(
        tmp_path,
        ("sellers", "AnySeller", "rows_in_window"),
        ("sellers", "SameSeller", "rows_in_window"),
    )
    assert not success  # blocking: the run fails with the check
    failed = evaluations[("sellers_any_seller", "rows_in_window")]
    assert_failed(failed, ERROR)
    assert failures(failed) == [
        {
            "report_date": "2026-10-25",
            "advertiserId": ADVERTISER.id,
            "day": "2026-10-25",
            "window_start": "2026-10-01",
            "window_end": "2026-10-24",
            "rows": 7,
        }
    ]
    assert evaluations[("sellers_same_seller", "rows_in_window")].passed


def test_two_currencies_in_one_day_fail(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    # a day file whose last rows came in another currency
    path = stats_path(tmp_path, "campaigns", "SameSeller", DAY, ADVERTISER.id)
    table = pq.read_table(path)
    currencies = ["EUR"] * (table.num_rows - 1) + ["USD"]
    index = table.schema.get_field_index("currency")
    write_parquet_atomic(table.set_column(index, "currency", pa.array(currencies)), path)
    success, evaluations = run_checks(
        tmp_path,
        ("campaigns", "SameSeller", "single_currency"),
        ("campaigns", "AnySeller", "single_currency"),
    )
    assert not success
    failed = evaluations[("campaigns_same_seller", "single_currency")]
    assert_failed(failed, ERROR)
    [failure] = failures(failed)
    assert failure["advertiserId"] == ADVERTISER.id
    assert "EUR" in failure["currencies"] and "USD" in failure["currencies"]
    assert evaluations[("campaigns_any_seller", "single_currency")].passed


def test_missing_day_is_named(tmp_path: Path) -> None:
    for day in (DAY, NEXT_DAY):
        for endpoint in ENDPOINTS:
            for policy in POLICIES:
                if (day, endpoint, policy) != (NEXT_DAY, "seller_campaigns", "AnySeller"):
                    write_day(tmp_path, endpoint, policy, day=day, window=(DAY, NEXT_DAY))
    success, evaluations = run_checks(
        tmp_path,
        ("seller_campaigns", "AnySeller", "all_days_loaded"),
        ("seller_campaigns", "SameSeller", "all_days_loaded"),
        end=NEXT_DAY,
    )
    assert not success
    failed = evaluations[("seller_campaigns_any_seller", "all_days_loaded")]
    assert_failed(failed, ERROR)
    assert failures(failed) == [{"advertiserId": ADVERTISER.id, "report_date": "2026-10-26"}]
    assert evaluations[("seller_campaigns_same_seller", "all_days_loaded")].passed


def test_first_day_missing_everywhere_is_named(tmp_path: Path) -> None:
    """No advertiser configured: the advertisers are those found in the lake over the window.

    The first day of the window is missing for every endpoint and policy: the advertiser must
    still be known (from the other days) and its first day named.
    """
    honest_lake(tmp_path)  # DAY only
    success, evaluations = run_checks(
        tmp_path, ("sellers", "AnySeller", "all_days_loaded"), start=DAY - timedelta(days=1)
    )
    assert not success
    failed = evaluations[("sellers_any_seller", "all_days_loaded")]
    assert_failed(failed, ERROR)
    assert failures(failed) == [{"advertiserId": ADVERTISER.id, "report_date": "2026-10-24"}]


def test_configured_advertiser_never_loaded_is_named(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    success, evaluations = run_checks(
        tmp_path,
        ("sellers", "AnySeller", "all_days_loaded"),
        advertiser_ids=(ADVERTISER.id, 8),
    )
    assert not success
    failed = evaluations[("sellers_any_seller", "all_days_loaded")]
    assert failures(failed) == [{"advertiserId": 8, "report_date": "2026-10-25"}]


def test_empty_day_warns_only_while_seller_campaigns_are_active(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_empty_day(tmp_path, "sellers", "AnySeller")
    write_seller_campaigns_snapshot(tmp_path, suspended=False)
    selection = (
        ("sellers", "AnySeller", "non_empty_when_active"),
        ("sellers", "SameSeller", "non_empty_when_active"),
    )
    success, evaluations = run_checks(tmp_path, *selection)
    assert success  # WARN: never blocks
    warned = evaluations[("sellers_any_seller", "non_empty_when_active")]
    assert_failed(warned, WARN)
    assert failures(warned) == [{"advertiserId": ADVERTISER.id, "report_date": "2026-10-25"}]
    assert evaluations[("sellers_same_seller", "non_empty_when_active")].passed

    # every seller-campaign suspended: an empty day is what should happen
    write_seller_campaigns_snapshot(tmp_path, suspended=True)
    success, evaluations = run_checks(tmp_path, *selection)
    assert success and all(e.passed for e in evaluations.values())


def test_policies_disagreeing_beyond_rounding_fail(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_day(tmp_path, "sellers", "SameSeller", extra=Decimal("0.01"))
    success, evaluations = run_checks(
        tmp_path,
        ("sellers", "SameSeller", "policies_agree"),
        ("campaigns", "SameSeller", "policies_agree"),
    )
    assert not success
    failed = evaluations[("sellers_same_seller", "policies_agree")]
    assert_failed(failed, ERROR)
    [failure] = failures(failed)
    assert (failure["report_date"], failure["advertiserId"], failure["sellerId"]) == (
        "2026-10-25",
        ADVERTISER.id,
        11,
    )
    assert Decimal(failure["cost_same"]) - Decimal(failure["cost_any"]) == Decimal("0.01")
    assert evaluations[("campaigns_same_seller", "policies_agree")].passed


def test_same_seller_above_any_seller_fails(tmp_path: Path) -> None:
    """Revenue written as whole units (``190``, as the API writes it): one unit above fails."""
    honest_lake(tmp_path)
    write_day(tmp_path, "sellers", "AnySeller", revenue=Decimal(190))
    write_day(tmp_path, "sellers", "SameSeller", revenue=Decimal(191))
    write_day(tmp_path, "campaigns", "AnySeller", revenue=Decimal(190))
    write_day(tmp_path, "campaigns", "SameSeller", revenue=Decimal(189))  # below: as it should
    success, evaluations = run_checks(
        tmp_path,
        ("sellers", "SameSeller", "same_seller_within_any_seller"),
        ("campaigns", "SameSeller", "same_seller_within_any_seller"),
    )
    assert not success
    failed = evaluations[("sellers_same_seller", "same_seller_within_any_seller")]
    assert_failed(failed, ERROR)
    listed = failures(failed)
    assert sorted(f["sellerId"] for f in listed) == list(range(11, 18))
    revenues = {(Decimal(f["revenue_same"]), Decimal(f["revenue_any"])) for f in listed}
    assert revenues == {(Decimal(191), Decimal(190))}
    assert evaluations[("campaigns_same_seller", "same_seller_within_any_seller")].passed


def test_endpoints_one_cent_apart_fail(tmp_path: Path) -> None:
    honest_lake(tmp_path)
    write_day(tmp_path, "campaigns", "AnySeller", extra=Decimal("0.01"))
    success, evaluations = run_checks(
        tmp_path,
        ("seller_campaigns", "AnySeller", "endpoints_agree"),
        ("seller_campaigns", "SameSeller", "endpoints_agree"),
    )
    assert not success
    failed = evaluations[("seller_campaigns_any_seller", "endpoints_agree")]
    assert_failed(failed, ERROR)
    [failure] = failures(failed)
    assert (failure["report_date"], failure["advertiserId"]) == ("2026-10-25", ADVERTISER.id)
    assert "campaigns: impressions=" in failure["totals"]
    assert evaluations[("seller_campaigns_same_seller", "endpoints_agree")].passed
