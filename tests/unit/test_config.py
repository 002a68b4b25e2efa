"""Settings validation: every bad variable is reported clearly, secrets never printed."""

import re
from datetime import date
from pathlib import Path

import pytest

from mpo_pipeline.config import ConfigError, Settings
from mpo_pipeline.core.secret import Secret

GOOD = {"MPO_CLIENT_ID": "id-123", "MPO_CLIENT_SECRET": "s3cr3t-VALUE"}


def test_defaults_follow_design():
    s = Settings.from_env(GOOD)
    assert s.api_base_url == "https://api.criteo.com"
    assert s.api_version == "2026-07"
    assert s.attribution_policies == ("SameSeller", "AnySeller")
    assert s.start_date == date(2025, 1, 1)
    assert (s.lookback_days, s.request_window_days, s.max_calls_per_minute) == (30, None, 40)
    assert s.max_rows_per_request == 1_000_000
    assert s.lake_dir == Path("data/lake")
    assert s.warehouse == Path("data/warehouse.duckdb")
    assert s.advertiser_ids == ()


def test_request_sizing_settings():
    s = Settings.from_env(
        {**GOOD, "MPO_REQUEST_WINDOW_DAYS": "31", "MPO_MAX_ROWS_PER_REQUEST": "200_000"}
    )
    assert (s.request_window_days, s.max_rows_per_request) == (31, 200_000)


def test_derived_paths_follow_data_dir():
    s = Settings.from_env({**GOOD, "MPO_DATA_DIR": "/srv/mpo"})
    assert s.lake_dir == Path("/srv/mpo/lake")
    assert s.warehouse == Path("/srv/mpo/warehouse.duckdb")


def test_parses_lists():
    s = Settings.from_env(
        {**GOOD, "MPO_ADVERTISER_IDS": "12, 34", "MPO_ATTRIBUTION_POLICIES": "AnySeller"}
    )
    assert s.advertiser_ids == (12, 34)
    assert s.attribution_policies == ("AnySeller",)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MPO_CLIENT_SECRET": ""}, "MPO_CLIENT_SECRET is required"),
        ({"MPO_CLIENT_ID": ""}, "MPO_CLIENT_ID is required"),
        ({"MPO_START_DATE": "2025-13-01"}, "MPO_START_DATE='2025-13-01' is not a date"),
        ({"MPO_START_DATE": "1/2/2025"}, "is not a date of the form YYYY-MM-DD"),
        ({"MPO_TIME_ZONE": "Mars/Olympus"}, "is not an IANA time zone"),
        ({"MPO_ATTRIBUTION_POLICIES": "sameseller"}, "unknown policy"),
        ({"MPO_ATTRIBUTION_POLICIES": "Both"}, "unknown policy"),
        ({"MPO_REQUEST_WINDOW_DAYS": "0"}, "outside 1..366"),
        ({"MPO_REQUEST_WINDOW_DAYS": "367"}, "outside 1..366"),
        ({"MPO_MAX_ROWS_PER_REQUEST": "lots"}, "MPO_MAX_ROWS_PER_REQUEST='lots' must be a whole"),
        ({"MPO_MAX_ROWS_PER_REQUEST": "999"}, "from 1_000 to 10_000_000 (default 1_000_000)"),
        ({"MPO_MAX_ROWS_PER_REQUEST": "10000001"}, "rows one stats response may hold"),
        ({"MPO_MAX_ROWS_PER_REQUEST": "-5"}, "MPO_MAX_ROWS_PER_REQUEST='-5'"),
        ({"MPO_MAX_CALLS_PER_MINUTE": "fast"}, "is not a whole number"),
        ({"MPO_ADVERTISER_IDS": "12,abc"}, "comma-separated positive integers"),
        ({"MPO_API_BASE_URL": "api.criteo.com"}, "must start with http"),
        ({"MPO_API_VERSION": "v2"}, "must look like YYYY-MM"),
        ({"MPO_SELLER_DIRECTORY": "sellers.xlsx"}, "must be a .csv or .parquet"),
    ],
)
def test_bad_values_are_named(env, message):
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env({**GOOD, **env})
    assert message in str(excinfo.value)


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env({"MPO_TIME_ZONE": "Nowhere", "MPO_LOOKBACK_DAYS": "-1"})
    assert len(excinfo.value.problems) == 4


def test_credentials_optional_when_not_needed():
    s = Settings.from_env({}, require_credentials=False)
    assert s.client_id == ""


def test_secret_never_printed():
    s = Settings.from_env(GOOD)
    assert "s3cr3t-VALUE" not in repr(s)
    assert "s3cr3t-VALUE" not in str(s)
    assert s.client_secret.reveal() == "s3cr3t-VALUE"
    assert "s3cr3t" not in f"{Secret('s3cr3t')}"


