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


class Plugin(BasePlugin):
    """Loads the project's settings only when the warehouse is a DuckLake or something is on S3:
    for the default (a DuckDB file, a local lake) each dbt process is spared importing them."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        env = os.environ
        self.ducklake = env.get("MPO_WAREHOUSE", "").strip().lower().startswith("ducklake:")
        on_s3 = (env.get("MPO_LAKE_DIR", ""), env.get("MPO_WAREHOUSE_DATA_PATH", ""))
        self.s3 = any(v.strip().lower().startswith("s3://") for v in on_s3)
        self.target, self.alias = None, ""
        if self.ducklake:
            from mpo_pipeline.warehouse.access import DUCKLAKE_ALIAS, warehouse_target

            self.target, self.alias = warehouse_target(), DUCKLAKE_ALIAS

    def configure_connection(self, conn) -> None:
        if not (self.ducklake or self.s3):
            return
        from mpo_pipeline.warehouse import access

        if self.ducklake:
            access.load_extensions(conn)
        if access.needs_s3(self.target):
            access.configure_s3(conn)
        if self.target is not None:
            access.attach_ducklake(conn, self.target)

    def configure_cursor(self, cursor) -> None:
        if self.ducklake:
            cursor.execute(f"use {self.alias}")
