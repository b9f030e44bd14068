"""The alerts of the monthly report: one small rule each, in the order they are listed.

This module owns what the report warns about — thresholds passed, forecasts beyond the credits
still available, credits likely to stay unused, commitments without payment for months,
payments without a service fait date, a cap about to run out, the convention's end with
commitments still to pay — and which of those alerts article 5 of the convention requires the
délégataire to pass on to the délégant (:data:`INFORM_SHORT`, :data:`INFORM_UNUSED_CODES`).
Each rule reads a :class:`Context` (the report's figures and what the read pass saw) and
returns its :class:`figures.Alert` values; :func:`in_severity_order` is the order every
rendering lists them in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..core.avenants import Limits
from ..core.entries import chorus_name, month_end
from ..core.errors import Problem, Severity
from ..core.i18n import N_, _, format_date, ngettext
from ..core.issues import INFORM_NOW, INFORM_UNUSED, cutoff_date, percent_label
from ..core.model import Convention
from ..core.money import Cents, format_fr, format_percent, ratio_reached
from ..core.replay import CommitmentState, Replay
from ..store.book import Seen
from .figures import Alert, TeamLanding, TeamLine, Totals, YearLanding, YearLine

STALE_MONTHS = 4
BURN_WINDOW_DAYS = 90
BURN_HORIZON_DAYS = 45
END_WARNING_DAYS = 60
INFORM_SHORT = ("forecast-exceeds-ae", "forecast-exceeds-cp", "forecast-exceeds-cap")
"""Alerts of credits running short: article 5 has the délégataire inform the délégant at once."""
INFORM_UNUSED_CODES = ("unused-ae", "unused-cp", "unused-envelope")
"""Alerts of credits likely to stay unused: the délégataire undertakes to inform the délégant."""
INFORM_TERM = ("ended-with-open-commitments",)
"""The reste à payer at the convention's term: the account art. 5 asks for at its term."""
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
"""The order alerts are listed in: errors first."""


def in_severity_order(alerts: Iterable[Alert]) -> list[Alert]:
    """The alerts as every rendering lists them: errors, then warnings, then information, each
    in the order the rules gave them."""
    return sorted(alerts, key=lambda a: SEVERITY_ORDER[a.severity])


def informing(alerts: Iterable[Alert]) -> list[Alert]:
    """The alerts article 5 requires passing on to the délégant, in their order."""
    return [a for a in alerts if a.code in INFORM_SHORT + INFORM_UNUSED_CODES + INFORM_TERM]


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, mon = divmod(index, 12)
    last = month_end(f"{year:04d}-{mon + 1:02d}").day
    return dt.date(year, mon + 1, min(day.day, last))


@dataclass(frozen=True)
class Context:
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

    def team_name(self, team: str) -> str:
        """How documents name a team: its label, else its name (its id for an unknown one)."""
        return next((t.label or t.name for t in self.conv.cast if t.id == team), team)

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


def ledger_errors(r: Context) -> list[Alert]:
    """A ledger that breaks a rule (shown with ``--allow-invalid``): figures may be wrong."""
    return [Alert(_E, f"ledger-{p.code}", p.render()) for p in r.errors]


def thresholds_reached(r: Context) -> list[Alert]:
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
            threshold(_("team {team} cap").format(team=r.team_name(t.team)), t.ae_committed, t.cap)
    current = r.current
    if current is not None:
        threshold(f"AE {current.year}", current.ae_committed, current.ae_usable)
        threshold(f"CP {current.year}", current.cp_paid, current.cp_usable)
    threshold(_("envelope"), r.totals.committed, r.totals.envelope)
    return out


def forecasts_beyond_credits(r: Context) -> list[Alert]:
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
                      "({short} short)").format(team=r.team_name(tl.team), forecast=fr(tl.ae_forecast), left=fr(left),
                                                short=fr(tl.ae_forecast - left))
            out.append(Alert(_W, "forecast-exceeds-cap", _informing(facts, INFORM_NOW), facts))
    return out


