"""Reading a spreadsheet's first sheet as rows of cells: CSV, ``.xlsx`` or ``.ods``.

This module owns how a file the gestionnaire receives (a Chorus restitution) becomes rows:
CSV as text (UTF-8 with or without its byte-order mark, else Windows-1252, the encoding of
spreadsheets saved on a French Windows; ``;`` or ``,`` separated, as its first rows show), an
``.xlsx`` or ``.ods`` workbook through python-calamine (one library reading both, in Rust:
fast, and typed cells — numbers, dates — so that no amount goes through text a locale
formatted).  Row numbers are those a spreadsheet shows (1-based, empty rows counted).
python-calamine is imported only here, when a workbook is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from ..core.chorus import Cell, Row
from ..core.errors import DelegationError, ExitCode, Problem, Severity
from ..core.i18n import _
from .text_files import read_bytes

WORKBOOKS = (".xlsx", ".xlsm", ".ods")
MAX_BYTES = 200 * 1024 * 1024
"""A spreadsheet larger than this is refused before it is read (a restitution is a few MB)."""



def _refused(path: Path, message: str) -> DelegationError:
    return DelegationError([Problem(str(path), None, None, Severity.ERROR, "spreadsheet-unreadable", message)],
                           ExitCode.USAGE)


def read_rows(path: Path) -> list[Row]:
    """The rows of the first sheet of ``path`` (exit 2, one line, when it cannot be read)."""
    data = read_bytes(path, max_bytes=MAX_BYTES, what=_("spreadsheet"))
    if path.suffix.lower() in WORKBOOKS:
        return _workbook_rows(path, data)
    return _csv_rows(path, data)


def _workbook_rows(path: Path, data: bytes) -> list[Row]:
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        cells = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own errors for a damaged file
        raise _refused(path, _("not a readable {kind} workbook: {error}").format(
            kind=path.suffix.lower().lstrip("."), error=str(exc)[:200])) from None
    return [(number, tuple(_cell(cell) for cell in row)) for number, row in enumerate(cells, 1)]


def _cell(cell: object) -> Cell:
    """A workbook's cell as the extract reads it: empty as None, a time or a duration as text."""
    if cell == "" or cell is None:
        return None
    if isinstance(cell, (str, int, float, dt.date)):
        return cell
    return str(cell)


def _csv_rows(path: Path, data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise _refused(path, _("not a CSV file (it holds NUL bytes; expected text, an .xlsx or an .ods)"))
    sample = [line for line in text.splitlines()[:20] if line.strip()]
    delimiter = ";" if sum(line.count(";") for line in sample) >= sum(line.count(",") for line in sample) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    try:
        for cells in reader:
            rows.append((reader.line_num, tuple(cell if cell.strip() else None for cell in cells)))
    except csv.Error as exc:
        raise _refused(path, _("not valid CSV at line {line}: {error}").format(line=reader.line_num,
                                                                               error=exc)) from None
    return rows
