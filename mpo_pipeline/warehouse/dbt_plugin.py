"""A dbt-duckdb plugin that opens a DuckLake warehouse for dbt exactly as Python does.

``dbt_project/profiles.yml`` lists it in its ``ducklake`` output (chosen when ``MPO_WAREHOUSE``
starts with ``ducklake:``). On dbt's connection it loads the DuckDB extensions from their Python
packages and attaches the lake as ``warehouse`` (``mpo_pipeline.warehouse.access``), from the same
``MPO_*`` variables read by the same ``Settings``; every cursor then uses ``warehouse`` as its
default database. The profile's own ``attach`` entry (``if not exists``) only tells dbt-duckdb that
``warehouse`` is a DuckLake: the connection string (it may hold a password) never appears in the
profile, and this plugin logs nothing.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from mpo_pipeline.warehouse.access import (
    DUCKLAKE_ALIAS,
    attach_ducklake,
    load_extensions,
    warehouse_target,
)


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.target = warehouse_target()
        if not self.target.is_ducklake:
            raise RuntimeError("the mpo_pipeline DuckLake plugin runs only for ducklake: targets")

    def configure_connection(self, conn) -> None:
        load_extensions(conn)
        attach_ducklake(conn, self.target)

    def configure_cursor(self, cursor) -> None:
        cursor.execute(f"use {DUCKLAKE_ALIAS}")
