"""Monthly closing: tamper-evident seals over the ledger.

This module owns the seal algebra (design in ``docs/ledger-format.md``, "Seals"):

* a seal closing month M covers every entry written before it, dated on or before the last
  day of M, that no earlier seal covers;
* it lists a short digest of each covered entry (the first 8 hexadecimal digits of the
  SHA-256 of its canonical line), in file order, and ``sha256``, the SHA-256 of the previous
  seal's hash followed by those canonical lines — so seals form a chain;
* :func:`verify` recomputes every seal and says, with line numbers, which covered entry was
  modified, deleted, inserted or moved, and which entry is dated in a closed month;
* :func:`closed_through` tells the last day of the last closed month: nothing may be dated
  on or before it any more.

Pure functions over entries; no file access.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import Problem, Severity
from .ledger import Entry, format_entry, month_end

GENESIS = "0" * 64


def digest(entry: Entry) -> str:
    """The short digest of an entry: 8 hex digits of the SHA-256 of its canonical line."""
    return hashlib.sha256(format_entry(entry).encode("utf-8")).hexdigest()[:8]


def _head(seal: Entry) -> str:
    """What a seal says of itself, covered by its own hash (so that its date, id, author and
    time cannot be rewritten unseen)."""
    return f"{seal.date.isoformat()} seal {seal.id} month={seal.month} at={seal.recorded_at} by={seal.author}"


def chain(seal: Entry, entries: Sequence[Entry]) -> str:
    """SHA-256 of the previous seal's hash, the seal's own head and the covered canonical
    lines, one per line."""
    h = hashlib.sha256(f"{seal.prev}\n{_head(seal)}\n".encode())
    for entry in entries:
        h.update(format_entry(entry).encode("utf-8") + b"\n")
    return h.hexdigest()


def closed_through(entries: Sequence[Entry]) -> tuple[dt.date, Entry] | None:
    """The last day of the last closed month and its seal, if any month is closed."""
    last = None
    for entry in entries:
        if entry.kind == "seal" and entry.month and (last is None or entry.month > (last.month or "")):
            last = entry
    return (month_end(last.month), last) if last is not None and last.month else None


def _split(pending: list[Entry], end: dt.date) -> tuple[list[Entry], list[Entry]]:
    """(entries a seal through ``end`` covers, entries still pending), file order kept."""
    return [e for e in pending if e.date <= end], [e for e in pending if e.date > end]


def covered_by_next_seal(entries: Sequence[Entry], month: str) -> tuple[str, list[Entry]]:
    """(previous hash, entries) that a seal appended now for ``month`` would cover.

    One pass in file order: ``pending`` holds the entries no seal covers yet."""
    prev = GENESIS
    pending: list[Entry] = []
    for entry in entries:
        if entry.kind != "seal":
            pending.append(entry)
            continue
        _, pending = _split(pending, month_end(entry.month or "0001-01"))
        prev = entry.sha256 or prev
    covered, _ = _split(pending, month_end(month))
    return prev, covered


def make_seal(entries: Sequence[Entry], month: str, ident: str, recorded_at: str, author: str) -> Entry:
    """The seal closing ``month`` after ``entries`` (the whole ledger, in file order)."""
    prev, pending = covered_by_next_seal(entries, month)
    seal = Entry(date=month_end(month), kind="seal", id=ident, team="", month=month, prev=prev,
                 digests=tuple(digest(e) for e in pending), recorded_at=recorded_at, author=author)
    return seal._replace(sha256=chain(seal, pending))


@dataclass(frozen=True)
class _Covered:
    entry: Entry
    digest: str


def verify(entries: Sequence[Entry], path: str) -> list[Problem]:
    """Check every seal of a ledger; every discrepancy with its line number."""
    problems: list[Problem] = []
    E = Severity.ERROR

    def add(line: int | None, code: str, message: str) -> None:
        problems.append(Problem(path, line or None, None, E, code, message))

    pending: list[Entry] = []  # entries no seal covers yet, in file order
    prev = GENESIS
    last_month = ""
    closed: tuple[dt.date, Entry] | None = None
    for entry in entries:
        if entry.kind != "seal":
            pending.append(entry)
            if closed is not None and entry.date <= closed[0]:
                problems.append(written_after_close(entry, closed[1], path))
            continue
        seal = entry
        month = seal.month or ""
        if month <= last_month:
            add(seal.line, "seal-order", f"seal {seal.id} closes {month}, not after {last_month} closed earlier")
        expected, pending = _split(pending, month_end(month))
        if seal.prev != prev:
            add(seal.line, "seal-chain", f"seal {seal.id} does not follow the previous seal (prev "
                                         f"{(seal.prev or '')[:12]}…, expected {prev[:12]}…): a seal was removed, "
                                         "replaced or reordered")
        actual = [_Covered(e, digest(e)) for e in expected]
        if [c.digest for c in actual] != list(seal.digests):
            problems.extend(_locate(actual, seal, path))
        elif seal.date != month_end(month) or chain(seal, expected) != seal.sha256:
            add(seal.line, "seal-hash", f"seal {seal.id} (through {month}) does not match the {len(expected)} "
                                        "entries it covers: the seal line itself was altered")
        prev = seal.sha256 or prev
        last_month = max(last_month, month)
        closed = (month_end(last_month), seal)
    return problems


def written_after_close(entry: Entry, seal: Entry, path: str) -> Problem:
    """An entry dated in the month closed by ``seal`` but written after it."""
    return Problem(path, entry.line or None, None, Severity.ERROR, "closed-month",
                   f"{entry.kind} {entry.id} is dated {entry.date}, in a month closed by seal {seal.id} "
                   f"(line {seal.line}, through {seal.month}) but written after it")


def last_seal(entries: Sequence[Entry]) -> tuple[dt.date, Entry] | None:
    """The month closed and the seal against which :func:`verify` checks later entries:
    the last seal in file order, with the latest month any seal closed."""
    last_month, seal = "", None
    for entry in entries:
        if entry.kind == "seal":
            last_month, seal = max(last_month, entry.month or ""), entry
    return (month_end(last_month), seal) if seal is not None else None


def _locate(actual: list[_Covered], seal: Entry, path: str) -> list[Problem]:
    """Align what a seal lists with what the file holds, and name each difference."""
    out: list[Problem] = []
    E = Severity.ERROR
    listed = list(seal.digests)
    found = [c.digest for c in actual]
    where = f"seal {seal.id} (line {seal.line}, through {seal.month})"
    moved_from = {d: i for i, d in enumerate(listed)}
    matcher = difflib.SequenceMatcher(a=listed, b=found, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        one_for_one = op == "replace" and a1 - a0 == b1 - b0  # same count: changed in place
        for k in range(b0, b1):
            c = actual[k]
            if c.digest in moved_from:
                at = f", not {k + 1}" if one_for_one else ""
                out.append(Problem(path, c.entry.line, None, E, "sealed-reordered",
                                   f"{c.entry.kind} {c.entry.id} was moved: {where} lists it at position "
                                   f"{moved_from[c.digest] + 1}{at}"))
            elif one_for_one:
                out.append(Problem(path, c.entry.line, None, E, "sealed-modified",
                                   f"{c.entry.kind} {c.entry.id} was modified after {where} closed it"))
            else:
                out.append(Problem(path, c.entry.line, None, E, "sealed-inserted",
                                   f"{c.entry.kind} {c.entry.id} was inserted in a month closed by {where}"))
        if one_for_one:
            continue
        found_set = set(found)
        for k in range(a0, a1):
            if listed[k] not in found_set:
                before = actual[b0 - 1].entry.line if b0 > 0 else None
                after = actual[b0].entry.line if b0 < len(actual) else seal.line
                span = f"between lines {before} and {after}" if before else f"before line {after}"
                out.append(Problem(path, after, None, E, "sealed-deleted",
                                   f"an entry sealed by {where} (position {k + 1}, digest {listed[k]}) was deleted "
                                   f"{span}"))
    return out


def refuse_closed(entry: Entry, entries: Sequence[Entry], path: str) -> Problem | None:
    """The problem of a new entry dated in a closed month, if it is."""
    return refuse_closed_at(entry, closed_through(entries), path)


def refuse_closed_at(entry: Entry, closed: tuple[dt.date, Entry] | None, path: str) -> Problem | None:
    """:func:`refuse_closed` given the ledger's :func:`closed_through`."""
    if closed is None or entry.date > closed[0]:
        return None
    day, seal = closed
    return Problem(path, None, None, Severity.ERROR, "closed-month",
                   f"{entry.kind} dated {entry.date} falls in a closed month: the ledger is closed through "
                   f"{seal.month} (seal {seal.id}, line {seal.line}); date it after {day}, or record a "
                   "correction in an open month")
