"""What each command does, between reading its arguments and rendering its result.

This module owns the workflows that combine files and computation, so that ``cli.py``
stays a thin layer of argument parsing and rendering:

* :func:`run_check` validates a convention and its ledger, every problem at once;
* :func:`record` is the single write path: under the ledger's exclusive lock it re-reads
  the ledger, builds the new entry from the replayed state, runs the availability
  control (:func:`budget.admit`) and appends only when nothing forbids it;
* small builders turn command arguments into :class:`ledger.Entry` values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .budget import Availability, Replay, admit, check_entries, replay
from .convention import LoadedConvention, load_convention
from .errors import DelegationError, ExitCode, Problem, Severity, fail
from .ledger import (
    MAX_LABEL,
    TOKEN,
    TOKEN_EXPECTED,
    Entry,
    LedgerFile,
    format_entry,
    header_line,
    locked_ledger,
    month_end,
    new_id,
    now_stamp,
    opened_for_reading,
    read_fd,
    read_ledger,
    repair,
    writable_state,
)
from .model import Convention

if TYPE_CHECKING:
    from .figures import MonthlyReport
from .seal import closed_through, make_seal, refuse_closed_at, verify


def ledger_path_for(loaded: LoadedConvention, override: str | None) -> Path:
    """``--ledger`` if given, else the convention's ledger, relative to its YAML file."""
    if override:
        return Path(override)
    return loaded.ledger_path()


# --------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """Everything ``delegation check`` found."""

    convention_path: Path
    problems: list[Problem]
    ledger_path: Path | None = None
    ledger_entries: int | None = None
    repaired: str | None = None

    @property
    def errors(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)


def run_check(path: Path, *, ledger: str | None = None, repair_torn: bool = False,
              now: dt.datetime | None = None) -> CheckResult:
    """Validate a convention file and, when it is valid, its ledger."""
    loaded = load_convention(path)
    result = CheckResult(path, list(loaded.problems))
    conv = loaded.convention
    if conv is None or any(p.is_error for p in loaded.problems):
        return result
    ledger_path = ledger_path_for(loaded, ledger)
    result.ledger_path = ledger_path
    if repair_torn:
        result.repaired = repair(ledger_path, now or dt.datetime.now(dt.UTC))
    state = read_ledger(ledger_path)
    result.ledger_entries = sum(e.kind != "seal" for e in state.entries)
    result.problems.extend(state.problems)
    if state.exists and state.size and state.has_header and state.convention_id not in (None, conv.id):
        result.problems.append(Problem(state.path, 1, None, Severity.ERROR, "ledger-other-convention",
                                       f"this ledger belongs to convention {state.convention_id!r}, "
                                       f"not {conv.id!r}"))
    result.problems.extend(check_entries(conv, state.entries, state.path))
    result.problems.extend(verify(state.entries, state.path))
    return result


# --------------------------------------------------------------------------------------
# The write path
# --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """The result of a writing command."""

    entry: Entry
    written: bool
    ledger_path: Path
    warnings: list[Problem] = field(default_factory=list)
    availability: Availability | None = None


T = TypeVar("T")

Builder = Callable[[Replay, set[str]], Entry]
"""Builds the new entry from the replayed state of the ledger and the ids already taken."""


Writer = Callable[[list[str]], None]


def with_ledger(conv: Convention, ledger_path: Path, *, dry_run: bool,
                work: Callable[[int | None, Writer | None], T]) -> T:
    """Run ``work`` on the ledger open on a descriptor (None: no file yet): under its
    exclusive lock with a writer (the header is added to a new file), or read-only without
    one for a dry run."""
    if dry_run:
        with opened_for_reading(ledger_path) as fd:
            return work(fd, None)
    with locked_ledger(ledger_path) as locked:
        header = header_line(conv.id) if os.fstat(locked.fd).st_size == 0 else None

        def write(lines: list[str]) -> None:
            locked.append(lines, header=header)

        return work(locked.fd, write)


def record(loaded: LoadedConvention, ledger_path: Path, build: Builder, *, dry_run: bool) -> Outcome:
    """Check a new entry against the whole ledger and append it if nothing forbids it."""
    conv = loaded.convention
    assert conv is not None
    path = str(ledger_path)

    def work(fd: int | None, write: Writer | None) -> Outcome:
        ledger = read_fd(fd, path)
        writable_state(ledger, conv.id)
        state, issues = replay(conv, ledger.entries)
        entry = build(state, state.ids)
        verdict = admit(conv, ledger.entries, [entry], path, baseline=(state, issues))
        closed = refuse_closed_at(entry, closed_through(ledger.entries), path)
        errors = [closed, *verdict.errors] if closed else verdict.errors
        if errors:
            refused = Problem(str(ledger_path), None, None, Severity.ERROR, "entry-refused",
                              f"{entry.kind} refused; the ledger was not changed")
            raise DelegationError([*errors, refused], ExitCode.PROBLEMS)
        if write is not None:
            write([format_entry(entry)])
        return Outcome(entry, write is not None, ledger_path, verdict.warnings,
                       verdict.state.availability(entry.date))

    return with_ledger(conv, ledger_path, dry_run=dry_run, work=work)


