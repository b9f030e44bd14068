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
    assert _commands() == sorted(["check", "init", "commit", "pay", "release", "forecast", "note", "log", "report",
                                       "export", "import", "close", "portfolio", "migrate"])
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
