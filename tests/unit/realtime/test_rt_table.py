"""Export bytes → typed Arrow table: CSV/JSON by Content-Type, names matched ignoring case."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from mpo_pipeline.client import (
    MpoResponseError,
    RealtimeReportRequest,
    parse_realtime_report,
    realtime_schema,
)
from mpo_pipeline.client.realtime_result import promised_rows

REQUEST = RealtimeReportRequest(advertiser_ids=(41111,), lookback_minutes=60)
CSV = (
    "AdvertiserId,CampaignId,SellerId,SellerName,Day,Hour,Minute,Clicks,Displays,Cost,Device\r\n"
    "41111,168001,5010000001,0042017,2026-03-01,11,58,2,30,0.84,mobile\r\n"
    "41111,168002,5010000002,MKT-00001,2026-03-01,11,59,0,7,,desktop\r\n"
)


def test_csv_is_typed_and_extra_columns_kept() -> None:
    table, extras = parse_realtime_report(CSV.encode(), "text/csv; charset=utf-8", REQUEST)
    assert table.schema.equals(
        pa.schema([*realtime_schema(REQUEST.dimensions, REQUEST.metrics), ("Device", pa.string())])
    )
    first, second = table.to_pylist()
    assert first["sellerName"] == "0042017"  # leading zero kept: text
    assert first["sellerId"] == 5010000001 and first["clicks"] == 2 and first["cost"] == 0.84
    assert first["day"] == date(2026, 3, 1) and (first["hour"], first["minute"]) == (11, 58)
    assert first["interval_start"] == datetime(2026, 3, 1, 11, 58, tzinfo=UTC)
    assert second["cost"] is None and extras == ("Device",)


def test_json_with_other_casing_gives_the_same_table() -> None:
    csv_table, _ = parse_realtime_report(CSV.encode(), "text/csv", REQUEST)
    rows = [
        {k.lower() if i % 2 else k[0].lower() + k[1:]: v for i, (k, v) in enumerate(r.items())}
        for r in [
            {
                "AdvertiserId": 41111,
                "CampaignId": 168001,
                "SellerId": 5010000001,
                "SellerName": "0042017",
                "Day": "2026-03-01",
                "Hour": 11,
                "Minute": 58,
                "Clicks": 2,
                "Displays": 30,
                "Cost": 0.84,
                "Device": "mobile",
            },
            {
                "AdvertiserId": 41111,
                "CampaignId": 168002,
                "SellerId": 5010000002,
                "SellerName": "MKT-00001",
                "Day": "2026-03-01",
                "Hour": 11,
                "Minute": 59,
                "Clicks": 0,
                "Displays": 7,
                "Cost": None,
                "Device": "desktop",
            },
        ]
    ]
    table, extras = parse_realtime_report(json.dumps(rows).encode(), "application/json", REQUEST)
    assert table.drop_columns([extras[0]]).equals(csv_table.drop_columns(["Device"]))


def test_columns_data_shape_and_timestamp_hours() -> None:
    body = (
        b'{"columns": ["advertiserId", "campaignId", "sellerId", "sellerName", "day", "hour",'
        b' "minute", "clicks", "displays", "cost"], "data": [[41111, 1, 2, "a", "2026-03-29",'
        b' "2026-03-29T01:00:00", "2026-03-29T01:30:00", 1, 2, 3.5]]}'
    )
    paris = RealtimeReportRequest(advertiser_ids=(1,), time_zone="Europe/Paris")
    table, _ = parse_realtime_report(body, "application/json", paris)
    row = table.to_pylist()[0]
    assert (row["hour"], row["minute"]) == (1, 30)
    # 01:30 in Paris on the DST day (still +01:00) is 00:30 UTC.
    assert row["interval_start"] == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_empty_exports_keep_the_schema() -> None:
    for content, kind, promised in (
        (b"", "text/csv", 0),  # zero bytes only when the job said it has no rows
        (b"[]", "application/json", None),
        (b"[]", "application/json", 0),
        (b'{"columns": ["advertiserId"], "data": []}', "application/json", 0),
    ):
        table, extras = parse_realtime_report(content, kind, REQUEST, promised=promised)
        assert table.num_rows == 0 and extras == ()
        assert table.schema.equals(realtime_schema(REQUEST.dimensions, REQUEST.metrics))


@pytest.mark.parametrize("promised", [None, 3])
def test_empty_download_where_rows_were_promised_fails(promised: int | None) -> None:
    with pytest.raises(MpoResponseError, match=r"real-time export x-1: the download is empty"):
        parse_realtime_report(b"", "text/csv", REQUEST, "real-time export x-1", promised)


def test_row_count_must_match_the_jobs_promise() -> None:
    with pytest.raises(MpoResponseError, match="rows_count=5 but the file has 2 rows"):
        parse_realtime_report(CSV.encode(), "text/csv", REQUEST, "real-time export x-2", 5)
    table, _ = parse_realtime_report(CSV.encode(), "text/csv", REQUEST, promised=2)
    assert table.num_rows == 2


@pytest.mark.parametrize("row", [[1, 2], [1, 2, 3, 4], "1,2,3"])
def test_json_row_of_the_wrong_length_fails_naming_the_export(row: object) -> None:
    body = json.dumps({"columns": ["AdvertiserId", "Clicks", "Cost"], "data": [[1, 2, 3], row]})
    with pytest.raises(MpoResponseError, match=r"real-time export x-3: row 1 has .* 3 columns"):
        parse_realtime_report(body.encode(), "application/json", REQUEST, "real-time export x-3")


def test_promised_rows_read_from_the_job_message() -> None:
    assert promised_rows("rows_count=42") == 42
    assert promised_rows("Export done, rows_count: 7.") == 7
    assert promised_rows("done") is None and promised_rows(None) is None


@pytest.mark.parametrize(
    ("content", "kind", "message"),
    [
        (b"AdvertiserId,Clicks\r\n1,2\r\n", "text/csv", "missing"),
        (CSV.replace(",2,30,", ",two,30,").encode(), "text/csv", "'Clicks' is not int"),
        (CSV.replace(",11,58,", ",25,58,").encode(), "text/csv", "'Hour' is not hour"),
        (b"<html>oops</html>", "text/html", "unexpected Content-Type"),
        (b"{not json", "application/json", "not valid JSON"),
        (b'{"rows": 3}', "application/json", "neither a list of rows"),
    ],
)
def test_bad_exports_fail_loudly(content: bytes, kind: str, message: str) -> None:
    with pytest.raises(MpoResponseError, match=message):
        parse_realtime_report(content, kind, REQUEST)


def test_content_type_missing_is_sniffed() -> None:
    table, _ = parse_realtime_report(CSV.encode(), None, REQUEST)
    assert table.num_rows == 2
