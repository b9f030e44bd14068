"""The open-data publication of a convention (art. 8): what ``delegation publish`` states.

This module owns the package's content: its five tables — the convention, its credits per
budget year, its teams, the movements per team and month, the synthèse — as a schema
(:data:`RESOURCES`: each field's name, Table Schema type, title and description, written in
English and translated into the package's language) and as rows of plain values
(:class:`Publication`, built by :func:`build_publication`).  :mod:`datapackage` writes them as
a Frictionless data package (``datapackage.json`` and one CSV per table, docs/open-data.md).

No figure is computed a second time: the convention's, the credits', the teams' and the
synthèse's are those of the convention's own report for the month (:func:`build.build_report`,
what ``delegation report`` prints); the movements per team and month are the ledger's entries,
read by the one read path (:func:`actions.open_book`), summed.  Nothing personal is published:
no author, no label, no note, no representative or signatory of the parties — only
institutions, teams and amounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.i18n import N_
from ..core.money import Cents
from .alerts import informing
from .figures import MonthlyReport, YearLine

if TYPE_CHECKING:
    from ..core.entries import Entry
    from ..store.book import Book
    from ..store.convention import LoadedConvention

Cell = str | int | dt.date | bool | None
"""A value of a row: text (a rate: ``"81.0"``), an integer (an amount in cents when its field
is ``money``), a date, a flag, or None (an empty cell)."""


@dataclass(frozen=True)
class Field:
    """A column of a table, as its Table Schema describes it.

    Attributes:
        name: the column's header, in English, the same in every language.
        kind: ``string``, ``money`` (exact euros, ``125000.00``, written as a Table Schema
            ``number``), ``number`` (a rate, ``81.0``), ``integer``, ``date``, ``yearmonth``,
            ``year``, ``boolean``.
        title: its title (``N_``, translated when the package is written).
        description: what it holds (``N_``).
        required: whether a row always has a value.
    """

    name: str
    kind: str
    title: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class Resource:
    """A table of the package: its name (and file ``<name>.csv``), title, description,
    fields, primary key and the foreign keys to other tables (``(fields, table, fields)``)."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()


CONVENTION_KEY = Field("convention", "string", N_("Convention"),
                       N_("Identifier of the convention (the id of its file)."))
TEAM_KEY = Field("team", "string", N_("Team"), N_("Identifier of the team in the convention."))
TO_CONVENTION = ((("convention",), "convention", ("id",)),)

CONVENTION = Resource("convention", N_("The convention"), N_(
    "The convention de délégation de gestion: its parties, its imputation in the State's budget (Chorus), its "
    "period, its envelope and its cap per team as in force on the day of the figures."), (
    Field("id", "string", N_("Identifier"), N_("Identifier of the convention.")),
    Field("title", "string", N_("Title"), N_("Title of the convention.")),
    Field("delegant", "string", N_("Délégant"), N_("The administration that delegates the management of its "
                                                   "credits.")),
    Field("delegataire", "string", N_("Délégataire"), N_("The administration that manages them.")),
    Field("programme", "string", N_("Programme"), N_("Budget programme (LOLF), as a code.")),
    Field("programme_label", "string", N_("Programme label"), N_("Label of the programme."), required=False),
    Field("bop", "string", N_("BOP"), N_("Budget opérationnel de programme.")),
    Field("uo", "string", N_("UO"), N_("Unité opérationnelle.")),
    Field("centre_financier", "string", N_("Centre financier"), N_("Chorus centre financier "
                                                                   "(programme-BOP-UO).")),
    Field("domaine_fonctionnel", "string", N_("Domaine fonctionnel"), N_("Chorus domaine fonctionnel.")),
    Field("activite", "string", N_("Activité"), N_("Chorus activité (12 digits).")),
    Field("centre_de_cout", "string", N_("Centre de coût"), N_("Chorus centre de coût.")),
    Field("signed", "date", N_("Signature"), N_("Date of signature.")),
    Field("start", "date", N_("Start of the period"), N_("First day of the convention's period.")),
    Field("end", "date", N_("End of the period"), N_("Last day of the convention's period.")),
    Field("effective", "date", N_("Taking effect"), N_("First day an entry may be dated.")),
    Field("payments_until", "date", N_("Payments until"), N_("Last day a payment may be dated.")),
    Field("envelope", "money", N_("Envelope"), N_("Total amount allocated, in euros, as in force on the day of "
                                                  "the figures.")),
    Field("team_cap", "money", N_("Cap per team"), N_("Maximum per team, in euros, as in force on the day of the "
                                                      "figures; empty when the convention sets none."),
          required=False),
    Field("teams", "integer", N_("Teams"), N_("Number of teams funded on the day of the figures.")),
    Field("avenants", "integer", N_("Avenants"), N_("Number of avenants in force on the day of the figures.")),
), ("id",))

