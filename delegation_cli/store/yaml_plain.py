"""Plain YAML: a convention's text composed, checked and built, with line numbers.

This module owns ruamel.yaml (imported lazily: only commands that read a convention pay
for it) and what it is allowed to read:

* :func:`compose` composes the text into nodes and refuses, before anything is built from
  them, what is not plain YAML — tags, merge keys, directives, an anchor defined twice, an
  alias inside its own value, a list or mapping as a key — as problems located at their
  line and column; a syntax error, or a document that nests or expands (aliases replaced
  by what they repeat) beyond its :class:`Bounds`, raises :class:`DelegationError` (exit 2);
* :func:`construct` builds the data: ruamel's round-trip mappings and lists, which know
  their lines; YAML numbers kept as their source text (:class:`fields.YamlNumber`: nothing
  passes through a binary float), dates as text (the model checks them);
* :func:`locate`, :func:`located_values`, :func:`is_mapping` and :func:`top_level_keys`
  read the built data and the nodes without the caller handling ruamel's types.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import DelegationError, Problem, Severity, fail
from ..core.i18n import _
from ..core.scalars import YamlNumber

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.composer import Composer as _ComposerBase

    from ..core.convention_rules import Loc
else:
    _ComposerBase = object  # ruamel is imported when first needed: see _plain_composer


@dataclass(frozen=True)
class Bounds:
    """How far a document may go once its aliases are expanded (each node counted every
    time an alias uses it)."""

    depth: int
    """Collections (lists, mappings) nested in one another."""
    values: int
    """Values: scalars (keys included), lists and mappings."""
    chars: int
    """Characters of every scalar, keys included."""


def _yaml() -> YAML:
    """A round-trip YAML loader that keeps numbers and dates as their source text, composing
    with :func:`_plain_composer` (which refuses what is not plain YAML and bounds aliases;
    give its composer its ``bounds`` before composing)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class _ExactConstructor(RoundTripConstructor):
        def construct_yaml_int(self, node: Any) -> Any:
            return YamlNumber(node.value.replace("_", ""))

        def construct_yaml_float(self, node: Any) -> Any:
            return YamlNumber(node.value.replace("_", ""))

        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            # Kept as text: the model checks the date (2019-02-30, month 13) and the problem
            # is located like any other, instead of ruamel raising a bare ValueError.
            return node.value

    _ExactConstructor.add_constructor("tag:yaml.org,2002:int", _ExactConstructor.construct_yaml_int)
    _ExactConstructor.add_constructor("tag:yaml.org,2002:float", _ExactConstructor.construct_yaml_float)
    _ExactConstructor.add_constructor("tag:yaml.org,2002:timestamp", _ExactConstructor.construct_yaml_timestamp)
    yaml = YAML(typ="rt")
    yaml.Composer = _plain_composer()
    yaml.Constructor = _ExactConstructor
    yaml.allow_duplicate_keys = False
    return yaml


# --------------------------------------------------------------------------------------
# Plain YAML: composed and checked before anything is built
# --------------------------------------------------------------------------------------
#
# A convention says what it says in plain YAML: mappings, lists and scalars, written out.
# What would make it say more than it shows is refused on ruamel's composed nodes, before
# the constructor builds anything from them: tags (``!!binary``, ``!!omap``, ``!!str``,
# ``!foo``, ``!<...>``: a tag changes what a value is, or builds an object), merge keys
# (``<<: *base`` hides fields in another mapping, and ruamel's merging fails on several
# forms), directives (``%YAML 1.1`` reads ``yes`` as true and ``0x1F`` as 31, ``%TAG`` only
# serves tags), an anchor name defined twice (an alias would silently mean the last one), an
# alias inside the value it names (endless) and a list or mapping as a key (a key is a field
# name).  Anchors and aliases stay allowed, bounded:
# the composer counts, per node, the characters, values and nesting it expands to, and stops
# at the alias that takes the document past its Bounds (characters, values, nesting).

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Document:
    """A YAML text composed into ruamel's nodes, nothing built from them yet.

    Attributes:
        root: the root node (None for an empty document).
        problems: what is not plain YAML, in file order (errors: nothing is built then).
        yaml: the loader that composed it, whose constructor builds the data.
    """

    root: Any
    problems: list[Problem]
    yaml: Any


class _Refused(Exception):
    """The composer stops: the document expands or nests beyond the limits (exit 2)."""

    def __init__(self, mark: Any, code: str, message: str) -> None:
        super().__init__(message)
        self.mark, self.code, self.message = mark, code, message


