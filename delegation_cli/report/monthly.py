"""Computing the monthly report (*compte rendu*, art. 5) from the ledger.

This module owns the arithmetic of the report: :func:`monthly_report` replays the entries
dated up to the last day of the month (the :class:`book.Book` read with :func:`report_window`)
and returns a :class:`figures.MonthlyReport` — per team, per budget year (with the State's
*suivi des crédits de paiement associés à la consommation des AE*), per marché and prestation
kind, the month's movements and notes, forecasts and the projected year-end landing, open
commitments, unused credits, and the alerts of :mod:`alerts`.  Nothing here prints or reads
files.

Forecasts are corrected by new entries: for one team, month and type (ae/cp), the latest
forecast (by date, then file order) replaces the earlier ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..core.avenants import Limits
from ..core.entries import Entry, chorus_name, month_end
from ..core.i18n import _
from ..core.model import Convention
from ..core.money import Cents
from ..core.replay import Replay
from ..store.book import Book, Seen, Window
from .alerts import BURN_WINDOW_DAYS, Context, alerts_of
from .figures import (
    SEAL_CODES,
    Correction,
    CpOnAe,
    MonthlyReport,
    OpenCommitment,
    Split,
    TeamLanding,
    TeamLine,
    Totals,
    Unused,
    YearLanding,
    YearLine,
)


def default_month(conv: Convention, today: dt.date, *, final: bool) -> str:
    """The current month clamped to the convention's period (its last month if final)."""
    first = conv.effective_date.strftime("%Y-%m")
    last = conv.payments_until.strftime("%Y-%m")
    if final:
        return last
    return min(max(today.strftime("%Y-%m"), first), last)


def report_as_of(conv: Convention, month: str, *, final: bool) -> dt.date:
    """The day a report's figures are as of: the month's last day (for the final report, not
    before the last day payments are allowed)."""
    as_of = month_end(month)
    return max(as_of, conv.payments_until) if final else as_of


def report_window(conv: Convention, month: str, *, final: bool) -> Window:
    """What the report of ``month`` needs from the read pass: the figures as of its day, and
    the entries of the month and of the burn-rate window before it."""
    as_of = report_as_of(conv, month, final=final)
    first_day = month_end(month).replace(day=1)
    if final:  # the account at the term covers the whole convention
        return Window(as_of, min(conv.effective_date, first_day))
    return Window(as_of, min(first_day, as_of - dt.timedelta(days=BURN_WINDOW_DAYS - 1)))


def monthly_report(book: Book, month: str, *, team: str | None = None, final: bool = False,
                   language: str = "fr") -> MonthlyReport:
    """Compute the report of ``month`` (figures as of its last day) from a ledger read with
    :func:`report_window`.  The ledger's errors, if it has any (``--allow-invalid``), come
    first among the alerts."""
    conv = book.conv
    seen = book.seen
    assert seen is not None, "the book was read with the report's window"
    as_of = report_as_of(conv, month, final=final)
    state = seen.state
    limits = conv.limits_at(as_of)
    last_day = month_end(month)
    in_month = [e for e in seen.recent if last_day.replace(day=1) <= e.date <= last_day]
    forecasts = sorted(seen.forecasts.values(), key=lambda e: (e.month or "", e.team, e.forecast_type or ""))

    def keep(t: str) -> bool:
        return team is None or t == team

    remaining_by_team: dict[str, Cents] = defaultdict(int)
    for c in state.commitments.values():
        remaining_by_team[c.team] += c.remaining
    teams = tuple(_team_line(conv, state, limits, t.id, t.name, in_month, as_of, remaining_by_team[t.id])
                  for t in conv.cast_at(as_of) if keep(t.id))
    years = tuple(_year_line(state, limits, y, seen) for y in conv.years)
    remaining = sum(c.remaining for c in state.commitments.values())
    totals = Totals(limits.total, state.total_net, state.total_paid, remaining)
    marches, prestations = _splits(conv, state, team)
    listed = in_month
    if final:  # the account at the term: every entry of the convention, team by team
        order = {t.id: index for index, t in enumerate(conv.cast)}
        listed = sorted(seen.recent, key=lambda e: (order.get(e.team, len(order)), e.date))
    movements = tuple(e for e in listed if e.kind in ("commitment", "payment", "release") and keep(e.team))
    notes = tuple(e for e in listed if e.kind == "note" and keep(e.team) and e.id not in state.cancelled)
    corrections = tuple(Correction(e, state.kept[e.target or ""]) for e in listed
                        if e.kind in ("cancel", "service-fait") and keep(e.team) and e.target in state.kept)
    coming = tuple(f for f in forecasts if (f.month or "") > month and keep(f.team))
    year_landings = tuple(_year_landing(y, forecasts, month) for y in years)
    team_landings = tuple(_team_landing(t, coming) for t in teams)
    open_commitments = tuple(
        OpenCommitment(c, c.paid, c.released, c.remaining, (as_of - c.date).days)
        for c in sorted(state.commitments.values(), key=lambda c: (c.date, c.line))
        if c.remaining > 0 and keep(c.team))
    unused = tuple(Unused(y.year, y.ae_available, y.cp_available) for y in years)
    alerts = alerts_of(Context(conv, state, seen, book.errors, limits, as_of, month, team, teams, years, totals,
                               year_landings, team_landings))
    errors = tuple(book.errors)
    seals_broken = any(p.code.startswith(SEAL_CODES) for p in errors)
    return MonthlyReport(conv, month, as_of, final, team, seen.counted, limits, teams, years,
                         totals, marches, prestations, movements, notes, coming, year_landings,
                         team_landings, open_commitments, unused, alerts,
                         None if seals_broken else seen.last_seal, errors,
                         dict(state.ae_monthly), dict(state.cp_monthly), language,
                         {c.id: chorus_name("commitment", c.id, c.ref, c.ej) for c in state.commitments.values()},
                         corrections)


