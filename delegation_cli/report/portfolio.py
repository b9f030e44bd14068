"""The portfolio: every convention of a set of files and folders, one line each, and their totals.

This module owns ``delegation portfolio``'s figures: summarising each convention found
(:func:`discovery.find_conventions`) into a typed :class:`ConventionLine` (:func:`summarize`,
run in a pool of processes when there are many), and the :class:`Portfolio` of those lines
with its totals per délégant and per programme and the alerts to pass on to the délégants.
Its renderings are the format modules' (table, Markdown, CSV, JSON — schema
``delegation-portfolio/1``, docs/portfolio-json.md — and HTML), through :mod:`formats`; its
tables are :mod:`portfolio_sections`'.

A convention's figures are never computed here: :func:`summarize` loads it once, validates it
with :func:`actions.check_loaded` (the body of :func:`actions.run_check`, what ``delegation
check`` does), builds its report with :func:`build.build_report` (what ``delegation report``
does) and keeps that report's own figures — its totals, the budget year of its month, its
alerts —, which every format writes as the report writes them: they are exactly the figures
of ``delegation report --format json`` of the convention for the same month.  The totals are
sums of those figures.

Which month: with ``--month M``, every convention's report of ``M`` (as ``report --month M``);
without it, each convention's report of the current month clamped to its own period (as
``report`` without ``--month``: a convention that has ended shows its last month, one not yet
in force its first).  The status (not yet in force, running, ended) is as of the last day of
``M``, or of the current month.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.entries import month_end
from ..core.errors import DelegationError, Problem, Severity, fail
from ..core.i18n import N_, _, using
from ..core.money import Cents
from .alerts import in_severity_order, informing
from .discovery import find_conventions
from .figures import Alert, Dates, MonthlyReport, Totals, YearLine

if TYPE_CHECKING:
    from ..core.model import Convention
    from ..store.results import CheckResult

SEQUENTIAL_BELOW = 4
"""Fewer conventions than this are summarised in this process: a pool costs more than it saves."""
STATUSES = {"not-started": N_("not yet in force"), "running": N_("running"), "ended": N_("ended")}
AMOUNTS = ("envelope", "ae_committed", "cp_paid", "remaining_to_pay", "ae_available", "cp_available")
"""The amounts of a convention's line and of the totals, in the order the portfolio lists them."""


def amounts(t: Totals) -> tuple[Cents, ...]:
    """The :data:`AMOUNTS` of ``t``, in their order."""
    return (t.envelope, t.committed, t.paid, t.remaining, t.ae_available, t.cp_available)


# --------------------------------------------------------------------------------------
# One convention's line
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What ``delegation check`` says of a convention: valid or not, how many errors and
    warnings, the first problem (rendered in the language of the messages)."""

    valid: bool
    errors: int
    warnings: int
    first_problem: str | None = None


@dataclass(frozen=True)
class Figures:
    """A valid convention's figures: its own report's (``delegation report``), copied, never
    recomputed."""

    period: Dates
    status: str
    """``not-started``, ``running`` or ``ended`` on the portfolio's day (:data:`STATUSES`)."""
    month: str
    as_of: dt.date
    totals: Totals
    year: YearLine | None
    """The budget year of the report's month, when the convention has one."""
    alerts: tuple[Alert, ...]
    """Every alert of the report, in its order (errors first)."""
    closed_through: str | None

    def alert_counts(self) -> dict[str, int]:
        """The number of alerts per severity: error, warning, info."""
        counts = {severity.value: 0 for severity in Severity}
        for alert in self.alerts:
            counts[alert.severity.value] += 1
        return counts

    def inform(self) -> list[Alert]:
        """The alerts that require informing the délégant (art. 5)."""
        return informing(self.alerts)


@dataclass(frozen=True)
class ConventionLine:
    """One convention of the portfolio: who it is, what ``check`` says, and its figures when
    it is valid (None when it fails ``check``).  Plain, picklable values only: a pool's worker
    returns it."""

    file: str
    id: str | None
    title: str | None
    delegant: str | None
    programme: str | None
    uo: str | None
    check: Check
    problems: tuple[Problem, ...] = ()
    figures: Figures | None = None


def status_on(period: Dates, day: dt.date) -> str:
    """not-started, running or ended on ``day``, from the convention's period."""
    if day < period.effective:
        return "not-started"
    return "ended" if day > period.end else "running"


def _failed(path: str, problems: Sequence[Problem], conv: Convention | None = None) -> ConventionLine:
    errors = [p for p in problems if p.is_error]
    first = errors[0] if errors else (problems[0] if problems else None)
    check = Check(False, len(errors), sum(1 for p in problems if not p.is_error),
                  None if first is None else first.render())
    if conv is None:
        return ConventionLine(path, None, None, None, None, None, check, tuple(problems))
    return ConventionLine(path, conv.id, conv.title, conv.parties.delegant.name, conv.imputation.programme,
                          conv.imputation.uo, check, tuple(problems))


def _line(path: str, report: MonthlyReport, check: CheckResult, day: dt.date) -> ConventionLine:
    """A convention's line from its report: its figures, copied, not recomputed."""
    conv = report.conv
    year_number = int(report.month[:4])
    figures = Figures(
        report.dates, status_on(report.dates, day), report.month, report.as_of, report.totals,
        next((y for y in report.years if y.year == year_number), None), tuple(in_severity_order(report.alerts)),
        None if report.last_seal is None else report.last_seal.month)
    return ConventionLine(path, conv.id, conv.title, conv.parties.delegant.name, conv.imputation.programme,
                          conv.imputation.uo, Check(True, 0, check.warnings), tuple(check.problems), figures)


