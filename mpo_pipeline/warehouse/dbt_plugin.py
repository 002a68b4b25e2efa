"""A dbt-duckdb plugin that opens the warehouse for dbt exactly as Python does.

``dbt_project/profiles.yml`` lists it in both outputs. When the lake or the DuckLake's data files
are on S3 it gives dbt's connection the S3 access Python has (``configure_s3``: the store of
``MPO_S3_*``, keys from the environment or the AWS chain, never written in the profile). In the
``ducklake`` output (chosen when ``MPO_WAREHOUSE`` starts with ``ducklake:``) it also loads the
DuckDB extensions from their Python packages and attaches the lake as ``warehouse``
(``mpo_pipeline.warehouse.access``), from the same ``MPO_*`` variables read by the same
``Settings``; every cursor then uses ``warehouse`` as its default database. The profile's own
``attach`` entry (``if not exists``) only tells dbt-duckdb that
``warehouse`` is a DuckLake: the connection string (it may hold a password) never appears in the
profile, and this plugin logs nothing.
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from mpo_pipeline.warehouse.access import (
    DUCKLAKE_ALIAS,
    attach_ducklake,
    configure_s3,
    load_extensions,
    needs_s3,
    warehouse_target,
)


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        # A file warehouse is opened by dbt-duckdb itself: only a DuckLake needs the settings.
        ducklake = os.environ.get("MPO_WAREHOUSE", "").strip().lower().startswith("ducklake:")
        self.target = warehouse_target() if ducklake else None

    @property
    def is_ducklake(self) -> bool:
        return self.target is not None

    def configure_connection(self, conn) -> None:
        if self.is_ducklake:
            load_extensions(conn)
        if needs_s3(self.target):
            configure_s3(conn)
        if self.is_ducklake:
            assert self.target is not None
            attach_ducklake(conn, self.target)

    def configure_cursor(self, cursor) -> None:
        if self.is_ducklake:
            cursor.execute(f"use {DUCKLAKE_ALIAS}")
