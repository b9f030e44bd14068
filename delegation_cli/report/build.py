"""The report's one library call: the monthly figures of a convention, read from its ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..core.errors import ExitCode, fail
from ..core.i18n import REPORT_DEFAULT, _, format_date, using
from ..core.model import Convention
from ..store.actions import open_book
from ..store.book import Book
from ..store.convention import LoadedConvention
from .figures import MonthlyReport
from .monthly import default_month, monthly_report, report_window


def build_report(loaded: LoadedConvention, *, ledger: str | None, month: str | None, team: str | None,
                 final: bool, today: dt.date, allow_invalid: bool = False, lang: str | None = None,
                 any_month: bool = False, book: Book | None = None) -> MonthlyReport:
    """The monthly (or final) report of a convention's ledger, in ``lang``, else the
    convention's ``reporting.language``, else French (it goes to the délégant); refused
    (exit 1, with every error, in the language of the messages) when the ledger has errors,
    unless ``allow_invalid``.  A month outside the convention's is refused (exit 2), unless
    ``any_month`` (a portfolio reports every convention at the same month).  ``book`` is the
    ledger already read for the same month, by :func:`report_book` or with a window of the same
    day that keeps more entries (the portfolio and the publication read each ledger once); else
    it is read here."""
    conv = loaded.convention
    assert conv is not None, "require_convention returns a valid convention"
    if team is not None and team not in conv.team_ids:
        raise fail(f"--team {team!r} is not a team of the convention (expected one of: "
                   f"{', '.join(t.id for t in conv.cast)})", code="bad-argument")
    chosen = month or default_month(conv, today, final=final)
    if not any_month:
        refuse_outside(conv, chosen)
    if book is None:
        book = report_book(loaded, ledger=ledger, month=chosen, final=final, today=today)
    if not allow_invalid:
        book.require_valid()
    language = lang or conv.reporting.language or REPORT_DEFAULT
    with using(language):
        return replace(monthly_report(book, chosen, team=team, final=final, language=language), issued=today)


def report_book(loaded: LoadedConvention, *, ledger: str | None, month: str | None, final: bool,
                today: dt.date, keep_all: bool = False) -> Book:
    """The ledger as the report of ``month`` (else the default month) reads it: through the one
    read path, every rule checked, the entries of the report's window kept — or, with
    ``keep_all``, every entry up to the report's day (the report reads the same from it)."""
    conv = loaded.convention
    assert conv is not None, "a valid convention"
    window = report_window(conv, month or default_month(conv, today, final=final), final=final)
    if keep_all:
        window = replace(window, keep_from=dt.date.min)
    return open_book(loaded, ledger, window=window)


def refuse_outside(conv: Convention, month: str) -> None:
    """A month the convention does not cover has no report: refused (exit 2) with what to ask
    instead — a month from the first of its period, or ``--final`` for the account at its term."""
    first, last = conv.period.start.strftime("%Y-%m"), conv.payments_until.strftime("%Y-%m")
    if month < first:
        raise fail(_("{month} is before the convention's period, which starts on {date}: report a month from "
                     "{first} on").format(month=month, date=format_date(conv.period.start), first=first),
                   code="month-outside-period", exit_code=ExitCode.USAGE)
    if month > last:
        raise fail(_("{month} is after the convention's last month, {last}: report a month up to {last}, or the "
                     "account at the term with --final").format(month=month, last=last),
                   code="month-outside-period", exit_code=ExitCode.USAGE)
