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
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.avenants import Limits
from ..core.entries import Entry, entry_name, month_end
from ..core.errors import Problem, Severity
from ..core.i18n import N_, _, format_date, ngettext
from ..core.issues import INFORM_NOW, INFORM_UNUSED, cutoff_date, percent_label
from ..core.model import Convention
from ..core.money import Cents, format_fr, format_percent, ratio_reached
from ..core.replay import CommitmentState, Replay
from ..store.book import Book, Seen, Window

STALE_MONTHS = 4
BURN_WINDOW_DAYS = 90
BURN_HORIZON_DAYS = 45
END_WARNING_DAYS = 60
SEAL_CODES = ("seal-", "sealed-", "closed-month")
"""Codes of the problems that break the chain of seals (``seal.py``)."""


@dataclass(frozen=True)
class TeamLine:
    """One team's situation at the report date."""

    team: str
    name: str
    cap: Cents | None
    ae_month: Cents
    ae_committed: Cents
    cp_month: Cents
    cp_paid: Cents
    remaining: Cents
    year: int
    share: Cents | None
    committed_year: Cents

    @property
    def available(self) -> Cents | None:
        """Headroom under the cap (None: the convention caps no team)."""
        return None if self.cap is None else self.cap - self.ae_committed


@dataclass(frozen=True)
class CpOnAe:
    """*Suivi des crédits de paiement associés à la consommation des AE* for one year.

    E1 AE opened; E2 AE committed; P1 CP opened; P2 CP consumed; P3 CP consumed on earlier
    years' commitments; P4 CP consumed on the year's commitments; R1 earlier years'
    commitments not covered by payments at 31 December of the previous year; R2 releases of
    those commitments during the year (negative); R3 = R1 + R2; R4 = R3 − P3; R5 = E2 − P4;
    R6 = R4 + R5; P5 the CP forecast for the months of the next year, as recorded up to 31
    December (up to the report's date for the current year), never above R6: what of the
    uncovered commitments is expected to be paid next year.
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
    LABELS = {  # the State's own wording (RAP/PLR table), kept in French in every language
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
        "P5": "Estimation des CP de l'année suivante sur engagements non couverts "
              "(prévisions de paiement enregistrées au 31/12, au plus R6)",
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
        """Opened, less what an avenant carries over to the next year (:meth:`Convention.carried_out`)."""
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
    entry: CommitmentState
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
    cap: Cents | None
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
    """One alert: ``message`` as listed; ``facts`` the same without what art. 5 requires
    (the synthèse's paragraph to the délégant states that once)."""

    severity: Severity
    code: str
    message: str
    facts: str = ""


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
    sent with the report, anchors the ledger's history outside the file.  None when the seal
    chain is broken: nothing is then claimed closed."""
    invalid: tuple[Problem, ...] = ()
    """The ledger's errors, when it is rendered anyway (``--allow-invalid``)."""
    ae_monthly: Mapping[tuple[int, int], Cents] = field(default_factory=dict)
    """Per (year, month) up to the report's date: commitments net of same-year releases
    (all teams), for the month-by-month AE curve."""
    cp_monthly: Mapping[tuple[int, int], Cents] = field(default_factory=dict)
    """Per (year, month) up to the report's date: payments (all teams)."""
    language: str = "fr"
    """The language its texts are written in, and every rendering of it (``i18n.using``)."""


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


def report_as_of(conv: Convention, month: str, *, final: bool) -> dt.date:
    """The day a report's figures are as of: the month's last day (for the final report, not
    before the last day payments are allowed)."""
    as_of = month_end(month)
    return max(as_of, conv.payments_until) if final else as_of


def alerting(report: MonthlyReport) -> bool:
    """Whether the report carries an alert of severity warning or error."""
    return any(a.severity in (Severity.WARNING, Severity.ERROR) for a in report.alerts)


def report_window(conv: Convention, month: str, *, final: bool) -> Window:
    """What the report of ``month`` needs from the read pass: the figures as of its day, and
    the entries of the month and of the burn-rate window before it."""
    as_of = report_as_of(conv, month, final=final)
    first_day = month_end(month).replace(day=1)
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
                  for t in conv.teams if keep(t.id))
    years = tuple(_year_line(state, limits, y, seen) for y in conv.years)
    remaining = sum(c.remaining for c in state.commitments.values())
    totals = Totals(limits.total, state.total_net, state.total_paid, remaining)
    marches, prestations = _splits(conv, state, team)
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
        OpenCommitment(c, c.paid, c.released, c.remaining, (as_of - c.date).days)
        for c in sorted(state.commitments.values(), key=lambda c: (c.date, c.line))
        if c.remaining > 0 and keep(c.team))
    unused = tuple(Unused(y.year, y.ae_available, y.cp_available) for y in years)
    context = _Context(conv, state, seen, book.errors, limits, as_of, month, team, teams, years, totals,
                       year_landings, team_landings)
    alerts = tuple(alert for rule in ALERTS for alert in rule(context))
    errors = tuple(book.errors)
    seals_broken = any(p.code.startswith(SEAL_CODES) for p in errors)
    return MonthlyReport(conv, month, as_of, final, team, seen.counted, limits, teams, years,
                         totals, marches, prestations, movements, notes, coming, year_landings,
                         team_landings, open_commitments, unused, alerts,
                         None if seals_broken else seen.last_seal, errors,
                         dict(state.ae_monthly), dict(state.cp_monthly), language)


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


