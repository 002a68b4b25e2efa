"""Pruning of dagster-dbt's per-invocation target folders (one per dbt step of every run)."""

from __future__ import annotations

import os
from datetime import timedelta

from mpo_pipeline.defs.transform.project import prune_invocation_targets

NOW = 1_800_000_000.0
DAY = 86_400.0


def _folder(base, name: str, age_days: float):
    path = base / name
    path.mkdir()
    (path / "manifest.json").write_text("{}")
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def test_keeps_the_newest_and_the_young_and_anything_not_an_invocation(tmp_path):
    old = [_folder(tmp_path, f"dbt_rollups-{i:07x}-abcdef{i}", 10 + i) for i in range(5)]
    young = _folder(tmp_path, "dbt_upstream-aaaaaaa-bbbbbbb", 0.5)
    newest = _folder(tmp_path, "dbt_daily_facts-ccccccc-ddddddd", 2)
    other = _folder(tmp_path, "compiled", 400)  # dbt's own folder of a plain `dbt` run
    (tmp_path / "partial_parse.msgpack").write_bytes(b"x")

    removed = prune_invocation_targets(tmp_path, keep=3, min_age=timedelta(days=1), now=NOW)

    # newest three by age: young (0.5 d), newest (2 d), old[0] (10 d); the rest are older than a day
    assert sorted(removed) == sorted(old[1:])
    assert all(not p.exists() for p in old[1:])
    assert young.exists() and newest.exists() and old[0].exists() and other.exists()
    assert (tmp_path / "partial_parse.msgpack").exists()


def test_a_folder_younger_than_min_age_is_never_removed(tmp_path):
    folders = [_folder(tmp_path, f"dbt_rollups-{i:07x}-1234567", 0.1 * i) for i in range(6)]
    assert prune_invocation_targets(tmp_path, keep=1, min_age=timedelta(days=1), now=NOW) == []
    assert all(p.exists() for p in folders)


def test_missing_base_is_nothing_to_do(tmp_path):
    assert prune_invocation_targets(tmp_path / "absent", now=NOW) == []
