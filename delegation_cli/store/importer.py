"""Bulk import of entries from a CSV, ``.xlsx`` or ``.ods`` file (a tracking spreadsheet).

This module owns ``delegation import``: reading the rows (CSV comma or semicolon separated,
UTF-8 with or without BOM, streamed; a workbook's first sheet through
:mod:`spreadsheets`, amounts and dates from its typed cells; a header row naming the columns
in English or French, :func:`columns.column_key`; kinds in English or French,
:func:`kinds.kind_named`), turning each into an entry
with every problem reported as ``FILE:ROW: ...``, recognising rows already in the ledger
(same id, or same kind and reference, or the same facts) as duplicates, and appending all
the new rows under one lock — or none of them.

Columns (case-insensitive; order free): ``date``, ``kind``, ``team``, ``amount``,
and as each kind needs ``ref``, ``commitment`` (id or bon de commande reference, also of a
commitment imported in the same file), ``marche``, ``prestation``, ``service_fait``,
``month``, ``type``, ``label``, ``author``, ``id``.  ``line`` (from ``delegation log
--format csv``) is ignored.  Amounts may be written ``20000.00`` or ``20 000,00 €``.

Every cell but the label is stripped of surrounding spaces; the label is kept exactly, so
that ``export --format csv`` then ``import`` gives back the same entries.  Seal rows of such
an export are skipped (a seal covers the ledger it was made on; ``delegation close``
re-creates one) and counted in one line of the summary.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..core.columns import column_key
from ..core.entries import MAX_LABEL, TOKEN, TOKEN_EXPECTED, Entry, Stamp, new_id, parse_date, parse_month
from ..core.errors import DelegationError, ExitCode, Problem, Severity
from ..core.i18n import _, ngettext
from ..core.kinds import KIND_SPECS, KINDS, SETTLING_KINDS, Kind, kind_name, kind_named
from ..core.lines import format_entry, header_line
from ..core.model import Convention
from ..core.money import AmountError, parse_amount
from .book import Book, read_book
from .convention import LoadedConvention
from .ledger import appending
from .reader import PROGRESS
from .results import ImportResult
from .spreadsheets import WORKBOOKS
from .text_files import text_lines

MAX_BYTES = 50_000_000
COLUMNS = ("id", "date", "kind", "team", "amount", "ref", "commitment", "marche", "prestation",
           "service_fait", "month", "type", "label", "author", "line", "target", "ej")
_FORMULA_GUARD = ("''", "'=", "'+", "'-", "'@", "'\t", "'\r", "'\n")
_EXACT = frozenset({"label"})
"""Columns whose cells are kept as written (not stripped): free text that must round-trip."""


@dataclass
class _Row:
    number: int
    values: dict[str, str]


class _Lines:
    """The lines of the CSV file as they are read (:func:`convention.text_lines`), counting the
    characters read for the progress bar."""

    def __init__(self, path: Path):
        self.read = 0
        self._lines = text_lines(path, max_bytes=MAX_BYTES, what=_("CSV file"))

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.read += len(line)
            yield line


def read_rows(path: Path, problems: list[Problem]) -> Iterator[_Row]:
    """The data rows of a CSV file, streamed (never the whole file in memory), with the
    problems of its shape (FILE:ROW) appended to ``problems`` as they are met."""
    shown = str(path)
    lines = _Lines(path)
    feed = iter(lines)
    first = next(feed, "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    progress = PROGRESS.get()
    total = os.stat(path).st_size if progress is not None else 0
    reader = csv.reader(itertools.chain((first,), feed) if first else feed, delimiter=delimiter, strict=True)
    try:
        header = _header(next(reader), shown, problems)
    except StopIteration:
        problems.append(Problem(shown, 1, None, Severity.ERROR, "import-empty",
                                _("the file is empty (expected a header row)")))
        return
    except csv.Error as exc:
        problems.append(Problem(shown, 1, None, Severity.ERROR, "import-csv",
                                _("not valid CSV: {error}").format(error=exc)))
        return
    try:
        for count, cells in enumerate(reader, 1):
            number = reader.line_num
            if progress is not None and count % 10_000 == 0:
                progress(lines.read, total, shown, "bytes")
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(Problem(shown, number, None, Severity.ERROR, "import-csv",
                                        _("{cells} cells for {columns} columns").format(cells=len(cells),
                                                                                         columns=len(header))))
                continue
            yield _Row(number, {h: _unguard(c if h in _EXACT else c.strip())
                                for h, c in zip(header, cells, strict=True)})
    except csv.Error as exc:
        problems.append(Problem(shown, reader.line_num, None, Severity.ERROR, "import-csv",
                                _("not valid CSV: {error}").format(error=exc)))


def _header(cells: list[str], shown: str, problems: list[Problem]) -> list[str]:
    """The keys of the header's columns (English or French names, :func:`columns.column_key`),
    with a problem for each unknown one and each one missing."""
    header = [column_key(h) or h.strip().lower() for h in cells]
    unknown = [h for h, key in zip(cells, header, strict=True) if key not in COLUMNS]
    if unknown:
        problems.append(Problem(shown, 1, None, Severity.ERROR, "import-column",
                                ngettext("unknown column {columns} (expected some of: {expected})",
                                         "unknown columns {columns} (expected some of: {expected})",
                                         len(unknown)).format(columns=", ".join(repr(h.strip()) for h in unknown),
                                                              expected=", ".join(COLUMNS))))
    for required in ("date", "kind"):
        if required not in header:
            problems.append(Problem(shown, 1, None, Severity.ERROR, "import-column",
                                    _("missing column {column}").format(column=repr(required))))
    return header


def workbook_rows(path: Path, problems: list[Problem]) -> Iterator[_Row]:
    """The data rows of an ``.xlsx`` or ``.ods`` file's first sheet (its first non-empty row is
    the header), each cell as the text a CSV would hold: amounts and dates exactly."""
    from .spreadsheets import read_rows as sheet_rows

    shown = str(path)
    rows = iter(sheet_rows(path))
    header: list[str] | None = None
    for number, cells in rows:
        texts = [_as_text(c) for c in cells]
        if header is None:
            if any(texts):
                header = _header(texts, shown, problems)
            continue
        if not any(t.strip() for t in texts):
            continue
        texts += [""] * (len(header) - len(texts))
        yield _Row(number, {h: t if h in _EXACT else t.strip() for h, t in zip(header, texts, strict=False)})
    if header is None:
        problems.append(Problem(shown, 1, None, Severity.ERROR, "import-empty",
                                _("the file is empty (expected a header row)")))


def _as_text(cell: object) -> str:
    """A workbook's cell as text: a date in ISO form, a number with its decimals exactly."""
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float):
        return format(Decimal(repr(cell)), "f") if not cell.is_integer() else str(int(cell))
    return str(cell)


