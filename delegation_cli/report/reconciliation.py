"""``delegation reconcile``: a Chorus extract against the ledger, as a document.

This module owns the reconciliation's one call (:func:`build_reconciliation`: the extract read
through :mod:`store.spreadsheets`, the ledger through the one read path, compared by
:func:`core.chorus.reconcile`) and its sections, which every format renders (terminal,
Markdown, CSV, spreadsheets); its JSON is :func:`reconciliation_json`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..core.chorus import LedgerEj, Reconciliation, read_extract, reconcile
from ..core.entries import month_end
from ..core.errors import DelegationError, ExitCode
from ..core.i18n import N_, REPORT_DEFAULT, _, format_date
from ..core.money import format_signed
from ..store.book import Window
from ..store.convention import LoadedConvention
from .layout import Column, Section, money

N_("EJ"), N_("Chorus committed"), N_("Ledger committed"), N_("Chorus paid"), N_("Ledger paid")
N_("Committed gap"), N_("Paid gap"), N_("Postes"), N_("Supplier"), N_("Rows"), N_("Commitment"), N_("Figure")
N_("Count"), N_("Chorus"), N_("Ledger"), N_("Gap"), N_("Committed"), N_("Paid")


def build_reconciliation(loaded: LoadedConvention, extract_path: Path, *, ledger: str | None, month: str | None,
                         lang: str | None = None) -> Reconciliation:
    """The extract at ``extract_path`` against the ledger's commitments as they stand at the
    end of ``month`` (else as recorded); refused (exit 2, one line per bad row, in the messages'
    language) when the extract cannot be read, (exit 1) when the ledger has an error."""
    from ..store.actions import open_book
    from ..store.spreadsheets import read_rows

    conv = loaded.convention
    assert conv is not None, "require_convention returns a valid convention"
    chorus = conv.imputation.chorus
    extract = read_extract(read_rows(extract_path), str(extract_path), names=chorus.columns.renamed(),
                           centre_financier=chorus.centre_financier, activite=chorus.activite)
    if extract.problems:
        raise DelegationError(extract.problems, ExitCode.USAGE)
    as_of = month_end(month) if month else None
    book = open_book(loaded, ledger, window=Window(as_of, as_of) if as_of else None)
    book.require_valid()
    state = book.seen.state if book.seen is not None else book.state
    commitments = [LedgerEj(c.id, c.ref, c.ej, c.team, c.net, c.paid)
                   for c in sorted(state.commitments.values(), key=lambda c: (c.date, c.line)) if not c.cancelled]
    return reconcile(extract, commitments, as_of or dt.date.today(), lang or conv.reporting.language or REPORT_DEFAULT)


def title(r: Reconciliation) -> str:
    return _("Reconciliation with Chorus: {source}").format(source=r.extract.source)


def lead(r: Reconciliation) -> list[str]:
    """What was read and the verdict."""
    e = r.extract
    read = _("Postes read: {rows} (header on row {header}); subtotal rows left aside: {subtotals}; rows of another "
             "centre financier left aside: {other}; ledger as of {date}.").format(
        rows=e.rows, header=e.header_row, subtotals=e.subtotals, other=e.other_centre, date=format_date(r.as_of))
    verdict = (_("The ledger agrees with Chorus.") if r.agree
               else _("The ledger and Chorus differ: see below."))
    return [read, verdict]


def _ledger_row(e: LedgerEj) -> tuple[object, ...]:
    return (e.ej or "", e.id, e.ref or "", e.team, e.committed, e.paid)


def sections(r: Reconciliation) -> list[Section]:
    """The summary, then what differs, what each side alone knows, and what agrees."""
    chorus_committed, ledger_committed, chorus_paid, ledger_paid = r.totals()
    summary = Section("summary", _("Summary"), (Column("Figure", "text"), Column("Count", "int")), (
        (_("EJ matched"), len(r.agreeing) + len(r.differing)),
        (_("EJ with different amounts"), len(r.differing)),
        (_("EJ in Chorus unknown to the ledger"), len(r.chorus_only)),
        (_("Commitments whose EJ Chorus does not know"), len(r.ledger_only)),
        (_("Commitments without an EJ number"), len(r.without_ej)),
    ))
    totals = Section("totals", _("Amounts"), (Column("Figure", "text"), money("Chorus"), money("Ledger"),
                                              money("Gap")), (
        (_("Committed"), chorus_committed, ledger_committed, chorus_committed - ledger_committed),
        (_("Paid"), chorus_paid, ledger_paid, chorus_paid - ledger_paid),
    ))
    pair_columns = (Column("EJ"), Column("Commitment", machine=True), money("Chorus committed"),
                    money("Ledger committed"), money("Committed gap"), money("Chorus paid"), money("Ledger paid"),
                    money("Paid gap"))
    ledger_columns = (Column("EJ"), Column("Commitment", machine=True), Column("Reference"), Column("Team", "team"),
                      money("Ledger committed"), money("Ledger paid"))
    return [
        summary,
        totals,
        Section("differing", _("EJ with amounts that differ"), pair_columns, tuple(
            (p.chorus.ej, p.ledger.id, p.chorus.committed, p.ledger.committed, p.committed_gap, p.chorus.paid,
             p.ledger.paid, p.paid_gap) for p in r.differing), empty=_("none")),
        Section("chorus_only", _("EJ in Chorus unknown to the ledger"), (
            Column("EJ"), Column("Supplier", "text"), Column("Postes", "int"), money("Chorus committed"),
            money("Chorus paid"), Column("Rows", "text")), tuple(
            (c.ej, c.supplier, c.postes, c.committed, c.paid, ", ".join(map(str, c.rows))) for c in r.chorus_only),
            empty=_("none")),
        Section("ledger_only", _("Commitments whose EJ Chorus does not know"), ledger_columns,
                tuple(_ledger_row(e) for e in r.ledger_only), empty=_("none")),
        Section("without_ej", _("Commitments without an EJ number"), ledger_columns,
                tuple(_ledger_row(e) for e in r.without_ej), empty=_("none")),
        Section("agreeing", _("EJ that agree"), pair_columns, tuple(
            (p.chorus.ej, p.ledger.id, p.chorus.committed, p.ledger.committed, p.committed_gap, p.chorus.paid,
             p.ledger.paid, p.paid_gap) for p in r.agreeing), empty=_("none"), audience="machine"),
        # People read how many agree (the summary); CSV, JSON and the workbooks list them.
    ]


def reconciliation_json(r: Reconciliation) -> str:
    """The reconciliation for scripts: plain amounts, stable keys (``delegation-reconcile/1``)."""
    from .cells import json_text

    def pair(p: Any) -> dict[str, object]:
        return {"ej": p.chorus.ej, "commitment": p.ledger.id, "ref": p.ledger.ref, "team": p.ledger.team,
                "chorus": {"committed": format_signed(p.chorus.committed), "paid": format_signed(p.chorus.paid),
                           "postes": p.chorus.postes, "rows": list(p.chorus.rows)},
                "ledger": {"committed": format_signed(p.ledger.committed), "paid": format_signed(p.ledger.paid)},
                "committed_gap": format_signed(p.committed_gap), "paid_gap": format_signed(p.paid_gap)}

    def ledger(e: LedgerEj) -> dict[str, object]:
        return {"ej": e.ej, "commitment": e.id, "ref": e.ref, "team": e.team,
                "committed": format_signed(e.committed), "paid": format_signed(e.paid)}

    chorus_committed, ledger_committed, chorus_paid, ledger_paid = r.totals()
    data = {
        "schema": "delegation-reconcile/1", "source": r.extract.source, "as_of": r.as_of.isoformat(),
        "agree": r.agree, "header_row": r.extract.header_row, "rows": r.extract.rows,
        "subtotal_rows": r.extract.subtotals, "other_centre_rows": r.extract.other_centre,
        "summary": {
            "matched": len(r.agreeing) + len(r.differing), "differing": len(r.differing),
            "chorus_only": len(r.chorus_only), "ledger_only": len(r.ledger_only),
            "without_ej": len(r.without_ej),
            "committed": {"chorus": format_signed(chorus_committed), "ledger": format_signed(ledger_committed),
                          "gap": format_signed(chorus_committed - ledger_committed)},
            "paid": {"chorus": format_signed(chorus_paid), "ledger": format_signed(ledger_paid),
                     "gap": format_signed(chorus_paid - ledger_paid)},
        },
        "differing": [pair(p) for p in r.differing],
        "chorus_only": [{"ej": c.ej, "supplier": c.supplier, "postes": c.postes, "rows": list(c.rows),
                         "committed": format_signed(c.committed), "paid": format_signed(c.paid)}
                        for c in r.chorus_only],
        "ledger_only": [ledger(e) for e in r.ledger_only],
        "without_ej": [ledger(e) for e in r.without_ej],
        "agreeing": [pair(p) for p in r.agreeing],
    }
    return json_text(data)
