"""Spreadsheets: a document's sections as workbook sheets, for the ``xlsx`` and ``ods`` formats.

This module owns the sheet model the two workbook formats share, and the ``xlsx`` and ``ods``
renderings of every document — the report, the portfolio, the reconciliation, the log and the
export — registered in :mod:`formats`.  One sheet per section (:class:`layout.Section`), named
after its title; its header row in the document's language; each cell typed once here
(:func:`Sheet.typed_rows`): amounts as numbers written from cents as exact decimal text
(``1234.56``, never a float computed), dates as dates, rates as percentages, counts as numbers,
the rest as text :func:`cells.visible` makes inert; each column as wide as its widest cell.
:mod:`xlsx` and :mod:`ods` write the files, a row at a time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..core.columns import ENTRY_COLUMNS
from ..core.errors import fail
from ..core.i18n import _
from ..core.kinds import AMOUNT_KINDS
from ..core.money import format_signed
from .cells import Ratio, human, visible
from .layout import Column, Section, for_people

if TYPE_CHECKING:
    from ..core.chorus import Reconciliation
    from ..core.entries import Entry
    from .export import Export
    from .figures import MonthlyReport
    from .portfolio import Portfolio

Typed = tuple[str, str] | tuple[str, dt.date] | None
"""A cell as a workbook writes it: ``("money", "1234.56")``, ``("percent", "0.81")``,
``("int", "12")``, ``("date", date)``, ``("text", "…")``; None for an empty cell."""


MAX_ROWS = 1_048_576
"""Rows a sheet holds, its header included: the limit of Excel and of LibreOffice."""
_REPEATED = frozenset({"entrykind", "team", "severity", "month"})
"""Kinds of text cells whose few values repeat down a column: each is worked out once."""


def _typer(column: Column) -> Callable[[object], Typed]:
    """How a column's values become cells (written for speed: a million rows go through)."""
    kind = column.kind

    def cell(value: object) -> Typed:
        if value is None:
            return None
        if kind == "money" and isinstance(value, int):
            return "money", format_signed(value)
        if kind == "percent" and isinstance(value, Ratio):
            return None if value.whole == 0 else ("percent", str(Decimal(value.part) / Decimal(value.whole)))
        if kind == "int" and isinstance(value, int):
            return "int", str(value)
        if kind == "date" and isinstance(value, dt.date):
            return "date", value
        return "text", visible(human(value, kind))

    if kind in ("key", "text"):
        def text(value: object) -> Typed:
            if value is None:
                return None
            return "text", visible(value) if type(value) is str else visible(human(value, kind))

        return text
    if kind in _REPEATED:
        known: dict[object, Typed] = {}

        def repeated(value: object) -> Typed:
            found = known.get(value)
            if found is None:
                found = known[value] = cell(value)
            return found

        return repeated
    return cell


@dataclass(frozen=True)
class Sheet:
    """A section as a sheet: its name, its header, its columns and its rows (read as many
    times as a writer needs: once for the widths, once to write them), and the text under
    the table (its empty text, its paragraphs)."""

    name: str
    header: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: Sequence[tuple[object, ...]]
    kept: tuple[int, ...] | None = None
    """The row's values in the sheet, by index (None: all): the bar columns are left out."""
    notes: tuple[str, ...] = ()

    def typed_rows(self) -> Iterator[list[Typed]]:
        """Each row's cells, typed, one row at a time."""
        typers = [_typer(c) for c in self.columns]
        kept = self.kept
        for row in self.rows:
            values = row if kept is None else [row[i] for i in kept]
            yield [typer(value) for typer, value in zip(typers, values, strict=True)]

    def widths(self) -> list[int]:
        """Each column's width in characters: its widest cell or header, within 8 and 60 —
        worked out before anything is written, so that a sheet with more rows than a spreadsheet
        opens is refused first (exit 2)."""
        widest = [len(title) for title in self.header]
        count = 1 + len(self.notes)
        for cells in self.typed_rows():
            count += 1
            for index, cell in enumerate(cells):
                if cell is not None:
                    size = _width(cell)
                    if size > widest[index]:
                        widest[index] = size
        if count > MAX_ROWS:
            raise fail(_("the sheet {name} would hold {count} rows, more than a spreadsheet opens ({max}); write "
                         "CSV instead, or fewer entries (--until)").format(name=repr(self.name), count=count,
                                                                           max=MAX_ROWS), code="too-many-rows")
        return [min(max(size + 2, 8), 60) for size in widest]


