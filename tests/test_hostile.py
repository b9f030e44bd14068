"""Hostile input, each a test: a clear error (or harmless storage), and nothing altered."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from delegation_cli.core.lines import header_line

from .conftest import MINI, Cli, sha
from .support import parse_ledger_bytes


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    return cli


def test_ledger_path_outside_the_conventions_folder_is_refused(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "convention.yaml").write_text(MINI.replace("ledger: mini.ledger", "ledger: ../outside.ledger"))
    result = mini("commit", "--team", "alpha", "10", "--date", "2021-03-01")
    assert result.exit_code == 1
    assert "error: ledger path '../outside.ledger' leaves the convention's folder" in result.stderr
    assert not (tmp_path.parent / "outside.ledger").exists()


def test_ledger_pointing_at_an_existing_file_is_never_written(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "convention.yaml").write_text(MINI.replace("ledger: mini.ledger", "ledger: notes.md"))
    (tmp_path / "notes.md").write_text("# My notes\n")
    before = sha(tmp_path / "notes.md")
    result = mini("commit", "--team", "alpha", "10", "--date", "2021-03-01")
    assert result.exit_code == 1
    assert "refusing to append to a file that is not a ledger" in result.stderr
    assert sha(tmp_path / "notes.md") == before


def test_a_ten_megabyte_string_in_yaml(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text("title: \"" + "x" * 10_000_000 + "\"\n")
    result = mini("check", "big.yaml")
    assert (result.exit_code, result.stderr) == (
        2, "big.yaml: error: file is 10000010 bytes, too large for a convention YAML file (at most 1000000)\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"2021-03-01 note n-1 alpha \"a\x00b\"", "l.ledger:2:29: error: raw control or format character U+0000 "
                                                  "(expected it escaped inside a label)"),
        (b"2021-03-01 note n-1 alpha \"" + b"x" * 1_000_000 + b"\"",
         "l.ledger:2: error: line is 1000028 characters long (at most 65536)"),
        (b"2021-03-01 note n-1 alpha \"\xe2\x80\xae\"", "l.ledger:2:28: error: raw control or format character "
                                                        "U+202E (expected it escaped inside a label)"),
    ],
    ids=["nul", "1MB-label", "bidi"],
)
def test_hostile_ledger_lines(raw: bytes, message: str) -> None:
    state = parse_ledger_bytes(header_line("mini", 1).encode() + b"\n" + raw + b"\n", "l.ledger")
    assert [p.render() for p in state.problems] == [message]
    assert state.entries == []


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("1e9999", "'1e9999' is not an amount"), ("9" * 40, f"'{'9' * 40}' is too large"),
     ("-0", "'-0' is negative"), ("0.001", "'0.001' has more than 2 decimals")],
)
def test_hostile_amounts(mini: Cli, amount: str, reason: str) -> None:
    result = mini("commit", "--team", "alpha", "--date", "2021-03-01", "--", amount)
    assert (result.exit_code, result.stdout) == (2, "")
    assert reason in " ".join(result.stderr.split())
    assert not Path("mini.ledger").exists()


@pytest.mark.parametrize(
    ("date", "reason"),
    [("2020-02-30", "'2020-02-30' is not a calendar date"), ("20-01-01", "'20-01-01' is not a date"),
     ("20210301", "'20210301' is not a date")],
)
def test_hostile_dates(mini: Cli, date: str, reason: str) -> None:
    result = mini("commit", "--team", "alpha", "10", "--date", date)
    assert (result.exit_code, result.stdout) == (2, "")
    assert reason in " ".join(result.stderr.split())


def test_a_one_megabyte_label_is_refused(mini: Cli) -> None:
    result = mini("note", "--team", "alpha", "x" * 1_000_000, "--date", "2021-03-01")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: TEXT is 1000000 characters long (at most 2000)\n"
    assert not Path("mini.ledger").exists()


def test_formula_labels_are_stored_and_neutralised_in_every_csv(mini: Cli) -> None:
    payload = "=cmd|' /C calc'!A0"
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01", "--label", payload).exit_code == 0
    assert mini("note", "--team", "beta", "@SUM(1+1)", "--date", "2021-03-02").exit_code == 0
    assert f'"{payload}"' in Path("mini.ledger").read_text()  # stored as it was typed
    for args in (("log", "--format", "csv"), ("export", "--format", "csv"),
                 ("export", "--format", "csv", "--csv-dialect", "excel-fr"),
                 ("report", "--month", "2021-03", "--format", "csv")):
        text = mini(*args).stdout.lstrip("\ufeff")
        delimiter = ";" if "excel-fr" in args else ","
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells), args
        assert f"'{payload}" in cells, args


def test_a_formula_reference_is_refused(mini: Cli) -> None:
    result = mini("commit", "--team", "alpha", "10", "--date", "2021-03-01", "--ref", "=cmd|x")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("error: --ref '=cmd|x' is not valid (expected 1 to 64 letters, digits or . _ / : + -, "
                             "starting with a letter or digit)\n")
    assert not Path("mini.ledger").exists()
