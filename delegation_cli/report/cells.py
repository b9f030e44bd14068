"""How one value is written: for people, for scripts, and inert in each format.

This module owns the writing of a single value, whatever the document around it:

* :func:`human` writes a cell as people read it, in the report's language (``125 000,00 €``,
  ``96,0 %``, ``30 juin 2020``), :func:`plain` as a script reads it (``125000.00``, ``96.0``,
  ``2020-06-30``); a :class:`Ratio` is a share of a whole (a percentage, or a bar);
* text read from a ledger (labels, notes) or a convention is inert in every rendering: the
  terminal shows its control, bidi and separator characters as escapes (:func:`visible`);
  Markdown cells escape what Markdown or HTML would act on (:func:`md_cell`); JSON escapes what
  the ledger escapes (:func:`json_text`, ``lines.escape_unsafe``); CSV cells keep the exact
  text (tabs and line breaks included) but for the characters the terminal escapes, and never
  start like a formula (:func:`csv_safe`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..core.errors import SEVERITY_WORDS, Severity
from ..core.i18n import _, format_date, format_month
from ..core.kinds import kind_name
from ..core.lines import escape_unsafe
from ..core.money import format_fr, format_percent, format_signed

# --------------------------------------------------------------------------------------
# Inert text
# --------------------------------------------------------------------------------------

_ACTIVE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
"""What a terminal would act on or a reader not see: C0 (ESC included), DEL and C1 controls,
the bidirectional controls (ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI), the
line and paragraph separators, lone surrogates."""
_CSV_ACTIVE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                         "\ud800-\udfff]")
"""The same but tab, LF and CR, which CSV quotes."""
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def visible(text: str) -> str:
    """``text`` shown, never acting: each character of :data:`_ACTIVE` becomes its Python
    escape (``\\t``, ``\\n``, ``\\r``, ``\\x1b``, ``\\x7f``, ``\\x85``, ``\\u202e``); everything
    else, backslashes included, is left as it is."""
    return text if text.isprintable() else _ACTIVE.sub(_escaped, text)


_MD_BREAK = re.compile("\r\n|[\r\n]")
_MD_ESCAPES = str.maketrans({"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
                             "~": "\\~", "|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;"})


def md_cell(text: str) -> str:
    """Text for a Markdown table cell or list item, shown literally by any Markdown or HTML
    renderer: line breaks (CR LF, CR, LF) become spaces, other control and bidi characters
    :func:`visible` escapes, ``\\ ` * _ [ ] ~ |`` are backslash-escaped, ``< > &`` written
    as HTML entities, and a leading ``#`` escaped."""
    cell = visible(_MD_BREAK.sub(" ", text)).translate(_MD_ESCAPES)
    return f"\\{cell}" if cell.startswith("#") else cell


CSV_UNSAFE_START = ("'", "=", "+", "-", "@", "\t", "\r", "\n")
"""What a text cell may not start with: a spreadsheet would run it as a formula."""


def csv_safe(cell: str) -> str:
    """A text cell as a spreadsheet or a terminal may show it: the exact text, except that
    the characters :func:`visible` escapes are escaped too, tabs and line breaks apart (a
    quoted CSV cell holds them), and that a cell a spreadsheet would run as a formula — one
    that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed — is
    neutralised with a leading ``'``."""
    if not cell.isprintable():
        cell = _CSV_ACTIVE.sub(_escaped, cell)
    return f"'{cell}" if cell.startswith(CSV_UNSAFE_START) else cell


def json_text(data: object) -> str:
    """Indented JSON, UTF-8, with the characters the ledger escapes written as ``\\uXXXX``:
    exactly what ``json.dumps(data, ensure_ascii=False, indent=2)`` writes (then
    ``lines.escape_unsafe``), without its pure-Python indenting encoder."""
    out: list[str] = []
    _json_into(out, data, "\n")
    out.append("\n")
    return "".join(out)


def json_pieces(data: Mapping[str, object]) -> Iterator[str]:
    """:func:`json_text` of the mapping ``data``, a piece at a time: its lists (or iterables,
    such as a generator of a million entries) are written an item at a time, so that they are
    never held whole as text (nor, for an iterable, as values)."""
    if not data:
        yield "{}\n"
        return
    out: list[str] = []
    separator = "{\n  "
    for name, value in data.items():
        out.append(separator)
        out.append(_json_string(name))
        out.append(": ")
        separator = ",\n  "
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
            _json_into(out, value, "\n  ")
            continue
        item_separator = "[\n    "
        for item in value:
            out.append(item_separator)
            item_separator = ",\n    "
            _json_into(out, item, "\n    ")
            if len(out) > 4_000:
                yield "".join(out)
                out.clear()
        out.append("[]" if item_separator == "[\n    " else "\n  ]")
    out.append("\n}\n")
    yield "".join(out)


_encode_string = json.encoder.encode_basestring  # the C function json.dumps uses


def _json_string(text: str) -> str:
    quoted = _encode_string(text)
    return quoted if quoted.isprintable() else escape_unsafe(quoted)


def _json_into(out: list[str], value: object, newline: str) -> None:
    """Append the JSON of ``value`` to ``out``; ``newline`` is a line break with the indent of
    the line ``value`` starts on."""
    if isinstance(value, str):
        out.append(_json_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if not isinstance(key, str):
                key = json.dumps(key).strip('"')  # as json.dumps writes a number, a boolean or None as a key
            out.append(separator)
            out.append(_json_string(key))
            out.append(": ")
            _json_into(out, item, inner)
            separator = "," + inner
        out.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _json_into(out, item, inner)
            separator = "," + inner
        out.append(newline + "]")
    else:  # a float, or anything json.dumps itself refuses: its own words
        out.append(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", newline))


# --------------------------------------------------------------------------------------
# A cell for people, a cell for scripts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A share of a whole, shown as a percentage (and a bar in the ``bar`` column kind)."""

    part: int
    whole: int


NUMERIC = frozenset(("money", "percent", "int"))
"""The column kinds of figures: right-aligned, never wrapped, plain numbers in CSV."""
BAR_WIDTH = 10
_SEVERITIES = frozenset(s.value for s in Severity)


def bar(ratio: Ratio) -> str:
    """``ratio`` as a bar of :data:`BAR_WIDTH` blocks (nothing when the whole is not positive)."""
    if ratio.whole <= 0:
        return ""
    filled = min(BAR_WIDTH, max(0, ratio.part * BAR_WIDTH // ratio.whole))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


TEAM_NAMES: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("team_names", default=None)
"""How the document being rendered names each team (its ``label``, else its name): set by
:func:`formats.render` for a document of a convention; scripts' formats keep the ids."""


def human(value: object, kind: str) -> str:
    """A cell as people read it, in the report's language (None: an empty cell)."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return format_fr(value)
    if kind == "percent" and isinstance(value, Ratio):
        return format_percent(value.part, value.whole)
    if kind == "bar" and isinstance(value, Ratio):
        return bar(value)
    if kind == "date" and isinstance(value, dt.date):
        return format_date(value)
    if kind == "month" and isinstance(value, str) and value:
        return format_month(value)
    if kind == "entrykind" and isinstance(value, str):
        return kind_name(value)
    if kind == "team" and isinstance(value, str):
        return (TEAM_NAMES.get() or {}).get(value, value)
    if kind == "severity" and isinstance(value, str):
        return _(SEVERITY_WORDS[Severity(value)] if value in _SEVERITIES else value)
    return str(value)


def plain(value: object, kind: str) -> str:
    """A cell as a script reads it: plain amounts, ISO dates, stable words (None: empty)."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return format_signed(value)
    if kind == "percent" and isinstance(value, Ratio):
        if value.whole == 0:
            return ""
        tenths = (Decimal(value.part) * 1000 / Decimal(value.whole)).to_integral_value(rounding="ROUND_HALF_UP")
        return f"{tenths / 10:.1f}"
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def rate(part: int, whole: int) -> str | None:
    """``part`` of ``whole`` as a script reads it (``"81.0"``), None when the whole is zero."""
    return plain(Ratio(part, whole), "percent") or None


def amount_or_none(amount: int | None) -> str | None:
    """A plain amount, or None (JSON null) when there is none (no team cap)."""
    return None if amount is None else format_signed(amount)
