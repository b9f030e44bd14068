"""Conventions kept plain: what a YAML file may use to say what a convention says.

Each hostile construct has a plain twin that passes and is refused itself with one located
line, its stable code and nothing built from it; aliases stay allowed within the expanded-size
limit; path values hold no control character and paths are shown escaped; the pre-commit hook
says the same as ``check``.  The convention is the small one of ``conftest.MINI``, its team cap
brought to half the envelope so that it holds without a warning.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from delegation_cli.core.errors import DelegationError
from delegation_cli.core.lines import header_line
from delegation_cli.store import convention
from delegation_cli.store.convention import MAX_EXPANDED, load_convention, peek_convention

from .conftest import MINI, Cli, Result, line_of, sha
from .test_collaboration import check_files

BASE = MINI.replace("  team_cap: 600\n", "  team_cap: 500\n")


def write(tmp_path: Path, *replacements: tuple[str, str], name: str = "c.yaml") -> str:
    """BASE with textual replacements (each must apply once), written to ``name``."""
    text = BASE
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    (tmp_path / name).write_text(text, encoding="utf-8")
    return text


def at(text: str, needle: str, value: str) -> str:
    """``LINE:COL`` of ``value`` on the first line holding ``needle``."""
    number = line_of(text, needle)
    return f"{number}:{text.splitlines()[number - 1].index(value) + 1}"


def errors(path: Path) -> list[str]:
    return [p.render() for p in load_convention(path).problems if p.is_error]


def refused(path: Path) -> tuple[int, list[str]]:
    with pytest.raises(DelegationError) as info:
        load_convention(path)
    return info.value.exit_code, [p.render() for p in info.value.problems]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


PLAIN_VALUES = "(expected plain values: text, numbers, dates, lists and mappings)"
TEAMS = "teams: [{id: alpha, name: Alpha}, {id: beta, name: Beta}]"
BUDGET = "budget:\n  total: 1000\n"

# (plain twin, hostile form, needle and value locating the refusal, message)
CASES = [
    pytest.param(
        (TEAMS, "teams:\n  - &alpha {id: alpha, name: Alpha}\n  - {id: beta, name: Beta}"),
        (TEAMS, "teams:\n  - &alpha {id: alpha, name: Alpha}\n  - {<<: *alpha, id: beta, name: Beta}"),
        ("<<:", "<<"),
        "merge key << is not allowed (expected every field written out in its mapping; an alias may "
        "repeat a whole value)",
        id="merge"),
    pytest.param(
        ("id: mini", "id: mini"),
        ("id: mini", "id: !!binary bWluaQ=="),
        ("!!binary", "!!binary"), f"YAML tag !!binary is not allowed {PLAIN_VALUES}", id="binary"),
    pytest.param(
        (TEAMS, TEAMS),
        (TEAMS, "teams: !!omap [{alpha: Alpha}]"),
        ("!!omap", "!!omap"), f"YAML tag !!omap is not allowed {PLAIN_VALUES}", id="omap"),
    pytest.param(
        ("title: Mini convention", "title: Mini convention"),
        ("title: Mini convention", "title: !!set {Mini convention}"),
        ("!!set", "!!set"), f"YAML tag !!set is not allowed {PLAIN_VALUES}", id="set"),
    pytest.param(
        ("signed: 2021-02-01", "signed: 2021-02-01"),
        ("signed: 2021-02-01", "signed: !!timestamp 2021-02-01"),
        ("!!timestamp", "!!timestamp"), f"YAML tag !!timestamp is not allowed {PLAIN_VALUES}", id="timestamp"),
    pytest.param(
        ("  total: 1000", "  total: 1000"),
        ("  total: 1000", "  total: !!float 1000"),
        ("!!float", "!!float"), f"YAML tag !!float is not allowed {PLAIN_VALUES}", id="float"),
    pytest.param(
        ('  programme: "217"', '  programme: "217"'),
        ('  programme: "217"', '  programme: !!int "217"'),
        ("!!int", "!!int"), f"YAML tag !!int is not allowed {PLAIN_VALUES}", id="int"),
    pytest.param(
        ('  programme: "217"', '  programme: "217"'),
        ('  programme: "217"', "  programme: !!str 217"),
        ("!!str", "!!str"),
        'YAML tag !!str is not allowed (expected plain values; to keep a value as text, write it in quotes, '
        'such as "0217")',
        id="str"),
    pytest.param(
        ("title: Mini convention", "title: Mini convention"),
        ("title: Mini convention", "title: !foo Mini convention"),
        ("!foo", "!foo"), f"YAML tag !foo is not allowed {PLAIN_VALUES}", id="custom"),
    pytest.param(
        ("title: Mini convention", "title: Mini convention"),
        ("title: Mini convention", "title: !<tag:yaml.org,2002:str> Mini convention"),
        ("!<", "!<"), f"YAML tag !<tag:yaml.org,2002:str> is not allowed {PLAIN_VALUES}", id="verbatim"),
    pytest.param(
        ("title: Mini convention", "title: Mini convention"),
        ("title: Mini convention", "title: ! Mini convention"),
        ("title: !", "!"), f"YAML tag ! is not allowed {PLAIN_VALUES}", id="non-specific"),
    pytest.param(
        ("  total: 1000", "  total: 1000"),
        ("  total: 1000", "  total: !!python/object/apply:os.system [echo]"),
        ("!!python", "!!python"), f"YAML tag !!python/object/apply:os.system is not allowed {PLAIN_VALUES}",
        id="python"),
    pytest.param(
        ("id: mini", "# the convention\n---\nid: mini"),
        ("id: mini", "%YAML 1.1\n---\nid: mini"),
        ("%YAML", "%YAML"), "YAML directive %YAML is not allowed (expected none: a convention is plain YAML 1.2)",
        id="directive"),
    pytest.param(
        (TEAMS, "teams: [{id: alpha, name: &a Alpha}, {id: beta, name: &b Beta}]"),
        (TEAMS, "teams: [{id: alpha, name: &a Alpha}, {id: beta, name: &a Beta}]"),
        ("&a Beta", "&a Beta"),
        "anchor &a is defined again (first on line 18): its aliases would name the last one (expected each "
        "anchor name once)",
        id="anchor-reused"),
    pytest.param(
        (TEAMS, TEAMS),
        (TEAMS, "teams: &t [{id: alpha, name: Alpha}, *t]"),
        ("*t", "*t"),
        "alias *t is used inside the value it names: it would repeat without end (expected an alias after the "
        "end of its anchor's value)",
        id="alias-loop"),
    pytest.param(
        ("ledger: mini.ledger", "ledger: mini.ledger"),
        ("ledger: mini.ledger", "ledger: mini.ledger\n? [a, b]\n: c"),
        ("? [a", "["), "a list or a mapping as a key is not allowed (expected a field name)", id="complex-key"),
]


@pytest.mark.parametrize(("plain", "hostile", "where", "message"), CASES)
def test_what_hides_what_a_convention_says_is_refused(
        here: Path, plain: tuple[str, str], hostile: tuple[str, str], where: tuple[str, str], message: str) -> None:
    write(here, plain)
    assert errors(Path("c.yaml")) == []
    text = write(here, hostile)
    loaded = load_convention(Path("c.yaml"))
    assert [p.render() for p in loaded.problems] == [f"c.yaml:{at(text, *where)}: error: {message}"]
    assert loaded.convention is None  # nothing is built from it


def test_a_recursive_merge_is_refused_twice_on_one_line(here: Path) -> None:
    write(here, (BUDGET, "budget: &b\n  total: 1000\n"))
    assert errors(Path("c.yaml")) == []
    text = write(here, (BUDGET, "budget: &b\n  <<: *b\n  total: 1000\n"))
    assert errors(Path("c.yaml")) == [
        f"c.yaml:{at(text, '<<: *b', '<<')}: error: merge key << is not allowed (expected every field written "
        "out in its mapping; an alias may repeat a whole value)",
        f"c.yaml:{at(text, '<<: *b', '*b')}: error: alias *b is used inside the value it names: it would repeat "
        "without end (expected an alias after the end of its anchor's value)"]


def test_the_codes_are_stable(here: Path) -> None:
    write(here, ("id: mini", "%TAG !e! tag:example.com,2000:\n---\nid: !e!x mini"),
          (TEAMS, "teams: [{id: alpha, name: &a Alpha}, {<<: {id: beta}, name: &a Beta}]\n"
                  "x: &t [*t]\ny: &u {k: *u}"),
          ("ledger: mini.ledger", "? {a: 1}\n: ledger"))
    assert [p.code for p in load_convention(Path("c.yaml")).problems] == [
        "yaml-directive", "yaml-tag", "yaml-merge", "yaml-anchor-reused", "yaml-alias-loop", "yaml-alias-loop",
        "yaml-complex-key"]


def test_every_problem_at_once_in_file_order(here: Path) -> None:
    text = write(here, ("id: mini", "%YAML 1.2\n---\nid: !!binary bWluaQ=="),
                 ("signed: 2021-02-01", "signed: !!timestamp 2021-02-01"),
                 (BUDGET, "budget:\n  <<: {total: 1000}\n"))
    assert errors(Path("c.yaml")) == [
        "c.yaml:1:1: error: YAML directive %YAML is not allowed (expected none: a convention is plain YAML 1.2)",
        f"c.yaml:{at(text, '!!binary', '!!binary')}: error: YAML tag !!binary is not allowed {PLAIN_VALUES}",
        f"c.yaml:{at(text, '!!timestamp', '!!timestamp')}: error: YAML tag !!timestamp is not allowed "
        f"{PLAIN_VALUES}",
        f"c.yaml:{at(text, '<<:', '<<')}: error: merge key << is not allowed (expected every field written "
        "out in its mapping; an alias may repeat a whole value)",
    ]


def test_a_plain_double_left_angle_in_quotes_is_text(here: Path) -> None:
    write(here, ("title: Mini convention", 'title: "<<"'))
    assert errors(Path("c.yaml")) == []


def test_check_says_it_in_one_line_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    text = write(tmp_path, (TEAMS, "teams:\n  - &alpha {id: alpha, name: Alpha}\n  - {<<: *alpha, id: beta}"),
                 name="convention.yaml")
    result = cli("check")
    assert (result.exit_code, result.stdout) == (1, "convention.yaml: invalid (1 error, 0 warnings)\n")
    assert result.stderr == (f"convention.yaml:{at(text, '<<:', '<<')}: error: merge key << is not allowed "
                             "(expected every field written out in its mapping; an alias may repeat a whole "
                             "value)\n")
    write(tmp_path, (TEAMS, "teams:\n  - &alpha {id: alpha, name: Alpha}\n  - {id: beta, name: Beta}"),
          name="convention.yaml")
    assert cli("check") == Result(0, "convention.yaml: valid (0 errors, 0 warnings); ledger mini.ledger: not "
                                     "created yet (0 entries)\n", "")


@pytest.mark.parametrize(("hostile", "where", "message"), [
    pytest.param((TEAMS, "teams: !!omap [{alpha: Alpha}]"), ("!!omap", "!!omap"),
                 f"YAML tag !!omap is not allowed {PLAIN_VALUES}", id="omap"),
    pytest.param((TEAMS, "teams:\n  - &alpha {id: alpha, name: Alpha}\n  - {<<: *alpha, id: beta}"),
                 ("<<:", "<<"), "merge key << is not allowed (expected every field written out in its "
                 "mapping; an alias may repeat a whole value)", id="merge"),
    pytest.param(("ledger: mini.ledger", 'ledger: "mini\\0.ledger"'), ("ledger:", '"'),
                 "ledger path 'mini\\x00.ledger' holds the control or format character U+0000 (expected a "
                 "relative path of printable characters, such as ledgers/mini.ledger)", id="nul-ledger"),
])
def test_the_hook_says_the_same_as_check(cli: Cli, tmp_path: Path, hostile: tuple[str, str],
                                         where: tuple[str, str], message: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "mini.ledger").write_text(header_line("mini") + "\n", encoding="utf-8")
    text = write(tmp_path, hostile, name="convention.yaml")
    line = f"convention.yaml:{at(text, *where)}: error: {message}\n"
    assert cli("check").stderr == line
    assert check_files("convention.yaml") == Result(1, "convention.yaml: invalid (1 error, 0 warnings)\n", line)
    # A touched ledger is checked through the conventions that name it: this one names none
    # that can be read, so the ledger is an orphan; the convention itself, touched, says why.
    assert peek_convention(Path("convention.yaml")) is not None
    orphan = check_files("mini.ledger")
    assert orphan.exit_code == 1 and "Traceback" not in orphan.stderr


# --------------------------------------------------------------------------------------
# Anchors and aliases: allowed, bounded
# --------------------------------------------------------------------------------------


def test_aliases_that_repeat_a_value_are_allowed(here: Path) -> None:
    write(here, (TEAMS, "teams: [{id: alpha, name: &name Équipe}, {id: beta, name: *name}]"))
    loaded = load_convention(Path("c.yaml"))
    assert loaded.problems == []
    assert loaded.convention is not None
    assert [t.name for t in loaded.convention.teams] == ["Équipe", "Équipe"]


def test_the_expanded_size_is_counted_exactly(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a (1) + abc (3) + b (1) + *x (3 again) = 8 characters once expanded.
    (here / "c.yaml").write_text("a: &x abc\nb: *x\n", encoding="utf-8")
    monkeypatch.setattr(convention, "MAX_EXPANDED", 8)
    assert errors(Path("c.yaml"))[0] == "c.yaml:1:1: error: missing field 'id'"  # read, then judged
    monkeypatch.setattr(convention, "MAX_EXPANDED", 7)
    assert refused(Path("c.yaml")) == (2, [
        "c.yaml:2:4: error: the document expands to more than 7 characters once its aliases are replaced by the "
        "values they repeat (at most 7; a convention is a page of YAML)"])


def alias_bomb(teams: int = 2000, size: int = 900_000) -> str:
    """BASE whose ``teams`` names all alias one ``size``-character string."""
    names = "".join(f"  - {{id: t{i}, name: *big}}\n" for i in range(1, teams))
    return BASE.replace(TEAMS, f'teams:\n  - {{id: t0, name: &big "{"x" * size}"}}\n{names}')


BOMB_MESSAGE = (f"the document expands to more than {MAX_EXPANDED} characters once its aliases are replaced by "
                f"the values they repeat (at most {MAX_EXPANDED}; a convention is a page of YAML)")


def test_the_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit(here: Path) -> None:
    text = alias_bomb()
    (here / "c.yaml").write_text(text, encoding="utf-8")
    assert 950_000 < len(text.encode()) < convention.MAX_BYTES
    # 900 000 characters written, then each alias adds 900 000 more: the fourth crosses 4 000 000.
    assert refused(Path("c.yaml")) == (2, [f"c.yaml:{at(text, 'id: t4,', '*big')}: error: {BOMB_MESSAGE}"])
    assert peek_convention(Path("c.yaml")) is not None  # the hook checks it, and check refuses it


@pytest.mark.slow
def test_the_alias_bomb_is_refused_within_bounded_memory(cli: Cli, tmp_path: Path) -> None:
    """The 958 kB file that made ``check`` use 1.8 GB and ``report --format json`` 8.6 GB is
    refused by a process whose address space is capped at 512 MiB (without the bound, pydantic
    copied the 900 kB name 2 000 times and the process died)."""
    pytest.importorskip("resource")
    text = alias_bomb()
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    where = at(text, "id: t4,", "*big")
    capped = ("import resource, sys\n"
              f"resource.setrlimit(resource.RLIMIT_AS, ({512 << 20}, {512 << 20}))\n"
              "from delegation_cli.__main__ import main\n"
              "sys.argv[0] = 'delegation'\n"
              "main()\n")
    for args in (["check"], ["report", "--format", "json", "--month", "2021-06"], ["portfolio"]):
        result = subprocess.run([sys.executable, "-c", capped, *args], capture_output=True, text=True,
                                cwd=tmp_path, check=False)
        assert "Traceback" not in result.stderr, args
        line = f"convention.yaml:{where}: error: {BOMB_MESSAGE}"
        if args[0] == "portfolio":  # lists the convention as failing its check
            assert result.returncode == 1, result.stderr
            assert result.stderr == line + "\n"
        else:
            assert (result.returncode, result.stdout, result.stderr) == (2, "", line + "\n"), args


def test_a_billion_empty_values_is_refused_on_the_count_of_values(here: Path) -> None:
    lines = ['a0: &a0 ["", "", "", "", "", "", "", "", "", ""]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    (here / "c.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert refused(Path("c.yaml")) == (2, [
        "c.yaml:5:45: error: the document expands to more than 100000 values once its aliases are replaced by "
        "the values they repeat (at most 100000; a convention is a page of YAML)"])


def test_nesting_through_aliases_is_bounded(here: Path) -> None:
    (here / "c.yaml").write_text("a: &a " + "[" * 24 + "]" * 24 + "\nb: " + "[" * 25 + "*a" + "]" * 25 + "\n",
                                 encoding="utf-8")
    assert errors(Path("c.yaml"))[0] == "c.yaml:1:1: error: missing field 'id'"  # 1 + 25 + 24 = 50 levels
    (here / "c.yaml").write_text("a: &a " + "[" * 25 + "]" * 25 + "\nb: " + "[" * 25 + "*a" + "]" * 25 + "\n",
                                 encoding="utf-8")
    assert refused(Path("c.yaml")) == (2, ["c.yaml:2:29: error: nested more than 50 levels deep"])


# --------------------------------------------------------------------------------------
# Deep nesting: quoting never disables the pre-scan
# --------------------------------------------------------------------------------------

DEEP = "x: " + "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("head", [
    pytest.param("# don't\n", id="apostrophe-in-comment"),
    pytest.param("title: Convention d'études\n", id="apostrophe-in-word"),
    pytest.param('title: "l\'échange"\n', id="apostrophe-in-double-quotes"),
    pytest.param("title: 'it''s'\n", id="doubled-quote"),
    pytest.param('title: "a \\" b"\n', id="escaped-double-quote"),
    pytest.param('# a "quote\n', id="double-quote-in-comment"),
    pytest.param("title: 'two\n  lines'\n", id="quoted-on-two-lines"),
    pytest.param("object: |\n  l'avenant [\n", id="block-scalar"),
])
def test_quoting_never_disables_the_deep_nesting_prescan(here: Path, head: str) -> None:
    (here / "c.yaml").write_text(head + DEEP, encoding="utf-8")
    line = head.count("\n") + 1
    # Column 54 is the 51st bracket: the pre-scan's place (the composer, counting the mapping
    # around it, would stop at the 50th, column 53).
    assert refused(Path("c.yaml")) == (2, [f"c.yaml:{line}:54: error: nested more than 50 levels deep"])


@pytest.mark.parametrize("text", [
    pytest.param('title: "' + "[" * 60 + '"\n', id="double-quoted"),
    pytest.param("title: '" + "{" * 60 + "'\n", id="single-quoted"),
    pytest.param("# " + "[" * 60 + "\ntitle: x\n", id="comment"),
    pytest.param("".join(f"note{i}: see [{i}\n" for i in range(60)), id="plain-text"),
])
def test_brackets_that_are_text_are_not_nesting(here: Path, text: str) -> None:
    (here / "c.yaml").write_text(text, encoding="utf-8")
    assert errors(Path("c.yaml"))[0] == "c.yaml:1:1: error: missing field 'id'"


def test_block_nesting_is_bounded_by_the_composer(here: Path) -> None:
    (here / "c.yaml").write_text("".join("  " * i + "k:\n" for i in range(60)), encoding="utf-8")
    assert refused(Path("c.yaml")) == (2, ["c.yaml:51:101: error: nested more than 50 levels deep"])


# --------------------------------------------------------------------------------------
# Paths: no control character, shown escaped
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "shown", "code"), [
    pytest.param('"mini\\0.ledger"', "'mini\\x00.ledger'", "0000", id="nul"),
    pytest.param('"mini\\u202e.ledger"', "'mini\\u202e.ledger'", "202E", id="bidi-override"),
    pytest.param('"mini\\n.ledger"', "'mini\\n.ledger'", "000A", id="newline"),
    pytest.param('"mini\\t.ledger"', "'mini\\t.ledger'", "0009", id="tab"),
    pytest.param('"mini\\L.ledger"', "'mini\\u2028.ledger'", "2028", id="line-separator"),
    pytest.param('"mini\\u200b.ledger"', "'mini\\u200b.ledger'", "200B", id="zero-width-space"),
])
def test_a_ledger_path_with_a_control_character_is_refused(cli: Cli, tmp_path: Path, written: str, shown: str,
                                                           code: str) -> None:
    text = write(tmp_path, ("ledger: mini.ledger", f"ledger: {written}"), name="convention.yaml")
    result = cli("check")
    assert (result.exit_code, result.stdout) == (1, "convention.yaml: invalid (1 error, 0 warnings)\n")
    assert result.stderr == (f"convention.yaml:{at(text, 'ledger:', written)}: error: ledger path {shown} holds "
                             f"the control or format character U+{code} (expected a relative path of printable "
                             "characters, such as ledgers/mini.ledger)\n")
    peeked = peek_convention(Path("convention.yaml"))
    assert peeked is not None and peeked.ledger is None  # a convention, whose ledger no file can be
    assert sorted(p.name for p in tmp_path.iterdir()) == ["convention.yaml"]


def test_a_ledger_path_of_printable_text_is_kept(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path, ("ledger: mini.ledger", "ledger: registres/été\u00a02021.ledger"), name="convention.yaml")
    result = cli("check")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("convention.yaml: valid (0 errors, 0 warnings); ledger registres/été\u00a02021.ledger: "
                             "not created yet (0 entries)\n")


def test_check_shows_a_hostile_ledger_path_escaped(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path, name="convention.yaml")
    hostile = tmp_path / "x\u202e\nrecorded.ledger"
    hostile.write_text(header_line("mini") + "\n", encoding="utf-8")
    result = cli("check", "--ledger", hostile.name)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == ("convention.yaml: valid (0 errors, 0 warnings); ledger x\\u202e\\nrecorded.ledger: "
                             "0 entries\n")


def test_import_shows_hostile_paths_escaped(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path, name="convention.yaml")
    source = tmp_path / "rows\u202e.csv"
    source.write_text("date;kind;team;amount\n2021-03-01;commitment;alpha;10\n", encoding="utf-8")
    ledger = "l\u2028x.ledger"
    before = sha(tmp_path / ledger)
    dry = cli("import", source.name, "--ledger", ledger, "--dry-run")
    assert (dry.exit_code, dry.stderr) == (0, "")
    assert dry.stdout.splitlines()[0] == ("Would import (dry run, nothing written) 1 entry from rows\\u202e.csv "
                                          "into l\\u2028x.ledger")
    assert sha(tmp_path / ledger) == before
    result = cli("import", source.name, "--ledger", ledger)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "Imported 1 entry from rows\\u202e.csv into l\\u2028x.ledger"
    assert "\u202e" not in result.stdout and "\u2028" not in result.stdout
