"""What the tests know of the lake's contract (docs/lake.md), written here by hand rather than
read from the code under test."""

from __future__ import annotations

# The lineage columns every stats file carries besides the API's own columns.
STATS_LINEAGE = (
    "advertiserId",
    "endpoint",
    "attribution_policy",
    "interval_size",
    "time_zone",
    "currency",
    "api_version",
    "window_start",
    "window_end",
    "extracted_at",
)
