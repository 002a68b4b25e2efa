"""The package layout of docs/architecture.md (Layers): no module loose at the top of
``mpo_pipeline/`` but the entry points, and no import from a package to one above it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mpo_pipeline"
# Lowest first: a package may import from those before it, never from those after it.
LAYERS = [
    ["core"],
    ["client", "simulator"],
    ["config"],
    ["ingest"],
    ["warehouse"],
    ["finance", "seller_portal"],
    ["defs", "definitions"],
    ["runs"],
    ["cli"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
TOP_LEVEL_MODULES = {"__init__.py", "config.py", "definitions.py"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every ``mpo_pipeline`` import in a file, lazy ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if node.module == "mpo_pipeline":
                found += [(node.lineno, n) for n in names[1:]]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, m) for line, m in found if m.split(".")[0] == "mpo_pipeline"]


def _layer(module: str) -> str:
    return module.split(".")[1].removesuffix(".py")


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Every import of a package from a package above it, as ``file:line module``."""
    bad = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent)
        if len(relative.parts) < 2 or (relative.name == "__init__.py" and len(relative.parts) == 2):
            continue
        own = relative.parts[1].removesuffix(".py")
        for line, module in _imports(path):
            if len(module.split(".")) < 2:
                continue
            other = _layer(module)
            if other != own and RANK[other] > RANK[own]:
                bad.append(f"{relative}:{line} {module}")
    return bad


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert packages | modules == set(RANK)


def test_no_module_is_loose_at_the_top():
    assert {p.name for p in PACKAGE.glob("*.py")} == TOP_LEVEL_MODULES


def test_no_import_goes_up_a_layer():
    assert upward_imports() == []


def test_an_upward_import_is_found(tmp_path):
    """The walk sees an import going up, also a lazy one inside a function."""
    package = tmp_path / "mpo_pipeline"
    (package / "core").mkdir(parents=True)
    (package / "core" / "dates.py").write_text(
        "def f():\n    from mpo_pipeline.cli.main import main\n    return main\n"
    )
    (package / "config.py").write_text("from mpo_pipeline import ingest\n")
    assert upward_imports(package) == [
        "mpo_pipeline/config.py:1 mpo_pipeline.ingest",
        "mpo_pipeline/core/dates.py:2 mpo_pipeline.cli.main",
    ]
