"""Dagster resources built from the ``MPO_*`` settings; secrets only ever travel as ``EnvVar``."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from mpo_pipeline.client import MpoClient
from mpo_pipeline.client.window_sizing import DEFAULT_MAX_ROWS_PER_REQUEST
from mpo_pipeline.config import Settings, WarehouseTarget
from mpo_pipeline.core.object_store import DEFAULT_REGION, LakePath, S3Options, lake_root, resolved
from mpo_pipeline.core.secret import Secret
from mpo_pipeline.warehouse.access import connect, connect_read_only
from mpo_pipeline.warehouse.lock import warehouse_writer


@cache
def settings() -> Settings:
    """Settings read once per process. Credentials are checked when a run needs them."""
    return Settings.from_env(require_credentials=False)


class MpoApiResource(dg.ConfigurableResource):
    """Connection to the MPO API. ``client_secret`` is an ``EnvVar``: never stored in run config."""

    base_url: str
    api_version: str
    client_id: str
    client_secret: str
    max_calls_per_minute: int = 40
    request_window_days: int | None = None  # the most days per stats request (None: the API's)
    max_rows_per_request: int = DEFAULT_MAX_ROWS_PER_REQUEST  # rows per stats response, at most

    def client(self) -> MpoClient:
        """A fresh client; use it as a context manager so its connections are closed."""
        return MpoClient(
            self.base_url,
            self.api_version,
            self.client_id,
            self.client_secret,
            max_calls_per_minute=self.max_calls_per_minute,
            request_window_days=self.request_window_days,
            max_rows_per_request=self.max_rows_per_request,
        )


class LakeResource(dg.ConfigurableResource):
    """Root of the Parquet lake (a folder or ``s3://bucket/prefix`` on the store of ``s3_*``) and
    the pipeline-wide extraction settings. Never holds S3 credentials: the run reads them from its
    environment or the AWS chain."""

    lake_dir: str
    time_zone: str = "UTC"
    advertiser_ids: list[int] = []  # noqa: RUF012 (pydantic copies defaults)
    start_date: str = "2025-01-01"
    s3_endpoint: str = ""
    s3_region: str = DEFAULT_REGION
    s3_url_style: str = ""

    @property
    def path(self) -> LakePath:
        s3 = S3Options.parse(self.s3_endpoint, self.s3_region, self.s3_url_style)
        return resolved(lake_root(self.lake_dir, s3))


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse dbt builds (``database``, from ``MPO_WAREHOUSE``) and the snapshot
    published for BI (``published``, from ``MPO_PUBLISHED_WAREHOUSE``).

    Every asset and check reaches the warehouse through it: ``reader()`` for read-only queries,
    ``writer()`` for a read-write connection held under the cross-process writer lock, ``lock()``
    for the lock alone (dbt and the publish step open the file themselves).

    A DuckLake warehouse (``MPO_WAREHOUSE=ducklake:...``) is named by ``ducklake`` (an
    ``EnvVar``: its connection string may hold a password) and ``ducklake_data_path``; ``database``
    is then its local anchor (the SQLite catalog, next to which the writer lock file lives; with a
    PostgreSQL catalog the lock is an advisory lock in that database, seen from every machine), and
    every connection goes through ``mpo_pipeline.warehouse.access.connect``.
    """

    published: str = ""
    ducklake: str = ""
    ducklake_data_path: str = ""

    @classmethod
    def from_settings(cls, s: Settings) -> "WarehouseResource":
        """The warehouse and published snapshot ``s`` names (``MPO_WAREHOUSE``, ...)."""
        lake = {}
        if s.target.is_ducklake:
            lake = {
                "ducklake": dg.EnvVar("MPO_WAREHOUSE"),
                "ducklake_data_path": s.target.data_path,
            }
        return cls(
            database=str(s.warehouse.resolve()),
            published=str(s.published_warehouse.resolve()),
            **lake,
        )

    def target(self) -> WarehouseTarget:
        """The warehouse as a target of ``mpo_pipeline.warehouse.access.connect``."""
        if self.ducklake:
            raw = self.ducklake
            if isinstance(raw, dg.EnvVar):  # a resource used outside a Dagster run (a script)
                raw = raw.get_value() or ""
            return WarehouseTarget.parse(raw, self.ducklake_data_path)
        return WarehouseTarget("file", Secret(self.database))

    @property
    def path(self) -> Path:
        return Path(self.database)

    @property
    def published_path(self) -> Path:
        return Path(self.published)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, closed when the block ends."""
        target = self.target()
        with closing(connect_read_only(target if target.is_ducklake else self.path)) as con:
            yield con

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection (DuckDBResource's for a file, ``connect`` for a DuckLake)."""
        target = self.target()
        if not target.is_ducklake:
            with super().get_connection() as con:
                yield con
            return
        with closing(connect(target)) as con:
            yield con

    def lock(self, on_wait: Callable[[str], None] | None = None) -> AbstractContextManager:
        """The writer lock alone (see ``mpo_pipeline.warehouse.lock``)."""
        return warehouse_writer(self.target(), on_wait=on_wait)

    @contextmanager
    def writer(
        self, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection (``DuckDBResource.get_connection``) under the writer lock."""
        with self.lock(on_wait), self.get_connection() as con:
            try:
                yield con
            finally:
                # get_connection closes only on success; the lock must not outlive the handle.
                con.close()


def warehouse_resource() -> WarehouseResource:
    """The warehouse the environment names now (scripts and tests that change it per run)."""
    return WarehouseResource.from_settings(Settings.from_env(require_credentials=False))


def build_resources(s: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources every asset of the project uses, from one ``Settings``."""
    return {
        "mpo_api": MpoApiResource(
            base_url=s.api_base_url,
            api_version=s.api_version,
            client_id=dg.EnvVar("MPO_CLIENT_ID"),
            client_secret=dg.EnvVar("MPO_CLIENT_SECRET"),
            max_calls_per_minute=s.max_calls_per_minute,
            request_window_days=s.request_window_days,
            max_rows_per_request=s.max_rows_per_request,
        ),
        "lake": LakeResource(
            lake_dir=str(resolved(s.lake_dir)),
            s3_endpoint=s.s3.endpoint,
            s3_region=s.s3.region,
            s3_url_style=s.s3.url_style,
            time_zone=s.time_zone,
            advertiser_ids=list(s.advertiser_ids),
            start_date=s.start_date.isoformat(),
        ),
        "warehouse": WarehouseResource.from_settings(s),
    }


@dg.definitions
def resources() -> dg.Definitions:
    """Bind the project's resources for the autoloader."""
    return dg.Definitions(resources=build_resources(settings()))