def compose(text: str, shown: str, bounds: Bounds) -> Document:
    """Compose ``text`` into nodes and say what is not plain YAML in it.

    Raises :class:`DelegationError` (exit 2) for what cannot be read at all: a syntax error,
    or a document beyond its ``bounds`` once the aliases are expanded (nesting, values,
    characters)."""
    from ruamel.yaml.error import YAMLError

    _refuse_deep_flow(text, shown, bounds.depth)
    yaml = _yaml()
    yaml.composer.bounds = bounds
    try:
        with warnings.catch_warnings():  # ruamel warns about reused anchors: refused below instead
            warnings.simplefilter("ignore")
            root = yaml.compose(text)
    except _Refused as exc:
        raise fail(exc.message, code=exc.code, path=shown, line=exc.mark.line + 1,
                   column=exc.mark.column + 1) from None
    except YAMLError as exc:
        raise _not_yaml(exc, shown) from None
    composer = yaml.composer
    problems = [Problem(shown, line, 1, Severity.ERROR, "yaml-directive",
                        _("YAML directive {directive} is not allowed (expected none: a convention is "
                          "plain YAML 1.2)").format(directive=directive))
                for line, directive in _directives(text, composer.document_line)]
    problems += [Problem(shown, mark.line + 1, mark.column + 1, Severity.ERROR, code, message)
                 for mark, code, message in composer.refused]
    return Document(root, problems, yaml)


def _directives(text: str, document_line: int | None) -> list[tuple[int, str]]:
    """The directives (``%YAML``, ``%TAG``, a reserved ``%NAME``) before the document's
    ``---`` on line ``document_line`` (0-based; None when it has none, and then no directive):
    (line, name) each."""
    if document_line is None:
        return []
    lines = text.split("\n", document_line)[:document_line]
    return [(number, line.split()[0]) for number, line in enumerate(lines, start=1) if line.startswith("%")]


def construct(document: Document, shown: str) -> Any:
    """The data of a plain document (its problems hold no error): ruamel's round-trip
    mappings and lists, with line numbers.  A duplicate key is refused here (exit 2)."""
    from ruamel.yaml.error import YAMLError

    if document.root is None:
        return None
    try:
        return document.yaml.constructor.construct_document(document.root)
    except YAMLError as exc:
        raise _not_yaml(exc, shown) from None


def _not_yaml(exc: Exception, shown: str) -> DelegationError:
    """``not valid YAML: ...`` (exit 2), at ruamel's mark when it gives one."""
    from ruamel.yaml.error import MarkedYAMLError

    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or _("syntax error")).strip()
        return fail(_("not valid YAML: {problem}").format(problem=what), code="yaml-syntax", path=shown,
                    line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)
    return fail(_("not valid YAML: {problem}").format(problem=str(exc).strip().splitlines()[0]),
                code="yaml-syntax", path=shown)


def _written_tag(tag: Any) -> str:
    """A YAML tag as the file writes it: ``!!binary``, ``!foo``, ``!<tag:...>``, ``!``."""
    if tag.handle:
        return f"{tag.handle}{tag.suffix}"
    return "!" if tag.suffix == "!" else f"!<{tag.suffix}>"