CREDITS = Resource("credits", N_("Credits per budget year"), N_(
    "Per budget year, the autorisations d'engagement (AE) and crédits de paiement (CP) opened by the convention "
    "and its avenants, what was carried over to the next year, consumed and is still available on the day of "
    "the figures. Amounts in euros."), (
    CONVENTION_KEY,
    Field("year", "year", N_("Budget year"), N_("The budget year (calendar year).")),
    Field("ae_open", "money", N_("AE opened"), N_("AE opened for the year (carry-overs into it included).")),
    Field("ae_carried_over", "money", N_("AE carried over"), N_("AE of the year carried over to the next one "
                                                                "by an avenant.")),
    Field("ae_committed", "money", N_("AE committed"), N_("AE consumed by the year's commitments, net of the "
                                                          "releases that restore them.")),
    Field("ae_available", "money", N_("AE available"), N_("AE opened, less carried over, less committed.")),
    Field("cp_open", "money", N_("CP opened"), N_("CP opened for the year (carry-overs into it included).")),
    Field("cp_carried_over", "money", N_("CP carried over"), N_("CP of the year carried over to the next one "
                                                                "by an avenant.")),
    Field("cp_paid", "money", N_("CP paid"), N_("CP consumed by the year's payments.")),
    Field("cp_available", "money", N_("CP available"), N_("CP opened, less carried over, less paid.")),
), ("convention", "year"), TO_CONVENTION)

TEAMS = Resource("teams", N_("Teams"), N_(
    "Per team funded, on the day of the figures: its cap, what was committed (AE, net of releases) and paid (CP) "
    "since the start of the convention, the reste à payer and what is left under its cap. Amounts in euros."), (
    CONVENTION_KEY, TEAM_KEY,
    Field("name", "string", N_("Name"), N_("Name of the team, as the convention gives it.")),
    Field("cap", "money", N_("Cap"), N_("The team's cap in force; empty when it has none."), required=False),
    Field("ae_committed", "money", N_("AE committed"), N_("Commitments, net of releases and cancellations.")),
    Field("cp_paid", "money", N_("CP paid"), N_("Payments, net of cancellations.")),
    Field("remaining_to_pay", "money", N_("Reste à payer"), N_("Committed, less released, less paid.")),
    Field("available", "money", N_("Available under the cap"), N_("Cap less AE committed; empty without a cap."),
          required=False),
), ("convention", "team"), TO_CONVENTION)

MOVEMENTS = Resource("movements", N_("Movements per team and month"), N_(
    "Per team and month, up to the day of the figures: the commitments (AE), the releases (dégagements) and the "
    "payments (CP) recorded in the month, each net of the cancellations dated in that month. Summed over the "
    "months, commitments less releases give a team's AE committed, payments its CP paid. Amounts in euros."), (
    CONVENTION_KEY, TEAM_KEY,
    Field("month", "yearmonth", N_("Month"), N_("The month of the entries' dates.")),
    Field("ae_committed", "money", N_("Commitments"), N_("Commitments of the month, less the commitments "
                                                         "cancelled in the month.")),
    Field("ae_released", "money", N_("Releases"), N_("Releases of the month, less the releases cancelled in the "
                                                     "month.")),
    Field("cp_paid", "money", N_("Payments"), N_("Payments of the month, less the payments cancelled in the "
                                                 "month.")),
), ("convention", "team", "month"), (*TO_CONVENTION, (("convention", "team"), "teams", ("convention", "team"))))

SUMMARY = Resource("summary", N_("Synthèse of the monthly report"), N_(
    "The figures of the convention's monthly report (compte rendu, art. 5) for the month published: envelope, AE "
    "committed, CP paid, reste à payer, what is available, the rates, and its alerts. Amounts in euros."), (
    CONVENTION_KEY,
    Field("month", "yearmonth", N_("Month"), N_("The month reported.")),
    Field("as_of", "date", N_("Figures as of"), N_("The day the figures are as of: the month's last day.")),
    Field("envelope", "money", N_("Envelope"), N_("Total amount allocated.")),
    Field("ae_committed", "money", N_("AE committed"), N_("Commitments, net of releases and cancellations.")),
    Field("cp_paid", "money", N_("CP paid"), N_("Payments, net of cancellations.")),
    Field("remaining_to_pay", "money", N_("Reste à payer"), N_("Committed, less released, less paid.")),
    Field("ae_available", "money", N_("AE available"), N_("Envelope less AE committed.")),
    Field("cp_available", "money", N_("CP available"), N_("Envelope less CP paid.")),
    Field("ae_rate", "number", N_("AE rate"), N_("AE committed / envelope, in percent, one decimal."),
          required=False),
    Field("cp_rate", "number", N_("CP rate"), N_("CP paid / envelope, in percent, one decimal."), required=False),
    Field("closed_through", "yearmonth", N_("Closed through"), N_("The last month closed by a seal; empty when "
                                                                  "none is."), required=False),
    Field("alerts_error", "integer", N_("Alerts (errors)"), N_("Alerts of severity error.")),
    Field("alerts_warning", "integer", N_("Alerts (warnings)"), N_("Alerts of severity warning.")),
    Field("alerts_info", "integer", N_("Alerts (information)"), N_("Alerts of severity information.")),
    Field("inform_delegant", "boolean", N_("Inform the délégant"), N_(
        "Whether an alert requires informing the délégant (art. 5: credits insufficient or likely to stay "
        "unused).")),
), ("convention",), TO_CONVENTION)

