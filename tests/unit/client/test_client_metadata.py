"""Management lists -> Arrow tables with the API's field names (docs/lake.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pyarrow as pa
import pytest
from mpo_client_fakes import API_ROOT, FakeApi, make_client

from mpo_pipeline.client import ENTITIES, MpoResponseError, metadata_schema, parse_metadata


def body(items: object) -> bytes:
    return json.dumps(items).encode()


def test_advertisers() -> None:
    table = parse_metadata(
        body(
            [
                {
                    "id": 12345,
                    "advertiserName": "Example",
                    "currencyName": "EUR",
                    "timeZoneId": "Europe/Paris",
                }
            ]
        ),
        "advertisers",
    )
    assert table.schema == metadata_schema("advertisers")
    assert table.column_names == ["id", "advertiserName", "currencyName", "timeZoneId"]
    assert table.to_pylist() == [
        {
            "id": 12345,
            "advertiserName": "Example",
            "currencyName": "EUR",
            "timeZoneId": "Europe/Paris",
        }
    ]


def test_campaigns() -> None:
    table = parse_metadata(
        body(
            [
                {"id": 168423, "campaignName": "C", "adSetDeliveryStatus": "Running", "status": 0},
                {
                    "id": "168424",
                    "campaignName": "D",
                    "adSetDeliveryStatus": "Archived",
                    "status": None,
                },
            ]
        ),
        "campaigns",
    )
    assert table["id"].to_pylist() == [168423, 168424]
    assert table["status"].to_pylist() == [0, None]
    assert table.schema.field("status").type == pa.int64()


def test_sellers_ids_normalised() -> None:
    table = parse_metadata(
        body(
            [
                {"id": "4300000001", "sellerName": "000123"},
                {"id": 1110225, "sellerName": "MKT-0077"},
            ]
        ),
        "sellers",
    )
    assert table["id"].to_pylist() == [4300000001, 1110225]
    assert table["sellerName"].to_pylist() == ["000123", "MKT-0077"]


def test_seller_campaigns() -> None:
    table = parse_metadata(
        body(
            [
                {
                    "id": "1110222.168423",
                    "sellerId": "1110222",
                    "campaignId": 168423,
                    "bid": 0.15,
                    "suspendedSince": None,
                    "suspensionReasons": None,
                    "productSet": {"productSetNumberOfProducts": None},
                },
                {
                    "id": "1110223.168423",
                    "sellerId": "1110223",
                    "campaignId": 168423,
                    "bid": None,
                    "suspendedSince": "2018-07-30T18:00:13.333",
                    "suspensionReasons": ["NoMoreBudget", "ManuallyStopped"],
                },
                {
                    "id": "1110224.168423",
                    "sellerId": "1110224",
                    "campaignId": 168423,
                    "bid": 0,
                    "suspendedSince": "2021-03-03T15:14:25.7970000+00:00",
                    "suspensionReasons": [],
                },
                {
                    "id": "1110225.168423",
                    "sellerId": "1110225",
                    "campaignId": 168423,
                    "suspendedSince": "2021-03-03T17:14:25+02:00",
                },
            ]
        ),
        "seller_campaigns",
    )
    assert table.schema == metadata_schema("seller_campaigns")
    assert table.schema.field("id").type == pa.string()
    assert table.schema.field("suspendedSince").type == pa.timestamp("us", tz="UTC")
    assert table["sellerId"].to_pylist() == [1110222, 1110223, 1110224, 1110225]
    assert table["bid"].to_pylist() == [0.15, None, 0.0, None]
    assert table["suspendedSince"].to_pylist() == [
        None,
        datetime(2018, 7, 30, 18, 0, 13, 333000, tzinfo=UTC),
        datetime(2021, 3, 3, 15, 14, 25, 797000, tzinfo=UTC),
        datetime(2021, 3, 3, 15, 14, 25, tzinfo=UTC),
    ]
    assert table["suspensionReasons"].to_pylist() == [
        None,
        ["NoMoreBudget", "ManuallyStopped"],
        [],
        None,
    ]
    assert "productSet" not in table.column_names


def test_budgets() -> None:
    table = parse_metadata(
        body(
            [
                {
                    "id": "1759183",
                    "sellerId": "1110222",
                    "campaignIds": [168423, "168424"],
                    "budgetType": "Capped",
                    "amount": 1000.0,
                    "startDate": "2026-01-11",
                    "endDate": "",
                    "isSuspended": False,
                    "spend": 412.37,
                    "status": "Current",
                },
                {
                    "id": 1759184,
                    "sellerId": 1110223,
                    "campaignIds": [],
                    "budgetType": "Daily",
                    "amount": None,
                    "startDate": "2026-01-01T00:00:00",
                    "endDate": "2026-02-01",
                    "isSuspended": True,
                    "spend": None,
                    "status": "Active",
                },
            ]
        ),
        "budgets",
    )
    assert table.schema == metadata_schema("budgets")
    rows = table.to_pylist()
    assert rows[0]["id"] == 1759183 and rows[0]["campaignIds"] == [168423, 168424]
    assert rows[0]["endDate"] is None
    assert rows[1]["startDate"] == date(2026, 1, 1) and rows[1]["endDate"] == date(2026, 2, 1)
    assert rows[1]["status"] == "Active"  # unknown status strings accepted
    assert table.schema.field("campaignIds").type == pa.list_(pa.int64())


@pytest.mark.parametrize("entity", ENTITIES)
def test_empty_arrays_give_empty_tables(entity: str) -> None:
    table = parse_metadata(b"[]", entity)
    assert table.num_rows == 0
    assert table.schema == metadata_schema(entity)


@pytest.mark.parametrize(
    ("payload", "entity", "message"),
    [
        (b"{not json", "sellers", "not valid JSON"),
        (b'{"errors": []}', "sellers", "expected a JSON array"),
        (b"<html><title>x</title></html>", "sellers", "HTML page"),
        (body([1]), "sellers", "row 0 is not an object"),
        (body([{"sellerName": "x"}]), "sellers", "row 0: field 'id' is missing"),
        (body([{"id": "x1", "sellerName": "x"}]), "sellers", "row 0, field 'id'"),
        (
            body([{"id": 1, "sellerId": 2, "campaignIds": "1", "amount": 1}]),
            "budgets",
            "field 'campaignIds'",
        ),
        (body([{"id": 1, "sellerId": 2, "startDate": "someday"}]), "budgets", "field 'startDate'"),
        (body([{"id": 1, "sellerId": 2, "isSuspended": "no"}]), "budgets", "field 'isSuspended'"),
        (
            body([{"id": "1.2", "sellerId": 1, "campaignId": 2, "bid": "high"}]),
            "seller_campaigns",
            "field 'bid'",
        ),
    ],
)
def test_bad_metadata(payload: bytes, entity: str, message: str) -> None:
    with pytest.raises(MpoResponseError, match=message) as info:
        parse_metadata(payload, entity, "advertiser 7")
    assert entity in str(info.value)


def test_client_metadata_paths(api: FakeApi) -> None:
    seen: list[tuple[str, dict[str, str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path.removeprefix(API_ROOT), dict(request.url.params)))
        return httpx.Response(200, json=[])

    api.handler = handler
    with make_client(api) as client:
        assert client.advertisers().schema == metadata_schema("advertisers")
        assert client.campaigns(7).schema == metadata_schema("campaigns")
        assert client.sellers(7).schema == metadata_schema("sellers")
        assert client.seller_campaigns(7).schema == metadata_schema("seller_campaigns")
        assert client.budgets(7).schema == metadata_schema("budgets")
        client.budgets(7, end_after_date=date(2025, 1, 1))
        with pytest.raises(ValueError, match="positive"):
            client.sellers(-1)
    assert seen == [
        ("/advertisers", {}),
        ("/advertisers/7/campaigns", {}),
        ("/sellers", {"advertiserId": "7"}),
        ("/seller-campaigns", {"advertiserId": "7"}),
        ("/budgets", {"advertiserId": "7"}),
        ("/budgets", {"advertiserId": "7", "endAfterDate": "2025-01-01"}),
    ]
