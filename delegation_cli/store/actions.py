"""What each command does, between reading its arguments and rendering its result.

This module owns the workflows that combine files and computation, so that the command
line (``cli``) stays a thin layer of argument parsing and rendering.  Every one of them
reads the ledger through the one read path, :func:`book.read_book`:

* :func:`run_check` validates a convention and its ledger, every problem at once
  (:func:`check_loaded`, once the convention is loaded);
* :func:`record` is the single write path for one entry: under the ledger's exclusive lock
  it reads the ledger, refuses a ledger with errors, completes the command's
  :class:`Draft` from the replayed state, runs the availability control
  (:meth:`book.Book.admit`) and appends only when nothing forbids it;
* :func:`read_entries`, :func:`export_entries` and :func:`close_month` serve ``log``,
  ``export`` and ``close``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import stat
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.entries import MAX_LABEL, TOKEN, TOKEN_EXPECTED, Entry, Stamp, month_end, new_id
from ..core.errors import DelegationError, ExitCode, Problem, Severity, fail, not_a_file
from ..core.i18n import N_, _, format_date
from ..core.issues import did_you_mean
from ..core.kinds import kind_name
from ..core.lines import FORMAT_VERSION, HEADER_PREFIX, format_entry, header_line
from ..core.model import Convention
from .book import Book, Window, checked_entries, read_book, read_valid_entries
from .convention import LoadedConvention, load_convention
from .ledger import appending, locked_ledger, version_of, write_atomically
from .mending import may_mend, refuse_cancelled, require_mending, resolve
from .reader import opened_for_reading
from .repair import migrate, repair
from .results import CheckResult, Migration, Outcome


def ledger_path_for(loaded: LoadedConvention, override: str | None) -> Path:
    """``--ledger`` if given, else the convention's ledger, relative to its YAML file."""
    if override:
        return Path(override)
    return loaded.ledger_path()


def _convention(loaded: LoadedConvention) -> Convention:
    conv = loaded.convention
    assert conv is not None, "require_convention returns a valid convention"
    return conv


def open_book(loaded: LoadedConvention, ledger: str | None, *, keep: bool = False,
              window: Window | None = None) -> Book:
    """The convention's ledger (or ``--ledger``) through the one read path, without the lock.

    The convention's own ledger not created yet reads as an empty ledger; a ledger named
    with ``--ledger`` must exist (exit 2, nothing created): reading commands never guess
    that a mistyped name is a new, empty ledger."""
    path = ledger_path_for(loaded, ledger)
    with _opened(path, ledger) as fd:
        return read_book(_convention(loaded), fd, str(path), keep=keep, window=window)


@contextlib.contextmanager
def _opened(path: Path, ledger: str | None) -> Iterator[int | None]:
    """The ledger open for reading (:func:`opened_for_reading`); one named with ``--ledger``
    must exist."""
    with opened_for_reading(path) as fd:
        if fd is None and ledger:
            raise fail(_("no such ledger (expected an existing ledger file; without --ledger the convention's "
                         "own ledger is used)"), code="ledger-missing", path=str(path))
        yield fd


# --------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------


def run_check(path: Path, *, ledger: str | None = None, repair_torn: bool = False,
              now: dt.datetime | None = None, anchor: str | None = None) -> CheckResult:
    """Validate a convention file and, when it is valid, its ledger; with ``repair_torn``,
    first mend what an interrupted write left (:func:`ledger.repair`, which acts only on a
    ledger of this convention); with ``anchor``, verify that the ledger still holds the
    sealed history whose fingerprint (a seal's ``sha256``) it is."""
    return check_loaded(load_convention(path), ledger=ledger, repair_torn=repair_torn, now=now, anchor=anchor)


