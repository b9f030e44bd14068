"""The figures of the monthly report (*compte rendu*, art. 5), computed from the ledger.

This module owns what the report says, not how it looks: :func:`monthly_report` replays
the entries dated up to the last day of the month and returns a :class:`MonthlyReport`
of plain values — per team, per budget year (with the State's *suivi des crédits de
paiement associés à la consommation des autorisations d'engagement*, codes E1…R6, P1…P5),
per marché and prestation kind, the month's movements and notes, forecasts and the
projected year-end landing, open commitments, unused credits and the alerts the
convention requires.  ``report.py`` renders it; nothing here prints or reads files.

Forecasts are corrected by new entries: for one team, month and type (ae/cp), the latest
forecast (by date, then file order) replaces the earlier ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .budget import (
    Issue,
    Replay,
    carry_over_problems,
    entry_name,
    forecasts_in_force,
    in_date_order,
    locate,
    percent_label,
    replay_ordered,
)
from .errors import Problem, Severity
from .ledger import Entry, month_end
from .model import Convention, Limits
from .money import Cents, format_fr, format_percent, ratio_reached

STALE_MONTHS = 4
BURN_WINDOW_DAYS = 90
BURN_HORIZON_DAYS = 45
END_WARNING_DAYS = 60


@dataclass(frozen=True)
class TeamLine:
    """One team's situation at the report date."""

    team: str
    name: str
    cap: Cents
    ae_month: Cents
    ae_committed: Cents
    cp_month: Cents
    cp_paid: Cents
    remaining: Cents
    year: int
    share: Cents | None
    committed_year: Cents

    @property
    def available(self) -> Cents:
        """Headroom under the cap."""
        return self.cap - self.ae_committed


@dataclass(frozen=True)
class CpOnAe:
    """*Suivi des crédits de paiement associés à la consommation des AE* for one year.

    E1 AE opened; E2 AE committed; P1 CP opened; P2 CP consumed; P3 CP consumed on earlier
    years' commitments; P4 CP consumed on the year's commitments; R1 earlier years'
    commitments not covered by payments at 31 December of the previous year; R2 releases of
    those commitments during the year (negative); R3 = R1 + R2; R4 = R3 − P3; R5 = E2 − P4;
    R6 = R4 + R5; P5 next year's CP forecast on open commitments.
    """

    E1: Cents
    E2: Cents
    P1: Cents
    P2: Cents
    P3: Cents
    P4: Cents
    R1: Cents
    R2: Cents
    R3: Cents
    R4: Cents
    R5: Cents
    R6: Cents
    P5: Cents

    CODES = ("E1", "E2", "P1", "P2", "P3", "P4", "R1", "R2", "R3", "R4", "R5", "R6", "P5")
    LABELS = {
        "E1": "AE ouvertes",
        "E2": "AE engagées",
        "P1": "CP ouverts",
        "P2": "CP consommés",
        "P3": "dont CP consommés sur engagements antérieurs",
        "P4": "dont CP consommés sur engagements de l'année",
        "R1": "Engagements antérieurs non couverts par des paiements au 31/12 de l'année précédente",
        "R2": "Dégagements sur engagements antérieurs",
        "R3": "Engagements antérieurs après dégagements (R1 + R2)",
        "R4": "Engagements antérieurs non couverts en fin d'année (R3 − P3)",
        "R5": "Engagements de l'année non couverts en fin d'année (E2 − P4)",
        "R6": "Total des engagements non couverts en fin d'année (R4 + R5)",
        "P5": "Estimation des CP de l'année suivante sur engagements non couverts",
    }

    def as_dict(self) -> dict[str, Cents]:
        return {code: getattr(self, code) for code in self.CODES}


