"""Pure budget computation: replaying a ledger against its convention.

This module owns the *contrôle de disponibilité*.  :class:`Replay` applies entries in date
order (file order for equal dates) and keeps the running figures: AE consumed per year
(commitments net of same-year releases), CP consumed per year, each team's net
commitments, the envelope, each commitment's paid, released and *reste à payer*.  Before
applying an entry it checks it against the limits in force on its date
(:meth:`model.Convention.limits_at`) and returns what is wrong as values.

* :func:`check_entries` replays a whole ledger and returns every problem;
* :func:`admit` decides whether new entries may be appended: it replays the ledger with
  and without them and refuses when they bring any new hard problem, on themselves or on
  a later entry they would invalidate.

It sees only model objects and entries: no paths, no files, no rendering.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import Problem, Severity
from .ledger import Entry, bulk
from .model import Convention, Limits
from .money import Cents, format_fr, format_percent, ratio_reached

_Add = Callable[[Severity, str, str], None]
"""The callback through which a check reports an issue on the entry being applied."""

INFORM = "insufficient credits: inform the délégant without delay (art. 5)"


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found on one entry during the replay (located later)."""

    entry: Entry
    severity: Severity
    code: str
    message: str


@dataclass
class CommitmentState:
    """A commitment and what happened to it since."""

    entry: Entry
    paid: Cents = 0
    released: Cents = 0
    last_payment: dt.date | None = None
    payments: int = 0

    @property
    def net(self) -> Cents:
        return self.entry.amount - self.released

    @property
    def remaining(self) -> Cents:
        """*Reste à payer*: committed − released − paid."""
        return self.entry.amount - self.released - self.paid


