"""Test-session environment: no telemetry, no outside hosts, a throwaway Dagster home."""

import os
import tempfile

import pytest

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


# Scheduling of `make test` on 2 cores (pytest-xdist, `-n 3 --dist loadgroup`): every test file is
# one group, so its module fixtures (a simulator, a dbt build, a Dagster run) are set up once, on
# one worker; the reliability files form a single group, because their scenarios are started
# together in the background by the first of them (tests/reliability/rel_scenario_helpers.py).
# The longest groups go first so that no long one starts last.
_FIRST = (
    "tests/integration/s3/test_s3_two_hosts.py",
    "tests/reliability/",
    "tests/e2e/",
    "tests/integration/finance/",
    "tests/integration/ducklake/",
    "tests/integration/dbt/",
)


# Files of tests/reliability/ with a scenario of their own (not one of the background scenarios)
# are groups of their own, so they can run on the other worker.
_OWN_GROUP = ("tests/reliability/test_rel_publish.py",)


def _group(nodeid: str) -> str:
    if nodeid.startswith(_OWN_GROUP):
        return nodeid.split("::", 1)[0]
    if nodeid.startswith("tests/reliability/"):
        return "reliability"
    return nodeid.split("::", 1)[0]


def _rank(nodeid: str) -> int:
    return next((i for i, prefix in enumerate(_FIRST) if nodeid.startswith(prefix)), len(_FIRST))


def pytest_itemcollected(item: pytest.Item) -> None:
    # Marked as each item is collected: xdist reads the groups in its own modifyitems hook.
    item.add_marker(pytest.mark.xdist_group(_group(item.nodeid)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: the order inside a group stays


# The figures of the reliability suite, printed at the end of every run, CI included. The tests
# print what they measured (calls against the bound, rows compared with the truth, faults seen);
# pytest hides the output of passing tests, so it is collected here (this conftest is loaded by
# the xdist controller too, which a conftest under tests/reliability/ is not).
_FIGURES: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and "tests/reliability/" in report.nodeid:
        text = report.capstdout.strip()
        if text:
            _FIGURES.append((report.nodeid.split("::", 1)[1].split("@")[0], text))


def pytest_terminal_summary(terminalreporter) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for test, text in _FIGURES:
        terminalreporter.write_line(f"{test}:")
        for line in text.splitlines():
            terminalreporter.write_line(f"    {line}")
