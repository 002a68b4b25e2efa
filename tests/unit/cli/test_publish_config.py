"""``MPO_PUBLISHED_WAREHOUSE``: default, validation, the runner's environment, the CLI commands."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mpo_pipeline import cli
from mpo_pipeline.config import ConfigError, Settings
from mpo_pipeline.warehouse.publish import publish_warehouse


def _settings(**env: str) -> Settings:
    return Settings.from_env(env, require_credentials=False)


def test_default_is_a_published_folder_under_the_data_dir():
    assert _settings().published_warehouse == Path("data/published/warehouse.duckdb")
    assert _settings(MPO_DATA_DIR="/srv/mpo").published_warehouse == Path(
        "/srv/mpo/published/warehouse.duckdb"
    )
    custom = _settings(MPO_PUBLISHED_WAREHOUSE=" ../bi/mpo.duckdb ")
    assert custom.published_warehouse == Path("../bi/mpo.duckdb")  # relative, like the others


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("./data/warehouse.duckdb", "is the pipeline's own warehouse"),
        ("data/x/../warehouse.duckdb", "is the pipeline's own warehouse"),
        ("/srv/bi/", "must name a file"),
        ("/srv/bi/.warehouse.duckdb", "hidden file name is reserved"),
    ],
)
def test_bad_values_are_reported_with_the_others(value, message):
    with pytest.raises(ConfigError) as info:
        _settings(MPO_PUBLISHED_WAREHOUSE=value, MPO_LOOKBACK_DAYS="x")
    problems = info.value.problems
    assert len(problems) == 2
    assert any(p.startswith("MPO_PUBLISHED_WAREHOUSE=") and message in p for p in problems)


def test_an_existing_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        _settings(MPO_PUBLISHED_WAREHOUSE=str(tmp_path))


def test_the_runner_exports_the_absolute_path_and_creates_its_folder(tmp_path, monkeypatch):
    from mpo_pipeline.runs.runner import prepare_environment

    monkeypatch.chdir(tmp_path)
    for name in ("MPO_LAKE_DIR", "MPO_WAREHOUSE", "MPO_PUBLISHED_WAREHOUSE"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    settings = _settings(MPO_DATA_DIR="d", MPO_PUBLISHED_WAREHOUSE="bi/snap.duckdb")
    prepare_environment(settings)
    assert os.environ["MPO_PUBLISHED_WAREHOUSE"] == str(tmp_path / "bi" / "snap.duckdb")
    assert (tmp_path / "bi").is_dir()


def test_cli_published_says_where_and_how_fresh(tmp_path, monkeypatch, capsys):
    from test_publish import make_private, write_manifest

    published = tmp_path / "bi" / "warehouse.duckdb"
    monkeypatch.setenv("MPO_PUBLISHED_WAREHOUSE", str(published))
    assert cli.main(["published"]) == 1
    assert "nothing published at" in capsys.readouterr().err
    private = make_private(tmp_path / "data" / "warehouse.duckdb")
    publish_warehouse(
        private, published, run_id="r-7", manifest=write_manifest(tmp_path / "m.json")
    )
    assert cli.main(["published"]) == 0
    err = capsys.readouterr().err.replace("\n", "")
    assert str(published) in err
    assert "by run r-7: 3 tables (marts,finance,ops), 6 rows" in err


def test_cli_publish_without_a_warehouse_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MPO_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["publish"]) == 2
    assert "does not exist yet: nothing to publish" in capsys.readouterr().err


def test_the_python_recipe_of_docs_bi_md_runs_on_a_published_file(tmp_path, monkeypatch):
    """The ```python block of docs/bi.md, run as written against a published snapshot."""
    import re
    import subprocess
    import sys

    import duckdb
    from test_publish import make_private, write_manifest

    text = (Path(__file__).resolve().parents[3] / "docs" / "bi.md").read_text()
    (recipe,) = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert "read_only=True" in recipe
    private = make_private(tmp_path / "data" / "warehouse.duckdb")
    with duckdb.connect(str(private)) as con:  # what the recipe queries
        con.execute(
            "create table marts.fct_seller_monthly_statement as select date '2026-10-01' as "
            "month, 1 as advertiser_id, 'EUR' as currency, 12.5::decimal(18, 6) as media_cost"
        )
    published = tmp_path / "data" / "published" / "warehouse.duckdb"
    publish_warehouse(private, published, run_id="r-1", manifest=write_manifest(tmp_path / "m"))
    out = subprocess.run(
        [sys.executable, "-c", recipe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "(run r-1)" in out.stdout and "12.5" in out.stdout