def check_loaded(loaded: LoadedConvention, *, ledger: str | None = None, repair_torn: bool = False,
                 now: dt.datetime | None = None, anchor: str | None = None, book: Book | None = None) -> CheckResult:
    """:func:`run_check` of a convention already loaded (``portfolio`` loads it once for the
    check and the report, and gives the ``book`` its report reads: the ledger is read once)."""
    path = loaded.path
    result = CheckResult(path, list(loaded.problems))
    if loaded.convention is None or any(p.is_error for p in loaded.problems):
        return result
    ledger_path = ledger_path_for(loaded, ledger)
    result.ledger_path = ledger_path
    if repair_torn:
        result.repaired = repair(ledger_path, now or dt.datetime.now(dt.UTC), loaded.convention.id)
    if book is None:
        book = open_book(loaded, ledger)
    result.ledger_entries = book.count
    result.ledger_exists = book.file.exists
    result.problems.extend(book.problems)
    if anchor is not None:
        found = book.seals.anchored(anchor)
        if isinstance(found, Problem):
            result.problems.append(found)
        else:
            result.anchor = found
    return result


# --------------------------------------------------------------------------------------
# The write path
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A new entry as a command describes it, before the ledger is read.

    ``entry`` has no id yet (one is drawn when the ledger's ids are known).  A payment or a
    release names its commitment by ``target``, an id or a bon de commande reference,
    resolved against the ledger (the entry then takes the commitment's id and team); a
    release of amount 0 releases the commitment's whole reste à payer."""

    entry: Entry
    target: str | None = None
    dated: bool = True
    """False when the command was given no ``--date``: the entry is dated today."""


def today() -> dt.date:
    """The day an entry is dated when no ``--date`` is given."""
    return dt.date.today()


def _today_or(date: dt.date | None) -> dt.date:
    return date or today()


def check_dated(conv: Convention, draft: Draft) -> None:
    """An entry dated today by default, on a day outside the convention's period: say so and
    name ``--date`` (rather than refuse it for the budget year of today)."""
    entry = draft.entry
    start = conv.effective_date
    end = conv.payments_until if entry.kind in ("payment", "cancel", "service-fait") else conv.period.end
    if not draft.dated and not start <= entry.date <= end:
        raise fail(_("today ({date}) is outside the convention's period {start} – {end}: give the {kind}'s "
                     "date with --date YYYY-MM-DD").format(date=format_date(entry.date), start=format_date(start),
                                                          end=format_date(end), kind=kind_name(entry.kind)),
                   code="date-outside-period",
                   exit_code=ExitCode.USAGE)


def complete(draft: Draft, book: Book) -> Entry:
    """The entry a draft becomes on the replayed ledger."""
    state = book.state
    entry = draft.entry._replace(id=new_id(draft.entry.kind, state.ids))
    if entry.target is not None:
        return resolve(book, entry)
    if draft.target is None:
        return entry
    found = state.resolve(draft.target)
    if found is None:
        refuse_cancelled(book, draft.target)
        known = [name for c in state.commitments.values() for name in (c.id, c.ref, c.ej) if name]
        raise fail(_("unknown commitment {commitment} ({did_you_mean}expected a commitment id, its bon de "
                     "commande or its EJ number; `delegation log --kind commitment` lists them)").format(
                       commitment=repr(draft.target), did_you_mean=did_you_mean(draft.target, known)),
                   code="commitment-unknown", exit_code=ExitCode.PROBLEMS)
    entry = entry._replace(commitment=found.id, team=found.team)
    if entry.kind == "release" and entry.amount == 0:
        if found.remaining <= 0:
            raise fail(_("commitment {id} has nothing left to release (its reste à payer is {zero})").format(
                id=found.id, zero="0,00\u00a0€"), code="release-nothing", exit_code=ExitCode.PROBLEMS)
        entry = entry._replace(amount=found.remaining)
    return entry


def record(loaded: LoadedConvention, ledger_path: Path, draft: Draft, *, dry_run: bool) -> Outcome:
    """Check a new entry against the whole ledger and append it if nothing forbids it."""
    conv = _convention(loaded)
    path = str(ledger_path)

    check_dated(conv, draft)

    mending = draft.entry.target is not None
    with appending(ledger_path, header_line(conv.id), dry_run=dry_run) as (fd, write):
        book = read_book(conv, fd, path, keep=mending)
        allowed = mending and may_mend(book, draft.entry)
        if not allowed:
            book.require_writable()
        entry = complete(draft, book)
        verdict = book.admit([entry])
        if allowed and not verdict.errors:
            require_mending(book, verdict.state, entry)
        if verdict.errors:
            refused = Problem(path, None, None, Severity.ERROR, "entry-refused",
                              _("{kind} refused; the ledger was not changed").format(kind=kind_name(entry.kind)))
            raise DelegationError([*verdict.errors, refused], ExitCode.PROBLEMS)
        if write is not None:
            write([format_entry(entry)])
        return Outcome(entry, write is not None, ledger_path, verdict.warnings,
                       verdict.state.availability(entry.date), verdict.state.kept.get(entry.target or ""))



# --------------------------------------------------------------------------------------
# Drafts (argument checks that need no ledger are done here, before the lock)
# --------------------------------------------------------------------------------------


def author_name(option: str | None) -> str:
    """``--author``, else the login name."""
    name = option
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = os.environ.get("USER") or "unknown"
    return check_token(name, "--author")


def stamp(author: str | None) -> Stamp:
    """The recording stamp of a command run now by ``--author`` (else the login name)."""
    return Stamp.now(author_name(author))


def check_token(value: str, option: str) -> str:
    """A reference or an author as typed, if it is a token (``TOKEN``); else refused (exit 2)
    with a one-line reason that shows at most 64 characters of it, escaped."""
    if TOKEN.fullmatch(value) is None:
        shown = value if len(value) <= 64 else f"{value[:64]}..."
        raise fail(_("{option} {value} is not valid (expected {expected})").format(
                   option=option, value=repr(shown), expected=_(TOKEN_EXPECTED)), code="bad-argument")
    return value


def check_label(text: str | None, option: str = "--label") -> str:
    """A label or a note's text exactly as typed — never stripped nor normalised, the ledger
    gives it back identical — or refused (exit 2) when longer than ``MAX_LABEL`` characters
    or when it is not text (a surrogate: bytes that were not UTF-8)."""
    label = text or ""
    if len(label) > MAX_LABEL:
        raise fail(_("{option} is {length} characters long (at most {max})").format(
                   option=option, length=len(label), max=MAX_LABEL), code="bad-argument")
    if not label.isprintable():
        bad = next((i for i, c in enumerate(label) if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:
            raise fail(_("{option} is not valid UTF-8 text at character {position} (expected UTF-8)").format(
                       option=option, position=bad + 1), code="bad-argument")
    return label


def draft_commitment(conv: Convention, *, team: str, amount: int, date: dt.date | None, ref: str | None,
                     marche: str | None, prestation: str | None, label: str, stamp: Stamp,
                     ej: str | None = None) -> Draft:
    if ref is not None:
        check_token(ref, "--ref")
    if ej is not None:
        check_token(ej, "--ej")
    if marche is None and prestation is not None:
        marche = conv.marche_of_prestation.get(prestation)
    return Draft(Entry(date=_today_or(date), kind="commitment", id="", team=team, amount=amount, ref=ref, marche=marche,
                       prestation=prestation, recorded_at=stamp.at, author=stamp.by, label=label, ej=ej),
                 dated=date is not None)


def draft_payment(*, commitment: str, amount: int, date: dt.date | None, service_fait: dt.date | None,
                  ref: str | None, label: str, stamp: Stamp) -> Draft:
    if ref is not None:
        check_token(ref, "--dp")
    return Draft(Entry(date=_today_or(date), kind="payment", id="", team="", amount=amount, service_fait=service_fait,
                       ref=ref, recorded_at=stamp.at, author=stamp.by, label=label), target=commitment,
                 dated=date is not None)


def draft_release(*, commitment: str, amount: int | None, date: dt.date | None, label: str, stamp: Stamp) -> Draft:
    return Draft(Entry(date=_today_or(date), kind="release", id="", team="", amount=amount or 0, recorded_at=stamp.at,
                       author=stamp.by, label=label), target=commitment, dated=date is not None)


def draft_forecast(*, team: str, amount: int, month: str, forecast_type: str, date: dt.date | None, label: str,
                   stamp: Stamp) -> Draft:
    return Draft(Entry(date=_today_or(date), kind="forecast", id="", team=team, amount=amount, month=month,
                       forecast_type=forecast_type, recorded_at=stamp.at, author=stamp.by, label=label),
                 dated=date is not None)


def draft_note(*, team: str, text: str, date: dt.date | None, stamp: Stamp) -> Draft:
    if not text:
        raise fail(_("the note is empty (expected the text of the progress note)"), code="bad-argument")
    return Draft(Entry(date=_today_or(date), kind="note", id="", team=team, recorded_at=stamp.at, author=stamp.by,
                       label=text), dated=date is not None)


# --------------------------------------------------------------------------------------
# log and export
# --------------------------------------------------------------------------------------


def read_entries(loaded: LoadedConvention, ledger: str | None) -> tuple[Path, Book]:
    """The ledger with every entry kept (``log``, ``export``)."""
    return ledger_path_for(loaded, ledger), open_book(loaded, ledger, keep=True)


@contextlib.contextmanager
def export_entries(loaded: LoadedConvention, ledger: str | None, until: dt.date | None, *,
                   in_date_order: bool) -> Iterator[tuple[Path, Collection[Entry]]]:
    """The ledger's path and the entries an export holds (``export``): those dated up to
    ``until`` when given, refused (exit 1, with every error) when the ledger has an error.  For
    an export ``in_date_order`` (a journal), every entry is kept; for one in file order, they are
    read from the ledger as the export is written, inside the ``with`` block."""
    path = ledger_path_for(loaded, ledger)
    with _opened(path, ledger) as fd:
        if in_date_order:
            entries = read_valid_entries(_convention(loaded), fd, str(path))
            yield path, entries if until is None else [e for e in entries if e.date <= until]
        else:
            yield path, checked_entries(_convention(loaded), fd, str(path), until)


def select_entries(entries: list[Entry], *, team: str | None, month: str | None,
                   kind: str | None) -> list[Entry]:
    """Entries (file order) matching every given filter."""
    return [e for e in entries
            if (team is None or e.team == team) and (kind is None or e.kind == kind)
            and (month is None or e.date.strftime("%Y-%m") == month)]


def write_output(path: Path, text: str | bytes | Iterable[str], *, protected: Path | None = None,
                 convention: Path | None = None) -> None:
    """Write an export atomically (:func:`ledger.write_atomically`), refused (exit 2) over the
    ledger ``protected`` or the ``convention`` file (the same file by any name: resolved
    paths, ``os.path.samefile`` when both exist), over any existing ledger (its first line
    is a ledger header) or YAML file (``.yaml``/``.yml``: a convention), and where what
    exists is not a regular file."""
    shown = str(path)
    for other, what in ((protected, N_("--output names the ledger itself; choose another file")),
                        (convention, N_("--output names the convention file itself; choose another file"))):
        if other is not None and _same_file(path, other):
            raise fail(_(what), code="bad-argument", path=shown)
    try:
        mode = os.stat(path).st_mode
    except OSError:  # nothing there yet (or unreachable: the write will say why)
        mode = None
    if mode is not None:
        if not stat.S_ISREG(mode):
            raise not_a_file(mode, shown, _("file to write the export to"), code="bad-argument")
        if path.suffix.lower() in (".yaml", ".yml"):
            raise fail(_("is a YAML file (a convention?); an export never replaces one; choose another file"),
                       code="bad-argument", path=shown)
        if _starts_as_ledger(path):
            raise fail(_("is a ledger; an export never replaces one; choose another file"), code="bad-argument",
                       path=shown)
    write_atomically(path, text.encode("utf-8") if isinstance(text, str) else text if isinstance(text, bytes)
                     else (piece.encode("utf-8") for piece in text))


def _same_file(path: Path, other: Path) -> bool:
    """Whether two names lead to the same file: ``os.path.samefile`` when both exist (hard
    links included), else their resolved paths (a file yet to be created)."""
    try:
        if path.exists() and other.exists():
            return os.path.samefile(path, other)
        return path.resolve() == other.resolve()
    except (OSError, RuntimeError):
        return False


def _starts_as_ledger(path: Path) -> bool:
    """Whether the regular file ``path`` begins with a ledger header (read without blocking)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.pread(fd, 64, 0).removeprefix(
            b"\xef\xbb\xbf").startswith(HEADER_PREFIX.encode("ascii"))
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# close
# --------------------------------------------------------------------------------------


def close_month(loaded: LoadedConvention, ledger_path: Path, month: str, *, author: str,
                today: dt.date, dry_run: bool) -> Entry:
    """Append the seal closing ``month``: refused if the month is not over, already closed,
    or if the ledger has an error."""
    conv = _convention(loaded)
    end = month_end(month)
    path = str(ledger_path)

    with appending(ledger_path, header_line(conv.id), dry_run=dry_run) as (fd, write):
        book = read_book(conv, fd, path, keep_pending=True)
        book.require_writable(_("cannot close {month} while the ledger has errors; correct them first").format(
            month=month))
        if end >= today:
            raise fail(_("{month} is not over (it ends on {end}); close it after that day").format(
                       month=month, end=format_date(end)),
                       code="close-early", path=path, exit_code=ExitCode.PROBLEMS)
        closed = book.seals.closed
        if closed is not None and closed[0] >= end:
            last = closed[1]
            raise fail(_("{month} is already closed by seal {id} (line {line}, through {through})").format(
                       month=month, id=last.id, line=last.line, through=last.month),
                       code="close-again", path=path, exit_code=ExitCode.PROBLEMS)
        now = Stamp.now(author)
        seal = book.seals.make_seal(month, new_id("seal", book.state.ids), now.at, now.by)
        if write is not None:
            write([format_entry(seal)])
        return seal



# --------------------------------------------------------------------------------------
# migrate
# --------------------------------------------------------------------------------------


def migrate_ledger(loaded: LoadedConvention, ledger_path: Path, *, now: dt.datetime, dry_run: bool) -> Migration:
    """Convert the ledger to the current format version, line for line, under its lock
    (:func:`ledger.migrate`): refused (exit 1, nothing changed) when it has an error; nothing
    to do when it is in the current version already; a missing ledger is refused (exit 2)."""
    conv = _convention(loaded)
    path = str(ledger_path)
    if not ledger_path.exists():
        raise fail(_("no such ledger (expected an existing ledger file)"), code="ledger-missing", path=path)
    with locked_ledger(ledger_path) as locked:
        version = version_of(locked.fd)
        if version == FORMAT_VERSION:
            return Migration(ledger_path, FORMAT_VERSION)
        book = read_book(conv, locked.fd, path)
        if book.errors:
            refusal = Problem(path, None, None, Severity.ERROR, "migrate-refused",
                              _("refusing to convert a ledger with errors; correct them (`delegation check "
                                "--repair` mends an interrupted write) and retry"))
            raise DelegationError([*book.errors, refusal], ExitCode.PROBLEMS)
        count, backup = migrate(locked, conv.id, now, dry_run=dry_run)
        return Migration(ledger_path, version or 0, count, backup)
