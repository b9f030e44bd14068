"""The plain-text ledger: line format, parsing, and durable, locked appends.

This module owns the ledger file (grammar in ``docs/ledger-format.md``):

* :func:`format_entry` and :func:`parse_line`, exact inverses of each other;
* :class:`LedgerReader`, which streams a file's entries a block at a time and collects its
  problems (unreadable lines, a missing header, a torn last line) with their line numbers;
  canonical lines take one regular expression each;
* :func:`locked_ledger`, the only way to write: an exclusive lock held while the caller
  re-reads, checks and appends; each append is one ``write`` of complete lines followed
  by ``fsync``; a failed write is rolled back to the previous size;
* :func:`write_atomically`, the one way to replace a whole file (exports);
* :func:`repair`, which moves a torn last line to a side file.

The entry model itself is ``entries.py``'s.  This module knows nothing of budgets:
checking entries against a convention is ``budget.py``'s, reading a ledger with its
problems ``book.py``'s.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import fcntl
import gc
import itertools
import json
import os
import re
import stat
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .entries import (
    AMOUNT_KINDS,
    KINDS,
    TOKEN,
    TOKEN_EXPECTED,
    Entry,
    _date_cache,
    parse_date,
    parse_month,
)
from .errors import DelegationError, ExitCode, Problem, Severity, fail, not_a_file, raw_forbidden
from .i18n import _, ngettext
from .money import AmountError, format_canonical, parse_canonical

FORMAT_VERSION = 2
"""The version every ledger is written in: each line ends with its checksum, several lines
written at once form a block (``docs/ledger-format.md``)."""
READ_VERSIONS = (1, 2)
"""Versions a reader takes; a version 1 ledger is read, never appended to (``delegation
migrate`` converts it)."""
HEADER_PREFIX = "# delegation-ledger v"

# Key of each optional field in the file, in canonical order, per kind.
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "commitment": ("ref", "marche", "prestation"),
    "payment": ("commitment", "sf", "ref"),
    "release": ("commitment",),
    "forecast": ("month", "type"),
    "note": (),
}
_TAIL_FIELDS = ("at", "by")
_ORDERED = {kind: (*fields, *_TAIL_FIELDS) for kind, fields in _KIND_FIELDS.items()}
_ALLOWED = {kind: frozenset(fields) for kind, fields in _ORDERED.items()}
MAX_LINE = 65_536
MAX_SEAL_LINE = 4_000_000  # a seal lists 9 bytes per entry it covers
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DIGEST = re.compile(r"[0-9a-f]{8}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def header_line(convention_id: str, version: int = FORMAT_VERSION) -> str:
    """The first line of every ledger file."""
    return f"{HEADER_PREFIX}{version} convention={convention_id}"


# --------------------------------------------------------------------------------------
# Version 2: a checksum ends every line, a block marks lines written together
# --------------------------------------------------------------------------------------

CRC_KEY = " crc="
"""What ends every entry line of a version 2 ledger: ``crc=`` and the CRC-32 of the line's
UTF-8 bytes before it, 8 lowercase hexadecimal digits.  A line cut anywhere lacks it (or no
longer matches it), so a cut line never reads as an entry."""
_SUFFIX = len(CRC_KEY) + 8
BLOCK_KEY = " block="
"""Written before the checksum on the first line of several appended at once (an import):
``block=N``, the N lines of that one write.  A ledger ending before the N-th line of its
last block holds a write that was interrupted: none of the block counts."""
_BLOCK_TAIL = len(BLOCK_KEY) + 10
_HEX8 = re.compile(r"[0-9a-f]{8}")


def checksum(body: str) -> str:
    """The 8 hexadecimal digits a version 2 line carries after ``crc=``."""
    return f"{zlib.crc32(body.encode('utf-8')):08x}"


def sealed_line(body: str, block: int = 0) -> str:
    """The file line (without its newline) of a canonical entry line ``body``: with
    ``block=N`` when it opens a block of N lines, then its checksum."""
    if block > 1:
        body = f"{body}{BLOCK_KEY}{block}"
    return f"{body}{CRC_KEY}{checksum(body)}"


def file_lines(bodies: list[str]) -> list[str]:
    """The lines one write appends: each with its checksum, the first opening a block when
    there are several."""
    count = len(bodies)
    return [sealed_line(body, count if index == 0 else 0) for index, body in enumerate(bodies)]


def split_suffix(text: str) -> tuple[str, int, str | None]:
    """A version 2 line's entry text, the size of the block it opens (0: none) and, when its
    checksum is missing or does not match, why (else None).  A line without its checksum is
    all entry text; one whose checksum does not match is still read, so that what changed in
    it can be said too."""
    if text[-_SUFFIX:-8] != CRC_KEY or _HEX8.fullmatch(text, len(text) - 8) is None:
        return text, 0, _("the line does not end with its checksum (expected crc= and 8 hexadecimal digits: the "
                          "line was cut by an interrupted write, or written by hand)")
    body = text[:-_SUFFIX]
    why = None
    if checksum(body) != text[-8:]:
        why = _("the line does not match its checksum crc={crc} (it was changed after it was written, or "
                "damaged): entries are never edited; restore the line as it was and record a correction").format(
            crc=text[-8:])
    at = body.rfind(BLOCK_KEY, max(0, len(body) - _BLOCK_TAIL))
    if at < 0:
        return body, 0, why
    count = body[at + len(BLOCK_KEY):]
    if not count.isdigit() or not count.isascii() or count[0] == "0" or len(count) > 9:
        return body, 0, why
    return body[:at], int(count), why


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------

_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
"""Characters a label is written with as ``\\uXXXX``: controls (C0, DEL, C1), format
characters (bidi controls, tags, zero-width ones...), surrogates, private-use and unassigned
code points, line and paragraph separators."""
# Of those, a reader refuses raw in a line what :func:`errors.raw_forbidden` names.  Raw
# private-use and unassigned code points are read: a newer Python (a newer Unicode) writes raw
# what this one may not know yet.
_MAYBE_UNSAFE = re.compile("[^\n -~\u00a0-\u00ac\u00ae-\u036f\u2010-\u2027\u2030-\u205e\u20a0-\u20bf]")
"""Characters worth looking up: all but LF and the printable ASCII, Latin, combining, punctuation
and currency blocks in which every code point is assigned and neither a control nor a format
character (``tests/test_text.py`` checks it); the others are looked up one by one."""


def _escape_unsafe_char(match: re.Match[str]) -> str:
    char = match.group()
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    if code > 0xFFFF:  # JSON escapes beyond the BMP as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def escape_unsafe(json_text: str) -> str:
    """JSON text (as ``json.dumps(..., ensure_ascii=False)`` writes it) with every character
    of :data:`_UNSAFE_CATEGORIES` written as ``\\uXXXX`` (a surrogate pair ``\\udXXX\\udXXX``
    beyond U+FFFF): the same value once decoded, but nothing in it can break a line, move a
    terminal's cursor or reorder text.  ``json.dumps`` writes such characters only inside
    strings, where the escape is valid; the line feeds of an indented document are kept."""
    if json_text.isprintable():
        return json_text
    return _MAYBE_UNSAFE.sub(_escape_unsafe_char, json_text)


def quote_label(text: str) -> str:
    """JSON string literal, with every control, format (bidi), separator, surrogate,
    private-use or unassigned character escaped as ``\\uXXXX`` (surrogate pairs beyond the
    BMP), so that a label can never break a line or hide text; the reader gives back the
    identical string."""
    return escape_unsafe(json.dumps(text, ensure_ascii=False))


def _field_values(entry: Entry) -> dict[str, str | None]:
    return {
        "ref": entry.ref,
        "marche": entry.marche,
        "prestation": entry.prestation,
        "commitment": entry.commitment,
        "sf": entry.service_fait.isoformat() if entry.service_fait else None,
        "month": entry.month,
        "type": entry.forecast_type,
        "at": entry.recorded_at,
        "by": entry.author,
    }


def _format_seal(entry: Entry) -> str:
    parts = [entry.date.isoformat(), "seal", entry.id, f"month={entry.month}", f"prev={entry.prev}",
             f"sha256={entry.sha256}"]
    if entry.recorded_at is not None:
        parts.append(f"at={entry.recorded_at}")
    if entry.author is not None:
        parts.append(f"by={entry.author}")
    parts.append(f"entries={len(entry.digests)}")
    if entry.digests:
        parts.append("digests=" + ",".join(entry.digests))
    return " ".join(parts)


def _parse_seal(tokens: list[str], line: str, lineno: int, date: dt.date) -> Entry:
    ident = tokens[2]
    if TOKEN.fullmatch(ident) is None:
        raise LineError(_("id {id} is not valid (expected {expected})").format(
            id=repr(ident), expected=_(TOKEN_EXPECTED)), _column_of(line, 2, tokens))
    values: dict[str, str] = {}
    for index in range(3, len(tokens)):
        key, eq, value = tokens[index].partition("=")
        col = _column_of(line, index, tokens)
        if not eq or key not in ("month", "prev", "sha256", "at", "by", "entries", "digests") or key in values:
            raise LineError(_("unexpected {token} in a seal (expected month=, prev=, sha256=, at=, by=, entries=, "
                              "digests=, once each)").format(token=repr(tokens[index][:40])), col)
        values[key] = value
    try:
        month = parse_month(values.get("month", ""))
    except ValueError as exc:
        raise LineError(str(exc)) from None
    for key in ("prev", "sha256"):
        if _HEX64.fullmatch(values.get(key, "")) is None:
            raise LineError(_("a seal needs {key}= followed by 64 hexadecimal digits").format(key=key))
    digests = tuple(values["digests"].split(",")) if values.get("digests") else ()
    if any(_DIGEST.fullmatch(d) is None for d in digests):
        raise LineError(_("digests= must list 8-digit hexadecimal digests separated by commas"))
    if values.get("entries") != str(len(digests)):
        raise LineError(_("entries={entries} does not match the {count} digests listed").format(
            entries=values.get("entries"), count=len(digests)))
    stamp = values.get("at")
    if stamp is not None and _STAMP.fullmatch(stamp) is None:
        raise LineError(_("at={stamp} is not a UTC time (expected YYYY-MM-DDTHH:MM:SSZ)").format(stamp=repr(stamp)))
    author = values.get("by")
    if author is not None and TOKEN.fullmatch(author) is None:
        raise LineError(_("by={author} is not valid (expected {expected})").format(author=repr(author),
                                                                                  expected=_(TOKEN_EXPECTED)))
    return Entry(date=date, kind="seal", id=ident, team="", month=month, prev=values["prev"],
                 sha256=values["sha256"], digests=digests, recorded_at=stamp, author=author, line=lineno)


def format_entry(entry: Entry) -> str:
    """The ledger line of an entry (without the newline); inverse of :func:`parse_line`."""
    if entry.kind == "seal":
        return _format_seal(entry)
    parts = [entry.date.isoformat(), entry.kind, entry.id, entry.team]
    if entry.kind in AMOUNT_KINDS:
        parts.append(format_canonical(entry.amount))
    values = _field_values(entry)
    for key in (*_KIND_FIELDS[entry.kind], *_TAIL_FIELDS):
        value = values[key]
        if value is not None:
            parts.append(f"{key}={value}")
    if entry.label:
        parts.append(quote_label(entry.label))
    return " ".join(parts)


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


class LineError(ValueError):
    """A ledger line that does not follow the grammar; ``column`` is 1-based."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