def _unguard(cell: str) -> str:
    """Undo the formula guard our own CSV exports add (``'=x`` was the text ``=x``)."""
    return cell[1:] if cell.startswith(_FORMULA_GUARD) else cell


def _draft(row: _Row, shown: str, stamp: Stamp) -> tuple[Entry | None, list[Problem]]:
    v = row.values
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem(shown, row.number, None, Severity.ERROR, "import-row", message))

    kind = kind_named(v.get("kind", ""))
    if kind is None:
        bad(_("kind {kind} is not one of: {kinds}").format(kind=repr(v.get("kind", "")), kinds=", ".join(KINDS)))
        return None, problems
    spec = KIND_SPECS[kind]
    date = service_fait = None
    try:
        date = parse_date(v.get("date", ""))
    except ValueError as exc:
        bad(_("{column}: {error}").format(column="date", error=exc))
    if v.get("service_fait"):
        try:
            service_fait = parse_date(v["service_fait"])
        except ValueError as exc:
            bad(_("{column}: {error}").format(column="service_fait", error=exc))
    amount = 0
    if spec.amount:
        try:
            amount = parse_amount(v.get("amount", ""), allow_zero=kind == "forecast")
        except AmountError as exc:
            bad(_("{column}: {error}").format(column="amount", error=exc))
    month = v.get("month") or None
    if kind == "forecast":
        try:
            month = parse_month(month or "")
        except ValueError as exc:
            bad(_("{column}: {error}").format(column="month", error=exc))
        if v.get("type") not in ("ae", "cp"):
            bad(_("type {type} is not ae or cp").format(type=repr(v.get("type", ""))))
    for message in _missing(kind, v, service_fait):
        bad(message)
    for key in ("id", "team", "ref", "ej", "commitment", "target", "marche", "prestation", "author"):
        value = v.get(key)
        if value and TOKEN.fullmatch(value) is None:
            bad(_("{column} {value} is not valid (expected {expected})").format(
                column=key, value=repr(value), expected=_(TOKEN_EXPECTED)))
    label = v.get("label", "")
    if len(label) > MAX_LABEL:
        bad(_("label is {length} characters long (at most {max})").format(length=len(label), max=MAX_LABEL))
    if kind == "note" and not label:
        bad(_("a note needs its text (column 'label')"))
    if problems or date is None:
        return None, problems
    entry = Entry(
        date=date, kind=kind, id=v.get("id", ""), team=v.get("team", ""), amount=amount,
        ref=v.get("ref") or None, marche=v.get("marche") or None, prestation=v.get("prestation") or None,
        commitment=v.get("commitment") or None, service_fait=service_fait, month=month,
        forecast_type=v.get("type") or None if kind == "forecast" else None,
        recorded_at=stamp.at, author=v.get("author") or stamp.by, label=label,
        target=v.get("target") or None if spec.mends else None,
        ej=v.get("ej") or None if kind == "commitment" else None,
    )
    return entry, problems


