"""The generated world: ids, names, currencies, zones, spans and the odd cases it must contain."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from mpo_pipeline.simulator import GroundTruth, SimulatorConfig
from mpo_pipeline.simulator.world import OPEN_END

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def truth() -> GroundTruth:
    return GroundTruth(SimulatorConfig(today=TODAY))


def test_default_demo_advertisers(truth):
    ads = truth.advertisers()
    assert ads == [
        {
            "id": 41111,
            "advertiserName": "Demo Marketplace FR",
            "currencyName": "EUR",
            "timeZoneId": "Europe/Paris",
        },
        {
            "id": 42222,
            "advertiserName": "Demo Marketplace JP",
            "currencyName": "JPY",
            "timeZoneId": "Asia/Tokyo",
        },
    ]
    assert truth.world.data_start <= (date(2025, 1, 1) - date(1970, 1, 1)).days


def test_seller_ids_exceed_32_bits_and_names_stay_text(truth):
    sellers = [s for a in truth.advertisers() for s in truth.sellers(a["id"])]
    assert all(isinstance(s["id"], str) and int(s["id"]) > 2**32 for s in sellers)
    names = [s["sellerName"] for s in sellers]
    assert any(n.startswith("MKT-") for n in names)
    assert any(n.isdigit() and n.startswith("0") for n in names)
    assert len({s["id"] for s in sellers}) == len(sellers)


def test_same_seller_name_under_two_advertisers_has_two_ids(truth):
    a, b = (truth.sellers(x["id"]) for x in truth.advertisers())
    ids_a = {s["sellerName"]: s["id"] for s in a}
    shared = [s for s in b if s["sellerName"] in ids_a]
    assert len(shared) > 50
    assert all(ids_a[s["sellerName"]] != s["id"] for s in shared)


def test_stats_types_and_names(truth):
    t = truth.stats("seller_campaigns", "AnySeller", 41111, date(2026, 11, 1), date(2026, 11, 3))
    assert t.column_names == [
        "campaignId",
        "sellerId",
        "sellerName",
        "day",
        "impressions",
        "clicks",
        "cost",
        "saleUnits",
        "revenue",
        "cr",
        "cpo",
        "cos",
        "roas",
    ]
    types = {f.name: str(f.type) for f in t.schema}
    assert types["sellerId"] == "int64" and types["sellerName"] == "string"
    assert types["day"] == "date32[day]" and types["cost"] == "decimal128(38, 9)"
    assert types["revenue"] == "decimal128(38, 9)" and types["roas"] == "double"
    assert types["impressions"] == types["saleUnits"] == "int64"
    hours = truth.stats(
        "campaigns", "Both", 41111, date(2026, 11, 1), date(2026, 11, 1), interval="Hour"
    )
    assert str(hours.schema.field("hour").type) == "timestamp[us]"
    assert len(hours.column_names) == 2 + 3 + 12


def _decimals(value) -> int:  # type: ignore[no-untyped-def]
    """Digits after the point of a Decimal, trailing zeros ignored."""
    return max(0, -value.normalize().as_tuple().exponent)


def test_profiles_order_and_currencies():
    truth = GroundTruth(SimulatorConfig(advertisers=5, campaigns=2, sellers=20, today=TODAY))
    assert [(a["id"], a["currencyName"], a["timeZoneId"]) for a in truth.advertisers()] == [
        (41111, "EUR", "Europe/Paris"),
        (42222, "JPY", "Asia/Tokyo"),
        (43333, "USD", "America/New_York"),
        (44444, "GBP", "Europe/London"),
        (45555, "BRL", "America/Sao_Paulo"),
    ]


@pytest.mark.parametrize(("advertiser", "revenue_decimals"), [(42222, 0), (41111, 2)])
def test_revenue_in_minor_units_and_cost_to_six_decimals(truth, advertiser, revenue_decimals):
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    t = truth.stats("seller_campaigns", "AnySeller", advertiser, start, end).to_pydict()
    assert len(t["cost"]) > 1000
    revenue = [_decimals(v) for v in t["revenue"]]
    assert max(revenue) == revenue_decimals  # JPY: whole yen; EUR: cents
    costs = [(v, _decimals(v)) for v in t["cost"]]
    assert max(d for v, d in costs if v >= Decimal("0.001")) == 6
    assert sum(d == 6 for _, d in costs) > len(costs) // 2  # most costs use all six decimals
    assert all(d <= 9 for _, d in costs)


def test_spans_clicks_without_sales_and_empty_days(truth):
    adv = truth.world.advertisers[0]
    assert (adv.sc_end != OPEN_END).any() and (adv.sc_start > truth.world.data_start).any()
    t = truth.stats("seller_campaigns", "AnySeller", adv.id, date(2026, 10, 1), date(2026, 10, 31))
    rows = t.to_pylist()
    assert any(r["clicks"] > 0 and r["saleUnits"] == 0 for r in rows)
    # Some local days of an advertiser are empty while its seller-campaigns run.
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    days = truth.stats("campaigns", "AnySeller", adv.id, start, end)
    seen = set(days["day"].to_pylist())
    empty = [start + timedelta(days=i) for i in range(365) if start + timedelta(days=i) not in seen]
    assert empty, "expected some empty days"
    assert all(truth.active_seller_campaigns(adv.id, d) == 0 for d in empty)
    assert all(truth.active_seller_campaigns(adv.id, d) > 0 for d in sorted(seen)[:20])


def test_metadata_objects(truth):
    sc = truth.seller_campaigns(41111)
    assert {o["id"] for o in sc} == {f"{o['sellerId']}.{o['campaignId']}" for o in sc}
    assert any(o["suspendedSince"] is None for o in sc)
    assert any(o["suspensionReasons"] for o in sc)
    campaigns = truth.campaigns(41111)
    assert all(isinstance(c["id"], int) and c["status"] in (0, 1, 2) for c in campaigns)
    current = truth.budgets(41111)
    history = truth.budgets(41111, end_after_date=date(2024, 1, 1))
    assert len(history) > len(current) > 0
    assert all(b["endDate"] == "" or b["endDate"] >= TODAY.isoformat() for b in current)
    assert {b["status"] for b in history} >= {"Archived", "Current"}
    assert all(isinstance(b["id"], str) and isinstance(b["campaignIds"][0], int) for b in history)


def test_empty_rows_are_configurable():
    cfg = SimulatorConfig(advertisers=1, campaigns=2, sellers=10, today=TODAY)
    start, end = date(2024, 6, 25), date(2024, 7, 10)  # around the first day of data
    dropped = GroundTruth(cfg).stats("seller_campaigns", "AnySeller", None, start, end)
    kept = GroundTruth(cfg.with_(drop_empty_rows=False)).stats(
        "seller_campaigns", "AnySeller", None, start, end
    )
    assert kept.num_rows > dropped.num_rows
    empty = [r for r in kept.to_pylist() if not (r["impressions"] or r["clicks"] or r["cost"])]
    assert empty and all(r["saleUnits"] == 0 and r["cr"] is None for r in empty)
