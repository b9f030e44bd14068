"""Spreadsheet outputs (.ods by odfpy, .xlsx by openpyxl) read back with another library,
python-calamine: one sheet per section, French headers by default, every amount a numeric cell
equal to the cent to the CSV and JSON outputs, dates as date cells, the header row frozen."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from .conftest import Cli

FORMATS = ["ods", "xlsx"]


def book(path: Path) -> dict[str, list[list[object]]]:
    workbook = CalamineWorkbook.from_path(str(path))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def cents(value: object) -> int:
    """A numeric cell in cents, exactly (a float's shortest text, as the file wrote it)."""
    assert isinstance(value, (int, float)) and not isinstance(value, bool), value
    amount = Decimal(repr(value)) * 100
    assert amount == amount.to_integral_value(), value
    return int(amount)


def csv_blocks(text: str) -> list[list[list[str]]]:
    blocks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text)):
        if not row:
            blocks.append([])
        else:
            blocks[-1].append(row)
    return [b for b in blocks if b]


def fitted(path: Path) -> bool:
    """Whether the columns carry widths (fitted to their cells), read from the file's XML."""
    with zipfile.ZipFile(path) as archive:
        if path.suffix == ".xlsx":
            return re.search(r'<col width="\d+(\.\d+)?" customWidth="1" min="1"',
                             archive.read("xl/worksheets/sheet1.xml").decode()) is not None
        return 'style:column-width="' in archive.read("content.xml").decode()


def frozen(path: Path) -> bool:
    """Whether every sheet's first row is frozen, read from the file's XML."""
    with zipfile.ZipFile(path) as archive:
        if path.suffix == ".xlsx":
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            return all('ySplit="1"' in archive.read(n).decode() and 'state="frozen"' in archive.read(n).decode()
                       for n in sheets)
        settings = archive.read("settings.xml").decode()
        return settings.count('config:name="VerticalSplitMode" config:type="short">2<') >= 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_report_as_a_workbook_holds_every_amount_of_the_csv_and_json(seed_example: Cli, tmp_path: Path,
                                                                          fmt: str) -> None:
    out = tmp_path / f"rapport.{fmt}"
    result = seed_example("report", "--month", "2020-06", "--format", fmt, "--output", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    sheets = book(out)
    blocks = csv_blocks(seed_example("report", "--month", "2020-06", "--format", "csv").stdout)
    assert len(sheets) == len(blocks)  # one sheet per section
    compared = 0
    for (name, rows), block in zip(sheets.items(), blocks, strict=True):
        header, *lines = block[1:]
        for machine in ("Id", "Code"):  # a document shows no internal id, no alert code
            if len(rows[0]) < len(header) and machine in header:
                index = header.index(machine)
                header = header[:index] + header[index + 1:]
                lines = [line[:index] + line[index + 1:] for line in lines]
        assert len(rows[0]) == len(header), name
        for sheet_row, csv_row in zip(rows[1:], lines, strict=False):
            for cell, plain in zip(sheet_row, csv_row, strict=False):
                if re.fullmatch(r"-?\d+\.\d\d", plain):  # an amount (a rate has one decimal)
                    assert cents(cell) == int(Decimal(plain) * 100), (name, plain, cell)
                    compared += 1
    assert compared > 100
    names = list(sheets)
    assert names[1:3] == ["Synthèse", "Alertes"]
    teams = sheets[names[3]]
    assert teams[0][:4] == ["Équipe", "Plafond", "Dans le mois", "Engagé"]  # French headers
    data = json.loads(seed_example("report", "--month", "2020-06", "--format", "json").stdout)
    labels = {"acces-4-all": "Acces-4-All", "enr-electriques": "ENR électriques", "biocarburants": "Biocarburants",
              "affaires-juridiques": "Affaires juridiques", "pointeuse-transport": "Pointeuse transport",
              "friches": "Friches"}  # the convention's labels: a document names teams by them
    assert [(r[0], cents(r[1]), cents(r[3])) for r in teams[1:]] == [
        (labels[t["team"]], int(Decimal(t["cap"]) * 100), int(Decimal(t["ae_committed"]) * 100))
        for t in data["teams"]]
    assert frozen(out) and fitted(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_log_and_the_export_as_workbooks(seed_example: Cli, tmp_path: Path, fmt: str) -> None:
    logged = json.loads(seed_example("log", "--format", "json").stdout)
    out = tmp_path / f"log.{fmt}"
    assert seed_example("log", "--format", fmt).exit_code == 0  # stdout is no terminal here
    exported = seed_example("export", "--format", fmt, "--output", str(out))
    assert exported.exit_code == 0, exported.stderr
    ((name, rows),) = book(out).items()
    assert name == "Écritures"
    assert rows[0][:7] == ["Ligne", "Date", "Nature", "Identifiant", "Équipe", "Montant", "Référence"]
    assert len(rows) == len(logged) + 1
    for row, entry in zip(rows[1:], logged, strict=True):
        assert (row[0], row[1], row[3]) == (entry["line"], dt.date.fromisoformat(entry["date"]), entry["id"])
        if "amount" in entry:
            assert cents(row[5]) == int(Decimal(entry["amount"]) * 100)
        else:
            assert row[5] == ""
    english = tmp_path / f"log-en.{fmt}"
    assert seed_example("export", "--format", fmt, "--output", str(english), "--lang", "en").exit_code == 0
    assert list(book(english)) == ["Entries"] and book(english)["Entries"][0][2] == "Kind"
    assert frozen(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_portfolio_as_a_workbook(seed_example: Cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"portefeuille.{fmt}"
    result = seed_example("portfolio", ".", "--month", "2020-06", "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.stderr
    data = json.loads(seed_example("portfolio", ".", "--month", "2020-06", "--format", "json").stdout)
    first = next(iter(book(out).values()))
    (line,) = data["conventions"]
    row = next(r for r in first[1:] if line["id"] in r)
    amounts = sorted(cents(c) for c in row if isinstance(c, float) and (Decimal(repr(c)) * 100) % 1 == 0)
    for key in ("envelope", "ae_committed", "cp_paid", "remaining_to_pay"):
        assert int(Decimal(line["totals"][key]) * 100) in amounts, key


def test_a_workbook_is_not_written_to_a_terminal(seed_example: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from delegation_cli.cli import environment

    real = environment.Environment.current

    def on_a_terminal() -> environment.Environment:
        import dataclasses

        return dataclasses.replace(real(), stdout_isatty=True)

    monkeypatch.setattr(environment.Environment, "current", staticmethod(on_a_terminal))
    result = seed_example("log", "--format", "xlsx")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", (
        "error: a .xlsx workbook is not shown on a terminal: add --output FILE (or redirect stdout to a file)\n"))