def test_mpo_today_is_validated_and_optional():
    assert Settings.from_env(GOOD).today is None
    assert Settings.from_env({**GOOD, "MPO_TODAY": "2026-10-26"}).today == date(2026, 10, 26)
    with pytest.raises(ConfigError, match="MPO_TODAY"):
        Settings.from_env({**GOOD, "MPO_TODAY": "26/10/2026"})


def test_seller_kpis_file_is_optional_and_csv_or_parquet():
    assert Settings.from_env(GOOD).seller_kpis is None
    given = Settings.from_env({**GOOD, "MPO_SELLER_KPIS": "kpis/sellers.PARQUET"})
    assert given.seller_kpis == Path("kpis/sellers.PARQUET")
    message = r"MPO_SELLER_KPIS='kpis\.xlsx' must be a \.csv or \.parquet"
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**GOOD, "MPO_SELLER_KPIS": "kpis.xlsx"})


def test_seller_portal_api_settings_default_and_follow_data_dir():
    s = Settings.from_env({**GOOD, "MPO_DATA_DIR": "/srv/mpo"})
    assert s.seller_keys == Path("/srv/mpo/seller_keys.sqlite3")
    assert (s.seller_api_rate, s.seller_api_burst) == (5, 20)
    assert (s.seller_api_portal_rate, s.seller_api_portal_burst) == (200, 400)
    given = Settings.from_env(
        {
            **GOOD,
            "MPO_SELLER_KEYS": "/keys/portal.sqlite3",
            "MPO_SELLER_API_RATE": "2",
            "MPO_SELLER_API_BURST": "3",
            "MPO_SELLER_API_PORTAL_RATE": "1000",
            "MPO_SELLER_API_PORTAL_BURST": "5000",
        }
    )
    assert given.seller_keys == Path("/keys/portal.sqlite3")
    assert (given.seller_api_rate, given.seller_api_burst) == (2, 3)
    assert (given.seller_api_portal_rate, given.seller_api_portal_burst) == (1000, 5000)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MPO_SELLER_API_RATE": "0"}, "MPO_SELLER_API_RATE=0 is outside 1..100000"),
        ({"MPO_SELLER_API_BURST": "lots"}, "MPO_SELLER_API_BURST='lots' is not a whole number"),
        ({"MPO_SELLER_API_PORTAL_RATE": "-5"}, "MPO_SELLER_API_PORTAL_RATE=-5 is outside"),
        ({"MPO_SELLER_API_PORTAL_BURST": "0"}, "MPO_SELLER_API_PORTAL_BURST=0 is outside"),
    ],
)
def test_seller_portal_api_limits_are_validated(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env({**GOOD, **env})


def test_realtime_settings_default_to_what_the_ops_models_need():
    s = Settings.from_env(GOOD)
    assert s.now is None and s.realtime_max_silence_minutes == 30
    assert s.realtime_dimensions == (
        "AdvertiserId",
        "CampaignId",
        "SellerId",
        "SellerName",
        "Day",
        "Hour",
        "Minute",
    )
    assert s.realtime_metrics == ("Clicks", "Displays", "Cost")
    given = Settings.from_env(
        {
            **GOOD,
            "MPO_NOW": "2026-03-01T13:00:00+01:00",
            "MPO_TODAY": "2026-03-01",
            "MPO_REALTIME_DIMENSIONS": "advertiserid, CAMPAIGNID,SellerId,Day,Hour",
            "MPO_REALTIME_METRICS": "cost,clicks",
            "MPO_REALTIME_MAX_SILENCE_MINUTES": "45",
        }
    )
    assert given.now is not None and given.now.isoformat() == "2026-03-01T12:00:00+00:00"
    assert given.realtime_dimensions == ("AdvertiserId", "CampaignId", "SellerId", "Day", "Hour")
    assert given.realtime_metrics == ("Cost", "Clicks")
    assert given.realtime_max_silence_minutes == 45


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MPO_NOW": "2026-03-01 12:00"}, "MPO_NOW='2026-03-01 12:00' needs a UTC offset"),
        ({"MPO_NOW": "noon"}, "MPO_NOW='noon' is not an ISO-8601 date-time"),
        (
            {
                "MPO_NOW": "2026-03-01T23:30:00Z",
                "MPO_TODAY": "2026-03-01",
                "MPO_TIME_ZONE": "Asia/Tokyo",
            },
            "falls on 2026-03-02 in Asia/Tokyo, not on MPO_TODAY=2026-03-01",
        ),
        ({"MPO_REALTIME_DIMENSIONS": "AdvertiserId,Country"}, "unknown names ['Country']"),
        ({"MPO_REALTIME_METRICS": "Clicks,Displays"}, "leave out ['Cost']"),
        ({"MPO_REALTIME_DIMENSIONS": "AdvertiserId,CampaignId,SellerId,Day"}, "leave out ['Hour']"),
        (
            {"MPO_REALTIME_MAX_SILENCE_MINUTES": "5"},
            "MPO_REALTIME_MAX_SILENCE_MINUTES=5 is outside",
        ),
    ],
)
def test_realtime_settings_are_validated(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env({**GOOD, **env})
