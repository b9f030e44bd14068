"""Corrections: the entries that mend an earlier one, never rewriting it.

This module owns the two kinds that name an earlier entry (``Entry.target``) and what they
do to the replay:

* a **cancellation** (``cancel``, *annulation*) cancels one commitment, payment, release,
  forecast or note as of its own date, with its reason (the label).  The figures move as if
  the entry were reversed on that date, by the year rules of releases (credits are annual:
  a commitment or a payment of an earlier year cancelled later gives back no AE or CP of that
  year); the references the entry held (bon de commande, demande de paiement) are free again;
  the problems found on the entry itself are mended (a commitment over a limit, recorded by
  mistake or brought by a merge, no longer makes the ledger invalid once cancelled).  A
  commitment is cancelled only once nothing stands on it: its payments and releases are
  cancelled first.
* a **service fait recorded later** (``service-fait``) gives a payment recorded without one
  its service-fait date; the payment's warning is mended from then on.

Each rule is a small function ``rule(state, entry)`` as in :mod:`admission`, gathered in
:data:`CANCEL_RULES` and :data:`SERVICE_FAIT_RULES`; :func:`apply_cancel` and
:func:`apply_service_fait` make the change once the rules are run.  No I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .admission import (
    dated_in_payment_period,
    id_unique,
    release_restores_ae,
    team_known,
    under_envelope,
    under_team_cap,
    under_year_ae,
)
from .entries import Entry, entry_name
from .errors import Severity
from .i18n import _, format_date
from .issues import Issue
from .kinds import CANCELLABLE, kind_name
from .money import format_fr

if TYPE_CHECKING:
    from .replay import CommitmentState, Replay

_E, _W = Severity.ERROR, Severity.WARNING


def _known(state: Replay, entry: Entry) -> Entry | None:
    """The entry ``entry`` names, when it is applied before it (in date order)."""
    return state.kept.get(entry.target or "")


def _unknown(entry: Entry, code: str) -> Issue:
    return Issue(entry.line, _E, code,
                 _("{kind} names entry {target}, which is not recorded on or before {date} (expected the id "
                   "of an earlier entry; `delegation log` lists them)").format(
                     kind=kind_name(entry.kind), target=entry.target, date=format_date(entry.date)))


def standing_on(state: Replay, commitment: CommitmentState) -> list[str]:
    """The payments and releases recorded on a commitment and not cancelled."""
    return [ident for ident in state.settled_by.get(commitment.id, ()) if ident not in state.cancelled]


# Cancellations -----------------------------------------------------------------------


def cancel_target(state: Replay, entry: Entry) -> Issue | None:
    """A cancellation names an earlier entry of a kind that can be cancelled, not cancelled
    yet, charged to the same team; a commitment with nothing standing on it."""
    target = _known(state, entry)
    if target is None:
        return _unknown(entry, "cancel-unknown")
    if target.kind not in CANCELLABLE:
        return Issue(entry.line, _E, "cancel-kind",
                     _("{target} is a {kind}, which cannot be cancelled (expected a commitment, payment, release, "
                       "forecast or note)").format(target=target.id, kind=kind_name(target.kind)))
    earlier = state.cancelled.get(target.id)
    if earlier is not None:
        return Issue(entry.line, _E, "cancel-duplicate",
                     _("{kind} {target} is already cancelled by {cancel} on {date}").format(
                         kind=kind_name(target.kind), target=entry_name(target), cancel=earlier.id,
                         date=format_date(earlier.date)))
    if target.team != entry.team:
        return Issue(entry.line, _E, "team-mismatch",
                     _("{kind} is charged to {team} but {target} belongs to {owner}").format(
                         kind=kind_name(entry.kind), team=entry.team, target=target.id, owner=target.team))
    if target.kind == "commitment":
        standing = standing_on(state, state.commitments[target.id])
        if standing:
            return Issue(entry.line, _E, "cancel-has-payments",
                         _("commitment {commitment} still has {entries} recorded on it: cancel them first "
                           "(delegation cancel ID --reason …), then the commitment").format(
                             commitment=entry_name(target), entries=", ".join(standing)))
    return None


def cancel_within_limits(state: Replay, entry: Entry) -> Issue | None:
    """Cancelling a release commits its amount again: within the team cap, the envelope and,
    when the release gave AE back to this year, the year's AE."""
    target = _known(state, entry)
    if target is None or target.kind != "release" or target.id in state.cancelled:
        return None
    commitment = state.commitments.get(target.commitment or "")
    if commitment is None:
        return None
    again = entry._replace(amount=target.amount, team=commitment.team)
    rules = [under_team_cap, under_envelope]
    if release_restores_ae(commitment.year, target.date.year) and target.date.year == entry.date.year:
        rules.append(under_year_ae)
    for rule in rules:
        issue = rule(state, again)
        if issue is not None:
            return issue
    return None


def cancel_other_year(state: Replay, entry: Entry) -> Issue | None:
    """A warning when a commitment or a payment of an earlier year is cancelled: credits are
    annual, that year's AE or CP are not given back (they are lost)."""
    target = _known(state, entry)
    if target is None or target.kind not in ("commitment", "payment") or target.date.year == entry.date.year:
        return None
    if target.kind == "commitment":
        message = _("cancelling commitment {target} of {year} in {this_year} gives back no AE of {year} (credits "
                    "are annual): its {amount} of AE {year} stay consumed")
    else:
        message = _("cancelling payment {target} of {year} in {this_year} gives back no CP of {year} (credits "
                    "are annual): its {amount} of CP {year} stay consumed")
    return Issue(entry.line, _W, "cancel-other-year", message.format(
        target=entry_name(target), year=target.date.year, this_year=entry.date.year,
        amount=format_fr(target.amount)))


