"""HTTP contract of the simulator over loopback: statuses, envelopes, headers, shapes, truth."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import httpx
import pytest

from mpo_pipeline.simulator import RunningSimulator

pytestmark = pytest.mark.integration

ADV = 41111
WINDOW = {"advertiserId": ADV, "startDate": "2026-11-01", "endDate": "2026-11-03"}
PROBLEM_KEYS = {"traceId", "traceIdentifier", "type", "code", "instance", "title", "detail"}
SIX_DECIMALS = re.compile(r"\d+\.\d{5}[1-9]")
EXPONENT = re.compile(r"[1-9](\.\d{0,2}[1-9])?E-\d+")  # 4 significant digits at most
FIXED = re.compile(r"(0|[1-9]\d*)(\.\d{0,5}[1-9])?")  # shortest form, at most 6 decimals
WHOLE = re.compile(r"0|[1-9]\d*")


def _exact(response: httpx.Response) -> dict:
    """The JSON body with non-integer numbers read exactly, as ``Decimal``."""
    return json.loads(response.text, parse_float=Decimal)


def _texts(response: httpx.Response) -> dict:
    """The JSON body with every number kept as its text on the wire."""
    return json.loads(response.text, parse_float=str, parse_int=str)


def _problem(response: httpx.Response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors", "warnings"} and body["warnings"] == []
    (problem,) = body["errors"]
    assert set(problem) == PROBLEM_KEYS and problem["type"] == type_
    assert problem["instance"] == response.request.url.path
    return problem


def _as_served(table) -> list[list]:
    """Truth rows as the JSON the API would serve (dates as strings, floats as exact decimals)."""
    cols = table.to_pydict()
    rows = []
    for i in range(table.num_rows):
        row = []
        for name in table.column_names:
            v = cols[name][i]
            if name == "hour":
                v = v.strftime("%Y-%m-%dT%H:%M:%S")
            elif isinstance(v, date):
                v = v.isoformat()
            elif isinstance(v, float):
                v = Decimal(repr(v))  # the ratio's shortest text
            row.append(v)
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("endpoint", "policy", "interval", "zone"),
    [
        ("seller_campaigns", "SameSeller", "Day", None),
        ("sellers", "AnySeller", "Day", "UTC"),
        ("campaigns", "Both", "Month", "America/New_York"),
        ("campaigns", "AnySeller", "Hour", "Asia/Kolkata"),
        ("seller_campaigns", "Both", "Year", "Europe/Paris"),
    ],
)
def test_served_json_equals_truth(api, sim: RunningSimulator, endpoint, policy, interval, zone):
    params = {**WINDOW, "clickAttributionPolicy": policy, "intervalSize": interval}
    if zone:
        params["timeZoneId"] = zone
    response = api.get("/stats/" + endpoint.replace("_", "-"), params=params)
    assert response.status_code == 200, response.text
    body = _exact(response)
    truth = sim.truth.stats(
        endpoint,
        policy,
        ADV,
        date(2026, 11, 1),
        date(2026, 11, 3),
        interval=interval,
        time_zone=zone,
    )
    assert body["columns"] == truth.column_names
    assert body["rows"] == len(body["data"]) == truth.num_rows > 0
    assert body["data"] == _as_served(truth)
    assert body["links"] == {}


def test_column_order_types_and_nulls(api):
    body = api.get("/stats/seller-campaigns", params=WINDOW).json()
    assert body["columns"] == [
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
    rows = [dict(zip(body["columns"], r, strict=True)) for r in body["data"]]
    assert all(isinstance(r["campaignId"], int) and isinstance(r["sellerId"], int) for r in rows)
    assert all(r["sellerId"] > 2**32 and isinstance(r["sellerName"], str) for r in rows)
    assert any(r["sellerName"].startswith("0") for r in rows)
    assert all(isinstance(r["day"], str) and len(r["day"]) == 10 for r in rows)
    assert all(isinstance(r[m], int) for r in rows for m in ("impressions", "clicks", "saleUnits"))
    no_sales = [r for r in rows if r["saleUnits"] == 0]
    assert no_sales and all(r["cpo"] is None for r in no_sales)
    assert all(r["cr"] == (None if r["clicks"] == 0 else 0.0) for r in no_sales)
    assert any(r["clicks"] > 0 for r in no_sales)  # clicks without sales
    assert [r["day"] for r in rows] == sorted(r["day"] for r in rows)


def test_defaults_are_anyseller_day_today(api, sim):
    body = api.get("/stats/campaigns", params={"advertiserId": ADV}).json()
    assert body["columns"][1] == "day" and "saleUnits" in body["columns"]
    assert {r[1] for r in body["data"]} == {sim.today.isoformat()}


def test_both_policy_columns(api):
    cols = api.get("/stats/sellers", params={**WINDOW, "clickAttributionPolicy": "Both"}).json()[
        "columns"
    ]
    assert cols[3:] == [
        "impressions",
        "clicks",
        "cost",
        "saleUnitsSameSeller",
        "revenueSameSeller",
        "crSameSeller",
        "cpoSameSeller",
        "cosSameSeller",
        "roasSameSeller",
        "saleUnitsAnySeller",
        "revenueAnySeller",
        "crAnySeller",
        "cpoAnySeller",
        "cosAnySeller",
        "roasAnySeller",
    ]


def test_csv_output(api):
    params = {"startDate": "2026-11-01", "endDate": "2026-11-02", "intervalSize": "Hour"}
    json_body = _texts(api.get("/stats/seller-campaigns", params=params))
    response = api.get("/stats/seller-campaigns", params=params, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == json_body["columns"] and len(rows) - 1 == int(json_body["rows"])
    # The very same text for every value, money included; nulls are empty cells.
    assert rows[1:] == [["" if v is None else v for v in r] for r in json_body["data"]]
    assert any("" in r for r in rows[1:])
    assert any(EXPONENT.fullmatch(r[6]) for r in rows[1:])


@pytest.mark.parametrize("interval", ["Hour", "Day", "Month"])
def test_money_text_on_the_wire(api, sim: RunningSimulator, interval):
    """Cost with six decimals or, below 0.001, four significant digits in exponent notation;
    revenue exact in minor units (whole yen for JPY); each equal to the truth."""
    params = {  # no advertiserId: both advertisers, EUR and JPY
        "startDate": "2026-11-01",
        "endDate": "2026-11-03" if interval == "Hour" else "2026-11-19",
        "intervalSize": interval,
        "clickAttributionPolicy": "Both",
    }
    response = api.get("/stats/seller-campaigns", params=params)
    assert response.status_code == 200, response.text
    body = _texts(response)
    col = {name: i for i, name in enumerate(body["columns"])}
    rows = body["data"]
    costs = [r[col["cost"]] for r in rows]
    assert all(FIXED.fullmatch(c) or EXPONENT.fullmatch(c) for c in costs)
    assert sum(bool(SIX_DECIMALS.fullmatch(c)) for c in costs) > len(costs) // 2
    if interval != "Month":
        # Raw bytes: a cost (7th value of a row) written like 8.308E-6.
        raw = rb'\[\d+,\d+,"[^"]*","[^"]*",\d+,\d+,[1-9](\.\d+)?E-\d+,'
        assert re.search(raw, response.content)
    yen = [r for r in rows if r[col["campaignId"]].startswith("1681")]  # advertiser 42222
    assert yen and len(yen) < len(rows)
    for name in ("revenueSameSeller", "revenueAnySeller"):
        assert all(WHOLE.fullmatch(r[col[name]]) for r in yen)
        assert any(len(r[col[name]]) >= 4 for r in yen)  # integer-looking yen amounts
        assert any("." in r[col[name]] for r in rows if r not in yen)  # cents
    assert any("." in r[col["cost"]] for r in yen)  # JPY cost still has decimals
    truth = sim.truth.stats(
        "seller_campaigns",
        "Both",
        None,
        date.fromisoformat(params["startDate"]),
        date.fromisoformat(params["endDate"]),
        interval=interval,
    )
    for name in ("cost", "revenueSameSeller", "revenueAnySeller"):
        assert [Decimal(r[col[name]]) for r in rows] == truth[name].to_pylist()


def test_count_caps_rows(api):
    body = api.get("/stats/seller-campaigns", params={**WINDOW, "count": 7}).json()
    assert body["rows"] == len(body["data"]) == 7
    full = api.get("/stats/seller-campaigns", params=WINDOW).json()
    assert body["data"] == full["data"][:7]


def test_filters(api):
    body = api.get(
        "/stats/seller-campaigns",
        params={**WINDOW, "campaignId": "168002", "sellerId": "5010000000"},
    ).json()
    assert body["rows"] > 0 and {(r[0], r[1]) for r in body["data"]} == {(168002, 5010000000)}
    all_ads = api.get("/stats/campaigns", params={"startDate": "2026-11-01"}).json()
    assert {r[0] // 100 for r in all_ads["data"]} == {1680, 1681}  # both advertisers' campaigns


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"startDate": "2025-01-01", "endDate": "2026-01-05"}, "date-range-too-large"),
        (
            {"startDate": "2026-10-01", "endDate": "2026-11-05", "intervalSize": "Hour"},
            "date-range-too-large",
        ),
        ({"startDate": "2026-11-05", "endDate": "2026-11-01"}, "invalid-date-range"),
        ({"endDate": "2026-11-21"}, "date-in-future"),
        ({"intervalSize": "DAY"}, "invalid-enum-value"),
        ({"clickAttributionPolicy": "sameSeller"}, "invalid-enum-value"),
    ],
)
def test_validation_errors(api, params, code):
    assert _problem(api.get("/stats/sellers", params=params), 400, "validation")["code"] == code


def test_unknown_advertiser_is_forbidden(api):
    _problem(api.get("/stats/sellers", params={"advertiserId": 1}), 403, "authorization")


def test_rate_limit_headers_on_normal_responses(api):
    response = api.get("/advertisers")
    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == "250"
    assert 0 <= int(response.headers["x-ratelimit-remaining"]) < 250
    assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000


def test_versions(sim, token):
    auth = {"Authorization": f"Bearer {token}"}
    for version in ("2025-07", "2025-10"):
        r = httpx.get(sim.api_url(version) + "/advertisers", headers=auth)
        assert r.status_code == 200 and r.headers["deprecation"] == "true"
        assert r.headers["sunset"].endswith(" GMT")
    for version in ("2026-01", "2026-07", "2027-01"):
        r = httpx.get(sim.api_url(version) + "/advertisers", headers=auth)
        assert r.status_code == 200 and "deprecation" not in r.headers
    for version in ("2025-01", "2025-04", "2024-10"):
        _problem(httpx.get(sim.api_url(version) + "/advertisers", headers=auth), 410, "deprecation")
    for version in ("2026-04", "v2", "preview"):
        _problem(httpx.get(sim.api_url(version) + "/advertisers", headers=auth), 404, "unknown")
    _problem(httpx.get(sim.api_url() + "/nowhere", headers=auth), 404, "unknown")


def test_2025_07_ignores_time_zone(sim, token):
    auth = {"Authorization": f"Bearer {token}"}
    params = {**WINDOW, "timeZoneId": "Asia/Tokyo"}
    old = httpx.get(sim.api_url("2025-07") + "/stats/campaigns", params=params, headers=auth)
    new = httpx.get(sim.api_url("2026-07") + "/stats/campaigns", params=WINDOW, headers=auth)
    assert old.json() == new.json()


def test_auth_errors(sim):
    url = sim.api_url() + "/advertisers"
    _problem(httpx.get(url), 401, "authentication")
    assert (
        _problem(httpx.get(url, headers={"Authorization": "Bearer nope"}), 401, "authentication")[
            "code"
        ]
        == "invalid-token"
    )
    bad = httpx.post(
        sim.url + "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "mpo-demo-client",
            "client_secret": "wrong",
        },
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    assert "error_description" in bad.json()
    assert httpx.post(sim.url + "/oauth2/token", data={"client_id": "x"}).status_code == 400


def test_token_response(sim):
    body = httpx.post(
        sim.url + "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sim.config.client_id,
            "client_secret": sim.config.client_secret,
        },
    ).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["refresh_token"] is None and body["access_token"]


def test_management_endpoints_equal_truth(api, sim):
    assert api.get("/advertisers").json() == sim.truth.advertisers()
    assert api.get(f"/advertisers/{ADV}").json() == sim.truth.advertisers()[0]
    assert api.get(f"/advertisers/{ADV}/campaigns").json() == sim.truth.campaigns(ADV)
    assert api.get("/sellers", params={"advertiserId": ADV}).json() == sim.truth.sellers(ADV)
    sc = sim.truth.seller_campaigns(ADV)
    assert api.get("/seller-campaigns", params={"advertiserId": ADV}).json() == sc
    assert api.get(f"/advertisers/{ADV}/seller-campaigns").json() == sc
    assert api.get("/budgets", params={"advertiserId": ADV}).json() == sim.truth.budgets(ADV)
    history = api.get("/budgets", params={"advertiserId": ADV, "endAfterDate": "2025-01-01"})
    assert history.json() == sim.truth.budgets(ADV, end_after_date=date(2025, 1, 1))
    assert len(history.json()) > len(sim.truth.budgets(ADV))


def test_clock_moves_at_run_time(api, sim):
    params = {"advertiserId": ADV, "startDate": "2026-11-18", "endDate": "2026-11-18"}
    before = api.get("/stats/campaigns", params=params).json()
    try:
        sim.set_today(date(2026, 11, 25))
        assert sim.today == date(2026, 11, 25)
        after = api.get("/stats/campaigns", params=params).json()
        assert api.get("/stats/campaigns", params={"endDate": "2026-11-24"}).status_code == 200
    finally:
        sim.set_today(date(2026, 11, 20))
    assert before["data"] != after["data"]


def test_request_log(api, sim):
    n = sim.request_log.count(path_contains="/advertisers")
    api.get("/advertisers")
    assert sim.request_log.count(path_contains="/advertisers") == n + 1
    assert sim.request_log[-1].status == 200 and sim.request_log[-1].method == "GET"
