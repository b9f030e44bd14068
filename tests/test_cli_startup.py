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


FORBIDDEN_AT_START = ("pydantic", "pydantic_core", "ruamel", "delegation_cli.report", "typer._adapters", "rich")
"""What neither ``--help`` nor a TAB completion may import: a model, a YAML parser, a rendering."""


def _imported_by(argv: list[str], env: dict[str, str], cwd: object) -> list[str]:
    """The forbidden modules a run of the console script with ``argv`` and ``env`` left in ``sys.modules``
    (after what it printed on stdout)."""
    import os

    code = ("import sys; from delegation_cli.cli.app import main\n"
            f"sys.argv = {argv!r}\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in "
            f"{FORBIDDEN_AT_START!r})), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                            cwd=cwd, env={**os.environ, **env})
    return [result.stdout, result.stderr.splitlines()[-1]]


def test_help_imports_no_model_parser_nor_rendering(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, imported = _imported_by(["delegation", "--help"], {}, tmp_path)
    assert "Usage: delegation" in out
    assert imported == "[]"
    out, imported = _imported_by(["delegation", "report", "--help"], {}, tmp_path)
    assert "--format" in out
    assert imported == "[]"


def test_tab_completion_imports_no_model_parser_nor_rendering(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Completing a command's name, an option's name or a team (read from the convention) loads no model,
    no ruamel and no rendering."""
    from .conftest import SEED

    def complete(words: str) -> list[str]:
        env = {"_DELEGATION_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        return _imported_by(["delegation"], env, tmp_path)

    assert complete("delegation co") == ["commit\n", "[]"]
    out, imported = complete("delegation report --for")
    assert out == "--format\n" and imported == "[]"
    assert complete(f"delegation commit -c {SEED} --team a") == ["acces-4-all\naffaires-juridiques\n", "[]"]


def test_the_program_runs_without_pydantic_plugins_unless_told_otherwise(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Looking for pydantic plugins walks every installed package's metadata at start: the
    program sets their documented switch, and keeps the environment's own value."""
    import os

    from .conftest import SEED

    code = ("import sys; sys.argv = ['delegation', 'check', sys.argv[1]]\n"
            "from delegation_cli.__main__ import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "import os; print(os.environ.get('PYDANTIC_DISABLE_PLUGINS'), file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    for given, expected in ((None, "__all__"), ("logfire", "logfire")):
        run_env = env if given is None else {**env, "PYDANTIC_DISABLE_PLUGINS": given}
        result = subprocess.run([sys.executable, "-c", code, str(SEED)], capture_output=True, text=True, timeout=60,
                                check=False, cwd=tmp_path, env=run_env)
        assert result.stderr.splitlines()[-1] == expected
