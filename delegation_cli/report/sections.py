"""The report as titled tables, whatever the format: the one model every rendering reads.

This module owns what the report shows and in which order: :func:`report_sections`, the
report as :class:`layout.Section` values (format-free tables), one small function per
section — here the sections in words (the header, the synthèse, the alerts, the convention,
the fingerprint), in :mod:`tables` the tables of figures.  Every format but JSON is rendered
from these sections — the terminal (:mod:`terminal`), Markdown (:mod:`markdown`), CSV
(:mod:`csv`), the HTML and PDF document (:mod:`document`) — so that they can never disagree;
JSON has its own, documented shape (docs/report-json.md, :mod:`json`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from ..core.entries import month_end
from ..core.errors import Severity
from ..core.i18n import N_, _, format_date, format_month, ngettext
from ..core.money import format_fr, format_percent
from . import tables
from .layout import Column, Section

if TYPE_CHECKING:
    from ..core.model import TeamChange
    from .figures import MonthlyReport


N_("Field"), N_("Value"), N_("Team"), N_("Cap"), N_("In month"), N_("Committed"), N_("Available")
N_("% of cap"), N_("Bar"), N_("Above share"), N_("Paid in month"), N_("Paid"), N_("Reste à payer"), N_("Year")
N_("Opened"), N_("Carried over"), N_("Rate"), N_("Released, earlier years"), N_("Figure"), N_("Amount")
N_("Code"), N_("Label"), N_("Marché"), N_("Prestation"), N_("Date"), N_("Kind"), N_("Id"), N_("Reference")
N_("Note"), N_("Month"), N_("Type"), N_("Forecast"), N_("Landing"), N_("Unused"), N_("Over cap")
N_("Commitment"), N_("Released"), N_("AE unused"), N_("CP unused"), N_("Severity"), N_("Message"), N_("Total")
N_("Corrects"), N_("Reason"), N_("Forecast overrun")

FIELDS = (Column("Field"), Column("Value", "text"))
"""The columns of a list of labelled values (the header, the convention, the fingerprint)."""


def report_sections(r: MonthlyReport) -> list[Section]:
    """The report as titled tables, in reading order: the header, the synthèse, the alerts
    by severity, then the detail."""
    out = [header(r), synthese(r), alerts(r), tables.teams(r), tables.team_payments(r), tables.team_shares(r),
           tables.years_ae(r), tables.years_cp(r), tables.totals(r), tables.cp_on_ae(r),
           tables.forecast_orders(r), tables.forecast_payments(r), tables.forecasts(r), tables.landing_ae(r),
           tables.landing_cp(r), tables.landing_teams(r), tables.landing_team_payments(r)]
    if r.final:
        out.append(tables.unused(r))
    out += [tables.notes(r), tables.movements(r), tables.corrections(r), tables.open_commitments(r), tables.marches(r),
            tables.prestations(r), identification(r), fingerprint(r)]
    return out


def human_sections(r: MonthlyReport, *, full: bool = True) -> list[Section]:
    """The sections people read (terminal, Markdown, HTML, PDF): the whole report, or for
    the terminal without ``--full`` the synthèse, alerts, teams, years, forecasts and notes."""
    return [s for s in report_sections(r) if s.audience != "machine" and (full or s.brief)]


def invalid_lines(r: MonthlyReport) -> list[str]:
    """The block every rendering of a report on an invalid ledger opens with."""
    if not r.invalid:
        return []
    from .figures import SEAL_CODES
    count = len(r.invalid)
    if any(p.code.startswith(SEAL_CODES) for p in r.invalid):
        head = ngettext("LEDGER INVALID: the ledger breaks {count} rule; the figures below may be wrong and no "
                        "month is claimed closed (`delegation check` lists the problems)",
                        "LEDGER INVALID: the ledger breaks {count} rules; the figures below may be wrong and no "
                        "month is claimed closed (`delegation check` lists the problems)", count)
    else:
        head = ngettext("LEDGER INVALID: the ledger breaks {count} rule; the figures below may be wrong "
                        "(`delegation check` lists the problems)",
                        "LEDGER INVALID: the ledger breaks {count} rules; the figures below may be wrong "
                        "(`delegation check` lists the problems)", count)
    return [head.format(count=count), *(p.render() for p in r.invalid)]


# --------------------------------------------------------------------------------------
# The sections in words: header, synthèse, alerts, the convention, the fingerprint
# --------------------------------------------------------------------------------------


def title(r: MonthlyReport) -> str:
    if r.final:
        return _("Final report — {title}").format(title=r.conv.title)
    return _("Monthly report of {month} — {title}").format(month=format_month(r.month), title=r.conv.title)


def header(r: MonthlyReport) -> Section:
    """The report's title, the parties, its date and the last month closed."""
    conv = r.conv
    closed = (_("{month} (seal {seal})").format(month=format_month(r.last_seal.month or ""), seal=r.last_seal.id)
              if r.last_seal else _("no month closed"))
    return Section("header", title(r), FIELDS, (
        (_("Identifier"), conv.id),
        (_("Délégant"), conv.parties.delegant.name),
        (_("Délégataire"), conv.parties.delegataire.name),
        (_("As of"), format_date(r.as_of)),
        (_("Closed through"), closed),
    ), brief=True)