@dataclass(frozen=True)
class YearLine:
    """One budget year at the report date."""

    year: int
    ae_open: Cents
    ae_committed: Cents
    released_earlier: Cents
    cp_open: Cents
    cp_paid: Cents
    cp_on_ae: CpOnAe
    ae_carried_out: Cents = 0
    cp_carried_out: Cents = 0

    @property
    def ae_usable(self) -> Cents:
        """Opened, less what an avenant in force carried over to the next year."""
        return self.ae_open - self.ae_carried_out

    @property
    def cp_usable(self) -> Cents:
        return self.cp_open - self.cp_carried_out

    @property
    def ae_available(self) -> Cents:
        return self.ae_usable - self.ae_committed

    @property
    def cp_available(self) -> Cents:
        return self.cp_usable - self.cp_paid


@dataclass(frozen=True)
class Totals:
    """The convention as a whole: envelope, net commitments, payments, reste à payer."""

    envelope: Cents
    committed: Cents
    paid: Cents
    remaining: Cents

    @property
    def ae_available(self) -> Cents:
        return self.envelope - self.committed

    @property
    def cp_available(self) -> Cents:
        return self.envelope - self.paid


@dataclass(frozen=True)
class Split:
    """Net commitments and payments of one marché or prestation kind."""

    key: str
    name: str
    committed: Cents
    paid: Cents


@dataclass(frozen=True)
class OpenCommitment:
    entry: Entry
    paid: Cents
    released: Cents
    remaining: Cents
    age_days: int


@dataclass(frozen=True)
class YearLanding:
    """Projected year-end landing (*atterrissage*): consumed + forecast, against opened."""

    year: int
    ae_open: Cents
    ae_consumed: Cents
    ae_forecast: Cents
    cp_open: Cents
    cp_consumed: Cents
    cp_forecast: Cents

    @property
    def ae_landing(self) -> Cents:
        return self.ae_consumed + self.ae_forecast

    @property
    def cp_landing(self) -> Cents:
        return self.cp_consumed + self.cp_forecast


@dataclass(frozen=True)
class TeamLanding:
    team: str
    cap: Cents
    committed: Cents
    ae_forecast: Cents
    paid: Cents
    cp_forecast: Cents

    @property
    def ae_landing(self) -> Cents:
        return self.committed + self.ae_forecast

    @property
    def cp_landing(self) -> Cents:
        return self.paid + self.cp_forecast


@dataclass(frozen=True)
class Unused:
    """Credits of a year not consumed (AE opened − committed, CP opened − paid)."""

    year: int
    ae: Cents
    cp: Cents


@dataclass(frozen=True)
class Alert:
    severity: Severity
    code: str
    message: str


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the monthly (or final) report states."""

    conv: Convention
    month: str
    as_of: dt.date
    final: bool
    team_filter: str | None
    entries_counted: int
    limits: Limits
    teams: tuple[TeamLine, ...]
    years: tuple[YearLine, ...]
    totals: Totals
    marches: tuple[Split, ...]
    prestations: tuple[Split, ...]
    movements: tuple[Entry, ...]
    notes: tuple[Entry, ...]
    forecasts: tuple[Entry, ...]
    year_landings: tuple[YearLanding, ...]
    team_landings: tuple[TeamLanding, ...]
    open_commitments: tuple[OpenCommitment, ...]
    unused: tuple[Unused, ...]
    alerts: tuple[Alert, ...]
    last_seal: Entry | None = None
    """The seal of the last month closed on or before the report's date, if any: its hash,
    sent with the report, anchors the ledger's history outside the file."""


# --------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, mon = divmod(index, 12)
    last = month_end(f"{year:04d}-{mon + 1:02d}").day
    return dt.date(year, mon + 1, min(day.day, last))


def default_month(conv: Convention, today: dt.date, *, final: bool) -> str:
    """The current month clamped to the convention's period (its last month if final)."""
    first = conv.effective_date.strftime("%Y-%m")
    last = conv.payments_until.strftime("%Y-%m")
    if final:
        return last
    return min(max(today.strftime("%Y-%m"), first), last)


def latest_forecasts(ordered: Sequence[Entry]) -> list[Entry]:
    """The forecasts in force (:func:`budget.forecasts_in_force`), by month, team and type."""
    in_force, _ = forecasts_in_force(ordered)
    return sorted(in_force, key=lambda e: (e.month or "", e.team, e.forecast_type or ""))


