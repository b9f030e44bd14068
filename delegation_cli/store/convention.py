"""Reading a convention file: YAML text -> :class:`model.Convention`, with line numbers.

This module owns the convention file on disk and every way it can be wrong:

* what cannot be read at all (missing, a directory, too large, binary, not UTF-8, a YAML
  syntax error, nesting deeper than :data:`MAX_DEPTH`, aliases that expand it beyond
  :data:`MAX_EXPANDED` characters or :data:`MAX_NODES` values) raises
  :class:`DelegationError` with exit code 2;
* what is read but invalid comes back as :class:`Problem` values located at
  ``FILE:LINE:COL``: first what is not plain YAML (tags, merge keys, directives, an anchor
  defined twice, an alias inside its own value, a list or mapping as a key), refused on the
  composed nodes before anything is built from them (:func:`_plain_composer`); then schema
  errors and broken rules;
* a value still equal to :data:`PLACEHOLDER` (the ``delegation init`` template's
  ``A_COMPLETER``) is a field left to fill in: one ``to-fill-in`` problem per such value, and
  the schema is not checked until none is left (no pile of type errors about placeholders).

:func:`peek_convention` tells, without validating, whether a YAML file is a convention and
which ledger it names (the pre-commit hook's search).

YAML numbers never pass through a binary float: the loader keeps their source text
(:class:`model.YamlNumber`) and each field converts it exactly.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.convention_rules import Finding, Loc, convention_findings
from ..core.errors import DelegationError, ExitCode, Problem, Severity, fail, has_errors, raw_forbidden
from ..core.i18n import N_, _, ngettext, using
from ..core.model import Convention, YamlNumber, default_ledger_path
from .text_files import read_text

if TYPE_CHECKING:
    from pydantic import ValidationError
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer

MAX_BYTES = 1_000_000
"""A convention is a page of YAML; anything above a megabyte is refused unread."""
MAX_NODES = 100_000
"""Values — scalars (keys included), lists and mappings — the document holds once its aliases
are expanded (each counted every time an alias uses it)."""
MAX_EXPANDED = 4_000_000
"""Characters the document holds once its aliases are expanded: every scalar (keys included)
counted each time an alias repeats it.  Four times :data:`MAX_BYTES`: an alias may repeat a
block of the file, it may not turn a page of YAML into gigabytes of text for every command
that reads the convention (a 900 kB name repeated by 2 000 aliases is 1.8 GB)."""
MAX_DEPTH = 50
"""Collections (lists, mappings) nested in one another, aliases expanded."""
PLACEHOLDER = "A_COMPLETER"
"""The value the ``delegation init`` template gives every field to fill in."""


def _yaml() -> YAML:
    """A round-trip YAML loader that keeps numbers and dates as their source text, composing
    with :func:`_plain_composer` (which refuses what is not plain YAML and bounds aliases)."""
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


@dataclass(frozen=True)
class LoadedConvention:
    """A convention read from a file, with its path and the problems found in it."""

    path: Path
    convention: Convention | None
    problems: list[Problem]

    @property
    def folder(self) -> Path:
        return self.path.parent

    def ledger_path(self) -> Path:
        """The convention's ledger (``ledger:``, relative to the YAML file's folder).

        Resolved, symbolic links included, it must stay inside the convention's folder
        (resolved too): a convention cannot make the tool read or write a file elsewhere
        through a link (exit 2).  ``..`` and absolute paths are already refused as a rule of
        the convention (``ledger-outside``)."""
        assert self.convention is not None
        declared = self.convention.ledger_path
        path = self.folder / declared
        _require_inside(path, self.folder, declared, str(self.path))
        return path


def _require_inside(path: Path, folder: Path, declared: str, shown: str) -> None:
    """Refuse (exit 2) a ledger path that, resolved, leaves the resolved ``folder``."""
    try:
        home = folder.resolve()
        target = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _("a loop of symbolic links")
        raise fail(_("ledger path {path} cannot be resolved: {reason}").format(path=repr(declared), reason=reason),
                   code="ledger-unresolvable", path=shown) from None
    if not target.is_relative_to(home):
        raise fail(_("ledger path {path} resolves to {target}, outside the convention's folder {folder} "
                     "(a symbolic link leads out of it; expected the ledger inside the folder)").format(
                         path=repr(declared), target=target, folder=home),
                   code="ledger-outside", path=shown)


def load_convention(path: Path) -> LoadedConvention:
    """Read, parse and validate a convention file.

    Raises :class:`DelegationError` (exit 2) when the file cannot be read as YAML; returns
    every other problem (schema, rules) in ``problems``, with the convention when the
    schema holds.
    """
    text = read_text(path, max_bytes=MAX_BYTES, what=_("convention YAML file"))
    return _load_text(text, path)


def _load_text(text: str, path: Path) -> LoadedConvention:
    from pydantic import ValidationError
    from ruamel.yaml.comments import CommentedMap

    shown = str(path)
    if text.startswith(LEDGER_HEADER):
        raise fail(_("is a delegation ledger, not a convention (expected a convention YAML file; a ledger is "
                     "given with --ledger: delegation check -c CONVENTION.yaml --ledger {path})").format(path=shown),
                   code="file-is-ledger", path=shown, line=1, column=1)
    document = _compose(text, shown)
    problems = list(document.problems)
    if has_errors(problems):
        return LoadedConvention(path, None, problems)
    data = _construct(document, shown)
    problems.extend(_placeholders(data, shown))
    if has_errors(problems):
        return LoadedConvention(path, None, problems)
    if not isinstance(data, CommentedMap):
        raise fail(_("the document is not a mapping of fields (expected `id: ...`, `title: ...`, ...)"),
                   code="yaml-not-mapping", path=shown, line=1, column=1,
                   exit_code=ExitCode.PROBLEMS)
    try:
        conv = Convention.model_validate(dict(data))
    except ValidationError as exc:
        problems.extend(_schema_problems(exc, data, shown))
        return LoadedConvention(path, None, problems)
    problems.extend(_locate_finding(f, data, shown) for f in convention_findings(conv))
    return LoadedConvention(path, conv, problems)


def require_convention(path: Path) -> LoadedConvention:
    """Load a convention for a command that needs a valid one; raise otherwise."""
    try:
        loaded = load_convention(path)
    except DelegationError as exc:
        raise explain_missing(exc, path) from None
    errors = [p for p in loaded.problems if p.severity is Severity.ERROR]
    if errors or loaded.convention is None:
        raise DelegationError(errors, ExitCode.PROBLEMS)
    return loaded


def explain_missing(exc: DelegationError, path: Path) -> DelegationError:
    """``exc`` with, when it says the convention ``path`` does not exist, how to give one:
    ``-c PATH``, ``$DELEGATION_CONVENTION``, and the YAML files of the current folder."""
    import dataclasses

    def hinted(problem: Problem) -> Problem:
        if problem.code != "file-missing" or problem.path != str(path):
            return problem
        try:
            here = sorted(p.name for p in Path.cwd().iterdir()
                          if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
        except OSError:
            here = []
        listed = ", ".join(here[:10]) + (", …" if len(here) > 10 else "")
        files = _(" (YAML files here: {files})").format(files=listed) if here else ""
        return dataclasses.replace(problem, message=_("{message}; give one with -c PATH or "
                                                      "$DELEGATION_CONVENTION{files}").format(
                                                          message=problem.message, files=files))

    problems = [hinted(p) for p in exc.problems]
    if problems == list(exc.problems):
        return exc
    return DelegationError(problems, exc.exit_code)


LEDGER_HEADER = "# delegation-ledger v"


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
# at the alias that takes the document past MAX_EXPANDED, MAX_NODES or MAX_DEPTH.

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class _Document:
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


def _compose(text: str, shown: str) -> _Document:
    """Compose ``text`` into nodes and say what is not plain YAML in it.

    Raises :class:`DelegationError` (exit 2) for what cannot be read at all: a syntax error,
    nesting deeper than :data:`MAX_DEPTH`, or more than :data:`MAX_EXPANDED` characters or
    :data:`MAX_NODES` values once the aliases are expanded."""
    from ruamel.yaml.error import YAMLError

    _refuse_deep_flow(text, shown)
    yaml = _yaml()
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
    return _Document(root, problems, yaml)


def _directives(text: str, document_line: int | None) -> list[tuple[int, str]]:
    """The directives (``%YAML``, ``%TAG``, a reserved ``%NAME``) before the document's
    ``---`` on line ``document_line`` (0-based; None when it has none, and then no directive):
    (line, name) each."""
    if document_line is None:
        return []
    lines = text.split("\n", document_line)[:document_line]
    return [(number, line.split()[0]) for number, line in enumerate(lines, start=1) if line.startswith("%")]


def _construct(document: _Document, shown: str) -> Any:
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


@functools.cache
def _plain_composer() -> type[Composer]:
    """ruamel's composer, refusing what is not plain YAML and bounding what aliases expand to.

    It composes the document once, in file order, as ruamel's does, and on the way:

    * records, with the mark of its node, each tag (``yaml-tag``), merge key (``yaml-merge``),
      list or mapping used as a key (``yaml-complex-key``), anchor name defined again
      (``yaml-anchor-reused``) and alias used inside the value it names (``yaml-alias-loop``);
      the document's directives are left to :func:`_directives`;
    * measures each node once — characters of its scalars (keys included), values, levels of
      nesting, aliases expanded — kept by node id, so that an alias adds its node's measure
      without walking it again: the count is linear in the file, whatever the aliases repeat;
    * keeps running totals in file order and raises :class:`_Refused` at the node (usually an
      alias) that takes the document past :data:`MAX_EXPANDED` characters, :data:`MAX_NODES`
      values or :data:`MAX_DEPTH` levels; nesting is bounded before ruamel recurses into it.
    """
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    class PlainComposer(Composer):
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
            if index is None and isinstance(parent, MappingNode) and not isinstance(node, ScalarNode):
                self.refused.append((mark, "yaml-complex-key", _(
                    "a list or a mapping as a key is not allowed (expected a field name)")))
            return node

        def _compose_node(self, parent: Any, index: Any) -> Any:
            event = self.parser.peek_event()
            if isinstance(event, AliasEvent):
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
            if isinstance(event, SequenceStartEvent | MappingStartEvent):
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
            if self._deepest > MAX_DEPTH:
                raise _Refused(mark, "yaml-too-deep", _("nested more than {depth} levels deep").format(
                    depth=MAX_DEPTH))
            if self._chars > MAX_EXPANDED:
                raise _Refused(mark, "yaml-too-large", _(
                    "the document expands to more than {limit} characters once its aliases are replaced by "
                    "the values they repeat (at most {limit}; a convention is a page of YAML)").format(
                        limit=MAX_EXPANDED))
            if self._values > MAX_NODES:
                raise _Refused(mark, "yaml-too-large", _(
                    "the document expands to more than {limit} values once its aliases are replaced by the "
                    "values they repeat (at most {limit}; a convention is a page of YAML)").format(
                        limit=MAX_NODES))

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


def _refuse_deep_flow(text: str, shown: str) -> None:
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
    if text.count("[") + text.count("{") <= MAX_DEPTH:
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
            if depth > MAX_DEPTH:
                raise fail(_("nested more than {depth} levels deep").format(depth=MAX_DEPTH), code="yaml-too-deep",
                           path=shown, line=line, column=i - line_start + 1)
        elif char in "]}":
            depth = max(depth - 1, 0)


def _placeholders(root: Any, shown: str) -> list[Problem]:
    """One ``to-fill-in`` error per value still equal to :data:`PLACEHOLDER`, in file order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    found: list[Problem] = []
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
        elif isinstance(node, str) and node.strip() == PLACEHOLDER:
            field = ".".join(str(p) for p in loc) or _("the document")
            found.append(Problem(shown, pos[0], pos[1], Severity.ERROR, "to-fill-in",
                                 _("{field}: field to fill in (replace {placeholder} with the value the "
                                   "convention's text gives)").format(field=field, placeholder=PLACEHOLDER)))
    return sorted(found, key=lambda p: (p.line or 0, p.column or 0))


