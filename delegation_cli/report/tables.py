"""The report's figures as tables: one small function per section of :func:`sections.report_sections`.

This module owns the tables of figures — teams, budget years, totals, the State's *suivi des
CP associés à la consommation des AE*, marchés and prestations, the month's movements and
notes, forecasts (listed for CSV, pivoted teams × months for people), the projected landings,
open commitments, unused credits — as format-free :class:`layout.Section` values whose
cells are plain values (cents, :class:`cells.Ratio`, dates), written by each format.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..core.entries import Entry, chorus_name
from ..core.i18n import _, format_date, format_month
from ..core.kinds import AMOUNT_KINDS, kind_name
from .cells import Ratio
from .layout import Column, Section, money

if TYPE_CHECKING:
    from .figures import Correction, MonthlyReport


def teams(r: MonthlyReport) -> Section:
    """Each team's commitments (AE), against its cap when the convention caps teams."""
    if r.limits.capped:
        return Section("teams", _("Teams: commitments (AE) under the cap"), (
            Column("Team", "team"), money("Cap"), money("In month"), money("Committed"), money("Available"),
            Column("% of cap", "percent"), Column("Bar", "bar"),
        ), tuple((t.team, t.cap, t.ae_month, t.ae_committed, t.available, Ratio(t.ae_committed, t.cap or 0),
                  Ratio(t.ae_committed, t.cap or 0)) for t in r.teams), brief=True)
    # a convention that caps no team: no cap column
    return Section("teams", _("Teams: commitments (AE)"), (Column("Team", "team"), money("In month"),
                                                            money("Committed")),
                   tuple((t.team, t.ae_month, t.ae_committed) for t in r.teams), brief=True)


def team_shares(r: MonthlyReport) -> Section:
    """Each team's commitments of the year against its indicative share (échéancier)."""
    year = r.as_of.year
    return Section("team_shares", _("Teams: indicative share of {year} (échéancier)").format(year=year), (
        Column("Team", "team"), money(f"Share {year}", _("Share {year}").format(year=year)),
        money(f"Committed {year}", _("Committed {year}").format(year=year)), money("Above share"),
    ), tuple((t.team, t.share, t.committed_year, max(t.committed_year - t.share, 0))
             for t in r.teams if t.share is not None))


def team_payments(r: MonthlyReport) -> Section:
    return Section("team_payments", _("Teams: payments (CP) and reste à payer"), (
        Column("Team", "team"), money("Paid in month"), money("Paid"), money("Reste à payer"),
    ), tuple((t.team, t.cp_month, t.cp_paid, t.remaining) for t in r.teams), brief=True)


def _carried(r: MonthlyReport) -> bool:
    """Whether an avenant carries credits of a year over: the years' tables then say how much."""
    return any(y.ae_carried_out or y.cp_carried_out for y in r.years)


def years_ae(r: MonthlyReport) -> Section:
    carried = _carried(r)
    return Section("years_ae", _("Budget years: AE (autorisations d'engagement)"), (
        Column("Year"), money("Opened"), *((money("Carried over"),) if carried else ()), money("Committed"),
        money("Available"), Column("Rate", "percent"), money("Released, earlier years"),
    ), tuple((str(y.year), y.ae_open, *((y.ae_carried_out,) if carried else ()), y.ae_committed, y.ae_available,
              Ratio(y.ae_committed, y.ae_usable), y.released_earlier) for y in r.years), brief=True)


def years_cp(r: MonthlyReport) -> Section:
    carried = _carried(r)
    return Section("years_cp", _("Budget years: CP (crédits de paiement)"), (
        Column("Year"), money("Opened"), *((money("Carried over"),) if carried else ()), money("Paid"),
        money("Available"), Column("Rate", "percent"),
    ), tuple((str(y.year), y.cp_open, *((y.cp_carried_out,) if carried else ()), y.cp_paid, y.cp_available,
              Ratio(y.cp_paid, y.cp_usable)) for y in r.years), brief=True)


def totals(r: MonthlyReport) -> Section:
    t = r.totals
    return Section("totals", _("Convention totals"), (Column("Figure"), money("Amount")), (
        (_("Envelope"), t.envelope), (_("Committed (net of releases)"), t.committed),
        (_("AE available"), t.ae_available), (_("Paid"), t.paid), (_("CP available"), t.cp_available),
        (_("Reste à payer"), t.remaining),
    ))


