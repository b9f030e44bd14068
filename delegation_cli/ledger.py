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
import json
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterator
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

FORMAT_VERSION = 1
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


def header_line(convention_id: str) -> str:
    """The first line of every ledger file."""
    return f"{HEADER_PREFIX}{FORMAT_VERSION} convention={convention_id}"


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
        problems: unreadable lines, header problems, a torn last line.
        exists: False when the file does not exist yet (an empty ledger).
        convention_id: the convention named in the header, if any.
        torn: (line number, byte offset where it starts) of a torn last line, if any.
        size: the file's size in bytes.
        has_header: whether the first line is a ledger header.
        lines: complete lines read (each ends with a newline).
    """

    path: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exists: bool = True
    convention_id: str | None = None
    torn: tuple[int, int] | None = None
    size: int = 0
    has_header: bool = False
    lines: int = 0


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


_BOM = b"\xef\xbb\xbf"

Progress = Callable[[int, int, str, str], None]
"""Told (done, total, what, unit) as long work goes on: bytes of a ledger read, rows of an import."""
PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("progress", default=None)
"""Where the command line shows progress (a bar on a terminal); None: nowhere.  Readers call
it once per block of about 4 MB, so it costs nothing on small files."""


def _fd_blocks(fd: int, size: int | None = None) -> Iterator[bytes]:
    size = size or BLOCK
    offset = 0
    while True:
        chunk = os.pread(fd, size, offset)
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
    file, an empty ledger), a block of about 4 MB at a time.

    Iterating yields each entry that parses; everything else — a byte-order mark, a missing
    or unsupported header, CR LF endings, invalid UTF-8, raw control characters, a line
    that breaks the grammar, a torn last line — is appended to ``info.problems`` with its
    line and column.  Right after an entry is yielded, ``text`` is its line when that line
    is canonical (exactly as :func:`format_entry` writes it), else None: a seal's digest
    can then hash it without formatting the entry again.
    """

    def __init__(self, fd: int | None, shown: str, *, data: bytes | None = None):
        self.info = LedgerFile(shown, exists=fd is not None or data is not None)
        self.text: str | None = None
        self._fd = fd
        self._data = data
        self._progress = PROGRESS.get()
        self._total = len(data) if data is not None else os.fstat(fd).st_size if fd is not None else 0

    def _blocks(self) -> Iterator[bytes]:
        if self._data is not None:
            return bytes_blocks(self._data)
        return _fd_blocks(self._fd) if self._fd is not None else iter(())

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
        return count

    def __iter__(self) -> Iterator[Entry]:
        info = self.info
        blocks = self._blocks()
        shown = info.path
        problems = info.problems
        fast_parse = _parse_canonical_line
        lineno = 0
        carry = b""
        first = True
        for chunk in blocks:
            info.size += len(chunk)
            if self._progress is not None:
                self._progress(info.size, self._total, shown, "bytes")
            block = carry + chunk if carry else chunk
            cut = block.rfind(b"\n") + 1
            if not cut:
                carry = block
                continue
            if first:
                first = False
                if block.startswith(_BOM):
                    self._bom()
                    block, cut = block[3:], cut - 3
            carry = block[cut:]
            try:
                texts: list[str] | list[bytes] = block[:cut - 1].decode("utf-8").split("\n")
            except UnicodeDecodeError:
                texts = block[:cut - 1].split(b"\n")
            del block
            for raw in texts:
                lineno += 1
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
                        info.lines = lineno
                        return
                    continue
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
        info.lines = lineno
        if first and carry.startswith(_BOM):
            self._bom()
            carry = carry[3:]
        if carry:
            lineno += 1
            offset = info.size - len(carry)
            info.torn = (lineno, offset)
            problems.append(Problem(
                shown, lineno, 1, Severity.ERROR, "ledger-torn-line",
                ngettext("the last line is incomplete (no newline: a write was interrupted); run `delegation "
                         "check --repair` to move its {count} bytes to a side file",
                         "the last line is incomplete (no newline: a write was interrupted); run `delegation "
                         "check --repair` to move its {count} bytes to a side file", len(carry)).format(
                    count=len(carry))))

    def _bom(self) -> None:
        self.info.problems.append(Problem(self.info.path, 1, 1, Severity.ERROR, "ledger-bom",
                                          _("the file starts with a byte-order mark (expected plain UTF-8 without "
                                            "BOM)")))

    def _header(self, text: str) -> bool:
        """Read the first line; False when the file is not a ledger this version reads."""
        info = self.info
        if text.startswith(HEADER_PREFIX):
            version, __, rest = text[len(HEADER_PREFIX):].partition(" ")
            if version != str(FORMAT_VERSION):
                info.problems.append(Problem(
                    info.path, 1, len(HEADER_PREFIX) + 1, Severity.ERROR, "ledger-version",
                    _("ledger format version {version} is not supported (expected {expected})").format(
                        version=repr(version), expected=FORMAT_VERSION)))
                return False
            info.has_header = True
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
    """An open descriptor on a ledger to read without the lock, None if it does not exist.

    Nothing is read before the file is known to be a ledger file (:func:`_require_ledger_file`):
    it is opened without blocking, so that a named pipe opens at once, and refused (exit 2)
    unless it is a regular file of at most :data:`MAX_LEDGER_BYTES`."""
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
    if st.st_size == 0 and os.pread(fd, 1, 0):
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

    def append(self, lines: list[str], *, header: str | None = None) -> None:
        """Append complete lines in one write, then fsync; roll back on failure."""
        text = "".join(f"{line}\n" for line in ([header] if header else []) + lines)
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


