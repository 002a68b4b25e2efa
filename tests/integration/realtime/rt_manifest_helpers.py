"""Walking a dbt manifest: which marts/finance models reach an ops model or the real-time source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GUARDED_FOLDERS = ("models/marts/", "models/finance/")
GUARDED_SCHEMAS = ("marts", "finance")
OPS_FOLDER = "models/ops/"


def _path(node: Mapping[str, Any]) -> str:
    return str(node.get("original_file_path", "")).replace("\\", "/")


def is_ops(unique_id: str, manifest: Mapping[str, Any]) -> bool:
    """An ops model, or the lake source of the real-time exports."""
    node = manifest["nodes"].get(unique_id)
    if node is not None:
        return node.get("resource_type") == "model" and _path(node).startswith(OPS_FOLDER)
    source = manifest["sources"].get(unique_id)
    return source is not None and str(source.get("name", "")).startswith("realtime")


def guarded_models(manifest: Mapping[str, Any]) -> list[str]:
    """Models that feed BI and finance: in models/marts or models/finance, or in those schemas."""
    return sorted(
        uid
        for uid, node in manifest["nodes"].items()
        if node.get("resource_type") == "model"
        and (
            _path(node).startswith(GUARDED_FOLDERS)
            or str(node.get("schema", "")).lower() in GUARDED_SCHEMAS
        )
    )


def upstream(unique_id: str, manifest: Mapping[str, Any]) -> Iterable[str]:
    """Every node and source ``unique_id`` depends on, transitively."""
    seen: set[str] = set()
    stack = [unique_id]
    while stack:
        node = manifest["nodes"].get(stack.pop()) or {}
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def ops_dependents(manifest: Mapping[str, Any]) -> dict[str, list[str]]:
    """{guarded model: the ops nodes it reaches}; empty when the separation holds."""
    out = {}
    for uid in guarded_models(manifest):
        reached = sorted(p for p in upstream(uid, manifest) if is_ops(p, manifest))
        if reached:
            out[uid] = reached
    return out
