"""The report's one library call: the monthly figures of a convention, read from its ledger."""

from __future__ import annotations

import datetime as dt

from ..core.errors import fail
from ..core.i18n import REPORT_DEFAULT, using
from ..store.actions import open_book
from ..store.convention import LoadedConvention
from .figures import MonthlyReport
from .monthly import default_month, monthly_report, report_window


def build_report(loaded: LoadedConvention, *, ledger: str | None, month: str | None, team: str | None,
                 final: bool, today: dt.date, allow_invalid: bool = False, lang: str | None = None) -> MonthlyReport:
    """The monthly (or final) report of a convention's ledger, in ``lang``, else the
    convention's ``reporting.language``, else French (it goes to the délégant); refused
    (exit 1, with every error, in the language of the messages) when the ledger has errors,
    unless ``allow_invalid``."""
    conv = loaded.convention
    assert conv is not None, "require_convention returns a valid convention"
    if team is not None and team not in conv.team_ids:
        raise fail(f"--team {team!r} is not a team of the convention (expected one of: "
                   f"{', '.join(t.id for t in conv.cast)})", code="bad-argument")
    chosen = month or default_month(conv, today, final=final)
    book = open_book(loaded, ledger, window=report_window(conv, chosen, final=final))
    if not allow_invalid:
        book.require_valid()
    language = lang or conv.reporting.language or REPORT_DEFAULT
    with using(language):
        return monthly_report(book, chosen, team=team, final=final, language=language)