def identification(r: MonthlyReport) -> Section:
    """The convention's imputation, period and avenants; what the report counts."""
    conv = r.conv
    imp = conv.imputation
    ch = imp.chorus
    avenants = ", ".join(f"n° {n}" for n in r.limits.avenants) or _("none")
    return Section("identification", _("The convention"), FIELDS, (
        (_("Imputation"), _("programme {programme}, BOP {bop}, UO {uo}").format(
            programme=imp.programme, bop=imp.bop, uo=imp.uo)),
        (_("Chorus"), _("centre financier {cf}, domaine fonctionnel {df}, activité {act}, centre de coût {cc}, "
                        "axe ministériel {axe}").format(cf=ch.centre_financier, df=ch.domaine_fonctionnel,
                                                        act=ch.activite, cc=ch.centre_de_cout,
                                                        axe=ch.axe_ministeriel or _("sans objet"))),
        (_("Period"), _("{start} – {end} (in force from {effective})").format(
            start=format_date(conv.period.start), end=format_date(conv.period.end),
            effective=format_date(conv.effective_date))),
        (_("Avenants in force"), avenants),
        (_("Month"), format_month(r.month)),
        (_("Team"), r.team_filter or _("all")),
        (_("Entries counted"), str(r.entries_counted)),
    ))


def _month_line(r: MonthlyReport) -> str:
    count: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for e in r.movements:
        count[e.kind] += 1
        total[e.kind] += e.amount
    if not count:
        return _("no commitment, payment or release")
    parts = []
    if count["commitment"]:
        parts.append(ngettext("{count} commitment ({amount})", "{count} commitments ({amount})",
                              count["commitment"]).format(count=count["commitment"],
                                                          amount=format_fr(total["commitment"])))
    if count["payment"]:
        parts.append(ngettext("{count} payment ({amount})", "{count} payments ({amount})",
                              count["payment"]).format(count=count["payment"], amount=format_fr(total["payment"])))
    if count["release"]:
        parts.append(ngettext("{count} release ({amount})", "{count} releases ({amount})",
                              count["release"]).format(count=count["release"], amount=format_fr(total["release"])))
    return ", ".join(parts)


def inform_paragraphs(r: MonthlyReport) -> tuple[str, ...]:
    """What to send the délégant, with the figures, when an alert requires it (art. 5)."""
    from .alerts import INFORM_SHORT, INFORM_TERM, INFORM_UNUSED_CODES

    short = [a for a in r.alerts if a.code in INFORM_SHORT]
    unused = [a for a in r.alerts if a.code in INFORM_UNUSED_CODES]
    term = [a for a in r.alerts if a.code in INFORM_TERM]
    out: list[str] = []
    if short:
        out.append(_("Insufficient credits. As article 5 of the convention provides, the délégataire informs "
                     "the délégant without delay:"))
        out += [f"– {a.facts or a.message}" for a in short]
    if unused:
        out.append(_("Credits likely to remain unused. As article 5 of the convention provides, the délégataire "
                     "undertakes to inform the délégant:"))
        out += [f"– {a.facts or a.message}" for a in unused]
    if term:
        out.append(_("Reste à payer at the term. As article 5 of the convention provides, the délégataire accounts "
                     "to the délégant for the execution of the convention at its term:"))
        out += [f"– {a.facts or a.message}" for a in term]
    if not out:
        out.append(_("No alert requires informing the délégant this month."))
    return tuple(out)


def _alerts_count(r: MonthlyReport) -> str:
    counts = Counter(a.severity for a in r.alerts)
    errors, warnings, infos = counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO]
    return _("{errors}, {warnings}, {infos}").format(
        errors=ngettext("{count} error", "{count} errors", errors).format(count=errors),
        warnings=ngettext("{count} warning", "{count} warnings", warnings).format(count=warnings),
        infos=ngettext("{count} for information", "{count} for information", infos).format(count=infos))


def synthese(r: MonthlyReport) -> Section:
    """The one-screen summary every format opens with."""
    t = r.totals
    rows: list[tuple[object, ...]] = [
        *(((_("Team"), _("{team} only: the month and the teams' tables; the envelope, the years and the "
                         "alerts on credits are the convention's").format(team=r.team_filter)),)
          if r.team_filter else ()),
        (_("This month"), _month_line(r)),
        *avenant_lines(r),
        (_("Envelope"), format_fr(t.envelope)),
        (_("Committed (AE, net of releases)"), format_fr(t.committed)),
        (_("Paid (CP)"), format_fr(t.paid)),
        (_("Reste à payer"), format_fr(t.remaining)),
        (_("Envelope not committed (AE)"), format_fr(t.ae_available)),
    ]
    lost = sum(y.released_earlier for y in r.years)
    if lost:  # released on an earlier year's commitment: credits are annual, those AE cannot be used again
        rows.append((_("of which AE released on earlier years' commitments, not reusable"), format_fr(lost)))
    rows += [
        (_("AE still available (the years' table)"), format_fr(sum(y.ae_available for y in r.years))),
        (_("Envelope not paid (CP)"), format_fr(t.cp_available)),
    ]
    for y in r.years:
        rows.append((_("AE {year}").format(year=y.year), _("{rate} committed ({used} of {usable})").format(
            rate=format_percent(y.ae_committed, y.ae_usable), used=format_fr(y.ae_committed),
            usable=format_fr(y.ae_usable)) if y.ae_usable else _("none opened")))
        rows.append((_("CP {year}").format(year=y.year), _("{rate} paid ({used} of {usable})").format(
            rate=format_percent(y.cp_paid, y.cp_usable), used=format_fr(y.cp_paid), usable=format_fr(y.cp_usable))
            if y.cp_usable else _("none opened")))
    rows.append((_("Alerts"), _alerts_count(r)))
    return Section("synthese", _("Summary"), (Column("Figure"), Column("Value", "text")), tuple(rows),
                   paragraphs=inform_paragraphs(r), brief=True)


