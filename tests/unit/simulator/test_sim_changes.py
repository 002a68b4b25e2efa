"""Changes of the world: a seller renamed, an advertiser's currency changed, a version retired.

Expected values are written from the event definitions and the world *without* events (the same
config minus its events): the events must change names, currencies and availability, never a
figure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import httpx
import pytest

from mpo_pipeline.simulator import GroundTruth, RunningSimulator, SimulatorConfig, running_simulator
from mpo_pipeline.simulator.directory import directory_rows, missing_seller_names
from mpo_pipeline.simulator.events import CurrencyChange, SellerRename, VersionRetirement

TODAY = date(2025, 3, 8)
FIRST, LAST = date(2025, 3, 2), date(2025, 3, 7)
BASE = SimulatorConfig(seed=2, advertisers=2, campaigns=2, sellers=8, today=TODAY)
ADV, OTHER = 41111, 42222
SELLER, OLD_NAME = 5010000000, "0000017"  # delivers every day of FIRST..LAST, only in ADV
NEW_NAME, RENAMED_ON = "MKT-90017", date(2025, 3, 4)
CHANGED_ON = date(2025, 3, 5)
CONFIG = BASE.with_(
    seller_renames=(SellerRename(ADV, SELLER, NEW_NAME, RENAMED_ON),),
    currency_changes=(CurrencyChange(ADV, "USD", CHANGED_ON),),
)
STATS = "/2026-07/marketing-solutions/marketplace-performance-outcomes/stats"
PARAMS = {
    "advertiserId": ADV,
    "startDate": FIRST.isoformat(),
    "endDate": LAST.isoformat(),
    "timeZoneId": "UTC",
    "clickAttributionPolicy": "AnySeller",
}


@contextmanager
def _client(config: SimulatorConfig) -> Iterator[tuple[httpx.Client, RunningSimulator]]:
    """An authenticated HTTP client of a simulator of ``config`` on loopback."""
    with running_simulator(config) as sim, httpx.Client(base_url=sim.url) as client:
        token = client.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": config.client_id,
                "client_secret": config.client_secret,
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, sim


def _expected_name(seller_id: int, day: date, base_name: str) -> str:
    return NEW_NAME if seller_id == SELLER and day >= RENAMED_ON else base_name


def test_the_renamed_seller_is_served_alone_in_its_advertiser():
    # the premise of the expectations below: the seller delivers before and after the rename and
    # its old key is not another advertiser's seller's
    base = GroundTruth(BASE)
    rows = base.stats("sellers", "AnySeller", ADV, FIRST, LAST, time_zone="UTC").to_pylist()
    days = {r["day"] for r in rows if r["sellerId"] == SELLER and r["sellerName"] == OLD_NAME}
    assert days == {FIRST + timedelta(days=i) for i in range(6)}
    assert OLD_NAME not in {s["sellerName"] for s in base.sellers(OTHER)}


@pytest.mark.parametrize("endpoint", ["sellers", "seller_campaigns"])
def test_day_rows_carry_the_name_of_their_day_and_the_same_figures(endpoint):
    base = GroundTruth(BASE).stats(endpoint, "Both", ADV, FIRST, LAST, time_zone="UTC")
    changed = GroundTruth(CONFIG).stats(endpoint, "Both", ADV, FIRST, LAST, time_zone="UTC")
    assert changed.drop_columns(["sellerName"]) == base.drop_columns(["sellerName"])
    expected = [_expected_name(r["sellerId"], r["day"], r["sellerName"]) for r in base.to_pylist()]
    assert changed.column("sellerName").to_pylist() == expected
    assert {OLD_NAME, NEW_NAME} <= set(expected)  # rows before and after the rename


def test_a_month_row_spanning_the_rename_carries_the_newest_name():
    truth = GroundTruth(CONFIG)

    def month_name(end: date) -> str:
        table = truth.stats("sellers", "AnySeller", ADV, FIRST, end, interval="Month")
        (name,) = [r["sellerName"] for r in table.to_pylist() if r["sellerId"] == SELLER]
        return name

    assert month_name(LAST) == NEW_NAME
    assert month_name(RENAMED_ON - timedelta(days=1)) == OLD_NAME


def test_served_json_and_csv_carry_each_rows_name():
    # the renderer quotes names once per seller: a renamed seller needs one per name
    with _client(CONFIG) as (client, _):
        json_body = client.get(STATS + "/sellers", params=PARAMS).json()
        text = client.get(STATS + "/sellers", params=PARAMS, headers={"Accept": "text/csv"}).text
    cols = json_body["columns"]
    got = {
        (row[cols.index("day")], row[cols.index("sellerName")])
        for row in json_body["data"]
        if row[cols.index("sellerId")] == SELLER
    }
    expected = {
        (d.isoformat(), NEW_NAME if d >= RENAMED_ON else OLD_NAME)
        for d in (FIRST + timedelta(days=i) for i in range(6))
    }
    assert got == expected
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["day"], r["sellerName"]) for r in rows if r["sellerId"] == str(SELLER)} == expected


def test_metadata_shows_the_name_and_currency_in_effect_on_today():
    base = "/2026-07/marketing-solutions/marketplace-performance-outcomes"
    seen = []
    with _client(CONFIG) as (client, sim):
        for today in (RENAMED_ON - timedelta(days=1), RENAMED_ON, CHANGED_ON):
            sim.set_today(today)
            sellers = client.get(base + "/sellers", params={"advertiserId": ADV}).json()
            (name,) = [s["sellerName"] for s in sellers if s["id"] == str(SELLER)]
            ads = {a["id"]: a["currencyName"] for a in client.get(base + "/advertisers").json()}
            one = client.get(base + f"/advertisers/{ADV}").json()["currencyName"]
            seen.append((name, ads[ADV], one, ads[OTHER]))
    assert seen == [
        (OLD_NAME, "EUR", "EUR", "JPY"),
        (NEW_NAME, "EUR", "EUR", "JPY"),
        (NEW_NAME, "USD", "USD", "JPY"),
    ]


def test_ground_truth_knows_each_days_name_and_currency():
    truth = GroundTruth(CONFIG)
    days = [FIRST + timedelta(days=i) for i in range(6)]
    assert [truth.currency_on(ADV, d) for d in days] == ["EUR"] * 3 + ["USD"] * 3
    assert [truth.currency_on(OTHER, d) for d in days] == ["JPY"] * 6
    assert [truth.seller_name_on(ADV, SELLER, d) for d in days] == [OLD_NAME] * 2 + [NEW_NAME] * 4
    assert truth.advertisers(today=FIRST)[0]["currencyName"] == "EUR"
    assert truth.advertisers()[0]["currencyName"] == "USD"
    assert {s["sellerName"] for s in truth.sellers(ADV)} == (
        {s["sellerName"] for s in GroundTruth(BASE).sellers(ADV)} - {OLD_NAME} | {NEW_NAME}
    )


def test_the_directory_lists_the_renamed_seller_under_its_new_key():
    before = {r["seller_name"]: r for r in directory_rows(BASE)}
    after = {r["seller_name"]: r for r in directory_rows(CONFIG)}
    assert OLD_NAME in before and OLD_NAME not in missing_seller_names(BASE)
    assert set(after) == set(before) - {OLD_NAME} | {NEW_NAME}
    assert {**after[NEW_NAME], "seller_name": OLD_NAME} == before[OLD_NAME]
    assert missing_seller_names(CONFIG) == missing_seller_names(BASE)


def test_events_are_checked_against_the_world():
    others_name = GroundTruth(BASE).sellers(OTHER)[0]["sellerName"]
    cases = [
        (SellerRename(ADV, 1, "X", RENAMED_ON), (), "has no seller"),
        (SellerRename(99, SELLER, "X", RENAMED_ON), (), "no advertiser"),
        (SellerRename(ADV, SELLER, others_name, RENAMED_ON), (), "another seller's key"),
        (None, (CurrencyChange(ADV, "JPY", CHANGED_ON),), "same minor unit"),
        (None, (CurrencyChange(99, "USD", CHANGED_ON),), "no advertiser"),
    ]
    for rename, currency, message in cases:
        config = BASE.with_(seller_renames=(rename,) if rename else (), currency_changes=currency)
        with pytest.raises(ValueError, match=message):
            GroundTruth(config)
    with pytest.raises(ValueError, match="not a served version"):
        BASE.with_(version_retirement=VersionRetirement("2025-01", after_stats_requests=1))
    with pytest.raises(ValueError, match="needs after_stats_requests or from_day"):
        VersionRetirement("2026-07")


def _stats(client: httpx.Client, version: str) -> httpx.Response:
    params = {"advertiserId": ADV, "startDate": FIRST.isoformat(), "endDate": FIRST.isoformat()}
    return client.get(
        f"/{version}/marketing-solutions/marketplace-performance-outcomes/stats/sellers",
        params=params,
    )


def _problem(response: httpx.Response) -> tuple[int, dict, dict]:
    """Status, the problem without its per-request fields, the headers but the rate limit's."""
    problem = dict(response.json()["errors"][0])
    for volatile in ("traceId", "traceIdentifier", "instance"):
        problem.pop(volatile)
    skip = ("x-ratelimit", "date", "content-length")
    headers = {k: v for k, v in response.headers.items() if not k.startswith(skip)}
    return response.status_code, problem, headers