def cp_on_ae(r: MonthlyReport) -> Section:
    """The State's table, in its own French words whatever the report's language."""
    from .figures import CpOnAe

    return Section(
        "cp_on_ae", "Suivi des crédits de paiement associés à la consommation des AE",  # the State's title
        (Column("Code"), Column("Label", "text"), *(money(str(y.year), str(y.year)) for y in r.years)),
        tuple((code, CpOnAe.LABELS[code], *(getattr(y.cp_on_ae, code) for y in r.years))
              for code in CpOnAe.CODES))


def marches(r: MonthlyReport) -> Section:
    return Section("marches", _("By marché"), (Column("Marché", "text"), money("Committed"), money("Paid")),
                   tuple((s.name, s.committed, s.paid) for s in r.marches))


def prestations(r: MonthlyReport) -> Section:
    return Section("prestations", _("By prestation kind"),
                   (Column("Prestation", "text"), money("Committed"), money("Paid")),
                   tuple((s.name, s.committed, s.paid) for s in r.prestations))


def _reference(e: Entry, names: Mapping[str, str]) -> str:
    """What a movement is about, by its numbers in Chorus: a commitment's bon de commande and
    EJ, a payment's DP and the EJ it pays."""
    if e.kind == "commitment":
        return " ".join(x for x in (e.ref, f"EJ {e.ej}" if e.ej else None, e.marche, e.prestation) if x)
    text = _("on {commitment}").format(commitment=names.get(e.commitment or "", e.commitment))
    if e.ref:
        text += f", DP {e.ref}"
    if e.service_fait:
        text += ", " + _("service fait {date}").format(date=format_date(e.service_fait))
    return text


def movements(r: MonthlyReport) -> Section:
    title = (_("Movements over the convention's whole period, by team") if r.final else
             _("Movements of {month}").format(month=format_month(r.month)))
    return Section("movements", title, (
        Column("Date", "date"), Column("Kind", "entrykind"), Column("Id", machine=True), Column("Team", "team"),
        money("Amount"), Column("Reference", "text"), Column("Label", "text"),
    ), tuple((e.date, e.kind, e.id, e.team, e.amount, _reference(e, r.chorus_names), e.label)
             for e in r.movements),
        empty=_("no commitment, payment or release this month"))


def _corrected(c: Correction) -> str:
    target = c.target
    name = chorus_name(target.kind, target.id, target.ref, target.ej)
    if c.entry.kind == "service-fait":
        return _("payment {target} of {date}: service fait on {service_fait}").format(
            target=name, date=format_date(target.date),
            service_fait=format_date(c.entry.service_fait) if c.entry.service_fait else "")
    return _("{kind} {target} of {date} cancelled").format(kind=kind_name(target.kind), target=name,
                                                          date=format_date(target.date))


def corrections(r: MonthlyReport) -> Section:
    """The month's corrections, apart from the movements: what each mends, and why."""
    return Section("corrections", _("Corrections of {month} (cancellations, services faits recorded later)").format(
        month=format_month(r.month)), (
        Column("Date", "date"), Column("Kind", "entrykind"), Column("Id", machine=True), Column("Team", "team"),
        Column("Corrects", "text"), money("Amount"), Column("Reason", "text"),
    ), tuple((c.entry.date, c.entry.kind, c.entry.id, c.entry.team, _corrected(c),
              c.target.amount if c.entry.kind == "cancel" and c.target.kind in AMOUNT_KINDS else None,
              c.entry.label) for c in r.corrections),
        empty=_("no correction this month"), brief=bool(r.corrections))


def notes(r: MonthlyReport) -> Section:
    title = (_("Progress notes over the convention's whole period, by team (avancement des travaux)") if r.final
             else _("Progress notes of {month} (avancement des travaux)").format(month=format_month(r.month)))
    return Section("notes", title, (Column("Date", "date"), Column("Team", "team"), Column("Note", "text")),
        tuple((e.date, e.team, e.label) for e in r.notes), empty=_("no progress note this month"), brief=True)


def forecasts(r: MonthlyReport) -> Section:
    """The coming forecasts, one row each (CSV); people read them pivoted (:func:`forecast_orders`)."""
    return Section("forecasts", _("Forecasts for the coming months (orders = AE, payments = CP)"), (
        Column("Month", "month"), Column("Team", "team"), Column("Type"), money("Amount"), Column("Label", "text"),
    ), tuple((f.month or "", f.team, "order (AE)" if f.forecast_type == "ae" else "payment (CP)",
              f.amount, f.label) for f in r.forecasts), audience="machine")


