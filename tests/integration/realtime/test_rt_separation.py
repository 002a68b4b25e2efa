"""No finance or marts model depends, even indirectly, on an ops model or the real-time source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dbt.cli.main import dbtRunner
from rt_manifest_helpers import guarded_models, is_ops, ops_dependents

PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


def _model(path: str, *parents: str, schema: str = "x") -> dict:
    return {
        "resource_type": "model",
        "original_file_path": path,
        "schema": schema,
        "depends_on": {"nodes": list(parents)},
    }


def test_the_walker_finds_indirect_dependencies() -> None:
    manifest = {
        "sources": {"source.p.mpo_lake.realtime_exports": {"name": "realtime_exports"}},
        "nodes": {
            "model.p.ops_a": _model("models/ops/ops_a.sql", "source.p.mpo_lake.realtime_exports"),
            "model.p.int_x": _model("models/intermediate/int_x.sql", "model.p.ops_a"),
            "model.p.fct": _model("models/marts/fct.sql", "model.p.int_x"),
            "model.p.close": _model("models/other/close.sql", schema="finance"),
            "model.p.rogue": _model(
                "models/misc/rogue.sql", "source.p.mpo_lake.realtime_exports", schema="finance"
            ),
        },
    }
    assert ops_dependents(manifest) == {
        "model.p.fct": ["model.p.ops_a", "source.p.mpo_lake.realtime_exports"],
        "model.p.rogue": ["source.p.mpo_lake.realtime_exports"],
    }


def test_no_marts_or_finance_model_depends_on_ops(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    # Start from the project's partial-parse state when there is one (dbt re-checks every file).
    cached = PROJECT_DIR / "target" / "partial_parse.msgpack"
    if cached.exists():
        shutil.copy(cached, target / cached.name)
    result = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--quiet",
        ]
    )
    assert result.success, result.exception
    manifest = json.loads((target / "manifest.json").read_text())
    ops = [uid for uid in manifest["nodes"] if is_ops(uid, manifest)]
    assert len(ops) >= 5, "the ops models are missing from the manifest"
    assert guarded_models(manifest), "no marts/finance model found: the test would be vacuous"
    assert ops_dependents(manifest) == {}
