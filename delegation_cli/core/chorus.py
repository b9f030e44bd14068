"""Agreeing with Chorus: a restitution's rows read exactly, then compared with the ledger.

This module owns what a Chorus extract (the INFBUD family, as CSV, ``.xlsx`` or ``.ods``)
means, once a reader has turned it into rows of cells (:func:`read_extract`): the header row
found a few rows down by the columns' names (:data:`COLUMNS`, which the convention may rename
under ``imputation.chorus.columns``), the empty and « Résultat » subtotal rows dropped, French
amounts (``1 234,56``) and dates (``31.12.2020``, ``31/12/2020``) read exactly, the rows of the
convention's centre financier (and activité, when the extract has the column) kept, the postes
summed per EJ; then :func:`reconcile` compares each EJ with the ledger's commitment carrying
it: EJs only in Chorus, commitments only in the ledger or without an EJ, committed and paid
amounts that differ, to the cent.  No I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .columns import normal
from .errors import Problem, Severity
from .i18n import _
from .money import Cents, parse_amount

Cell = str | int | float | dt.date | dt.datetime | None
Row = tuple[int, Sequence[Cell]]
"""A row of the extract: its number in the file (1-based, as a spreadsheet shows it) and its cells."""

COLUMNS: Mapping[str, str] = {
    "ej": "N° EJ",
    "poste": "N° poste EJ",
    "centre_financier": "Centre financier",
    "activite": "Activité",
    "supplier": "Fournisseur titulaire principal (EJ)",
    "committed": "Montant engagé",
    "paid": "Montant payé",
    "sf_date": "Date comptable du SF",
}
"""What each column is called in a Chorus restitution (the keys name it for the convention's
``imputation.chorus.columns``, which may rename any of them)."""
REQUIRED = ("ej", "committed", "paid")
HEADER_ROWS = 50
"""The header is looked for in the extract's first rows (restitutions put a title block above it)."""
_SUBTOTAL = re.compile(r"^\s*(r[ée]sultat|total)\b", re.IGNORECASE)
def _text(cell: Cell) -> str:
    """A cell as text: an integral number without its ``.0`` (an EJ number stored as a number)."""
    if type(cell) is str:
        return cell.strip()
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    return str(cell).strip()


def parse_amount_cell(cell: Cell) -> Cents:
    """An amount as Chorus writes it — ``1 234,56``, ``-1 234,56``, ``1234.56``, a number cell —
    in cents, exactly; ValueError otherwise (more than two decimals, not a number).  Text is
    read by :func:`money.parse_amount`, the one reader of amounts people write, with its sign
    (a restitution holds negative corrections)."""
    if type(cell) is str:
        text = cell.strip()
        negative = text[:1] in ("-", "\u2212")
        cents = parse_amount(text[1:] if negative else text, allow_zero=True)
        return -cents if negative else cents
    if isinstance(cell, bool) or not isinstance(cell, (int, float)):
        raise ValueError
    if isinstance(cell, int):
        return cell * 100
    value = Decimal(repr(cell)) * 100  # a float's shortest text: what the file holds
    if value != value.to_integral_value():
        raise ValueError
    return int(value)


