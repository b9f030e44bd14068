"""Imports flow one way through the package: each module imports only from the layers below it."""

from __future__ import annotations

import ast

from .conftest import ROOT

LAYERS = (
    ("i18n",),
    ("errors", "output"),
    ("money",),
    ("model", "entries"),
    ("convention", "ledger"),
    ("budget", "seal"),
    ("book",),
    ("results",),
    ("figures", "export"),
    ("actions", "importer"),
    ("report", "scaffold"),
    ("document",),
    ("portfolio",),
    ("cli",),
)
LAYER = {name: index for index, names in enumerate(LAYERS) for name in names}


def _imports(name: str) -> set[str]:
    tree = ast.parse((ROOT / "delegation_cli" / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names if alias.name in LAYER)
    return found - {"__init__"}


def test_every_module_has_a_layer() -> None:
    modules = {p.stem for p in (ROOT / "delegation_cli").glob("*.py")} - {"__init__", "__main__"}
    assert modules == set(LAYER)


def test_imports_only_go_down() -> None:
    upward = sorted((name, imported) for name in LAYER for imported in _imports(name)
                    if imported != "__init__" and LAYER.get(imported, -1) >= LAYER[name])
    assert upward == []