@dataclass
class Replay:
    """Running figures of a ledger replayed in date order.

    Attributes:
        conv: the convention.
        ae_used: per year, commitments dated that year net of same-year releases.
        cp_used: per year, payments dated that year.
        team_net: per team, commitments net of all releases (what counts against the cap).
        team_year: per (team, year), commitments dated that year net of same-year releases.
        team_paid: per team, payments.
        total_net: all commitments net of all releases (what counts against the envelope).
        released_other_year: per year of the release, releases of earlier years'
            commitments (they restore no AE, GBCP art. 160).
        commitments: per id, the commitment and its payments and releases.
    """

    conv: Convention
    thresholds: bool = True
    ae_used: dict[int, Cents] = field(default_factory=lambda: defaultdict(int))
    cp_used: dict[int, Cents] = field(default_factory=lambda: defaultdict(int))
    team_net: dict[str, Cents] = field(default_factory=lambda: defaultdict(int))
    team_year: dict[tuple[str, int], Cents] = field(default_factory=lambda: defaultdict(int))
    team_paid: dict[str, Cents] = field(default_factory=lambda: defaultdict(int))
    total_net: Cents = 0
    total_paid: Cents = 0
    released_other_year: dict[int, Cents] = field(default_factory=lambda: defaultdict(int))
    commitments: dict[str, CommitmentState] = field(default_factory=dict)
    commitment_refs: dict[str, str] = field(default_factory=dict)
    payment_refs: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    later_commitments: dict[str, Entry] = field(default_factory=dict)
    """Every commitment of the ledger, to name one that a payment or release precedes."""
    dangling: set[str] = field(default_factory=set)
    """Commitment ids that a payment or release named before any such commitment was applied."""

    # ---------------------------------------------------------------------------------

    def carried(self, kind: str, year: int) -> Cents:
        """AE or CP of ``year`` that avenants carry over to the next year (no longer usable in it)."""
        return self._carried.get((kind, year), 0)

    def resolve(self, key: str) -> CommitmentState | None:
        """A commitment by id, or by its bon de commande reference."""
        found = self.commitments.get(key)
        if found is None and key in self.commitment_refs:
            found = self.commitments[self.commitment_refs[key]]
        return found

    def __post_init__(self) -> None:
        conv = self.conv
        self._start, self._end, self._pay_end = conv.effective_date, conv.period.end, conv.payments_until
        self._team_ids = conv.team_ids
        self._handlers: dict[str, Callable[[Entry, Limits, _Add], None]] = {
            "commitment": self._commitment, "payment": self._payment, "release": self._release,
            "forecast": self._forecast,
        }
        self._limits = conv.limits_at
        self._carried = {(kind, year): conv.carried_out(kind, year) for kind in ("ae", "cp") for year in conv.years}
        self._months = (conv.effective_date.strftime("%Y-%m"), conv.period.end.strftime("%Y-%m"))

    def apply(self, entry: Entry) -> list[Issue]:
        """Check ``entry`` against the state and the limits of its date, then apply it."""
        issues: list[Issue] = []

        def add(severity: Severity, code: str, message: str) -> None:
            issues.append(Issue(entry, severity, code, message))

        E = Severity.ERROR
        ids = self.ids
        if entry.id in ids:
            add(E, "id-duplicate", f"id {entry.id} is already used by another entry "
                                   "(expected unique ids)")
        ids.add(entry.id)
        kind = entry.kind
        if kind == "seal":  # seals consume nothing; seal.verify checks them
            return issues
        if entry.team not in self._team_ids:
            add(E, "team-unknown", f"unknown team {entry.team!r} (expected one of: "
                                   f"{', '.join(t.id for t in self.conv.teams)})")
        # A forecast is recorded any day; its month must lie in the period (checked below).
        if kind != "forecast":
            start, end = self._start, self._pay_end if kind == "payment" else self._end
            if not start <= entry.date <= end:
                add(E, "date-outside-period",
                    f"{kind} dated {entry.date} is outside the convention's period "
                    f"{start} – {end} (the convention takes effect on {start})")
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(entry, self._limits(entry.date), add)
        return issues

    # ---------------------------------------------------------------------------------

    def _commitment(self, entry: Entry, limits: Limits, add: _Add) -> None:
        conv = self.conv
        E, W = Severity.ERROR, Severity.WARNING
        if entry.marche is not None and entry.marche not in conv.marche_ids:
            add(E, "marche-unknown", f"unknown marché {entry.marche!r} (expected one of: "
                                     f"{', '.join(sorted(conv.marche_ids)) or 'none declared'})")
        if entry.prestation is not None:
            owner = conv.marche_of_prestation.get(entry.prestation)
            if owner is None:
                add(E, "prestation-unknown",
                    f"unknown prestation kind {entry.prestation!r} (expected one of: "
                    f"{', '.join(sorted(conv.marche_of_prestation)) or 'none declared'})")
            elif entry.marche is not None and owner != entry.marche:
                add(E, "prestation-marche-mismatch",
                    f"prestation {entry.prestation!r} is bought on marché {owner!r}, not "
                    f"{entry.marche!r}")
        if entry.ref is not None:
            if entry.ref in self.commitment_refs:
                add(E, "ref-duplicate", f"bon de commande {entry.ref} is already recorded "
                                        f"(commitment {self.commitment_refs[entry.ref]})")
        year, amount, team = entry.date.year, entry.amount, entry.team
        who = _Who(team, amount)  # formatted only when a message needs it
        cap = limits.team_cap
        after = self.team_net[team] + amount
        if team in conv.team_ids and after > cap:
            add(E, "team-cap-exceeded",
                f"{who} takes the team to {format_fr(after)}, above its cap of "
                f"{format_fr(cap)} (available {format_fr(max(cap - self.team_net[team], 0))}, "
                f"asked {format_fr(amount)}); {INFORM}")
        opened = limits.ae.get(year, 0)
        carried = self.carried("ae", year)
        ae_after = self.ae_used[year] + amount
        if ae_after > opened - carried:
            add(E, "ae-exceeded",
                f"{who} takes AE {year} to {format_fr(ae_after)}, above the "
                f"{format_fr(opened)} opened for {year}{_carry_note(carried, year)} (available "
                f"{format_fr(max(opened - carried - self.ae_used[year], 0))}, asked {format_fr(amount)}); "
                f"{INFORM}")
        total_after = self.total_net + amount
        if total_after > limits.total:
            add(E, "envelope-exceeded",
                f"{who} takes the convention to {format_fr(total_after)}, above its envelope of "
                f"{format_fr(limits.total)} (available "
                f"{format_fr(max(limits.total - self.total_net, 0))}, asked {format_fr(amount)}); "
                f"{INFORM}")
        share_year = conv.schedule_by_year.get(year)
        share = share_year.ae_per_team if share_year else None
        ty_before = self.team_year[(team, year)]
        if share is not None and ty_before <= share < ty_before + amount:
            add(W, "share-exceeded",
                f"{team} commits {format_fr(ty_before + amount)} in {year}, above its indicative "
                f"share of {format_fr(share)} for the year")
        if self.thresholds:
            self._thresholds(add, f"{team} cap", self.team_net[team], after, cap)
            self._thresholds(add, f"AE {year}", self.ae_used[year], ae_after, opened - carried)
            self._thresholds(add, "envelope", self.total_net, total_after, limits.total)
        self._cutoff(entry, conv.reporting.cutoffs.commitments, "commitments", add)
        # apply
        self.team_net[team] = after
        self.team_year[(team, year)] = ty_before + amount
        self.ae_used[year] = ae_after
        self.total_net = total_after
        self.commitments.setdefault(entry.id, CommitmentState(entry))  # a duplicate id keeps the first
        if entry.ref is not None and entry.ref not in self.commitment_refs:
            self.commitment_refs[entry.ref] = entry.id

    def _linked(self, entry: Entry, add: _Add) -> CommitmentState | None:
        assert entry.commitment is not None
        state = self.commitments.get(entry.commitment)
        E = Severity.ERROR
        if state is None:
            self.dangling.add(entry.commitment)
            later = self.later_commitments.get(entry.commitment)
            if later is not None:
                add(E, f"{entry.kind}-before-commitment",
                    f"{entry.kind} dated {entry.date} precedes its commitment {entry_name(later)} "
                    f"dated {later.date}")
            else:
                add(E, "commitment-unknown",
                    f"{entry.kind} refers to commitment {entry.commitment}, which is not "
                    "recorded (expected the id of a commitment)")
            return None
        if state.entry.team != entry.team:
            add(E, "team-mismatch", f"{entry.kind} is charged to {entry.team} but commitment "
                                    f"{entry.commitment} belongs to {state.entry.team}")
        if entry.date < state.entry.date:
            add(E, f"{entry.kind}-before-commitment",
                f"{entry.kind} dated {entry.date} precedes its commitment "
                f"{entry_name(state.entry)} dated {state.entry.date}")
        return state

    def _payment(self, entry: Entry, limits: Limits, add: _Add) -> None:
        E, W = Severity.ERROR, Severity.WARNING
        state = self._linked(entry, add)
        year, amount = entry.year, entry.amount
        if state is not None:
            if amount > state.remaining:
                add(E, "payment-exceeds-remaining",
                    f"payment of {format_fr(amount)} on {entry_name(state.entry)} exceeds its reste à "
                    f"payer of {format_fr(state.remaining)} (committed "
                    f"{format_fr(state.entry.amount)}, released {format_fr(state.released)}, "
                    f"paid {format_fr(state.paid)}; {format_fr(amount - state.remaining)} too "
                    "much)")
            sf = entry.service_fait
            if sf is not None and sf < state.entry.date:
                add(E, "service-fait-before-commitment",
                    f"service fait on {sf} precedes the commitment {entry_name(state.entry)} dated "
                    f"{state.entry.date}")
        sf = entry.service_fait
        if sf is not None and sf > entry.date:
            add(E, "service-fait-after-payment",
                f"service fait on {sf} is after the payment dated {entry.date} (a payment "
                "follows the service fait)")
        if sf is None:
            add(W, "payment-without-service-fait",
                f"payment of {format_fr(amount)} has no service fait date (--service-fait)")
        if entry.ref is not None:
            if entry.ref in self.payment_refs:
                add(E, "ref-duplicate", f"demande de paiement {entry.ref} is already recorded")
            self.payment_refs.add(entry.ref)
        opened = limits.cp.get(year, 0)
        carried = self.carried("cp", year)
        cp_after = self.cp_used[year] + amount
        if cp_after > opened - carried:
            add(E, "cp-exceeded",
                f"payment of {format_fr(amount)} takes CP {year} to {format_fr(cp_after)}, above "
                f"the {format_fr(opened)} opened for {year}{_carry_note(carried, year)} (available "
                f"{format_fr(max(opened - carried - self.cp_used[year], 0))}, asked {format_fr(amount)}); "
                f"{INFORM}")
        if self.thresholds:
            self._thresholds(add, f"CP {year}", self.cp_used[year], cp_after, opened - carried)
        self._cutoff(entry, self.conv.reporting.cutoffs.payments, "payments", add)
        self.cp_used[year] = cp_after
        self.team_paid[entry.team] += amount
        self.total_paid += amount
        if state is not None:
            state.paid += amount
            state.payments += 1
            state.last_payment = entry.date

    def _release(self, entry: Entry, limits: Limits, add: _Add) -> None:
        state = self._linked(entry, add)
        if state is None:
            return
        amount = entry.amount
        if amount > state.remaining:
            add(Severity.ERROR, "release-exceeds-remaining",
                f"release of {format_fr(amount)} on {entry_name(state.entry)} exceeds its reste à "
                f"payer of {format_fr(state.remaining)} (committed {format_fr(state.entry.amount)}, "
                f"released {format_fr(state.released)}, paid {format_fr(state.paid)})")
        state.released += amount
        self.team_net[state.entry.team] -= amount
        self.total_net -= amount
        if entry.year == state.entry.year:
            self.ae_used[entry.year] -= amount
            self.team_year[(state.entry.team, entry.year)] -= amount
        else:
            self.released_other_year[entry.year] += amount

    def _forecast(self, entry: Entry, limits: Limits, add: _Add) -> None:
        assert entry.month is not None
        first, last = self._months
        if not first <= entry.month <= last:
            add(Severity.ERROR, "forecast-outside-period",
                f"forecast for {entry.month} is outside the convention's months {first} – {last}")

    def _thresholds(self, add: _Add, what: str, before: Cents, after: Cents, limit: Cents) -> None:
        if limit <= 0:
            return
        for pct in sorted(self.conv.reporting.alert_thresholds, reverse=True):
            if ratio_reached(after, limit, pct) and not ratio_reached(before, limit, pct):
                add(Severity.WARNING, "threshold-crossed",
                    f"{what} reaches {format_percent(after, limit)} "
                    f"({format_fr(after)} of {format_fr(limit)}), past the {percent_label(pct)} threshold")
                return

    def _cutoff(self, entry: Entry, cutoff: str | None, what: str, add: _Add) -> None:
        if cutoff is None:
            return
        month, day = int(cutoff[:2]), int(cutoff[3:])
        limit = dt.date(entry.year, month, min(day, calendar.monthrange(entry.year, month)[1]))
        if entry.date > limit:
            add(Severity.WARNING, "after-cutoff",
                f"{entry.kind} dated {entry.date} is after the {what} cut-off of {limit} for "
                f"{entry.year}; it may not be processed this year")

    # Figures -------------------------------------------------------------------------

    def availability(self, day: dt.date) -> Availability:
        limits = self.conv.limits_at(day)
        return Availability(limits, self)