def report_as_of(conv: Convention, month: str, *, final: bool) -> dt.date:
    """The day a report's figures are as of: the month's last day (for the final report, not
    before the last day payments are allowed)."""
    as_of = month_end(month)
    return max(as_of, conv.payments_until) if final else as_of


def alerting(report: MonthlyReport) -> bool:
    """Whether the report carries an alert of severity warning or error."""
    return any(a.severity in (Severity.WARNING, Severity.ERROR) for a in report.alerts)


def monthly_report(conv: Convention, entries: Sequence[Entry], month: str, *, ledger_path: str,
                   team: str | None = None, final: bool = False,
                   file_problems: Sequence[Problem] = ()) -> MonthlyReport:
    """Compute the report of ``month`` (figures as of its last day) from file-order entries.

    ``file_problems`` are the ledger's unreadable lines: they become error alerts, since
    figures computed without them may be wrong.
    """
    as_of = report_as_of(conv, month, final=final)
    counted = [e for e in entries if e.date <= as_of]
    ordered = in_date_order(counted)
    state, issues = replay_ordered(conv, ordered)
    limits = conv.limits_at(as_of)
    last_day = month_end(month)
    in_month = [e for e in ordered if last_day.replace(day=1) <= e.date <= last_day]
    forecasts = latest_forecasts(ordered)

    def keep(t: str) -> bool:
        return team is None or t == team

    remaining_by_team: dict[str, Cents] = defaultdict(int)
    for c in state.commitments.values():
        remaining_by_team[c.entry.team] += c.remaining
    teams = tuple(_team_line(conv, state, limits, t.id, t.name, in_month, as_of, remaining_by_team[t.id])
                  for t in conv.teams if keep(t.id))
    flows = _year_flows(ordered, state)
    years = tuple(_year_line(state, limits, y, flows, forecasts) for y in conv.years)
    remaining = sum(c.remaining for c in state.commitments.values())
    totals = Totals(limits.total, state.total_net, state.total_paid, remaining)
    marches, prestations = _splits(conv, state, ordered, team)
    movements = tuple(e for e in in_month if e.kind in ("commitment", "payment", "release") and keep(e.team))
    notes = tuple(e for e in in_month if e.kind == "note" and keep(e.team))
    coming = tuple(f for f in forecasts if (f.month or "") > month and keep(f.team))
    year_landings = tuple(_year_landing(y, forecasts, month) for y in years)
    team_landings = tuple(
        TeamLanding(t.team, t.cap, t.ae_committed,
                    sum(f.amount for f in coming if f.team == t.team and f.forecast_type == "ae"),
                    t.cp_paid,
                    sum(f.amount for f in coming if f.team == t.team and f.forecast_type == "cp"))
        for t in teams)
    open_commitments = tuple(
        OpenCommitment(c.entry, c.paid, c.released, c.remaining, (as_of - c.entry.date).days)
        for c in sorted(state.commitments.values(), key=lambda c: (c.entry.date, c.entry.line))
        if c.remaining > 0 and keep(c.entry.team))
    unused = tuple(Unused(y.year, y.ae_available, y.cp_available) for y in years)
    alerts = tuple(Alert(Severity.ERROR, f"ledger-{p.code}", p.render()) for p in file_problems)
    alerts += _alerts(conv, ordered, state, issues, limits, as_of, teams, years, totals, year_landings,
                      team_landings, month, ledger_path, team)
    seals = [e for e in counted if e.kind == "seal"]
    last_seal = max(seals, key=lambda e: e.month or "") if seals else None
    counted_entries = sum(e.kind != "seal" for e in counted)
    return MonthlyReport(conv, month, as_of, final, team, counted_entries, limits, teams, years,
                         totals, marches, prestations, movements, notes, coming, year_landings,
                         team_landings, open_commitments, unused, alerts, last_seal)


