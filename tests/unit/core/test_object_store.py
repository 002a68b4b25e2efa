"""The S3 settings of the lake (MPO_LAKE_DIR=s3://..., MPO_S3_*): parsing, errors, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from upath import UPath

from mpo_pipeline.config import ConfigError, Settings
from mpo_pipeline.core.object_store import (
    S3Options,
    is_object_store,
    lake_root,
    make_folder,
    resolved,
)

KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalr-secret-EXAMPLEKEY"}


def _settings(**env: str) -> Settings:
    return Settings.from_env(env, require_credentials=False)


def test_a_folder_stays_a_path_and_the_default_is_unchanged(tmp_path):
    settings = _settings(MPO_DATA_DIR=str(tmp_path))
    assert settings.lake_dir == tmp_path / "lake"
    assert isinstance(settings.lake_dir, Path) and not is_object_store(settings.lake_dir)
    assert settings.s3 == S3Options()


def test_an_s3_lake_is_a_upath_on_the_named_store():
    settings = _settings(
        MPO_LAKE_DIR="s3://mpo-lake/prod/",
        MPO_S3_ENDPOINT="http://127.0.0.1:8333/",
        MPO_S3_REGION="eu-west-3",
    )
    lake = settings.lake_dir
    assert is_object_store(lake) and isinstance(lake, UPath)
    assert str(lake) == "s3://mpo-lake/prod"
    assert str(lake / "stats" / "x.parquet") == "s3://mpo-lake/prod/stats/x.parquet"
    assert settings.s3 == S3Options("http://127.0.0.1:8333", "eu-west-3", "path")
    options = lake.storage_options
    assert options["endpoint_url"] == "http://127.0.0.1:8333"
    assert options["client_kwargs"] == {"region_name": "eu-west-3"}
    assert options["config_kwargs"] == {"s3": {"addressing_style": "path"}}
    assert options["use_listings_cache"] is False  # other hosts write the same lake
    assert S3Options.of_path(lake) == settings.s3
    assert resolved(lake) is lake
    make_folder(lake)  # nothing to create on S3, and no request made


def test_aws_itself_uses_virtual_hosted_urls_by_default():
    assert S3Options.parse() == S3Options("", "us-east-1", "vhost")
    assert S3Options.parse("https://s3.example.net").url_style == "path"
    assert S3Options.parse("https://s3.example.net", url_style="vhost").url_style == "vhost"
    assert S3Options.parse("https://s3.example.net").use_ssl
    assert not S3Options.parse("http://127.0.0.1:9000").use_ssl


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MPO_LAKE_DIR": "s3://ab/x"}, "MPO_LAKE_DIR='s3://ab/x' must be s3://bucket/prefix"),
        ({"MPO_LAKE_DIR": "s3://Upper_Case/x"}, "must be s3://bucket/prefix"),
        ({"MPO_LAKE_DIR": "gs://bucket/x"}, "must be a folder or s3://bucket/prefix"),
        ({"MPO_S3_ENDPOINT": "127.0.0.1:8333"}, "must be http(s)://host[:port]"),
        ({"MPO_S3_ENDPOINT": "http://host:1/some/path"}, "must be http(s)://host[:port]"),
        ({"MPO_S3_URL_STYLE": "virtual"}, "MPO_S3_URL_STYLE='virtual' must be one of"),
        ({"MPO_S3_REGION": "eu west"}, "MPO_S3_REGION='eu west' is not a region name"),
    ],
)
def test_bad_s3_settings_are_configuration_errors(env, message):
    with pytest.raises(ConfigError) as raised:
        _settings(**env)
    assert message in str(raised.value)


def test_credentials_in_the_endpoint_are_refused_without_being_shown():
    with pytest.raises(ConfigError) as raised:
        _settings(MPO_S3_ENDPOINT="http://AKID:s3cr3t-value@127.0.0.1:8333")
    text = str(raised.value)
    assert "must not hold credentials" in text
    assert "s3cr3t-value" not in text


def test_the_duckdb_secret_takes_the_environments_keys_else_the_aws_chain():
    store = S3Options.parse("http://127.0.0.1:8333", "us-east-1")
    with_keys = store.duckdb_secret_options({**KEYS, "AWS_SESSION_TOKEN": "tok"})
    assert with_keys == {
        "type": "s3",
        "region": "us-east-1",
        "url_style": "path",
        "endpoint": "127.0.0.1:8333",
        "use_ssl": "false",
        "key_id": "AKIDEXAMPLE",
        "secret": "wJalr-secret-EXAMPLEKEY",
        "session_token": "tok",
    }
    chain = S3Options.parse(region="eu-west-3").duckdb_secret_options({})
    assert chain == {
        "type": "s3",
        "region": "eu-west-3",
        "url_style": "vhost",
        "provider": "credential_chain",
    }


def test_no_key_is_kept_in_the_settings_or_their_repr(monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    settings = _settings(MPO_LAKE_DIR="s3://mpo-lake/prod", MPO_S3_ENDPOINT="http://h:1")
    shown = repr(settings) + repr(settings.lake_dir) + str(settings.lake_dir.storage_options)
    assert KEYS["AWS_SECRET_ACCESS_KEY"] not in shown
    assert KEYS["AWS_ACCESS_KEY_ID"] not in shown
    # the processes the pipeline starts get the store, the keys stay in their environment
    passed_on = settings.s3.environment()
    assert set(passed_on) == {"MPO_S3_ENDPOINT", "MPO_S3_REGION", "MPO_S3_URL_STYLE"}


def test_lake_root_accepts_what_it_returns(tmp_path):
    s3 = S3Options.parse("http://127.0.0.1:1")
    remote = lake_root("s3://mpo-lake/a", s3)
    assert lake_root(remote) is remote
    assert lake_root(tmp_path) == tmp_path


def test_a_ducklake_data_path_on_s3_ends_with_a_slash():
    settings = _settings(
        MPO_WAREHOUSE="ducklake:sqlite:/tmp/catalog.sqlite",
        MPO_WAREHOUSE_DATA_PATH="s3://mpo-lake/warehouse",
    )
    assert settings.target.data_path == "s3://mpo-lake/warehouse/"
    with pytest.raises(ConfigError, match="MPO_WAREHOUSE_DATA_PATH='s3://x/w' must be s3://"):
        _settings(
            MPO_WAREHOUSE="ducklake:sqlite:/tmp/catalog.sqlite", MPO_WAREHOUSE_DATA_PATH="s3://x/w"
        )