# --------------------------------------------------------------------------------------
# Entry builders (argument checks that need no ledger are done here, before the lock)
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


def check_token(value: str, option: str) -> str:
    if TOKEN.fullmatch(value) is None:
        raise fail(f"{option} {value!r} is not valid (expected {TOKEN_EXPECTED})",
                   code="bad-argument")
    return value


def check_label(text: str | None, option: str = "--label") -> str:
    label = (text or "").strip()
    if len(label) > MAX_LABEL:
        raise fail(f"{option} is {len(label)} characters long (at most {MAX_LABEL})",
                   code="bad-argument")
    return label


@dataclass(frozen=True)
class Stamp:
    """When and by whom an entry is recorded."""

    at: str
    by: str

    @classmethod
    def now(cls, author: str | None, now: dt.datetime | None = None) -> Stamp:
        return cls(now_stamp(now or dt.datetime.now(dt.UTC)), author_name(author))


def commitment_builder(conv: Convention, *, team: str, amount: int, date: dt.date,
                       ref: str | None, marche: str | None, prestation: str | None,
                       label: str, stamp: Stamp) -> Builder:
    if ref is not None:
        check_token(ref, "--ref")
    if marche is None and prestation is not None:
        marche = conv.marche_of_prestation.get(prestation)

    def build(state: Replay, taken: set[str]) -> Entry:
        return Entry(date=date, kind="commitment", id=new_id("commitment", taken), team=team,
                     amount=amount, ref=ref, marche=marche, prestation=prestation,
                     recorded_at=stamp.at, author=stamp.by, label=label)

    return build


def _resolve(state: Replay, key: str) -> Entry:
    found = state.resolve(key)
    if found is None:
        raise fail(f"unknown commitment {key!r} (expected a commitment id or its bon de "
                   "commande reference; `delegation log --kind commitment` lists them)",
                   code="commitment-unknown", exit_code=ExitCode.PROBLEMS)
    return found.entry


def payment_builder(*, commitment: str, amount: int, date: dt.date,
                    service_fait: dt.date | None, ref: str | None, label: str,
                    stamp: Stamp) -> Builder:
    if ref is not None:
        check_token(ref, "--ref")

    def build(state: Replay, taken: set[str]) -> Entry:
        target = _resolve(state, commitment)
        return Entry(date=date, kind="payment", id=new_id("payment", taken), team=target.team,
                     amount=amount, commitment=target.id, service_fait=service_fait, ref=ref,
                     recorded_at=stamp.at, author=stamp.by, label=label)

    return build


def release_builder(*, commitment: str, amount: int | None, date: dt.date, label: str,
                    stamp: Stamp) -> Builder:
    def build(state: Replay, taken: set[str]) -> Entry:
        target = _resolve(state, commitment)
        value = amount
        if value is None:
            value = state.commitments[target.id].remaining
            if value <= 0:
                raise fail(f"commitment {target.id} has nothing left to release (its reste à "
                           "payer is 0,00\u00a0€)", code="release-nothing",
                           exit_code=ExitCode.PROBLEMS)
        return Entry(date=date, kind="release", id=new_id("release", taken), team=target.team,
                     amount=value, commitment=target.id, recorded_at=stamp.at, author=stamp.by,
                     label=label)

    return build


def forecast_builder(*, team: str, amount: int, month: str, forecast_type: str, date: dt.date,
                     label: str, stamp: Stamp) -> Builder:
    def build(state: Replay, taken: set[str]) -> Entry:
        return Entry(date=date, kind="forecast", id=new_id("forecast", taken), team=team,
                     amount=amount, month=month, forecast_type=forecast_type,
                     recorded_at=stamp.at, author=stamp.by, label=label)

    return build


def note_builder(*, team: str, text: str, date: dt.date, stamp: Stamp) -> Builder:
    if not text:
        raise fail("the note is empty (expected the text of the progress note)",
                   code="bad-argument")

    def build(state: Replay, taken: set[str]) -> Entry:
        return Entry(date=date, kind="note", id=new_id("note", taken), team=team,
                     recorded_at=stamp.at, author=stamp.by, label=text)

    return build


# --------------------------------------------------------------------------------------
# log
# --------------------------------------------------------------------------------------


