"""The replay: running figures of a ledger's entries, applied in date order.

This module owns the state of the *contrôle de disponibilité*.  :class:`Replay` takes
entries one at a time, in date order (file order for equal dates), and keeps the running
figures: AE consumed per year (commitments net of same-year releases), CP consumed per year,
each team's net commitments, the envelope, each commitment's paid, released and *reste à
payer*, and the flows the State's RAP table needs.  Before applying an entry it checks it
against the rules of its kind (:data:`admission.RULES`, with the limits in force on its
date) and records what is wrong as :class:`issues.Issue` values: entries in, state and
problems out.  :class:`Availability` reads what remains under each limit.

It sees only model objects and entries: no paths, no files, no rendering.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import assert_never

from .admission import ENTRY_RULES, Rule, release_restores_ae, rules_for
from .avenants import Limits
from .entries import Entry, entry_name
from .errors import Severity
from .i18n import _, format_date
from .issues import Issue
from .kinds import kind_name
from .model import Convention
from .money import Cents


class CommitmentState:
    """A commitment and what happened to it since: the fields of its entry that the
    figures need (its label is not kept), and its payments and releases."""

    __slots__ = ("amount", "cancelled", "date", "ej", "id", "last_payment", "line", "marche", "paid", "payments",
                 "prestation", "ref", "released", "team", "year")
    kind = "commitment"

    def __init__(self, entry: Entry):
        self.id, self.date, self.team, self.amount = entry.id, entry.date, entry.team, entry.amount
        self.ref, self.marche, self.prestation, self.line = entry.ref, entry.marche, entry.prestation, entry.line
        self.ej = entry.ej
        self.year = entry.date.year
        self.paid: Cents = 0
        self.released: Cents = 0
        self.cancelled: Cents = 0
        """The amount a cancellation took back (the whole commitment, once cancelled)."""
        self.last_payment: dt.date | None = None
        self.payments = 0

    @property
    def net(self) -> Cents:
        return self.amount - self.released - self.cancelled

    @property
    def remaining(self) -> Cents:
        """*Reste à payer*: committed − released − paid (nothing once cancelled)."""
        return self.amount - self.released - self.paid - self.cancelled

    def copy(self) -> CommitmentState:
        return copy.copy(self)


def _counter() -> defaultdict[int, Cents]:
    return defaultdict(int)


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
        paid_on, released_on: per (commitment's year, year), payments and releases (less
            those cancelled in the year they were made).
        cancelled_on: per (commitment's year, year), commitments cancelled.
        unpaid_on: per (commitment's year, year), payments of an earlier year cancelled.
        lost_on_cancel: per year of the cancellation, commitments of earlier years cancelled
            (they give back no AE).
        targets: the ids a cancellation or a service fait names (known before the replay:
            their entries are kept as they are applied, in ``kept``).
        kept: per id, the entries of ``targets`` applied so far.
        cancelled: per id, the cancellation of each entry cancelled so far.
        certified: per payment id, the service fait recorded later for it.
        settled_by: per commitment id of ``targets``, the payments and releases on it.
        missed: whether a cancellation or a service fait named an entry applied but not kept
            (``targets`` was incomplete: the replay must be run again with them).
        commitments: per id, the commitment and its payments and releases.
        commitment_refs: per bon de commande, the commitment that has it (the first one).
        commitment_ejs: per EJ number (Chorus), the commitment that has it (the first one).
        payment_refs: the demandes de paiement recorded.
        ids: the ids of the entries applied.
        last_date: the date of the last entry applied.
        day_limits, in_period, in_payments: for the date of the entry being applied, the
            limits in force and whether it falls in the period (in the payments' period);
        year, ae_opened, ae_carried, cp_opened, cp_carried: its year, the AE and CP opened
            for it on that date and what avenants carry out of it.

    The convention's figures the rules read, worked out once: ``start`` (the effective
    date), ``end``, ``pay_end`` (the last payment date), ``months`` (first and last, as
    ``YYYY-MM``), ``team_ids``, ``marche_ids``, ``marche_of`` (each prestation's marché),
    ``shares`` (each year's indicative share per team) and ``cutoffs``.
    """

    def __init__(self, conv: Convention, *, thresholds: bool = False, targets: Collection[str] = ()):
        self.conv = conv
        self._rules: dict[str, tuple[Rule, ...]] = {}
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
        self.cancelled_on: defaultdict[tuple[int, int], Cents] = defaultdict(int)
        self.unpaid_on: defaultdict[tuple[int, int], Cents] = defaultdict(int)
        self.lost_on_cancel = _counter()
        self.targets = frozenset(targets)
        self.kept: dict[str, Entry] = {}
        self.cancelled: dict[str, Entry] = {}
        self.certified: dict[str, Entry] = {}
        self.settled_by: dict[str, list[str]] = {}
        self.missed = False
        self.commitments: dict[str, CommitmentState] = {}
        self.commitment_refs: dict[str, str] = {}
        self.commitment_ejs: dict[str, str] = {}
        self.payment_refs: set[str] = set()
        self.ids: set[str] = set()
        self.last_date: dt.date | None = None
        self._waiting: dict[str, list[Entry]] = {}
        """Payments and releases naming a commitment not applied (yet)."""
        self.start, self.end, self.pay_end = conv.effective_date, conv.period.end, conv.payments_until
        self.team_ids = conv.team_ids
        self.months = (conv.effective_date.strftime("%Y-%m"), conv.period.end.strftime("%Y-%m"))
        self._limits: dict[dt.date, Limits] = {}
        self._day: dt.date | None = None
        self._span = (dt.date.max, dt.date.min)
        """The days from the first to before the last the limits and the year's figures hold for."""
        self.day_limits = conv.limits_at(conv.effective_date)
        self.in_period = self.in_payments = False
        self.year = conv.effective_date.year
        self.ae_opened = self.ae_carried = self.cp_opened = self.cp_carried = 0
        self.marche_ids = conv.marche_ids
        self.marche_of = conv.marche_of_prestation
        self.shares = {year: y.ae_per_team for year, y in conv.schedule_by_year.items()}
        self.cutoffs = conv.reporting.cutoffs
        self._kept: dict[str, CommitmentState] | None = None
        """After a snapshot, the state each commitment had then, for those changed since."""
        self._snapshots: list[tuple[Replay, int]] = []

    # ---------------------------------------------------------------------------------

    @property
    def thresholds(self) -> bool:
        """Whether crossing an alert threshold is a warning (for new entries)."""
        return self._thresholds

    @thresholds.setter
    def thresholds(self, on: bool) -> None:
        self._thresholds = on
        self._rules = rules_for(self.conv, thresholds=on)

    def resolve(self, key: str) -> CommitmentState | None:
        """A commitment by id, by its bon de commande reference, or by its EJ number."""
        found = self.commitments.get(key)
        if found is None and key in self.commitment_refs:
            found = self.commitments[self.commitment_refs[key]]
        if found is None and key in self.commitment_ejs:
            found = self.commitments[self.commitment_ejs[key]]
        return found

    def limits_at(self, day: dt.date) -> Limits:
        limits = self._limits.get(day)
        if limits is None:
            limits = self._limits[day] = self.conv.limits_at(day)
        return limits

    def apply(self, entry: Entry) -> None:
        """Check ``entry`` against the rules of its kind (:data:`admission.RULES`, in order)
        with the limits of its date, then apply it.  (Run once per line of every ledger
        read: written for speed.)"""
        date, kind = entry[0], entry[1]
        if date != self._day and kind != "seal":
            self._new_day(date)
        issues = self.issues
        mark = len(issues)
        for rule in self._rules.get(kind, ENTRY_RULES):
            issue = rule(self, entry)
            if issue is not None:
                issues.append(issue)
        ident = entry[2]
        if self.targets and ident in self.targets and ident not in self.ids:
            self.kept[ident] = entry
        self.ids.add(ident)
        self.last_date = date
        if kind == "commitment":
            self._commit(entry)
        elif kind == "payment":
            self._pay(entry)
        elif kind == "release":
            self._release(entry)
        elif kind == "cancel":
            self._mending(entry, apply_cancel, issues[mark:])
        elif kind == "service-fait":
            self._mending(entry, apply_service_fait, issues[mark:])
        elif kind != "forecast" and kind != "note" and kind != "seal":  # they change no credit
            assert_never(kind)  # a new kind: say here what it changes

    def _mending(self, entry: Entry, change: Callable[[Replay, Entry], None], found: list[Issue]) -> None:
        """A correction changes the state only when its rules found no error (``found``): a
        cancellation or a service fait the rules refuse mends nothing."""
        target = entry.target or ""
        if target not in self.kept and target in self.ids and target != entry.id:
            self.missed = True  # named but not kept: ``targets`` was incomplete
        if not any(issue.severity is Severity.ERROR for issue in found):
            change(self, entry)

    def mend(self, line: int, code: str | None) -> None:
        """The problems found so far on ``line`` are mended (by a cancellation: all but a
        duplicate id; by a service fait: ``code``)."""
        if not line:  # an entry built in memory, not read from a line: nothing to tell apart
            return
        self.issues = [i for i in self.issues if i.line != line or (
            i.code == "id-duplicate" if code is None else i.code != code)]

    def keep(self, state: CommitmentState) -> None:
        """Before a change to ``state``: keep it as it was for the snapshots taken earlier."""
        if self._kept is not None:
            self._keep(state)

    def _new_day(self, date: dt.date) -> None:
        """The limits and the period of a day: the limits and the year's figures are worked out
        again only when ``date`` leaves the span they hold for (from the first day they were
        worked out for, up to the next avenant or the next 1 January)."""
        self._day = date
        self.in_period = self.start <= date <= self.end
        self.in_payments = self.start <= date <= self.pay_end
        if self._span[0] <= date < self._span[1]:
            return
        self.day_limits = limits = self.limits_at(date)
        self.year = year = date.year
        self.ae_opened, self.ae_carried = limits.ae.get(year, 0), self.conv.carried_out("ae", year)
        self.cp_opened, self.cp_carried = limits.cp.get(year, 0), self.conv.carried_out("cp", year)
        change = self.conv.limits_change_after(date)
        new_year = dt.date(year + 1, 1, 1) if year < dt.MAXYEAR else dt.date.max
        self._span = (date, new_year if change is None else min(change, new_year))

    def finish(self) -> None:
        """Once every entry is applied: payments and releases whose commitment never came."""
        for entries in self._waiting.values():
            for entry in entries:
                self._issue(entry, Severity.ERROR, "commitment-unknown",
                            _("{kind} refers to commitment {commitment}, which is not recorded (expected the "
                              "id of a commitment)").format(kind=kind_name(entry.kind), commitment=entry.commitment))
        self._waiting.clear()

    def _issue(self, entry: Entry, severity: Severity, code: str, message: str) -> None:
        self.issues.append(Issue(entry.line, severity, code, message))

    # The changes each kind of entry makes, once its rules are applied ---------------

    def _commit(self, entry: Entry) -> None:
        date, __, ident, team, amount, ref = entry[:6]
        year = date.year
        if ref is not None:
            self.commitment_refs.setdefault(ref, ident)  # the first commitment keeps the reference
        ej = entry.ej
        if ej is not None:
            self.commitment_ejs.setdefault(ej, ident)
        self.team_net[team] += amount
        self.team_year[(team, year)] += amount
        self.ae_used[year] += amount
        self.ae_monthly[(year, date.month)] += amount
        self.committed_in[year] += amount
        self.total_net += amount
        state = CommitmentState(entry)
        if self.commitments.setdefault(ident, state) is state and self._waiting:  # a duplicate id keeps the first
            for early in self._waiting.pop(ident, ()):
                self._issue(early, Severity.ERROR, f"{early.kind}-before-commitment",
                            _("{kind} dated {date} precedes its commitment {commitment} dated "
                              "{commitment_date}").format(kind=kind_name(early.kind), date=format_date(early.date),
                                                          commitment=entry_name(entry),
                                                          commitment_date=format_date(state.date)))

    def _linked(self, entry: Entry) -> CommitmentState | None:
        """The commitment a payment or release names; None, the entry waiting for it, when
        it is not applied (yet)."""
        key = entry[8] or ""
        state = self.commitments.get(key)
        if state is None:
            self._waiting.setdefault(key, []).append(entry)
        return state

    def _pay(self, entry: Entry) -> None:
        state = self._linked(entry)
        date, amount, ref = entry[0], entry[4], entry[5]
        year = date.year
        if ref is not None:
            self.payment_refs.add(ref)
        self.cp_used[year] += amount
        self.cp_monthly[(year, date.month)] += amount
        self.team_paid[entry[3]] += amount
        self.total_paid += amount
        if state is not None:
            if self._kept is not None:
                self._keep(state)
            if state.id in self.targets:
                self.settled_by.setdefault(state.id, []).append(entry.id)
            state.paid += amount
            state.payments += 1
            state.last_payment = date
            self.paid_on[(state.year, year)] += amount

    def _release(self, entry: Entry) -> None:
        state = self._linked(entry)
        if state is None:
            return
        amount = entry.amount
        if self._kept is not None:
            self._keep(state)
        if state.id in self.targets:
            self.settled_by.setdefault(state.id, []).append(entry.id)
        state.released += amount
        self.team_net[state.team] -= amount
        self.total_net -= amount
        year, committed_year = entry.date.year, state.year
        self.released_on[(committed_year, year)] += amount
        if release_restores_ae(committed_year, year):
            self.ae_used[year] -= amount
            self.ae_monthly[(year, entry.date.month)] -= amount
            self.team_year[(state.team, year)] -= amount
        else:
            self.released_other_year[year] += amount

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
                     "released_other_year", "committed_in", "paid_on", "released_on", "cancelled_on", "unpaid_on",
                     "lost_on_cancel", "cancelled", "certified"):
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


@dataclass(frozen=True)
class Availability:
    """What remains under each limit after a replay, with the limits of a given day: the
    same arithmetic as the admission rules (AE and CP net of what avenants in force carry over)."""

    limits: Limits
    replay: Replay

    def team(self, team: str) -> tuple[Cents, Cents, Cents] | None:
        """(cap, net committed, available) for a team; None when the convention caps no team."""
        cap = self.limits.cap_of(team)
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




from .corrections import apply_cancel, apply_service_fait  # noqa: E402  (they change a Replay)
