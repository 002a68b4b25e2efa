"""Print the figures of the reliability suite at the end of every run, CI included.

The tests print what they measured (calls made against the bound, rows compared with the truth,
faults seen, seconds); pytest hides the output of passing tests, so it is collected here and shown
in a section of the terminal summary.
"""

from __future__ import annotations

import pytest

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
