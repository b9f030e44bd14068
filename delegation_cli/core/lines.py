"""The ledger's line format: one entry per line, its checksum and its block (version 2).

:func:`format_entry` and :func:`parse_line` are exact inverses; :func:`sealed_line` adds the
``crc=`` (and ``block=``) suffix a version 2 file line carries, :func:`split_suffix` takes it
off again and says when it does not match.  Labels are quoted by :func:`quote_label`, which
escapes what a terminal, an editor or another tool could act on.  Pure functions: the file is
``store/ledger.py``'s (grammar in ``docs/ledger-format.md``)."""


import datetime as dt
import json
import re
import sys
import unicodedata
import zlib

from .entries import TOKEN, TOKEN_EXPECTED, Entry, _date_cache, parse_date, parse_month
from .errors import raw_forbidden
from .i18n import _
from .kinds import AMOUNT_KINDS, KIND_SPECS, KINDS, STAMP_FIELDS, is_kind
from .money import AmountError, format_canonical, parse_canonical

FORMAT_VERSION = 2
"""The version every ledger is written in: each line ends with its checksum, several lines
written at once form a block (``docs/ledger-format.md``)."""
READ_VERSIONS = (1, 2)
"""Versions a reader takes; a version 1 ledger is read, never appended to (``delegation
migrate`` converts it)."""
HEADER_PREFIX = "# delegation-ledger v"

# Key of each field in the file, in canonical order, per kind (a seal's line has its own grammar).
_KIND_FIELDS: dict[str, tuple[str, ...]] = {kind: spec.fields for kind, spec in KIND_SPECS.items() if kind != "seal"}
_TAIL_FIELDS = STAMP_FIELDS
_ORDERED: dict[str, tuple[str, ...]] = {kind: (*fields, *_TAIL_FIELDS) for kind, fields in _KIND_FIELDS.items()}
_ALLOWED: dict[str, frozenset[str]] = {kind: frozenset(fields) for kind, fields in _ORDERED.items()}
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
_crc32 = zlib.crc32


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
    it can be said too.  (Run once per line of every ledger read: the common case first.)"""
    if text[-_SUFFIX:-8] == CRC_KEY:
        body = text[:-_SUFFIX]
        if f"{_crc32(body.encode('utf-8')):08x}" == text[-8:] and BLOCK_KEY not in body[-_BLOCK_TAIL:]:
            return body, 0, None  # its checksum matches (so it is 8 lowercase hexadecimal digits); no block
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
        "ej": entry.ej,
        "marche": entry.marche,
        "prestation": entry.prestation,
        "commitment": entry.commitment,
        "sf": entry.service_fait.isoformat() if entry.service_fait else None,
        "month": entry.month,
        "type": entry.forecast_type,
        "entry": entry.target,
        "payment": entry.target,
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
    "commitment": re.compile(_D + " commitment " + _T + " " + _T + _AMT + "(?: ref=" + _T + ")?(?: ej=" + _T
                             + ")?(?: marche=" + _T + ")?(?: prestation=" + _T + ")?" + _TAIL),
    "payment": re.compile(_D + " payment " + _T + " " + _T + _AMT + " commitment=" + _T + "(?: sf=" + _D
                          + ")?(?: ref=" + _T + ")?" + _TAIL),
    "release": re.compile(_D + " release " + _T + " " + _T + _AMT + " commitment=" + _T + _TAIL),
    "forecast": re.compile(_D + " forecast " + _T + " " + _T + _AMT + r" month=(\d{4}-(?:0[1-9]|1[0-2])) "
                           "type=(ae|cp)" + _TAIL),
    "note": re.compile(_D + " note " + _T + " " + _T + _TAIL),
    "cancel": re.compile(_D + " cancel " + _T + " " + _T + " entry=" + _T + _TAIL),
    "service-fait": re.compile(_D + " service-fait " + _T + " " + _T + " payment=" + _T + " sf=" + _D + _TAIL),
}


_FAST_KINDS = {kind[:2]: (kind, pattern.fullmatch) for kind, pattern in _FAST.items()}
"""By the first two letters of the kind (columns 12–13 of a canonical line): its name and its
pattern."""
assert len(_FAST_KINDS) == len(_FAST), "two kinds share their first two letters"
_SHARED = sys.intern  # teams, marchés and authors repeat on every line: one string each, not millions
_NEW = tuple.__new__  # builds an Entry from its 19 fields without the named tuple's keyword handling
_DATES = _date_cache


def parse_canonical_line(line: str, lineno: int) -> Entry | None:
    """The common case in one regular expression per kind: a line exactly as
    :func:`format_entry` writes it, with a label that needs no unescaping.  Anything else
    (or anything doubtful) returns None and goes through :func:`parse_line`'s full path,
    which gives the same entry or the exact error.  (The hot path of every read: written
    for speed.)"""
    found = _FAST_KINDS.get(line[11:13])
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
                                by and _SHARED(by), label, None, None, (), None, None, lineno))
        if kind == "cancel" or kind == "service-fait":
            return _mending(kind, g, date, label, lineno)
        amount = int(g[3]) * 100 + int(g[4])
        if amount == 0 and kind != "forecast":  # a forecast of 0 withdraws the one in force
            return None
        if kind == "commitment":
            marche, prestation, by = g[7], g[8], g[10]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, g[5], marche and _SHARED(marche),
                                prestation and _SHARED(prestation), None, None, None, None, g[9], by and _SHARED(by),
                                label, None, None, (), None, g[6], lineno))
        if kind == "payment":
            sf = g[6]
            if sf is not None:
                sf = _DATES.get(sf) or parse_date(sf)
            by = g[9]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, g[7], None, None, g[5], sf, None, None, g[8],
                                by and _SHARED(by), label, None, None, (), None, None, lineno))
        if kind == "release":
            by = g[7]
            return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, None, None, None, g[5], None, None, None,
                                g[6], by and _SHARED(by), label, None, None, (), None, None, lineno))
        by = g[8]
        return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), amount, None, None, None, None, None, g[5], g[6], g[7],
                            by and _SHARED(by), label, None, None, (), None, None, lineno))
    except ValueError:
        return None


def _mending(kind: str, g: tuple[str, ...], date: dt.date, label: str, lineno: int) -> Entry:
    """A cancellation or a service fait from its pattern's groups (the fast path)."""
    if kind == "cancel":
        by = g[5]
        return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), 0, None, None, None, None, None, None, None, g[4],
                            by and _SHARED(by), label, None, None, (), g[3], None, lineno))
    sf = _DATES.get(g[4]) or parse_date(g[4])
    by = g[6]
    return _NEW(Entry, (date, kind, g[1], _SHARED(g[2]), 0, None, None, None, None, sf, None, None, g[5],
                        by and _SHARED(by), label, None, None, (), g[3], None, lineno))


