"""Dates at the ends of the calendar, impossible dates in the YAML and undecodable arguments:
each a documented exit code and one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Cli


def test_the_last_month_of_the_calendar(seed_example: Cli) -> None:
    report = seed_example("report", "--month", "9999-12", "--format", "json")
    assert (report.exit_code, report.stdout, report.stderr) == (2, "", (
        "error: 9999-12 is after the convention's last month, 2020-12: report a month up to 2020-12, or the "
        "account at the term with --final\n"))
    before = seed_example("report", "--month", "2019-10")
    assert (before.exit_code, before.stderr) == (2, (
        "error: 2019-10 is before the convention's period, which starts on 2019-11-01: report a month from 2019-11 "
        "on\n"))
    french = seed_example("report", "--month", "2024-02", "--lang", "fr")
    assert (french.exit_code, french.stderr) == (2, (
        "erreur : 2024-02 est après le dernier mois de la convention, 2020-12 : demandez un mois jusqu'à 2020-12, "
        "ou le compte rendu au terme avec --final\n"))
    closing = seed_example("close", "9999-12")
    assert (closing.exit_code, closing.stderr) == (
        1, "ledgers/fabrique-numerique-s3.ledger: error: 9999-12 is not over (it ends on 9999-12-31); "
           "close it after that day\n")
    logged = seed_example("log", "--month", "9999-12", "--format", "json")
    assert (logged.exit_code, logged.stdout) == (0, "[]\n")


@pytest.mark.parametrize("command", [("report", "--month", "0000-01"), ("log", "--month", "0000-01"),
                                     ("close", "0000-12")])
def test_year_zero_is_not_a_month(seed_example: Cli, command: tuple[str, ...]) -> None:
    result = seed_example(*command)
    assert result.exit_code == 2
    assert "'0000-" in result.stderr and "is not a month (expected YYYY-MM, such as 2020-03)" in result.stderr


@pytest.mark.parametrize(("value", "why"), [
    ("2019-02-30", "day value is outside expected range"),
    ("2019-13-01", "month value is outside expected range of 1-12"),
])
def test_an_impossible_date_in_the_convention_is_located(seed_example: Cli, tmp_path: Path, value: str,
                                                         why: str) -> None:
    path = tmp_path / "convention.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("signed:"))
    path.write_text("\n".join(f"signed: {value}" if row.startswith("signed:") else row
                              for row in text.splitlines()) + "\n", encoding="utf-8")
    result = seed_example("check")
    assert result.exit_code == 1
    assert result.stderr == (f"convention.yaml:{line}:9: error: signed: '{value}' is not a calendar date: "
                             f"{why} (expected a date YYYY-MM-DD, such as 2019-12-09)\n")


def test_an_undecodable_argument(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "delegation"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "delegation_cli"]
    result = subprocess.run([*command, "pay", b"x\xff", "5"], capture_output=True, cwd=tmp_path, timeout=60,
                            check=False)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == b"error: argument 2 (x\\udcff) is not valid UTF-8 text at character 2 (expected UTF-8)\n"