def _column_of(line: str, token_index: int, tokens: list[str]) -> int:
    return sum(len(t) + 1 for t in tokens[:token_index]) + 1


_T = r"([A-Za-z0-9][A-Za-z0-9._/:+-]{0,63})"
_D = r"(\d{4}-\d\d-\d\d)"
_AMT = r" (0|[1-9]\d{0,13})\.(\d\d)"
_TAIL = r"(?: at=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ))?(?: by=" + _T + r')?(?: "([^"\\]*)")?'
_FAST = {
    "commitment": re.compile(_D + " commitment " + _T + " " + _T + _AMT + "(?: ref=" + _T + ")?(?: marche="
                             + _T + ")?(?: prestation=" + _T + ")?" + _TAIL),
    "payment": re.compile(_D + " payment " + _T + " " + _T + _AMT + " commitment=" + _T + "(?: sf=" + _D
                          + ")?(?: ref=" + _T + ")?" + _TAIL),
    "release": re.compile(_D + " release " + _T + " " + _T + _AMT + " commitment=" + _T + _TAIL),
    "forecast": re.compile(_D + " forecast " + _T + " " + _T + _AMT + r" month=(\d{4}-(?:0[1-9]|1[0-2])) "
                           "type=(ae|cp)" + _TAIL),
    "note": re.compile(_D + " note " + _T + " " + _T + _TAIL),
}


_FAST_KINDS = {kind[0]: (kind, pattern.fullmatch) for kind, pattern in _FAST.items()}
"""By the first letter of the kind (column 12 of a canonical line): its name and its pattern."""
_SHARED = sys.intern  # teams, marchés and authors repeat on every line: one string each, not millions
_NEW = tuple.__new__  # builds an Entry from its 19 fields without the named tuple's keyword handling
_DATES = _date_cache


def _parse_canonical_line(line: str, lineno: int) -> Entry | None:
    """The common case in one regular expression per kind: a line exactly as
    :func:`format_entry` writes it, with a label that needs no unescaping.  Anything else
    (or anything doubtful) returns None and goes through :func:`parse_line`'s full path,
    which gives the same entry or the exact error.  (The hot path of every read: written
    for speed.)"""
    found = _FAST_KINDS.get(line[11:12])
    if found is None:
        return None
    kind, fullmatch = found  # the kind's own string object, shared by every entry
    match = fullmatch(line)
    if match is None:
        return None
    g = match.groups()
    label = g[-1]
    if label is None:
        label = ""
    elif not label or (not label.isprintable() and escape_unsafe(label) != label):
        return None  # raw, a character quote_label escapes: not canonical (or refused, by the full path)
    day = g[0]
    date = _DATES.get(day)
    try:
        if date is None:
            date = parse_date(day)
        if kind == "note":
            by = g[4]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), 0, None, None, None, None, None, None, None, g[3],
                                by and _SHARED(by), label, None, None, (), lineno))
        amount = int(g[3]) * 100 + int(g[4])
        if amount == 0:
            return None
        if kind == "commitment":
            marche, prestation, by = g[6], g[7], g[9]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, g[5], marche and _SHARED(marche),
                                prestation and _SHARED(prestation), None, None, None, None, g[8], by and _SHARED(by),
                                label, None, None, (), lineno))
        if kind == "payment":
            sf = g[6]
            if sf is not None:
                sf = _DATES.get(sf) or parse_date(sf)
            by = g[9]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, g[7], None, None, g[5], sf, None, None, g[8],
                                by and _SHARED(by), label, None, None, (), lineno))
        if kind == "release":
            by = g[7]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, None, None, None, g[5], None, None, None,
                                g[6], by and _SHARED(by), label, None, None, (), lineno))
        by = g[8]
        return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, None, None, None, None, None, g[5], g[6], g[7],
                            by and _SHARED(by), label, None, None, (), lineno))
    except ValueError:
        return None


