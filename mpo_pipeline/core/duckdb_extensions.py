"""DuckDB extensions shipped as Python packages, and a connection's access to S3.

The extensions come from the ``duckdb-extension-*`` packages of the environment and are loaded by
file path: nothing is downloaded at run time (many hosts the pipeline runs on cannot reach
DuckDB's extension repository).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import duckdb

from mpo_pipeline.core.object_store import S3Options

# What a DuckLake connection loads: the lake itself, its catalogs, and S3 for its data files.
DUCKLAKE_EXTENSIONS = ("ducklake", "sqlite_scanner", "postgres_scanner", "httpfs")


@cache
def extension_file(name: str) -> Path:
    """The extension binary shipped by the ``duckdb-extension-<name>`` package for this DuckDB."""
    package = f"duckdb_extension_{name}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the DuckDB extension {name!r} is not installed (package {package})")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = folder / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not found.is_file():
        shipped = sorted(
            p.parent.name for p in folder.glob(f"extensions/*/{name}.duckdb_extension")
        )
        raise RuntimeError(
            f"{package} ships the {name} extension for DuckDB {shipped}, not {duckdb.__version__}: "
            "reinstall the environment (uv sync --frozen)"
        )
    return found


def load_extensions(con: duckdb.DuckDBPyConnection, names: Sequence[str] = DUCKLAKE_EXTENSIONS):
    """Load ``names`` into ``con`` from the files the Python packages ship (no download)."""
    for name in names:
        con.execute(f"load {_literal(str(extension_file(name)))}")


def configure_s3(con: duckdb.DuckDBPyConnection, s3: S3Options | None = None) -> None:
    """Let ``con`` read and write ``s3://`` on the store of ``s3`` (the environment's by default):
    load ``httpfs`` and create a temporary secret (in memory, gone with the connection) with the
    environment's keys, else the AWS credential chain (``aws`` extension)."""
    s3 = S3Options.from_env() if s3 is None else s3
    options = s3.duckdb_secret_options()
    load_extensions(con, ("httpfs", "aws") if "provider" in options else ("httpfs",))
    body = ", ".join(f"{name} {_literal(value)}" for name, value in options.items())
    try:
        con.execute(f"create or replace temporary secret mpo_s3 ({body})")
    except duckdb.Error as exc:
        # The message could quote the statement, and with it the key: keep DuckDB's reason only.
        reason = str(exc)
        for value in (options.get("key_id"), options.get("secret"), options.get("session_token")):
            if value:
                reason = reason.replace(value, "***")
        if "provider" in options:
            reason += (
                " (no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment, and the AWS "
                "credential chain found none)"
            )
        store = s3.endpoint or "AWS"
        raise type(exc)(f"could not set up S3 access for {store}: {reason}") from None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