def _missing(kind: Kind, v: dict[str, str], service_fait: dt.date | None) -> list[str]:
    """What a row of ``kind`` lacks: the entry it names, its commitment, its team."""
    spec = KIND_SPECS[kind]
    out = []
    if spec.mends and not v.get("target"):
        out.append(_("a {kind} needs the id of the entry it names (column 'target')").format(kind=kind))
    if kind == "service-fait" and service_fait is None:
        out.append(_("a {kind} needs its date (column 'service_fait')").format(kind=kind))
    if spec.settles and not v.get("commitment"):
        out.append(_("a {kind} needs the commitment it settles (column 'commitment')").format(kind=kind))
    if spec.team_in_import and not v.get("team"):
        out.append(_("a {kind} needs a team (column 'team')").format(kind=kind))
    return out


def _fact(e: Entry) -> tuple[object, ...]:
    """Every field that identifies what an entry says (not who recorded it, nor when): two
    entries with the same facts are the same entry; a different bon de commande or demande de
    paiement reference makes a different one."""
    return (e.date, e.kind, e.team, e.amount, e.ref, e.marche, e.prestation, e.commitment, e.service_fait, e.month,
            e.forecast_type, e.label, e.target, e.ej)


def import_csv(loaded: LoadedConvention, ledger_path: Path, source: Path, *, dry_run: bool,
               stamp: Stamp) -> ImportResult:
    """Validate every row, then append all new ones (or none).  See the module docstring."""
    conv = loaded.convention
    assert conv is not None
    shown = str(source)
    problems: list[Problem] = []
    drafts, seals = _drafts(source, shown, stamp, problems)
    notices = [Problem(shown, None, None, Severity.INFO, "import-seal-skipped",
                       ngettext("skipped {count} seal row: seals are re-created with `delegation close`",
                                "skipped {count} seal rows: seals are re-created with `delegation close`",
                                seals).format(count=seals))] if seals else []
    if any(p.severity is Severity.ERROR for p in problems):
        raise DelegationError([*problems, _refused(ledger_path, problems)], ExitCode.PROBLEMS)
    with appending(ledger_path, header_line(conv.id), dry_run=dry_run) as (fd, write):
        ledger = read_book(conv, fd, str(ledger_path), keep=True)
        ledger.require_writable()
        admission = _Admission(conv, ledger, shown)
        accepted = admission.sort_out(drafts)
        new = [entry for __, entry in accepted]
        verdict = ledger.admit(new, [(shown, number) for number, __ in accepted])
        errors = [*admission.errors, *verdict.errors]
        if errors:
            raise DelegationError([*sorted(errors, key=_row_order), _refused(ledger_path, errors)],
                                  ExitCode.PROBLEMS)
        result = ImportResult(shown, ledger_path, new, admission.duplicates, [*notices, *verdict.warnings],
                              written=write is not None)
        if write is not None and new:
            write([format_entry(e) for e in new])
        return result


def _drafts(source: Path, shown: str, stamp: Stamp, problems: list[Problem]) -> tuple[list[tuple[int, Entry]], int]:
    """(row number, entry drafted from it) for every row that reads, and how many seal rows
    were skipped; each row's problems go to ``problems``.  Nothing else of a row is kept."""
    seals = 0
    drafts: list[tuple[int, Entry]] = []
    rows = workbook_rows(source, problems) if source.suffix.lower() in WORKBOOKS else read_rows(source, problems)
    for row in rows:
        if kind_named(row.values.get("kind", "")) == "seal":
            seals += 1
            continue
        entry, row_problems = _draft(row, shown, stamp)
        problems.extend(row_problems)
        if entry is not None:
            drafts.append((row.number, entry))
    return drafts, seals


