"""Settings validation: every bad variable is reported clearly, secrets never printed."""

from datetime import date
from pathlib import Path

import pytest

from mpo_pipeline.config import ConfigError, Secret, Settings

GOOD = {"MPO_CLIENT_ID": "id-123", "MPO_CLIENT_SECRET": "s3cr3t-VALUE"}


def test_defaults_follow_design():
    s = Settings.from_env(GOOD)
    assert s.api_base_url == "https://api.criteo.com"
    assert s.api_version == "2026-07"
    assert s.attribution_policies == ("SameSeller", "AnySeller")
    assert s.start_date == date(2025, 1, 1)
    assert (s.lookback_days, s.request_window_days, s.max_calls_per_minute) == (30, 31, 40)
    assert s.lake_dir == Path("data/lake")
    assert s.warehouse == Path("data/warehouse.duckdb")
    assert s.advertiser_ids == ()


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
