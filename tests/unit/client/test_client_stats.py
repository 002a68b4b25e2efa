"""``iter_stats``/``stats``: request parameters, windows, halving, argument checks."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import httpx
import pyarrow as pa
import pytest
from mpo_client_fakes import (
    API_ROOT,
    SELLER_CAMPAIGN_COLUMNS,
    FakeApi,
    json_response,
    make_client,
    problem,
    sc_row,
    stats_body,
)

from mpo_pipeline.client import (
    MpoRateLimitError,
    MpoResponseError,
    MpoServerError,
    StatsWindow,
    stats_schema,
)

D = date.fromisoformat


def serve_days(request: httpx.Request) -> httpx.Response:
    """One row per requested day, like the API."""
    start = D(request.url.params["startDate"])
    end = D(request.url.params["endDate"])
    rows = [sc_row((start + timedelta(days=i)).isoformat()) for i in range((end - start).days + 1)]
    return json_response(stats_body(rows))


def test_request_parameters(api: FakeApi) -> None:
    api.handler = serve_days
    with make_client(api) as client:
        windows = list(
            client.iter_stats(
                "seller_campaigns",
                "SameSeller",
                42,
                D("2026-03-01"),
                D("2026-03-03"),
                time_zone="Europe/Paris",
                rows_per_day=1.0,  # a known small stream: the range in one request
            )
        )
    (request,) = api.requests
    assert request.method == "GET"
    assert request.url.path == f"{API_ROOT}/stats/seller-campaigns"
    assert dict(request.url.params) == {
        "advertiserId": "42",
        "clickAttributionPolicy": "SameSeller",
        "startDate": "2026-03-01",
        "endDate": "2026-03-03",
        "intervalSize": "Day",
        "timeZoneId": "Europe/Paris",
    }
    assert "count" not in request.url.params
    assert request.headers["accept"] == "application/json"
    assert len(windows) == 1
    assert isinstance(windows[0], StatsWindow)
    assert (windows[0].start, windows[0].end) == (D("2026-03-01"), D("2026-03-03"))
    assert windows[0].table.num_rows == 3
    assert windows[0].extra_columns == ()


@pytest.mark.parametrize(
    ("endpoint", "path"), [("sellers", "stats/sellers"), ("campaigns", "stats/campaigns")]
)
def test_endpoint_paths(api: FakeApi, endpoint: str, path: str) -> None:
    api.handler = lambda request: json_response(
        stats_body(
            [],
            [
                *(("sellerId", "sellerName") if endpoint == "sellers" else ("campaignId",)),
                *SELLER_CAMPAIGN_COLUMNS[3:],
            ],
        )
    )
    with make_client(api) as client:
        table = client.stats(endpoint, "AnySeller", 1, D("2026-03-01"), D("2026-03-01"))
    assert api.requests[0].url.path == f"{API_ROOT}/{path}"
    assert table.schema == stats_schema(endpoint)


def test_fixed_windows_of_request_window_days(api: FakeApi) -> None:
    """Without a row budget, windows are fixed: ``request_window_days`` each."""
    api.handler = serve_days
    with make_client(api, request_window_days=10, max_rows_per_request=None) as client:
        windows = list(
            client.iter_stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-25"))
        )
        assert client.metrics.windows == 3
    assert api.windows() == [
        ("2026-03-01", "2026-03-10"),
        ("2026-03-11", "2026-03-20"),
        ("2026-03-21", "2026-03-25"),
    ]
    assert [w.table.num_rows for w in windows] == [10, 10, 5]


def test_iter_stats_is_lazy(api: FakeApi) -> None:
    api.handler = serve_days
    with make_client(api, request_window_days=5) as client:
        iterator = client.iter_stats(
            "seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-20")
        )
        assert api.requests == []
        next(iterator)
        assert len(api.requests) == 1


def test_stats_concatenates_windows(api: FakeApi) -> None:
    api.handler = serve_days
    with make_client(api, request_window_days=7) as client:
        table = client.stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-20"))
    assert table.num_rows == 20
    assert table["day"].to_pylist() == [D("2026-03-01") + timedelta(days=i) for i in range(20)]
    assert table.schema == stats_schema("seller_campaigns")


def test_persistent_503_halves_the_window(api: FakeApi, no_jitter: None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = D(request.url.params["startDate"])
        end = D(request.url.params["endDate"])
        return problem(503) if (end - start).days + 1 > 7 else serve_days(request)

    api.handler = handler
    with make_client(api, max_attempts=2, max_rows_per_request=None) as client:
        windows = list(
            client.iter_stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-31"))
        )
        assert client.metrics.window_splits == 6
        assert client.metrics.windows == 7
    assert api.windows() == [
        ("2026-03-01", "2026-03-31"),
        ("2026-03-01", "2026-03-31"),
        ("2026-03-01", "2026-03-16"),
        ("2026-03-01", "2026-03-16"),
        ("2026-03-01", "2026-03-08"),
        ("2026-03-01", "2026-03-08"),
        ("2026-03-01", "2026-03-04"),
        ("2026-03-05", "2026-03-08"),
        ("2026-03-09", "2026-03-16"),
        ("2026-03-09", "2026-03-16"),
        ("2026-03-09", "2026-03-12"),
        ("2026-03-13", "2026-03-16"),
        ("2026-03-17", "2026-03-31"),
        ("2026-03-17", "2026-03-31"),
        ("2026-03-17", "2026-03-24"),
        ("2026-03-17", "2026-03-24"),
        ("2026-03-17", "2026-03-20"),
        ("2026-03-21", "2026-03-24"),
        ("2026-03-25", "2026-03-31"),
    ]
    assert [(str(w.start), str(w.end)) for w in windows] == [
        ("2026-03-01", "2026-03-04"),
        ("2026-03-05", "2026-03-08"),
        ("2026-03-09", "2026-03-12"),
        ("2026-03-13", "2026-03-16"),
        ("2026-03-17", "2026-03-20"),
        ("2026-03-21", "2026-03-24"),
        ("2026-03-25", "2026-03-31"),
    ]
    assert sum(w.table.num_rows for w in windows) == 31


def test_one_day_window_still_failing_raises(api: FakeApi, no_jitter: None) -> None:
    api.handler = lambda request: problem(500, detail="boom")
    with (
        make_client(api, max_attempts=1, max_rows_per_request=None) as client,
        pytest.raises(MpoServerError) as info,
    ):
        list(client.iter_stats("sellers", "AnySeller", 1, D("2026-03-01"), D("2026-03-04")))
    assert api.windows() == [
        ("2026-03-01", "2026-03-04"),
        ("2026-03-01", "2026-03-02"),
        ("2026-03-01", "2026-03-01"),
    ]
    assert "boom" in str(info.value)
    assert "stats/sellers advertiser 1 window 2026-03-01..2026-03-01" in str(info.value)


def test_rate_limit_is_not_halved(api: FakeApi, no_jitter: None) -> None:
    api.handler = lambda request: problem(429)
    with make_client(api, max_attempts=2) as client, pytest.raises(MpoRateLimitError):
        list(client.iter_stats("sellers", "AnySeller", 1, D("2026-03-01"), D("2026-03-04")))
    assert len(api.requests) == 2


def test_bad_body_is_not_retried_or_halved(api: FakeApi) -> None:
    api.handler = lambda request: json_response(b'{"columns": ["x"], "data": []}')
    with make_client(api) as client, pytest.raises(MpoResponseError, match="missing"):
        client.stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-04"))
    assert len(api.requests) == 1


def test_html_page_with_status_200(api: FakeApi) -> None:
    api.handler = lambda request: httpx.Response(
        200,
        content=b"<html><head><title>Maintenance</title></head></html>",
        headers={"content-type": "text/html"},
    )
    with make_client(api) as client, pytest.raises(MpoResponseError, match="Maintenance"):
        client.stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-04"))


def test_csv_response_accepted(api: FakeApi) -> None:
    body = (
        ",".join(SELLER_CAMPAIGN_COLUMNS) + "\n1,2,007,2026-03-01,10,1,0.5,0,0,0,,0,0\n"
    ).encode()
    api.handler = lambda request: httpx.Response(
        200, content=body, headers={"content-type": "text/csv"}
    )
    with make_client(api) as client:
        table = client.stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-01"))
    assert table["sellerName"].to_pylist() == ["007"]


def test_extra_columns_reported_and_logged_once(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        day = request.url.params["startDate"]
        return json_response(stats_body([[*sc_row(day), 3]], [*SELLER_CAMPAIGN_COLUMNS, "views"]))

    api.handler = handler
    with (
        caplog.at_level(logging.WARNING, logger="mpo_pipeline.client"),
        make_client(api, request_window_days=1) as client,
    ):
        windows = list(
            client.iter_stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-03"))
        )
    assert [w.extra_columns for w in windows] == [("views",)] * 3
    assert [w.table.column_names[-1] for w in windows] == ["views"] * 3
    logged = [r for r in caplog.records if "views" in r.getMessage()]
    assert len(logged) == 1


def test_stats_with_differing_extras_across_windows(api: FakeApi) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        day = request.url.params["startDate"]
        if day == "2026-03-02":
            return json_response(
                stats_body([[*sc_row(day), 3]], [*SELLER_CAMPAIGN_COLUMNS, "views"])
            )
        return json_response(stats_body([sc_row(day)]))

    api.handler = handler
    with make_client(api, request_window_days=1) as client:
        table = client.stats("seller_campaigns", "AnySeller", 1, D("2026-03-01"), D("2026-03-03"))
    assert table["views"].to_pylist() == [None, 3, None]


def test_hour_interval_request(api: FakeApi) -> None:
    columns = [c if c != "day" else "hour" for c in SELLER_CAMPAIGN_COLUMNS]
    api.handler = lambda request: json_response(
        stats_body([sc_row(request.url.params["startDate"] + "T10:00:00")], columns)
    )
    with make_client(api, request_window_days=366) as client:
        windows = client.iter_stats(
            "seller_campaigns",
            "AnySeller",
            1,
            D("2026-03-01"),
            D("2026-04-15"),
            interval="Hour",
            rows_per_day=24.0,  # small: only the API's 31-day limit of Hour cuts the range
        )
        table = pa.concat_tables([w.table for w in windows])
    assert api.windows() == [("2026-03-01", "2026-03-31"), ("2026-04-01", "2026-04-15")]
    assert api.requests[0].url.params["intervalSize"] == "Hour"
    assert table.schema.field("hour").type == pa.timestamp("us")
    assert table["hour"].to_pylist() == [datetime(2026, 3, 1, 10), datetime(2026, 4, 1, 10)]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            ("stats/sellers", "SameSeller", 1, D("2026-03-01"), D("2026-03-02")),
            {},
            "unknown endpoint 'stats/sellers'",
        ),
        (
            ("sellers", "sameseller", 1, D("2026-03-01"), D("2026-03-02")),
            {},
            "unknown clickAttributionPolicy 'sameseller'",
        ),
        (("sellers", "Both", 1, D("2026-03-01"), D("2026-03-02")), {}, "separately"),
        (
            ("sellers", "SameSeller", 1, D("2026-03-01"), D("2026-03-02")),
            {"interval": "Week"},
            "unknown interval 'Week'",
        ),
        (("sellers", "SameSeller", 1, D("2026-03-03"), D("2026-03-02")), {}, "after end"),
        (("sellers", "SameSeller", 0, D("2026-03-01"), D("2026-03-02")), {}, "positive"),
        (("sellers", "SameSeller", 1, "2026-03-01", D("2026-03-02")), {}, "datetime.date"),
        (
            ("sellers", "SameSeller", 1, D("2026-03-01"), D("2026-03-02")),
            {"time_zone": "Mars/Olympus"},
            "IANA",
        ),
        (
            ("sellers", "SameSeller", 1, D("2026-03-01"), D("2026-03-02")),
            {"rows_per_day": -1.0},
            "rows_per_day",
        ),
    ],
)
def test_invalid_arguments(api: FakeApi, args: tuple, kwargs: dict, message: str) -> None:
    with make_client(api) as client, pytest.raises(ValueError, match=message):
        client.iter_stats(*args, **kwargs)  # raised at call time, not at next()
    assert api.requests == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "mpo.test"}, "http"),
        ({"api_version": ""}, "version"),
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"request_window_days": 0}, "request_window_days"),
        ({"request_window_days": 400}, "request_window_days"),
        ({"max_rows_per_request": 0}, "max_rows_per_request"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_calls_per_minute": 0}, "max_calls_per_minute"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_invalid_constructor_arguments(kwargs: dict, message: str) -> None:
    from mpo_pipeline.client import MpoClient

    args = {
        "base_url": "https://mpo.test",
        "api_version": "2026-07",
        "client_id": "id",
        "client_secret": "secret",
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        MpoClient(**args)
