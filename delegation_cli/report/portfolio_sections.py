"""The portfolio as titled tables, whatever the format: its title, its lead line and its sections.

This module owns what the portfolio shows people (terminal, Markdown, HTML): one line per
convention, the totals per délégant and per programme, the alerts to pass on to the délégants,
and the conventions that fail ``check`` — as :class:`layout.Section` values whose cells are
plain values (cents, :class:`cells.Ratio`), written by each format.  CSV and JSON have their own
shapes (:mod:`csv`, :mod:`json`).
"""

from __future__ import annotations

from ..core.i18n import N_, _, format_date, format_month, ngettext
from .cells import Ratio
from .layout import Column, Section
from .portfolio import STATUSES, ConventionLine, Portfolio, amounts

N_("File"), N_("Title"), N_("Programme"), N_("UO"), N_("Status"), N_("Envelope"), N_("AE rate"), N_("CP rate")
N_("Check"), N_("Conventions"), N_("Convention"), N_("Délégant"), N_("Period"), N_("Month"), N_("Id")
N_("Committed"), N_("Paid"), N_("Reste à payer"), N_("Available (AE)"), N_("Available (CP)"), N_("Alerts")
N_("Closed through"), N_("Severity"), N_("Code"), N_("Message"), N_("Total"), N_("Problem")
N_("AE available, year"), N_("CP available, year")

_M = "money"
AMOUNT_COLUMNS = ("Envelope", "Committed", "Paid", "Reste à payer", "Available (AE)", "Available (CP)")
"""The titles of :data:`portfolio.AMOUNTS`, in their order."""


def _check_text(line: ConventionLine) -> str:
    check = line.check
    if check.valid:
        return _("valid")
    return ngettext("{count} error", "{count} errors", check.errors).format(count=check.errors)


def _figures_cells(line: ConventionLine) -> tuple[object, ...]:
    """From the period to the alerts: a valid convention's figures, else empty cells."""
    f = line.figures
    if f is None:
        return ("",) * 14
    counts = f.alert_counts()
    year = f.year
    return (_("{start} – {end}").format(start=format_date(f.period.start), end=format_date(f.period.end)),
            _(STATUSES[f.status]), f.month, *amounts(f.totals),
            "" if year is None else year.ae_available, "" if year is None else year.cp_available,
            Ratio(f.totals.committed, f.totals.envelope), Ratio(f.totals.paid, f.totals.envelope),
            _("{errors} error(s), {warnings} warning(s), {infos} for information").format(
                errors=counts["error"], warnings=counts["warning"], infos=counts["info"]))


def convention_section(p: Portfolio) -> Section:
    columns = (Column("Id"), Column("Title", "text"), Column("Délégant", "text"), Column("Programme"),
               Column("UO"), Column("Period"), Column("Status"), Column("Month", "month"),
               *(Column(name, _M) for name in AMOUNT_COLUMNS),
               Column("AE available, year", _M), Column("CP available, year", _M),
               Column("AE rate", "percent"), Column("CP rate", "percent"), Column("Alerts", "text"),
               Column("Check"), Column("Closed through", "month"), Column("File"))
    rows = tuple((line.id or "", line.title or "", line.delegant or "", line.programme or "", line.uo or "",
                  *_figures_cells(line), _check_text(line),
                  (line.figures.closed_through if line.figures else None) or "", line.file) for line in p.rows)
    return Section("conventions", _("Conventions"), columns, rows)


def _totals_section(p: Portfolio, key: str, title: str, label: str) -> Section:
    columns = (Column(label, "text"), Column("Conventions", "int"), *(Column(name, _M) for name in AMOUNT_COLUMNS))
    rows: list[tuple[object, ...]] = [(g.name, g.conventions, *amounts(g.totals)) for g in p.totals(key)]
    total = p.total()
    rows.append((_("Total"), total.conventions, *amounts(total.totals)))
    return Section(f"totals-{key}", title, columns, tuple(rows))


def inform_section(p: Portfolio) -> Section:
    columns = (Column("Convention"), Column("Délégant", "text"), Column("Severity", "severity"), Column("Code"),
               Column("Message", "text"))
    rows = tuple((line.id, line.delegant, a.severity.value, a.code, a.message) for line, a in p.inform())
    return Section("inform", _("Alerts requiring informing the délégant (art. 5)"), columns, rows,
                   empty=_("No alert requires informing a délégant."))


def problems_section(p: Portfolio) -> Section:
    columns = (Column("File"), Column("Check"), Column("Problem", "text"))
    rows = tuple((line.file, _check_text(line), line.check.first_problem or "") for line in p.invalid)
    return Section("invalid", _("Conventions that fail check"), columns, rows)


def title(p: Portfolio) -> str:
    if p.month is None:
        return _("Portfolio of conventions — {day}").format(day=format_date(p.as_of))
    return _("Portfolio of conventions — {month}").format(month=format_month(p.month))


def sections(p: Portfolio) -> list[Section]:
    out = [convention_section(p),
           _totals_section(p, "delegant", _("Totals per délégant"), "Délégant"),
           _totals_section(p, "programme", _("Totals per programme"), "Programme"),
           inform_section(p)]
    if p.invalid:
        out.append(problems_section(p))
    return out


def lead(p: Portfolio) -> str:
    """The line under the title: how many conventions, how many fail ``check``, which month."""
    count = ngettext("{count} convention", "{count} conventions", len(p.rows)).format(count=len(p.rows))
    if p.invalid:
        count += " — " + ngettext("{count} fails check", "{count} fail check", len(p.invalid)).format(
            count=len(p.invalid))
    month = (_("each convention's report of this month, within its period") if p.month is None
             else _("each convention's report of {month}").format(month=format_month(p.month)))
    return _("{conventions}; figures of {month}; status as of {day}").format(
        conventions=count, month=month, day=format_date(p.as_of))
