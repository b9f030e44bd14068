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
    return {".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
            for floor in FLOORS for path in (PACKAGE / floor).rglob("*.py") if path.stem != "__init__"}


def _imported(name: str, path: Path) -> set[str]:
    """The ``floor.module`` names a module imports (relative imports, at the top or lazily)."""
    package = name.split(".")[:-1]  # where the module lives: a floor, or a folder in one
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[:len(package) - node.level + 1]
        parts = [*base, *(node.module.split(".") if node.module else [])]
        if node.module:
            found.add(".".join(parts))
        else:
            found.update(".".join([*parts, alias.name]) for alias in node.names)
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


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_module_above_500_lines_and_no_function_above_60() -> None:
    """Sizes a reader takes in at once: a module at most 500 lines, a function (its ``def``
    to its last line, nested ones and methods alike) at most 60."""
    paths = [*PACKAGE.glob("*.py"), *(path for floor in FLOORS for path in (PACKAGE / floor).rglob("*.py"))]
    long_modules, long_functions = [], []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append((str(where), len(text.splitlines())))
        for node in _functions(ast.parse(text)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                long_functions.append((f"{where}:{node.lineno} {node.name}", length))
    assert (long_modules, long_functions) == ([], [])


def test_the_size_test_can_fail() -> None:
    """A function of 61 lines is seen as one."""
    body = "\n".join(f"    x = {i}" for i in range(60))
    (node,) = _functions(ast.parse(f"def f():\n{body}\n"))
    assert (node.end_lineno or 0) - node.lineno + 1 == 61 > MAX_FUNCTION_LINES


def test_the_commands_offer_the_formats_registered_and_nothing_else() -> None:
    """``--format``'s choices are the registry's (``report/formats.py``), in its order."""
    from delegation_cli.cli.commands.export import ExportFormat
    from delegation_cli.cli.commands.log import Format
    from delegation_cli.cli.commands.portfolio import PortfolioFormat
    from delegation_cli.cli.commands.reconcile import ReconcileFormat
    from delegation_cli.cli.commands.report import ReportFormat
    from delegation_cli.report.formats import RENDERERS, format_names

    offered = {"report": ReportFormat, "portfolio": PortfolioFormat, "log": Format, "export": ExportFormat,
               "reconcile": ReconcileFormat}
    assert set(offered) == set(RENDERERS)
    for kind, choices in offered.items():
        assert [c.value for c in choices] == format_names(kind), kind
