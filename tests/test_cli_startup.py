"""Start-up: the command line (``--help``, shell completion) builds every command without
importing what only running one needs: rich, ruamel.yaml, the conventions' loader, the
report's figures and documents are imported inside the commands."""

from __future__ import annotations

import subprocess
import sys

LAZY = ("rich", "ruamel", "delegation_cli.store.convention", "delegation_cli.report.figures",
        "delegation_cli.report.document", "delegation_cli.report.portfolio", "delegation_cli.report.export",
        "python_calamine", "openpyxl", "odf", "delegation_cli.store.spreadsheets",
        "delegation_cli.report.reconciliation")


def test_the_application_imports_no_heavy_module() -> None:
    code = ("import sys; import delegation_cli.cli.app; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {LAZY!r} or m in {LAZY!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout == "[]\n"


def test_only_the_commands_that_read_spreadsheets_import_their_libraries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`check` on the example runs without python-calamine, openpyxl or odfpy loaded."""
    from .conftest import SEED

    code = ("import sys; from delegation_cli.cli.app import main; sys.argv = ['delegation', 'check', "
            f"{str(SEED)!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('python_calamine', 'openpyxl', 'odf')),"
            " file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                            cwd=tmp_path)
    assert result.stderr.splitlines()[-1] == "[]"
