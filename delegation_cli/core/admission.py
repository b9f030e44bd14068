"""The admission rules: what a ledger entry must satisfy, against the replay's state.

This module owns the *contrôle de disponibilité*'s rules, each written once and used by
admission, ``check``, the report and the exports.  Each rule is a small function
``rule(state, entry)`` that reads the :class:`replay.Replay` (the running figures and the
limits in force on the entry's date) and returns an :class:`issues.Issue` — its problem code
and message — or None.  The lists say which rules an entry of each kind meets, and in which
order (the order of its problems when several fail):

* :data:`ENTRY_RULES`, every entry but a seal (a note meets only these);
* :data:`COMMITMENT_RULES`, :data:`PAYMENT_RULES`, :data:`RELEASE_RULES`,
  :data:`FORECAST_RULES` and :data:`SEAL_RULES`, gathered by kind in :data:`RULES`.

The rules only read: :meth:`replay.Replay.apply` applies those of the entry's kind, then
the entry's change to the state.  Limits are the convention's in force on the entry's date
(:meth:`model.Convention.limits_at`: avenants from their date on), less what an avenant
carries out of the year (:meth:`model.Convention.carried_out`).  No I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from .entries import Entry, entry_name
from .errors import Severity
from .i18n import N_, _, format_date
from .issues import INFORM, Issue, after_cutoff, carry_note, did_you_mean, threshold_crossed
from .kinds import kind_name
from .money import format_fr

if TYPE_CHECKING:
    from .model import Convention
    from .replay import Replay

_E, _W = Severity.ERROR, Severity.WARNING


def release_restores_ae(committed_year: int, release_year: int) -> bool:
    """Whether a release gives AE back: only within its commitment's own year (GBCP art. 160;
    credits are annual).  A release in a later year frees nothing: those AE are lost.  The
    replay, and so the report and the control, and the exports follow this one rule."""
    return committed_year == release_year

Rule = Callable[["Replay", Entry], "Issue | None"]
"""An admission rule: the state before the entry is applied, the entry; its issue or None."""


def _outside(state: Replay, entry: Entry, end: dt.date) -> Issue:
    return Issue(entry.line, _E, "date-outside-period",
                 _("{kind} dated {date} is outside the convention's period {start} – {end} (the "
                   "convention takes effect on {start})").format(
                     kind=kind_name(entry.kind), date=format_date(entry.date), start=format_date(state.start),
                     end=format_date(end)))


# Every entry -------------------------------------------------------------------------


def id_unique(state: Replay, entry: Entry) -> Issue | None:
    """No earlier entry has the same id."""
    if entry.id not in state.ids:
        return None
    return Issue(entry.line, _E, "id-duplicate",
                 _("id {id} is already used by another entry (expected unique ids)").format(id=entry.id))


def team_known(state: Replay, entry: Entry) -> Issue | None:
    """The team charged is one of the convention's, funded on the entry's date (a team an
    avenant adds is funded from the avenant's date on)."""
    team = entry.team
    if team in state.team_ids:
        joined = state.conv.team_joins.get(team)
        if joined is None or joined.date <= entry.date:
            return None
        return Issue(entry.line, _E, "team-not-yet-funded",
                     _("{team} is funded from avenant n° {number} of {date} on: a {kind} dated {entry_date} comes "
                       "before it").format(team=team, number=joined.number, date=format_date(joined.date),
                                           kind=kind_name(entry.kind), entry_date=format_date(entry.date)))
    teams = [t.id for t in state.conv.cast]
    return Issue(entry.line, _E, "team-unknown",
                 _("unknown team {team} ({did_you_mean}expected one of: {teams})").format(
                     team=repr(team), did_you_mean=did_you_mean(team, teams), teams=", ".join(teams)))


def dated_in_period(state: Replay, entry: Entry) -> Issue | None:
    """The entry is dated from the effective date to the end of the period."""
    return None if state.in_period else _outside(state, entry, state.end)


def dated_in_payment_period(state: Replay, entry: Entry) -> Issue | None:
    """A payment is dated from the effective date to the last payment date."""
    return None if state.in_payments else _outside(state, entry, state.pay_end)


# Commitments -------------------------------------------------------------------------


def marche_known(state: Replay, entry: Entry) -> Issue | None:
    """The marché ordered on, when given, is one of the convention's."""
    marche = entry.marche
    if marche is None or marche in state.marche_ids:
        return None
    return Issue(entry.line, _E, "marche-unknown",
                 _("unknown marché {marche} ({did_you_mean}expected one of: {known})").format(
                     marche=repr(marche), did_you_mean=did_you_mean(marche, state.marche_ids),
                     known=", ".join(sorted(state.marche_ids)) or _("none declared")))


def prestation_known(state: Replay, entry: Entry) -> Issue | None:
    """The prestation kind, when given, is one of the marchés'."""
    prestation = entry.prestation
    if prestation is None or prestation in state.marche_of:
        return None
    return Issue(entry.line, _E, "prestation-unknown",
                 _("unknown prestation kind {prestation} ({did_you_mean}expected one of: {known})").format(
                     prestation=repr(prestation), did_you_mean=did_you_mean(prestation, state.marche_of),
                     known=", ".join(sorted(state.marche_of)) or _("none declared")))


def prestation_on_its_marche(state: Replay, entry: Entry) -> Issue | None:
    """A known prestation kind ordered on a given marché is bought on that marché."""
    prestation, marche = entry.prestation, entry.marche
    owner = state.marche_of.get(prestation) if prestation is not None else None
    if owner is None or marche is None or owner == marche:
        return None
    return Issue(entry.line, _E, "prestation-marche-mismatch",
                 _("prestation {prestation} is bought on marché {owner}, not {marche}").format(
                     prestation=repr(prestation), owner=repr(owner), marche=repr(marche)))


def order_ref_unique(state: Replay, entry: Entry) -> Issue | None:
    """No earlier commitment has the same bon de commande (the first one keeps it)."""
    ref = entry.ref
    owner = state.commitment_refs.get(ref) if ref is not None else None
    if owner is None or owner is entry.id:
        return None
    return Issue(entry.line, _E, "ref-duplicate",
                 _("bon de commande {ref} is already recorded (commitment {commitment})").format(
                     ref=ref, commitment=owner))


def ej_unique(state: Replay, entry: Entry) -> Issue | None:
    """No earlier commitment has the same EJ number (Chorus's engagement juridique)."""
    ej = entry.ej
    owner = state.commitment_ejs.get(ej) if ej is not None else None
    if owner is None or owner is entry.id:
        return None
    return Issue(entry.line, _E, "ej-duplicate",
                 _("EJ {ej} is already recorded (commitment {commitment}): one engagement juridique per "
                   "commitment").format(ej=ej, commitment=owner))


def team_supported(state: Replay, entry: Entry) -> Issue | None:
    """No commitment for a team after the end of its support (its ``until`` in force)."""
    until = state.day_limits.until.get(entry.team)
    if until is None or entry.date <= until:
        return None
    return Issue(entry.line, _E, "team-ended",
                 _("{team}: the convention's support ended on {until}: no commitment for it after that date "
                   "(its payments and releases go on)").format(team=entry.team, until=format_date(until)))


def under_team_cap(state: Replay, entry: Entry) -> Issue | None:
    """A known team's net commitments stay within the cap in force for it (its own, else the
    common one), if any."""
    if not state.in_period:  # dated outside the period: that is the problem, not the credits
        return None
    team, amount = entry.team, entry.amount
    cap = state.day_limits.cap_of(team)
    if cap is None:
        return None
    before = state.team_net[team]
    after = before + amount
    if after <= cap or team not in state.team_ids:
        return None
    return Issue(entry.line, _E, "team-cap-exceeded",
                 _("{team}: commitment of {amount} takes the team to {after}, above its cap of {cap} "
                   "(available {available}, asked {amount}); {inform}").format(
                     team=team, amount=format_fr(amount), after=format_fr(after), cap=format_fr(cap),
                     available=format_fr(max(cap - before, 0)), inform=_(INFORM)))


def under_year_ae(state: Replay, entry: Entry) -> Issue | None:
    """The year's commitments stay within its AE in force, less what is carried out of it."""
    if not state.in_period:  # dated outside the period: that is the problem, not the credits
        return None
    year, amount, opened, carried = state.year, entry.amount, state.ae_opened, state.ae_carried
    before = state.ae_used[year]
    after = before + amount
    if after <= opened - carried:
        return None
    return Issue(entry.line, _E, "ae-exceeded",
                 _("{team}: commitment of {amount} takes AE {year} to {after}, above the {opened} opened "
                   "for {year}{carry_note} (available {available}, asked {amount}); {inform}").format(
                     team=entry.team, amount=format_fr(amount), year=year, after=format_fr(after),
                     opened=format_fr(opened), carry_note=carry_note(carried, year),
                     available=format_fr(max(opened - carried - before, 0)), inform=_(INFORM)))


def under_envelope(state: Replay, entry: Entry) -> Issue | None:
    """All net commitments stay within the envelope in force."""
    if not state.in_period:  # dated outside the period: that is the problem, not the credits
        return None
    envelope, amount = state.day_limits.total, entry.amount
    before = state.total_net
    after = before + amount
    if after <= envelope:
        return None
    return Issue(entry.line, _E, "envelope-exceeded",
                 _("{team}: commitment of {amount} takes the convention to {after}, above its envelope "
                   "of {envelope} (available {available}, asked {amount}); {inform}").format(
                     team=entry.team, amount=format_fr(amount), after=format_fr(after),
                     envelope=format_fr(envelope), available=format_fr(max(envelope - before, 0)),
                     inform=_(INFORM)))


def within_share(state: Replay, entry: Entry) -> Issue | None:
    """A warning when the team's commitments of the year go past its indicative share."""
    year = state.year
    share = state.shares.get(year)
    if share is None:
        return None
    before = state.team_year[(entry.team, year)]
    if not before <= share < before + entry.amount:
        return None
    return Issue(entry.line, _W, "share-exceeded",
                 _("{team} commits {amount} in {year}, above its indicative share of {share} for the "
                   "year").format(team=entry.team, amount=format_fr(before + entry.amount), year=year,
                                  share=format_fr(share)))


def team_cap_threshold(state: Replay, entry: Entry) -> Issue | None:
    """For new entries, a warning when the team's net commitments cross an alert threshold of its cap."""
    cap = state.day_limits.cap_of(entry.team)
    if not state.thresholds or cap is None:
        return None
    before = state.team_net[entry.team]
    return threshold_crossed(entry, state.conv.reporting.alert_thresholds,
                             N_("{team} cap"), before, before + entry.amount, cap, team=entry.team)


def year_ae_threshold(state: Replay, entry: Entry) -> Issue | None:
    """For new entries, a warning when the year's commitments cross an alert threshold of its AE."""
    if not state.thresholds:
        return None
    year = state.year
    before = state.ae_used[year]
    opened = state.ae_opened - state.ae_carried
    return threshold_crossed(entry, state.conv.reporting.alert_thresholds,
                             N_("AE {year}"), before, before + entry.amount, opened, year=year)


def envelope_threshold(state: Replay, entry: Entry) -> Issue | None:
    """For new entries, a warning when net commitments cross an alert threshold of the envelope."""
    if not state.thresholds:
        return None
    before = state.total_net
    return threshold_crossed(entry, state.conv.reporting.alert_thresholds,
                             N_("envelope"), before, before + entry.amount, state.day_limits.total)


def committed_before_cutoff(state: Replay, entry: Entry) -> Issue | None:
    """A warning for a commitment dated after the year's commitments cut-off."""
    return after_cutoff(entry, state.cutoffs.commitments, N_(
        "{kind} dated {date} is after the commitments cut-off of {limit} for {year}; it may not be "
        "processed this year"))


# Payments and releases ---------------------------------------------------------------
# Each names its commitment by id; until that commitment is applied, the rules on it have
# nothing to say (the replay keeps the entry waiting: ``commitment-unknown`` or
# ``payment-before-commitment`` then).


def charged_to_its_team(state: Replay, entry: Entry) -> Issue | None:
    """A payment or release is charged to the team of its commitment."""
    commitment = state.commitments.get(entry.commitment or "")
    if commitment is None or commitment.team == entry.team:
        return None
    return Issue(entry.line, _E, "team-mismatch",
                 _("{kind} is charged to {team} but commitment {commitment} belongs to {owner}").format(
                     kind=kind_name(entry.kind), team=entry.team, commitment=entry.commitment, owner=commitment.team))


def paid_within_remaining(state: Replay, entry: Entry) -> Issue | None:
    """A payment stays within its commitment's reste à payer."""
    commitment, amount = state.commitments.get(entry.commitment or ""), entry.amount
    if commitment is None:
        return None
    remaining = commitment.amount - commitment.released - commitment.paid
    if amount <= remaining:
        return None
    return Issue(entry.line, _E, "payment-exceeds-remaining",
                 _("payment of {amount} on {commitment} exceeds its reste à payer of {remaining} "
                   "(committed {committed}, released {released}, paid {paid}; {excess} too much)").format(
                     amount=format_fr(amount), commitment=entry_name(commitment), remaining=format_fr(remaining),
                     committed=format_fr(commitment.amount), released=format_fr(commitment.released),
                     paid=format_fr(commitment.paid), excess=format_fr(amount - remaining)))


def service_fait_after_commitment(state: Replay, entry: Entry) -> Issue | None:
    """The service fait, when given, is not dated before the commitment."""
    commitment, service_fait = state.commitments.get(entry.commitment or ""), entry.service_fait
    if commitment is None or service_fait is None or service_fait >= commitment.date:
        return None
    return Issue(entry.line, _E, "service-fait-before-commitment",
                 _("service fait on {service_fait} precedes the commitment {commitment} dated "
                   "{date}").format(service_fait=format_date(service_fait), commitment=entry_name(commitment),
                                    date=format_date(commitment.date)))


def service_fait_before_payment(state: Replay, entry: Entry) -> Issue | None:
    """A payment has a service fait (else a warning), dated on or before the payment."""
    service_fait = entry.service_fait
    if service_fait is None:
        return Issue(entry.line, _W, "payment-without-service-fait",
                     _("payment of {amount} has no service fait date (--service-fait)").format(
                         amount=format_fr(entry.amount)))
    if service_fait <= entry.date:
        return None
    return Issue(entry.line, _E, "service-fait-after-payment",
                 _("service fait on {service_fait} is after the payment dated {date} (a payment "
                   "follows the service fait)").format(service_fait=format_date(service_fait),
                                                       date=format_date(entry.date)))


def payment_ref_unique(state: Replay, entry: Entry) -> Issue | None:
    """No earlier payment has the same demande de paiement."""
    ref = entry.ref
    if ref is None or ref not in state.payment_refs:
        return None
    return Issue(entry.line, _E, "ref-duplicate", _("demande de paiement {ref} is already recorded").format(ref=ref))


def under_year_cp(state: Replay, entry: Entry) -> Issue | None:
    """The year's payments stay within its CP in force, less what is carried out of it."""
    if not state.in_payments:  # dated outside the period: that is the problem, not the credits
        return None
    year, amount, opened, carried = state.year, entry.amount, state.cp_opened, state.cp_carried
    before = state.cp_used[year]
    after = before + amount
    if after <= opened - carried:
        return None
    return Issue(entry.line, _E, "cp-exceeded",
                 _("payment of {amount} takes CP {year} to {after}, above the {opened} opened for "
                   "{year}{carry_note} (available {available}, asked {amount}); {inform}").format(
                     amount=format_fr(amount), year=year, after=format_fr(after), opened=format_fr(opened),
                     carry_note=carry_note(carried, year),
                     available=format_fr(max(opened - carried - before, 0)), inform=_(INFORM)))


def year_cp_threshold(state: Replay, entry: Entry) -> Issue | None:
    """For new entries, a warning when the year's payments cross an alert threshold of its CP."""
    if not state.thresholds:
        return None
    year = state.year
    before = state.cp_used[year]
    opened = state.cp_opened - state.cp_carried
    return threshold_crossed(entry, state.conv.reporting.alert_thresholds,
                             N_("CP {year}"), before, before + entry.amount, opened, year=year)


def paid_before_cutoff(state: Replay, entry: Entry) -> Issue | None:
    """A warning for a payment dated after the year's payments cut-off."""
    return after_cutoff(entry, state.cutoffs.payments, N_(
        "{kind} dated {date} is after the payments cut-off of {limit} for {year}; it may not be "
        "processed this year"))


def released_within_remaining(state: Replay, entry: Entry) -> Issue | None:
    """A release stays within its commitment's reste à payer."""
    commitment, amount = state.commitments.get(entry.commitment or ""), entry.amount
    if commitment is None or amount <= commitment.remaining:
        return None
    return Issue(entry.line, _E, "release-exceeds-remaining",
                 _("release of {amount} on {commitment} exceeds its reste à payer of {remaining} "
                   "(committed {committed}, released {released}, paid {paid})").format(
                     amount=format_fr(amount), commitment=entry_name(commitment),
                     remaining=format_fr(commitment.remaining), committed=format_fr(commitment.amount),
                     released=format_fr(commitment.released), paid=format_fr(commitment.paid)))


# Forecasts ---------------------------------------------------------------------------


def forecast_month_in_period(state: Replay, entry: Entry) -> Issue | None:
    """A forecast's month is one of the convention's months."""
    first, last = state.months
    if first <= (entry.month or "") <= last:
        return None
    return Issue(entry.line, _E, "forecast-outside-period",
                 _("forecast for {month} is outside the convention's months {first} – {last}").format(
                     month=entry.month, first=first, last=last))


def forecast_month_to_come(state: Replay, entry: Entry) -> Issue | None:
    """A forecast plans a month not over at its date (its own month or a later one)."""
    month = entry.month or ""
    if month >= f"{entry.date.year:04d}-{entry.date.month:02d}":
        return None
    return Issue(entry.line, _E, "forecast-past-month",
                 _("forecast for {month} dated {date}: that month is over (a forecast plans the month of its "
                   "date or a later one; record what happened instead)").format(
                     month=month, date=format_date(entry.date)))


# The lists, in the order of the problems ---------------------------------------------

SEAL_RULES: tuple[Rule, ...] = (id_unique,)
"""A seal consumes nothing (``seal.py`` checks its hashes)."""

ENTRY_RULES: tuple[Rule, ...] = (id_unique, team_known, dated_in_period)
"""Every entry but a seal; all that a note meets."""

COMMITMENT_RULES: tuple[Rule, ...] = (
    *ENTRY_RULES,
    marche_known,
    prestation_known,
    prestation_on_its_marche,
    order_ref_unique,
    ej_unique,
    team_supported,
    under_team_cap,
    under_year_ae,
    under_envelope,
    within_share,
    team_cap_threshold,
    year_ae_threshold,
    envelope_threshold,
    committed_before_cutoff,
)
"""A commitment: what it is ordered on and its bon de commande, the limits it consumes (team
cap, the year's AE, the envelope), then the warnings."""

PAYMENT_RULES: tuple[Rule, ...] = (
    id_unique,
    team_known,
    dated_in_payment_period,
    charged_to_its_team,
    paid_within_remaining,
    service_fait_after_commitment,
    service_fait_before_payment,
    payment_ref_unique,
    under_year_cp,
    year_cp_threshold,
    paid_before_cutoff,
)
"""A payment: dated up to the last payment date (not the period's end), within its
commitment, after its service fait, its demande de paiement, the year's CP, then the warnings."""

RELEASE_RULES: tuple[Rule, ...] = (*ENTRY_RULES, charged_to_its_team, released_within_remaining)
"""A release: within its commitment's reste à payer."""

FORECAST_RULES: tuple[Rule, ...] = (*ENTRY_RULES, forecast_month_in_period, forecast_month_to_come)
"""A forecast: its month inside the convention's, not over at its date."""

from .corrections import CANCEL_RULES, SERVICE_FAIT_RULES  # noqa: E402  (they reuse the rules above)

RULES: dict[str, tuple[Rule, ...]] = {
    "commitment": COMMITMENT_RULES,
    "payment": PAYMENT_RULES,
    "release": RELEASE_RULES,
    "forecast": FORECAST_RULES,
    "note": ENTRY_RULES,
    "cancel": CANCEL_RULES,
    "service-fait": SERVICE_FAIT_RULES,
    "seal": SEAL_RULES,
}
"""The rules of each kind of entry (any other kind meets :data:`ENTRY_RULES`)."""


def rules_for(conv: Convention, *, thresholds: bool) -> dict[str, tuple[Rule, ...]]:
    """:data:`RULES` less the warnings that cannot fire in a replay of ``conv`` (they would
    return None for every entry): the threshold ones unless ``thresholds``, the cut-off ones
    without the cut-off, the share one without any share.  A replay calls the rules of every
    line it reads: this leaves out calls, not problems."""
    idle: set[Rule] = set()
    if not thresholds:
        idle.update((team_cap_threshold, year_ae_threshold, envelope_threshold, year_cp_threshold))
    if conv.reporting.cutoffs.commitments is None:
        idle.add(committed_before_cutoff)
    if conv.reporting.cutoffs.payments is None:
        idle.add(paid_before_cutoff)
    if all(year.ae_per_team is None for year in conv.budget.schedule):
        idle.add(within_share)
    return {kind: tuple(rule for rule in rules if rule not in idle) for kind, rules in RULES.items()}
