"""What the admission rules find, and the words they share with the report's alerts.

This module owns :class:`Issue` (a problem found on an entry during the replay, located by
its line later) and what the rules of :mod:`admission` and the report's alerts say alike:
the art. 5 texts (:data:`INFORM_NOW`, :data:`INFORM`, :data:`INFORM_UNUSED`), a year's
cut-off date (:func:`cutoff_date`), a threshold as text (:func:`percent_label`), the nearest
known name (:func:`did_you_mean`), and the two warnings several rules give: a threshold
crossed (:func:`threshold_crossed`) and an entry after the year's cut-off
(:func:`after_cutoff`).  No I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .entries import Entry
from .errors import Severity
from .i18n import N_, _, format_date
from .kinds import kind_name
from .money import Cents, format_fr, format_percent, ratio_reached

INFORM_NOW = N_("inform the délégant without delay (art. 5)")
"""What art. 5 requires when credits run short or are about to (marked only: show it
through ``_()``)."""
INFORM = N_("insufficient credits: inform the délégant without delay (art. 5)")
"""The end of a refusal for want of credits (marked only: show it through ``_()``)."""
INFORM_UNUSED = N_("inform the délégant (art. 5)")
"""What art. 5 requires when credits are likely to stay unused (marked only: show it
through ``_()``)."""


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found on the entry of ``line`` during the replay (located later).  New
    entries being admitted carry negative line numbers: -1 for the first, -2 …"""

    line: int
    severity: Severity
    code: str
    message: str


def cutoff_date(cutoff: str | None, year: int) -> dt.date | None:
    """The year-end cut-off (``MM-DD`` in the convention's ``reporting.cutoffs``) of ``year``,
    the 29th of February falling back to the 28th; None when there is none."""
    if cutoff is None:
        return None
    month, day = int(cutoff[:2]), int(cutoff[3:])
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def percent_label(value: Decimal) -> str:
    """A threshold as French text: ``Decimal('97.5')`` -> ``97,5 %``."""
    text = format(value.normalize(), "f").replace(".", ",")
    return f"{text}\u00a0%"


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"did you mean 'friches'? "`` for the known name nearest to ``word`` (difflib, cutoff
    0.6), else ``""``: the start of an unknown name's explanation."""
    import difflib

    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return _("did you mean {name}? ").format(name=repr(close[0])) if close else ""


def carry_note(carried: Cents, year: int) -> str:
    if not carried:
        return ""
    return _(", less {amount} carried over to {year} by avenant").format(amount=format_fr(carried), year=year + 1)


def threshold_crossed(entry: Entry, thresholds: Iterable[Decimal], what: str, before: Cents, after: Cents,
                      limit: Cents, **names: object) -> Issue | None:
    """A warning when ``after`` crosses one of the ``thresholds`` (percentages of ``limit``)
    that ``before`` had not reached, the highest one; ``what`` is a message marked with
    ``N_``, filled with ``names`` (translated only when it is shown)."""
    if limit <= 0:
        return None
    for pct in sorted(thresholds, reverse=True):
        if ratio_reached(after, limit, pct) and not ratio_reached(before, limit, pct):
            return Issue(entry.line, Severity.WARNING, "threshold-crossed",
                         _("{what} reaches {percent} ({after} of {limit}), past the {threshold} threshold").format(
                             what=_(what).format(**names), percent=format_percent(after, limit),
                             after=format_fr(after), limit=format_fr(limit), threshold=percent_label(pct)))
    return None


def after_cutoff(entry: Entry, cutoff: str | None, message: str) -> Issue | None:
    """A warning for an entry dated after the year's cut-off; ``message`` is marked with ``N_``."""
    limit = cutoff_date(cutoff, entry.date.year)
    if limit is None or entry.date <= limit:
        return None
    return Issue(entry.line, Severity.WARNING, "after-cutoff", _(message).format(
        kind=kind_name(entry.kind), date=format_date(entry.date), limit=format_date(limit), year=entry.date.year))
