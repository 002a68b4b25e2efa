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
# one worker; the reliability files that share the background "faults" scenario form a single
# group (tests/reliability/rel_scenario_helpers.py runs a scenario once per worker process).
# Groups are handed out in the order below, longest first (measured with `--durations`, setup
# included), so that no long group starts last and the workers finish close together; a file not
# listed goes after them, in collection order.
_FIRST = (
    "tests/integration/s3/test_s3_two_hosts.py",
    "tests/integration/finance/test_fin_month_close.py",
    "tests/reliability/test_rel_concurrency.py",
    "tests/e2e/test_e2e_demo.py",
    "tests/integration/ducklake/test_ducklake_sqlite.py",
    "tests/reliability/test_rel_publish.py",
    "tests/e2e/test_e2e_postgres_backfill.py",
    "tests/integration/dbt/test_dbt_incremental.py",
    "tests/reliability/",  # the "faults" group: test_rel_bad_input, _faults, _secrets
    "tests/integration/dbt/test_dbt_seller_directory.py",
    "tests/integration/dbt/test_dbt_marts.py",
    "tests/integration/ducklake/test_ducklake_postgres.py",
    "tests/reliability/test_rel_kill.py",
    "tests/integration/test_ingest_assets.py",
    "tests/lint/test_sqlfluff.py",
    "tests/integration/world/test_world_changes.py",
    "tests/e2e/test_e2e_devserver.py",
    "tests/integration/seller_portal/test_seller_portal_marts.py",
    "tests/integration/ducklake/test_ducklake_writer_lock.py",
    "tests/integration/realtime/test_rt_went_dark.py",
    "tests/integration/dbt/test_dbt_generic_tests.py",
    "tests/integration/",
    "tests/e2e/",
)


# Files of tests/reliability/ with a scenario of their own (none of them asks for the shared
# "faults" scenario) are groups of their own, so they run on other workers meanwhile instead of
# one after the other: together with the faults group they were one chain of about 18 minutes.
_OWN_GROUP = (
    "tests/reliability/test_rel_publish.py",
    "tests/reliability/test_rel_concurrency.py",
    "tests/reliability/test_rel_kill.py",
)


def _group(nodeid: str) -> str:
    if nodeid.startswith(_OWN_GROUP):
        return nodeid.split("::", 1)[0]
    if nodeid.startswith("tests/reliability/"):
        return "reliability"
    return nodeid.split("::", 1)[0]


def _rank(nodeid: str) -> int:
    # The most specific (longest) matching prefix decides: a file listed on its own ranks by its
    # own entry, not by the entry of its folder.
    matches = [(len(prefix), i) for i, prefix in enumerate(_FIRST) if nodeid.startswith(prefix)]
    return max(matches)[1] if matches else len(_FIRST)


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
