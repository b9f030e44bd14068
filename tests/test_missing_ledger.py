"""A ledger that does not exist (issue 14, item 4).

Named with ``--ledger``, it is an error for the commands that only read (exit 2, one line,
nothing created) and a new ledger for the commands that write.  The convention's own ledger
not created yet is an empty ledger, and ``check`` says so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from delegation_cli.core.lines import header_line

from .conftest import Cli, eur

MISSING = ("sub/nope.ledger: error: no such ledger (expected an existing ledger file; without --ledger the "
           "convention's own ledger is used)\n")
READERS = [
    ("check",),
    ("check", "--repair"),
    ("check", "--format", "json"),
    ("report", "--month", "2020-06"),
    ("report", "--month", "2020-06", "--format", "json", "--allow-invalid"),
    ("log",),
    ("log", "--format", "csv"),
    ("export", "--format", "hledger"),
    ("export", "--format", "json", "--output", "out.json"),
]
HEADER = header_line("fabrique-numerique-s3")


def _amounts(text: str) -> str:
    """``text`` with every amount written as the program does (:func:`conftest.eur`)."""
    return re.sub(r"\d{1,3}(?: \d{3})*,\d\d €", lambda m: eur(m.group()), text)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_missing_ledger_named_with_ledger_is_an_error_for_readers(cli: Cli, tmp_path: Path, seed_copy: Path,
                                                                    args: tuple[str, ...]) -> None:
    before = _files(tmp_path)
    result = cli(*args, "--ledger", "sub/nope.ledger")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", MISSING)
    assert _files(tmp_path) == before  # neither the ledger, nor its folder, nor an export


@pytest.mark.parametrize("args", [
    ("commit", "--team", "friches", "20000", "--date", "2020-01-15", "--ref", "BC-1"),
    ("forecast", "--team", "friches", "20000", "--month", "2020-03", "--type", "ae", "--date", "2020-01-15"),
    ("note", "--team", "friches", "--date", "2020-01-15", "started"),
], ids=lambda a: a[0])
def test_a_writer_creates_the_ledger_it_is_given(cli: Cli, tmp_path: Path, seed_copy: Path,
                                                 args: tuple[str, ...]) -> None:
    result = cli(*args, "--ledger", "sub/new.ledger")
    assert (result.exit_code, result.stderr) == (0, "")
    kind = {"commit": "commitment"}.get(args[0], args[0])
    assert re.fullmatch(rf"Recorded {kind} [cfn]-[0-9a-f]{{8}}, 2020-01-15, friches\b.*", result.stdout.splitlines()[0])
    lines = (tmp_path / "sub" / "new.ledger").read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER and len(lines) == 2 and lines[1].startswith(f"2020-01-15 {kind} ")
    assert not (tmp_path / "ledgers").exists()  # the convention's own ledger is untouched
    check = cli("check", "--ledger", "sub/new.ledger")
    assert (check.exit_code, check.stderr) == (0, "")
    assert check.stdout == "convention.yaml: valid (0 errors, 0 warnings); ledger sub/new.ledger: 1 entry\n"


def test_commit_output_on_a_new_ledger(cli: Cli, tmp_path: Path, seed_copy: Path) -> None:
    result = cli("commit", "--team", "friches", "20000", "--date", "2020-01-15", "--ref", "BC-1",
                 "--ledger", "new.ledger")
    assert (result.exit_code, result.stderr) == (0, "")
    entry = re.search(r"c-[0-9a-f]{8}", result.stdout)
    assert entry is not None
    assert result.stdout == _amounts(
        f"Recorded commitment {entry.group()}, 2020-01-15, friches, 20 000,00 €, ref BC-1\n"
        "  team friches       125 000,00 €   committed    20 000,00 €   available   105 000,00 €\n"
        "  AE 2020            630 000,00 €   committed    20 000,00 €   available   610 000,00 €\n"
        "  envelope           750 000,00 €   committed    20 000,00 €   available   730 000,00 €\n")


def test_the_conventions_own_ledger_not_created_yet_is_empty(cli: Cli, tmp_path: Path, seed_copy: Path) -> None:
    before = _files(tmp_path)
    check = cli("check")
    assert (check.exit_code, check.stderr) == (0, "")
    assert check.stdout == ("convention.yaml: valid (0 errors, 0 warnings); ledger ledgers/seed.ledger: "
                            "not created yet (0 entries)\n")
    log = cli("log", "--format", "json")
    assert (log.exit_code, log.stdout, log.stderr) == (0, "[]\n", "")
    export = cli("export", "--format", "json")
    assert (export.exit_code, export.stderr) == (0, "")
    assert json.loads(export.stdout)["entries"] == []
    report = cli("report", "--month", "2020-06", "--format", "json")
    assert (report.exit_code, report.stderr) == (0, "")
    table = cli("report", "--month", "2020-06")
    assert (table.exit_code, table.stderr) == (0, "")
    assert _files(tmp_path) == before  # reading creates nothing
    # Exactly the report of an empty ledger: the same with a ledger holding its header only.
    (tmp_path / "empty.ledger").write_text(f"{HEADER}\n", encoding="utf-8")
    empty = cli("report", "--month", "2020-06", "--format", "json", "--ledger", "empty.ledger")
    assert empty.exit_code == 0
    assert json.loads(report.stdout)["entries_counted"] == 0
    assert report.stdout == empty.stdout.replace("empty.ledger", "ledgers/seed.ledger")
    existing = cli("check", "--ledger", "empty.ledger")
    assert existing.stdout == "convention.yaml: valid (0 errors, 0 warnings); ledger empty.ledger: 0 entries\n"