class _Who:
    """``friches: commitment of 20 000,00 €``, built only when printed."""

    __slots__ = ("amount", "team")

    def __init__(self, team: str, amount: Cents):
        self.team, self.amount = team, amount

    def __str__(self) -> str:
        return f"{self.team}: commitment of {format_fr(self.amount)}"


def _carry_note(carried: Cents, year: int) -> str:
    return f", less {format_fr(carried)} carried over to {year + 1} by avenant" if carried else ""


def entry_name(entry: Entry) -> str:
    """``c-3f9a1b2c (BC-1)``: an entry's id with its reference."""
    return f"{entry.id} ({entry.ref})" if entry.ref else entry.id


def percent_label(value: Decimal) -> str:
    """A threshold as French text: ``Decimal('97.5')`` -> ``97,5 %``."""
    text = format(value.normalize(), "f").replace(".", ",")
    return f"{text}\u00a0%"


@dataclass(frozen=True)
class Availability:
    """What remains under each limit after a replay, with the limits of a given day."""

    limits: Limits
    replay: Replay

    def team(self, team: str) -> tuple[Cents, Cents, Cents]:
        """(cap, net committed, available) for a team."""
        used = self.replay.team_net.get(team, 0)
        return self.limits.team_cap, used, self.limits.team_cap - used

    def ae(self, year: int) -> tuple[Cents, Cents, Cents]:
        """(opened, committed, available); available is net of AE carried over to the next year."""
        used = self.replay.ae_used.get(year, 0)
        opened = self.limits.ae.get(year, 0)
        return opened, used, opened - self.replay.carried("ae", year) - used

    def cp(self, year: int) -> tuple[Cents, Cents, Cents]:
        used = self.replay.cp_used.get(year, 0)
        opened = self.limits.cp.get(year, 0)
        return opened, used, opened - self.replay.carried("cp", year) - used

    def envelope(self) -> tuple[Cents, Cents, Cents]:
        return self.limits.total, self.replay.total_net, self.limits.total - self.replay.total_net


