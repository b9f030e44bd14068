"""Avenants applied in date order: the amounts in force on a given day.

This module owns the one way avenants are put in force (:func:`_applied_in_order`): in date
order (number order for equal dates), each on top of those before it, every amount it
states a new value — the team cap (only where the convention caps teams), the envelope, a
year's AE and CP.  From that single walk come:

* :class:`Limits` and :func:`limit_steps`, the amounts in force from each avenant's date on,
  carry-overs into a year included (read through :meth:`model.Convention.limits_at`);
* :class:`AvenantStep` and :func:`avenant_steps`, each avenant with the amounts just before
  and just after it, the schedule's years only (the avenant rules of ``convention_rules``
  and :func:`year_changes_by_avenant`, read through :meth:`model.Convention.year_changes`);
* :func:`carried_out_by_year`, what carry-overs take out of each year whatever their date (read
  through :meth:`model.Convention.carried_out`).

It performs no I/O and reads the convention through its attributes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .money import Cents

if TYPE_CHECKING:
    from .model import Avenant, Convention

Year = int


@dataclass(frozen=True, slots=True)
class Limits:
    """The amounts in force on a given day (schedule + avenants applied so far).

    ``ae``/``cp`` map each year to what is opened for it, carry-overs *into* it included
    from the avenant's date; ``avenants`` lists the numbers of the avenants in force.  What
    an avenant carries *out* of a year is :meth:`Convention.carried_out`, whatever its date.
    """

    team_cap: Cents | None
    total: Cents
    ae: dict[Year, Cents]
    cp: dict[Year, Cents]
    avenants: tuple[int, ...] = ()
    caps: dict[str, Cents | None] = field(default_factory=dict)
    """Teams with a cap of their own, over ``team_cap`` (None: uncapped although a common cap
    exists is never stored; a team put back under the common cap is left out)."""
    until: dict[str, dt.date] = field(default_factory=dict)
    """Teams whose support ends: the last day a commitment may be made for each."""

    def cap_of(self, team: str) -> Cents | None:
        """The cap in force for ``team``: its own, else the common one (None: uncapped)."""
        return self.caps.get(team, self.team_cap)

    @property
    def capped(self) -> bool:
        """Whether any team is capped."""
        return self.team_cap is not None or any(cap is not None for cap in self.caps.values())


Book = tuple[Cents | None, Cents, dict[Year, Cents], dict[Year, Cents]]
"""The team cap, the envelope, and the AE and CP of each year in force, carry-overs aside
(they move credits between years; the years' own amounts are what avenants state)."""


def _schedule(conv: Convention) -> Book:
    """The amounts the convention states, before any avenant."""
    budget = conv.budget
    return (budget.team_cap, budget.total, {y.year: y.ae for y in budget.schedule},
            {y.year: y.cp for y in budget.schedule})


@dataclass(frozen=True, slots=True)
class Cast:
    """The teams' own terms in force: each team's own cap and end date (``until``)."""

    caps: dict[str, Cents | None]
    until: dict[str, dt.date]


def _cast(conv: Convention) -> Cast:
    return Cast({t.id: t.cap for t in conv.teams if t.cap is not None},
                {t.id: t.until for t in conv.teams if t.until is not None})


def _applied_in_order(conv: Convention) -> Iterator[tuple[Avenant, Book, Cast]]:
    """Each avenant in date order with the amounts and the teams' terms in force once it
    applies (fresh dicts each time): a new common cap (or none, ``team_cap: null``), a team
    added or given its own cap or end date."""
    cap, total, ae, cp = _schedule(conv)
    cast = _cast(conv)
    caps, until = dict(cast.caps), dict(cast.until)
    for av in conv.avenants_in_order:
        for change in av.years:
            if change.ae is not None:
                ae[change.year] = change.ae
            if change.cp is not None:
                cp[change.year] = change.cp
        if av.team_cap is not None or av.removes_team_cap:
            cap = av.team_cap
        if av.total is not None:
            total = av.total
        for team in av.teams:
            stated = team.model_fields_set
            if team.cap is not None:
                caps[team.id] = team.cap
            elif "cap" in stated:
                caps.pop(team.id, None)
            if team.until is not None:
                until[team.id] = team.until
            elif "until" in stated:
                until.pop(team.id, None)
        yield av, (cap, total, dict(ae), dict(cp)), Cast(dict(caps), dict(until))


def _limits(book: Book, cast: Cast, ae_in: dict[Year, Cents], cp_in: dict[Year, Cents],
            numbers: tuple[int, ...]) -> Limits:
    cap, total, ae, cp = book
    years = sorted({*ae, *ae_in, *cp, *cp_in})
    return Limits(cap, total, {y: ae.get(y, 0) + ae_in.get(y, 0) for y in years},
                  {y: cp.get(y, 0) + cp_in.get(y, 0) for y in years}, numbers, cast.caps, cast.until)


def limit_steps(conv: Convention) -> tuple[tuple[dt.date | None, Limits], ...]:
    """The limits before any avenant (dated None), then from each avenant's date on: the
    years' own amounts (as avenants state them) plus what carry-overs brought into them."""
    ae_in: dict[Year, Cents] = {}
    cp_in: dict[Year, Cents] = {}
    numbers: tuple[int, ...] = ()
    steps: list[tuple[dt.date | None, Limits]] = [(None, _limits(_schedule(conv), _cast(conv), ae_in, cp_in,
                                                                 numbers))]
    for av, book, cast in _applied_in_order(conv):
        for carry in av.carry_overs:
            ae_in[carry.to_year] = ae_in.get(carry.to_year, 0) + carry.ae
            cp_in[carry.to_year] = cp_in.get(carry.to_year, 0) + carry.cp
        numbers = (*numbers, av.number)
        steps.append((av.date, _limits(book, cast, ae_in, cp_in, numbers)))
    return tuple(steps)


@dataclass(frozen=True, slots=True)
class AvenantStep:
    """One avenant applied in date order on top of those before it.

    ``team_cap``, ``total``, ``ae`` and ``cp`` are the amounts once it applies, carry-overs
    aside, for the schedule's years only (a change to another year is an error of its own,
    ``avenant-unknown-year``); ``before`` holds the same four just before it applies.
    """

    index: int
    avenant: Avenant
    team_cap: Cents | None
    total: Cents
    ae: dict[Year, Cents]
    cp: dict[Year, Cents]
    before: Book
    cast: Cast
    teams: tuple[str, ...]
    """The teams funded once it applies (those it adds included)."""

    @property
    def changes_caps(self) -> bool:
        """Whether the avenant moves a team cap, adds a team, or moves the envelope."""
        return (self.team_cap, self.total) != self.before[:2] or bool(self.avenant.teams)

    def caps_in_force(self) -> list[Cents] | None:
        """Each funded team's cap once it applies; None when a team is uncapped."""
        caps = [self.cast.caps.get(team, self.team_cap) for team in self.teams]
        return None if any(cap is None for cap in caps) else [cap for cap in caps if cap is not None]

    @property
    def changes_schedule(self) -> bool:
        """Whether the avenant moves the envelope or a year's AE or CP."""
        return (self.total, self.ae, self.cp) != self.before[1:]


def avenant_steps(conv: Convention) -> Iterator[AvenantStep]:
    """The avenants applied one by one in date order (``index``: the avenant's place in the
    file)."""
    index = {id(a): i for i, a in enumerate(conv.avenants)}
    known = conv.schedule_by_year
    before = _schedule(conv)
    teams = [t.id for t in conv.teams]
    for av, (cap, total, all_ae, all_cp), cast in _applied_in_order(conv):
        ae = {year: amount for year, amount in all_ae.items() if year in known}
        cp = {year: amount for year, amount in all_cp.items() if year in known}
        teams += [t.id for t in av.teams if t.id not in teams]
        yield AvenantStep(index[id(av)], av, cap, total, ae, cp, before, cast, tuple(teams))
        before = (cap, total, dict(ae), dict(cp))


def year_changes_by_avenant(conv: Convention) -> dict[int, tuple[tuple[Year, Cents, Cents], ...]]:
    """For each avenant (keyed by ``id``), what it adds to (or, negative, takes from) each
    schedule year it restates: ``(year, AE, CP)``, the new values less those in force just
    before it, carry-overs aside."""
    out: dict[int, tuple[tuple[Year, Cents, Cents], ...]] = {}
    for step in avenant_steps(conv):
        __, __, ae, cp = step.before
        years = sorted({c.year for c in step.avenant.years if c.year in ae})
        out[id(step.avenant)] = tuple((y, step.ae[y] - ae[y], step.cp[y] - cp[y]) for y in years)
    return out


def carried_out_by_year(conv: Convention) -> dict[tuple[str, int], Cents]:
    """Per (``"ae"`` or ``"cp"``, year), what the avenants carry out of the year to the next,
    whatever their dates."""
    out: dict[tuple[str, int], Cents] = {}
    for carry in (c for a in conv.avenants for c in a.carry_overs):
        for kind in ("ae", "cp"):
            key = (kind, carry.from_year)
            out[key] = out.get(key, 0) + getattr(carry, kind)
    return out
