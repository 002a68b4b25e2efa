"""Dagster resources built from the ``MPO_*`` settings; secrets only ever travel as ``EnvVar``."""

from functools import cache
from pathlib import Path

import dagster as dg

from mpo_pipeline.client import MpoClient
from mpo_pipeline.config import Settings


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
    request_window_days: int = 31

    def client(self) -> MpoClient:
        """A fresh client; use it as a context manager so its connections are closed."""
        return MpoClient(
            self.base_url,
            self.api_version,
            self.client_id,
            self.client_secret,
            max_calls_per_minute=self.max_calls_per_minute,
            request_window_days=self.request_window_days,
        )


class LakeResource(dg.ConfigurableResource):
    """Root of the Parquet lake and the pipeline-wide extraction settings."""

    lake_dir: str
    time_zone: str = "UTC"
    advertiser_ids: list[int] = []  # noqa: RUF012 (pydantic copies defaults)
    start_date: str = "2025-01-01"

    @property
    def path(self) -> Path:
        return Path(self.lake_dir).resolve()


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
        ),
        "lake": LakeResource(
            lake_dir=str(s.lake_dir.resolve()),
            time_zone=s.time_zone,
            advertiser_ids=list(s.advertiser_ids),
            start_date=s.start_date.isoformat(),
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    """Bind the project's resources for the autoloader."""
    return dg.Definitions(resources=build_resources(settings()))