@dataclass(frozen=True)
class Peeked:
    """What :func:`peek_convention` saw of a YAML file that looks like a convention."""

    ledger: str | None
    """The ledger path it names (``ledger:``, else ``ledgers/<id>.ledger``), as written;
    ``None`` when it names none that can be read (the file is then checked as it is)."""


CONVENTION_KEYS = frozenset({"id", "period", "parties", "imputation", "budget", "teams", "ledger"})
"""Top-level keys that make a YAML mapping a convention (two of them are enough)."""


def peek_convention(path: Path) -> Peeked | None:
    """Whether the YAML file ``path`` is a convention, and its ledger, without validating it.

    ``None`` for a file that is not one: unreadable, or a mapping with fewer than two of the
    convention's top-level keys (a ``.pre-commit-config.yaml``, a CI file…).  A file that
    cannot be parsed as YAML is taken for a convention whose ledger is unknown, so that
    ``check`` says what is wrong with it."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    try:
        text = read_text(path, max_bytes=MAX_BYTES, what=_("convention YAML file"))
    except DelegationError:
        return None
    if text.startswith(LEDGER_HEADER):
        return None
    try:
        document = _compose(text, str(path))
        root = document.root
        if not isinstance(root, MappingNode) or len(
                CONVENTION_KEYS & {str(k.value) for k, _v in root.value if isinstance(k, ScalarNode)}) < 2:
            return None
        if has_errors(document.problems):  # not plain YAML: check says what, where
            return Peeked(None)
        data = _construct(document, str(path))
    except Exception:  # noqa: BLE001 - any parse failure: check will say which
        return Peeked(None)
    if not isinstance(data, CommentedMap):
        return None
    ledger, ident = data.get("ledger"), data.get("id")
    if isinstance(ledger, str) and ledger.strip() != PLACEHOLDER:
        # a path with a control character is named by no file: check says where it is
        return Peeked(ledger if raw_forbidden(ledger) is None else None)
    if ledger is None and isinstance(ident, str) and ident.strip() != PLACEHOLDER:
        return Peeked(default_ledger_path(ident))
    return Peeked(None)


def _locate(root: Any, loc: Loc, *, on_key: bool = False) -> tuple[int | None, int | None]:
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


def _locate_finding(finding: Finding, root: Any, shown: str) -> Problem:
    line, col = _locate(root, finding.loc)
    return Problem(shown, line, col, finding.severity, finding.code, finding.message)


def _field_names(loc: Loc) -> list[str] | None:
    """The fields allowed at the mapping that ``loc`` points into (for unknown keys)."""
    from typing import get_args, get_origin

    from pydantic import BaseModel

    model: Any = Convention
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        ann = info.annotation
        while get_origin(ann) is not None:
            args = [a for a in get_args(ann) if a is not type(None) and a is not Ellipsis]
            if not args:
                break
            ann = args[0]
        model = ann
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


DATE_EXPECTED = N_("expected a date YYYY-MM-DD, such as 2019-12-09")
"""What a date field should look like (translate it with ``_`` where shown)."""

_DATE_REASONS = (
    N_("day value is outside expected range"),
    N_("month value is outside expected range of 1-12"),
)
"""pydantic's reasons for a well-formed date that does not exist, for the catalogue."""