def _width(cell: tuple[str, str] | tuple[str, dt.date]) -> int:
    kind, value = cell
    if kind == "date":
        return 10
    assert isinstance(value, str)
    if kind == "money":  # shown grouped by thousands, with a symbol
        digits = len(value) - 3 - value.startswith("-")
        return len(value) + (digits - 1) // 3 + 2
    return len(value)


_XML_SPECIAL = re.compile("[&<>\"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def _xml_escape(match: re.Match[str]) -> str:
    char = match.group()
    return _XML_ENTITIES.get(char) or f"\\u{ord(char):04x}"


def xml_text(text: str) -> str:
    """``text`` as XML character data or an attribute's value: ``& < > "`` as entities, and
    what XML 1.0 cannot hold (C0 controls, lone surrogates, U+FFFE, U+FFFF; :func:`visible`
    has already escaped most) as ``\\uXXXX``."""
    return text if _XML_SPECIAL.search(text) is None else _XML_SPECIAL.sub(_xml_escape, text)


_FORBIDDEN = re.compile("[\\[\\]:*?/\\\\\ufffe\uffff]")


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
        kept = tuple(i for i, c in enumerate(section.columns) if c.kind != "bar")
        columns = tuple(section.columns[i] for i in kept)
        notes = (*(() if section.rows else (visible(section.empty or _("none")),)), *map(visible, section.paragraphs))
        out.append(Sheet(name, tuple(visible(c.title) for c in columns), columns, section.rows,
                         None if len(kept) == len(section.columns) else kept, notes))
    return out


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    from .xlsx import workbook

    return workbook(sheets)


def ods_bytes(sheets: Sequence[Sheet]) -> bytes:
    from .ods import workbook

    return workbook(sheets)


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


class _EntryRows(Sequence[tuple[object, ...]]):
    """The entries as rows, made one at a time as they are read (a million entries are never
    held twice)."""

    def __init__(self, entries: Collection[Entry]):
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:  # without counting entries read from the ledger
        return bool(self._entries) if isinstance(self._entries, Sequence) else any(True for __ in self._entries)

    def __getitem__(self, index: int) -> tuple[object, ...]:  # type: ignore[override]
        entries = self._entries
        return _entry_row(entries[index] if isinstance(entries, Sequence) else next(
            itertools.islice(entries, index, None)))

    def __iter__(self) -> Iterator[tuple[object, ...]]:
        return map(_entry_row, self._entries)


def _entry_row(e: Entry) -> tuple[object, ...]:
    return (e.line, e.date, e.kind, e.id, e.team, e.amount if e.kind in AMOUNT_KINDS else None, e.ref,
            e.commitment, e.marche, e.prestation, e.service_fait.isoformat() if e.service_fait else None,
            e.month, e.forecast_type, e.author, e.label, e.target, e.ej)


def entries_section(entries: Collection[Entry]) -> Section:
    """The entries as one section: the columns of ``log --format csv``, titled in the language."""
    kinds = {"date": "date", "amount": "money", "kind": "entrykind", "line": "int", "label": "text"}
    columns = tuple(Column(key, kinds.get(key, "key"), _(title)) for key, title in ENTRY_COLUMNS)
    return Section("entries", _("Entries"), columns, _EntryRows(entries), empty=_("no entry"))


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


def log_xlsx(entries: Collection[Entry]) -> bytes:
    return xlsx_bytes(sheets_of([entries_section(entries)]))


def log_ods(entries: Collection[Entry]) -> bytes:
    return ods_bytes(sheets_of([entries_section(entries)]))


def export_xlsx(e: Export) -> bytes:
    return log_xlsx(e.entries)


def export_ods(e: Export) -> bytes:
    return log_ods(e.entries)