def credits_likely_unused(r: Context) -> list[Alert]:
    """Late in the year (or after a cut-off), AE or CP the forecasts will not consume; near
    the convention's end, an envelope not committed."""
    out: list[Alert] = []
    current, as_of, cutoffs = r.current, r.as_of, r.conv.reporting.cutoffs
    if current is not None:
        landing = next(la for la in r.landings if la.year == current.year)
        # Late in a year, credits left can still be carried over by an avenant; in the
        # convention's last year they are lost at its term: say so as soon as the landing shows them.
        late = as_of.month >= 11 or current.year == r.conv.period.end.year
        at_term = r.days_left <= 0
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
                if at_term:  # the term: nothing can consume them any more
                    text = (N_("{unused} of AE {year} were not consumed at the term of the convention, definitively "
                               "({usable} opened, {consumed} committed)") if kind == "ae" else
                            N_("{unused} of CP {year} were not consumed at the term of the convention, definitively "
                               "({usable} opened, {consumed} paid)"))
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


def stale_commitments(r: Context) -> list[Alert]:
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
                name=chorus_name("commitment", c.id, c.ref, c.ej), team=r.team_name(c.team), date=format_date(last),
                months=STALE_MONTHS, remaining=fr(c.remaining))))
    return out


def payments_without_service_fait(r: Context) -> list[Alert]:
    """Payments recorded without a service fait date."""
    return [Alert(_W, "payment-without-service-fait",
                  _("payment {id} of {amount} on {date} ({team}) has no service fait date").format(
                      id=chorus_name("payment", e.id, e.ref), amount=fr(e.amount), date=format_date(e.date),
                      team=r.team_name(e.team)))
            for e in r.seen.unsupported if r.mine(e.team)]


def burn_rate(r: Context) -> list[Alert]:
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
                        team=r.team_name(t.team), recent=fr(recent), window=BURN_WINDOW_DAYS, headroom=fr(headroom),
                        days=int(days))))
    return out


def end_with_open_commitments(r: Context) -> list[Alert]:
    """The convention's end approaching, or past, with commitments still to pay."""
    open_now = r.open_commitments()
    open_total = sum(c.remaining for c in open_now)
    days_left, end = r.days_left, r.conv.period.end
    if open_total <= 0:
        return []
    count = len(open_now)
    if days_left <= 0:  # on its last day or after, the convention is at its term
        listed = _("; ").join(_("{name} ({team}) {remaining}").format(
            name=chorus_name("commitment", c.id, c.ref, c.ej), team=r.team_name(c.team), remaining=fr(c.remaining))
            for c in open_now)
        facts = ngettext(
            "at the term of the convention ({end}), {remaining} remain to pay on {count} open commitment: {listed}",
            "at the term of the convention ({end}), {remaining} remain to pay on {count} open commitments: {listed}",
            count).format(end=format_date(end), remaining=fr(open_total), count=count, listed=listed)
        return [Alert(_E, "ended-with-open-commitments", facts, facts)]
    if days_left <= END_WARNING_DAYS:
        return [Alert(_W, "end-approaching", ngettext(
            "the convention ends on {end}, in {days} days, with {remaining} still to pay on {count} open commitment",
            "the convention ends on {end}, in {days} days, with {remaining} still to pay on {count} open commitments",
            count).format(end=format_date(end), days=days_left, remaining=fr(open_total), count=count))]
    return []


ALERTS = (ledger_errors, thresholds_reached, forecasts_beyond_credits, credits_likely_unused, stale_commitments,
          payments_without_service_fait, burn_rate, end_with_open_commitments)
"""The alert rules of the report, in the order their alerts are listed."""


def alerts_of(context: Context) -> tuple[Alert, ...]:
    """Every alert of the report, rule after rule (:data:`ALERTS`)."""
    return tuple(alert for rule in ALERTS for alert in rule(context))