def _year_line(state: Replay, limits: Limits, year: int, seen: Seen) -> YearLine:
    p2 = state.cp_used.get(year, 0)
    p4 = state.paid_on.get((year, year), 0)
    r2 = -sum(amount for (cy, y), amount in state.released_on.items() if y == year and cy < year)
    # Earlier years' commitments not covered at 31 December of the previous year.
    r1 = sum(amount for cy, amount in state.committed_in.items() if cy < year)
    r1 -= sum(amount for (cy, y), amount in (*state.paid_on.items(), *state.released_on.items())
              if cy < year and y < year)
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
    return YearLine(year, limits.ae.get(year, 0), e2, state.released_other_year.get(year, 0),
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


def _year_landing(year: YearLine, forecasts: list[Entry], month: str) -> YearLanding:
    later = [f for f in forecasts if (f.month or "") > month and (f.month or "")[:4] == str(year.year)]
    return YearLanding(year.year, year.ae_usable, year.ae_committed,
                       sum(f.amount for f in later if f.forecast_type == "ae"),
                       year.cp_usable, year.cp_paid,
                       sum(f.amount for f in later if f.forecast_type == "cp"))


# --------------------------------------------------------------------------------------
# Alerts: one small rule each, in the order they are listed
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the alert rules read: the report's figures and what the read pass saw."""

    conv: Convention
    state: Replay
    seen: Seen
    errors: list[Problem]
    limits: Limits
    as_of: dt.date
    month: str
    team: str | None
    teams: tuple[TeamLine, ...]
    years: tuple[YearLine, ...]
    totals: Totals
    landings: tuple[YearLanding, ...]
    team_landings: tuple[TeamLanding, ...]

    @property
    def current(self) -> YearLine | None:
        return next((y for y in self.years if y.year == self.as_of.year), None)

    def mine(self, team: str) -> bool:
        return self.team is None or team == self.team

    @property
    def days_left(self) -> int:
        return (self.conv.period.end - self.as_of).days

    def open_commitments(self) -> list[CommitmentState]:
        return sorted((c for c in self.state.commitments.values() if c.remaining > 0 and self.mine(c.team)),
                      key=lambda c: (c.date, c.line))


_E, _W, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
fr = format_fr


def _informing(facts: str, inform: str) -> str:
    """An alert's facts, then what art. 5 requires (``inform``, an ``N_`` text of budget)."""
    return _("{facts}: {inform}").format(facts=facts, inform=_(inform))


def ledger_errors(r: _Context) -> list[Alert]:
    """A ledger that breaks a rule (shown with ``--allow-invalid``): figures may be wrong."""
    return [Alert(_E, f"ledger-{p.code}", p.render()) for p in r.errors]


def thresholds_reached(r: _Context) -> list[Alert]:
    """A team's cap, the year's AE or CP, or the envelope consumed past a threshold."""
    out: list[Alert] = []
    thresholds = sorted(r.conv.reporting.alert_thresholds)

    def threshold(what: str, used: Cents, limit: Cents) -> None:
        reached = [t for t in thresholds if ratio_reached(used, limit, t)]
        if not reached or limit <= 0:
            return
        top = reached[-1]
        out.append(Alert(_W if top == thresholds[-1] else _INFO, "threshold",
                         _("{what}: {rate} consumed ({used} of {limit}), past the {threshold} threshold").format(
                             what=what, rate=format_percent(used, limit), used=fr(used), limit=fr(limit),
                             threshold=percent_label(top))))

    for t in r.teams:
        if t.cap is not None:
            threshold(_("team {team} cap").format(team=t.team), t.ae_committed, t.cap)
    current = r.current
    if current is not None:
        threshold(f"AE {current.year}", current.ae_committed, current.ae_usable)
        threshold(f"CP {current.year}", current.cp_paid, current.cp_usable)
    threshold(_("envelope"), r.totals.committed, r.totals.envelope)
    return out


def forecasts_beyond_credits(r: _Context) -> list[Alert]:
    """Forecast orders or payments above what is still available: credits will run short."""
    out: list[Alert] = []
    for landing, line in zip(r.landings, r.years, strict=True):
        if landing.year < r.as_of.year:
            continue
        for kind, forecast, available, what in (
            ("ae", landing.ae_forecast, line.ae_available,
             N_("forecast orders of {forecast} in {year} exceed the {left} of AE {year} still available "
                "({short} short)")),
            ("cp", landing.cp_forecast, line.cp_available,
             N_("forecast payments of {forecast} in {year} exceed the {left} of CP {year} still available "
                "({short} short)")),
        ):
            left = max(available, 0)
            if forecast > left:
                facts = _(what).format(forecast=fr(forecast), year=landing.year, left=fr(left),
                                       short=fr(forecast - left))
                out.append(Alert(_W, f"forecast-exceeds-{kind}", _informing(facts, INFORM_NOW), facts))
    for tl in r.team_landings:
        if tl.cap is None:
            continue
        left = max(tl.cap - tl.committed, 0)
        if tl.ae_forecast > left:
            facts = _("team {team}: forecast orders of {forecast} exceed its {left} left under the cap "
                      "({short} short)").format(team=tl.team, forecast=fr(tl.ae_forecast), left=fr(left),
                                                short=fr(tl.ae_forecast - left))
            out.append(Alert(_W, "forecast-exceeds-cap", _informing(facts, INFORM_NOW), facts))
    return out


def credits_likely_unused(r: _Context) -> list[Alert]:
    """Late in the year (or after a cut-off), AE or CP the forecasts will not consume; near
    the convention's end, an envelope not committed."""
    out: list[Alert] = []
    current, as_of, cutoffs = r.current, r.as_of, r.conv.reporting.cutoffs
    if current is not None:
        landing = next(la for la in r.landings if la.year == current.year)
        late = as_of.month >= 11
        for kind, usable, consumed, forecast, cutoff, text in (
            ("ae", current.ae_usable, current.ae_committed, landing.ae_forecast, cutoffs.commitments,
             N_("{unused} of AE {year} are likely to remain unconsumed at year end ({usable} opened, "
                "{consumed} committed, {forecast} forecast)")),
            ("cp", current.cp_usable, current.cp_paid, landing.cp_forecast, cutoffs.payments,
             N_("{unused} of CP {year} are likely to remain unconsumed at year end ({usable} opened, "
                "{consumed} paid, {forecast} forecast)")),
        ):
            unused = usable - consumed - forecast
            limit = cutoff_date(cutoff, as_of.year)
            if (late or (limit is not None and as_of > limit)) and unused > 0:
                facts = _(text).format(unused=fr(unused), year=current.year, usable=fr(usable),
                                       consumed=fr(consumed), forecast=fr(forecast))
                out.append(Alert(_W, f"unused-{kind}", _informing(facts, INFORM_UNUSED), facts))
    days_left = r.days_left
    if days_left <= END_WARNING_DAYS and r.totals.ae_available > 0:
        if days_left <= 0:
            facts = _("{available} of the {envelope} envelope are not committed at the convention's end")
        else:
            facts = _("{available} of the {envelope} envelope are not committed by the convention's end on {end}")
        facts = facts.format(available=fr(r.totals.ae_available), envelope=fr(r.totals.envelope),
                             end=format_date(r.conv.period.end))
        out.append(Alert(_W, "unused-envelope", _informing(facts, INFORM_UNUSED), facts))
    return out


def stale_commitments(r: _Context) -> list[Alert]:
    """Commitments without a payment for more than four months."""
    stale_before = add_months(r.as_of, -STALE_MONTHS)
    out: list[Alert] = []
    for c in r.open_commitments():
        last = c.last_payment or c.date
        if last < stale_before:
            text = (_("commitment {name} ({team}) paid last on {date}: no payment for more than {months} months, "
                      "{remaining} still to pay") if c.last_payment else
                    _("commitment {name} ({team}) committed on {date}: no payment for more than {months} months, "
                      "{remaining} still to pay"))
            out.append(Alert(_W, "stale-commitment", text.format(
                name=entry_name(c), team=c.team, date=format_date(last), months=STALE_MONTHS,
                remaining=fr(c.remaining))))
    return out


def payments_without_service_fait(r: _Context) -> list[Alert]:
    """Payments recorded without a service fait date."""
    return [Alert(_W, "payment-without-service-fait",
                  _("payment {id} of {amount} on {date} ({team}) has no service fait date").format(
                      id=e.id, amount=fr(e.amount), date=format_date(e.date), team=e.team))
            for e in r.seen.unsupported if r.mine(e.team)]


def burn_rate(r: _Context) -> list[Alert]:
    """At the pace of the last 90 days, a team's cap runs out within 45 days."""
    window_start = r.as_of - dt.timedelta(days=BURN_WINDOW_DAYS)
    recent_by_team: dict[str, Cents] = defaultdict(int)
    for e in r.seen.recent:
        if e.kind == "commitment" and window_start < e.date:
            recent_by_team[e.team] += e.amount
    out: list[Alert] = []
    for t in r.teams:
        recent, headroom = recent_by_team[t.team], t.available
        if headroom is not None and recent > 0 and headroom > 0:
            days = Decimal(headroom) * BURN_WINDOW_DAYS / Decimal(recent)
            if days <= BURN_HORIZON_DAYS:
                out.append(Alert(_W, "burn-rate", _(
                    "team {team} committed {recent} in the last {window} days; at that pace its {headroom} left "
                    "under the cap last about {days} days: time to prepare the investment committee").format(
                        team=t.team, recent=fr(recent), window=BURN_WINDOW_DAYS, headroom=fr(headroom),
                        days=int(days))))
    return out


def end_with_open_commitments(r: _Context) -> list[Alert]:
    """The convention's end approaching, or past, with commitments still to pay."""
    open_now = r.open_commitments()
    open_total = sum(c.remaining for c in open_now)
    days_left, end = r.days_left, r.conv.period.end
    if open_total <= 0:
        return []
    if 0 <= days_left <= END_WARNING_DAYS:
        count = len(open_now)
        return [Alert(_W, "end-approaching", ngettext(
            "the convention ends on {end}, in {days} days, with {remaining} still to pay on {count} open commitment",
            "the convention ends on {end}, in {days} days, with {remaining} still to pay on {count} open commitments",
            count).format(end=format_date(end), days=days_left, remaining=fr(open_total), count=count))]
    if days_left < 0:
        return [Alert(_E, "ended-with-open-commitments",
                      _("the convention ended on {end} with {remaining} still to pay").format(
                          end=format_date(end), remaining=fr(open_total)))]
    return []


ALERTS = (ledger_errors, thresholds_reached, forecasts_beyond_credits, credits_likely_unused, stale_commitments,
          payments_without_service_fait, burn_rate, end_with_open_commitments)
"""The alert rules of the report, in the order their alerts are listed."""