def _short_month(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def _pivot(r: MonthlyReport, kind: str) -> tuple[tuple[Column, ...], tuple[tuple[object, ...], ...]]:
    """Forecasts of one type as teams × coming months, with a total per team and per month."""
    chosen = [f for f in r.forecasts if f.forecast_type == kind]
    months = sorted({f.month or "" for f in chosen})
    team_ids = [t.id for t in r.conv.cast if any(f.team == t.id for f in chosen)]
    cell: dict[tuple[str, str], int] = defaultdict(int)
    for f in chosen:
        cell[(f.team, f.month or "")] += f.amount
    columns = (Column("Team", "team"), *(Column(m, "money", _short_month(m)) for m in months), money("Total"))
    rows: list[tuple[object, ...]] = [
        (team, *(cell.get((team, m), "") for m in months), sum(cell[(team, m)] for m in months))
        for team in team_ids]
    if len(team_ids) > 1:
        rows.append((_("Total"), *(sum(cell[(team, m)] for team in team_ids) for m in months),
                     sum(f.amount for f in chosen)))
    return columns, tuple(rows)


def forecast_orders(r: MonthlyReport) -> Section:
    columns, rows = _pivot(r, "ae")
    return Section("forecast_orders", _("Forecast orders (AE) for the coming months"), columns, rows,
                   empty=_("no forecast order"), brief=True, audience="human")


def forecast_payments(r: MonthlyReport) -> Section:
    columns, rows = _pivot(r, "cp")
    return Section("forecast_payments", _("Forecast payments (CP) for the coming months"), columns, rows,
                   empty=_("no forecast payment"), brief=True, audience="human")


def landing_ae(r: MonthlyReport) -> Section:
    """The projected year-end landing of the AE of this year and the coming ones."""
    return Section("landing_ae", _("Projected year-end landing (atterrissage): AE"), (
        Column("Year"), money("Opened"), money("Committed"), money("Forecast"), money("Landing"), money("Unused"),
        money("Forecast overrun"),
    ), tuple((str(la.year), la.ae_open, la.ae_consumed, la.ae_forecast, la.ae_landing,
              max(la.ae_open - la.ae_landing, 0), max(la.ae_landing - la.ae_open, 0))
             for la in r.year_landings if la.year >= r.as_of.year), brief=True)


def landing_cp(r: MonthlyReport) -> Section:
    return Section("landing_cp", _("Projected year-end landing (atterrissage): CP"), (
        Column("Year"), money("Opened"), money("Paid"), money("Forecast"), money("Landing"), money("Unused"),
        money("Forecast overrun"),
    ), tuple((str(la.year), la.cp_open, la.cp_consumed, la.cp_forecast, la.cp_landing,
              max(la.cp_open - la.cp_landing, 0), max(la.cp_landing - la.cp_open, 0))
             for la in r.year_landings if la.year >= r.as_of.year), brief=True)


def landing_teams(r: MonthlyReport) -> Section:
    title = _("Projected landing per team (committed + forecast orders)")
    if r.limits.capped:
        return Section("landing_teams", title, (
            Column("Team", "team"), money("Cap"), money("Committed"), money("Forecast"), money("Landing"),
            money("Over cap"),
        ), tuple((tl.team, tl.cap, tl.committed, tl.ae_forecast, tl.ae_landing,
                  max(tl.ae_landing - (tl.cap or 0), 0)) for tl in r.team_landings))
    return Section("landing_teams", title, (
        Column("Team", "team"), money("Committed"), money("Forecast"), money("Landing"),
    ), tuple((tl.team, tl.committed, tl.ae_forecast, tl.ae_landing) for tl in r.team_landings))


def landing_team_payments(r: MonthlyReport) -> Section:
    return Section("landing_team_payments", _("Projected payments per team (paid + forecast)"), (
        Column("Team", "team"), money("Paid"), money("Forecast"), money("Landing"),
    ), tuple((tl.team, tl.paid, tl.cp_forecast, tl.cp_landing) for tl in r.team_landings))


def open_commitments(r: MonthlyReport) -> Section:
    return Section("open_commitments", _("Open commitments"), (
        Column("Date", "date"), Column("Team", "team"), Column("Id", machine=True), Column("Commitment"),
        money("Amount"),
        money("Paid"), money("Released"), money("Reste à payer"), Column("Age", "int", _("Age (days)")),
    ), tuple((o.entry.date, o.entry.team, o.entry.id, chorus_name("commitment", o.entry.id, o.entry.ref, o.entry.ej),
              o.entry.amount, o.paid, o.released, o.remaining, o.age_days) for o in r.open_commitments),
        empty=_("no open commitment"))


def unused(r: MonthlyReport) -> Section:
    """The final report's credits left unused, per year."""
    return Section("unused", _("Unused credits per year"), (Column("Year"), money("AE unused"), money("CP unused")),
                   tuple((str(u.year), u.ae, u.cp) for u in r.unused), brief=True)