class _PlainComposing(_ComposerBase):
    """ruamel's composer, refusing what is not plain YAML and bounding what aliases expand to
    (mixed into ruamel's ``Composer`` by :func:`_plain_composer`).

    It composes the document once, in file order, as ruamel's does, and on the way:

    * records, with the mark of its node, each tag (``yaml-tag``), merge key (``yaml-merge``),
      list or mapping used as a key (``yaml-complex-key``), anchor name defined again
      (``yaml-anchor-reused``) and alias used inside the value it names (``yaml-alias-loop``);
      the document's directives are left to :func:`_directives`;
    * measures each node once — characters of its scalars (keys included), values, levels of
      nesting, aliases expanded — kept by node id, so that an alias adds its node's measure
      without walking it again: the count is linear in the file, whatever the aliases repeat;
    * keeps running totals in file order and raises :class:`_Refused` at the node (usually an
      alias) that takes the document past its :attr:`bounds` (characters, values, levels);
      nesting is bounded before ruamel recurses into it.
    """

    bounds: Bounds  # set by compose() before the document is composed
    # ruamel's event and node classes, set by _plain_composer (which imports ruamel):
    ALIAS: type[Any]
    COLLECTION_STARTS: tuple[type[Any], ...]
    MAPPING: type[Any]
    SCALAR: type[Any]

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.refused: list[tuple[Any, str, str]] = []
        self.document_line: int | None = None
        self._anchors_seen: dict[str, Any] = {}
        self._measures: dict[int, tuple[int, int, int]] = {}
        self._chars = self._values = self._level = self._deepest = 0

    def compose_document(self) -> Any:
        start = self.parser.peek_event()
        if start.explicit:  # only comments and directives can come before its ``---``
            self.document_line = start.start_mark.line
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.parser.peek_event().start_mark
        node = self._compose_node(parent, index)
        if index is None and isinstance(parent, self.MAPPING) and not isinstance(node, self.SCALAR):
            self.refused.append((mark, "yaml-complex-key", _(
                "a list or a mapping as a key is not allowed (expected a field name)")))
        return node

    def _compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, self.ALIAS):
            node = super().compose_node(parent, index)
            measure = self._measures.get(id(node))
            if measure is None:  # the node is still being composed: the alias is inside it
                self.refused.append((event.start_mark, "yaml-alias-loop", _(
                    "alias *{alias} is used inside the value it names: it would repeat without end "
                    "(expected an alias after the end of its anchor's value)").format(alias=event.anchor)))
            else:
                self._add(event.start_mark, *measure)
            return node
        if event.ctag is not None:
            tag = _written_tag(event.ctag)
            message = _("YAML tag !!str is not allowed (expected plain values; to keep a value as text, "
                        "write it in quotes, such as \"0217\")") if tag == "!!str" else _(
                "YAML tag {tag} is not allowed (expected plain values: text, numbers, dates, lists and "
                "mappings)").format(tag=tag)
            self.refused.append((event.start_mark, "yaml-tag", message))
        if event.anchor is not None:
            first = self._anchors_seen.setdefault(event.anchor, event.start_mark)
            if first is not event.start_mark:
                self.refused.append((event.start_mark, "yaml-anchor-reused", _(
                    "anchor &{anchor} is defined again (first on line {line}): its aliases would name the "
                    "last one (expected each anchor name once)").format(anchor=event.anchor,
                                                                        line=first.line + 1)))
        if isinstance(event, self.COLLECTION_STARTS):
            return self._compose_collection(event, parent, index)
        node = super().compose_node(parent, index)
        if event.ctag is None and node.tag == _MERGE_TAG:
            self.refused.append((event.start_mark, "yaml-merge", _(
                "merge key << is not allowed (expected every field written out in its mapping; an "
                "alias may repeat a whole value)")))
        measure = (len(node.value), 1, 0)
        self._add(event.start_mark, *measure)
        self._measures[id(node)] = measure
        return node

    def _compose_collection(self, event: Any, parent: Any, index: Any) -> Any:
        chars, values, outer_deepest = self._chars, self._values, self._deepest
        self._add(event.start_mark, 0, 1, 1)
        self._level += 1
        self._deepest = self._level
        node = super().compose_node(parent, index)
        measure = (self._chars - chars, self._values - values, self._deepest - self._level + 1)
        self._level -= 1
        self._deepest = max(outer_deepest, self._deepest)
        self._measures[id(node)] = measure
        return node

    def _add(self, mark: Any, chars: int, values: int, levels: int) -> None:
        """Count a node (or an alias's node, expanded) met at ``mark``, or stop there."""
        self._chars += chars
        self._values += values
        self._deepest = max(self._deepest, self._level + levels)
        bounds = self.bounds
        if self._deepest > bounds.depth:
            raise _Refused(mark, "yaml-too-deep", _("nested more than {depth} levels deep").format(
                depth=bounds.depth))
        if self._chars > bounds.chars:
            raise _Refused(mark, "yaml-too-large", _(
                "the document expands to more than {limit} characters once its aliases are replaced by "
                "the values they repeat (at most {limit}; a convention is a page of YAML)").format(
                    limit=bounds.chars))
        if self._values > bounds.values:
            raise _Refused(mark, "yaml-too-large", _(
                "the document expands to more than {limit} values once its aliases are replaced by the "
                "values they repeat (at most {limit}; a convention is a page of YAML)").format(
                    limit=bounds.values))


@functools.cache
def _plain_composer() -> type[Composer]:
    """ruamel's ``Composer`` with :class:`_PlainComposing` mixed in; ruamel is imported here,
    when a convention is first read."""
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    class PlainComposer(_PlainComposing, Composer):
        ALIAS = AliasEvent
        COLLECTION_STARTS = (SequenceStartEvent, MappingStartEvent)
        MAPPING, SCALAR = MappingNode, ScalarNode

    return PlainComposer