RESOURCES: tuple[Resource, ...] = (CONVENTION, CREDITS, TEAMS, MOVEMENTS, SUMMARY)
"""The package's tables, in the order ``datapackage.json`` lists them."""


@dataclass(frozen=True)
class Publication:
    """A convention's open-data package: its report of the month and each table's rows
    (keyed by :attr:`Resource.name`, each row in the order of the table's fields)."""

    report: MonthlyReport
    rows: dict[str, list[tuple[Cell, ...]]]

    @property
    def language(self) -> str:
        return self.report.language


def build_publication(loaded: LoadedConvention, *, ledger: str | None, month: str | None, today: dt.date,
                      lang: str | None = None) -> Publication:
    """The open-data package of a convention for ``month`` (default: the current month within
    its period, as ``delegation report``): refused (exit 1) when the ledger has errors, as the
    report is — wrong figures are never published."""
    from .build import build_report, report_book

    book = report_book(loaded, ledger=ledger, month=month, final=False, today=today, keep_all=True)  # read once
    report = build_report(loaded, ledger=ledger, month=month, team=None, final=False, today=today, lang=lang,
                          book=book)
    return Publication(report, {
        CONVENTION.name: [_convention_row(report)],
        CREDITS.name: [_credits_row(report.conv.id, y) for y in report.years],
        TEAMS.name: [(report.conv.id, t.team, t.name, t.cap, t.ae_committed, t.cp_paid, t.remaining, t.available)
                     for t in report.teams],
        MOVEMENTS.name: movement_rows(report.conv.id, book),
        SUMMARY.name: [_summary_row(report)],
    })


def _convention_row(r: MonthlyReport) -> tuple[Cell, ...]:
    conv, chorus = r.conv, r.conv.imputation.chorus
    return (conv.id, conv.title, conv.parties.delegant.name, conv.parties.delegataire.name,
            conv.imputation.programme, conv.imputation.programme_label, conv.imputation.bop, conv.imputation.uo,
            chorus.centre_financier, chorus.domaine_fonctionnel, chorus.activite, chorus.centre_de_cout,
            conv.signed, conv.period.start, conv.period.end, conv.effective_date, conv.payments_until,
            r.limits.total, r.limits.team_cap, len(r.conv.cast_at(r.as_of)), len(r.limits.avenants))


def _credits_row(convention: str, y: YearLine) -> tuple[Cell, ...]:
    return (convention, y.year, y.ae_open, y.ae_carried_out, y.ae_committed, y.ae_available,
            y.cp_open, y.cp_carried_out, y.cp_paid, y.cp_available)


def _summary_row(r: MonthlyReport) -> tuple[Cell, ...]:
    from .cells import rate

    t = r.totals
    counts = {severity: sum(1 for a in r.alerts if a.severity.value == severity)
              for severity in ("error", "warning", "info")}
    return (r.conv.id, r.month, r.as_of, t.envelope, t.committed, t.paid, t.remaining, t.ae_available,
            t.cp_available, rate(t.committed, t.envelope), rate(t.paid, t.envelope),
            None if r.last_seal is None else r.last_seal.month, counts["error"], counts["warning"], counts["info"],
            bool(informing(r.alerts)))


MOVED = {"commitment": 0, "release": 1, "payment": 2}
"""The kinds of entries the movements sum, and their column (after the convention, team and month)."""


def movement_rows(convention: str, book: Book) -> list[tuple[Cell, ...]]:
    """Per team and month, the commitments, releases and payments dated in the month, each
    less the entries of its kind cancelled in the month (a cancellation reverses its entry
    on its own date, as the report counts it), in the order of the teams, then of the months."""
    seen = book.seen
    assert seen is not None, "the book was read with a window"
    state = seen.state
    sums: defaultdict[tuple[str, str], list[Cents]] = defaultdict(lambda: [0, 0, 0])
    for e in seen.recent:
        month = e.date.strftime("%Y-%m")
        if e.kind in MOVED:
            sums[(e.team, month)][MOVED[e.kind]] += e.amount
        elif e.kind == "cancel":
            target: Entry | None = state.kept.get(e.target or "")
            if target is not None and target.kind in MOVED and state.cancelled.get(target.id) is e:
                sums[(target.team, month)][MOVED[target.kind]] -= target.amount
    order = {t.id: index for index, t in enumerate(book.conv.cast)}
    return [(convention, team, month, *amounts)
            for (team, month), amounts in sorted(sums.items(), key=lambda item: (order.get(item[0][0], 0), item[0]))]