def alerts(r: MonthlyReport) -> Section:
    """Every alert, errors first."""
    from .alerts import in_severity_order

    return Section("alerts", _("Alerts"), (Column("Severity", "severity"), Column("Code", machine=True),
                                            Column("Message", "text")),
                   tuple((a.severity.value, a.code, a.message) for a in in_severity_order(r.alerts)),
                   empty=_("no alert"), brief=True)


def fingerprint(r: MonthlyReport) -> Section:
    """The document's « empreinte du registre », last: the hash of the last seal on or before
    the report's date, and the command that later proves the months it closes unchanged."""
    seal = r.last_seal
    rows: tuple[tuple[object, ...], ...] = ()
    paragraphs: tuple[str, ...] = ()
    if seal is not None and seal.sha256:
        rows = ((_("Fingerprint (sha256)"), seal.sha256),
                (_("Verify"), f"delegation check --anchor {seal.sha256}"))
        paragraphs = (_("The seal {seal} closes the ledger up to {month}. Keep this fingerprint with the report: "
                        "`delegation check --anchor` with it proves at any later date that the months "
                        "it closes were not rewritten.").format(seal=seal.id, month=format_month(seal.month or "")),)
    return Section("fingerprint", _("Ledger fingerprint"), FIELDS, rows,
                   empty=_("no month closed yet: the ledger has no fingerprint (`delegation close` seals a month)"),
                   paragraphs=paragraphs, brief=True)


def avenant_lines(r: MonthlyReport) -> list[tuple[str, str]]:
    """The avenants that take effect in the report's month, each with what it changes (« Avenant
    n° 1 du 10/02/2025 : enveloppe portée de 400 000,00 € à 460 000,00 € ; … »)."""
    from ..core.avenants import avenant_steps

    first = month_end(r.month).replace(day=1)
    out = []
    for step in avenant_steps(r.conv):
        av = step.avenant
        if not first <= av.date <= month_end(r.month):
            continue
        cap, total, ae, cp = step.before
        changes = []
        if step.total != total:
            changes.append(_("envelope from {before} to {after}").format(before=format_fr(total),
                                                                          after=format_fr(step.total)))
        if step.team_cap != cap:
            changes.append(_("common team cap removed") if step.team_cap is None else
                           _("common team cap from {before} to {after}").format(
                               before=format_fr(cap) if cap is not None else _("none"), after=format_fr(step.team_cap)))
        for year in sorted(step.ae):
            if step.ae[year] != ae.get(year, 0):
                changes.append(_("AE {year} from {before} to {after}").format(
                    year=year, before=format_fr(ae.get(year, 0)), after=format_fr(step.ae[year])))
            if step.cp[year] != cp.get(year, 0):
                changes.append(_("CP {year} from {before} to {after}").format(
                    year=year, before=format_fr(cp.get(year, 0)), after=format_fr(step.cp[year])))
        for carry in av.carry_overs:
            for amount, message in ((carry.ae, N_("{amount} of AE {year} carried over to {next}")),
                                    (carry.cp, N_("{amount} of CP {year} carried over to {next}"))):
                if amount:
                    changes.append(_(message).format(amount=format_fr(amount), year=carry.from_year,
                                                     next=carry.to_year))
        for team in av.teams:
            changes.append(_team_change(r, team, step.cast.caps.get(team.id)))
        out.append((_("Avenant n° {number} of {date}").format(number=av.number, date=format_date(av.date)),
                    _("; ").join(changes) or _("no amount changed")))
    return out


def _team_change(r: MonthlyReport, team: TeamChange, cap: int | None) -> str:
    joins = r.conv.team_joins.get(team.id)
    if joins is not None and team.name is not None:
        added = _("team {name} added").format(name=team.name)
        return added + (_(", its own cap {cap}").format(cap=format_fr(cap)) if cap is not None else "")
    parts = []
    if team.cap is not None:
        parts.append(_("cap of {team} set to {cap}").format(team=team.id, cap=format_fr(team.cap)))
    if team.until is not None:
        parts.append(_("support of {team} ends on {date}").format(team=team.id, date=format_date(team.until)))
    return ", ".join(parts) or _("team {team} renamed").format(team=team.id)