def _team_line(conv: Convention, state: Replay, limits: Limits, team: str, name: str,
               in_month: list[Entry], as_of: dt.date, remaining: Cents) -> TeamLine:
    ae_month = sum(e.amount for e in in_month if e.team == team and e.kind == "commitment") - sum(
        e.amount for e in in_month if e.team == team and e.kind == "release")
    cp_month = sum(e.amount for e in in_month if e.team == team and e.kind == "payment")
    for e in in_month:  # a cancellation reverses its entry in the month it is dated
        target = state.kept.get(e.target or "") if e.kind == "cancel" and e.team == team else None
        if target is not None and state.cancelled.get(target.id) is e:
            sign = {"commitment": -1, "release": 1}.get(target.kind, 0)
            ae_month += sign * target.amount
            cp_month -= target.amount if target.kind == "payment" and target.date.year == e.date.year else 0
    year = as_of.year
    schedule = conv.schedule_by_year.get(year)
    return TeamLine(team, name, limits.cap_of(team), ae_month, state.team_net.get(team, 0), cp_month,
                    state.team_paid.get(team, 0), remaining, year,
                    schedule.ae_per_team if schedule else None, state.team_year.get((team, year), 0))


def _year_line(state: Replay, limits: Limits, year: int, seen: Seen) -> YearLine:
    p2 = state.cp_used.get(year, 0)
    p4 = state.paid_on.get((year, year), 0)
    flows_out = (*state.released_on.items(), *state.cancelled_on.items())  # what no longer needs paying
    r2 = -sum(amount for (cy, y), amount in flows_out if y == year and cy < year)
    r2 += sum(amount for (cy, y), amount in state.unpaid_on.items() if y == year and cy < year)
    # Earlier years' commitments not covered at 31 December of the previous year.
    r1 = sum(amount for cy, amount in state.committed_in.items() if cy < year)
    r1 -= sum(amount for (cy, y), amount in (*state.paid_on.items(), *flows_out) if cy < year and y < year)
    r1 += sum(amount for (cy, y), amount in state.unpaid_on.items() if cy < year and y < year)
    e2 = state.ae_used.get(year, 0)
    p3 = p2 - p4
    r3 = r1 + r2
    r4 = r3 - p3
    r5 = e2 - p4
    r6 = r4 + r5
    next_year = str(year + 1)
    p5 = sum(f.amount for f in seen.forecasts_at_end_of(year).values()
             if f.forecast_type == "cp" and (f.month or "")[:4] == next_year)
    cp_on_ae = CpOnAe(limits.ae.get(year, 0), e2, limits.cp.get(year, 0), p2, p3, p4, r1, r2, r3,
                      r4, r5, r6, max(min(p5, r6), 0))
    return YearLine(year, limits.ae.get(year, 0), e2,
                    state.released_other_year.get(year, 0) + state.lost_on_cancel.get(year, 0),
                    limits.cp.get(year, 0), p2, cp_on_ae, state.conv.carried_out("ae", year),
                    state.conv.carried_out("cp", year))


def _splits(conv: Convention, state: Replay, team: str | None) -> tuple[tuple[Split, ...], tuple[Split, ...]]:
    by_marche: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_prestation: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in state.commitments.values():
        if team is not None and c.team != team:
            continue
        m = c.marche or ""
        p = c.prestation or ""
        by_marche[m][0] += c.net
        by_marche[m][1] += c.paid
        by_prestation[p][0] += c.net
        by_prestation[p][1] += c.paid
    names = {m.id: m.name for m in conv.marches}
    pnames = {p.id: p.name for m in conv.marches for p in m.prestations}
    order = [m.id for m in conv.marches] + [""]
    porder = [p.id for m in conv.marches for p in m.prestations] + [""]
    marches = tuple(Split(k, names.get(k, _("(not specified)")), *by_marche[k]) for k in order if k in by_marche)
    prest = tuple(Split(k, pnames.get(k, _("(not specified)")), *by_prestation[k]) for k in porder
                  if k in by_prestation)
    return marches, prest


def _team_landing(t: TeamLine, coming: tuple[Entry, ...]) -> TeamLanding:
    """A team's projected landing: what it committed and paid, plus its coming forecasts."""
    return TeamLanding(t.team, t.cap, t.ae_committed,
                       sum(f.amount for f in coming if f.team == t.team and f.forecast_type == "ae"),
                       t.cp_paid,
                       sum(f.amount for f in coming if f.team == t.team and f.forecast_type == "cp"))


def _year_landing(year: YearLine, forecasts: list[Entry], month: str) -> YearLanding:
    later = [f for f in forecasts if (f.month or "") > month and (f.month or "")[:4] == str(year.year)]
    return YearLanding(year.year, year.ae_usable, year.ae_committed,
                       sum(f.amount for f in later if f.forecast_type == "ae"),
                       year.cp_usable, year.cp_paid,
                       sum(f.amount for f in later if f.forecast_type == "cp"))


