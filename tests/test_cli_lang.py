"""``--lang`` on the root and on every command, English help unchanged, and the language the
command line and the locale ask for (``i18n.argv_language``, ``i18n.locale_language``).

These tests do not depend on the French catalogue being compiled: they run in English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from delegation_cli.cli.app import app
from delegation_cli.core import i18n

from .conftest import SEED, Cli

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The language a test leaves behind is the locale's again."""
    yield
    i18n.set_language(None)


def test_every_command_has_lang() -> None:
    assert len(COMMANDS) == 18
    for command in COMMANDS:
        info = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == command)  # type: ignore[union-attr]
        assert info.callback is not None
        assert "lang" in info.callback.__annotations__, command


@pytest.mark.parametrize("args", [
    ("--lang", "en", "check", str(SEED)),
    ("--lang=en", "check", str(SEED)),
    ("check", str(SEED), "--lang", "en"),
    ("check", "--lang", "EN", str(SEED)),
    ("--lang", "fr", "check", str(SEED), "--format", "json"),
    ("check", str(SEED), "--lang", "Fr", "--format", "json"),
])
def test_lang_is_accepted_on_the_root_and_on_the_command(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "check"])
def test_every_command_takes_lang_before_its_help(cli: Cli, command: str) -> None:
    result = cli(command, "--lang", "en", "--help")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Usage: delegation {command} [OPTIONS]")
    assert "--lang <fr|en>" in result.stdout


@pytest.mark.parametrize("args, path", [
    (("--lang", "xx", "check"), "delegation"),
    (("check", "--lang", "xx"), "delegation check"),
    (("log", "--lang=de"), "delegation log"),
])
def test_an_unknown_language_is_a_two_line_usage_error(cli: Cli, args: tuple[str, ...], path: str) -> None:
    result = cli(*args)
    value = args[-1].split("=")[-1] if "=" in args[-1] else args[args.index("--lang") + 1]
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"error: Invalid value for '--lang': '{value}' (expected one of: fr, en)\n"
                             f"hint: see {path} --help\n")


def test_lang_does_not_outlive_the_command(cli: Cli) -> None:
    i18n.set_language(None)
    before = i18n.language()
    result = cli("--lang", "fr", "check", str(SEED), "--format", "json")
    assert result.exit_code == 0
    assert i18n.language() == before  # the command ran in a copy of the context


def test_lang_callback_sets_the_language() -> None:
    from delegation_cli.cli.options import Lang, _set_language

    assert _set_language(Lang.fr) is Lang.fr
    assert i18n.language() == "fr"
    assert _set_language(None) is None
    assert i18n.language() == "fr"  # not given: left as __main__ chose it
    _set_language("EN")
    assert i18n.language() == "en"


def test_root_help_in_english_is_unchanged(cli: Cli) -> None:
    result = cli("--help", env={"LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""})
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[:5] == [
        "Usage: delegation [OPTIONS] COMMAND [ARGS]...",
        "",
        "  Budget ledger for a convention de délégation de gestion: record commitments",
        "  (AE) and payments (CP), refuse what the convention forbids, report every",
        "  month.",
    ]
    assert "\nOptions:\n" in result.stdout and "\nCommands:\n" in result.stdout
    assert "  --help                Show this message and exit.\n" in result.stdout
    assert "  --version             Show the version and exit.\n" in result.stdout
    assert "\n  check         Validate a convention file and its ledger; report every" in result.stdout


def test_command_help_in_english_is_unchanged(cli: Cli) -> None:
    env = {"LANG": "C", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    check = cli("check", "--help", env=env)
    assert (check.exit_code, check.stderr) == (0, "")
    assert check.stdout.splitlines()[:5] == [
        "Usage: delegation check [OPTIONS] [[CONVENTION.yaml]]",
        "",
        "  Validate a convention file and its ledger; report every problem at once.",
        "",
        "  Example: delegation check examples/fabrique-numerique-s3.yaml",
    ]
    assert "\nArguments:\n" in check.stdout
    assert "[env var: DELEGATION_CONVENTION; default: convention.yaml]" in " ".join(check.stdout.split())
    close = cli("close", "--help", "--lang", "en", env=env)
    assert (close.exit_code, close.stderr) == (0, "")
    assert close.stdout.splitlines()[:3] == [
        "Usage: delegation close [OPTIONS] {YYYY-MM}",
        "",
        "  Close a month: append a seal (SHA-256, chained) over every entry dated up to",
    ]


def test_english_usage_errors_are_unchanged(cli: Cli) -> None:
    unknown = cli("chek", "--lang", "en")
    assert (unknown.exit_code, unknown.stdout) == (2, "")
    assert unknown.stderr == "error: No such command 'chek'. Did you mean 'check'?\nhint: see delegation --help\n"
    extra = cli("check", "a", "b", "--lang", "en")
    assert (extra.exit_code, extra.stdout) == (2, "")
    assert extra.stderr == "error: Got unexpected extra argument(s) (b)\nhint: see delegation check --help\n"
    missing = cli("pay", "--lang", "en")
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr == "error: Missing argument 'COMMITMENT'.\nhint: see delegation pay --help\n"


def test_version(cli: Cli) -> None:
    from delegation_cli import __version__

    result = cli("--lang", "en", "--version")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"delegation {__version__}\n", "")


@pytest.mark.parametrize("argv, expected", [
    (["--lang", "fr", "check"], "fr"),
    (["check", "--lang", "FR"], "fr"),
    (["check", "--lang=en"], "en"),
    (["--lang=En"], "en"),
    (["check", "--lang", "xx"], None),
    (["check", "--lang"], None),
    (["check"], None),
    ([], None),
    (["note", "--team", "a", "--", "--lang", "fr"], None),
])
def test_argv_language(argv: list[str], expected: str | None) -> None:
    assert i18n.argv_language(argv) == expected


@pytest.mark.parametrize("environ, expected", [
    ({"LANGUAGE": "fr:en"}, "fr"),
    ({"LANGUAGE": "de:fr:en"}, "fr"),
    ({"LANGUAGE": "en:fr", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_ALL": "fr_FR.UTF-8"}, "fr"),
    ({"LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "fr_CA"}, "fr"),
    ({"LANG": "fr_FR@euro"}, "fr"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({}, "en"),
    ({"LANGUAGE": "", "LC_ALL": "", "LANG": ""}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"LC_ALL": "de_DE", "LANG": "fr_FR.UTF-8"}, "en"),
])
def test_locale_language(environ: dict[str, str], expected: str) -> None:
    assert i18n.locale_language(environ) == expected


def test_lang_wins_over_the_locale() -> None:
    i18n.set_language("en")
    assert i18n.language() == "en"
    i18n.set_language(None)
    assert i18n.language() == i18n.locale_language()