def parse_line(line: str, lineno: int = 0) -> Entry:
    """Parse one entry line (without its newline); raise :class:`LineError` if malformed."""
    fast = parse_canonical_line(line, lineno) if len(line) <= MAX_LINE else None
    if fast is not None:
        return fast
    return parse_line_fully(line, lineno)


def parse_line_fully(line: str, lineno: int) -> Entry:
    """Parse any entry line, saying where and why it does not follow the grammar (the slow
    path of :func:`parse_line`, for lines that are not canonical)."""
    if len(line) > MAX_LINE and not (len(line) <= MAX_SEAL_LINE and line[10:16] == " seal "):
        raise LineError(_("line is {length} characters long (at most {max})").format(length=len(line), max=MAX_LINE))
    quote = line.find('"')
    label = _label_of(line, quote) if quote >= 0 else ""
    head = line[: quote - 1] if quote >= 0 else line
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
    if not is_kind(kind) or kind not in _KIND_FIELDS:
        raise LineError(_("unknown kind {kind} (expected one of: {kinds})").format(
            kind=repr(kind), kinds=", ".join(KINDS)), 12)
    _check_id_and_team(line, tokens)
    amount, rest = _amount_of(line, tokens, kind)
    values = _fields_of(line, tokens, kind, rest)
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
    missing = [key for key in KIND_SPECS[kind].required if key not in values]
    if missing:
        raise LineError(_("a {kind} needs {fields}").format(kind=kind, fields=", ".join(f"{key}=" for key in missing)))
    return Entry(
        date=date, kind=kind, id=tokens[2], team=tokens[3], amount=amount,
        ref=values.get("ref"), marche=values.get("marche"), prestation=values.get("prestation"),
        commitment=values.get("commitment"), service_fait=sf, month=month, forecast_type=ftype,
        recorded_at=values.get("at"), author=values.get("by"), label=label,
        target=values.get("entry") or values.get("payment"), ej=values.get("ej"), line=lineno,
    )


def _label_of(line: str, quote: int) -> str:
    """The label that starts at the double quote at ``quote`` and ends the line."""
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
        return body  # no escape: the common case needs no JSON decoding
    try:
        label = json.loads(line[quote:])
    except ValueError:
        raise LineError(_("the label is not a well-formed double-quoted string"), quote + 1) from None
    if not isinstance(label, str):  # pragma: no cover - a quote starts a string
        raise LineError(_("the label is not a string"), quote + 1)
    return label


def _check_id_and_team(line: str, tokens: list[str]) -> None:
    for index, value in ((2, tokens[2]), (3, tokens[3])):
        if TOKEN.fullmatch(value) is None:
            if index == 2:
                message = _("id {id} is not valid (expected {expected})").format(id=repr(value),
                                                                                 expected=_(TOKEN_EXPECTED))
            else:
                message = _("team {team} is not valid (expected {expected})").format(team=repr(value),
                                                                                     expected=_(TOKEN_EXPECTED))
            raise LineError(message, _column_of(line, index, tokens))


def _amount_of(line: str, tokens: list[str], kind: str) -> tuple[int, int]:
    """The entry's amount in cents (0 for a note) and the index of the token after it."""
    if kind not in AMOUNT_KINDS:
        return 0, 4
    if len(tokens) < 5:
        raise LineError(_("a {kind} needs an amount after the team (such as 20000.00)").format(kind=kind))
    try:
        amount = parse_canonical(tokens[4])
    except AmountError as exc:
        raise LineError(str(exc), _column_of(line, 4, tokens)) from None
    if amount == 0 and kind != "forecast":  # a forecast of 0 withdraws the one in force
        raise LineError(_("amount is zero (expected a positive amount)"), _column_of(line, 4, tokens))
    return amount, 5


def _fields_of(line: str, tokens: list[str], kind: str, rest: int) -> dict[str, str]:
    """The ``key=value`` fields from token ``rest`` on, each known to ``kind`` and given once."""
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
    return values
