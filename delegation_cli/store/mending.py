"""Writing a correction: the entry that mends an earlier one (``cancel``, ``service-fait``).

This module owns what ``actions.record`` does differently for them: the earlier entry is
named by its id, its bon de commande or its demande de paiement (:func:`resolve`), the new
entry takes its team; and a cancellation is the one entry that may be appended to a ledger
with errors, when it mends some of them and brings none (:func:`require_mending`): a merge
made without its check, or a line over a limit, is mended by cancelling the entry at fault.
"""

from __future__ import annotations

import datetime as dt

from ..core.entries import Entry, Stamp, entry_name
from ..core.errors import DelegationError, ExitCode, Problem, Severity, fail
from ..core.i18n import _, format_date
from ..core.issues import did_you_mean
from ..core.kinds import kind_name
from ..core.replay import Replay
from .book import Book


def draft_cancel(*, entry: str, date: dt.date, reason: str, stamp: Stamp) -> Entry:
    """A cancellation of the entry named ``entry`` (id or reference), with its reason."""
    if not reason.strip():
        raise fail(_("--reason is empty (expected why the entry is cancelled: it is shown to the délégant)"),
                   code="bad-argument")
    return Entry(date=date, kind="cancel", id="", team="", target=entry, recorded_at=stamp.at, author=stamp.by,
                 label=reason)


def draft_service_fait(*, payment: str, service_fait: dt.date, date: dt.date, label: str, stamp: Stamp) -> Entry:
    """The service-fait date of the payment named ``payment`` (id or demande de paiement)."""
    return Entry(date=date, kind="service-fait", id="", team="", target=payment, service_fait=service_fait,
                 recorded_at=stamp.at, author=stamp.by, label=label)


def resolve(book: Book, entry: Entry) -> Entry:
    """``entry`` naming its target by id: an entry's id, else the bon de commande of a
    commitment or the demande de paiement of a payment not cancelled; it takes the target's
    team.  Refused (exit 1) when nothing has that name."""
    key = entry.target or ""
    entries = book.entries or []
    cancelled = book.state.cancelled
    found = next((e for e in entries if e.id == key and e.kind != "seal"), None)
    if found is None:  # a reference: the entry that holds it now, else the last that held it
        named = [e for e in entries if key in (e.ref, e.ej) and e.kind in ("commitment", "payment")]
        if entry.kind == "service-fait" and any(e.kind == "payment" for e in named):
            named = [e for e in named if e.kind == "payment"]
        found = next((e for e in reversed(named) if e.id not in cancelled), named[-1] if named else None)
    if found is None:
        known = [name for e in entries if e.kind != "seal" for name in (e.id, e.ref) if name]
        raise fail(_("unknown entry {entry} ({did_you_mean}expected the id of an entry, a bon de commande or a "
                     "demande de paiement; `delegation log` lists them)").format(
                       entry=repr(key), did_you_mean=did_you_mean(key, known)),
                   code=f"{entry.kind}-unknown", exit_code=ExitCode.PROBLEMS)
    return entry._replace(target=found.id, team=found.team)


def _errors(state: Replay) -> set[tuple[int, str]]:
    return {(i.line, i.code) for i in state.issues if i.severity is Severity.ERROR}


def may_mend(book: Book, entry: Entry) -> bool:
    """Whether ``entry`` may be considered for a ledger with errors: a cancellation, when
    every error is one the replay found on an entry (none in the file itself, its seals or
    its avenants' carry-overs)."""
    if entry.kind != "cancel" or not book.errors:
        return False
    replayed = _errors(book.state)
    return all(p.line is not None and (p.line, p.code) in replayed for p in book.errors)


def require_mending(book: Book, state: Replay, entry: Entry) -> None:
    """On a ledger with errors, a cancellation is appended only when it mends at least one
    error and brings none; else refused, saying so."""
    before, after = _errors(book.state), _errors(state)
    if after < before:
        return
    why = _("refusing to append to a ledger with errors: this {kind} mends none of them (cancel an entry "
            "named above, the one at fault)").format(kind=kind_name(entry.kind))
    raise DelegationError([*book.errors, Problem(book.path, None, None, Severity.ERROR, "ledger-not-writable", why)],
                          ExitCode.PROBLEMS)


def refuse_cancelled(book: Book, key: str) -> None:
    """A payment or a release naming a commitment that is cancelled: say so (exit 1)."""
    state = book.state
    for ident, cancel in state.cancelled.items():
        cancelled = state.commitments.get(ident)
        if cancelled is not None and key in (cancelled.id, cancelled.ref, cancelled.ej):
            raise fail(_("commitment {commitment} is cancelled (by {cancel} on {date}): nothing can be paid or "
                         "released on it").format(commitment=entry_name(cancelled), cancel=cancel.id,
                                                  date=format_date(cancel.date)),
                       code="commitment-cancelled", exit_code=ExitCode.PROBLEMS)
