"""The README documents every command and exit code; every example passes `check`."""

from __future__ import annotations

import re

from delegation_cli.cli.app import app
from delegation_cli.core.errors import ExitCode

from .conftest import EXAMPLES, ROOT, Cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return sorted(c.name or c.callback.__name__ for c in app.registered_commands)  # type: ignore[union-attr]


def test_every_command_is_in_the_readme_and_has_help(cli: Cli) -> None:
    assert _commands() == sorted(["check", "init", "commit", "pay", "release", "forecast", "note", "cancel",
                                  "service-fait", "log", "report", "reconcile", "export", "import", "close",
                                  "portfolio", "migrate", "publish"])
    for command in _commands():
        assert f"`delegation {command}" in README, command
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert "Example: delegation " + command in " ".join(result.stdout.split())


def test_every_exit_code_is_documented() -> None:
    table = dict(re.findall(r"^\| (\d) \| (.+) \|$", README, flags=re.MULTILINE))
    assert sorted(int(code) for code in table) == sorted(int(code) for code in ExitCode)


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2 and all(b.count("\n") == 1 for b in blocks)
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci


def test_every_example_passes_check(cli: Cli) -> None:
    examples = sorted(EXAMPLES.glob("*.yaml"))
    assert len(examples) >= 2
    for path in examples:
        result = cli("check", str(path), "--strict")
        assert (result.exit_code, result.stderr) == (0, ""), path


def _shown_commands() -> list[str]:
    """Every `delegation …` command line the README shows (console `$` lines, but those shown
    with their usage error, and the quick start's), up to a pipe, a redirection or a following
    command."""
    lines = [line for line, after in re.findall(r"^\$ (delegation [^\n]*)\n([^\n]*)", README, flags=re.MULTILINE)
             if not after.startswith("error:")]  # a usage error shown on purpose
    lines += re.findall(r"```sh\n(?:[^\n]*&& )?\.venv/bin/(delegation [^\n`]*)\n", README)
    return [re.split(r" \| | > | >> | && |; ", line)[0].strip() for line in lines]


def test_every_command_line_the_readme_shows_is_accepted_as_written() -> None:
    """Each is parsed by the real command line (options, arguments, their values): a renamed
    option or a stale example fails here."""
    import shlex

    import typer

    group = typer.main.get_command(app)
    shown = _shown_commands()
    assert len(shown) >= 10
    refused = []
    for line in shown:
        args = shlex.split(line)[1:]
        try:
            with group.make_context("delegation", list(args), resilient_parsing=False) as ctx:
                pending = [*getattr(ctx, "_protected_args", []), *ctx.args]
                name, command, rest = group.resolve_command(ctx, pending)
                assert command is not None
                command.make_context(name or "", rest, parent=ctx).close()
        except Exception as exc:  # noqa: BLE001 - any refusal (Typer's own Click raises its own classes)
            refused.append(f"{line}: {exc}")
    assert refused == []
