"""The ``.xlsx`` workbook (Office Open XML SpreadsheetML), written a row at a time.

This module owns the file: its parts (content types, relationships, the workbook, the styles,
a worksheet per :class:`sheets.Sheet`) zipped as they are written, each worksheet's rows
encoded and compressed in batches, so that a sheet of a million rows is never held whole as
cells, as XML or as a document tree.  Each cell carries its reference (``B2``) and the style
of its type: the header bold, amounts with the euro format ``#,##0.00 €``, dates
``dd/mm/yyyy`` (their serial number from 1899-12-30), rates ``0.0%``; text is written inline
(no shared-string table to build first).  The header row is frozen and each column has the
width :meth:`sheets.Sheet.widths` gives.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO

from .formats import in_batches
from .sheets import Sheet, xml_text

EURO_XLSX = '#,##0.00\\ "€";-#,##0.00\\ "€"'
DATE_XLSX = "dd/mm/yyyy"
PERCENT_XLSX = "0.0%"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_EPOCH = dt.date(1899, 12, 30).toordinal()
_STYLE = {"money": ' s="2"', "date": ' s="3"', "percent": ' s="4"', "int": ""}
"""Each type's index in ``cellXfs`` (0: default, 1: the header)."""


def _styles() -> str:
    formats = ((164, EURO_XLSX), (165, DATE_XLSX), (166, PERCENT_XLSX))
    xfs = "".join(f'<xf numFmtId="{number}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                  for number, _ in formats)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="{len(formats)}">'
        + "".join(f'<numFmt numFmtId="{number}" formatCode="{xml_text(code)}"/>' for number, code in formats)
        + '</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        + xfs + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          '</styleSheet>')


def _column_letters(count: int) -> list[str]:
    out = []
    for number in range(1, count + 1):
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(65 + rest) + letters
        out.append(letters)
    return out


def _rows(sheet: Sheet, letters: list[str]) -> Iterator[str]:
    """The ``<row>`` elements of a sheet: the header, the rows, the notes under them."""
    yield '<row r="1">' + "".join(f'<c r="{letter}1" t="inlineStr" s="1"><is><t xml:space="preserve">'
                                  f'{xml_text(title)}</t></is></c>'
                                  for letter, title in zip(letters, sheet.header, strict=True)) + "</row>"
    number = 1
    style = _STYLE
    epoch = _EPOCH
    for cells in sheet.typed_rows():
        number += 1
        parts = [f'<row r="{number}">']
        for letter, cell in zip(letters, cells, strict=True):
            if cell is None:
                continue
            kind, value = cell
            if isinstance(value, dt.date):
                parts.append(f'<c r="{letter}{number}" s="3"><v>{value.toordinal() - epoch}</v></c>')
            elif kind == "text":
                parts.append(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">'
                             f"{xml_text(value)}</t></is></c>")
            else:
                parts.append(f'<c r="{letter}{number}"{style[kind]}><v>{value}</v></c>')
        parts.append("</row>")
        yield "".join(parts)
    for note in sheet.notes:
        number += 1
        yield (f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t xml:space="preserve">{xml_text(note)}'
               "</t></is></c></row>")


def _worksheet(part: IO[bytes], sheet: Sheet) -> None:
    widths = sheet.widths()
    letters = _column_letters(max(len(sheet.header), 1))
    cols = "".join(f'<col width="{width}" customWidth="1" min="{index}" max="{index}"/>'
                   for index, width in enumerate(widths, 1))
    part.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" '
                f'xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                f'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>").encode("utf-8"))
    for rows in in_batches(_rows(sheet, letters)):
        part.write(rows.encode("utf-8"))
    part.write(b"</sheetData></worksheet>")


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The ``.xlsx`` file of ``sheets``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                            for n in range(1, len(sheets) + 1))
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>{overrides}</Types>'))
        archive.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PACKAGE_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        names = "".join(f'<sheet name="{xml_text(sheet.name)}" sheetId="{n}" r:id="rId{n}"/>'
                        for n, sheet in enumerate(sheets, 1))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<bookViews><workbookView/></bookViews><sheets>{names}</sheets></workbook>'))
        links = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                        for n in range(1, len(sheets) + 1))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PACKAGE_REL}">'
            f'{links}<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            '</Relationships>'))
        archive.writestr("xl/styles.xml", _styles())
        for n, sheet in enumerate(sheets, 1):
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as part:
                _worksheet(part, sheet)
    return out.getvalue()