def parse_line(line: str, lineno: int = 0) -> Entry:
    """Parse one entry line (without its newline); raise :class:`LineError` if malformed."""
    fast = _parse_canonical_line(line, lineno) if len(line) <= MAX_LINE else None
    if fast is not None:
        return fast
    return _parse_line_fully(line, lineno)


def _parse_line_fully(line: str, lineno: int) -> Entry:
    if len(line) > MAX_LINE and not (len(line) <= MAX_SEAL_LINE and line[10:16] == " seal "):
        raise LineError(_("line is {length} characters long (at most {max})").format(length=len(line), max=MAX_LINE))
    quote = line.find('"')
    label = ""
    if quote >= 0:
        if quote == 0 or line[quote - 1] != " ":
            raise LineError(_("a label must be preceded by a space"), quote + 1)
        body = line[quote + 1:-1]
        if len(line) == quote + 1 or line[-1] != '"':  # json.loads would allow spaces after it
            raise LineError(_("the label is not a well-formed double-quoted string"), quote + 1)
        bad = raw_forbidden(body)
        if bad is not None:
            raise LineError(_("raw control or format character U+{code} (expected it escaped inside a label)").format(
                code=f"{ord(body[bad]):04X}"), quote + 2 + bad)
        if "\\" not in body and '"' not in body:
            label = body  # no escape: the common case needs no JSON decoding
        else:
            try:
                label = json.loads(line[quote:])
            except ValueError:
                raise LineError(_("the label is not a well-formed double-quoted string"), quote + 1) from None
        if not isinstance(label, str):  # pragma: no cover - a quote starts a string
            raise LineError(_("the label is not a string"), quote + 1)
        head = line[: quote - 1]
    else:
        head = line
    tokens = head.split(" ")
    if len(tokens) < 4 or "" in tokens:
        raise LineError(_("expected DATE KIND ID TEAM [AMOUNT] [key=value ...] [\"label\"], "
                          "separated by single spaces"), 1)
    try:
        date = parse_date(tokens[0])
    except ValueError as exc:
        raise LineError(str(exc), 1) from None
    kind = tokens[1]
    if kind == "seal" and quote < 0:
        return _parse_seal(tokens, line, lineno, date)
    if kind not in _KIND_FIELDS:
        raise LineError(_("unknown kind {kind} (expected one of: {kinds})").format(
            kind=repr(kind), kinds=", ".join(KINDS)), 12)
    ident, team = tokens[2], tokens[3]
    for index, value in ((2, ident), (3, team)):
        if TOKEN.fullmatch(value) is None:
            if index == 2:
                message = _("id {id} is not valid (expected {expected})").format(id=repr(value),
                                                                                 expected=_(TOKEN_EXPECTED))
            else:
                message = _("team {team} is not valid (expected {expected})").format(team=repr(value),
                                                                                     expected=_(TOKEN_EXPECTED))
            raise LineError(message, _column_of(line, index, tokens))
    rest = 4
    amount = 0
    if kind in AMOUNT_KINDS:
        if len(tokens) < 5:
            raise LineError(_("a {kind} needs an amount after the team (such as 20000.00)").format(kind=kind))
        try:
            amount = parse_canonical(tokens[4])
        except AmountError as exc:
            raise LineError(str(exc), _column_of(line, 4, tokens)) from None
        if amount == 0:
            raise LineError(_("amount is zero (expected a positive amount)"), _column_of(line, 4, tokens))
        rest = 5
    allowed = _ALLOWED[kind]
    values: dict[str, str] = {}
    for index in range(rest, len(tokens)):
        key, eq, value = tokens[index].partition("=")
        problem = None
        if not eq:
            problem = _("expected key=value, got {token}").format(token=repr(tokens[index]))
        elif key not in allowed:
            problem = _("unknown field {key} for a {kind} (expected: {fields})").format(
                key=repr(key), kind=kind, fields=", ".join(_ORDERED[kind]))
        elif key in values:
            problem = _("field {key} appears twice").format(key=repr(key))
        elif key == "at":
            if _STAMP.fullmatch(value) is None:
                problem = _("at={stamp} is not a UTC time (expected YYYY-MM-DDTHH:MM:SSZ)").format(stamp=repr(value))
        elif TOKEN.fullmatch(value) is None:
            problem = _("{key}={value} is not valid (expected {expected})").format(
                key=key, value=repr(value), expected=_(TOKEN_EXPECTED))
        if problem is not None:  # the column is only worked out for an error
            raise LineError(problem, _column_of(line, index, tokens))
        values[key] = value
    try:
        sf = parse_date(values["sf"]) if "sf" in values else None
        month = parse_month(values["month"]) if "month" in values else None
    except ValueError as exc:
        raise LineError(str(exc)) from None
    ftype = values.get("type")
    if kind == "forecast":
        if month is None or ftype is None:
            raise LineError(_("a forecast needs month=YYYY-MM and type=ae|cp"))
        if ftype not in ("ae", "cp"):
            raise LineError(_("type={type} (expected ae or cp)").format(type=repr(ftype)))
    if kind in ("payment", "release") and "commitment" not in values:
        raise LineError(_("a {kind} needs commitment=ID").format(kind=kind))
    return Entry(
        date=date, kind=kind, id=ident, team=team, amount=amount,
        ref=values.get("ref"), marche=values.get("marche"), prestation=values.get("prestation"),
        commitment=values.get("commitment"), service_fait=sf, month=month, forecast_type=ftype,
        recorded_at=values.get("at"), author=values.get("by"), label=label, line=lineno,
    )


# --------------------------------------------------------------------------------------
# Reading: one streaming pass
# --------------------------------------------------------------------------------------


@dataclass
class LedgerFile:
    """What reading a ledger file found, besides its entries.

    Attributes:
        path: the file as named by the user.
        entries: the entries that parse, in file order — filled by :func:`read_ledger` and
            :func:`parse_ledger_bytes` only; :class:`LedgerReader` streams them instead.
        problems: unreadable lines, header problems, a torn last line or block.
        exists: False when the file does not exist yet (an empty ledger).
        convention_id: the convention named in the header, if any.
        torn: (line number, byte offset where it starts) of a torn last line, if any.
        torn_block: (line number where it starts, lines it announces, lines found) of a
            last block the file ends before completing, if any.
        size: the bytes read (the file's size when the read began).
        has_header: whether the first line is a ledger header.
        version: the format version its header names (None: no header this version reads).
        lines: complete lines read (each ends with a newline).
        stopped: the line at which reading stopped after :data:`MAX_PROBLEMS` problems.
    """

    path: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exists: bool = True
    convention_id: str | None = None
    torn: tuple[int, int] | None = None
    torn_block: tuple[int, int, int] | None = None
    size: int = 0
    has_header: bool = False
    version: int | None = None
    lines: int = 0
    stopped: int | None = None


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects (entries and
    per-commitment states): its repeated full passes over a growing heap cost ~20 % at a
    million entries."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


