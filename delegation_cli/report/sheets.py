"""Spreadsheets: a document's sections as an ``.xlsx`` (openpyxl) or ``.ods`` (odfpy) workbook.

This module owns the ``xlsx`` and ``ods`` formats of every document — the report, the
portfolio, the reconciliation, the log and the export — registered in :mod:`formats`.  One sheet
per section (:class:`layout.Section`), named after its title; its header row frozen, in the
document's language; amounts as numeric cells written from cents (a decimal text such as
``1234.56``, never a float computed nor a text) with a euro number format; dates as date cells;
rates as percentages; columns fitted to their widest cell.  Both writers read the same
:class:`Sheet` model, so that the two formats hold the same cells.  openpyxl and odfpy are
imported only when a workbook is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..core.columns import ENTRY_COLUMNS
from ..core.i18n import _
from .cells import Ratio, human, visible
from .layout import Column, Section, for_people

if TYPE_CHECKING:
    from ..core.chorus import Reconciliation
    from ..core.entries import Entry
    from .export import Export
    from .figures import MonthlyReport
    from .portfolio import Portfolio

Value = str | int | Decimal | dt.date | None


@dataclass(frozen=True)
class Cell:
    """A cell: its value and how it is shown (``money``, ``percent``, ``date``, ``int`` or text)."""

    value: Value
    kind: str = "text"


@dataclass(frozen=True)
class Sheet:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    """Text under the table: its empty text, its paragraphs."""


def _cell(value: object, column: Column) -> Cell:
    if value is None:
        return Cell(None)
    if column.kind == "money" and isinstance(value, int):
        return Cell(Decimal(value) / 100, "money")
    if column.kind == "percent" and isinstance(value, Ratio):
        return Cell(None) if value.whole == 0 else Cell(Decimal(value.part) / Decimal(value.whole), "percent")
    if column.kind == "int" and isinstance(value, int):
        return Cell(value, "int")
    if column.kind == "date" and isinstance(value, dt.date):
        return Cell(value, "date")
    return Cell(visible(human(value, column.kind)))


_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _names(sections: Sequence[Section]) -> list[str]:
    """Each section's sheet name: its title, without the characters a sheet name refuses, at
    most 31 characters (Excel's limit), unique."""
    out: list[str] = []
    for section in sections:
        base = re.sub(r"\s+", " ", _FORBIDDEN.sub(" ", visible(section.title))).strip()[:31].strip() or section.key
        name, count = base, 2
        while name.casefold() in (n.casefold() for n in out):
            suffix = f" ({count})"
            name, count = base[:31 - len(suffix)] + suffix, count + 1
        out.append(name)
    return out


def sheets_of(sections: Sequence[Section]) -> list[Sheet]:
    """The sheets of ``sections`` (the bar columns, drawn for the terminal, left out)."""
    out = []
    for name, section in zip(_names(sections), map(for_people, sections), strict=True):
        columns = [c for c in section.columns if c.kind != "bar"]
        kept = [i for i, c in enumerate(section.columns) if c.kind != "bar"]
        rows = tuple(tuple(_cell(row[i], section.columns[i]) for i in kept) for row in section.rows)
        notes = (*(() if rows else (visible(section.empty or _("none")),)), *map(visible, section.paragraphs))
        out.append(Sheet(name, tuple(visible(c.title) for c in columns), rows, notes))
    return out


def _width(cell: Cell) -> int:
    if cell.kind == "money" and isinstance(cell.value, Decimal):
        return len(f"{cell.value:,.2f}") + 2
    if cell.kind == "date":
        return 10
    return len(str(cell.value or ""))


def widths(sheet: Sheet) -> list[int]:
    """Each column's width in characters: its widest cell or header, within 8 and 60."""
    out = []
    for index, title in enumerate(sheet.header):
        widest = max([len(title), *(_width(row[index]) for row in sheet.rows)])
        out.append(min(max(widest + 2, 8), 60))
    return out


# .xlsx (openpyxl) -------------------------------------------------------------------------

EURO_XLSX = '#,##0.00\\ "€";-#,##0.00\\ "€"'
DATE_XLSX = "dd/mm/yyyy"
PERCENT_XLSX = "0.0%"


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    book = Workbook()
    for index, sheet in enumerate(sheets):
        ws = book.active if index == 0 else book.create_sheet()
        assert ws is not None and not isinstance(ws, ReadOnlyWorksheet)
        ws.title = sheet.name
        ws.append(list(sheet.header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([c.value for c in row])
            for target, c in zip(ws[ws.max_row], row, strict=False):
                if c.kind == "money":
                    target.number_format = EURO_XLSX
                elif c.kind == "date":
                    target.number_format = DATE_XLSX
                elif c.kind == "percent":
                    target.number_format = PERCENT_XLSX
        for note in sheet.notes:
            ws.append([note])
        ws.freeze_panes = "A2"
        for index, width in enumerate(widths(sheet), 1):
            ws.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# .ods (odfpy) -----------------------------------------------------------------------------


def _ods_styles(doc: Any) -> dict[str, Any]:
    from odf.number import CurrencyStyle, CurrencySymbol, DateStyle, Day, Month, Number, PercentageStyle, Text, Year
    from odf.style import Map, Style, TableCellProperties, TextProperties

    euro = CurrencyStyle(name="euro-positive", volatile="true")
    euro.addElement(Number(decimalplaces=2, minintegerdigits=1, grouping="true"))
    euro.addElement(Text(text="\u00a0"))
    euro.addElement(CurrencySymbol(language="fr", country="FR", text="€"))
    doc.automaticstyles.addElement(euro)
    negative = CurrencyStyle(name="euro")
    negative.addElement(Text(text="-"))
    negative.addElement(Number(decimalplaces=2, minintegerdigits=1, grouping="true"))
    negative.addElement(Text(text="\u00a0"))
    negative.addElement(CurrencySymbol(language="fr", country="FR", text="€"))
    negative.addElement(Map(condition="value()>=0", applystylename="euro-positive"))
    doc.automaticstyles.addElement(negative)
    date = DateStyle(name="date")
    date.addElement(Day(style="long"))
    date.addElement(Text(text="/"))
    date.addElement(Month(style="long"))
    date.addElement(Text(text="/"))
    date.addElement(Year(style="long"))
    doc.automaticstyles.addElement(date)
    percent = PercentageStyle(name="percent")
    percent.addElement(Number(decimalplaces=1, minintegerdigits=1))
    percent.addElement(Text(text="\u00a0%"))
    doc.automaticstyles.addElement(percent)
    styles = {}
    for name, data in (("money", "euro"), ("date", "date"), ("percent", "percent")):
        style = Style(name=f"cell-{name}", family="table-cell", datastylename=data)
        doc.automaticstyles.addElement(style)
        styles[name] = style
    header = Style(name="cell-header", family="table-cell")
    header.addElement(TextProperties(fontweight="bold"))
    header.addElement(TableCellProperties(backgroundcolor="#eeeeee"))
    doc.automaticstyles.addElement(header)
    styles["header"] = header
    return styles


def _ods_cell(cell: Cell, styles: dict[str, Any]) -> Any:
    from odf.table import TableCell
    from odf.text import P

    value = cell.value
    if value is None:
        return TableCell()
    if cell.kind in ("money", "percent", "int"):
        text = f"{value:.2f}" if cell.kind == "money" else str(value)
        kind = "currency" if cell.kind == "money" else "percentage" if cell.kind == "percent" else "float"
        out = TableCell(valuetype=kind, value=text, **({"currency": "EUR"} if cell.kind == "money" else {}),
                        **({"stylename": styles[cell.kind]} if cell.kind in styles else {}))
        shown = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€" if cell.kind == "money" else text
        out.addElement(P(text=shown))
        return out
    if cell.kind == "date" and isinstance(value, dt.date):
        out = TableCell(valuetype="date", datevalue=value.isoformat(), stylename=styles["date"])
        out.addElement(P(text=value.strftime("%d/%m/%Y")))
        return out
    out = TableCell(valuetype="string")
    out.addElement(P(text=str(value)))
    return out


def _ods_frozen(doc: Any, names: Sequence[str]) -> None:
    """Freeze each sheet's first row (the view settings a spreadsheet application reads)."""
    from odf.config import ConfigItem, ConfigItemMapEntry, ConfigItemMapIndexed, ConfigItemMapNamed, ConfigItemSet

    view = ConfigItemSet(name="ooo:view-settings")
    views = ConfigItemMapIndexed(name="Views")
    entry = ConfigItemMapEntry()
    item = ConfigItem(name="ViewId", type="string")
    item.addText("view1")
    entry.addElement(item)
    tables = ConfigItemMapNamed(name="Tables")
    for name in names:
        table = ConfigItemMapEntry(name=name)
        for key, kind, value in (("VerticalSplitMode", "short", "2"), ("VerticalSplitPosition", "int", "1"),
                                 ("ActiveSplitRange", "short", "2"), ("PositionTop", "int", "0"),
                                 ("PositionBottom", "int", "1")):
            setting = ConfigItem(name=key, type=kind)
            setting.addText(value)
            table.addElement(setting)
        tables.addElement(table)
    entry.addElement(tables)
    views.addElement(entry)
    view.addElement(views)
    doc.settings.addElement(view)


def ods_bytes(sheets: Sequence[Sheet]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableColumnProperties
    from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    styles = _ods_styles(doc)
    for index, sheet in enumerate(sheets):
        table = Table(name=sheet.name)
        for column, width in enumerate(widths(sheet)):
            style = Style(name=f"col-{index}-{column}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(style)
            table.addElement(TableColumn(stylename=style))
        header = TableHeaderRows()
        row = TableRow()
        for title in sheet.header:
            cell = TableCell(valuetype="string", stylename=styles["header"])
            cell.addElement(P(text=title))
            row.addElement(cell)
        header.addElement(row)
        table.addElement(header)
        for cells in sheet.rows:
            row = TableRow()
            for cell in cells:
                row.addElement(_ods_cell(cell, styles))
            table.addElement(row)
        for note in sheet.notes:
            row = TableRow()
            row.addElement(_ods_cell(Cell(note), styles))
            table.addElement(row)
        doc.spreadsheet.addElement(table)
    _ods_frozen(doc, [s.name for s in sheets])
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


# The documents ----------------------------------------------------------------------------


def _report_sheets(r: MonthlyReport) -> list[Sheet]:
    from .sections import report_sections

    return sheets_of([s for s in report_sections(r) if s.audience != "human"])


def _portfolio_sheets(p: Portfolio) -> list[Sheet]:
    from .portfolio_sections import sections

    return sheets_of(sections(p))


def _reconciliation_sheets(r: Reconciliation) -> list[Sheet]:
    from .reconciliation import sections

    return sheets_of(sections(r))


def entries_section(entries: Sequence[Entry]) -> Section:
    """The entries as one section: the columns of ``log --format csv``, titled in the language."""
    kinds = {"date": "date", "amount": "money", "kind": "entrykind", "line": "int", "label": "text"}
    columns = tuple(Column(key, kinds.get(key, "key"), _(title)) for key, title in ENTRY_COLUMNS)
    from ..core.kinds import AMOUNT_KINDS

    rows = tuple((e.line, e.date, e.kind, e.id, e.team, e.amount if e.kind in AMOUNT_KINDS else None, e.ref,
                  e.commitment, e.marche, e.prestation, e.service_fait.isoformat() if e.service_fait else None,
                  e.month, e.forecast_type, e.author, e.label, e.target, e.ej) for e in entries)
    return Section("entries", _("Entries"), columns, rows, empty=_("no entry"))


def report_xlsx(r: MonthlyReport) -> bytes:
    return xlsx_bytes(_report_sheets(r))


def report_ods(r: MonthlyReport) -> bytes:
    return ods_bytes(_report_sheets(r))


def portfolio_xlsx(p: Portfolio) -> bytes:
    return xlsx_bytes(_portfolio_sheets(p))


def portfolio_ods(p: Portfolio) -> bytes:
    return ods_bytes(_portfolio_sheets(p))


def reconciliation_xlsx(r: Reconciliation) -> bytes:
    return xlsx_bytes(_reconciliation_sheets(r))


def reconciliation_ods(r: Reconciliation) -> bytes:
    return ods_bytes(_reconciliation_sheets(r))


def log_xlsx(entries: Sequence[Entry]) -> bytes:
    return xlsx_bytes(sheets_of([entries_section(entries)]))


def log_ods(entries: Sequence[Entry]) -> bytes:
    return ods_bytes(sheets_of([entries_section(entries)]))


def export_xlsx(e: Export) -> bytes:
    return log_xlsx(e.entries)


def export_ods(e: Export) -> bytes:
    return log_ods(e.entries)