def in_date_order(entries: Iterable[Entry]) -> list[Entry]:
    """Entries sorted by date, file order kept for equal dates (a stable sort)."""
    return sorted(entries, key=lambda e: e.date)


def replay(conv: Convention, entries: Sequence[Entry], *, thresholds: bool = False) -> tuple[Replay, list[Issue]]:
    """Replay entries (given in file order) in date order; return the state and issues."""
    return replay_ordered(conv, in_date_order(entries), thresholds=thresholds)


def replay_ordered(conv: Convention, ordered: Sequence[Entry], *,
                   thresholds: bool = False) -> tuple[Replay, list[Issue]]:
    """:func:`replay` for entries already in date order (as the report needs them too)."""
    state = Replay(conv, thresholds=thresholds)
    state.later_commitments = {e.id: e for e in ordered if e.kind == "commitment"}
    issues: list[Issue] = []
    with bulk():
        for entry in ordered:
            issues.extend(state.apply(entry))
    return state, issues


def forecasts_in_force(ordered: Sequence[Entry]) -> tuple[list[Entry], dict[int, Entry]]:
    """The forecast rule: for one team, month and type, a later forecast (in date order, file
    order for equal dates) replaces the earlier one.  Returns the forecasts in force and, for
    each forecast that replaced another (keyed by ``id(entry)``), the one it replaced."""
    current: dict[tuple[str, str | None, str | None], Entry] = {}
    replaced: dict[int, Entry] = {}
    for entry in ordered:
        if entry.kind == "forecast":
            key = (entry.team, entry.month, entry.forecast_type)
            if key in current:
                replaced[id(entry)] = current[key]
            current[key] = entry
    return list(current.values()), replaced