class _Admission:
    """Sorts drafted rows, under the ledger's lock, into new entries, duplicates of entries
    already in the ledger (skipped, with a warning naming them) and errors (an unknown
    commitment, an id reused for something else)."""

    def __init__(self, conv: Convention, ledger: Book, shown: str):
        self.conv, self.ledger, self.shown = conv, ledger, shown
        existing = ledger.entries or []
        self.by_id = {e.id: e for e in existing}
        self.by_fact = {_fact(e): e for e in existing}
        self.taken = set(self.by_id)
        self.new_commitments: dict[str, Entry] = {}
        self.new_by_id: dict[str, Entry] = {}
        self.errors: list[Problem] = []
        self.duplicates: list[Problem] = []

    def sort_out(self, drafts: list[tuple[int, Entry]]) -> list[tuple[int, Entry]]:
        """The entries to append, in the file's order (commitments looked at first, so that
        a payment may name a commitment of the same file)."""
        accepted: list[tuple[int, Entry]] = []
        for number, draft in sorted(drafts, key=lambda d: 0 if d[1].kind == "commitment" else 1):
            entry = self._completed(number, draft)
            if entry is None or self._duplicate(number, entry):
                continue
            entry = self._with_id(number, entry)
            if entry is None:
                continue
            self.new_by_id[entry.id] = entry
            if entry.kind == "commitment":
                self.new_commitments[entry.id] = entry
                if entry.ref:
                    self.new_commitments.setdefault(entry.ref, entry)
                if entry.ej:
                    self.new_commitments.setdefault(entry.ej, entry)
            accepted.append((number, entry))
        accepted.sort(key=lambda pair: pair[0])
        return accepted

    def _completed(self, number: int, entry: Entry) -> Entry | None:
        """The entry with its commitment resolved (a payment or a release) and its marché
        found from its prestation (a commitment); None when the commitment is unknown."""
        if entry.kind in SETTLING_KINDS:
            key = entry.commitment or ""
            target = self.ledger.state.resolve(key) or self.new_commitments.get(key)
            if target is None:
                self.errors.append(Problem(self.shown, number, None, Severity.ERROR, "commitment-unknown",
                                           _("unknown commitment {commitment} (expected the id or bon de commande "
                                             "reference of a commitment of the ledger or of this file)").format(
                                               commitment=repr(key))))
                return None
            entry = entry._replace(commitment=target.id, team=entry.team or target.team)
        if entry.target is not None:  # a cancellation or a service fait takes its entry's team
            named = self.by_id.get(entry.target) or self.new_by_id.get(entry.target)
            if named is None:
                self.errors.append(Problem(self.shown, number, None, Severity.ERROR, f"{entry.kind}-unknown",
                                           _("unknown entry {entry} (expected the id of an entry of the ledger or of "
                                             "an earlier row of this file)").format(entry=repr(entry.target))))
                return None
            entry = entry._replace(team=entry.team or named.team)
        if entry.kind == "commitment" and entry.marche is None and entry.prestation is not None:
            entry = entry._replace(marche=self.conv.marche_of_prestation.get(entry.prestation))
        return entry

    def _duplicate(self, number: int, entry: Entry) -> bool:
        """Whether the row says the same thing as an entry of the ledger — the same facts,
        under the same id or reference when the row gives one (a row that shares an id or a
        reference with a different entry is not skipped: the replay refuses the reuse)."""
        twin = self.by_fact.get(_fact(entry))
        if twin is not None and entry.id and entry.id != twin.id:
            twin = None
        if twin is None and entry.id and entry.id in self.by_id and _fact(self.by_id[entry.id]) == _fact(entry):
            twin = self.by_id[entry.id]
        if twin is None:
            return False
        self.duplicates.append(Problem(self.shown, number, None, Severity.WARNING, "import-duplicate",
                                       _("already in the ledger at {path}:{line} ({kind} {id}); not appended "
                                         "again").format(path=self.ledger.path, line=twin.line,
                                                         kind=kind_name(twin.kind), id=twin.id)))
        return True

    def _with_id(self, number: int, entry: Entry) -> Entry | None:
        """The entry with a new id when the row gives none; None when its id is taken."""
        if not entry.id:
            entry = entry._replace(id=new_id(entry.kind, self.taken))
        elif entry.id in self.by_id:
            other = self.by_id[entry.id]
            self.errors.append(Problem(self.shown, number, None, Severity.ERROR, "id-duplicate",
                                       _("id {id} is already used at {path}:{line} by a {kind} that says something "
                                         "else (expected a new id, or none)").format(
                                           id=entry.id, path=self.ledger.path, line=other.line,
                                           kind=kind_name(other.kind))))
            return None
        elif entry.id in self.taken:
            self.errors.append(Problem(self.shown, number, None, Severity.ERROR, "id-duplicate",
                                       _("id {id} is used twice in this file").format(id=entry.id)))
            return None
        self.taken.add(entry.id)
        return entry


def _refused(ledger_path: Path, errors: list[Problem]) -> Problem:
    """The one line that ends a refused import: how many rows (the header counts as row 1)."""
    rows = len({p.line for p in errors if p.severity is Severity.ERROR and p.line is not None}) or 1
    return Problem(str(ledger_path), None, None, Severity.ERROR, "import-refused",
                   ngettext("import refused: {count} row in error; the ledger was not changed",
                            "import refused: {count} rows in error; the ledger was not changed", rows).format(
                       count=rows))


def _row_order(problem: Problem) -> tuple[int, int]:
    return (0 if problem.line is not None else 1, problem.line or 0)
