"""Every download shape lands the same rows or fails naming its shape; one redirect, no token.

The expected table is the plain CSV below parsed on its own; each shape wraps the very same file.
"""

from __future__ import annotations

import base64
import gzip
import json

import httpx
import pytest
from rt_client_helpers import (
    CLIENT_SECRET,
    ROWS,
    STORAGE_HOST,
    TOKEN_PREFIX,
    FakeRealtimeApi,
    csv_file,
    job,
    json_rows,
    make_client,
    request,
)
from support.clocks import FakeClock

from mpo_pipeline.client import MpoResponseError, RealtimeReportRequest
from mpo_pipeline.client.realtime_result import parse_realtime_report_shape

REQUEST = RealtimeReportRequest(advertiser_ids=(41111,), lookback_minutes=60, currency="EUR")
NO_NAMES = RealtimeReportRequest(
    advertiser_ids=(41111,),
    lookback_minutes=60,
    currency="EUR",
    dimensions=("AdvertiserId", "CampaignId", "SellerId", "Day", "Hour", "Minute"),
    metrics=("Clicks", "Cost"),
)
CSV = (
    b"AdvertiserId,CampaignId,SellerId,SellerName,Day,Hour,Minute,Clicks,Displays,Cost\r\n"
    b"41111,168001,5010000001,0042017,2026-03-01,11,58,2,30,0.84\r\n"
    b"41111,168002,5010000002,MKT-00001,2026-03-01,11,59,0,7,0\r\n"
)
JSON = json.dumps(ROWS).encode()
NDJSON = b"".join(json.dumps(row).encode() + b"\n" for row in ROWS)


def _gzip(file: bytes) -> bytes:
    return gzip.compress(file, mtime=0)  # the same bytes on every run: stable test ids


def _wrapped(file: bytes, encode: bool = True) -> bytes:
    attributes = base64.b64encode(file).decode() if encode else file.decode()
    body = {"data": {"type": "FileStreamResult", "attributes": attributes}, "errors": []}
    return json.dumps({**body, "warnings": []}).encode()


def _expected() -> list[dict]:
    table, _, shape = parse_realtime_report_shape(CSV, "text/csv", REQUEST)
    assert shape == "csv" and table.num_rows == 2
    return table.to_pylist()


@pytest.mark.parametrize(
    ("content", "content_type", "shape"),
    [
        (JSON, "application/json", "json"),
        (_gzip(CSV), "application/gzip", "gzip csv"),
        (_gzip(JSON), "application/octet-stream", "gzip json"),
        (_wrapped(CSV), "application/json", "oas-wrapper csv"),
        (_wrapped(JSON), "application/json; charset=utf-8", "oas-wrapper json"),
        (_wrapped(CSV, encode=False), "application/json", "oas-wrapper csv"),
        (_wrapped(_gzip(CSV)), "application/json", "oas-wrapper gzip csv"),
        (NDJSON, "application/x-ndjson", "ndjson"),
        (NDJSON, "application/json", "ndjson"),  # NDJSON sent under the JSON media type
        (NDJSON, None, "ndjson"),
    ],
    ids=[
        "json",
        "gzip-csv",
        "gzip-json-octet-stream",
        "oas-wrapper-base64-csv",
        "oas-wrapper-base64-json",
        "oas-wrapper-text-csv",
        "oas-wrapper-gzip-csv",
        "ndjson",
        "ndjson-as-json",
        "ndjson-no-type",
    ],
)
def test_each_shape_lands_the_same_rows(
    content: bytes, content_type: str | None, shape: str
) -> None:
    table, extras, found = parse_realtime_report_shape(content, content_type, REQUEST, "x", 2)
    assert found == shape and extras == ()
    assert table.to_pylist() == _expected()


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"\x1f\x8b\x08\x00broken", "application/gzip", r"gzip stream is corrupt.*shape: gzip"),
        (NDJSON + b"{oops\n", "application/x-ndjson", r"line 3 of the NDJSON.*shape: ndjson"),
        (_wrapped(b"AdvertiserId\r\n1\r\n"), "application/json", r"missing.*oas-wrapper csv"),
    ],
    ids=["gzip", "ndjson", "oas-wrapper"],
)
def test_a_broken_shape_fails_naming_it(content: bytes, content_type: str, message: str) -> None:
    with pytest.raises(MpoResponseError, match=message):
        parse_realtime_report_shape(content, content_type, REQUEST, "real-time export x")


def test_rows_count_is_checked_inside_any_shape() -> None:
    with pytest.raises(MpoResponseError, match=r"rows_count=5 but the file has 2.*gzip csv"):
        parse_realtime_report_shape(_gzip(CSV), "application/gzip", REQUEST, "x", 5)


def test_a_stated_currency_must_be_the_requested_one() -> None:
    stated = (
        b"AdvertiserId,CampaignId,SellerId,Day,Hour,Minute,Clicks,Cost,Currency\r\n"
        b"41111,168001,5010000001,2026-03-01,11,58,2,84,JPY\r\n"
        b"41111,168002,5010000002,2026-03-01,11,59,0,0,JPY\r\n"
    )
    with pytest.raises(MpoResponseError, match=r"currency EUR was requested.*states JPY"):
        parse_realtime_report_shape(stated, "text/csv", NO_NAMES)
    same = stated.replace(b"JPY", b"eur")
    table, extras, _ = parse_realtime_report_shape(same, "text/csv", NO_NAMES)
    assert extras == ("Currency",) and table.num_rows == 2


def _storage(status: int, location: str | None = None, content: bytes = b"") -> httpx.Response:
    headers = {"location": location} if location else {}
    if content:
        headers["content-type"] = "text/csv"
    return httpx.Response(status, headers=headers, content=content)


SIGNED = f"https://{STORAGE_HOST}/exports/x.csv?X-Signature=sig-VERY-secret"


def test_one_redirect_is_followed_without_the_token(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Done", message="rows_count=2"))
    api.script("download", _storage(302, SIGNED))
    api.script("storage", csv_file(CSV.decode()))
    with make_client(api, clock) as client:
        export = client.run_export(request())
    (fetched,) = api.paths("storage")
    assert "authorization" not in fetched.headers
    assert fetched.url.params["X-Signature"] == "sig-VERY-secret"
    assert export.redirected and export.shape == "csv" and export.table.num_rows == 2


def test_a_second_redirect_fails_without_leaking_the_signature(
    api: FakeRealtimeApi, clock: FakeClock
) -> None:
    api.script("create", job("Done"))
    api.script("download", _storage(302, SIGNED))
    api.script("storage", _storage(307, SIGNED + "&again=1"))
    with make_client(api, clock) as client, pytest.raises(MpoResponseError) as info:
        client.run_export(request())
    text = str(info.value)
    assert "redirected again (HTTP 307)" in text and "only one redirect" in text
    assert f"https://{STORAGE_HOST}/exports/x.csv" in text and "sig-VERY-secret" not in text
    assert CLIENT_SECRET not in text and TOKEN_PREFIX not in text


def test_a_redirect_without_location_names_it(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Done"))
    api.script("download", _storage(302))
    with make_client(api, clock) as client, pytest.raises(MpoResponseError, match="nowhere"):
        client.run_export(request())


def test_plain_json_download_is_not_redirected(api: FakeRealtimeApi, clock: FakeClock) -> None:
    api.script("create", job("Done"))
    api.script("download", json_rows(ROWS))
    with make_client(api, clock) as client:
        export = client.run_export(request())
    assert not export.redirected and export.shape == "json" and api.paths("storage") == []
