"""The two real-time checks, run by Dagster on a warehouse holding the ``ops`` tables they read:
they warn (WARN, never blocking) naming exactly the seller-campaigns that went dark or overpace,
and pass when there are none.

The ops tables are built with the columns the models document (``models/ops/_ops.yml``), so a
check reading a column the model does not have fails here; the rows are hand-written.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from mpo_pipeline.defs.monitoring.checks import (
    no_seller_campaign_overpacing,
    no_seller_campaign_went_dark,
)
from mpo_pipeline.defs.monitoring.dbt_ops import ops_model_key
from mpo_pipeline.defs.resources import WarehouseResource

OPS_YAML = Path(__file__).parents[3] / "dbt_project" / "models" / "ops" / "_ops.yml"
TYPES = {
    "advertiser_id": "bigint",
    "campaign_id": "bigint",
    "seller_id": "bigint",
    "clicks_before": "bigint",
    "hourly_run_rate": "decimal(18, 4)",
    "budget_remaining": "decimal(18, 4)",
    "hours_to_exhaust": "double",
    "is_overpacing": "boolean",
    "dark_since": "timestamp",
}
CHECKS = (no_seller_campaign_went_dark, no_seller_campaign_overpacing)


def documented_columns(model: str) -> list[str]:
    models = yaml.safe_load(OPS_YAML.read_text())["models"]
    [spec] = [m for m in models if m["name"] == model]
    return [c["name"] for c in spec["columns"]]


def create_table(con: duckdb.DuckDBPyConnection, model: str, rows: list[dict]) -> None:
    """``ops.<model>`` with its documented columns; unnamed values are NULL."""
    columns = documented_columns(model)
    con.execute(
        f"create table ops.{model} ("
        + ", ".join(f"{c} {TYPES.get(c, 'varchar')}" for c in columns)
        + ")"
    )
    for row in rows:
        assert set(row) <= set(columns), set(row) - set(columns)
        names = list(row)
        con.execute(
            f"insert into ops.{model} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
            [row[n] for n in names],
        )


def seller_campaign(campaign: int, seller: int, **values: object) -> dict:
    return {
        "advertiser_id": 7,
        "campaign_id": campaign,
        "seller_id": seller,
        "seller_name": f"S{seller}",
        **values,
    }


def run_checks(
    warehouse: Path, went_dark: list[dict], pace: list[dict]
) -> tuple[bool, dict[str, dg.AssetCheckEvaluation]]:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema ops")
        create_table(con, "ops_went_dark", went_dark)
        create_table(con, "ops_seller_campaign_pace", pace)
    models = [dg.AssetSpec(ops_model_key(m)) for m in ("ops_went_dark", "ops_seller_campaign_pace")]
    result = dg.materialize(
        [*models, *CHECKS],
        selection=dg.AssetSelection.checks(*CHECKS),
        resources={"warehouse": WarehouseResource(database=str(warehouse))},
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {"no_seller_campaign_went_dark", "no_seller_campaign_overpacing"}
    return result.success, evaluations


def listed(evaluation: dg.AssetCheckEvaluation) -> list[tuple[int, int]]:
    rows = evaluation.metadata["seller_campaigns"].value
    assert evaluation.metadata["count"].value == len(rows)
    return [(int(r["campaign_id"]), int(r["seller_id"])) for r in rows]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def test_nothing_dark_nor_overpacing_passes(warehouse: Path) -> None:
    pace = [
        seller_campaign(1, 11, is_overpacing=False, hours_to_exhaust=80.0),
        seller_campaign(1, 12, is_overpacing=False, hours_to_exhaust=None),
    ]
    success, evaluations = run_checks(warehouse, went_dark=[], pace=pace)
    assert success
    for evaluation in evaluations.values():
        assert evaluation.passed and listed(evaluation) == []


def test_dark_and_overpacing_seller_campaigns_are_named_in_a_warning(warehouse: Path) -> None:
    went_dark = [
        seller_campaign(1, 11, clicks_before=4, dark_since="2026-10-25 10:00:00"),
        seller_campaign(2, 12, clicks_before=9, dark_since="2026-10-25 10:00:00"),
    ]
    pace = [
        seller_campaign(1, 11, is_overpacing=True, hours_to_exhaust=None, hourly_run_rate=3),
        seller_campaign(1, 12, is_overpacing=False, hours_to_exhaust=2.0, hourly_run_rate=5),
        seller_campaign(2, 13, is_overpacing=True, hours_to_exhaust=3.5, budget_remaining=7),
    ]
    success, evaluations = run_checks(warehouse, went_dark=went_dark, pace=pace)
    assert success  # WARN: a human looks, nothing stops
    dark = evaluations["no_seller_campaign_went_dark"]
    assert not dark.passed and dark.severity == dg.AssetCheckSeverity.WARN
    assert listed(dark) == [(2, 12), (1, 11)]  # the busiest first
    assert dark.description == "2 seller-campaign(s) went dark (no click in the last hour)"
    over = evaluations["no_seller_campaign_overpacing"]
    assert not over.passed and over.severity == dg.AssetCheckSeverity.WARN
    assert listed(over) == [(2, 13), (1, 11)]  # the soonest exhausted first; 12 is on pace
    assert over.metadata["seller_campaigns"].value[0]["budget_remaining"] == "7.0000"