def _team_line(conv: Convention, state: Replay, limits: Limits, team: str, name: str,
               in_month: list[Entry], as_of: dt.date, remaining: Cents) -> TeamLine:
    ae_month = sum(e.amount for e in in_month if e.team == team and e.kind == "commitment") - sum(
        e.amount for e in in_month if e.team == team and e.kind == "release")
    cp_month = sum(e.amount for e in in_month if e.team == team and e.kind == "payment")
    year = as_of.year
    schedule = conv.schedule_by_year.get(year)
    return TeamLine(team, name, limits.team_cap, ae_month, state.team_net.get(team, 0), cp_month,
                    state.team_paid.get(team, 0), remaining, year,
                    schedule.ae_per_team if schedule else None, state.team_year.get((team, year), 0))


@dataclass
class _Flows:
    """What the CP-on-AE table needs, gathered in one pass over the entries.

    ``committed[cy]``: commitments dated cy; ``paid[(cy, y)]`` and ``released[(cy, y)]``:
    payments and releases dated y on commitments dated cy.
    """

    committed: dict[int, Cents]
    paid: dict[tuple[int, int], Cents]
    released: dict[tuple[int, int], Cents]


def _year_flows(ordered: list[Entry], state: Replay) -> _Flows:
    flows = _Flows(defaultdict(int), defaultdict(int), defaultdict(int))
    for entry in ordered:
        kind = entry.kind
        if kind == "commitment":
            flows.committed[entry.date.year] += entry.amount
        elif kind == "payment" or kind == "release":
            target = state.commitments.get(entry.commitment or "")
            if target is not None:
                book = flows.paid if kind == "payment" else flows.released
                book[(target.entry.date.year, entry.date.year)] += entry.amount
    return flows


def _year_line(state: Replay, limits: Limits, year: int, flows: _Flows, forecasts: list[Entry]) -> YearLine:
    p2 = state.cp_used.get(year, 0)
    p4 = flows.paid.get((year, year), 0)
    r2 = -sum(amount for (cy, y), amount in flows.released.items() if y == year and cy < year)
    # Earlier years' commitments not covered at 31 December of the previous year.
    r1 = sum(amount for cy, amount in flows.committed.items() if cy < year)
    r1 -= sum(amount for (cy, y), amount in (*flows.paid.items(), *flows.released.items()) if cy < year and y < year)
    e2 = state.ae_used.get(year, 0)
    p3 = p2 - p4
    r3 = r1 + r2
    r4 = r3 - p3
    r5 = e2 - p4
    p5 = sum(f.amount for f in forecasts if f.forecast_type == "cp" and (f.month or "")[:4] == str(year + 1))
    cp_on_ae = CpOnAe(limits.ae.get(year, 0), e2, limits.cp.get(year, 0), p2, p3, p4, r1, r2, r3,
                      r4, r5, r4 + r5, p5)
    return YearLine(year, limits.ae.get(year, 0), e2, state.released_other_year.get(year, 0),
                    limits.cp.get(year, 0), p2, cp_on_ae, limits.carried_out_ae.get(year, 0),
                    limits.carried_out_cp.get(year, 0))


def _splits(conv: Convention, state: Replay, ordered: list[Entry],
            team: str | None) -> tuple[tuple[Split, ...], tuple[Split, ...]]:
    by_marche: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_prestation: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in state.commitments.values():
        if team is not None and c.entry.team != team:
            continue
        m = c.entry.marche or ""
        p = c.entry.prestation or ""
        by_marche[m][0] += c.net
        by_marche[m][1] += c.paid
        by_prestation[p][0] += c.net
        by_prestation[p][1] += c.paid
    names = {m.id: m.name for m in conv.marches}
    pnames = {p.id: p.name for m in conv.marches for p in m.prestations}
    order = [m.id for m in conv.marches] + [""]
    porder = [p.id for m in conv.marches for p in m.prestations] + [""]
    marches = tuple(Split(k, names.get(k, "(not specified)"), *by_marche[k]) for k in order if k in by_marche)
    prest = tuple(Split(k, pnames.get(k, "(not specified)"), *by_prestation[k]) for k in porder
                  if k in by_prestation)
    return marches, prest


