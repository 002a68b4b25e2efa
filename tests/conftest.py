"""Test-session environment: no telemetry, no outside hosts, a throwaway Dagster home."""

import os
import tempfile

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("DAGSTER_HOME", tempfile.mkdtemp(prefix="mpo-dagster-home-"))
with open(os.path.join(os.environ["DAGSTER_HOME"], "dagster.yaml"), "w") as fh:
    fh.write("telemetry:\n  enabled: false\n")
# Definitions are built from MPO_* at import time: pin the values the tests assume.
for name in list(os.environ):
    if name.startswith("MPO_"):
        del os.environ[name]
os.environ["MPO_START_DATE"] = "2025-01-01"
os.environ["MPO_TIME_ZONE"] = "UTC"