def summarize(path: str, month: str | None, today: str, lang: str, messages: str) -> ConventionLine:
    """One convention's line of the portfolio.  ``lang`` is the document's language,
    ``messages`` that of the problems."""
    from ..store.actions import check_loaded
    from ..store.convention import load_convention
    from .build import build_report, report_book

    day = dt.date.fromisoformat(today)
    with using(messages):
        try:
            loaded = load_convention(Path(path))
            if loaded.convention is None or any(p.is_error for p in loaded.problems):
                return _failed(path, loaded.problems, loaded.convention)
            book = report_book(loaded, ledger=None, month=month, final=False, today=day)  # read once, for both
            check = check_loaded(loaded, book=book)  # what `delegation check PATH` does
            if check.errors:
                return _failed(path, check.problems, loaded.convention)
            report = build_report(loaded, ledger=None, month=month, team=None, final=False, today=day, any_month=True,
                                  lang=lang, book=book)
        except DelegationError as exc:
            return _failed(path, exc.problems, _convention_or_none(path))
        except OSError as exc:
            return _failed(path, [Problem(path, None, None, Severity.ERROR, "file-unreadable",
                                          _("cannot read: {reason}").format(reason=exc.strerror or str(exc)))])
        except Exception as exc:  # noqa: BLE001 - one convention must never hide the others
            return _failed(path, [Problem(path, None, None, Severity.ERROR, "internal-error",
                                          _("could not be summarised: {error}").format(
                                              error=f"{type(exc).__name__}: {exc}"))])
    portfolio_day = month_end(month) if month else month_end(day.strftime("%Y-%m"))
    return _line(path, report, check, portfolio_day)


def _convention_or_none(path: str) -> Convention | None:
    from ..store.convention import load_convention

    try:
        return load_convention(Path(path)).convention
    except Exception:  # noqa: BLE001 - only to name the convention beside its problem
        return None


def _summarize_args(args: tuple[str, str | None, str, str, str]) -> ConventionLine:
    return summarize(*args)


def summarize_all(files: Sequence[Path], month: str | None, today: dt.date, lang: str, messages: str,
                  workers: int | None = None) -> list[ConventionLine]:
    """Every convention's line, in the order of ``files``: in this process for fewer than
    :data:`SEQUENTIAL_BELOW`, else over a pool of ``workers`` processes (default: one per core)."""
    jobs = [(str(f), month, today.isoformat(), lang, messages) for f in files]
    count = workers or os.cpu_count() or 1
    if len(jobs) < SEQUENTIAL_BELOW or count <= 1:
        return [_summarize_args(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    count = min(count, len(jobs))
    with ProcessPoolExecutor(max_workers=count) as pool:
        return list(pool.map(_summarize_args, jobs, chunksize=max(1, len(jobs) // (count * 8))))


# --------------------------------------------------------------------------------------
# The portfolio
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """The valid conventions of one délégant or programme (or all of them): how many, and the
    sums of their totals."""

    name: str
    conventions: int
    totals: Totals


def _group(name: str, lines: Sequence[ConventionLine]) -> Group:
    figures = [line.figures.totals for line in lines if line.figures is not None]
    return Group(name, len(lines), Totals(sum(t.envelope for t in figures), sum(t.committed for t in figures),
                                          sum(t.paid for t in figures), sum(t.remaining for t in figures)))


GROUPS: dict[str, Callable[[ConventionLine], str | None]] = {
    "delegant": lambda line: line.delegant, "programme": lambda line: line.programme}
"""What the totals can be grouped by."""


@dataclass(frozen=True)
class Portfolio:
    month: str | None
    """``--month``, or None: each convention's current month within its period."""
    as_of: dt.date
    """The day the statuses are as of: the last day of ``month`` (else of the current month)."""
    language: str
    rows: tuple[ConventionLine, ...]

    @property
    def valid(self) -> list[ConventionLine]:
        return [r for r in self.rows if r.check.valid]

    @property
    def invalid(self) -> list[ConventionLine]:
        return [r for r in self.rows if not r.check.valid]

    def totals(self, key: str) -> list[Group]:
        """Per délégant (``key="delegant"``) or programme: the count and the sums of the valid
        conventions' amounts, in order of first appearance."""
        groups: dict[str, list[ConventionLine]] = defaultdict(list)
        for line in self.valid:
            groups[GROUPS[key](line) or ""].append(line)
        return [_group(name, lines) for name, lines in groups.items()]

    def total(self) -> Group:
        return _group("", self.valid)

    def inform(self) -> list[tuple[ConventionLine, Alert]]:
        """The alerts that require informing a délégant (art. 5), each with its convention."""
        return [(line, alert) for line in self.valid if line.figures is not None for alert in line.figures.inform()]


def build_portfolio(paths: Sequence[str], *, month: str | None, today: dt.date, lang: str, messages: str,
                    workers: int | None = None) -> Portfolio:
    """The portfolio of the conventions named or found in ``paths`` (refused, exit 2, when
    there is none), then a failed line for each folder that could not be searched."""
    found = find_conventions(paths)
    if not found.files and not found.unreadable:
        raise fail(_("no convention file found (expected YAML files with budget: and teams: keys)"),
                   code="no-convention", path=", ".join(paths) or ".")
    rows = summarize_all(found.files, month, today, lang, messages, workers)
    with using(messages):
        rows += [_failed(folder, [Problem(folder, None, None, Severity.ERROR, "folder-unreadable",
                                          _("cannot search this folder: {reason}").format(reason=reason))])
                 for folder, reason in found.unreadable]
    as_of = month_end(month) if month else month_end(today.strftime("%Y-%m"))
    return Portfolio(month, as_of, lang, tuple(rows))


def problems_of(p: Portfolio) -> list[Problem]:
    """The problems of the conventions that fail ``check`` (stderr)."""
    return [problem for line in p.invalid for problem in line.problems]