def _year_landing(year: YearLine, forecasts: list[Entry], month: str) -> YearLanding:
    later = [f for f in forecasts if (f.month or "") > month and (f.month or "")[:4] == str(year.year)]
    return YearLanding(year.year, year.ae_usable, year.ae_committed,
                       sum(f.amount for f in later if f.forecast_type == "ae"),
                       year.cp_usable, year.cp_paid,
                       sum(f.amount for f in later if f.forecast_type == "cp"))


# --------------------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------------------


def _alerts(conv: Convention, ordered: list[Entry], state: Replay, issues: list[Issue], limits: Limits,
            as_of: dt.date, teams: tuple[TeamLine, ...], years: tuple[YearLine, ...],
            totals: Totals, landings: tuple[YearLanding, ...],
            team_landings: tuple[TeamLanding, ...], month: str, ledger_path: str,
            team: str | None) -> tuple[Alert, ...]:
    E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
    out: list[Alert] = []
    fr = format_fr

    # A hard limit broken in the ledger (a hand edit).
    ledger_problems = locate(issues, ledger_path) + carry_over_problems(conv, state, ledger_path)
    for problem in ledger_problems:
        if problem.severity is Severity.ERROR:
            out.append(Alert(E, f"ledger-{problem.code}", problem.render()))

    # Thresholds.
    thresholds = sorted(conv.reporting.alert_thresholds)

    def threshold(what: str, used: Cents, limit: Cents) -> None:
        reached = [t for t in thresholds if ratio_reached(used, limit, t)]
        if not reached or limit <= 0:
            return
        top = reached[-1]
        severity = W if top == thresholds[-1] else INFO
        out.append(Alert(severity, "threshold", f"{what}: {format_percent(used, limit)} consumed "
                                                f"({fr(used)} of {fr(limit)}), past the "
                                                f"{percent_label(top)} threshold"))

    for t in teams:
        threshold(f"team {t.team} cap", t.ae_committed, t.cap)
    year = as_of.year
    current = next((y for y in years if y.year == year), None)
    if current is not None:
        threshold(f"AE {year}", current.ae_committed, current.ae_usable)
        threshold(f"CP {year}", current.cp_paid, current.cp_usable)
    threshold("envelope", totals.committed, totals.envelope)

    # Forecasts beyond what is available.
    inform_now = "inform the délégant without delay (art. 5)"
    for landing, line in zip(landings, years, strict=True):
        if landing.year < year:
            continue
        if landing.ae_forecast > line.ae_available:
            out.append(Alert(W, "forecast-exceeds-ae",
                             f"forecast orders of {fr(landing.ae_forecast)} in {landing.year} "
                             f"exceed the {fr(max(line.ae_available, 0))} of AE {landing.year} still "
                             f"available ({fr(landing.ae_forecast - max(line.ae_available, 0))} short): "
                             f"{inform_now}"))
        if landing.cp_forecast > line.cp_available:
            out.append(Alert(W, "forecast-exceeds-cp",
                             f"forecast payments of {fr(landing.cp_forecast)} in {landing.year} "
                             f"exceed the {fr(max(line.cp_available, 0))} of CP {landing.year} still "
                             f"available ({fr(landing.cp_forecast - max(line.cp_available, 0))} short): "
                             f"{inform_now}"))
    for tl in team_landings:
        headroom = tl.cap - tl.committed
        if tl.ae_forecast > headroom:
            out.append(Alert(W, "forecast-exceeds-cap",
                             f"team {tl.team}: forecast orders of {fr(tl.ae_forecast)} exceed its "
                             f"{fr(max(headroom, 0))} left under the cap ({fr(tl.ae_forecast - max(headroom, 0))} "
                             f"short): {inform_now}"))

    # Credits likely unconsumed at year end or at the convention's end.
    inform = "inform the délégant (art. 5)"
    cutoffs = conv.reporting.cutoffs
    if current is not None:
        landing = next(la for la in landings if la.year == year)
        late = as_of.month >= 11
        ae_late = late or _after(as_of, cutoffs.commitments)
        cp_late = late or _after(as_of, cutoffs.payments)
        ae_unused = current.ae_usable - landing.ae_landing
        cp_unused = current.cp_usable - landing.cp_landing
        if ae_late and ae_unused > 0:
            out.append(Alert(W, "unused-ae",
                             f"{fr(ae_unused)} of AE {year} are likely to remain unconsumed at year "
                             f"end ({fr(current.ae_usable)} opened, {fr(current.ae_committed)} committed, "
                             f"{fr(landing.ae_forecast)} forecast): {inform}"))
        if cp_late and cp_unused > 0:
            out.append(Alert(W, "unused-cp",
                             f"{fr(cp_unused)} of CP {year} are likely to remain unconsumed at year "
                             f"end ({fr(current.cp_usable)} opened, {fr(current.cp_paid)} paid, "
                             f"{fr(landing.cp_forecast)} forecast): {inform}"))
    days_left = (conv.period.end - as_of).days
    if days_left <= END_WARNING_DAYS and totals.ae_available > 0:
        when = "at the convention's end" if days_left <= 0 else f"by the convention's end on {conv.period.end}"
        out.append(Alert(W, "unused-envelope",
                         f"{fr(totals.ae_available)} of the {fr(totals.envelope)} envelope are not "
                         f"committed {when}: {inform}"))

    # Commitments without payment for more than four months.
    stale_before = add_months(as_of, -STALE_MONTHS)
    for c in sorted(state.commitments.values(), key=lambda c: (c.entry.date, c.entry.line)):
        if c.remaining <= 0 or (team is not None and c.entry.team != team):
            continue
        last = c.last_payment or c.entry.date
        if last < stale_before:
            since = "paid last" if c.last_payment else "committed"
            out.append(Alert(W, "stale-commitment",
                             f"commitment {entry_name(c.entry)} ({c.entry.team}) {since} on {last}: no "
                             f"payment for more than {STALE_MONTHS} months, {fr(c.remaining)} still to pay"))

    # Payments without service fait.
    for e in ordered:
        if e.kind == "payment" and e.service_fait is None and (team is None or e.team == team):
            out.append(Alert(W, "payment-without-service-fait",
                             f"payment {e.id} of {fr(e.amount)} on {e.date} ({e.team}) has no "
                             "service fait date"))

    # Burn rate: the cap runs out within 45 days at the pace of the last 90 days.
    window_start = as_of - dt.timedelta(days=BURN_WINDOW_DAYS)
    recent_by_team: dict[str, Cents] = defaultdict(int)
    for e in ordered:
        if e.kind == "commitment" and window_start < e.date:
            recent_by_team[e.team] += e.amount
    for t in teams:
        recent = recent_by_team[t.team]
        headroom = t.available
        if recent > 0 and headroom > 0:
            days = Decimal(headroom) * BURN_WINDOW_DAYS / Decimal(recent)
            if days <= BURN_HORIZON_DAYS:
                out.append(Alert(W, "burn-rate",
                                 f"team {t.team} committed {fr(recent)} in the last {BURN_WINDOW_DAYS} "
                                 f"days; at that pace its {fr(headroom)} left under the cap last about "
                                 f"{int(days)} days: time to prepare the investment committee"))

    # The end approaching with open commitments.
    open_total = sum(c.remaining for c in state.commitments.values()
                     if team is None or c.entry.team == team)
    if 0 <= days_left <= END_WARNING_DAYS and open_total > 0:
        count = sum(1 for c in state.commitments.values() if c.remaining > 0
                    and (team is None or c.entry.team == team))
        out.append(Alert(W, "end-approaching",
                         f"the convention ends on {conv.period.end}, in {days_left} days, with "
                         f"{fr(open_total)} still to pay on {count} open commitment{'s' * (count != 1)}"))
    if days_left < 0 and open_total > 0:
        out.append(Alert(E, "ended-with-open-commitments",
                         f"the convention ended on {conv.period.end} with {fr(open_total)} still to pay"))
    return tuple(out)


def _after(day: dt.date, cutoff: str | None) -> bool:
    if cutoff is None:
        return False
    month, dom = int(cutoff[:2]), int(cutoff[3:])
    limit = dt.date(day.year, month, min(dom, month_end(f"{day.year:04d}-{month:02d}").day))
    return day > limit

