"""The verdicts on a ledger's entries against their convention: check and admission.

This module owns what the other floors ask of the *contrôle de disponibilité*; the state
is :class:`replay.Replay`'s and the rules are :mod:`admission`'s (each written once, used by
admission, ``check``, the report and the exports).

* :func:`replay` replays a sequence of entries (tests, bulk import) in date order;
* :func:`carry_over_problems`: a carry-over larger than what its year left unused;
* :func:`admit_appended` and :func:`admit` decide whether new entries may be appended: they
  are refused when they bring a new hard problem, on themselves or on a later entry they
  would invalidate;
* :func:`forecasts_in_force`, the forecast rule (a later forecast replaces the earlier one).

It sees only model objects and entries: no paths, no files, no rendering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .entries import Entry
from .errors import Problem, Severity
from .i18n import _
from .issues import Issue
from .model import Convention
from .money import format_fr
from .replay import Replay


def in_date_order(entries: Iterable[Entry]) -> list[Entry]:
    """Entries sorted by date, file order kept for equal dates (a stable sort)."""
    return sorted(entries, key=lambda e: e.date)


def replay(conv: Convention, entries: Iterable[Entry], *, thresholds: bool = False) -> Replay:
    """Replay entries (given in file order) in date order; the state holds the issues."""
    ordered = in_date_order(entries)
    state = Replay(conv, thresholds=thresholds, targets={e.target for e in ordered if e.target})
    for entry in ordered:
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
    order for equal dates) replaces the earlier one; one of 0, or a cancellation of the one in
    force, withdraws it.  Returns the forecasts in force and, for each forecast that replaced
    another and each cancellation that withdrew one (keyed by ``id(entry)``), that one."""
    current: dict[ForecastKey, Entry] = {}
    replaced: dict[int, Entry] = {}
    for entry in ordered:
        if entry.kind == "forecast":
            key = forecast_key(entry)
            if key in current:
                replaced[id(entry)] = current[key]
            current[key] = entry
            if not entry.amount:  # a forecast of 0 withdraws the one in force
                del current[key]
        elif entry.kind == "cancel":
            cancelled = next((e for e in current.values() if e.id == entry.target), None)
            if cancelled is not None:  # the cancellation withdraws it
                replaced[id(entry)] = cancelled
                del current[forecast_key(cancelled)]
    return list(current.values()), replaced


def locate(issues: Iterable[Issue], path: str) -> list[Problem]:
    """Turn replay issues into problems located at their ledger line."""
    return [Problem(path, i.line if i.line > 0 else None, None, i.severity, i.code, i.message) for i in issues]


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
    known = {(i.line, i.code) for i in state.issues}
    for entry in in_date_order(numbered(new)):
        state.apply(entry)
    state.finish()
    return _verdict(state.issues, known, path, sources, state)


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