def locate(issues: Iterable[Issue], path: str) -> list[Problem]:
    """Turn replay issues into problems located at their ledger line."""
    return [
        Problem(path, i.entry.line or None, None, i.severity, i.code, i.message) for i in issues
    ]


def check_entries(conv: Convention, entries: Sequence[Entry], path: str) -> list[Problem]:
    """Every problem of a whole ledger against its convention (``delegation check``)."""
    state, issues = replay(conv, entries)
    problems = locate(issues, path)
    problems.extend(carry_over_problems(conv, state, path))
    return problems


def carry_over_problems(conv: Convention, state: Replay, path: str) -> list[Problem]:
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
                if amount > unused:
                    out.append(Problem(
                        path, None, None, Severity.ERROR, "carry-over-above-unused",
                        f"avenant n° {av.number} carries {format_fr(amount)} of {kind} over "
                        f"from {year}, but only {format_fr(max(unused, 0))} were left unused "
                        f"({format_fr(opened)} opened, {format_fr(used)} consumed)"))
    return out


@dataclass
class Admission:
    """The verdict on new entries: refused when ``errors`` is not empty."""

    errors: list[Problem]
    warnings: list[Problem]
    state: Replay


def admit(conv: Convention, existing: Sequence[Entry], new: Sequence[Entry], path: str,
          sources: Mapping[int, tuple[str, int]] | None = None,
          baseline: tuple[Replay, list[Issue]] | None = None) -> Admission:
    """Decide whether ``new`` entries may be appended after ``existing`` ones.

    The ledger is replayed in date order with and without them; they are refused when
    they bring a hard problem that the ledger did not already have: on themselves, or on
    a later entry they would invalidate (an earlier-dated commitment that leaves no AE for
    one already recorded).  Problems the ledger already had do not block: corrections
    are new entries and must stay possible.  ``sources`` maps ``id(entry)`` of new entries
    to the (file, row) they come from, so that their problems name it (bulk import).
    ``baseline`` is ``replay(conv, existing)`` when the caller has it already; it is
    consumed (the new entries are applied to it).

    When every new entry is dated on or after the last existing one — the usual case,
    entries being recorded as they happen — no existing entry comes after them in date
    order, so they are simply applied to the replayed state: one replay instead of two.
    """
    state, before = baseline if baseline is not None else replay(conv, existing)
    last = max((e.date for e in existing), default=None)
    if last is None or all(e.date >= last for e in new):
        return admit_appended(state, new, path, sources)
    known = {(i.entry.line, i.code) for i in before}
    state, after = replay(conv, [*existing, *new], thresholds=True)
    return _verdict(after, known, {id(e) for e in new}, path, sources, state)