def select_entries(ledger: LedgerFile, *, team: str | None, month: str | None,
                   kind: str | None) -> list[Entry]:
    """Entries of the ledger (file order) matching every given filter."""
    out = []
    for entry in ledger.entries:
        if team is not None and entry.team != team:
            continue
        if month is not None and entry.date.strftime("%Y-%m") != month:
            continue
        if kind is not None and entry.kind != kind:
            continue
        out.append(entry)
    return out


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------


def build_report(loaded: LoadedConvention, *, ledger: str | None, month: str | None,
                 team: str | None, final: bool, today: dt.date) -> MonthlyReport:
    """The monthly (or final) report of a convention's ledger."""
    conv, path, chosen = _report_request(loaded, ledger, month, team, final, today)
    return _report_of(conv, path, read_ledger(path), chosen, team, final)


def _report_request(loaded: LoadedConvention, ledger: str | None, month: str | None, team: str | None,
                    final: bool, today: dt.date) -> tuple[Convention, Path, str]:
    """(convention, ledger path, month reported) of a report command."""
    from .figures import default_month  # only the report needs figures
    conv = loaded.convention
    assert conv is not None
    if team is not None and team not in conv.team_ids:
        raise fail(f"--team {team!r} is not a team of the convention (expected one of: "
                   f"{', '.join(t.id for t in conv.teams)})", code="bad-argument")
    return conv, ledger_path_for(loaded, ledger), month or default_month(conv, today, final=final)


def _report_of(conv: Convention, path: Path, state: LedgerFile, month: str, team: str | None,
               final: bool) -> MonthlyReport:
    from .figures import monthly_report
    return monthly_report(conv, state.entries, month, ledger_path=str(path), team=team, final=final,
                          file_problems=[p for p in state.problems if p.is_error])


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------


def load_entries(loaded: LoadedConvention, ledger: str | None) -> tuple[Path, LedgerFile]:
    """The ledger of a convention, refused when a line cannot be read (nothing is guessed)."""
    path = ledger_path_for(loaded, ledger)
    state = read_ledger(path)
    unreadable = [p for p in state.problems if p.is_error]
    if unreadable:
        raise DelegationError(unreadable, ExitCode.PROBLEMS)
    return path, state


def write_output(path: Path, text: str, *, protected: Path) -> None:
    """Write an export atomically (temporary file, fsync, rename); never over the ledger."""
    if path.exists() and protected.exists() and path.resolve() == protected.resolve():
        raise fail("--output names the ledger itself; choose another file", code="bad-argument",
                   path=str(path))
    if path.is_dir():
        raise fail("is a directory (expected a file to write the export to)", code="bad-argument",
                   path=str(path))
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise fail(f"cannot write: {exc.strerror}", code="write-failed", path=str(path),
                   exit_code=ExitCode.WRITE_FAILED) from None


# --------------------------------------------------------------------------------------
# close
# --------------------------------------------------------------------------------------


def close_month(loaded: LoadedConvention, ledger_path: Path, month: str, *, author: str,
                today: dt.date, dry_run: bool) -> Entry:
    """Append the seal closing ``month``: refused if the month is not over, already closed,
    or if the entries it would cover break a rule."""
    conv = loaded.convention
    assert conv is not None
    end = month_end(month)
    path = str(ledger_path)

    def work(fd: int | None, write: Writer | None) -> Entry:
        ledger = read_fd(fd, path)
        writable_state(ledger, conv.id)
        if end >= today:
            raise fail(f"{month} is not over (it ends on {end}); close it from {end + dt.timedelta(days=1)}",
                       code="close-early", path=path, exit_code=ExitCode.PROBLEMS)
        previous = [e for e in ledger.entries if e.kind == "seal" and (e.month or "") >= month]
        if previous:
            raise fail(f"{month} is already closed by seal {previous[-1].id} (line {previous[-1].line}, "
                       f"through {previous[-1].month})", code="close-again", path=path,
                       exit_code=ExitCode.PROBLEMS)
        blocking = [p for p in check_entries(conv, [e for e in ledger.entries if e.date <= end], path)
                    if p.is_error] + verify(ledger.entries, path)
        if blocking:
            refused = Problem(path, None, None, Severity.ERROR, "close-refused",
                              f"cannot close {month} while entries up to {end} break a rule; correct them first")
            raise DelegationError([*blocking, refused], ExitCode.PROBLEMS)
        stamp = Stamp.now(author)
        seal = make_seal(ledger.entries, month, new_id("seal", {e.id for e in ledger.entries}), stamp.at,
                         stamp.by)
        if write is not None:
            write([format_entry(seal)])
        return seal

    return with_ledger(conv, ledger_path, dry_run=dry_run, work=work)
