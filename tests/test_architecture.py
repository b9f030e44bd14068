"""The package's floors: ``core`` (no input or output), ``store`` (files and the one read
path), ``report`` (figures and their renderings), ``cli`` (the command line).  Imports only
go down, within a floor only to the modules listed before; every module and every function
stays readable (sizes measured here)."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "delegation_cli"
FLOORS = ("core", "store", "report", "cli")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    """``floor.module`` → path, for every module of the four floors."""
    return {f"{path.parent.name}.{path.stem}": path for floor in FLOORS for path in (PACKAGE / floor).glob("*.py")
            if path.stem != "__init__"}


def _imported(name: str, path: Path) -> set[str]:
    """The ``floor.module`` names a module imports (relative imports, at the top or lazily)."""
    floor = name.split(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = floor if node.level == 1 else None
        parts = (node.module or "").split(".") if node.module else []
        if base is None:  # from ..floor.module import x, or from ..floor import module
            if not parts:
                continue
            target_floor, rest = parts[0], parts[1:]
        else:
            target_floor, rest = base, parts
        if rest:
            found.add(f"{target_floor}.{rest[0]}")
        else:
            found.update(f"{target_floor}.{alias.name}" for alias in node.names)
    return {n for n in found if n.split(".")[0] in FLOORS}


def test_every_module_lives_on_a_floor() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert loose == []


def test_imports_only_go_down_the_floors() -> None:
    modules = _modules()
    upward = sorted((name, target) for name, path in modules.items() for target in _imported(name, path)
                    if FLOORS.index(target.split(".")[0]) > FLOORS.index(name.split(".")[0]))
    assert upward == []


def test_the_core_does_no_input_or_output() -> None:
    """No file, process or socket below ``store``; ``i18n`` alone reads the environment's
    language and loads its catalogue, the words every floor speaks."""
    banned = {"os", "io", "subprocess", "fcntl", "shutil", "tempfile", "socket", "pathlib"}
    found = []
    for name, path in _modules().items():
        if not name.startswith("core.") or name == "core.i18n":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(name, a.name) for a in node.names if a.name.split(".")[0] in banned]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in banned:
                found.append((name, node.module))
    assert found == []