BLOCK = 1 << 22
"""Bytes read (and decoded) at a time: the file is never held whole, as bytes or text."""
MAX_PROBLEMS = 1_000
"""Unreadable lines after which a reader stops: a file with so many is not a ledger (a file
of NUL bytes, a binary named by mistake), and reading on would only pile up messages."""
_MAX_RAW_LINE = MAX_SEAL_LINE * 4 + 1
"""Bytes beyond which a line is refused without being read whole (UTF-8 takes at most 4
bytes a character)."""
_SPARSE = b"\n\n\n\n"
"""Four line feeds in a row: a block with them is read by its non-blank lines only (a ledger
of blank lines is read at the speed of a byte search)."""
_NONBLANK = re.compile(r"[^\n]+")


_BOM = b"\xef\xbb\xbf"

Progress = Callable[[int, int, str, str], None]
"""Told (done, total, what, unit) as long work goes on: bytes of a ledger read, rows of an import."""
PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("progress", default=None)
"""Where the command line shows progress (a bar on a terminal); None: nowhere.  Readers call
it once per block of about 4 MB, so it costs nothing on small files."""


def _fd_blocks(fd: int, limit: int, size: int | None = None) -> Iterator[bytes]:
    """The bytes of ``fd`` up to ``limit`` (its size when the read began: what a concurrent
    writer appends meanwhile is not read), a block at a time."""
    size = size or BLOCK
    offset = 0
    while offset < limit:
        chunk = os.pread(fd, min(size, limit - offset), offset)
        if not chunk:
            return
        offset += len(chunk)
        yield chunk


def bytes_blocks(data: bytes, size: int | None = None) -> Iterator[bytes]:
    size = size or BLOCK
    for start in range(0, len(data), size):
        yield data[start:start + size]


_SEAL_LINE = re.compile(rb"(?m)^\d{4}-\d\d-\d\d seal ")