def test_a_version_retired_after_n_stats_requests_answers_410_everywhere():
    config = BASE.with_(version_retirement=VersionRetirement("2026-01", after_stats_requests=3))
    base = "/2026-01/marketing-solutions/marketplace-performance-outcomes"
    with _client(config) as (client, _):
        before = client.get(base + "/advertisers").status_code  # metadata is not counted
        served = [_stats(client, "2026-01").status_code for _ in range(3)]
        gone, old = _problem(_stats(client, "2026-01")), _problem(_stats(client, "2025-01"))
        metadata_after = client.get(base + "/advertisers").status_code
        other_version = _stats(client, "2026-07").status_code
    assert (before, served, metadata_after, other_version) == (200, [200] * 3, 410, 200)
    # the very answer of a long-retired version (status, headers, problem), its version named
    assert (gone[0], gone[2]) == (old[0], old[2]) and gone[0] == 410
    assert gone[1] == {
        "type": "deprecation",
        "code": "version-decommissioned",
        "title": "Gone",
        "detail": "API version 2026-01 has been decommissioned; use a newer version",
    }
    assert old[1]["detail"] == gone[1]["detail"].replace("2026-01", "2025-01")


def test_a_version_retired_from_a_simulated_day():
    retired_on = TODAY + timedelta(days=2)
    config = BASE.with_(version_retirement=VersionRetirement("2026-01", from_day=retired_on))
    statuses = []
    with _client(config) as (client, sim):
        for today in (TODAY, retired_on - timedelta(days=1), retired_on):
            sim.set_today(today)
            statuses.append(
                (_stats(client, "2026-01").status_code, _stats(client, "2027-01").status_code)
            )
    assert statuses == [(200, 200), (200, 200), (410, 200)]