CANCEL_RULES = (id_unique, team_known, dated_in_payment_period, cancel_target, cancel_within_limits,
                cancel_other_year)
"""A cancellation: dated up to the last payment date, naming an entry it can cancel, within
the limits when it commits a release's amount again."""


def apply_cancel(state: Replay, entry: Entry) -> None:
    """Reverse the named entry on the cancellation's date and mend its own problems (the
    replay calls it once :data:`CANCEL_RULES` found no error)."""
    target = state.kept[entry.target or ""]
    state.cancelled[target.id] = entry
    state.mend(target.line, None)
    year, month = entry.date.year, entry.date.month
    if target.kind == "commitment":
        commitment = state.commitments[target.id]
        state.keep(commitment)
        amount = commitment.amount
        commitment.cancelled = amount
        state.team_net[commitment.team] -= amount
        state.total_net -= amount
        state.cancelled_on[(commitment.year, year)] += amount
        if commitment.year == year:
            state.ae_used[year] -= amount
            state.ae_monthly[(year, month)] -= amount
            state.team_year[(commitment.team, year)] -= amount
        else:
            state.lost_on_cancel[year] += amount
        if commitment.ref is not None and state.commitment_refs.get(commitment.ref) == commitment.id:
            del state.commitment_refs[commitment.ref]
        if commitment.ej is not None and state.commitment_ejs.get(commitment.ej) == commitment.id:
            del state.commitment_ejs[commitment.ej]
    elif target.kind == "payment":
        _unpay(state, target, year, month)
    elif target.kind == "release":
        _unrelease(state, target, year, month)


def _unpay(state: Replay, payment: Entry, year: int, month: int) -> None:
    amount = payment.amount
    state.team_paid[payment.team] -= amount
    state.total_paid -= amount
    commitment = state.commitments.get(payment.commitment or "")
    if payment.date.year == year:
        state.cp_used[year] -= amount
        state.cp_monthly[(year, month)] -= amount
    if commitment is not None:
        state.keep(commitment)
        commitment.paid -= amount
        commitment.payments -= 1
        if payment.date.year == year:
            state.paid_on[(commitment.year, year)] -= amount
        else:
            state.unpaid_on[(commitment.year, year)] += amount
    if payment.ref is not None:
        state.payment_refs.discard(payment.ref)


def _unrelease(state: Replay, release: Entry, year: int, month: int) -> None:
    commitment = state.commitments.get(release.commitment or "")
    if commitment is None:
        return
    amount = release.amount
    state.keep(commitment)
    commitment.released -= amount
    state.team_net[commitment.team] += amount
    state.total_net += amount
    state.released_on[(commitment.year, year)] -= amount
    if release.date.year != year:
        return
    if release_restores_ae(commitment.year, year):
        state.ae_used[year] += amount
        state.ae_monthly[(year, month)] += amount
        state.team_year[(commitment.team, year)] += amount
    else:
        state.released_other_year[year] -= amount


# Service fait recorded later ----------------------------------------------------------


def service_fait_target(state: Replay, entry: Entry) -> Issue | None:
    """A service fait names an earlier payment of the same team, not cancelled, that has no
    service fait yet; its date is neither before the commitment nor after the payment."""
    payment = _known(state, entry)
    if payment is None:
        return _unknown(entry, "service-fait-unknown")
    if payment.kind != "payment":
        return Issue(entry.line, _E, "service-fait-kind",
                     _("{target} is a {kind}, not a payment (a service fait is recorded for a payment)").format(
                         target=payment.id, kind=kind_name(payment.kind)))
    if payment.team != entry.team:
        return Issue(entry.line, _E, "team-mismatch",
                     _("{kind} is charged to {team} but {target} belongs to {owner}").format(
                         kind=kind_name(entry.kind), team=entry.team, target=payment.id, owner=payment.team))
    given = state.certified.get(payment.id)
    already = payment.service_fait or (given.service_fait if given is not None else None)
    if already is not None:
        return Issue(entry.line, _E, "service-fait-duplicate",
                     _("payment {payment} already has its service fait, on {date}").format(
                         payment=entry_name(payment), date=format_date(already)))
    cancel = state.cancelled.get(payment.id)
    if cancel is not None:
        return Issue(entry.line, _E, "service-fait-cancelled",
                     _("payment {payment} is cancelled (by {cancel})").format(payment=entry_name(payment),
                                                                            cancel=cancel.id))
    service_fait = entry.service_fait
    commitment = state.commitments.get(payment.commitment or "")
    if service_fait is not None and commitment is not None and service_fait < commitment.date:
        return Issue(entry.line, _E, "service-fait-before-commitment",
                     _("service fait on {service_fait} precedes the commitment {commitment} dated "
                       "{date}").format(service_fait=format_date(service_fait), commitment=entry_name(commitment),
                                        date=format_date(commitment.date)))
    if service_fait is not None and service_fait > payment.date:
        return Issue(entry.line, _E, "service-fait-after-payment",
                     _("service fait on {service_fait} is after the payment dated {date} (a payment "
                       "follows the service fait)").format(service_fait=format_date(service_fait),
                                                           date=format_date(payment.date)))
    return None


SERVICE_FAIT_RULES = (id_unique, team_known, dated_in_payment_period, service_fait_target)
"""A service fait recorded later: for a payment that has none, dated between its commitment
and the payment."""


def apply_service_fait(state: Replay, entry: Entry) -> None:
    """Give the payment its service fait: its warning is mended (the replay calls it once
    :data:`SERVICE_FAIT_RULES` found no error)."""
    payment = state.kept[entry.target or ""]
    state.certified[payment.id] = entry
    state.mend(payment.line, "payment-without-service-fait")
