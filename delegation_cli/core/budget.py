"""Pure budget computation: replaying entries against their convention.

This module owns the *contrôle de disponibilité*.  :class:`Replay` takes entries one at a
time, in date order (file order for equal dates), and keeps the running figures: AE consumed
per year (commitments net of same-year releases), CP consumed per year, each team's net
commitments, the envelope, each commitment's paid, released and *reste à payer*, and the
flows the State's RAP table needs.  Before applying an entry it checks it against the
limits in force on its date (:meth:`model.Convention.limits_at`: avenants from their date
on; credits an avenant carries out of a year never usable in it,
:meth:`model.Convention.carried_out`) and records what is wrong as :class:`Issue` values: entries
in, state and problems out.  Each rule is written once, here, and used by admission,
``check``, the report and the exports.

* :func:`replay` replays a sequence of entries (tests, bulk import);
* :func:`check_entries` returns every problem of a sequence of entries;
* :func:`admit_appended` and :func:`admit` decide whether new entries may be appended: they
  are refused when they bring a new hard problem, on themselves or on a later entry they
  would invalidate.

It sees only model objects and entries: no paths, no files, no rendering.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .avenants import Limits
from .entries import Entry, entry_name, kind_name
from .errors import Problem, Severity
from .i18n import N_, _, format_date
from .model import Convention
from .money import Cents, format_fr, format_percent, ratio_reached

INFORM_NOW = N_("inform the délégant without delay (art. 5)")
"""What art. 5 requires when credits run short or are about to (marked only: show it
through ``_()``)."""
INFORM = N_("insufficient credits: inform the délégant without delay (art. 5)")
"""The end of a refusal for want of credits (marked only: show it through ``_()``)."""
INFORM_UNUSED = N_("inform the délégant (art. 5)")
"""What art. 5 requires when credits are likely to stay unused (marked only: show it
through ``_()``)."""

_E, _W = Severity.ERROR, Severity.WARNING


def cutoff_date(cutoff: str | None, year: int) -> dt.date | None:
    """The year-end cut-off (``MM-DD`` in the convention's ``reporting.cutoffs``) of ``year``,
    the 29th of February falling back to the 28th; None when there is none."""
    if cutoff is None:
        return None
    month, day = int(cutoff[:2]), int(cutoff[3:])
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found on the entry of ``line`` during the replay (located later).  New
    entries being admitted carry negative line numbers: -1 for the first, -2 …"""

    line: int
    severity: Severity
    code: str
    message: str


class CommitmentState:
    """A commitment and what happened to it since: the fields of its entry that the
    figures need (its label is not kept), and its payments and releases."""

    __slots__ = ("amount", "date", "id", "last_payment", "line", "marche", "paid", "payments", "prestation",
                 "ref", "released", "team", "year")
    kind = "commitment"

    def __init__(self, entry: Entry):
        self.id, self.date, self.team, self.amount = entry.id, entry.date, entry.team, entry.amount
        self.ref, self.marche, self.prestation, self.line = entry.ref, entry.marche, entry.prestation, entry.line
        self.year = entry.date.year
        self.paid: Cents = 0
        self.released: Cents = 0
        self.last_payment: dt.date | None = None
        self.payments = 0

    @property
    def net(self) -> Cents:
        return self.amount - self.released

    @property
    def remaining(self) -> Cents:
        """*Reste à payer*: committed − released − paid."""
        return self.amount - self.released - self.paid

    def copy(self) -> CommitmentState:
        return copy.copy(self)


def _counter() -> defaultdict[int, Cents]:
    return defaultdict(int)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"did you mean 'friches'? "`` for the known name nearest to ``word`` (difflib, cutoff
    0.6), else ``""``: the start of an unknown name's explanation."""
    import difflib

    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return _("did you mean {name}? ").format(name=repr(close[0])) if close else ""


class Replay:
    """Running figures of entries replayed in date order.

    Attributes:
        conv: the convention.
        thresholds: whether crossing an alert threshold is a warning (for new entries).
        issues: every issue found so far, in replay order.
        ae_used: per year, commitments dated that year net of same-year releases.
        cp_used: per year, payments dated that year.
        ae_monthly: per (year, month), commitments dated then net of same-year releases
            dated then (the month-by-month AE curve).
        cp_monthly: per (year, month), payments dated then.
        team_net: per team, commitments net of all releases (what counts against the cap).
        team_year: per (team, year), commitments dated that year net of same-year releases.
        team_paid: per team, payments.
        total_net: all commitments net of all releases (what counts against the envelope).
        total_paid: all payments.
        released_other_year: per year of the release, releases of earlier years'
            commitments (they restore no AE, GBCP art. 160).
        committed_in: per year, commitments dated that year (gross).
        paid_on, released_on: per (commitment's year, year), payments and releases.
        commitments: per id, the commitment and its payments and releases.
        last_date: the date of the last entry applied.
    """

    def __init__(self, conv: Convention, *, thresholds: bool = False):
        self.conv = conv
        self.thresholds = thresholds
        self.issues: list[Issue] = []
        self.ae_used = _counter()
        self.cp_used = _counter()
        self.ae_monthly: defaultdict[tuple[int, int], Cents] = defaultdict(int)
        self.cp_monthly: defaultdict[tuple[int, int], Cents] = defaultdict(int)
        self.team_net: defaultdict[str, Cents] = defaultdict(int)
        self.team_year: defaultdict[tuple[str, int], Cents] = defaultdict(int)
        self.team_paid: defaultdict[str, Cents] = defaultdict(int)
        self.total_net: Cents = 0
        self.total_paid: Cents = 0
        self.released_other_year = _counter()
        self.committed_in = _counter()
        self.paid_on: defaultdict[tuple[int, int], Cents] = defaultdict(int)
        self.released_on: defaultdict[tuple[int, int], Cents] = defaultdict(int)
        self.commitments: dict[str, CommitmentState] = {}
        self.commitment_refs: dict[str, str] = {}
        self.payment_refs: set[str] = set()
        self.ids: set[str] = set()
        self.last_date: dt.date | None = None
        self._waiting: dict[str, list[Entry]] = {}
        """Payments and releases naming a commitment not applied (yet)."""
        self._start, self._end, self._pay_end = conv.effective_date, conv.period.end, conv.payments_until
        self._team_ids = conv.team_ids
        self._months = (conv.effective_date.strftime("%Y-%m"), conv.period.end.strftime("%Y-%m"))
        self._limits: dict[dt.date, Limits] = {}
        self._day: dt.date | None = None
        self._day_limits = conv.limits_at(conv.effective_date)
        self._in_period = self._in_payments = False
        self._marche_ids = conv.marche_ids
        self._marche_of = conv.marche_of_prestation
        self._shares = {year: y.ae_per_team for year, y in conv.schedule_by_year.items()}
        self._cutoffs = conv.reporting.cutoffs
        self._kept: dict[str, CommitmentState] | None = None
        """After a snapshot, the state each commitment had then, for those changed since."""
        self._snapshots: list[tuple[Replay, int]] = []

    # ---------------------------------------------------------------------------------

    def resolve(self, key: str) -> CommitmentState | None:
        """A commitment by id, or by its bon de commande reference."""
        found = self.commitments.get(key)
        if found is None and key in self.commitment_refs:
            found = self.commitments[self.commitment_refs[key]]
        return found

    def limits_at(self, day: dt.date) -> Limits:
        limits = self._limits.get(day)
        if limits is None:
            limits = self._limits[day] = self.conv.limits_at(day)
        return limits

    def _issue(self, entry: Entry, severity: Severity, code: str, message: str) -> None:
        self.issues.append(Issue(entry.line, severity, code, message))

    def apply(self, entry: Entry) -> None:
        """Check ``entry`` against the state and the limits of its date, then apply it.
        (Run once per line of every ledger read: written for speed.)"""
        date, kind, ident, team = entry[0], entry[1], entry[2], entry[3]
        ids = self.ids
        known = len(ids)
        ids.add(ident)
        if len(ids) == known:
            self._issue(entry, _E, "id-duplicate",
                        _("id {id} is already used by another entry (expected unique ids)").format(id=ident))
        self.last_date = date
        if kind == "seal":  # seals consume nothing; seal.py checks them
            return
        if team not in self._team_ids:
            teams = [t.id for t in self.conv.teams]
            self._issue(entry, _E, "team-unknown",
                        _("unknown team {team} ({did_you_mean}expected one of: {teams})").format(
                            team=repr(team), did_you_mean=did_you_mean(team, teams), teams=", ".join(teams)))
        if date != self._day:  # the limits and the period of a day, worked out once per day
            self._day = date
            self._day_limits = self.limits_at(date)
            self._in_period = self._start <= date <= self._end
            self._in_payments = self._start <= date <= self._pay_end
        if kind == "payment":
            if not self._in_payments:
                self._outside(entry, self._pay_end)
            self._payment(entry, self._day_limits)
        elif kind == "commitment":
            if not self._in_period:
                self._outside(entry, self._end)
            self._commitment(entry, self._day_limits)
        elif kind == "forecast":  # dated in the period like any entry, and so must its month be
            if not self._in_period:
                self._outside(entry, self._end)
            self._forecast(entry)
        else:
            if not self._in_period:
                self._outside(entry, self._end)
            if kind == "release":
                self._release(entry)

    def _outside(self, entry: Entry, end: dt.date) -> None:
        start = self._start
        self._issue(entry, _E, "date-outside-period",
                    _("{kind} dated {date} is outside the convention's period {start} – {end} (the "
                      "convention takes effect on {start})").format(
                        kind=kind_name(entry.kind), date=format_date(entry.date), start=format_date(start),
                        end=format_date(end)))

    def finish(self) -> None:
        """Once every entry is applied: payments and releases whose commitment never came."""
        for entries in self._waiting.values():
            for entry in entries:
                self._issue(entry, _E, "commitment-unknown",
                            _("{kind} refers to commitment {commitment}, which is not recorded (expected the "
                              "id of a commitment)").format(kind=kind_name(entry.kind), commitment=entry.commitment))
        self._waiting.clear()

    # ---------------------------------------------------------------------------------

    def _commitment(self, entry: Entry, limits: Limits) -> None:
        date, __, ident, team, amount, ref, marche, prestation = entry[:8]
        if marche is not None and marche not in self._marche_ids:
            self._issue(entry, _E, "marche-unknown",
                        _("unknown marché {marche} ({did_you_mean}expected one of: {known})").format(
                            marche=repr(marche), did_you_mean=did_you_mean(marche, self._marche_ids),
                            known=", ".join(sorted(self._marche_ids)) or _("none declared")))
        if prestation is not None:
            owner = self._marche_of.get(prestation)
            if owner is None:
                self._issue(entry, _E, "prestation-unknown",
                            _("unknown prestation kind {prestation} ({did_you_mean}expected one of: {known})").format(
                                prestation=repr(prestation), did_you_mean=did_you_mean(prestation, self._marche_of),
                                known=", ".join(sorted(self._marche_of)) or _("none declared")))
            elif marche is not None and owner != marche:
                self._issue(entry, _E, "prestation-marche-mismatch",
                            _("prestation {prestation} is bought on marché {owner}, not {marche}").format(
                                prestation=repr(prestation), owner=repr(owner), marche=repr(marche)))
        if ref is not None:
            owner = self.commitment_refs.setdefault(ref, ident)  # the first commitment keeps the reference
            if owner is not ident:
                self._issue(entry, _E, "ref-duplicate",
                            _("bon de commande {ref} is already recorded (commitment {commitment})").format(
                                ref=ref, commitment=owner))
        year = date.year
        cap = limits.team_cap
        team_before = self.team_net[team]
        after = team_before + amount
        if cap is not None and after > cap and team in self._team_ids:
            self._issue(entry, _E, "team-cap-exceeded",
                        _("{team}: commitment of {amount} takes the team to {after}, above its cap of {cap} "
                          "(available {available}, asked {amount}); {inform}").format(
                            team=team, amount=format_fr(amount), after=format_fr(after), cap=format_fr(cap),
                            available=format_fr(max(cap - team_before, 0)), inform=_(INFORM)))
        opened = limits.ae.get(year, 0)
        carried = self.conv.carried_out("ae", year)
        ae_before = self.ae_used[year]
        ae_after = ae_before + amount
        if ae_after > opened - carried:
            self._issue(entry, _E, "ae-exceeded",
                        _("{team}: commitment of {amount} takes AE {year} to {after}, above the {opened} opened "
                          "for {year}{carry_note} (available {available}, asked {amount}); {inform}").format(
                            team=team, amount=format_fr(amount), year=year, after=format_fr(ae_after),
                            opened=format_fr(opened), carry_note=_carry_note(carried, year),
                            available=format_fr(max(opened - carried - ae_before, 0)), inform=_(INFORM)))
        total_before = self.total_net
        total_after = total_before + amount
        if total_after > limits.total:
            self._issue(entry, _E, "envelope-exceeded",
                        _("{team}: commitment of {amount} takes the convention to {after}, above its envelope "
                          "of {envelope} (available {available}, asked {amount}); {inform}").format(
                            team=team, amount=format_fr(amount), after=format_fr(total_after),
                            envelope=format_fr(limits.total), available=format_fr(max(limits.total - total_before, 0)),
                            inform=_(INFORM)))
        share = self._shares.get(year)
        key = (team, year)
        ty_before = self.team_year[key]
        if share is not None and ty_before <= share < ty_before + amount:
            self._issue(entry, _W, "share-exceeded",
                        _("{team} commits {amount} in {year}, above its indicative share of {share} for the "
                          "year").format(team=team, amount=format_fr(ty_before + amount), year=year,
                                         share=format_fr(share)))
        if self.thresholds:
            if cap is not None:
                self._threshold(entry, N_("{team} cap"), team_before, after, cap, team=team)
            self._threshold(entry, N_("AE {year}"), ae_before, ae_after, opened - carried, year=year)
            self._threshold(entry, N_("envelope"), total_before, total_after, limits.total)
        if self._cutoffs.commitments is not None:
            self._cutoff(entry, self._cutoffs.commitments, N_(
                "{kind} dated {date} is after the commitments cut-off of {limit} for {year}; it may not be "
                "processed this year"))
        # apply
        self.team_net[team] = after
        self.team_year[key] = ty_before + amount
        self.ae_used[year] = ae_after
        self.ae_monthly[(year, entry.date.month)] += amount
        self.committed_in[year] += amount
        self.total_net = total_after
        state = CommitmentState(entry)
        if self.commitments.setdefault(ident, state) is state and self._waiting:  # a duplicate id keeps the first
            for early in self._waiting.pop(ident, ()):
                self._issue(early, _E, f"{early.kind}-before-commitment",
                            _("{kind} dated {date} precedes its commitment {commitment} dated "
                              "{commitment_date}").format(kind=kind_name(early.kind), date=format_date(early.date),
                                                          commitment=entry_name(entry),
                                                          commitment_date=format_date(state.date)))

    def _linked(self, entry: Entry) -> CommitmentState | None:
        key = entry[8] or ""
        state = self.commitments.get(key)
        if state is None:
            self._waiting.setdefault(key, []).append(entry)
            return None
        if state.team != entry[3]:
            self._issue(entry, _E, "team-mismatch", _("{kind} is charged to {team} but commitment {commitment} "
                                                      "belongs to {owner}").format(
                kind=kind_name(entry.kind), team=entry.team, commitment=entry.commitment, owner=state.team))
        return state

    def _payment(self, entry: Entry, limits: Limits) -> None:
        state = self._linked(entry)
        date, amount, ref, sf = entry[0], entry[4], entry[5], entry[9]
        year = date.year
        if state is not None:
            remaining = state.amount - state.released - state.paid
            if amount > remaining:
                self._issue(entry, _E, "payment-exceeds-remaining",
                            _("payment of {amount} on {commitment} exceeds its reste à payer of {remaining} "
                              "(committed {committed}, released {released}, paid {paid}; {excess} too much)").format(
                                amount=format_fr(amount), commitment=entry_name(state), remaining=format_fr(remaining),
                                committed=format_fr(state.amount), released=format_fr(state.released),
                                paid=format_fr(state.paid), excess=format_fr(amount - remaining)))
            if sf is not None and sf < state.date:
                self._issue(entry, _E, "service-fait-before-commitment",
                            _("service fait on {service_fait} precedes the commitment {commitment} dated "
                              "{date}").format(service_fait=format_date(sf), commitment=entry_name(state),
                                               date=format_date(state.date)))
        if sf is None:
            self._issue(entry, _W, "payment-without-service-fait",
                        _("payment of {amount} has no service fait date (--service-fait)").format(
                            amount=format_fr(amount)))
        elif sf > date:
            self._issue(entry, _E, "service-fait-after-payment",
                        _("service fait on {service_fait} is after the payment dated {date} (a payment "
                          "follows the service fait)").format(service_fait=format_date(sf), date=format_date(date)))
        if ref is not None:
            refs = self.payment_refs
            known = len(refs)
            refs.add(ref)
            if len(refs) == known:
                self._issue(entry, _E, "ref-duplicate",
                            _("demande de paiement {ref} is already recorded").format(ref=ref))
        opened = limits.cp.get(year, 0)
        carried = self.conv.carried_out("cp", year)
        cp_before = self.cp_used[year]
        cp_after = cp_before + amount
        if cp_after > opened - carried:
            self._issue(entry, _E, "cp-exceeded",
                        _("payment of {amount} takes CP {year} to {after}, above the {opened} opened for "
                          "{year}{carry_note} (available {available}, asked {amount}); {inform}").format(
                            amount=format_fr(amount), year=year, after=format_fr(cp_after), opened=format_fr(opened),
                            carry_note=_carry_note(carried, year),
                            available=format_fr(max(opened - carried - cp_before, 0)), inform=_(INFORM)))
        if self.thresholds:
            self._threshold(entry, N_("CP {year}"), cp_before, cp_after, opened - carried, year=year)
        if self._cutoffs.payments is not None:
            self._cutoff(entry, self._cutoffs.payments, N_(
                "{kind} dated {date} is after the payments cut-off of {limit} for {year}; it may not be "
                "processed this year"))
        self.cp_used[year] = cp_after
        self.cp_monthly[(year, entry.date.month)] += amount
        self.team_paid[entry[3]] += amount
        self.total_paid += amount
        if state is not None:
            if self._kept is not None:
                self._keep(state)
            state.paid += amount
            state.payments += 1
            state.last_payment = date
            self.paid_on[(state.year, year)] += amount

    def _release(self, entry: Entry) -> None:
        state = self._linked(entry)
        if state is None:
            return
        amount = entry.amount
        if amount > state.remaining:
            self._issue(entry, _E, "release-exceeds-remaining",
                        _("release of {amount} on {commitment} exceeds its reste à payer of {remaining} "
                          "(committed {committed}, released {released}, paid {paid})").format(
                            amount=format_fr(amount), commitment=entry_name(state),
                            remaining=format_fr(state.remaining), committed=format_fr(state.amount),
                            released=format_fr(state.released), paid=format_fr(state.paid)))
        if self._kept is not None:
            self._keep(state)
        state.released += amount
        self.team_net[state.team] -= amount
        self.total_net -= amount
        year, committed_year = entry.date.year, state.year
        self.released_on[(committed_year, year)] += amount
        if year == committed_year:
            self.ae_used[year] -= amount
            self.ae_monthly[(year, entry.date.month)] -= amount
            self.team_year[(state.team, year)] -= amount
        else:
            self.released_other_year[year] += amount

    def _forecast(self, entry: Entry) -> None:
        first, last = self._months
        if not first <= (entry.month or "") <= last:
            self._issue(entry, _E, "forecast-outside-period",
                        _("forecast for {month} is outside the convention's months {first} – {last}").format(
                            month=entry.month, first=first, last=last))

    def _threshold(self, entry: Entry, what: str, before: Cents, after: Cents, limit: Cents, **names: object) -> None:
        """A warning when ``after`` crosses a threshold ``before`` had not reached; ``what`` is a
        message marked with ``N_``, filled with ``names`` (translated only when it is shown)."""
        if limit <= 0:
            return
        for pct in sorted(self.conv.reporting.alert_thresholds, reverse=True):
            if ratio_reached(after, limit, pct) and not ratio_reached(before, limit, pct):
                self._issue(entry, _W, "threshold-crossed",
                            _("{what} reaches {percent} ({after} of {limit}), past the {threshold} threshold").format(
                                what=_(what).format(**names), percent=format_percent(after, limit),
                                after=format_fr(after), limit=format_fr(limit), threshold=percent_label(pct)))
                return

    def _cutoff(self, entry: Entry, cutoff: str | None, message: str) -> None:
        """A warning for an entry dated after the year's cut-off; ``message`` is marked with ``N_``."""
        limit = cutoff_date(cutoff, entry.date.year)
        if limit is not None and entry.date > limit:
            self._issue(entry, _W, "after-cutoff", _(message).format(
                kind=kind_name(entry.kind), date=format_date(entry.date), limit=format_date(limit),
                year=entry.date.year))

    # Figures -------------------------------------------------------------------------

    def availability(self, day: dt.date) -> Availability:
        return Availability(self.limits_at(day), self)

    def snapshot(self) -> Replay:
        """The figures as they stand, kept for reading (the report's "as of" day) while the
        replay goes on: the running totals are copied now; the commitments are kept copy on
        write — a commitment's state is copied only when a later entry changes it — and the
        snapshot's ``commitments`` are complete once :meth:`settle` is called.  Ids and
        references are shared, not copied."""
        other = copy.copy(self)
        for name in ("ae_used", "cp_used", "ae_monthly", "cp_monthly", "team_net", "team_year", "team_paid",
                     "released_other_year", "committed_in", "paid_on", "released_on"):
            setattr(other, name, copy.copy(getattr(self, name)))
        other.issues = list(self.issues)
        other.commitments, other._snapshots = {}, []
        self._kept = {}
        self._snapshots.append((other, len(self.commitments)))
        return other

    def _keep(self, state: CommitmentState) -> None:
        """Before a change to ``state`` after a snapshot: keep its state as it was."""
        kept = self._kept
        if kept is not None and state.id not in kept:
            kept[state.id] = state.copy()

    def settle(self) -> None:
        """Complete the snapshots' commitments: the ones recorded by then, as they were."""
        kept = self._kept or {}
        for other, count in self._snapshots:
            other.commitments = {key: kept.get(key, state)
                                 for key, state in itertools.islice(self.commitments.items(), count)}
        self._snapshots.clear()


def _carry_note(carried: Cents, year: int) -> str:
    if not carried:
        return ""
    return _(", less {amount} carried over to {year} by avenant").format(amount=format_fr(carried), year=year + 1)


def percent_label(value: Decimal) -> str:
    """A threshold as French text: ``Decimal('97.5')`` -> ``97,5 %``."""
    text = format(value.normalize(), "f").replace(".", ",")
    return f"{text}\u00a0%"


@dataclass(frozen=True)
class Availability:
    """What remains under each limit after a replay, with the limits of a given day: the
    same arithmetic as the rules above (AE and CP net of what avenants in force carry over)."""

    limits: Limits
    replay: Replay

    def team(self, team: str) -> tuple[Cents, Cents, Cents] | None:
        """(cap, net committed, available) for a team; None when the convention caps no team."""
        cap = self.limits.team_cap
        if cap is None:
            return None
        used = self.replay.team_net.get(team, 0)
        return cap, used, cap - used

    def ae(self, year: int) -> tuple[Cents, Cents, Cents]:
        """(opened, committed, available); available is net of AE carried over to the next year."""
        used = self.replay.ae_used.get(year, 0)
        opened = self.limits.ae.get(year, 0)
        return opened, used, opened - self.replay.conv.carried_out("ae", year) - used

    def cp(self, year: int) -> tuple[Cents, Cents, Cents]:
        used = self.replay.cp_used.get(year, 0)
        opened = self.limits.cp.get(year, 0)
        return opened, used, opened - self.replay.conv.carried_out("cp", year) - used

    def envelope(self) -> tuple[Cents, Cents, Cents]:
        return self.limits.total, self.replay.total_net, self.limits.total - self.replay.total_net


def in_date_order(entries: Iterable[Entry]) -> list[Entry]:
    """Entries sorted by date, file order kept for equal dates (a stable sort)."""
    return sorted(entries, key=lambda e: e.date)


def replay(conv: Convention, entries: Iterable[Entry], *, thresholds: bool = False) -> Replay:
    """Replay entries (given in file order) in date order; the state holds the issues."""
    state = Replay(conv, thresholds=thresholds)
    for entry in in_date_order(entries):
        state.apply(entry)
    state.finish()
    return state


ForecastKey = tuple[str, str | None, str | None]


def forecast_key(entry: Entry) -> ForecastKey:
    """What a forecast forecasts — team, month, type (ae/cp): a later forecast with the same
    key replaces the earlier one."""
    return entry.team, entry.month, entry.forecast_type


def forecasts_in_force(ordered: Iterable[Entry]) -> tuple[list[Entry], dict[int, Entry]]:
    """The forecast rule: for one team, month and type, a later forecast (in date order, file
    order for equal dates) replaces the earlier one.  Returns the forecasts in force and, for
    each forecast that replaced another (keyed by ``id(entry)``), the one it replaced."""
    current: dict[ForecastKey, Entry] = {}
    replaced: dict[int, Entry] = {}
    for entry in ordered:
        if entry.kind == "forecast":
            key = forecast_key(entry)
            if key in current:
                replaced[id(entry)] = current[key]
            current[key] = entry
    return list(current.values()), replaced


def locate(issues: Iterable[Issue], path: str) -> list[Problem]:
    """Turn replay issues into problems located at their ledger line."""
    return [Problem(path, i.line if i.line > 0 else None, None, i.severity, i.code, i.message) for i in issues]


def check_entries(conv: Convention, entries: Sequence[Entry], path: str) -> list[Problem]:
    """Every problem of a sequence of entries against their convention, by line."""
    state = replay(conv, entries)
    return sorted(locate(state.issues, path), key=_by_line) + carry_over_problems(conv, state, path)


def _by_line(problem: Problem) -> int:
    return problem.line or 0


def carry_over_problems(conv: Convention, state: Replay, path: str) -> list[Problem]:
    """Each carry-over must be no larger than what its year left unused."""
    out = []
    for av in conv.avenants_in_order:
        for carry in av.carry_overs:
            year = carry.from_year
            limits = conv.limits_at(dt.date(year, 12, 31))
            for kind, opened, used, amount in (
                ("AE", limits.ae.get(year, 0), state.ae_used.get(year, 0), carry.ae),
                ("CP", limits.cp.get(year, 0), state.cp_used.get(year, 0), carry.cp),
            ):
                unused = opened - used
                if amount and amount > unused:
                    out.append(Problem(
                        path, None, None, Severity.ERROR, "carry-over-above-unused",
                        _("avenant n° {number} carries {amount} of {kind} over from {year}, but only {unused} "
                          "were left unused ({opened} opened, {used} consumed)").format(
                            number=av.number, amount=format_fr(amount), kind=kind, year=year,
                            unused=format_fr(max(unused, 0)), opened=format_fr(opened), used=format_fr(used))))
    return out


@dataclass
class Admission:
    """The verdict on new entries: refused when ``errors`` is not empty."""

    errors: list[Problem]
    warnings: list[Problem]
    state: Replay


Sources = Sequence[tuple[str, int]]
"""For each new entry, in order, the (file, row) it comes from (bulk import)."""


def numbered(new: Sequence[Entry]) -> list[Entry]:
    """New entries with the negative line numbers that tell them apart in a replay."""
    return [entry._replace(line=-index) for index, entry in enumerate(new, 1)]


def admit_appended(state: Replay, new: Sequence[Entry], path: str, sources: Sources | None = None) -> Admission:
    """Decide on ``new`` entries dated on or after every entry replayed into ``state`` (the
    usual case: entries are recorded as they happen): no recorded entry comes after them in
    date order, so they are applied to the state (consumed) in date order."""
    state.thresholds = True
    mark = len(state.issues)
    for entry in in_date_order(numbered(new)):
        state.apply(entry)
    state.finish()
    return _verdict(state.issues[mark:], set(), path, sources, state)


def admit(conv: Convention, existing: Sequence[Entry], new: Sequence[Entry], path: str,
          sources: Sources | None = None) -> Admission:
    """Decide on ``new`` entries that may be dated before recorded ones: the ledger is
    replayed with and without them, and they are refused when they bring a hard problem
    the ledger did not already have — on themselves, or on a later entry they would
    invalidate (an earlier-dated commitment that leaves no AE for one already recorded)."""
    known = {(i.line, i.code) for i in replay(conv, existing).issues}
    state = replay(conv, [*existing, *numbered(new)], thresholds=True)
    return _verdict(state.issues, known, path, sources, state)


def _verdict(issues: Iterable[Issue], known: set[tuple[int, str]], path: str, sources: Sources | None,
             state: Replay) -> Admission:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for issue in issues:
        mine = issue.line < 0
        if not mine and (issue.severity is not Severity.ERROR or (issue.line, issue.code) in known):
            continue
        message = issue.message
        where, line = path, None
        if not mine:
            line = issue.line
            message = _("this entry would make line {line} invalid: {message}").format(line=line, message=message)
        elif sources:
            where, line = sources[-issue.line - 1]
        problem = Problem(where, line, None, issue.severity, issue.code, message)
        (errors if issue.severity is Severity.ERROR else warnings).append(problem)
    return Admission(errors, warnings, state)
