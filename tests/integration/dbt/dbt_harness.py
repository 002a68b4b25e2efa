"""Run the real dbt project against a temporary DuckDB file and read the result back."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[3]
PROJECT_DIR = REPO / "dbt_project"


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt executable not found next to the interpreter nor on PATH")
    return found


@dataclass
class DbtResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class DbtEnv:
    """One isolated dbt setup: its own warehouse file, lake, target and log paths."""

    root: Path
    lake: Path
    seller_directory: Path | None = None

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MPO_", "DBT_"))}
        env.update(
            DBT_SEND_ANONYMOUS_USAGE_STATS="False",
            DO_NOT_TRACK="1",
            MPO_WAREHOUSE=str(self.warehouse),
            MPO_LAKE_DIR=str(self.lake),
            MPO_SELLER_DIRECTORY=str(self.seller_directory or ""),
            MPO_DBT_THREADS="2",
        )
        return env

    def run(
        self,
        *args: str,
        vars: dict | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> DbtResult:
        command = [
            dbt_executable(),
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(self.root / "target"),
            "--log-path",
            str(self.root / "logs"),
        ]
        if vars:
            command += ["--vars", "{" + ", ".join(f"{k}: '{v}'" for k, v in vars.items()) + "}"]
        proc = subprocess.run(
            command,
            cwd=REPO,
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        result = DbtResult(proc.returncode, proc.stdout + proc.stderr)
        if check and not result.ok:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.output[-6000:]}")
        return result

    def query(self, sql: str) -> list[dict]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def table(self, relation: str, keys: list[str]) -> dict[tuple, dict]:
        """Rows of ``relation`` keyed by ``keys``; fails on a duplicate key."""
        out: dict[tuple, dict] = {}
        for row in self.query(f"select * from {relation}"):
            key = tuple(row[k] for k in keys)
            assert key not in out, f"{relation}: duplicate key {key}"
            out[key] = row
        return out


def same_value(actual, expected) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(float(actual), float(expected), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(expected, Decimal) or isinstance(actual, Decimal):
        return Decimal(actual) == Decimal(expected)
    return actual == expected


def assert_rows_match(relation: str, actual: dict[tuple, dict], expected: dict[tuple, dict]):
    """Same keys, and every expected column equal (floats to 1e-12, decimals exactly)."""
    missing = sorted(set(expected) - set(actual), key=str)
    extra = sorted(set(actual) - set(expected), key=str)
    assert not missing and not extra, (
        f"{relation}: {len(missing)} expected rows missing (e.g. {missing[:3]}), "
        f"{len(extra)} unexpected rows (e.g. {extra[:3]})"
    )
    problems = []
    for key, want in expected.items():
        got = actual[key]
        for column, value in want.items():
            assert column in got, f"{relation}: no column {column}"
            if not same_value(got[column], value):
                problems.append(f"{key} {column}: got {got[column]!r}, expected {value!r}")
    assert not problems, f"{relation}: {len(problems)} wrong values:\n" + "\n".join(problems[:20])