T = TypeVar("T")
Writer = Callable[[list[str]], None]
"""Appends complete lines to a ledger held under its lock."""


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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        _fsync_dir(path.parent)
    except OSError as exc:
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
    """Make whole a ledger of convention ``convention_id`` whose last line lacks its newline;
    return what was done, or None when there is nothing to repair (or no file).

    Only a file whose first line is this convention's header is touched: anything else (a
    YAML file, an image, another convention's ledger) is refused (exit 1), unchanged, and so
    is what is not a regular file (exit 2).  A last line that lacks only its final newline
    but reads as a complete entry (:func:`parse_line`) is kept: the newline is appended and
    fsynced.  A truly partial line is moved to ``<ledger>.torn-YYYYMMDDTHHMMSS`` and the
    ledger cut back to its last complete line.  Nothing else is ever changed."""
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
        expected = header_line(convention_id)
        whole_header = _header_of(first) == convention_id
        torn_header = end < 0 and first.startswith(HEADER_PREFIX.encode("ascii")) \
            and expected.encode("utf-8").startswith(first)
        if not whole_header and not torn_header:
            raise _not_this_ledger(first, convention_id, shown)
        state = scan(fd, shown)
        if state.torn is None:
            return None
        lineno, offset = state.torn
        if end < 0 and whole_header:
            _append_newline(fd, shown)
            return _("{path}:1: kept the header line, which lacked only its final newline; the newline was "
                     "added").format(path=shown)
        entry = None if end < 0 else _complete_entry(fd, offset, size - offset, lineno)
        if entry is not None:
            _append_newline(fd, shown)
            return _("{path}:{line}: kept the last line, a complete {kind} ({id}) that lacked only its final "
                     "newline; the newline was added").format(path=shown, line=lineno, kind=entry.kind, id=entry.id)
        moved = size - offset
        side = _move_aside(path, fd, offset, size, now)
        return ngettext("{path}:{line}: moved the incomplete last line ({count} bytes) to {side}",
                        "{path}:{line}: moved the incomplete last line ({count} bytes) to {side}", moved).format(
            path=shown, line=lineno, count=moved, side=side)


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
    if version != str(FORMAT_VERSION) or not rest.startswith("convention="):
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


def _complete_entry(fd: int, offset: int, length: int, lineno: int) -> Entry | None:
    """The last line (from ``offset``, without a newline) if it reads as a complete entry."""
    if length > MAX_SEAL_LINE:
        return None
    try:
        text = os.pread(fd, length, offset).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or text[0] == "#" or text.isspace() or raw_forbidden(text) is not None:
        return None
    try:
        return parse_line(text, lineno)
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
    side = path.with_name(f"{path.name}.torn-{now.strftime('%Y%m%dT%H%M%S')}")
    out = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
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
