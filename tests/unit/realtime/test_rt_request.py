"""RealtimeReportRequest: validation (lookback 60–1440, exclusive window forms) and body shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mpo_pipeline.client import RealtimeReportRequest


def test_body_shape_and_enum_forms() -> None:
    req = RealtimeReportRequest(
        advertiser_ids=(41111, 42222),
        lookback_minutes=120,
        dimensions=("campaignid", "DAY", "Minute"),
        metrics=("clicks", "COST"),
        file_format="csv",
        campaign_ids=(168001,),
    )
    assert req.body() == {
        "data": {
            "type": "RealTimeProductReportJob",
            "attributes": {
                "advertiserIds": ["41111", "42222"],
                "campaignIds": ["168001"],
                "dimensions": ["CampaignId", "Day", "Minute"],
                "metrics": ["Clicks", "Cost"],
                "lookbackWindow": 120,
                "fileFormat": "Csv",
                "timezone": "UTC",
            },
        }
    }


def test_lookback_defaults_to_60_and_is_bounded() -> None:
    assert RealtimeReportRequest(advertiser_ids=(1,)).lookback_minutes == 60
    for ok in (60, 1440):
        assert (
            RealtimeReportRequest(advertiser_ids=(1,), lookback_minutes=ok).lookback_minutes == ok
        )
    for bad in (59, 1441, 0, -60):
        with pytest.raises(ValueError, match=r"60\.\.1440"):
            RealtimeReportRequest(advertiser_ids=(1,), lookback_minutes=bad)
    for bad_type in (True, 90.0, "120"):
        with pytest.raises(ValueError, match="integer"):
            RealtimeReportRequest(advertiser_ids=(1,), lookback_minutes=bad_type)  # type: ignore[arg-type]


def test_explicit_window() -> None:
    start = datetime(2026, 3, 1, 10, tzinfo=UTC)
    req = RealtimeReportRequest(advertiser_ids=(1,), start=start, end=start + timedelta(hours=2))
    attributes = req.attributes()
    assert attributes["startDate"] == "2026-03-01T10:00:00Z"
    assert attributes["endDate"] == "2026-03-01T12:00:00Z"
    assert "lookbackWindow" not in attributes
    with pytest.raises(ValueError, match="mutually exclusive"):
        RealtimeReportRequest(advertiser_ids=(1,), start=start, lookback_minutes=60)
    with pytest.raises(ValueError, match="24 hours"):
        RealtimeReportRequest(advertiser_ids=(1,), start=start, end=start + timedelta(hours=25))
    with pytest.raises(ValueError, match="timezone-aware"):
        RealtimeReportRequest(advertiser_ids=(1,), start=datetime(2026, 3, 1, 10))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"advertiser_ids": ()}, "required"),
        ({"advertiser_ids": (0,)}, "positive"),
        ({"dimensions": ("Country",)}, "unknown dimension"),
        ({"metrics": ("Revenue",)}, "unknown metric"),
        ({"file_format": "xml"}, "unknown file format"),
        ({"time_zone": "Mars/Olympus"}, "IANA"),
    ],
)
def test_invalid_requests(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RealtimeReportRequest(**{"advertiser_ids": (1,), **changes})
