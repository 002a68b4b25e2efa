"""The client package is plain Python: no module under it imports dagster."""

from __future__ import annotations

import ast
from pathlib import Path

import mpo_pipeline.client

PACKAGE = Path(mpo_pipeline.client.__file__).parent


def _imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_no_module_imports_dagster() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 8
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in _imported_modules(ast.parse(path.read_text(), str(path)))
            if name.split(".")[0].startswith("dagster")
        )
        for path in modules
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_public_api() -> None:
    from mpo_pipeline.client import (  # noqa: F401
        ENDPOINTS,
        ClientMetrics,
        DeprecationNotice,
        MpoAuthError,
        MpoClient,
        MpoError,
        MpoRateLimitError,
        MpoResponseError,
        MpoServerError,
        MpoValidationError,
        StatsWindow,
    )

    assert ENDPOINTS == {
        "sellers": "stats/sellers",
        "campaigns": "stats/campaigns",
        "seller_campaigns": "stats/seller-campaigns",
    }
    for error in (
        MpoAuthError,
        MpoValidationError,
        MpoRateLimitError,
        MpoServerError,
        MpoResponseError,
    ):
        assert issubclass(error, MpoError)
