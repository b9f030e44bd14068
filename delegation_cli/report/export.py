"""Exports to plain-text accounting tools: an hledger/ledger journal and a beancount file.

This module owns the translation of a convention and its ledger into double-entry
transactions whose account balances give back, to the cent, the figures of
``delegation report`` (see ``docs/export-hledger.md`` and ``docs/export-beancount.md``):

* each budget year's AE and CP are opened by a transaction dated the day the convention
  takes effect (and changed by avenants and carry-overs at their dates):
  ``ae:2020:available`` against ``ae:2020:opened``;
* a commitment moves AE from ``ae:YEAR:available`` to ``ae:YEAR:committed:TEAM``; a payment
  moves CP from ``cp:YEAR:available`` to ``cp:YEAR:paid:TEAM``;
* a release gives AE back to its commitment's year when dated in that year; a release of
  an earlier year's commitment goes to ``ae:YEAR:released-earlier:TEAM`` against
  ``ae:YEAR:not-recyclable``, and no AE comes back (GBCP art. 160);
* forecasts go to their own ``forecast:…`` accounts and change no AE or CP balance; notes
  are transactions without postings (hledger) or ``custom "note"`` directives (beancount).

Every entry becomes one transaction carrying its id and references as tags (metadata).
:func:`hledger` and :func:`beancount` render an :class:`Export` (the ``hledger`` and ``beancount``
formats of :mod:`formats`).

Text is written inert and whole (:func:`label_pieces`): a label, an avenant's object, the
convention's title are written as the ledger writes a label, the content of a JSON string whose
control, format, separator, private-use and unassigned characters are ``\\uXXXX`` escapes
(``ledger.quote_label``), plus each format's own escapes; a label too long for one line goes on in
``label-2``, ``label-3``… tags (metadata), each line within what ledger reads.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, assert_never

from ..core.admission import release_restores_ae
from ..core.budget import forecasts_in_force, in_date_order
from ..core.dialects import CsvDialect
from ..core.entries import TARGET_KEY, Entry
from ..core.lines import quote_label
from ..core.model import Convention
from ..core.money import Cents, format_signed
from .formats import in_batches

DATE_ORDERED = frozenset({"hledger", "beancount"})
"""The export formats whose transactions are in date order: they hold every entry (the others
are written in file order, as the ledger is read)."""


@dataclass(frozen=True)
class Export:
    """What ``delegation export`` writes: a convention, the entries of its ledger (dated up to
    ``until``, when given) and where they were read (``source``)."""

    conv: Convention
    entries: Collection[Entry]
    source: str
    until: dt.date | None = None


class Posting(NamedTuple):
    account: tuple[str, ...]  # path components: ("ae", "2020", "committed", "friches")
    amount: Cents


class Transaction(NamedTuple):
    date: dt.date
    payee: str
    narration: str
    tags: tuple[tuple[str, str], ...]
    postings: tuple[Posting, ...]


def transactions(conv: Convention, entries: Sequence[Entry], until: dt.date | None = None) -> Iterator[Transaction]:
    """The convention's openings and avenants, then every entry, in date order (made one at a
    time: a million entries are never held as transactions)."""
    heads = _heads(conv)
    entry_txns = _entry_transactions(entries)
    for day, __, __, txn in heapq.merge(heads, entry_txns, key=_order):
        if until is None or day <= until:
            yield txn


Keyed = tuple[dt.date, int, int, Transaction]


def _order(keyed: Keyed) -> tuple[dt.date, int, int]:
    return keyed[0], keyed[1], keyed[2]


def _heads(conv: Convention) -> list[Keyed]:
    """The openings of the échéancier and the avenants, in order."""
    out: list[Keyed] = []
    for yb in conv.budget.schedule:
        day = conv.effective_date  # the convention opens its whole échéancier when it takes effect
        y = str(yb.year)
        postings = []
        for kind, amount in (("ae", yb.ae), ("cp", yb.cp)):
            if amount:
                postings += [Posting((kind, y, "available"), amount), Posting((kind, y, "opened"), -amount)]
        out.append((day, 0, yb.year, Transaction(
            day, conv.id, f"AE and CP {yb.year} opened (échéancier)", (("kind", "opening"), ("year", y)),
            tuple(postings))))
    for av in conv.avenants_in_order:
        postings = []
        for year, ae_change, cp_change in conv.year_changes(av):  # new values less those in force
            y = str(year)
            for kind, amount in (("ae", ae_change), ("cp", cp_change)):
                if amount:
                    postings += [Posting((kind, y, "available"), amount), Posting((kind, y, "opened"), -amount)]
        reserved = []
        for carry in av.carry_overs:
            y, source = str(carry.to_year), str(carry.from_year)
            for kind, amount in (("ae", carry.ae), ("cp", carry.cp)):
                if amount:  # the credits open in the next year from the avenant's date …
                    postings += [Posting((kind, y, "available"), amount),
                                 Posting((kind, y, "opened", "carry-over"), -amount)]
                    # … and leave their own year whatever its date (Convention.carried_out)
                    reserved += [Posting((kind, source, "available"), -amount),
                                 Posting((kind, source, "carried-over"), amount)]
        if reserved:
            day = conv.effective_date
            out.append((day, 0, 10_000 + av.number, Transaction(
                day, conv.id, f"Avenant n° {av.number}: credits carried over to the next year",
                (("kind", "carry-over"), ("avenant", str(av.number))), tuple(reserved))))
        out.append((av.date, 1, av.number, Transaction(
            av.date, conv.id, f"Avenant n° {av.number}" + (f": {av.object}" if av.object else ""),
            (("kind", "avenant"), ("avenant", str(av.number))), tuple(postings))))
    return sorted(out, key=_order)


def _entry_transactions(entries: Sequence[Entry], *, tagged: bool = True) -> Iterator[Keyed]:
    """Each entry's transaction, in date order (file order within a day); without its tags
    and narration unless ``tagged`` (the accounts alone are wanted)."""
    commitments = {e.id: e for e in entries if e.kind == "commitment"}
    _, replaced = forecasts_in_force(in_date_order(entries))
    named = {e.target for e in entries if e.target}
    targets = {e.id: e for e in entries if e.id in named}
    dates = [e.date for e in entries]
    for index in sorted(range(len(entries)), key=dates.__getitem__):
        entry = entries[index]
        replaces = replaced.get(id(entry))
        if entry.kind == "cancel":
            postings = _reversal(entry, targets.get(entry.target or ""), commitments, replaces)
            replaces = None
        else:
            postings = _postings(entry, commitments, replaces)
        yield entry.date, 2, index, (_entry_transaction(entry, replaces, postings) if tagged
                                     else Transaction(entry.date, "", "", (), postings))


def _accounts_of(conv: Convention, entries: Sequence[Entry],
                 until: dt.date | None) -> tuple[list[tuple[str, ...]], dt.date]:
    """Every account the transactions post to, sorted (the accounts a journal declares first),
    and the date of the first transaction (or of the convention's start, when earlier)."""
    seen: set[tuple[str, ...]] = set()
    first = conv.effective_date
    for day, __, __, txn in heapq.merge(_heads(conv), _entry_transactions(entries, tagged=False), key=_order):
        if until is None or day <= until:
            seen.update(posting.account for posting in txn.postings)
            first = min(first, day)
    return sorted(seen), first


def _restores_ae(release: Entry, commitment: Entry | None) -> bool:
    """Whether a release gives AE back to its commitment's year: the replay's rule
    (:func:`core.replay.release_restores_ae`), which the report's figures follow, so that the
    export's balances give them back."""
    return (commitment is not None and commitment.date <= release.date
            and release_restores_ae(commitment.year, release.year))


def _reversal(cancel: Entry, target: Entry | None, commitments: dict[str, Entry],
              withdrawn: Entry | None) -> tuple[Posting, ...]:
    """A cancellation's postings: its entry's reversed on the cancellation's date, by the
    replay's year rules — a commitment or a payment of an earlier year gives back nothing to
    the year's available credits (``not-recyclable``), a forecast in force is withdrawn."""
    if target is None:
        return ()
    y, team, amount, same_year = str(cancel.year), target.team, target.amount, target.year == cancel.year
    if target.kind in ("commitment", "payment"):
        kind, used = ("ae", "committed") if target.kind == "commitment" else ("cp", "paid")
        if same_year:
            return Posting((kind, y, used, team), -amount), Posting((kind, y, "available"), amount)
        return Posting((kind, y, "cancelled-earlier", team), -amount), Posting((kind, y, "not-recyclable"), amount)
    if target.kind == "release" and same_year:
        if _restores_ae(target, commitments.get(target.commitment or "")):
            return Posting(("ae", y, "committed", team), amount), Posting(("ae", y, "available"), -amount)
        return Posting(("ae", y, "released-earlier", team), amount), Posting(("ae", y, "not-recyclable"), -amount)
    if target.kind == "forecast" and withdrawn is target:
        fy = (target.month or y)[:4]
        return (Posting(("forecast", fy, target.forecast_type or "ae", team), -amount),
                Posting(("forecast", fy, "planned"), amount))
    return ()


def _postings(entry: Entry, commitments: dict[str, Entry], replaces: Entry | None) -> tuple[Posting, ...]:
    """What an entry other than a cancellation posts (a cancellation: :func:`_reversal`)."""
    y, team, amount = str(entry.year), entry.team, entry.amount
    if entry.kind == "commitment":
        return Posting(("ae", y, "committed", team), amount), Posting(("ae", y, "available"), -amount)
    if entry.kind == "payment":
        return Posting(("cp", y, "paid", team), amount), Posting(("cp", y, "available"), -amount)
    if entry.kind == "release":
        if _restores_ae(entry, commitments.get(entry.commitment or "")):
            return Posting(("ae", y, "committed", team), -amount), Posting(("ae", y, "available"), amount)
        return (Posting(("ae", y, "released-earlier", team), -amount),
                Posting(("ae", y, "not-recyclable"), amount))
    if entry.kind == "forecast":
        # A later forecast for the same team, month and type replaces the earlier one: post
        # the difference, so that the forecast accounts hold what the report counts.
        fy = (entry.month or y)[:4]
        change = amount - (replaces.amount if replaces is not None else 0)
        if change:
            return (Posting(("forecast", fy, entry.forecast_type or "ae", team), change),
                    Posting(("forecast", fy, "planned"), -change))
        return ()
    if entry.kind != "note" and entry.kind != "seal" and entry.kind != "cancel" and entry.kind != "service-fait":
        assert_never(entry.kind)  # a new kind: say here what it posts (a note and a service fait post nothing,
        # a cancellation its reversal; seals are not exported)
    return ()


_NARRATION = {"commitment": "commitment", "payment": "payment", "release": "release", "forecast": "forecast",
              "cancel": "cancellation", "service-fait": "service fait"}


def _entry_transaction(entry: Entry, replaces: Entry | None, postings: tuple[Posting, ...]) -> Transaction:
    tags = [("id", entry.id), ("kind", entry.kind)]
    if replaces is not None:
        tags.append(("replaces", replaces.id))
    if entry.target is not None:
        tags.append((TARGET_KEY.get(entry.kind, "target"), entry.target))
    for key, value in (("ref", entry.ref), ("ej", entry.ej), ("marche", entry.marche), ("prestation", entry.prestation),
                       ("commitment", entry.commitment),
                       ("service_fait", entry.service_fait.isoformat() if entry.service_fait else None),
                       ("month", entry.month), ("type", entry.forecast_type), ("author", entry.author),
                       ("recorded_at", entry.recorded_at)):
        if value is not None:
            tags.append((key, value))
    if entry.line:
        tags.append(("line", str(entry.line)))
    narration = entry.label or _NARRATION.get(entry.kind, "note")
    return Transaction(entry.date, entry.team, narration, tuple(tags), postings)


# Text --------------------------------------------------------------------------------------

PIECE_BYTES = 900
"""The most bytes of text written on one line.  Ledger (ledger-cli) reads no line longer than
4 096 bytes and its ``print`` stops on a transaction whose date and description exceed 1 023
bytes (``Assertion failed … len < 1024``): with a team's id (64 characters at most) and the
date, a description stays under 1 000 bytes."""


def _json_body(text: str) -> str:
    """``text`` as the ledger file writes a label, without the quotes: ``\\"``, ``\\\\``,
    ``\\n``, ``\\t`` and ``\\uXXXX`` for every control, format, separator, surrogate,
    private-use or unassigned character (``ledger.quote_label``)."""
    return quote_label(text)[1:-1]


def label_pieces(text: str, first: Callable[[str], str], rest: Callable[[str], str],
                 size: int = PIECE_BYTES) -> list[str]:
    """``text`` written inert — :func:`_json_body`, then a format's own escapes, ``first`` in
    the first piece and ``rest`` in the others — in pieces of at most ``size`` bytes of UTF-8,
    cut between characters.  Joined, the pieces are the content of a JSON string whose value
    is exactly ``text``.  ``first`` and ``rest`` must escape character by character."""
    plain = text.isprintable() and '"' not in text and "\\" not in text  # then it is its own JSON body
    whole = first(text if plain else _json_body(text))
    if len(whole.encode("utf-8")) <= size:
        return [whole]
    out: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        written = (rest if out else first)(_json_body(char))
        count = len(written.encode("utf-8"))
        if current and used + count > size:
            out.append("".join(current))
            current, used = [], 0
            written = rest(_json_body(char))
            count = len(written.encode("utf-8"))
        current.append(written)
        used += count
    out.append("".join(current))
    return out


def _shortened(text: str, escape: Callable[[str], str]) -> str:
    """A title or a path in a comment or an option: inert, on one line, its first
    :data:`PIECE_BYTES` bytes (and "…" when it is longer)."""
    pieces = label_pieces(text, escape, escape)
    return pieces[0] + ("…" if len(pieces) > 1 else "")


# hledger / ledger ------------------------------------------------------------------------


def _no_semicolon(text: str) -> str:
    """A description ends at a ';' (a comment): ``\\u003b``, a JSON escape too."""
    return text.replace(";", "\\u003b")


def _no_tag(text: str) -> str:
    """In a comment hledger reads ``name:`` as a tag and ends its value at a comma: colons
    and commas are escaped too (``\\u003a``, ``\\u002c``)."""
    return _no_semicolon(text).replace(":", "\\u003a").replace(",", "\\u002c")


def _edges(text: str) -> str:
    """hledger trims a description and a tag's value: their edge spaces as ``\\u0020``."""
    if text.startswith(" "):
        text = "\\u0020" + text[1:]
    if text.endswith(" "):
        text = text[:-1] + "\\u0020"
    return text


def hledger_label(text: str) -> list[str]:
    """A transaction's text for hledger: the description, then the values of its ``label-2``,
    ``label-3``… tags when it is longer than :data:`PIECE_BYTES` bytes."""
    return [_edges(piece) for piece in label_pieces(text, _no_semicolon, _no_tag)]


_PLAIN = re.compile(r"[A-Za-z0-9._/:+-]+")
"""A token (an id, a reference, a date, a stamp): nothing in it to escape, in any format."""


def _tag_value(text: str) -> str:
    """Tags carry ids, references, dates: tokens, with nothing to escape (a colon is welcome in
    a value); anything else inert."""
    if _PLAIN.fullmatch(text) is not None:
        return text
    return _edges(_no_semicolon(_json_body(text)).replace(",", "\\u002c"))


def to_hledger(conv: Convention, entries: Sequence[Entry], *, source: str, until: dt.date | None = None) -> str:
    """An hledger journal (also read by ledger) of the convention and its ledger."""
    return "".join(hledger_pieces(conv, entries, source=source, until=until))


def hledger_pieces(conv: Convention, entries: Sequence[Entry], *, source: str,
                   until: dt.date | None = None) -> Iterator[str]:
    """:func:`to_hledger`, a piece at a time."""
    return in_batches(f"{line}\n" for line in _hledger_lines(conv, entries, source, until))


def _hledger_lines(conv: Convention, entries: Sequence[Entry], source: str, until: dt.date | None) -> Iterator[str]:
    yield from (
        f"; Convention {conv.id}: {_shortened(conv.title, str)}",
        f"; Exported by `delegation export --format hledger` from {_shortened(source, str)}"
        + (f", entries dated up to {until}" if until else ""),
        "; AE and CP per budget year; see docs/export-hledger.md for the accounts.",
        "",
        "commodity 1000.00 EUR",
        "",
    )
    yield from (f"account {':'.join(acc)}" for acc in _accounts_of(conv, entries, until)[0])
    for txn in transactions(conv, entries, until):
        tags = ", ".join(f"{k}:{_tag_value(v)}" for k, v in txn.tags)
        description, *more = hledger_label(txn.narration)
        yield ""
        yield f"{txn.date.isoformat()} {_tag_value(txn.payee)} | {description}  ; {tags}"
        yield from (f"    ; label-{number}: {piece}" for number, piece in enumerate(more, start=2))
        accounts = [":".join(p.account) for p in txn.postings]
        width = max(map(len, accounts), default=0)
        for account, posting in zip(accounts, txn.postings, strict=True):
            yield f"    {account:<{width}}  {format_signed(posting.amount):>14} EUR"


# beancount -------------------------------------------------------------------------------

_BEAN_ROOTS = {"available": "Assets", "opened": "Equity", "carried-over": "Equity", "committed": "Expenses",
               "paid": "Expenses", "released-earlier": "Expenses", "cancelled-earlier": "Expenses",
               "not-recyclable": "Equity", "planned": "Equity",
               "ae": "Expenses", "cp": "Expenses"}


def bean_account(path: tuple[str, ...]) -> str:
    """``("ae", "2020", "committed", "friches")`` -> ``Expenses:AE:Y2020:Committed:Friches``."""
    envelope, year, *rest = path
    if envelope == "forecast":
        root = "Equity" if rest[0] == "planned" else "Expenses"
        parts = ["Forecast", f"Y{year}", *rest]
    else:
        root = _BEAN_ROOTS[rest[0]]
        parts = [envelope.upper(), f"Y{year}", *rest]
    return ":".join([root] + [_bean_component(p) for p in parts])


def _bean_component(text: str) -> str:
    if text in ("AE", "CP"):
        return text
    return "-".join(word[:1].upper() + word[1:] for word in text.split("-"))


def _bean_escapes(text: str) -> str:
    """Inside a beancount string, a backslash and a double quote are escaped with a backslash."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _bean_string(text: str) -> str:
    """A beancount string whose value is ``text`` written inert (:func:`_json_body`), cut to
    :data:`PIECE_BYTES` bytes: for tokens, titles and what is not a label."""
    if len(text) <= PIECE_BYTES and _PLAIN.fullmatch(text) is not None:
        return f'"{text}"'
    return f'"{_shortened(text, _bean_escapes)}"'


def bean_label(text: str) -> list[str]:
    """A narration as beancount strings: the narration, then the values of its ``label-2``,
    ``label-3``… metadata when it is longer than :data:`PIECE_BYTES` bytes."""
    return [f'"{piece}"' for piece in label_pieces(text, _bean_escapes, _bean_escapes)]


def to_beancount(conv: Convention, entries: Sequence[Entry], *, source: str, until: dt.date | None = None) -> str:
    """A beancount file (checked by ``bean-check``) of the convention and its ledger."""
    return "".join(beancount_pieces(conv, entries, source=source, until=until))


def beancount_pieces(conv: Convention, entries: Sequence[Entry], *, source: str,
                     until: dt.date | None = None) -> Iterator[str]:
    """:func:`to_beancount`, a piece at a time."""
    return in_batches(f"{line}\n" for line in _beancount_lines(conv, entries, source, until))


def _beancount_lines(conv: Convention, entries: Sequence[Entry], source: str,
                     until: dt.date | None) -> Iterator[str]:
    accounts, first = _accounts_of(conv, entries, until)
    yield from (
        f"; Convention {conv.id}: {_shortened(conv.title, str)}",
        f"; Exported by `delegation export --format beancount` from {_shortened(source, str)}"
        + (f", entries dated up to {until}" if until else ""),
        "; AE and CP per budget year; see docs/export-beancount.md for the accounts.",
        "",
        f"option \"title\" {_bean_string(conv.title)}",
        'option "operating_currency" "EUR"',
        "",
        f"{first.isoformat()} commodity EUR",
    )
    yield from (f"{first.isoformat()} open {bean_account(acc)} EUR" for acc in accounts)
    names: dict[tuple[str, ...], str] = {}
    for txn in transactions(conv, entries, until):
        yield ""
        directive = 'custom "note"' if not txn.postings else "*"
        narration, *more = bean_label(txn.narration)
        yield f"{txn.date.isoformat()} {directive} {_bean_string(txn.payee)} {narration}"
        yield from (f"  label-{number}: {piece}" for number, piece in enumerate(more, start=2))
        yield from (f"  {key}: {_bean_string(value)}" for key, value in txn.tags)
        shown = [names.get(p.account) or names.setdefault(p.account, bean_account(p.account)) for p in txn.postings]
        width = max(map(len, shown), default=0)
        for account, posting in zip(shown, txn.postings, strict=True):
            yield f"  {account:<{width}}  {format_signed(posting.amount):>14} EUR"


def _in_hand(entries: Collection[Entry]) -> Sequence[Entry]:
    return entries if isinstance(entries, Sequence) else list(entries)


def hledger(e: Export) -> Iterator[str]:
    """The ``hledger`` format of :mod:`formats`: :func:`to_hledger`, a piece at a time."""
    return hledger_pieces(e.conv, _in_hand(e.entries), source=e.source, until=e.until)


def beancount(e: Export) -> Iterator[str]:
    """The ``beancount`` format of :mod:`formats`: :func:`to_beancount`, a piece at a time."""
    return beancount_pieces(e.conv, _in_hand(e.entries), source=e.source, until=e.until)


def export_csv(e: Export, dialect: CsvDialect) -> Iterator[str]:
    """The ``csv`` format of :mod:`formats`: the entries as ``log --format csv`` writes them,
    a piece at a time."""
    from .csv import log_csv_pieces

    return log_csv_pieces(e.entries, dialect)


def export_json(e: Export) -> Iterator[str]:
    """The ``json`` format of :mod:`formats`, a piece at a time."""
    from .json import export_json_pieces

    return export_json_pieces(e.conv.id, e.source, e.until, e.entries)