def admit_appended(state: Replay, new: Sequence[Entry], path: str,
                   sources: Mapping[int, tuple[str, int]] | None = None) -> Admission:
    """:func:`admit` when every new entry is dated on or after every entry replayed into
    ``state`` (which is consumed): they are applied to it, in date order."""
    state.thresholds = True
    state.later_commitments.update((e.id, e) for e in new if e.kind == "commitment")
    after = [issue for entry in sorted(new, key=lambda e: e.date) for issue in state.apply(entry)]
    return _verdict(after, set(), {id(e) for e in new}, path, sources, state)


def _verdict(after: list[Issue], known: set[tuple[int, str]], new_ids: set[int], path: str,
             sources: Mapping[int, tuple[str, int]] | None, state: Replay) -> Admission:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for issue in after:
        mine = id(issue.entry) in new_ids
        if not mine and (issue.entry.line, issue.code) in known:
            continue
        if not mine and issue.severity is not Severity.ERROR:
            continue
        message = issue.message
        where, line = path, None
        if not mine:
            line = issue.entry.line
            message = f"this entry would make line {line} invalid: {message}"
        elif sources and id(issue.entry) in sources:
            where, line = sources[id(issue.entry)]
        problem = Problem(where, line, None, issue.severity, issue.code, message)
        (errors if issue.severity is Severity.ERROR else warnings).append(problem)
    return Admission(errors, warnings, state)
