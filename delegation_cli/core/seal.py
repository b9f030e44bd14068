"""Monthly closing: tamper-evident seals over the ledger.

This module owns the seal algebra (design in ``docs/ledger-format.md``, "Seals"):

* a seal closing month M covers every entry written before it, dated on or before the last
  day of M, that no earlier seal covers;
* it lists a short digest of each covered entry (the first 8 hexadecimal digits of the
  SHA-256 of its canonical line), in file order, and ``sha256``, the SHA-256 of the previous
  seal's hash followed by those canonical lines — so seals form a chain;
* :class:`SealCheck` verifies every seal in one pass over the entries in file order (the
  ledger's one read path feeds it) and says, with line numbers, which covered entry was
  modified, deleted, inserted or moved, and which entry is dated in a closed month; it
  tells the last day of the last closed month (nothing may be dated on or before it any
  more) and makes the seal closing a month;

No file access.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from .entries import Entry, month_end
from .errors import Problem, Severity
from .i18n import _, format_date, ngettext
from .kinds import kind_name
from .lines import format_entry

GENESIS = "0" * 64


def line_digest(line: str) -> str:
    """The short digest of a canonical line."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()[:8]


def _head(seal: Entry) -> str:
    """What a seal says of itself, covered by its own hash (so that its date, id, author and
    time cannot be rewritten unseen)."""
    return f"{seal.date.isoformat()} seal {seal.id} month={seal.month} at={seal.recorded_at} by={seal.author}"


def chain(seal: Entry, lines: Iterable[str]) -> str:
    """SHA-256 of the previous seal's hash, the seal's own head and the covered canonical
    lines, one per line."""
    h = hashlib.sha256(f"{seal.prev}\n{_head(seal)}\n".encode())
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


class Covered(NamedTuple):
    """An entry no seal covers yet, with its canonical line."""

    entry: Entry
    line: str


class SealCheck:
    """The seals of a ledger verified in one pass, entry by entry in file order.

    Feed it every entry with :meth:`entry` (with its line when it is canonical, else None)
    and every seal with :meth:`seal`; ``problems`` then says, with line numbers, which
    covered entry was modified, deleted, inserted or moved, which seal was altered or
    reordered, and which entry is dated in a month closed before it was written.  Entries
    are kept (``pending``) only while a seal may still cover them: while ``seals_ahead``
    seals remain to be read, or always with ``keep_pending`` (to close a month).
    """

    def __init__(self, path: str, *, seals_ahead: int, keep_pending: bool = False):
        self.path = path
        self.problems: list[Problem] = []
        self.pending: list[Covered] = []
        self.prev = GENESIS
        self.closed: tuple[dt.date, Entry] | None = None
        """(last day closed, the last seal in file order): what later entries are checked against."""
        self.latest: Entry | None = None
        """The seal closing the latest month."""
        self.seals: list[Entry] = []
        """Every seal read, in file order (one a month: few)."""
        self._last_month = ""
        self._ahead = seals_ahead
        self._keep = keep_pending
        self._tracking = keep_pending or seals_ahead > 0
        self.active = self._tracking
        """Whether entries must be fed at all: kept for a seal ahead, or checked against a closed month."""

    def entry(self, entry: Entry, line: str | None) -> None:
        closed = self.closed
        if closed is not None and entry.date <= closed[0]:
            self.problems.append(written_after_close(entry, closed[1], self.path))
        if self._tracking:
            self.pending.append(Covered(entry, line if line is not None else format_entry(entry)))

    def seal(self, seal: Entry) -> None:
        self.seals.append(seal)
        month = seal.month or ""
        if month <= self._last_month:
            self._add(seal.line, "seal-order", _("seal {id} closes {month}, not after {last} closed earlier").format(
                id=seal.id, month=month, last=self._last_month))
        end = month_end(month)
        expected = [c for c in self.pending if c.entry.date <= end]
        self.pending = [c for c in self.pending if c.entry.date > end]
        if seal.prev != self.prev:
            self._add(seal.line, "seal-chain", _("seal {id} does not follow the previous seal (prev {prev}…, "
                                                 "expected {expected}…): a seal was removed, replaced or "
                                                 "reordered").format(id=seal.id, prev=(seal.prev or "")[:12],
                                                                     expected=self.prev[:12]))
        found = [line_digest(c.line) for c in expected]
        if found != list(seal.digests):
            self.problems.extend(_locate(expected, found, seal, self.path))
        elif seal.date != end or chain(seal, (c.line for c in expected)) != seal.sha256:
            self._add(seal.line, "seal-hash", ngettext(
                "seal {id} (through {month}) does not match the {count} entries it covers: the seal line itself "
                "was altered",
                "seal {id} (through {month}) does not match the {count} entries it covers: the seal line itself "
                "was altered", len(expected)).format(id=seal.id, month=month, count=len(expected)))
        self.prev = seal.sha256 or self.prev
        self._last_month = max(self._last_month, month)
        self.closed = (month_end(self._last_month), seal)
        if self.latest is None or month > (self.latest.month or ""):
            self.latest = seal
        self._ahead -= 1
        self._tracking = self._keep or self._ahead > 0
        if not self._tracking:
            self.pending = []
        self.active = True

    def anchored(self, digest: str) -> Problem | Entry:
        """The seal whose ``sha256`` is ``digest`` (or starts with it) if the history it covers
        is intact — no seal problem at or above its line — else the problem saying why not.

        A digest kept outside the ledger (the « empreinte du registre » of a report sent to
        the délégant) thus proves later that the months it closed were not rewritten: a
        forger who edits a sealed line and recomputes every seal changes every later hash."""
        found = [s for s in self.seals if (s.sha256 or "").startswith(digest)]
        if len(found) != 1:
            why = (_("no seal of this ledger has the fingerprint {digest}: the months it closed were rewritten, or "
                     "it belongs to another ledger") if not found else
                   _("{count} seals have fingerprints starting with {digest}; give more digits").format(
                       count=len(found), digest=digest))
            return Problem(self.path, None, None, Severity.ERROR, "anchor-not-found", why.format(digest=digest))
        seal = found[0]
        broken = [p for p in self.problems if p.line is not None and p.line <= seal.line]
        if broken:
            return Problem(self.path, seal.line, None, Severity.ERROR, "anchor-broken",
                           _("seal {id} (through {month}) has the fingerprint {digest}, but the history it covers no "
                             "longer matches it (see the problems above)").format(
                               id=seal.id, month=seal.month, digest=digest))
        return seal

    def closed_through(self) -> tuple[dt.date, Entry] | None:
        """The last day of the latest closed month and its seal, if any month is closed."""
        latest = self.latest
        return (month_end(latest.month), latest) if latest is not None and latest.month else None

    def make_seal(self, month: str, ident: str, recorded_at: str, author: str) -> Entry:
        """The seal closing ``month`` after every entry fed so far (needs ``keep_pending``)."""
        end = month_end(month)
        covered = [c for c in self.pending if c.entry.date <= end]
        seal = Entry(date=end, kind="seal", id=ident, team="", month=month, prev=self.prev,
                     digests=tuple(line_digest(c.line) for c in covered), recorded_at=recorded_at, author=author)
        return seal._replace(sha256=chain(seal, (c.line for c in covered)))

    def _add(self, line: int, code: str, message: str) -> None:
        self.problems.append(Problem(self.path, line or None, None, Severity.ERROR, code, message))