class LedgerReader:
    """The entries of a ledger, streamed in file order from an open descriptor (None: no
    file, an empty ledger), a block of about 4 MB at a time, up to the size the file had
    when the reader was made.

    Iterating yields each entry that parses; everything else — a byte-order mark, a missing
    or unsupported header, CR LF endings, invalid UTF-8, raw control characters, a line
    that breaks the grammar or (version 2) whose checksum is missing or wrong, a line too
    long to be one, a torn last line, a last block the file ends inside — is appended to
    ``info.problems`` with its line and column.  Right after an entry is yielded, ``text``
    is its line (without its checksum) when that line is canonical (exactly as
    :func:`format_entry` writes it), else None: a seal's digest can then hash it without
    formatting the entry again.  Reading stops after :data:`MAX_PROBLEMS` problems.
    """

    def __init__(self, fd: int | None, shown: str, *, data: bytes | None = None):
        self.info = LedgerFile(shown, exists=fd is not None or data is not None)
        self.text: str | None = None
        self._fd = fd
        self._data = data
        self._progress = PROGRESS.get()
        self._total = len(data) if data is not None else os.fstat(fd).st_size if fd is not None else 0
        self._block_left = 0
        self._block_start = (0, 0)

    def _blocks(self) -> Iterator[bytes]:
        if self._data is not None:
            return bytes_blocks(self._data)
        return _fd_blocks(self._fd, self._total) if self._fd is not None else iter(())

    def seal_lines(self) -> int:
        """How many lines look like seals (a fast scan of the file, no parsing): a reader of
        seals needs to keep the entries they cover only while seals lie ahead."""
        count = 0
        carry = b""
        for chunk in self._blocks():
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            if b" seal " in block[:cut]:
                count += len(_SEAL_LINE.findall(block, 0, cut))
            carry = block[cut:]
            if len(carry) > _MAX_RAW_LINE:
                carry = b""
        return count

    def _lines(self) -> Iterator[tuple[int, str | bytes]]:
        """(line number, text) of every complete line after nothing but the header was
        checked, in order; blank lines may be left out.  Bytes when a line is not UTF-8.
        Sets ``info.size``, ``info.lines`` and, for a last line without its newline,
        ``info.torn``; a line longer than :data:`_MAX_RAW_LINE` bytes is reported and
        skipped without ever being held whole."""
        info = self.info
        shown = info.path
        lineno = 0
        carry = b""
        first = True
        skipping = False  # inside a line too long to hold, until its newline
        skipped_from = 0
        consumed = 0  # bytes before the current chunk
        for chunk in self._blocks():
            info.size += len(chunk)
            if self._progress is not None:
                self._progress(info.size, self._total, shown, "bytes")
            if skipping:
                newline = chunk.find(b"\n")
                consumed += len(chunk)
                if newline < 0:
                    continue
                skipping = False
                chunk = chunk[newline + 1:]
                consumed -= len(chunk)
            block = carry + chunk if carry else chunk
            cut = block.rfind(b"\n") + 1
            if not cut:
                if len(block) > _MAX_RAW_LINE:
                    lineno += 1
                    skipped_from = consumed - len(carry)
                    self._overlong(lineno)
                    skipping, carry = True, b""
                    consumed += len(chunk)
                    continue
                carry = block
                consumed += len(chunk)
                continue
            if first:
                first = False
                if block.startswith(_BOM):
                    self._bom()
                    block, cut = block[3:], cut - 3
            start_lineno = lineno
            consumed += len(chunk)
            carry = block[cut:]
            body = block[:cut - 1]
            del block
            try:
                text: str | None = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and _SPARSE in body:
                at = 0
                lineno = start_lineno + 1
                for match in _NONBLANK.finditer(text):
                    lineno += text.count("\n", at, match.start())
                    at = match.start()
                    yield lineno, match.group()
                lineno = start_lineno + text.count("\n") + 1
                continue
            texts: list[str] | list[bytes] = text.split("\n") if text is not None else body.split(b"\n")
            del text, body
            for raw in texts:
                lineno += 1
                yield lineno, raw
        info.lines = lineno
        if first and carry.startswith(_BOM):
            self._bom()
            carry = carry[3:]
        if skipping:
            info.torn = (lineno, skipped_from)
        elif carry:
            lineno += 1
            prefix = HEADER_PREFIX.encode("ascii")
            if lineno == 1 and not (carry.startswith(prefix) or prefix.startswith(carry)):
                self._header("")  # one line, without a newline, that is no header: not a ledger
                return
            info.torn = (lineno, info.size - len(carry))
            info.problems.append(Problem(
                shown, lineno, 1, Severity.ERROR, "ledger-torn-line",
                ngettext("the last line is incomplete (no newline: a write was interrupted); run `delegation "
                         "check --repair` to move its {count} bytes to a side file",
                         "the last line is incomplete (no newline: a write was interrupted); run `delegation "
                         "check --repair` to move its {count} bytes to a side file", len(carry)).format(
                    count=len(carry))))

    def _overlong(self, lineno: int) -> None:
        self.info.problems.append(Problem(
            self.info.path, lineno, 1, Severity.ERROR, "ledger-line-too-long",
            _("line is longer than {max} bytes: not a ledger line (it was not read whole)").format(
                max=_MAX_RAW_LINE)))

    def __iter__(self) -> Iterator[Entry]:
        info = self.info
        shown = info.path
        problems = info.problems
        fast_parse = _parse_canonical_line
        v2 = False
        header = False
        for lineno, raw in self._lines():
            if len(problems) >= MAX_PROBLEMS:
                self._stop(lineno)
                return
            if not header and lineno != 1:  # the first line was blank, or too long to read
                self._header("")
                return
            if isinstance(raw, bytes):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problems.append(Problem(shown, lineno, exc.start + 1, Severity.ERROR, "ledger-encoding",
                                            _("invalid UTF-8 byte 0x{byte} (expected UTF-8 text)").format(
                                                byte=f"{raw[exc.start]:02x}")))
                    continue
            else:
                text = raw
            if lineno == 1:
                if text.endswith("\r"):
                    problems.append(Problem(shown, 1, len(text.encode("utf-8")), Severity.ERROR, "ledger-crlf",
                                            _("line ends with CR LF (expected LF line endings)")))
                    text = text[:-1]
                if not self._header(text):
                    return
                header = True
                v2 = info.version == 2
                continue
            if v2:
                if text.endswith("\r"):
                    problems.append(Problem(shown, lineno, len(text.encode("utf-8")), Severity.ERROR,
                                            "ledger-crlf", _("line ends with CR LF (expected LF line endings)")))
                    text = text[:-1]
                if not text or text[0] == "#":
                    self._slow(text, lineno)  # a comment or a blank line: no checksum
                    continue
                whole = len(text)
                text, opens, why = split_suffix(text)
                self._count_block(lineno, opens)
                if why is not None and raw_forbidden(text) is None:  # else the raw character is the news
                    problems.append(Problem(shown, lineno, whole - 11 if len(text) < whole else None, Severity.ERROR,
                                            "ledger-checksum", why))
            if len(text) <= MAX_LINE:  # a canonical line is printable by construction
                entry = fast_parse(text, lineno)
                if entry is not None:
                    self.text = text
                    yield entry
                    continue
            entry = self._slow(text, lineno)
            if entry is not None:
                self.text = None
                yield entry
        if self._block_left > 0:
            line, count = self._block_start
            found = count - self._block_left
            info.torn_block = (line, count, found)
            at = len(problems) - 1 if info.torn is not None and problems and problems[-1].code == "ledger-torn-line" \
                else len(problems)
            problems.insert(at, Problem(
                shown, line, None, Severity.ERROR, "ledger-torn-block",
                ngettext("the block of {count} lines written together from this line ends after {found} line "
                         "(a write was interrupted, none of it counts); run `delegation check --repair` to move "
                         "the block to a side file",
                         "the block of {count} lines written together from this line ends after {found} lines "
                         "(a write was interrupted, none of it counts); run `delegation check --repair` to move "
                         "the block to a side file", found).format(count=count, found=found)))

    def _count_block(self, lineno: int, opens: int) -> None:
        """Follow the blocks of a version 2 file: a line opening a block of N announces N - 1
        more lines; one opening a block inside another is an error."""
        if opens:
            if self._block_left > 0:
                self.info.problems.append(Problem(
                    self.info.path, lineno, None, Severity.ERROR, "ledger-block",
                    _("a block starts here inside the block of {count} lines that starts on line {line}").format(
                        count=self._block_start[1], line=self._block_start[0])))
            self._block_left = opens - 1
            self._block_start = (lineno, opens)
        elif self._block_left > 0:
            self._block_left -= 1

    def _stop(self, lineno: int) -> None:
        self.info.stopped = lineno
        self.info.problems.append(Problem(
            self.info.path, lineno, None, Severity.ERROR, "ledger-too-many-problems",
            _("{count} problems found: reading stopped here (a file with so many is not a ledger; is it the "
              "right file?)").format(count=MAX_PROBLEMS)))

    def _bom(self) -> None:
        self.info.problems.append(Problem(self.info.path, 1, 1, Severity.ERROR, "ledger-bom",
                                          _("the file starts with a byte-order mark (expected plain UTF-8 without "
                                            "BOM)")))

    def _header(self, text: str) -> bool:
        """Read the first line; False when the file is not a ledger this version reads."""
        info = self.info
        if text.startswith(HEADER_PREFIX):
            version, __, rest = text[len(HEADER_PREFIX):].partition(" ")
            if version not in {str(v) for v in READ_VERSIONS}:
                info.problems.append(Problem(
                    info.path, 1, len(HEADER_PREFIX) + 1, Severity.ERROR, "ledger-version",
                    _("ledger format version {version} is not supported (expected one of: {expected})").format(
                        version=repr(version), expected=", ".join(map(str, READ_VERSIONS)))))
                return False
            info.has_header = True
            info.version = int(version)
            if rest.startswith("convention="):
                info.convention_id = rest[len("convention="):].strip()
            return True
        info.problems.append(Problem(
            info.path, 1, 1, Severity.ERROR, "ledger-header",
            _("not a ledger: the first line is not the header ({header} expected)").format(
                header=repr(header_line("<id>")))))
        return False

    def _slow(self, text: str, lineno: int) -> Entry | None:
        """A line the one-regex path did not take: a comment, a blank line, an entry written
        otherwise than canonically, or an error."""
        shown, problems = self.info.path, self.info.problems
        if text.endswith("\r"):
            problems.append(Problem(shown, lineno, len(text.encode("utf-8")), Severity.ERROR,
                                    "ledger-crlf", _("line ends with CR LF (expected LF line endings)")))
            text = text[:-1]
        if not text or text[0] == "#" or text.isspace():
            return None
        bad = raw_forbidden(text)
        if bad is not None:
            problems.append(Problem(shown, lineno, bad + 1, Severity.ERROR, "ledger-control",
                                    _("raw control or format character U+{code} (expected it escaped inside a "
                                      "label)").format(code=f"{ord(text[bad]):04X}")))
            return None
        try:
            return _parse_line_fully(text, lineno)
        except LineError as exc:
            problems.append(Problem(shown, lineno, exc.column, Severity.ERROR, "ledger-syntax", str(exc)))
            return None


def scan(fd: int | None, shown: str) -> LedgerFile:
    """Read a ledger through, keeping no entry: what :class:`LedgerReader` found."""
    reader = LedgerReader(fd, shown)
    for __ in reader:
        pass
    return reader.info


def parse_ledger_bytes(data: bytes, shown: str) -> LedgerFile:
    """Parse the bytes of a whole ledger file: entries (kept), and every problem with its line."""
    reader = LedgerReader(None, shown, data=data)
    with bulk():
        reader.info.entries = list(reader)
    return reader.info


def read_ledger(path: Path) -> LedgerFile:
    """Read a ledger file with its entries kept in a list; a missing file is an empty ledger."""
    with opened_for_reading(path) as fd:
        reader = LedgerReader(fd, str(path))
        with bulk():
            reader.info.entries = list(reader)
        return reader.info


