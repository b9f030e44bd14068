"""The one read path: a ledger read once, streaming, with every problem.

:func:`read_book` is to every command what beancount's ``loader.load_file`` is to
bean-check, bean-query and fava: it reads the ledger once, a block of about 4 MB at a time
— header and convention id, every line parsed, the seals verified, the replay with every
hard rule — and returns the state *and* the problems together, as a :class:`Book`.  Each
command decides what the problems mean for it: ``check`` prints them; ``report`` and
``export`` refuse when there is an error (``report --allow-invalid`` renders anyway, saying
why first); ``log`` lists what it can read and exits 1; writing commands refuse to append
to a ledger with an error (:meth:`Book.require_writable`; ``check --repair`` is the way out
of a torn line).  Warnings never block.

Nothing is kept that nothing needs: entries stream through the replay and are dropped,
unless a command asks for them (``log``, ``export``); a report asks for a :class:`Window`,
the few entries and the figures "as of" its date.  Entries are replayed in date order: a
file written in date order (the usual case) is replayed as it is read; one that is not is
read again, its entries sorted (stably, by date), then replayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from ..core.budget import (
    Admission,
    ForecastKey,
    Sources,
    admit,
    admit_appended,
    carry_over_problems,
    forecast_key,
    locate,
)
from ..core.entries import Entry
from ..core.errors import DelegationError, ExitCode, Problem, Severity
from ..core.i18n import _
from ..core.lines import FORMAT_VERSION
from ..core.model import Convention
from ..core.replay import Replay
from ..core.seal import SealCheck, refuse_closed_at
from .ledger import old_version_refusal
from .reader import LedgerFile, LedgerReader, bulk, let_go


@dataclass(frozen=True)
class Window:
    """What a report needs from the pass besides the final figures: the figures as they
    stood on ``as_of`` (later entries are ignored), and the entries dated from
    ``keep_from`` to ``as_of`` (the month's movements and notes, the recent pace)."""

    as_of: dt.date
    keep_from: dt.date


@dataclass
class Seen:
    """What a :class:`Window` saw: the figures on its day and the entries it keeps.

    Attributes:
        state: the replay as it stood on ``as_of``.
        recent: entries dated from ``keep_from`` to ``as_of``, in date order.
        forecasts: per (team, month, type), the forecast in force on ``as_of`` (a later
            forecast replaces an earlier one).
        unsupported: payments dated up to ``as_of`` without a service fait date.
        counted: entries (seals apart) dated up to ``as_of``.
        last_seal: the seal closing the latest month, among those dated up to ``as_of``.
        year_end_forecasts: per year before the last one a forecast was recorded in, the
            forecasts in force at its 31 December (see :meth:`forecasts_at_end_of`).
    """

    state: Replay
    recent: list[Entry] = field(default_factory=list)
    forecasts: dict[ForecastKey, Entry] = field(default_factory=dict)
    unsupported: list[Entry] = field(default_factory=list)
    counted: int = 0
    last_seal: Entry | None = None
    year_end_forecasts: dict[int, dict[ForecastKey, Entry]] = field(default_factory=dict)
    forecast_year: int | None = None
    """The year of the last forecast recorded."""

    def record_forecast(self, entry: Entry) -> None:
        """A forecast replaces the one in force for its team, month and type; the forecasts
        in force at the end of each earlier year are kept."""
        year = entry.date.year
        if year != self.forecast_year:
            if self.forecast_year is not None:
                self.year_end_forecasts[self.forecast_year] = dict(self.forecasts)
            self.forecast_year = year
        if entry.amount:
            self.forecasts[forecast_key(entry)] = entry
        else:  # a forecast of 0 withdraws the one in force
            self.forecasts.pop(forecast_key(entry), None)

    def record_correction(self, entry: Entry, state: Replay) -> None:
        """A cancellation or a service fait applied by ``state``: a forecast cancelled is
        withdrawn; a payment cancelled or given its service fait is no longer unsupported."""
        target = entry.target or ""
        if entry.kind == "service-fait" and state.certified.get(target) is not entry:
            return
        if entry.kind == "cancel" and state.cancelled.get(target) is not entry:
            return
        cancelled = state.kept[target]
        if cancelled.kind == "forecast":
            key = forecast_key(cancelled)
            if self.forecasts.get(key) is cancelled:
                del self.forecasts[key]
        self.unsupported = [e for e in self.unsupported if e.id != target]

    def forecasts_at_end_of(self, year: int) -> dict[ForecastKey, Entry]:
        """The forecasts in force on 31 December of ``year`` (on ``as_of`` when that day is
        later): those recorded up to that day, each the latest for its key."""
        if self.forecast_year is None or year >= self.forecast_year:
            return self.forecasts
        earlier = [y for y in self.year_end_forecasts if y <= year]
        return self.year_end_forecasts[max(earlier)] if earlier else {}


@dataclass
class Book:
    """A ledger as the one read path found it.

    Attributes:
        conv: the convention it was checked against.
        file: what reading the file found (header, size, torn line, file problems).
        state: the replay of every entry.
        problems: every problem, file problems first, then by line; seal and carry-over
            problems after.
        seals: the seal verification (closed months, pending entries when kept).
        entries: every entry in file order, when asked for.
        count: entries read, seals apart.
        seen: what the report's window saw, when one was asked for.
    """

    conv: Convention
    file: LedgerFile
    state: Replay
    problems: list[Problem]
    seals: SealCheck
    entries: list[Entry] | None
    count: int
    seen: Seen | None
    _fd: int | None = None

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def require_valid(self) -> None:
        """Refuse (exit 1) a ledger with an error, with every error."""
        errors = self.errors
        if errors:
            raise DelegationError(errors, ExitCode.PROBLEMS)

    def require_writable(self, refusal: str | None = None) -> None:
        """Refuse to append to a ledger with an error: the problems, then why nothing was
        written (``refusal``, or a general reason)."""
        errors = self.errors
        version = self.file.version
        if not errors and version is not None and version != FORMAT_VERSION:
            raise DelegationError([old_version_refusal(self.path, version)], ExitCode.PROBLEMS)
        if not errors:
            return
        if self.file.torn_block is not None:
            why = _("refusing to append after an interrupted write; run `delegation check --repair` first")
        elif self.file.torn is not None:
            why = _("refusing to append after an incomplete line; run `delegation check --repair` first")
        elif any(p.code in ("ledger-header", "ledger-version", "ledger-bom") for p in errors):
            why = _("refusing to append to a file that is not a ledger")
        else:
            why = refusal or _("refusing to append to a ledger with errors; correct the lines named above, then "
                               "retry")
        raise DelegationError([*errors, Problem(self.path, None, None, Severity.ERROR, "ledger-not-writable", why)],
                              ExitCode.PROBLEMS)

    def admit(self, new: Sequence[Entry], sources: Sources | None = None) -> Admission:
        """The verdict on appending ``new`` entries (the state is consumed).

        Entries dated on or after the last one recorded — the usual case — are applied to
        the replayed state; an earlier-dated one is replayed with the whole ledger, which
        is read again.  An entry dated in a closed month is refused, and so is one that
        would leave a carry-over larger than what its year left unused."""
        carried = {p.message for p in carry_over_problems(self.conv, self.state, self.path)}
        last = self.state.last_date
        mending = any(e.target for e in new)  # the entries they name were not kept: replay with them
        if not mending and (last is None or all(e.date >= last for e in new)):
            verdict = admit_appended(self.state, new, self.path, sources)
        else:
            entries = self.entries if self.entries is not None else _entries_of(self._fd, self.path)
            verdict = admit(self.conv, entries, new, self.path, sources)
        if not verdict.errors:  # a backstop: the limits above already keep carried-over credits
            verdict.errors.extend(replace(p, message=_("{message}: the entry would consume credits the avenant "
                                                       "states were left unused").format(message=p.message))
                                  for p in carry_over_problems(self.conv, verdict.state, self.path)
                                  if p.message not in carried)
        closed = self.seals.closed_through()
        for index, entry in enumerate(new):
            problem = refuse_closed_at(entry, closed, self.path)
            if problem is not None:
                where = (problem.path, None) if not sources else sources[index]
                verdict.errors.insert(0, replace(problem, path=where[0], line=where[1]))
        return verdict


class _OutOfOrder(Exception):
    """An entry dated before one read earlier (or a correction naming an entry the look-ahead
    missed): the ledger must be read whole, sorted, then replayed."""


def read_book(conv: Convention, fd: int | None, shown: str, *, keep: bool = False,
              window: Window | None = None, keep_pending: bool = False) -> Book:
    """Read and check the ledger open on ``fd`` (None: no file, an empty ledger) against
    ``conv``, in one streaming pass.

    ``keep`` keeps every entry (``Book.entries``); ``window`` keeps what a report needs;
    ``keep_pending`` keeps the entries no seal covers yet (to close a month)."""
    with bulk():
        try:
            return _read(conv, LedgerReader(fd, shown), fd, keep=keep, window=window, keep_pending=keep_pending,
                         in_order=True)
        except _OutOfOrder:
            return _read(conv, LedgerReader(fd, shown), fd, keep=keep, window=window, keep_pending=keep_pending,
                         in_order=False)


class CheckedEntries:
    """The entries of a ledger checked without error (:func:`read_book`), dated up to
    ``until`` when given, read again from the open file each time they are iterated, up to the
    byte the check read: a document written in file order (CSV, JSON, a workbook) is made as the
    file is read, and never holds a million entries."""

    def __init__(self, fd: int | None, shown: str, size: int, until: dt.date | None):
        self._fd, self._shown, self._size, self._until = fd, shown, size, until
        self._count: int | None = None

    def __iter__(self) -> Iterator[Entry]:
        reader = LedgerReader(self._fd, self._shown, limit=self._size, progress=False)  # the check showed it
        until = self._until
        for entry in reader:
            if until is None or entry.date <= until:
                yield entry
        problems = reader.info.problems
        if reader.info.size != self._size:  # cut shorter since (by a program that takes no lock)
            problems = [*problems, Problem(self._shown, None, None, Severity.ERROR, "ledger-changed", _(
                "the ledger changed while it was read (it is only ever appended to); run the command again"))]
        if problems:  # the bytes checked changed since (a writer that takes no lock)
            raise DelegationError(problems, ExitCode.PROBLEMS)

    def __len__(self) -> int:
        if self._count is None:  # counted by a read of its own, then known for the command's run
            self._count = sum(1 for __ in self)
        return self._count

    def __contains__(self, entry: object) -> bool:
        return any(entry == mine for mine in self)


def checked_entries(conv: Convention, fd: int | None, shown: str, until: dt.date | None = None) -> CheckedEntries:
    """The entries of the ledger open on ``fd``, once :func:`read_book` found no error in it
    (refused, exit 1, with every error), as :class:`CheckedEntries`: the replay's state and the
    entries are never held together.  The shared lock is let go once the check is done: the
    bytes checked are never rewritten (a write appends after them; ``migrate`` replaces the file,
    whose old content the open descriptor keeps), so a long export does not hold up a ``commit``."""
    book = read_book(conv, fd, shown)
    book.require_valid()
    let_go(fd)  # what was checked is never rewritten (appends go after it): writers need not wait
    return CheckedEntries(fd, shown, book.file.size, until)


def read_valid_entries(conv: Convention, fd: int | None, shown: str) -> list[Entry]:
    """Every entry of a ledger without error, in file order, for a document that holds them all
    (an export sorted by date): :func:`checked_entries`, kept (refused, exit 1, with every error)."""
    entries = checked_entries(conv, fd, shown)
    with bulk():
        return list(entries)


def _entries_of(fd: int | None, shown: str) -> list[Entry]:
    with bulk():
        return list(LedgerReader(fd, shown))


class _Replayer:
    """Applies entries in date order to the replay, and keeps what the window asks for."""

    def __init__(self, conv: Convention, window: Window | None, targets: frozenset[str]):
        self.state = Replay(conv, targets=targets)
        self.window = window
        self.seen: Seen | None = None
        if window is not None:
            self.seen = Seen(self.state)

    def apply(self, entry: Entry) -> None:
        window, seen = self.window, self.seen
        if window is None or seen is None:
            self.state.apply(entry)
            return
        if entry.date > window.as_of:
            if seen.state is self.state:  # the first entry after the window's day: keep the figures
                seen.state = self.state.snapshot()
            self.state.apply(entry)
            return
        self.state.apply(entry)
        kind = entry.kind
        if kind == "seal":
            if seen.last_seal is None or (entry.month or "") > (seen.last_seal.month or ""):
                seen.last_seal = entry
            return
        seen.counted += 1
        if entry.date >= window.keep_from:
            seen.recent.append(entry)
        if kind == "forecast":
            seen.record_forecast(entry)  # in date order: the later one replaces
        elif kind == "payment" and entry.service_fait is None:
            seen.unsupported.append(entry)
        elif kind == "cancel" or kind == "service-fait":
            seen.record_correction(entry, self.state)


def _read(conv: Convention, reader: LedgerReader, fd: int | None, *, keep: bool, window: Window | None,
          keep_pending: bool, in_order: bool) -> Book:
    shown = reader.info.path
    seals_ahead, targets = reader.look_ahead()
    seals = SealCheck(shown, seals_ahead=seals_ahead, keep_pending=keep_pending)
    entries: list[Entry] = []
    kept = keep or not in_order
    replayer = _Replayer(conv, window, targets)
    apply = replayer.apply if window is not None else replayer.state.apply
    count = 0
    last: dt.date | None = None
    for entry in reader:
        if entry.kind == "seal":
            seals.seal(entry)
        else:
            count += 1
            if seals.active:
                seals.entry(entry, reader.text)
        if kept:
            entries.append(entry)
        if in_order:
            if last is not None and entry.date < last:
                raise _OutOfOrder
            last = entry.date
            apply(entry)
    if not in_order:  # every entry in hand: the ids corrections name are known exactly
        replayer = _Replayer(conv, window, frozenset(e.target for e in entries if e.target))
        apply = replayer.apply if window is not None else replayer.state.apply
        for entry in sorted(entries, key=_date):
            apply(entry)
    elif replayer.state.missed:  # a correction named an entry the look-ahead did not see
        raise _OutOfOrder
    state = replayer.state
    state.finish()
    state.settle()
    info = reader.info
    problems = list(info.problems)
    if info.has_header and info.convention_id not in (None, conv.id):
        problems.append(Problem(shown, 1, None, Severity.ERROR, "ledger-other-convention",
                                _("this ledger belongs to convention {convention}, not {expected}").format(
                                    convention=repr(info.convention_id), expected=repr(conv.id))))
    problems.extend(sorted(locate(state.issues, shown), key=_line))
    problems.extend(carry_over_problems(conv, state, shown))
    problems.extend(seals.problems)
    return Book(conv, info, state, problems, seals, entries if keep else None, count, replayer.seen, fd)


def _date(entry: Entry) -> dt.date:
    return entry.date


def _line(problem: Problem) -> int:
    return problem.line or 0