def written_after_close(entry: Entry, seal: Entry, path: str) -> Problem:
    """An entry dated in the month closed by ``seal`` but written after it."""
    return Problem(path, entry.line or None, None, Severity.ERROR, "closed-month",
                   _("{kind} {id} is dated {date}, in a month closed by seal {seal} (line {line}, through {month}) "
                     "but written after it").format(kind=kind_name(entry.kind), id=entry.id,
                                                    date=format_date(entry.date), seal=seal.id, line=seal.line,
                                                    month=seal.month))


def _locate(actual: list[Covered], found: list[str], seal: Entry, path: str) -> list[Problem]:
    """Align what a seal lists with the digests of what the file holds (``found``, one per
    entry of ``actual``), and name each difference."""
    out: list[Problem] = []
    E = Severity.ERROR
    listed = list(seal.digests)
    where = _("seal {id} (line {line}, through {month})").format(id=seal.id, line=seal.line, month=seal.month)
    moved_from = {d: i for i, d in enumerate(listed)}
    matcher = difflib.SequenceMatcher(a=listed, b=found, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        one_for_one = op == "replace" and a1 - a0 == b1 - b0  # same count: changed in place
        for k in range(b0, b1):
            c = actual[k]
            if found[k] in moved_from:
                at = _(", not {position}").format(position=k + 1) if one_for_one else ""
                out.append(Problem(path, c.entry.line, None, E, "sealed-reordered",
                                   _("{kind} {id} was moved: {where} lists it at position {position}{at}").format(
                                       kind=kind_name(c.entry.kind), id=c.entry.id, where=where,
                                       position=moved_from[found[k]] + 1, at=at)))
            elif one_for_one:
                out.append(Problem(path, c.entry.line, None, E, "sealed-modified",
                                   _("{kind} {id} was modified after {where} closed it").format(
                                       kind=kind_name(c.entry.kind), id=c.entry.id, where=where)))
            else:
                out.append(Problem(path, c.entry.line, None, E, "sealed-inserted",
                                   _("{kind} {id} was inserted in a month closed by {where}").format(
                                       kind=kind_name(c.entry.kind), id=c.entry.id, where=where)))
        if one_for_one:
            continue
        found_set = set(found)
        for k in range(a0, a1):
            if listed[k] not in found_set:
                before = actual[b0 - 1].entry.line if b0 > 0 else None
                after = actual[b0].entry.line if b0 < len(actual) else seal.line
                span = (_("between lines {before} and {after}").format(before=before, after=after) if before
                        else _("before line {after}").format(after=after))
                out.append(Problem(path, after, None, E, "sealed-deleted",
                                   _("an entry sealed by {where} (position {position}, digest {digest}) was deleted "
                                     "{span}").format(where=where, position=k + 1, digest=listed[k], span=span)))
    return out


def refuse_closed_at(entry: Entry, closed: tuple[dt.date, Entry] | None, path: str) -> Problem | None:
    """The problem of a new entry dated in a closed month (``closed``: the ledger's
    :meth:`SealCheck.closed_through`), if it is."""
    if closed is None or entry.date > closed[0]:
        return None
    day, seal = closed
    return Problem(path, None, None, Severity.ERROR, "closed-month",
                   _("{kind} dated {date} falls in a closed month: the ledger is closed through {month} (seal "
                     "{seal}, line {line}); date it after {day}, or record a correction in an open month").format(
                       kind=kind_name(entry.kind), date=format_date(entry.date), month=seal.month, seal=seal.id,
                       line=seal.line, day=format_date(day)))