def _date_problem(err: Any) -> str:
    """What is wrong with a date field, and the form expected: ``'14/03/2023' is not a date
    (expected a date YYYY-MM-DD, such as 2019-12-09)``; a well-formed date that does not exist
    (``2019-02-30``) says which part is out of range."""
    value = err.get("input")
    got = repr(str(value)) if isinstance(value, str | int) and len(str(value)) < 60 else _("the value")
    reason = str((err.get("ctx") or {}).get("error", ""))
    if "outside expected range" in reason:
        return _("{value} is not a calendar date: {reason} ({expected})").format(
            value=got, reason=_(reason), expected=_(DATE_EXPECTED))
    return _("{value} is not a date ({expected})").format(value=got, expected=_(DATE_EXPECTED))


_PYDANTIC_MESSAGES = {
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "finite_number": N_("Input should be a finite number"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "literal_error": N_("Input should be {expected}"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "dict_type": N_("Input should be a valid dictionary"),
    "tuple_type": N_("Input should be a valid tuple"),
    "list_type": N_("Input should be a valid list"),
    "iterable_type": N_("Input should be iterable"),
    "none_required": N_("Input should be None"),
}
"""pydantic's own messages for the error types a convention can meet, for the catalogue
(pydantic writes English only): the English is pydantic's, word for word."""


def _pydantic_message(err: Any) -> str:
    """pydantic's message for ``err`` in the current language; pydantic's own English when the
    type is not in :data:`_PYDANTIC_MESSAGES` (or the sizes), or when pydantic words it
    otherwise than the catalogue's English."""
    kind, english = err["type"], err["msg"]
    ctx = dict(err.get("ctx") or {})
    if kind in ("too_short", "too_long"):
        size = ctx.get("min_length" if kind == "too_short" else "max_length")
        if not isinstance(size, int):
            return str(english)
        ctx["size"] = size
        try:
            with using("en"):
                same = _sized_template(kind, size).format(**ctx) == english
            return _sized_template(kind, size).format(**ctx) if same else str(english)
        except (KeyError, IndexError, ValueError):
            return str(english)
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return str(english)
    try:
        if template.format(**ctx) != english:
            return str(english)
        if kind == "literal_error":
            ctx["expected"] = _alternatives(str(ctx.get("expected", "")))
        return _(template).format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(english)


def _sized_template(kind: str, size: int) -> str:
    """pydantic's ``too_short`` or ``too_long`` message for a tuple (the only sized fields of a
    convention), in the current language."""
    if kind == "too_short":
        return ngettext("Tuple should have at least {size} item after validation, not {actual_length}",
                        "Tuple should have at least {size} items after validation, not {actual_length}", size)
    return ngettext("Tuple should have at most {size} item after validation, not {actual_length}",
                    "Tuple should have at most {size} items after validation, not {actual_length}", size)


def _alternatives(expected: str) -> str:
    """pydantic's list of the values allowed (``'signature' or 'start'``), its last ``or``
    in the current language."""
    head, sep, last = expected.rpartition("' or '")
    if not sep:
        return expected
    return _("{choices} or {last}").format(choices=head + "'", last="'" + last)


def _schema_problems(exc: ValidationError, root: Any, shown: str) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        dotted = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden":
            allowed = _field_names(loc)
            hint = _(" (expected one of: {fields})").format(fields=", ".join(allowed)) if allowed else ""
            message = _("unknown field {field}{hint}").format(field=repr(dotted), hint=hint)
            line, col = _locate(root, loc, on_key=True)
        elif kind == "missing":
            message = _("missing field {field}").format(field=repr(dotted))
            line, col = _locate(root, loc)
        elif kind.startswith(("date_", "datetime_")):
            message = _("{field}: {problem}").format(field=dotted, problem=_date_problem(err))
            line, col = _locate(root, loc)
        else:
            msg = err["msg"].removeprefix("Value error, ") if kind == "value_error" else _pydantic_message(err)
            value = err.get("input")
            shown_value = _(" (got {value})").format(value=repr(value)) \
                if isinstance(value, str | int) and len(repr(value)) < 60 and kind not in ("value_error",) else ""
            message = _("{field}: {problem}{got}").format(field=dotted, problem=msg, got=shown_value)
            line, col = _locate(root, loc)
        problems.append(Problem(shown, line, col, Severity.ERROR, f"schema-{kind}".replace("_", "-"),
                                message))
    return problems