def parse_date_cell(cell: Cell) -> dt.date:
    """A date as Chorus writes it — ``31.12.2020``, ``31/12/2020``, ``2020-12-31``, a date cell."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = _text(cell)
    for pattern in ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError


@dataclass(frozen=True)
class ChorusEj:
    """An EJ as the extract states it: its postes summed."""

    ej: str
    committed: Cents
    paid: Cents
    postes: int
    supplier: str
    rows: tuple[int, ...]


@dataclass
class Extract:
    """What reading an extract found: its EJs (those of the convention's centre financier),
    where its header was, what was left aside, and the problems of its rows."""

    source: str
    ejs: dict[str, ChorusEj] = field(default_factory=dict)
    header_row: int = 0
    rows: int = 0
    """Rows of EJ postes kept."""
    subtotals: int = 0
    other_centre: int = 0
    """Rows of another centre financier (or activité), left aside."""
    problems: list[Problem] = field(default_factory=list)


def _header(rows: Sequence[Row], names: Mapping[str, str], source: str) -> tuple[int, dict[str, int]] | Problem:
    wanted = {key: normal(name) for key, name in names.items()}
    for index, (__, cells) in enumerate(rows[:HEADER_ROWS]):
        found = {normal(_text(c)): i for i, c in enumerate(cells) if _text(c)}
        if all(wanted[key] in found for key in REQUIRED):
            return index, {key: found[name] for key, name in wanted.items() if name in found}
    return Problem(source, None, None, Severity.ERROR, "chorus-header",
                   _("no header row naming the columns {columns} in the first {count} rows (expected a Chorus "
                     "extract; the convention may rename the columns under imputation.chorus.columns)").format(
                       columns=", ".join(repr(names[key]) for key in REQUIRED), count=HEADER_ROWS))


def read_extract(rows: Sequence[Row], source: str, *, names: Mapping[str, str] | None = None,
                 centre_financier: str | None = None, activite: str | None = None) -> Extract:
    """The EJs of ``rows`` (the extract's cells, row by row), with every row's problem."""
    names = {**COLUMNS, **(names or {})}
    extract = Extract(source)
    header = _header(rows, names, source)
    if isinstance(header, Problem):
        extract.problems.append(header)
        return extract
    start, columns = header
    extract.header_row = rows[start][0]
    postes: dict[str, list[tuple[int, Cents, Cents, str]]] = {}
    for number, cells in rows[start + 1:]:
        read = _row(number, cells, columns, names, extract, centre_financier, activite)
        if read is not None:
            ej, committed, paid, supplier = read
            postes.setdefault(ej, []).append((number, committed, paid, supplier))
    for ej, lines in postes.items():
        extract.ejs[ej] = ChorusEj(ej, sum(line[1] for line in lines), sum(line[2] for line in lines), len(lines),
                                   next((line[3] for line in lines if line[3]), ""), tuple(line[0] for line in lines))
    return extract


def _cell(cells: Sequence[Cell], columns: Mapping[str, int], key: str) -> Cell:
    index = columns.get(key)
    return cells[index] if index is not None and index < len(cells) else None


def _row(number: int, cells: Sequence[Cell], columns: Mapping[str, int], names: Mapping[str, str],
         extract: Extract, centre_financier: str | None,
         activite: str | None) -> tuple[str, Cents, Cents, str] | None:
    """One row: (EJ, committed, paid, supplier), or None when it is empty, a subtotal, of
    another centre financier, or wrong (its problems then noted)."""
    first = next((t for t in (c.strip() if type(c) is str else _text(c) for c in cells) if t), None)
    if first is None:
        return None
    if _SUBTOTAL.match(first):  # a subtotal row is labelled in its first cell that holds something
        extract.subtotals += 1
        return None
    centre = _text(_cell(cells, columns, "centre_financier"))
    activity = _text(_cell(cells, columns, "activite"))
    if (centre_financier and "centre_financier" in columns and centre != centre_financier) or (
            activite and "activite" in columns and activity != activite):
        extract.other_centre += 1
        return None
    problems = []
    ej = _text(_cell(cells, columns, "ej"))
    if not ej:
        problems.append(_("no EJ number in column {column}").format(column=repr(names["ej"])))
    amounts = []
    for key in ("committed", "paid"):
        value = _cell(cells, columns, key)
        try:
            amounts.append(parse_amount_cell(value) if _text(value) else 0)
        except ValueError:
            problems.append(_("{value} in column {column} is not an amount (expected such as 1 234,56)").format(
                value=repr(_text(value)), column=repr(names[key])))
    sf_date = _cell(cells, columns, "sf_date")
    if _text(sf_date):
        try:
            parse_date_cell(sf_date)
        except ValueError:
            problems.append(_("{value} in column {column} is not a date (expected DD.MM.YYYY or DD/MM/YYYY)").format(
                value=repr(_text(sf_date)), column=repr(names["sf_date"])))
    for message in problems:
        extract.problems.append(Problem(extract.source, number, None, Severity.ERROR, "chorus-row", message))
    if problems:
        return None
    extract.rows += 1
    return ej, amounts[0], amounts[1], _text(_cell(cells, columns, "supplier"))


# The comparison -------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEj:
    """A commitment of the ledger as Chorus would see it: committed net of releases, paid."""

    id: str
    ref: str | None
    ej: str | None
    team: str
    committed: Cents
    paid: Cents


@dataclass(frozen=True)
class Pair:
    """An EJ found on both sides."""

    chorus: ChorusEj
    ledger: LedgerEj

    @property
    def committed_gap(self) -> Cents:
        """Chorus less the ledger."""
        return self.chorus.committed - self.ledger.committed

    @property
    def paid_gap(self) -> Cents:
        return self.chorus.paid - self.ledger.paid


@dataclass(frozen=True)
class Reconciliation:
    """The extract against the ledger."""

    extract: Extract
    as_of: dt.date
    agreeing: tuple[Pair, ...]
    differing: tuple[Pair, ...]
    chorus_only: tuple[ChorusEj, ...]
    ledger_only: tuple[LedgerEj, ...]
    """Commitments whose EJ the extract does not know."""
    without_ej: tuple[LedgerEj, ...]
    language: str = "fr"

    @property
    def agree(self) -> bool:
        return not (self.differing or self.chorus_only or self.ledger_only or self.without_ej)

    def totals(self) -> tuple[Cents, Cents, Cents, Cents]:
        """(Chorus committed, ledger committed, Chorus paid, ledger paid), every EJ of each side."""
        ledger = [*(p.ledger for p in (*self.agreeing, *self.differing)), *self.ledger_only, *self.without_ej]
        return (sum(e.committed for e in self.extract.ejs.values()), sum(e.committed for e in ledger),
                sum(e.paid for e in self.extract.ejs.values()), sum(e.paid for e in ledger))


def reconcile(extract: Extract, commitments: Iterable[LedgerEj], as_of: dt.date,
              language: str = "fr") -> Reconciliation:
    """Each EJ of the extract against the ledger's commitment that carries it."""
    by_ej: dict[str, LedgerEj] = {}
    without: list[LedgerEj] = []
    for commitment in commitments:
        if commitment.ej is None:
            without.append(commitment)
        else:
            by_ej.setdefault(commitment.ej, commitment)
    pairs = [Pair(c, by_ej[ej]) for ej, c in sorted(extract.ejs.items()) if ej in by_ej]
    return Reconciliation(
        extract, as_of,
        tuple(p for p in pairs if not (p.committed_gap or p.paid_gap)),
        tuple(p for p in pairs if p.committed_gap or p.paid_gap),
        tuple(c for ej, c in sorted(extract.ejs.items()) if ej not in by_ej),
        tuple(e for ej, e in sorted(by_ej.items()) if ej not in extract.ejs),
        tuple(without), language)
