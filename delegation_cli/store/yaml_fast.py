"""The quick reading of a convention written in the plainest YAML, without ruamel.

Most conventions are block mappings and lists of short scalars, one per line, with comments:
what :func:`read` reads here, line by line, into the very data ruamel's round-trip loader builds
through :mod:`yaml_plain` (mappings, lists, text, :class:`fields.YamlNumber` for numbers, dates
as their text, booleans and nulls), so that the model validates the same convention.  It never
decides anything ruamel would decide otherwise: on the first thing outside its subset — a
flow collection, a block scalar, a quoted scalar with an escape or over several lines, an
anchor, alias, tag, directive or document marker, a duplicate or unusual key, a plain scalar
that YAML might read as something else than text (``yes``?, ``1e3``, ``.inf``, ``0x1F``,
``2019-12-09T10:00``) or that goes on over several lines, a tab in the indentation, a
document beyond its :class:`yaml_plain.Bounds` — it answers None and the caller reads the
text with ruamel, which also locates every problem.  It locates none itself: the caller
trusts its data only for a convention without any problem (see ``convention._load_text``).

Being exact is tested by comparing, type for type, what both readers build from every YAML file
of the repository and from generated scalars (``tests/test_yaml_fast.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..core.scalars import YamlNumber

if TYPE_CHECKING:
    from .yaml_plain import Bounds

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WORDS = {"null": None, "Null": None, "NULL": None, "~": None, "true": True, "True": True, "TRUE": True,
          "false": False, "False": False, "FALSE": False}
_YAML11_WORDS = ("y", "n", "yes", "no", "on", "off")
"""Words YAML 1.1 reads as booleans: left to ruamel, whatever version it reads."""
_UNUSUAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
"""Characters YAML reads as line breaks or refuses: left to ruamel."""


def _safe_start(value: str) -> bool:
    """Whether a plain scalar may be read as text from its first character: a letter (YAML gives
    every other first character a meaning to check: indicators, numbers, ``.inf``, ``~``…).
    A function, not a regular expression: the class of every character from U+00C0 on takes
    milliseconds to compile, at every start."""
    first = value[:1]
    return ("A" <= first <= "Z") or ("a" <= first <= "z") or first >= "\u00c0"


class _Outside(Exception):
    """The text steps outside the subset: ruamel reads it."""


def read(text: str, bounds: Bounds) -> dict[str, Any] | None:
    """The data of ``text`` as ruamel builds it, or None when the text is outside the subset
    this module reads (or is not a mapping)."""
    if _UNUSUAL.search(text):
        return None
    try:
        lines = _lines(text)
        if not lines:
            return None
        reader = _Reader(lines, bounds)
        value = reader.node(0, lines[0][0])
        if reader.at < len(lines) or not isinstance(value, dict):
            return None
        return value
    except _Outside:
        return None


def _lines(text: str) -> list[tuple[int, str]]:
    """(indentation, content without its comment) of each line that holds something."""
    found = []
    for raw in text.split("\n"):
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            if "\t" in raw or "\r" in raw:
                raise _Outside
            continue
        if stripped[0] in "\t%" or stripped.startswith(("---", "...")) or "\r" in raw or "\ufeff" in raw:
            raise _Outside
        found.append((len(raw) - len(stripped), stripped))
    return found


def _comment_start(text: str) -> int:
    """Where a comment starts in ``text`` (its length when none): a ``#`` after a space or tab."""
    at = text.find("#")
    while at > 0 and text[at - 1] not in " \t":
        at = text.find("#", at + 1)
    return len(text) if at < 0 else at


def _flow(text: str) -> list[Any] | dict[str, Any]:
    """A flow collection written on one line of scalars: ``[80, 95]``, ``{start: 2020-01-01, end:
    2029-12-31}``, ``[]``, ``{}`` (nothing nested in it)."""
    close = "]" if text[0] == "[" else "}"
    items, at = _flow_items(text)
    rest = text[at:].strip()
    if rest and not rest.startswith("#"):
        raise _Outside
    if close == "]":
        return [_scalar(item) for item in items]
    result: dict[str, Any] = {}
    for item in items:
        key, value = _key_and_rest(item, result)
        if not value:
            raise _Outside  # "{a:}" or "{a}": left to ruamel
        result[key] = _scalar(value)
    return result


def _flow_items(text: str) -> tuple[list[str], int]:
    """The items of the flow collection ``text`` starts with, split at its commas outside quotes,
    and where it ends; nested brackets, a comment, a quote left open or an empty item are outside."""
    items, current, quote = [], "", ""
    for at, char in enumerate(text[1:], start=1):
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "\"'" and (not current.strip() or current.endswith(": ")):
            quote = char
            current += char
        elif char == ",":
            items.append(current.strip())
            current = ""
        elif char in "]}":
            if char != ("]" if text[0] == "[" else "}"):
                raise _Outside
            last = current.strip()
            if last or items:
                items.append(last)
            if any(not item for item in items):
                raise _Outside
            return items, at + 1
        elif char in "[{#":
            raise _Outside
        else:
            current += char
    raise _Outside


