"""S3-compatible object storage: the lake (``MPO_LAKE_DIR=s3://...``) and a DuckLake's data files.

``S3Options`` holds what locates the store (``MPO_S3_ENDPOINT``, ``MPO_S3_REGION``,
``MPO_S3_URL_STYLE``); credentials are never part of it. They come from the environment
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``) or, without them, from the
standard AWS chain (profile, web identity, instance role), read by s3fs for the pipeline's own
reads and writes and by DuckDB's ``aws`` extension for dbt and the checks. Nothing the project
writes (files, logs, the Dagster run config) ever holds a key.

A lake root is a ``pathlib.Path`` for a folder and a ``upath.UPath`` for ``s3://bucket/prefix``:
both speak the ``Path`` API (``/``, ``glob``, ``exists``, ``open``), so the lake's layout code is
the same for both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from upath import UPath

URL_STYLES: tuple[str, ...] = ("path", "vhost")
DEFAULT_REGION = "us-east-1"
# Bucket names: 3-63 lower-case letters, digits, dots and hyphens (S3's rules, enough for typos).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

LakePath = Path | UPath


@dataclass(frozen=True)
class S3Options:
    """Where the S3-compatible store is: ``endpoint`` (empty = AWS), ``region``, ``url_style``.

    ``path`` style (``http://host/bucket/key``) is what self-hosted stores (SeaweedFS, MinIO) expect
    and the default when an endpoint is set; AWS itself uses ``vhost`` (``bucket.host/key``).
    """

    endpoint: str = ""
    region: str = DEFAULT_REGION
    url_style: str = "vhost"

    @classmethod
    def parse(cls, endpoint: str = "", region: str = "", url_style: str = "") -> S3Options:
        """The options from the three ``MPO_S3_*`` values; ``ValueError`` naming the variable."""
        endpoint = endpoint.strip().rstrip("/")
        if endpoint:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(
                    f"MPO_S3_ENDPOINT={endpoint!r} must be http(s)://host[:port], "
                    "e.g. http://127.0.0.1:8333"
                )
            if parts.username or parts.password:
                raise ValueError(
                    "MPO_S3_ENDPOINT must not hold credentials: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY in the environment"
                )
        style = url_style.strip().lower() or ("path" if endpoint else "vhost")
        if style not in URL_STYLES:
            raise ValueError(f"MPO_S3_URL_STYLE={url_style!r} must be one of {URL_STYLES}")
        region = region.strip() or DEFAULT_REGION
        if not re.fullmatch(r"[A-Za-z0-9_-]+", region):
            raise ValueError(f"MPO_S3_REGION={region!r} is not a region name (e.g. eu-west-3)")
        return cls(endpoint, region, style)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> S3Options:
        """The options the environment names now."""
        env = os.environ if env is None else env
        return cls.parse(
            env.get("MPO_S3_ENDPOINT", ""),
            env.get("MPO_S3_REGION", "") or env.get("AWS_REGION", ""),
            env.get("MPO_S3_URL_STYLE", ""),
        )

    @property
    def use_ssl(self) -> bool:
        return not self.endpoint.startswith("http://")

    def environment(self) -> dict[str, str]:
        """The ``MPO_S3_*`` variables naming these options, for the processes started."""
        return {
            "MPO_S3_ENDPOINT": self.endpoint,
            "MPO_S3_REGION": self.region,
            "MPO_S3_URL_STYLE": self.url_style,
        }

    def storage_options(self) -> dict[str, Any]:
        """s3fs's options (no credentials: botocore reads them from the environment or chain).

        No listing cache: another process or host may write the lake at any time, and a stale
        listing would hide its files from the checks and the close's readiness.
        """
        options: dict[str, Any] = {
            "client_kwargs": {"region_name": self.region},
            "config_kwargs": {
                "s3": {"addressing_style": "path" if self.url_style == "path" else "virtual"}
            },
            "use_listings_cache": False,
        }
        if self.endpoint:
            options["endpoint_url"] = self.endpoint
        return options

    @classmethod
    def of_path(cls, path: UPath) -> S3Options:
        """The options a lake path on S3 was made with (``lake_root``)."""
        options = path.storage_options
        style = options.get("config_kwargs", {}).get("s3", {}).get("addressing_style")
        return cls(
            options.get("endpoint_url", ""),
            options.get("client_kwargs", {}).get("region_name", DEFAULT_REGION),
            "path" if style == "path" else "vhost",
        )

    def duckdb_secret_options(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The options of a DuckDB ``create secret (type s3, ...)`` for this store, with the keys
        of the environment, else ``provider credential_chain`` (DuckDB's ``aws`` extension).
        Holds secrets: hand it to DuckDB only, never log it."""
        env = os.environ if env is None else env
        options = {"type": "s3", "region": self.region, "url_style": self.url_style}
        if self.endpoint:
            options["endpoint"] = urlsplit(self.endpoint).netloc
            options["use_ssl"] = "true" if self.use_ssl else "false"
        key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
        if key and secret:
            options["key_id"], options["secret"] = key, secret
            if env.get("AWS_SESSION_TOKEN"):
                options["session_token"] = env["AWS_SESSION_TOKEN"]
        else:
            options["provider"] = "credential_chain"
        return options


def storage_errors() -> tuple[type[BaseException], ...]:
    """What reaching the lake's store can raise: ``OSError`` (s3fs's translation of S3's answers:
    access denied, no such bucket) and botocore's own errors (an endpoint out of reach)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, BotoCoreError, ClientError)


def is_s3_url(raw: str) -> bool:
    return raw.strip().lower().startswith("s3://")


def check_s3_url(raw: str, name: str) -> str:
    """``raw`` if it is ``s3://bucket[/prefix]`` with a valid bucket name, else ``ValueError``."""
    parts = urlsplit(raw.strip())
    if parts.scheme != "s3" or not _BUCKET.match(parts.netloc) or parts.query or parts.fragment:
        raise ValueError(
            f"{name}={raw!r} must be s3://bucket/prefix (bucket: 3-63 lower-case letters, "
            "digits, dots or hyphens)"
        )
    prefix = parts.path.strip("/")
    return f"s3://{parts.netloc}/{prefix}" if prefix else f"s3://{parts.netloc}"


def lake_root(raw: str | Path, s3: S3Options | None = None) -> LakePath:
    """The lake root named by ``raw``: a ``Path`` for a folder, a ``UPath`` for ``s3://``."""
    if isinstance(raw, UPath) and not isinstance(raw, Path):
        return raw
    text = str(raw)
    if is_s3_url(text):
        return UPath(check_s3_url(text, "MPO_LAKE_DIR"), **(s3 or S3Options()).storage_options())
    if "://" in text:
        raise ValueError(f"MPO_LAKE_DIR={text!r} must be a folder or s3://bucket/prefix")
    return Path(text)


def is_object_store(path: object) -> bool:
    """Whether ``path`` lives on S3 (not on this machine's file system)."""
    return isinstance(path, UPath) and not isinstance(path, Path)


def make_folder(path: LakePath) -> None:
    """Create a local folder (and its parents); S3 has no folders to create."""
    if not is_object_store(path):
        Path(path).mkdir(parents=True, exist_ok=True)


def resolved(path: LakePath) -> LakePath:
    """A folder made absolute; an S3 location as it is."""
    return path if is_object_store(path) else Path(path).resolve()