_PRESCAN = re.compile(r"[\[\]{}'\"#\\\n]")
"""The characters :func:`_refuse_deep_flow` looks at; it skips every other one."""


def _starts_value(head: str) -> bool:
    """Whether a value starts after ``head``, the start of its line: nothing but indentation,
    or ``key:``, ``-``, ``?``, each maybe followed by an anchor (``&a``) or a tag."""
    words = head.split()
    while words and words[-1].startswith(("&", "!")):
        words.pop()
    return not words or words[-1].endswith((":", "-", "?"))


def _refuse_deep_flow(text: str, shown: str, max_depth: int) -> None:
    """Refuse ``[[[[…`` at once, before ruamel's scanner spends a second looking ahead in it.

    A shortcut: the composer's bound (:func:`_plain_composer`) is exact and holds whatever this
    scan misses (it also counts the block mappings and lists around a flow collection, so it
    may stop a bracket earlier).  It reads quoting and comments as YAML
    does, so that no apostrophe switches it off (it used to take every ``'`` or ``"`` for the
    start of a quoted string, so that one apostrophe in a comment or a word, ``# don't``,
    ``d'études``, hid every bracket after it): a quote opens a string only where a quoted scalar
    can start (at the start of a line, after a space, a tab or one of ``[ { , :``), ``''`` and
    ``\\"`` stay inside it, and ``#`` after a space or at the start of a line is a comment to
    the end of the line.  Outside brackets, a ``[`` or ``{`` opens a flow collection only where a
    value starts (:func:`_starts_value`): a bracket inside plain text (``title: Note [1``) is
    text."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth, line, line_start, quote, resume = 0, 1, 0, "", 0
    for match in _PRESCAN.finditer(text):
        i, char = match.start(), match.group()
        if char == "\n":
            line, line_start = line + 1, i + 1
        if i < resume:  # inside a comment, or the character after an escape
            continue
        before = text[i - 1] if i else "\n"
        if quote:
            if char == "\\" and quote == '"':
                resume = i + 2
            elif char == quote:
                if quote == "'" and text[i + 1:i + 2] == "'":
                    resume = i + 2
                else:
                    quote = ""
        elif char == "#" and before in " \t\n":
            end = text.find("\n", i)
            resume = end if end >= 0 else len(text)
        elif char in "\"'" and before in " \t\n[{,:":
            quote = char
        elif char in "[{" and (depth or _starts_value(text[line_start:i])):
            depth += 1
            if depth > max_depth:
                raise fail(_("nested more than {depth} levels deep").format(depth=max_depth), code="yaml-too-deep",
                           path=shown, line=line, column=i - line_start + 1)
        elif char in "]}":
            depth = max(depth - 1, 0)



# --------------------------------------------------------------------------------------
# The built data, read without handling ruamel's types
# --------------------------------------------------------------------------------------


def is_mapping(data: Any) -> bool:
    """Whether built data is a mapping (ruamel's round-trip one)."""
    from ruamel.yaml.comments import CommentedMap

    return isinstance(data, CommentedMap)


def top_level_keys(root: Any) -> frozenset[str] | None:
    """The keys (written as scalars) of a document's root node; None when the root is not a
    mapping."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    if not isinstance(root, MappingNode):
        return None
    return frozenset(str(k.value) for k, _v in root.value if isinstance(k, ScalarNode))


def located_values(root: Any) -> Iterator[tuple[Loc, int, int, Any]]:
    """Every value of built data that is no mapping or list, with its path, line and column
    (1-based; the document's for the root itself); depth first, the last key or item first."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    stack: list[tuple[Any, Loc, tuple[int, int]]] = [(root, (), (1, 1))]
    while stack:
        node, loc, pos = stack.pop()
        if isinstance(node, CommentedMap):
            for key in node:
                line, col = node.lc.value(key)
                stack.append((node[key], (*loc, str(key)), (line + 1, col + 1)))
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                line, col = node.lc.item(i)
                stack.append((item, (*loc, i), (line + 1, col + 1)))
        else:
            yield loc, pos[0], pos[1], node


def locate(root: Any, loc: Loc, *, on_key: bool = False) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the value at ``loc``, or of its nearest ancestor."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = root
    line, col = 1, 1
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            l0, c0 = node.lc.key(part) if (last and on_key) else node.lc.value(part)
            line, col = l0 + 1, c0 + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            l0, c0 = node.lc.item(part)
            line, col = l0 + 1, c0 + 1
            node = node[part]
        else:
            break
    return line, col