@contextlib.contextmanager
def opened_for_reading(path: Path) -> Iterator[int | None]:
    """An open descriptor on a ledger to read, under a shared lock, None if it does not exist.

    Nothing is read before the file is known to be a ledger file (:func:`_require_ledger_file`):
    it is opened without blocking, so that a named pipe opens at once, and refused (exit 2)
    unless it is a regular file of at most :data:`MAX_LEDGER_BYTES`.  The shared lock waits
    for a writer (``commit``, ``import``, ``close``, ``check --repair``, ``migrate``) to finish,
    so that a reader never sees half of what it appends or cuts; readers do not wait for
    each other.  Where the file system has no locks, the reader still reads only up to the
    size the file had when it began (:class:`LedgerReader`)."""
    shown = str(path)
    try:
        fd = os.open(path, _PROBE_FLAGS)
    except FileNotFoundError:
        yield None
        return
    except OSError as exc:
        raise _unopenable(path, exc) from None
    try:
        _require_ledger_file(fd, shown)
        with contextlib.suppress(OSError):  # no locks on this file system: read up to the size at the start
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)


MAX_LEDGER_BYTES = 1 << 32
"""4 GiB: the largest ledger any command reads or appends to (a million entries take about
130 MB).  Checked on the open file before anything is read or written."""
_PROBE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_WRITE_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


def _unopenable(path: Path, exc: OSError) -> DelegationError:
    """Why ``path`` could not be opened for reading: what it is when it is no file (a socket
    cannot be opened at all), else the system's reason."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return not_a_file(mode, str(path), _("ledger file"))
    return fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable", path=str(path))


def _require_ledger_file(fd: int, shown: str) -> None:
    """Refuse (exit 2), before anything is read, what is open on ``fd`` unless it is a regular
    file of at most :data:`MAX_LEDGER_BYTES` bytes; then make its reads blocking again.

    A regular file that reports 0 bytes but has contents is a kernel pseudo-file (``/proc``,
    ``/sys``): its size says nothing of what a read returns, so it is refused too (one byte
    is read to tell)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise not_a_file(st.st_mode, shown, _("ledger file"))
    os.set_blocking(fd, True)
    if st.st_size > MAX_LEDGER_BYTES:
        raise fail(_("file is {size} bytes, too large for a ledger (at most {max})").format(
                   size=st.st_size, max=MAX_LEDGER_BYTES),
                   code="file-too-large", path=shown)
    try:
        contents = st.st_size == 0 and os.pread(fd, 1, 0)
    except OSError as exc:
        raise fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable",
                   path=shown) from None
    if contents:
        raise fail(_("reports a size of 0 bytes but has contents: a kernel pseudo-file (such as /proc/...), "
                     "not a ledger file"), code="file-pseudo", path=shown)


def _refuse_special(path: Path) -> None:
    """Refuse (exit 2) an existing ``path`` that is not a ledger file, looked at read-only and
    without blocking, before it is ever opened for writing (opening some devices for writing
    acts on them)."""
    try:
        fd = os.open(path, _PROBE_FLAGS)
    except FileNotFoundError:
        return
    except OSError:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return
        if not stat.S_ISREG(mode):
            raise not_a_file(mode, str(path), _("ledger file")) from None
        return  # unreadable: opening it for writing will say why
    try:
        _require_ledger_file(fd, str(path))
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


class LockedLedger:
    """A ledger file held under an exclusive lock (see :func:`locked_ledger`)."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self.fd = fd
        self.appended = False

    def append(self, bodies: list[str], *, header: str | None = None) -> None:
        """Append entry lines (as :func:`format_entry` writes them) in one write, each with
        its checksum, several as one block (:func:`file_lines`), then fsync; roll back on
        failure.  ``header`` starts a new file; an existing one must be of the current
        format version (a version 1 ledger is migrated first)."""
        if header is None:
            _require_current_version(self.fd, str(self.path))
        text = "".join(f"{line}\n" for line in ([header] if header else []) + file_lines(bodies))
        data = text.encode("utf-8")
        before = os.fstat(self.fd).st_size
        try:
            view = memoryview(data)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
            os.fsync(self.fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, before)
                os.fsync(self.fd)
            raise fail(_("cannot write: {reason}; the ledger was left as it was").format(reason=exc.strerror),
                       code="write-failed", path=str(self.path),
                       exit_code=ExitCode.WRITE_FAILED) from None
        self.appended = True


def _open_locked(path: Path) -> tuple[int, bool]:
    """Open (creating if needed) and lock ``path``; retry if it was replaced meanwhile.

    An existing path that is not a ledger file (a FIFO, a device, a directory, a socket, a
    pseudo-file, a file above :data:`MAX_LEDGER_BYTES`) is refused (exit 2) before it is
    opened for writing, and what was opened is checked again (it may have been replaced)."""
    while True:
        created = False
        _refuse_special(path)
        try:
            fd = os.open(path, _WRITE_FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
            created = True
        except FileExistsError:
            fd = os.open(path, _WRITE_FLAGS)
        try:
            _require_ledger_file(fd, str(path))
            fcntl.flock(fd, fcntl.LOCK_EX)
            st = os.fstat(fd)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                os.close(fd)
                continue
            if (st.st_ino, st.st_dev) != (current.st_ino, current.st_dev):
                os.close(fd)
                continue
        except BaseException:
            os.close(fd)
            raise
        return fd, created


@contextlib.contextmanager
def locked_ledger(path: Path, *, require_header: bool = True) -> Iterator[LockedLedger]:
    """Hold the ledger under an exclusive lock while the caller reads, checks, appends.

    The file (and its folder) is created if missing; if the caller appends nothing, what
    was created is removed again, so a refused command leaves no trace.  A path that is
    not a regular file is refused before anything is read or written (exit 2), and so is
    an existing non-empty file whose first line is not a ledger header (exit 1; unless
    ``require_header`` is False, for :func:`repair`, which checks the header itself).  An
    existing empty file is taken as a new ledger: the caller writes the header first.
    """
    created_dirs: list[Path] = []
    parent = path.parent
    while not parent.exists():
        created_dirs.append(parent)
        parent = parent.parent
    try:
        for folder in reversed(created_dirs):
            folder.mkdir()
        fd, created = _open_locked(path)
    except OSError as exc:
        _remove_dirs(created_dirs)
        raise fail(_("cannot open for writing: {reason}").format(reason=exc.strerror), code="write-failed",
                   path=str(path), exit_code=ExitCode.WRITE_FAILED) from None
    except DelegationError:
        _remove_dirs(created_dirs)
        raise
    if require_header and not created:
        try:
            _require_header(fd, str(path))
        except BaseException:
            os.close(fd)
            raise
    locked = LockedLedger(path, fd)
    try:
        yield locked
    finally:
        if created and not locked.appended:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if created and locked.appended:
            _fsync_dir(path.parent)
        os.close(fd)  # releases the lock
        if not locked.appended:
            _remove_dirs(created_dirs)


def _require_header(fd: int, shown: str) -> None:
    """Refuse (exit 1) to append to a non-empty file that does not start with a ledger
    header (after a byte-order mark, which the reader names): a mistyped ``--ledger`` never
    damages another file.  Only the first bytes are read."""
    head = os.pread(fd, len(_BOM) + len(HEADER_PREFIX), 0).removeprefix(_BOM)
    prefix = HEADER_PREFIX.encode("ascii")
    if head.startswith(prefix) or prefix.startswith(head):  # a header, or one torn (the reader says so)
        return
    raise DelegationError([
        Problem(shown, 1, 1, Severity.ERROR, "ledger-header",
                _("not a ledger: the first line is not the header ({header} expected)").format(
                    header=repr(header_line("<id>")))),
        Problem(shown, None, None, Severity.ERROR, "ledger-not-writable",
                _("refusing to append to a file that is not a ledger")),
    ], ExitCode.PROBLEMS)


def version_of(fd: int) -> int | None:
    """The format version a ledger's header names (only the first bytes are read), None when
    its first bytes are no header."""
    head = os.pread(fd, len(_BOM) + len(HEADER_PREFIX) + 12, 0).removeprefix(_BOM)
    if not head.startswith(HEADER_PREFIX.encode("ascii")):
        return None
    version = head[len(HEADER_PREFIX):].split(b" ", 1)[0].split(b"\n", 1)[0]
    return int(version) if version.isdigit() and len(version) < 6 else None


def old_version_refusal(shown: str, version: int) -> Problem:
    """Why nothing is appended to a ledger of an earlier format version."""
    return Problem(shown, 1, None, Severity.ERROR, "ledger-old-version",
                   _("this ledger is in format version {version}, which is read but no longer written (its lines "
                     "carry no checksum); run `delegation migrate` to convert it to version {current}, every entry "
                     "and seal kept as it is").format(version=version, current=FORMAT_VERSION))


def _require_current_version(fd: int, shown: str) -> None:
    version = version_of(fd)
    if version is not None and version != FORMAT_VERSION:
        raise DelegationError([old_version_refusal(shown, version)], ExitCode.PROBLEMS)


T = TypeVar("T")
Writer = Callable[[list[str]], None]
"""Appends entry lines (as :func:`format_entry` writes them) to a ledger held under its lock,
in one write: each line with its checksum, several as one block."""


def with_ledger(path: Path, header: str, *, dry_run: bool, work: Callable[[int | None, Writer | None], T]) -> T:
    """Run ``work`` on the ledger open on a descriptor (None: no file yet): under its
    exclusive lock with a writer (``header`` is written first to a new file), or read-only
    without one for a dry run."""
    if dry_run:
        with opened_for_reading(path) as fd:
            return work(fd, None)
    with locked_ledger(path) as locked:
        first = header if os.fstat(locked.fd).st_size == 0 else None

        def write(lines: list[str]) -> None:
            locked.append(lines, header=first)

        return work(locked.fd, write)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once: written to a temporary file beside it,
    fsynced, renamed over it, the folder fsynced.  A reader sees the old file or the new,
    never a part; on failure the old one is left as it was."""
    import tempfile  # only the commands that write a whole file need it

    temporary: Path | None = None
    try:
        # A new name, created exclusively and never through a link (``mkstemp``): a link
        # planted in a shared folder at a predictable name cannot turn the write elsewhere.
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temporary = Path(name)
        try:
            os.fchmod(fd, 0o644)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise fail(_("cannot write: {reason}").format(reason=exc.strerror), code="write-failed", path=str(path),
                   exit_code=ExitCode.WRITE_FAILED) from None


