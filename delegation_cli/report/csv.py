"""CSV: the report, the ledger's entries and the portfolio for a spreadsheet or a script.

This module owns the CSV renderings and their two dialects (:class:`CsvDialect`): RFC 4180
text (CRLF line ends, quotes where needed), stable English headers, plain amounts (``1500.00``,
``1500,00`` in the ``excel-fr`` dialect) and ISO dates.  Every text cell goes through
:func:`cells.csv_safe` (never a formula, no active character).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from ..core.dialects import CsvDialect
from ..core.entries import Entry
from ..core.kinds import AMOUNT_KINDS
from ..core.money import format_canonical, format_signed
from .cells import NUMERIC, csv_safe, plain, rate
from .sections import invalid_lines, report_sections

if TYPE_CHECKING:
    from ..core.chorus import Reconciliation
    from .figures import MonthlyReport
    from .layout import Section
    from .portfolio import ConventionLine, Portfolio


def _number(plain_number: str, dialect: CsvDialect) -> str:
    """A plain number in the dialect: ``1500,00`` for ``excel-fr``."""
    return plain_number.replace(".", ",") if dialect is CsvDialect.EXCEL_FR else plain_number


def csv_text(rows: Iterable[Sequence[str]], dialect: CsvDialect) -> str:
    """RFC 4180 text (CRLF line ends, quotes where needed) in the given dialect."""
    return "".join(csv_pieces(rows, dialect))


def csv_pieces(rows: Iterable[Sequence[str]], dialect: CsvDialect, batch: int = 2_000) -> Iterator[str]:
    """:func:`csv_text`, ``batch`` rows at a time: the rows are never held whole as text."""
    buffer = io.StringIO()
    delimiter = ";" if dialect is CsvDialect.EXCEL_FR else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if dialect is CsvDialect.EXCEL_FR:
        buffer.write("\ufeff")
    for count, row in enumerate(rows):
        writer.writerow(row)
        if count % batch == batch - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def report_csv(r: MonthlyReport, dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """One block per section (a title row, a header row, the rows), plain amounts and ISO
    dates; the headers are the stable English column names."""
    rows: list[list[str]] = []
    invalid = invalid_lines(r)
    if invalid:
        rows += [["# invalid"], *([csv_safe(line)] for line in invalid), []]
    rows += _blocks([s for s in report_sections(r) if s.audience != "human"], dialect)
    return csv_text(rows, dialect)


def _blocks(sections: Sequence[Section], dialect: CsvDialect) -> list[list[str]]:
    """One block per section: a ``# key`` row, the header (stable English names), the rows
    (plain amounts, ISO dates), the paragraphs; an empty row between blocks."""
    rows: list[list[str]] = []
    for index, section in enumerate(sections):
        if index:
            rows.append([])
        rows.append([f"# {section.key}"])
        rows.append([csv_safe(c.name) for c in section.columns if c.kind != "bar"])
        for row in section.rows:
            rows.append([_number(plain(value, column.kind), dialect) if column.kind in NUMERIC
                         else csv_safe(plain(value, column.kind))
                         for value, column in zip(row, section.columns, strict=True) if column.kind != "bar"])
        for paragraph in section.paragraphs:
            rows.append([csv_safe(paragraph)])
    return rows


def reconciliation_csv(r: Reconciliation, dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """The reconciliation as CSV blocks, one per section, as the report's."""
    from .reconciliation import sections

    return csv_text(_blocks(sections(r), dialect), dialect)


# --------------------------------------------------------------------------------------
# The ledger's entries (log, export)
# --------------------------------------------------------------------------------------

LOG_COLUMNS = ("line", "date", "kind", "id", "team", "amount", "ref", "commitment",
               "marche", "prestation", "service_fait", "month", "type", "author", "label", "target", "ej")


def _log_row(entry: Entry) -> dict[str, str]:
    return {
        "line": str(entry.line),
        "date": entry.date.isoformat(),
        "kind": entry.kind,
        "id": entry.id,
        "team": entry.team,
        "amount": format_canonical(entry.amount) if entry.kind in AMOUNT_KINDS else "",
        "ref": entry.ref or "",
        "commitment": entry.commitment or "",
        "marche": entry.marche or "",
        "prestation": entry.prestation or "",
        "service_fait": entry.service_fait.isoformat() if entry.service_fait else "",
        "month": entry.month or "",
        "type": entry.forecast_type or "",
        "author": entry.author or "",
        "label": entry.label,
        "target": entry.target or "",
        "ej": entry.ej or "",
    }


def log_csv(entries: Sequence[Entry], dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """The entries as CSV: a header row, one row per entry, amounts in the plain form."""
    return "".join(log_csv_pieces(entries, dialect))


def log_csv_pieces(entries: Iterable[Entry], dialect: CsvDialect = CsvDialect.RFC4180) -> Iterator[str]:
    """:func:`log_csv`, a piece at a time."""
    return csv_pieces(itertools.chain([list(LOG_COLUMNS)], map(partial(_log_cells, dialect=dialect), entries)),
                      dialect)


def _log_cells(entry: Entry, dialect: CsvDialect) -> list[str]:
    row = _log_row(entry)
    if row["amount"]:
        row["amount"] = _number(row["amount"], dialect)
    return [row[c] if c in ("amount", "line") else csv_safe(row[c]) for c in LOG_COLUMNS]


# --------------------------------------------------------------------------------------
# The portfolio
# --------------------------------------------------------------------------------------

PORTFOLIO_COLUMNS = ("id", "title", "delegant", "programme", "uo", "start", "end", "status", "month",
                     "envelope", "ae_committed", "cp_paid", "remaining_to_pay", "ae_available", "cp_available",
                     "year", "year_ae_available", "year_cp_available", "ae_rate", "cp_rate", "alerts_error",
                     "alerts_warning", "alerts_info", "valid", "errors", "first_problem", "closed_through", "file")


def _figures_cells(line: ConventionLine, dialect: CsvDialect) -> list[str]:
    """From ``start`` to ``alerts_info``: the figures of a valid convention, else empty cells."""
    from .portfolio import amounts

    f = line.figures
    if f is None:
        return [""] * 18

    def number(value: str | None) -> str:
        return "" if value is None else _number(value, dialect)

    year = f.year
    return [f.period.start.isoformat(), f.period.end.isoformat(), f.status, f.month,
            *(number(format_signed(amount)) for amount in amounts(f.totals)),
            str(year.year) if year else "", number(format_signed(year.ae_available) if year else None),
            number(format_signed(year.cp_available) if year else None),
            number(rate(f.totals.committed, f.totals.envelope)), number(rate(f.totals.paid, f.totals.envelope)),
            *(str(count) for count in f.alert_counts().values())]


def _portfolio_row(line: ConventionLine, dialect: CsvDialect) -> list[str]:
    check = line.check
    closed = line.figures.closed_through if line.figures else None
    return [csv_safe(line.id or ""), csv_safe(line.title or ""), csv_safe(line.delegant or ""),
            csv_safe(line.programme or ""), csv_safe(line.uo or ""), *_figures_cells(line, dialect),
            "true" if check.valid else "false", str(check.errors), csv_safe(check.first_problem or ""),
            closed or "", csv_safe(line.file)]


def portfolio_csv(p: Portfolio, dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """One row per convention, stable English headers, plain amounts (the JSON's)."""
    return csv_text([list(PORTFOLIO_COLUMNS), *(_portfolio_row(line, dialect) for line in p.rows)], dialect)