def _scalar(text: str) -> Any:
    """The value of a scalar written on one line after ``key:`` or ``-`` (its comment included)."""
    if text[:1] in "[{":
        return _flow(text)
    if text[:1] in "\"'":
        quote = text[0]
        end = text.find(quote, 1)
        if quote == "'":
            while end > 0 and text[end + 1:end + 2] == "'":
                end = text.find("'", end + 2)
        if end < 0:
            raise _Outside  # over several lines
        body, rest = text[1:end], text[end + 1:].strip()
        if rest and not rest.startswith("#"):
            raise _Outside
        if quote == '"':
            if "\\" in body:
                raise _Outside
            return body
        return body.replace("''", "'")
    value = text[:_comment_start(text)].rstrip(" \t")
    if value in _WORDS:
        return _WORDS[value]
    if _INT.fullmatch(value) or _DECIMAL.fullmatch(value):
        return YamlNumber(value)
    if _DATE.fullmatch(value):
        return value
    if (not value or not _safe_start(value) or ": " in value or value.endswith(":") or "\t" in value
            or value.lower() in _YAML11_WORDS):
        raise _Outside
    return value


class _Reader:
    """A recursive descent over the lines, keeping the count of values and the nesting."""

    def __init__(self, lines: list[tuple[int, str]], bounds: Bounds) -> None:
        self.lines = lines
        self.at = 0
        self.bounds = bounds
        self.values = 0
        self.chars = 0

    def _count(self, chars: int, depth: int) -> None:
        self.values += 1
        self.chars += chars
        if self.values > self.bounds.values or self.chars > self.bounds.chars or depth > self.bounds.depth:
            raise _Outside

    def node(self, depth: int, indent: int) -> Any:
        """The block node whose first line is the current one, at ``indent``."""
        _, content = self.lines[self.at]
        if _is_item(content):
            return self.sequence(depth + 1, indent)
        return self.mapping(depth + 1, indent)

    def _value(self, rest: str, depth: int, indent: int, sequence_may_align: bool) -> Any:
        """The value after ``key:`` or ``-`` (``rest``, maybe empty: then the block below)."""
        if rest and not rest.startswith("#"):
            value = _scalar(rest)
            self._count(len(rest), depth + 1)
            for _ in [*value, *value] if isinstance(value, dict) else value if isinstance(value, list) else ():
                self._count(0, depth + 2)  # each item (each key and value) of a flow collection
            return value
        if self.at < len(self.lines):
            below, content = self.lines[self.at]
            if below > indent or (sequence_may_align and below == indent and _is_item(content)):
                return self.node(depth, below)
        self._count(0, depth + 1)
        return None

    def mapping(self, depth: int, indent: int) -> dict[str, Any]:
        self._count(0, depth)
        result: dict[str, Any] = {}
        while self.at < len(self.lines):
            column, content = self.lines[self.at]
            if column < indent:
                break
            if column > indent:
                raise _Outside
            key, rest = _key_and_rest(content, result)
            self._count(len(key), depth + 1)
            self.at += 1
            result[key] = self._value(rest, depth, indent, True)
        return result

    def sequence(self, depth: int, indent: int) -> list[Any]:
        self._count(0, depth)
        result: list[Any] = []
        while self.at < len(self.lines):
            column, content = self.lines[self.at]
            if column < indent:
                break
            if column > indent:
                raise _Outside
            if not _is_item(content):
                break  # the next key of the mapping this list is the value of, aligned with it
            rest = content[1:].lstrip(" ")
            if rest and not rest.startswith("#") and (rest[:1] not in "\"'" and _is_key_line(rest)):
                # "- key: value": a mapping whose first key sits after the dash
                self.lines[self.at] = (column + len(content) - len(rest), rest)
                result.append(self.node(depth, column + len(content) - len(rest)))
                continue
            self.at += 1
            result.append(self._value(rest, depth, indent, False))
        return result


def _key_and_rest(text: str, taken: dict[str, Any]) -> tuple[str, str]:
    """``text`` read as ``key: rest`` (``rest`` stripped, maybe empty), the key a plain field name
    not in ``taken`` that no YAML version reads as anything but text; else outside."""
    key, colon, rest = text.partition(":")
    if (not colon or rest[:1] not in ("", " ") or not _KEY.fullmatch(key) or key in taken or key in _WORDS
            or key.lower() in _YAML11_WORDS):
        raise _Outside
    return key, rest.strip(" ")


def _is_key_line(text: str) -> bool:
    """Whether ``text`` starts with ``key:`` (then a space or its end)."""
    try:
        _key_and_rest(text, {})
    except _Outside:
        return False
    return True


def _is_item(content: str) -> bool:
    """Whether a line's content is a list item: ``-`` alone or followed by a space."""
    return content == "-" or content.startswith("- ")
