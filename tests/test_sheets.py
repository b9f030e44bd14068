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


HOSTILE = [  # (label, the cell a spreadsheet shows: nothing acts, nothing is lost)
    ('a  b & <c> "d" \'e\'', 'a  b & <c> "d" \'e\''),
    ("  edges and   runs  ", "  edges and   runs  "),
    ("tab\there\nline", "tab\\there\\nline"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("not a character \uffff\ufffe", "not a character \\uffff\\ufffe"),
    ("</t></is></c><c><v>1</v></c>", "</t></is></c><c><v>1</v></c>"),
    ("]]><!-- &amp; -->", "]]><!-- &amp; -->"),
    ("bidi \u202eevil", "bidi \\u202eevil"),
]


def _hostile_entries() -> list[object]:
    from delegation_cli.core.entries import Entry

    return [Entry(date=dt.date(2020, 3, 1), kind="note", id=f"n-{index}", team="friches", label=label, line=index + 2)
            for index, (label, _) in enumerate(HOSTILE)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_text_is_written_inert_and_read_back_whole(tmp_path: Path, fmt: str) -> None:
    from delegation_cli.core.i18n import using
    from delegation_cli.report import sheets

    out = tmp_path / f"log.{fmt}"
    with using("fr"):
        out.write_bytes((sheets.log_xlsx if fmt == "xlsx" else sheets.log_ods)(_hostile_entries()))  # type: ignore[arg-type]
    ((name, rows),) = book(out).items()
    label = rows[0].index("Libellé")
    assert [row[label] for row in rows[1:]] == [shown for _, shown in HOSTILE]
    assert [row[3] for row in rows[1:]] == [f"n-{index}" for index in range(len(HOSTILE))]  # no cell moved


def test_the_xlsx_opens_in_openpyxl_with_its_formats(seed_example: Cli, tmp_path: Path) -> None:
    """Another reader of the format: openpyxl finds the frozen header, the widths, the euro and
    date formats, and the same values."""
    from openpyxl import load_workbook

    from delegation_cli.report.xlsx import DATE_XLSX, EURO_XLSX

    out = tmp_path / "log.xlsx"
    assert seed_example("export", "--format", "xlsx", "--output", str(out)).exit_code == 0
    logged = json.loads(seed_example("log", "--format", "json").stdout)
    sheet = load_workbook(out).active
    assert sheet is not None and sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and sheet["A1"].value == "Ligne"
    assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABCDEFGHIJKLMNOPQ")
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(logged)
    for row, entry in zip(rows, logged, strict=True):
        assert row[1].value.date() == dt.date.fromisoformat(entry["date"]) and row[1].number_format == DATE_XLSX
        if "amount" in entry:
            assert (Decimal(str(row[5].value)), row[5].number_format) == (Decimal(entry["amount"]), EURO_XLSX)


def test_the_ods_opens_in_odfpy_with_its_types(seed_example: Cli, tmp_path: Path) -> None:
    """Another reader of the format: odfpy finds the mimetype first, the typed cells and their values."""
    from odf.namespaces import OFFICENS
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    out = tmp_path / "log.ods"
    assert seed_example("export", "--format", "ods", "--output", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type, archive.read("mimetype")) == (
            "mimetype", zipfile.ZIP_STORED, b"application/vnd.oasis.opendocument.spreadsheet")
    logged = json.loads(seed_example("log", "--format", "json").stdout)
    (table,) = load(str(out)).spreadsheet.getElementsByType(Table)
    rows = table.getElementsByType(TableRow)
    assert len(rows) == len(logged) + 1
    for row, entry in zip(rows[1:], logged, strict=True):
        cells = row.getElementsByType(TableCell)
        assert cells[1].getAttrNS(OFFICENS, "date-value") == entry["date"]
        if "amount" in entry:
            assert cells[5].getAttrNS(OFFICENS, "value-type") == "currency"
            assert cells[5].getAttrNS(OFFICENS, "value") == entry["amount"]


def test_a_sheet_longer_than_a_spreadsheet_opens_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused before anything is written: here with a limit of 8 rows (Excel's is 1 048 576)."""
    from delegation_cli.core.errors import DelegationError
    from delegation_cli.core.i18n import using
    from delegation_cli.report import sheets

    entries = _hostile_entries()  # 8 entries: a header and 8 rows
    monkeypatch.setattr(sheets, "MAX_ROWS", 9)
    with using("en"):
        assert sheets.log_xlsx(entries)  # type: ignore[arg-type]
    monkeypatch.setattr(sheets, "MAX_ROWS", 8)
    for write in (sheets.log_xlsx, sheets.log_ods):
        with using("en"), pytest.raises(DelegationError) as raised:
            write(entries)  # type: ignore[arg-type]
        (problem,) = raised.value.problems
        assert (problem.code, problem.message) == ("too-many-rows", (
            "the sheet 'Entries' would hold 9 rows, more than a spreadsheet opens (8); write CSV instead, "
            "or fewer entries (--until)"))


def test_ods_text_keeps_every_space_a_reader_would_drop() -> None:
    """ODF readers drop a paragraph's leading spaces and collapse runs: those are ``<text:s/>``."""
    from delegation_cli.report.ods import _paragraph

    assert [_paragraph(text) for text in ("a b", " a", "  a", "a  b", "a   b", "a ", "a  ", "<&>")] == [
        "a b", "<text:s/>a", '<text:s text:c="2"/>a', "a <text:s/>b", 'a <text:s text:c="2"/>b', "a<text:s/>",
        "a <text:s/>", "&lt;&amp;&gt;"]