def _remove_dirs(dirs: list[Path]) -> None:
    for folder in dirs:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def repair(path: Path, now: dt.datetime, convention_id: str) -> str | None:
    """Make whole a ledger of convention ``convention_id`` that a write interrupted (a crash, a
    kill, a power loss); return what was done, or None when there is nothing to repair (or no
    file).

    Only a file whose first line is this convention's header is touched: anything else (a
    YAML file, an image, another convention's ledger) is refused (exit 1), unchanged, and so
    is what is not a regular file (exit 2).  What an interrupted write leaves is moved to
    ``<ledger>.torn-YYYYMMDDTHHMMSS`` (fsynced) and the ledger cut back before it:

    * a last block the file ends inside (version 2: ``block=N`` with fewer than N lines
      after it) is moved whole, so that a killed import leaves all its rows or none;
    * a last line without its newline is moved — unless, in a version 2 ledger, its checksum
      proves it whole (only the newline is missing) and it completes what it belongs to:
      then the newline is added.  A version 1 line has no checksum: a cut line could read as
      a different entry, so it is always moved (it was never acknowledged: every write ends
      with its newline before it is).

    Nothing else is ever changed: lines before the interrupted write stay byte for byte."""
    if not path.exists():
        return None
    shown = str(path)
    with locked_ledger(path, require_header=False) as locked:
        fd = locked.fd
        size = os.fstat(fd).st_size
        if size == 0:
            return None
        head = os.pread(fd, _HEADER_PROBE, 0)
        end = head.find(b"\n")
        first = head[:end] if end >= 0 else head if len(head) == size else b"\n"
        first = first.removeprefix(_BOM)
        whole_header = _header_of(first) == convention_id
        torn_header = end < 0 and first.startswith(HEADER_PREFIX.encode("ascii")) and any(
            header_line(convention_id, version).encode("utf-8").startswith(first) for version in READ_VERSIONS)
        if not whole_header and not torn_header:
            raise _not_this_ledger(first, convention_id, shown)
        state = scan(fd, shown)
        if end < 0 and whole_header:
            _append_newline(fd, shown)
            return _("{path}:1: kept the header line, which lacked only its final newline; the newline was "
                     "added").format(path=shown)
        whole = None
        if state.torn is not None and end >= 0 and state.version == FORMAT_VERSION:
            whole = _whole_line(fd, state.torn[1], size - state.torn[1], state.torn[0])
        if state.torn_block is not None:
            line, count, found = state.torn_block
            if whole is not None and whole[1] == 0 and found + 1 == count:
                _append_newline(fd, shown)
                return _("{path}:{line}: kept the last line, a complete {kind} ({id}) that lacked only its final "
                         "newline and completes its block; the newline was added").format(
                    path=shown, line=state.torn[0] if state.torn else line, kind=whole[0].kind, id=whole[0].id)
            offset = _offset_of_line(fd, line, size)
            lines = found + (1 if state.torn is not None else 0)
            side = _move_aside(path, fd, offset, size, now)
            return ngettext("{path}:{line}: moved the interrupted block ({count} line of the {announced} it "
                            "announces, {bytes} bytes) to {side}; none of its entries counts",
                            "{path}:{line}: moved the interrupted block ({count} lines of the {announced} it "
                            "announces, {bytes} bytes) to {side}; none of its entries counts", lines).format(
                path=shown, line=line, count=lines, announced=count, bytes=size - offset, side=side)
        if state.torn is None:
            return None
        lineno, offset = state.torn
        if whole is not None and whole[1] <= 1:
            _append_newline(fd, shown)
            return _("{path}:{line}: kept the last line, a complete {kind} ({id}) that lacked only its final "
                     "newline; the newline was added").format(path=shown, line=lineno, kind=whole[0].kind,
                                                              id=whole[0].id)
        moved = size - offset
        side = _move_aside(path, fd, offset, size, now)
        return ngettext("{path}:{line}: moved the incomplete last line ({count} bytes) to {side}",
                        "{path}:{line}: moved the incomplete last line ({count} bytes) to {side}", moved).format(
            path=shown, line=lineno, count=moved, side=side)


def _offset_of_line(fd: int, line: int, size: int) -> int:
    """The byte offset at which line ``line`` (1-based) of the file starts."""
    offset = 0
    left = line - 1
    for chunk in _fd_blocks(fd, size):
        newlines = chunk.count(b"\n")
        if newlines < left:
            left -= newlines
            offset += len(chunk)
            continue
        at = -1
        for __ in range(left):
            at = chunk.index(b"\n", at + 1)
        return offset + at + 1
    return size


def upgraded_lines(lines: Iterable[str], convention_id: str) -> Iterator[str]:
    """A version 1 ledger's lines (without their newlines) as version 2 writes them, line for
    line: the header names version 2, each entry is written canonically with its checksum
    (:func:`sealed_line`), comments and blank lines stay as they are.  Raises
    :class:`LineError` on a line that does not read."""
    for lineno, text in enumerate(lines, 1):
        if lineno == 1:
            yield header_line(convention_id)
        elif not text or text[0] == "#" or text.isspace():
            yield text
        else:
            yield sealed_line(format_entry(parse_line(text, lineno)))


def migrate(locked: LockedLedger, convention_id: str, now: dt.datetime, *, dry_run: bool) -> tuple[int, Path | None]:
    """Rewrite the version 1 ledger held by ``locked`` in version 2, line for line (its line
    numbers, entries and seals unchanged: seals hash the entries' canonical text, never the
    checksums); return the entry lines written and where the version 1 file was kept.

    The new file is written beside the ledger (created exclusively, fsynced), read back and
    compared entry by entry with the old one, then renamed over it; the old file stays as
    ``<ledger>.v1-YYYYMMDDTHHMMSS``.  With ``dry_run`` the comparison is made and nothing is
    kept.  The caller has checked the ledger has no error."""
    import tempfile  # only migrate and the whole-file writers need it

    path, fd = locked.path, locked.fd
    size = os.fstat(fd).st_size
    out, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        os.fchmod(out, os.fstat(fd).st_mode & 0o777)
        count = 0
        pending: list[str] = []
        for line in upgraded_lines(_text_lines(fd, size), convention_id):
            count += "crc=" in line[-13:]
            pending.append(line)
            if len(pending) >= 10_000:
                _write_all(out, "".join(f"{t}\n" for t in pending).encode("utf-8"))
                pending.clear()
        _write_all(out, "".join(f"{t}\n" for t in pending).encode("utf-8"))
        os.fsync(out)
        _same_entries(fd, size, out, str(path))
        if dry_run:
            return count, None
        backup = _free_name(path, f"{path.name}.v1-{now.strftime('%Y%m%dT%H%M%S')}")
        os.link(path, backup)
        os.replace(temporary, path)
        _fsync_dir(path.parent)
        locked.appended = True
        return count, backup
    finally:
        os.close(out)
        with contextlib.suppress(OSError):
            temporary.unlink()


def _text_lines(fd: int, size: int) -> Iterator[str]:
    """The lines of a ledger that reads without error (no line is torn), without newlines."""
    carry = b""
    for chunk in _fd_blocks(fd, size):
        block = carry + chunk
        cut = block.rfind(b"\n") + 1
        carry = block[cut:]
        yield from block[:cut - 1].decode("utf-8").split("\n") if cut else ()


def _same_entries(fd: int, size: int, out: int, shown: str) -> None:
    """Refuse (and write nothing) unless the file on ``out`` reads without a problem and gives
    exactly the entries of the one on ``fd``, line for line."""
    old, new = LedgerReader(fd, shown), LedgerReader(out, shown)
    for before, after in itertools.zip_longest(old, new):
        if before != after:  # pragma: no cover - upgraded_lines writes each entry as it reads it
            line = before.line if before is not None else after.line if after is not None else 0
            raise fail(_("line {line} would not read back the same; nothing was changed").format(line=line),
                       code="migrate-failed", path=shown, exit_code=ExitCode.PROBLEMS)
    if new.info.problems or new.info.lines != old.info.lines:  # pragma: no cover - as above
        raise fail(_("the converted ledger would not read back the same; nothing was changed"),
                   code="migrate-failed", path=shown, exit_code=ExitCode.PROBLEMS)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _free_name(path: Path, stem: str) -> Path:
    """``stem`` beside ``path``, or ``stem-2``, ``stem-3``... when it is taken."""
    candidate = path.with_name(stem)
    attempt = 2
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{stem}-{attempt}")
        attempt += 1
    return candidate


_HEADER_PROBE = 4096
"""Bytes read to find the first line: a header is far shorter."""


def _header_of(first: bytes) -> str | None:
    """The convention id named by a first line (bytes, without its newline) that is a header
    this version reads, as the reader takes it; else None."""
    try:
        text = first.decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    if not text.startswith(HEADER_PREFIX):
        return None
    version, __, rest = text[len(HEADER_PREFIX):].partition(" ")
    if version not in {str(v) for v in READ_VERSIONS} or not rest.startswith("convention="):
        return None
    return rest[len("convention="):].strip()


def _not_this_ledger(first: bytes, convention_id: str, shown: str) -> DelegationError:
    expected = header_line(convention_id)
    other = _header_of(first)
    if other is not None:
        why = _("not a ledger of convention {convention}: its header names convention {other}").format(
            convention=convention_id, other=repr(other))
    else:
        why = _("not a ledger: the first line is not the header")
    return fail(_("{why} ({expected} expected); --repair changes nothing in it").format(
                why=why, expected=repr(expected)), code="repair-refused",
                path=shown, line=1, exit_code=ExitCode.PROBLEMS)


def _whole_line(fd: int, offset: int, length: int, lineno: int) -> tuple[Entry, int] | None:
    """The last line of a version 2 ledger (from ``offset``, without a newline) with the size
    of the block it opens, if its checksum proves it whole and it reads as an entry."""
    if length > MAX_SEAL_LINE + 64:
        return None
    try:
        text = os.pread(fd, length, offset).decode("utf-8")
    except UnicodeDecodeError:
        return None
    body, opens, why = split_suffix(text)
    if why is not None or raw_forbidden(body) is not None:
        return None
    try:
        return parse_line(body, lineno), opens
    except LineError:
        return None


def _append_newline(fd: int, shown: str) -> None:
    """Append the missing final newline (the file is open in append mode), then fsync."""
    before = os.fstat(fd).st_size
    try:
        while os.write(fd, b"\n") != 1:
            pass
        os.fsync(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, before)
        raise fail(_("cannot write: {reason}; the ledger was left as it was").format(reason=exc.strerror),
                   code="write-failed", path=shown, exit_code=ExitCode.WRITE_FAILED) from None


def _move_aside(path: Path, fd: int, offset: int, size: int, now: dt.datetime) -> Path:
    """Copy the bytes from ``offset`` to a new side file (fsynced), then cut the ledger there."""
    stem = f"{path.name}.torn-{now.strftime('%Y%m%dT%H%M%S')}"
    side = path.with_name(stem)
    for attempt in range(2, 1000):  # two repairs within a second each get their own side file
        try:
            out = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            break
        except FileExistsError:
            side = path.with_name(f"{stem}-{attempt}")
    else:  # pragma: no cover - a thousand side files in one second
        raise fail(_("cannot write: {reason}").format(reason=os.strerror(17)), code="write-failed",
                   path=str(side), exit_code=ExitCode.WRITE_FAILED)
    try:
        at = offset
        while at < size:
            chunk = os.pread(fd, min(BLOCK, size - at), at)
            if not chunk:
                break
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view):]
            at += len(chunk)
        os.fsync(out)
    finally:
        os.close(out)
    _fsync_dir(path.parent)
    os.ftruncate(fd, offset)
    os.fsync(fd)
    return side
